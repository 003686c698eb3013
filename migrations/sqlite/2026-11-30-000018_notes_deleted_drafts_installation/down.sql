DROP TABLE installation;
DROP TABLE deleted_changes;
DROP TABLE notes;
