DROP INDEX changes_type_ended;
DROP TABLE change_copies;
DROP TABLE candidate_decisions;
DROP TABLE template_versions;
ALTER TABLE changes DROP COLUMN template_version;
ALTER TABLE templates DROP COLUMN version;
