-- Calendar feeds of one CI (SPEC §6), and the personal feed's changes one voted on (as a
-- member or for one as their delegate). SQLite cannot change a CHECK: the table is made
-- again with its rows.
CREATE TABLE feed_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('personal', 'all', 'ci')),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ci_id INTEGER REFERENCES cis (id),
    CHECK ((scope = 'ci') = (ci_id IS NOT NULL))
);
INSERT INTO feed_tokens_new (id, user_id, token_hash, scope, name, created_at)
    SELECT id, user_id, token_hash, scope, name, created_at FROM feed_tokens;
DROP TABLE feed_tokens;
ALTER TABLE feed_tokens_new RENAME TO feed_tokens;
CREATE INDEX feed_tokens_user ON feed_tokens (user_id);
CREATE INDEX votes_voter ON votes (voter_id, change_id);
CREATE INDEX votes_cast_by ON votes (cast_by_id, change_id);
