-- Deprecation of a version by its owners (nuget.org's reasons, message and alternate package).
-- One row per deprecated version; removing the deprecation deletes the row.
CREATE TABLE deprecations (
    version_key     INTEGER PRIMARY KEY REFERENCES package_versions(id) ON DELETE CASCADE,
    -- Comma-separated wire names: Legacy, CriticalBugs, Other.
    reasons         TEXT NOT NULL,
    message         TEXT,
    alternate_id    TEXT,
    -- Normalized range of the alternate; NULL means any version ("*").
    alternate_range TEXT,
    deprecated_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    deprecated_at   TEXT NOT NULL
);

-- Security advisories recorded by administrators, by package id (which need not exist yet: an
-- advisory may be recorded before the package is pushed or mirrored).
CREATE TABLE advisories (
    id            INTEGER PRIMARY KEY,
    package_id    TEXT NOT NULL,
    id_lower      TEXT NOT NULL,
    version_range TEXT NOT NULL,
    -- nuget.org's numbers: 0 low, 1 moderate, 2 high, 3 critical.
    severity      INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),
    url           TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (id_lower, version_range, url)
);
CREATE INDEX advisories_by_id ON advisories (id_lower);

-- When the advisories last changed (an advisory added or removed): the vulnerability index's
-- `@updated`, which tells clients to fetch the pages again.
CREATE TABLE advisories_changed (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    updated_at TEXT NOT NULL
);
INSERT INTO advisories_changed (id, updated_at) VALUES (1, '2000-01-01T00:00:00.000Z');
