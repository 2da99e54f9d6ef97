-- Validation bookkeeping (numbered 3: 0002 is taken by the accounts work).
-- scanned_at: last clean scan. scan_attempts / next_scan_at: for versions a scanner error left
-- 'validating', how many scans failed and when the next one is due (NULL = now).
ALTER TABLE package_versions ADD COLUMN scanned_at TEXT;
ALTER TABLE package_versions ADD COLUMN scan_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE package_versions ADD COLUMN next_scan_at TEXT;
CREATE INDEX package_versions_status ON package_versions(status, next_scan_at);
