-- Reminders already queued: the key names the reminder and what it was about (a change's
-- window, a round and voter), so each is queued exactly once and a new window re-arms it.
CREATE TABLE reminders (
    key TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);
