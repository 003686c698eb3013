-- SQLite's full-text trigger now fires only when the text changes. PostgreSQL's GIN index
-- is an expression index, kept by the server on each new row version: nothing to change.
SELECT 1;
