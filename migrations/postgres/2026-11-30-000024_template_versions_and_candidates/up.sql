-- Standard change templates are versioned: the templates row holds the current version
-- (what new changes use); template_versions keeps every version as it was, and a change
-- names the version it was made from (old changes keep theirs).
ALTER TABLE templates ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE changes ADD COLUMN template_version INTEGER;
UPDATE changes SET template_version = 1 WHERE template_id IS NOT NULL;
CREATE TABLE template_versions (
    template_id INTEGER NOT NULL REFERENCES templates (id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    implementation_plan TEXT NOT NULL,
    backout_plan TEXT NOT NULL,
    test_plan TEXT NOT NULL,
    max_duration_minutes INTEGER NOT NULL,
    -- the version's CIs, ids in ascending order, comma-separated
    ci_ids TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (template_id, version)
);
INSERT INTO template_versions
SELECT t.id, 1, t.name, t.description, t.implementation_plan, t.backout_plan, t.test_plan,
       t.max_duration_minutes, COALESCE((SELECT string_agg(ci_id::text, ',' ORDER BY ci_id) FROM template_cis WHERE template_id = t.id), ''), t.created_by, t.created_at
FROM templates t;

-- What change managers decided about candidate standard templates found in history: each
-- change of the evidence, accepted (with the template made from it) or dismissed. A series
-- holding a decided change is not proposed again.
CREATE TABLE candidate_decisions (
    change_id INTEGER PRIMARY KEY REFERENCES changes (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'dismissed')),
    template_id INTEGER REFERENCES templates (id),
    decided_by INTEGER NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);

-- Which change a copy was made from, and the first change of that line (its source):
-- repeats of one job made by "copy into a new draft" are one series whatever their titles.
-- Copies made before are read back from their creation events.
CREATE TABLE change_copies (
    change_id INTEGER PRIMARY KEY REFERENCES changes (id),
    original_id INTEGER NOT NULL REFERENCES changes (id),
    source_id INTEGER NOT NULL REFERENCES changes (id)
);
WITH RECURSIVE copies (change_id, original_id) AS (
    SELECT e.change_id, ((e.payload::json -> 'copied_from' ->> 'id')::integer)
    FROM audit_events e
    WHERE e.action = 'create' AND e.change_id IS NOT NULL AND (e.payload::json -> 'copied_from' ->> 'id') IS NOT NULL
), line (change_id, original_id, source_id) AS (
    -- the first copies of a line, whose original is no copy, then the copies of copies
    SELECT c.change_id, c.original_id, c.original_id FROM copies c
    WHERE c.original_id NOT IN (SELECT change_id FROM copies)
    UNION ALL
    SELECT c.change_id, c.original_id, line.source_id FROM copies c JOIN line ON c.original_id = line.change_id
)
INSERT INTO change_copies (change_id, original_id, source_id)
SELECT change_id, original_id, source_id FROM line;

-- The detection of candidates reads the normal changes that ended in the last year: this
-- finds them without walking every normal change.
CREATE INDEX changes_type_ended ON changes (change_type, actual_end);
