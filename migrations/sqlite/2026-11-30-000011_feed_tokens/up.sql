-- Personal calendar feeds (SPEC §6): a secret in the feed's address, stored hashed, made
-- and revoked by its owner on the profile page.
CREATE TABLE feed_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('personal', 'all')),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX feed_tokens_user ON feed_tokens (user_id);
