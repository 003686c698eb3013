-- Windows longer than a day, apart: what overlaps a period is read as the windows that
-- began at most a day before it (on `changes_state_start`) and these (`db::changes::
-- overlapping`), instead of every window that began in the month before it. The
-- condition is written as the queries write it (`long_window`).
CREATE INDEX changes_long_windows ON changes (state, planned_start)
WHERE julianday(planned_end) - julianday(planned_start) > 1;
