-- Reminders already queued, as columns rather than a text key, so the scan for due
-- reminders is one anti-join (SPEC §7: each reminder exactly once; a new window, round or
-- cut-off re-arms it). `user_id` 0: addressed to a role, or (for `vote`) the mark that
-- the change's voters were looked at for that cut-off.
DROP TABLE reminders;
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('start', 'overdue', 'vote')),
    change_id INTEGER NOT NULL REFERENCES changes (id),
    round INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    due_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reminders_once ON reminders (kind, change_id, round, user_id, due_at);
CREATE INDEX reminders_created ON reminders (created_at);
-- What the retention purge looks up.
CREATE INDEX outbox_sent ON outbox (sent_at);
CREATE INDEX vote_tokens_expiry ON vote_tokens (expires_at);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);
