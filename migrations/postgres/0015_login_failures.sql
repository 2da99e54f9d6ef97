-- PostgreSQL dialect of ../0015_login_failures.sql: BIGINT for SQLite's INTEGER.
-- Failed credential checks counted in the database, so that every node of a cluster sees the same
-- budgets (limits/login_limiter.rs; one node keeps them in memory and leaves this table empty).
-- One row per failure and per budget it counts against ("account:alice", "ip:10.0.0.1", …), at
-- the failure's time in Unix milliseconds; rows older than the window are removed as failures are
-- recorded.
CREATE TABLE login_failures (
    bucket       TEXT NOT NULL,
    failed_at_ms BIGINT NOT NULL
);
CREATE INDEX login_failures_by_bucket ON login_failures(bucket, failed_at_ms);
CREATE INDEX login_failures_by_time ON login_failures(failed_at_ms);
