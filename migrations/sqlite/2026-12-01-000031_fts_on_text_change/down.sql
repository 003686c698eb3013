DROP TRIGGER changes_fts_update;
CREATE TRIGGER changes_fts_update AFTER UPDATE OF title, description ON changes BEGIN
    INSERT INTO changes_fts (changes_fts, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO changes_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
