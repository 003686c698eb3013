-- Files attached to a change (test reports, vendor notes), stored in the database so every
-- instance serves them. The list reads `attachments` alone; the bytes are in their own
-- table, read only when the file is downloaded.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes (id),
    uploader_id INTEGER NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_change ON attachments (change_id, id);
CREATE TABLE attachment_contents (
    attachment_id INTEGER PRIMARY KEY REFERENCES attachments (id),
    content BLOB NOT NULL
);
