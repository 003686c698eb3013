-- When a change last entered `authorize` (approval times are measured from it), and the
-- indexes the period reports filter on.
ALTER TABLE changes ADD COLUMN authorized_at TIMESTAMP;
CREATE INDEX changes_created_at ON changes (created_at);
CREATE INDEX changes_decided_at ON changes (decided_at);
CREATE INDEX changes_actual_end ON changes (actual_end);
CREATE INDEX votes_created_at ON votes (created_at);
