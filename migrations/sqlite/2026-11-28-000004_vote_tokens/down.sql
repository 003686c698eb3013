DROP TABLE vote_tokens;
