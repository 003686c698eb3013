DROP TRIGGER change_cis_window_on_link;
DROP TRIGGER change_cis_window_on_save;
DROP INDEX change_cis_held;
ALTER TABLE change_cis DROP COLUMN holds;
ALTER TABLE change_cis DROP COLUMN planned_end;
ALTER TABLE change_cis DROP COLUMN planned_start;
