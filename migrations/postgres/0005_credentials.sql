-- PostgreSQL dialect of ../0005_credentials.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- Self-registered accounts must confirm their email address before they may read a private
-- feed; accounts an administrator created are vouched for by that administrator.
ALTER TABLE users ADD COLUMN self_registered BIGINT NOT NULL DEFAULT 0;

-- Bumped in the same transaction as every change that withdraws a credential (an API key
-- deleted or regenerated, a password changed, an account disabled, a member leaving an
-- organization), so that caches of verified credentials, in this process or another one, can
-- tell that what they remember may be stale.
CREATE TABLE credential_epoch (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO credential_epoch (id, value) VALUES (1, 0);
