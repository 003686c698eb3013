DROP TRIGGER change_cis_window_on_link ON change_cis;
DROP FUNCTION change_cis_window_on_link();
DROP TRIGGER change_cis_window_on_save ON changes;
DROP FUNCTION change_cis_window_on_save();
DROP INDEX change_cis_held;
ALTER TABLE change_cis DROP COLUMN holds, DROP COLUMN planned_end, DROP COLUMN planned_start;
