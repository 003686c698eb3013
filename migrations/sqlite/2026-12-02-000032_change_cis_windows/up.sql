-- Each of a change's CIs carries the change's planned window and whether the change holds
-- it (scheduled or in implementation: `ChangeState::holds_window`), so the windows booked
-- on a CI are read from an index on the CI and the start (`change_cis_held`), a few rows,
-- instead of looking up every change the CI has ever had (fifty in the benchmark's data,
-- thousands for a core system over the years; bench/RESULTS.md, the profile of reading one
-- change). The triggers keep the copy: no writer can forget it. (SQLite runs a migration
-- in one write transaction: nothing changes between the copy and the triggers.)
ALTER TABLE change_cis ADD COLUMN planned_start TIMESTAMP;
ALTER TABLE change_cis ADD COLUMN planned_end TIMESTAMP;
ALTER TABLE change_cis ADD COLUMN holds BOOLEAN NOT NULL DEFAULT 0;

-- A change's window or whether it holds it changed (not every change of state: from
-- draft to assess, or review to closed, the copy stays as it is).
CREATE TRIGGER change_cis_window_on_save AFTER UPDATE OF state, planned_start, planned_end ON changes
WHEN (old.state IN ('scheduled', 'implement')) IS NOT (new.state IN ('scheduled', 'implement'))
    OR old.planned_start IS NOT new.planned_start OR old.planned_end IS NOT new.planned_end BEGIN
    UPDATE change_cis SET planned_start = new.planned_start, planned_end = new.planned_end,
        holds = new.state IN ('scheduled', 'implement')
    WHERE change_id = new.id;
END;

CREATE TRIGGER change_cis_window_on_link AFTER INSERT ON change_cis BEGIN
    UPDATE change_cis SET (planned_start, planned_end, holds) = (
        SELECT planned_start, planned_end, state IN ('scheduled', 'implement')
        FROM changes WHERE changes.id = new.change_id
    )
    WHERE change_id = new.change_id AND ci_id = new.ci_id;
END;

-- (A link to no change, possible only in a file whose foreign keys were broken by hand,
-- keeps the defaults.)
UPDATE change_cis SET (planned_start, planned_end, holds) = (
    SELECT planned_start, planned_end, state IN ('scheduled', 'implement')
    FROM changes WHERE changes.id = change_cis.change_id
)
WHERE EXISTS (SELECT 1 FROM changes WHERE changes.id = change_cis.change_id);

CREATE INDEX change_cis_held ON change_cis (ci_id, planned_start) WHERE holds;
