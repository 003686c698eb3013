DROP INDEX changes_risk;
DROP TRIGGER changes_fts_update;
DROP TRIGGER changes_fts_delete;
DROP TRIGGER changes_fts_insert;
DROP TABLE changes_fts;
