-- Galley schema, version 1. Forward-only; applied in one transaction and tracked by PRAGMA user_version.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    username         TEXT NOT NULL,
    username_lower   TEXT NOT NULL UNIQUE,
    email            TEXT NOT NULL,
    email_lower      TEXT NOT NULL UNIQUE,
    password_hash    TEXT,                 -- bcrypt; NULL for organizations
    is_admin         INTEGER NOT NULL DEFAULT 0,
    is_disabled      INTEGER NOT NULL DEFAULT 0,
    is_organization  INTEGER NOT NULL DEFAULT 0,
    email_confirmed  INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL
);

CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, -- who created it
    owner_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, -- account it acts for (user or organization)
    description    TEXT NOT NULL,
    prefix         TEXT NOT NULL,          -- shown to tell keys apart
    key_hash       BLOB NOT NULL UNIQUE,   -- HMAC-SHA256 of the secret with the server key
    scopes         TEXT NOT NULL,          -- comma-separated: push, push-version, unlist
    globs          TEXT NOT NULL DEFAULT '', -- newline-separated id patterns; empty = all packages
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT
);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE packages (
    id               INTEGER PRIMARY KEY,
    package_id       TEXT NOT NULL,        -- casing of the first push
    id_lower         TEXT NOT NULL UNIQUE,
    total_downloads  INTEGER NOT NULL DEFAULT 0,
    verified         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    -- Rendered feed documents are current when docs_rendered = docs_changes: every change bumps
    -- docs_changes in its transaction; a finished render records the count it saw. At start-up
    -- only ids left behind (a crash between commit and render) are rendered again.
    docs_changes     INTEGER NOT NULL DEFAULT 0,
    docs_rendered    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE package_owners (
    package_key  INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (package_key, user_id)
);
CREATE INDEX package_owners_user ON package_owners(user_id);

CREATE TABLE owner_invitations (
    id            INTEGER PRIMARY KEY,
    package_key   INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    invitee_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    inviter_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    token_hash    BLOB NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    UNIQUE (package_key, invitee_id)
);

-- One row per id+version ever pushed. A hard delete keeps the row (status 'deleted') so the
-- id+version can never be reused with different bytes.
CREATE TABLE package_versions (
    id                          INTEGER PRIMARY KEY,
    package_key                 INTEGER NOT NULL REFERENCES packages(id),
    version_original            TEXT NOT NULL,
    version_normalized          TEXT NOT NULL,
    version_lower               TEXT NOT NULL,   -- lowercase normalized: the identity
    version_full                TEXT NOT NULL,   -- normalized + build metadata
    is_prerelease               INTEGER NOT NULL,
    is_semver2                  INTEGER NOT NULL,
    title                       TEXT,
    authors                     TEXT NOT NULL,
    nuspec_owners               TEXT,
    description                 TEXT NOT NULL,
    summary                     TEXT,
    release_notes               TEXT,
    copyright                   TEXT,
    language                    TEXT,
    tags                        TEXT NOT NULL DEFAULT '',  -- space-separated
    project_url                 TEXT,
    icon_url                    TEXT,
    icon_file                   TEXT,
    readme_file                 TEXT,
    license_url                 TEXT,
    license_expression          TEXT,
    license_file                TEXT,
    require_license_acceptance  INTEGER NOT NULL DEFAULT 0,
    development_dependency      INTEGER NOT NULL DEFAULT 0,
    min_client_version          TEXT,
    repository_type             TEXT,
    repository_url              TEXT,
    repository_branch           TEXT,
    repository_commit           TEXT,
    package_types               TEXT NOT NULL DEFAULT '[]', -- JSON [{"name":..,"version":..}]
    framework_assemblies        TEXT NOT NULL DEFAULT '[]', -- JSON
    hash_sha512                 TEXT NOT NULL,  -- base64
    size                        INTEGER NOT NULL,
    listed                      INTEGER NOT NULL DEFAULT 1,
    status                      TEXT NOT NULL DEFAULT 'available'
                                CHECK (status IN ('validating', 'available', 'failed', 'quarantined', 'deleted')),
    status_reason               TEXT,
    downloads                   INTEGER NOT NULL DEFAULT 0,
    pushed_by                   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at                  TEXT NOT NULL,
    published_at                TEXT NOT NULL,
    last_edited_at              TEXT NOT NULL,
    UNIQUE (package_key, version_lower)
);

CREATE TABLE package_dependencies (
    version_key       INTEGER NOT NULL REFERENCES package_versions(id) ON DELETE CASCADE,
    group_index       INTEGER NOT NULL,
    target_framework  TEXT,            -- NULL = any framework
    dependency_id     TEXT,            -- NULL marks a group with no dependencies
    version_range     TEXT,            -- normalized range; NULL with dependency_id NULL
    include_assets    TEXT,
    exclude_assets    TEXT
);
CREATE INDEX package_dependencies_version ON package_dependencies(version_key);

-- Full-text search, one row per package id (rowid = packages.id), holding the text of its
-- newest available listed version. Updated in the same transaction as every change.
-- `visibility` is a bit set of which client views have a listed version (see db/search.rs), so
-- a query filters without a subquery per match.
CREATE VIRTUAL TABLE package_search USING fts5(
    package_id, id_parts, title, summary, description, tags, authors, owners, visibility UNINDEXED,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '_'",
    prefix = '2 3'
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_name   TEXT,
    ip           TEXT,
    action       TEXT NOT NULL,
    package_id   TEXT,
    version      TEXT,
    detail       TEXT
);
CREATE INDEX audit_log_package ON audit_log(package_id);
