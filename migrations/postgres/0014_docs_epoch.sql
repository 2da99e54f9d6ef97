-- PostgreSQL dialect of ../0014_docs_epoch.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- Incremental repair of the rendered feed documents after an unclean stop: the epoch (a number
-- each process that renders takes at start, above every earlier one) of the last process that
-- wrote an id's documents. A clean stop records its epoch next to the `.flushed` marker after a
-- syncfs; after a crash only the ids written by a later epoch can hold torn files, so only those
-- are rendered again (src/cache/feed_docs.rs). 0: written before this column existed.
ALTER TABLE packages ADD COLUMN docs_epoch BIGINT NOT NULL DEFAULT 0;
