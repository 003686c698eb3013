DROP INDEX votes_created_at;
DROP INDEX changes_actual_end;
DROP INDEX changes_decided_at;
DROP INDEX changes_created_at;
ALTER TABLE changes DROP COLUMN authorized_at;
