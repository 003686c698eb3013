-- Web sessions live in the database (the cookie carries only a random token whose
-- SHA-256 is stored here), so signing out, "sign out everywhere", a password reset and
-- deactivation end every copy of a cookie at once, on every instance.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    -- touched at most once a minute
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('password', 'oidc')),
    -- the identity provider's ID token, sent back as id_token_hint when signing out there
    id_token TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);
-- the purge of expired sessions
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Password reset links: single use, time-limited, stored hashed.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    -- the admin who sent it; NULL when the user asked
    sent_by INTEGER REFERENCES users (id)
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
CREATE INDEX password_resets_expires ON password_resets (expires_at);

-- The identity provider's subject (issuer and sub) of a user who signed in with it.
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject);
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
-- Sessions in the database replace the epoch a cookie carried.
ALTER TABLE users DROP COLUMN session_epoch;
