DROP TABLE deleted_changes;
DROP TABLE notes;
