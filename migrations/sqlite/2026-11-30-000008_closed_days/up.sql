-- Days the IT unit is closed beyond weekends and public holidays (which are computed),
-- e.g. the municipality's Christmas closure: not working days for the cut-off and for
-- the short-notice risk factor. `day` is the local date, YYYY-MM-DD.
CREATE TABLE closed_days (
    day TEXT PRIMARY KEY CHECK (length(day) = 10),
    name TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
