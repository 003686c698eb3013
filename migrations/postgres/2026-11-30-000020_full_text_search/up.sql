-- Full-text search of titles and descriptions: a GIN index on their words (the 'simple'
-- configuration: lower-cased, no stemming, for Bokmål and English alike), punctuation
-- (ASCII, Latin-1, the general punctuation block) read as spaces as SQLite's FTS5 tokenizer reads it. `db::changes` queries
-- this very expression (pg_document), so the planner uses the index.
CREATE INDEX changes_fulltext ON changes USING GIN (
    to_tsvector('simple', regexp_replace(title || ' ' || description, '[!-/:-@[-`{-~\u00a0-\u00bf\u2000-\u206f]+', ' ', 'g'))
);
-- The list sorted by risk.
CREATE INDEX changes_risk ON changes (risk_score, id);
