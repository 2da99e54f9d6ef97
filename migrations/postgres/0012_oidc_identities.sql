-- PostgreSQL dialect of ../0012_oidc_identities.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- OpenID Connect sign-in (issue #20): which provider account belongs to which Galley account,
-- and the sign-ins under way.

-- A provider's stable subject (`sub`) linked to an account. Only this pair identifies a person:
-- never the email address, which a provider may let its users change.
CREATE TABLE oidc_identities (
    provider        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    linked_at       TEXT NOT NULL,
    last_sign_in_at TEXT,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities(user_id);

-- Sign-ins sent to a provider and not yet back: the state (stored as a SHA-256, it is the key the
-- callback presents), the browser it was started in (a SHA-256 of its pre-session cookie), the
-- nonce and PKCE verifier to check the answer with, and where to go afterwards. Single use: the
-- callback deletes the row before anything else. `link_user_id` is set when a signed-in account
-- asked to link this provider.
CREATE TABLE oidc_logins (
    state_hash     BYTEA PRIMARY KEY,
    provider       TEXT NOT NULL,
    browser_hash   BYTEA NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    return_url     TEXT NOT NULL,
    link_user_id   BIGINT REFERENCES users(id) ON DELETE CASCADE,
    expires_at     TEXT NOT NULL
);
