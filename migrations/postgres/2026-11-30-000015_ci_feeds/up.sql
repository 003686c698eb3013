-- Calendar feeds of one CI (SPEC §6), and the personal feed's changes one voted on (as a
-- member or for one as their delegate).
ALTER TABLE feed_tokens DROP CONSTRAINT feed_tokens_scope_check;
ALTER TABLE feed_tokens ADD CONSTRAINT feed_tokens_scope_check CHECK (scope IN ('personal', 'all', 'ci'));
ALTER TABLE feed_tokens ADD COLUMN ci_id INTEGER REFERENCES cis (id);
ALTER TABLE feed_tokens ADD CONSTRAINT feed_tokens_ci CHECK ((scope = 'ci') = (ci_id IS NOT NULL));
CREATE INDEX votes_voter ON votes (voter_id, change_id);
CREATE INDEX votes_cast_by ON votes (cast_by_id, change_id);
