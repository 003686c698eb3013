-- System messages (driftsmeldinger) for employees: one per change that affects users
-- (its status follows the change), or a disruption the service desk reports (no change).
-- A message is shown once published, and until 30 days after it closed; the public page
-- finds those through system_messages_shown (open ones have closed_at NULL).
CREATE TABLE system_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER UNIQUE REFERENCES changes (id),
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'completed', 'rolled_back', 'withdrawn', 'ongoing', 'resolved')),
    title_nb TEXT NOT NULL,
    body_nb TEXT NOT NULL,
    title_en TEXT,
    body_en TEXT,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    published_at TIMESTAMP,
    closed_at TIMESTAMP,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX system_messages_shown ON system_messages (closed_at);

-- What happened since: each status the message took (author NULL: it followed its
-- change) and each update someone posted.
CREATE TABLE system_message_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES system_messages (id),
    status TEXT NOT NULL,
    text_nb TEXT NOT NULL,
    text_en TEXT,
    author_id INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX system_message_updates_message ON system_message_updates (message_id, id);
