DROP INDEX votes_cast_by;
DROP INDEX votes_voter;
DELETE FROM feed_tokens WHERE scope = 'ci';
ALTER TABLE feed_tokens DROP CONSTRAINT feed_tokens_ci;
ALTER TABLE feed_tokens DROP COLUMN ci_id;
ALTER TABLE feed_tokens DROP CONSTRAINT feed_tokens_scope_check;
ALTER TABLE feed_tokens ADD CONSTRAINT feed_tokens_scope_check CHECK (scope IN ('personal', 'all'));
