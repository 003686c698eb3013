-- Full-text search of titles and descriptions: an FTS5 index over `changes` (external
-- content, kept by triggers). unicode61 without removing diacritics, so "blåbær" and
-- "blabar" stay different words, as in PostgreSQL's index.
CREATE VIRTUAL TABLE changes_fts USING fts5 (
    title, description,
    content = 'changes', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO changes_fts (changes_fts) VALUES ('rebuild');
CREATE TRIGGER changes_fts_insert AFTER INSERT ON changes BEGIN
    INSERT INTO changes_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER changes_fts_delete AFTER DELETE ON changes BEGIN
    INSERT INTO changes_fts (changes_fts, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER changes_fts_update AFTER UPDATE OF title, description ON changes BEGIN
    INSERT INTO changes_fts (changes_fts, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO changes_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
-- The list sorted by risk.
CREATE INDEX changes_risk ON changes (risk_score, id);
