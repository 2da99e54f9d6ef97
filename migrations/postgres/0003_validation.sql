-- PostgreSQL dialect of ../0003_validation.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- Validation bookkeeping (numbered 3: 0002 is taken by the accounts work).
-- scanned_at: last clean scan. scan_attempts / next_scan_at: for versions a scanner error left
-- 'validating', how many scans failed and when the next one is due (NULL = now).
ALTER TABLE package_versions ADD COLUMN scanned_at TEXT;
ALTER TABLE package_versions ADD COLUMN scan_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE package_versions ADD COLUMN next_scan_at TEXT;
-- Partial, over the (few) validating versions: only the retry job's query can use it. A full index on status
-- would tempt the planner into scanning every available version for per-id queries that also
-- filter on status (seen: the search reindex of one id became a scan of the whole table).
CREATE INDEX package_versions_validating ON package_versions(id) WHERE status = 'validating';
