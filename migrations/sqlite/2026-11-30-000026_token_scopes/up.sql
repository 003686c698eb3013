-- API tokens made by their users: a name, scopes (what the token may do, within its
-- user's roles), and when it was last used. Tokens made before (from a password) keep
-- every scope.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write gate incidents';
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
