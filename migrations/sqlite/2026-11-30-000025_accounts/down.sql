ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users DROP COLUMN deactivated_at;
DROP INDEX users_oidc_subject;
ALTER TABLE users DROP COLUMN oidc_subject;
DROP TABLE password_resets;
DROP TABLE sessions;
