DROP INDEX api_tokens_expiry;
DROP INDEX vote_tokens_expiry;
DROP INDEX outbox_sent;
DROP TABLE reminders;
CREATE TABLE reminders (
    key TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);
