-- Maintenance windows (SPEC §2): weekly periods in a time zone in which a CI's changes
-- should run. Times are local `HH:MM`; an end at or before the start runs past midnight.
CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ci_id INTEGER NOT NULL REFERENCES cis (id),
    weekday TEXT NOT NULL CHECK (weekday IN ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')),
    starts TEXT NOT NULL CHECK (length(starts) = 5),
    ends TEXT NOT NULL CHECK (length(ends) = 5),
    zone TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX maintenance_windows_ci ON maintenance_windows (ci_id);
