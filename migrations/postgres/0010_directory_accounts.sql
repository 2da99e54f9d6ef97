-- PostgreSQL dialect of ../0010_directory_accounts.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- Accounts a directory manages ([ldap]): the entry's DN. An account without a row here is a local
-- account, and directory sign-in never takes it over (docs/sign-in.md).
CREATE TABLE directory_accounts (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    dn         TEXT NOT NULL,
    synced_at  TEXT NOT NULL   -- the last sign-in or ldap-sync run that read the entry
);

-- Organization memberships a [[group_mapping]] gave. Only these follow the groups; a membership
-- added by hand has no row here and is never changed by a mapping. Removing the membership (by
-- hand or by a mapping) removes the row with it.
CREATE TABLE mapped_memberships (
    org_id   BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES org_members(org_id, user_id) ON DELETE CASCADE
);
