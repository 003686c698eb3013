-- The full-text index is rewritten when a change's title or description is, not on every
-- save: `db::changes::save` sets every column, so `UPDATE OF title, description` fired on
-- each state change, vote and decision, deleting and re-inserting the document in the
-- FTS5 index under the write lock (bench/RESULTS.md, the vote's profile).
DROP TRIGGER changes_fts_update;
CREATE TRIGGER changes_fts_update AFTER UPDATE OF title, description ON changes
WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
    INSERT INTO changes_fts (changes_fts, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO changes_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
