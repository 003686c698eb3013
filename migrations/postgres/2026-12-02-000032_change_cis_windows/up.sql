-- Each of a change's CIs carries the change's planned window and whether the change holds
-- it (scheduled or in implementation: `ChangeState::holds_window`), so the windows booked
-- on a CI are read from an index on the CI and the start (`change_cis_held`), a few rows,
-- instead of looking up every change the CI has ever had (fifty in the benchmark's data,
-- thousands for a core system over the years; bench/RESULTS.md, the profile of reading one
-- change). The triggers keep the copy: no writer can forget it.
--
-- Another instance may still be serving while this one migrates: no change is written
-- between the copy below and the triggers (the lock lasts until the migration commits),
-- or its copy would stay as it was.
LOCK TABLE changes, change_cis IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE change_cis
    ADD COLUMN planned_start TIMESTAMP,
    ADD COLUMN planned_end TIMESTAMP,
    ADD COLUMN holds BOOLEAN NOT NULL DEFAULT FALSE;

CREATE FUNCTION change_cis_window_on_save() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_cis SET planned_start = NEW.planned_start, planned_end = NEW.planned_end,
        holds = NEW.state IN ('scheduled', 'implement')
    WHERE change_id = NEW.id;
    RETURN NULL;
END
$$;

-- A change's window or whether it holds it changed (not every change of state: from
-- draft to assess, or review to closed, the copy stays as it is).
CREATE TRIGGER change_cis_window_on_save AFTER UPDATE OF state, planned_start, planned_end ON changes
FOR EACH ROW WHEN ((OLD.state IN ('scheduled', 'implement')) IS DISTINCT FROM (NEW.state IN ('scheduled', 'implement'))
    OR OLD.planned_start IS DISTINCT FROM NEW.planned_start OR OLD.planned_end IS DISTINCT FROM NEW.planned_end)
EXECUTE FUNCTION change_cis_window_on_save();

CREATE FUNCTION change_cis_window_on_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT planned_start, planned_end, state IN ('scheduled', 'implement')
    INTO NEW.planned_start, NEW.planned_end, NEW.holds
    FROM changes WHERE id = NEW.change_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER change_cis_window_on_link BEFORE INSERT ON change_cis
FOR EACH ROW EXECUTE FUNCTION change_cis_window_on_link();

UPDATE change_cis SET planned_start = c.planned_start, planned_end = c.planned_end,
    holds = c.state IN ('scheduled', 'implement')
FROM changes c WHERE c.id = change_cis.change_id;

CREATE INDEX change_cis_held ON change_cis (ci_id, planned_start) WHERE holds;
