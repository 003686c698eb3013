-- Raised when a user's password changes: web sessions signed in under an earlier epoch
-- end at their next request.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
