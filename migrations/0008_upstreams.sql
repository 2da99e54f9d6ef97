-- Upstream feeds (docs/upstreams.md).

-- Id prefixes reserved for local publishing (`galley prefix reserve`): no upstream ever supplies an
-- id under one, and local ids under one are marked verified (nuget.org's ID prefix reservation).
CREATE TABLE reserved_prefixes (
    prefix_lower TEXT PRIMARY KEY,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- The upstream (its configured name) a mirrored id was read through from; NULL = a local id.
-- An id is either local or mirrored, never both: local wins.
ALTER TABLE packages ADD COLUMN upstream TEXT;
-- When a mirrored version's file was fetched from its upstream.
ALTER TABLE package_versions ADD COLUMN fetched_at TEXT;
