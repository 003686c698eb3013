ALTER TABLE vote_tokens DROP COLUMN for_id;
ALTER TABLE votes DROP COLUMN cast_by_id;
DROP TABLE delegations;
