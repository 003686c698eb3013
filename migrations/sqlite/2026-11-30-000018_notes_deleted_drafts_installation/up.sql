-- Work notes on a change: anyone who may read it may add one; each is also an audit event.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notes_change ON notes (change_id, id);

-- A requester's draft that was never submitted, deleted: the change row stays (its trail
-- points at it) but is never found, listed or counted again.
CREATE TABLE deleted_changes (
    change_id INTEGER PRIMARY KEY REFERENCES changes (id),
    deleted_at TIMESTAMP NOT NULL
);

-- This installation's id, made once: the Message-IDs and calendar UIDs it sends carry it,
-- so two installations on one host never collide in a mailbox or a calendar. An
-- installation upgraded with changes already in it keeps the empty id (UIDs under the host
-- alone, as before), so the invitations in people's calendars still update and cancel.
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    instance_id TEXT NOT NULL
);
INSERT INTO installation (id, instance_id)
VALUES (1, CASE WHEN EXISTS (SELECT 1 FROM changes) THEN '' ELSE lower(hex(randomblob(8))) END);
