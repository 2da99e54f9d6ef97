-- Galley schema, version 2: sessions, emailed tokens, organizations, support requests, mail log.

-- Signed-in browsers and scripts. Only a SHA-256 of the cookie's random token is stored, so a
-- copy of the database cannot be replayed as a session.
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ip          TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Single-use tokens sent by email: confirming an address (at registration or on a change of
-- address, then `email` is the new one) and resetting a password. Stored as a SHA-256.
CREATE TABLE email_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('confirm-email', 'reset-password')),
    token_hash  BLOB NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX email_tokens_user ON email_tokens(user_id);

-- Members of organization accounts (users.is_organization = 1).
CREATE TABLE org_members (
    org_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('admin', 'collaborator')),
    added_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);

-- Explicitly selected package ids of an API key (newline-separated), beside its glob patterns.
ALTER TABLE api_keys ADD COLUMN package_ids TEXT NOT NULL DEFAULT '';
CREATE INDEX api_keys_owner ON api_keys(owner_id);

-- Requests filed through /contact (ownership recovery and other questions for the admins).
CREATE TABLE support_requests (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    package_id     TEXT,
    message        TEXT NOT NULL,
    contact_email  TEXT NOT NULL,
    username       TEXT,                 -- account the requester names (or is signed in as)
    requester_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    ip             TEXT,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at     TEXT NOT NULL,
    closed_at      TEXT,
    closed_by      TEXT,
    resolution     TEXT
);
CREATE INDEX support_requests_status ON support_requests(status);

-- Every message handed to the mailer and what became of it, so a failed send is visible to
-- admins instead of being lost in a log. Bodies are not kept: they carry single-use links.
CREATE TABLE mail_log (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    error       TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);

CREATE INDEX audit_log_actor ON audit_log(actor_id);
