-- PostgreSQL dialect of ../0004_search_speed.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- Search at scale (issue 8).
--
-- Which client views can see an id moves from an UNINDEXED column of the FTS table into
-- `packages`: filtering there reads one small row per match instead of the id's whole indexed
-- text (the FTS content row), and autocomplete, a range on packages(id_lower), needs no join.
-- Measured at 20k ids: counting the matches of a word found in half of them 12 ms → 1.8 ms,
-- autocomplete for a 5-letter prefix 6 ms → 1.5 ms.
ALTER TABLE packages ADD COLUMN search_visibility BIGINT NOT NULL DEFAULT 0;
UPDATE packages
   SET search_visibility = coalesce((SELECT visibility FROM package_search WHERE rowid = packages.id), 0);

-- PostgreSQL dialect: package_search is a plain table (0001), so the column is dropped in place
-- instead of copying the FTS5 table.
ALTER TABLE package_search DROP COLUMN visibility;

-- Autocomplete reads ids in a prefix range, filtered by visibility and ordered by downloads: all
-- from this index, never the table (2,500 ids under a 5-letter prefix: 4.8 ms → 0.3 ms).
CREATE INDEX packages_autocomplete ON packages(id_lower, search_visibility, total_downloads, package_id);

-- Bumped in the transaction of everything that changes a search answer (a change of an id's
-- search row, a download-count flush). Cached search answers are keyed by it, so a cached
-- answer is never older than the database, also after a change made by another process.
CREATE TABLE search_generation (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO search_generation (id, value) VALUES (1, 0);
