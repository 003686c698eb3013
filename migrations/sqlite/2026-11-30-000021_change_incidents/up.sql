-- Service-desk records a change refers to: incidents or problems it was raised from, and
-- incidents it caused. `incident` is the desk's id as its tool writes it (`INC-20431`),
-- kept upper-case so one id is one key; found by it through its own index.
CREATE TABLE change_incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes (id),
    incident TEXT NOT NULL,
    relation TEXT NOT NULL CHECK (relation IN ('raised_from', 'caused')),
    added_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (change_id, relation, incident)
);
CREATE INDEX change_incidents_incident ON change_incidents (incident);
CREATE INDEX change_incidents_caused ON change_incidents (relation, change_id);
