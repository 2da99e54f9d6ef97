-- Two-factor authentication (TOTP, RFC 6238) of local accounts.
--
-- One row per account that started enrolment; `enabled_at` stays NULL until a code from the
-- authenticator app confirmed the secret, and only then does sign-in ask for a code.
-- `last_step` is the highest 30-second step whose code was accepted: a code is accepted once,
-- so a code seen over a shoulder or in a log cannot be replayed inside its window.
CREATE TABLE two_factor (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     BLOB NOT NULL,
    created_at TEXT NOT NULL,
    enabled_at TEXT,
    last_step  INTEGER NOT NULL DEFAULT 0
);

-- One-time recovery codes, shown once at enrolment; stored as SHA-256 (they are random and long
-- enough that a fast hash is no weakness), each usable once.
CREATE TABLE two_factor_recovery (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL UNIQUE,
    used_at   TEXT
);
CREATE INDEX two_factor_recovery_user ON two_factor_recovery(user_id);

-- A browser half-way through signing in: the password was right, the code is still to come.
-- The cookie holds the token; only its hash is stored, and it lives a few minutes.
CREATE TABLE two_factor_pending (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    ip         TEXT
);
