-- The change list filtered by state, newest first, and its total: one index range.
CREATE INDEX changes_state_id ON changes (state, id);
