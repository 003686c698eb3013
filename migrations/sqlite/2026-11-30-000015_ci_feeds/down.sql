DROP INDEX votes_cast_by;
DROP INDEX votes_voter;
DELETE FROM feed_tokens WHERE scope = 'ci';
CREATE TABLE feed_tokens_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('personal', 'all')),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO feed_tokens_old SELECT id, user_id, token_hash, scope, name, created_at FROM feed_tokens;
DROP TABLE feed_tokens;
ALTER TABLE feed_tokens_old RENAME TO feed_tokens;
CREATE INDEX feed_tokens_user ON feed_tokens (user_id);
