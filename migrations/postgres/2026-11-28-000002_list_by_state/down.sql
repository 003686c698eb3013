DROP INDEX changes_state_id;
