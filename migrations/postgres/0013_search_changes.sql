-- PostgreSQL dialect of ../0013_search_changes.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- The in-memory search index (issue 19) follows the database by generation: every change to
-- what search shows records its package here at the generation it bumped to, in its own
-- transaction, so an index at generation G re-reads just the packages with a later one.
-- One row per package (the latest change wins); a package whose search row is gone is removed
-- from the index when its row here is read.
CREATE TABLE search_changes (
    package_key BIGINT PRIMARY KEY,
    generation  BIGINT NOT NULL
);
CREATE INDEX search_changes_by_generation ON search_changes(generation);
