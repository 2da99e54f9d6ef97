-- PostgreSQL dialect: without SQLite's WITHOUT ROWID (every table is keyed by its primary key).
-- The SHA-512 and size of every file kept in an object store ([storage] backend = "s3"), by its
-- key below the configured prefix ("id/version/file"). A node checks an object it fetches into its
-- local cache against this row before serving it; `galley migrate --to-storage` fills it too.
CREATE TABLE stored_objects (
    key TEXT PRIMARY KEY NOT NULL,
    sha512 TEXT NOT NULL,
    size BIGINT NOT NULL
);
