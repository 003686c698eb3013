-- The CAB meeting settings as saved on the admin page; they take precedence over `[cab]`
-- in the config file. One row at most.
CREATE TABLE cab_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    meeting_day TEXT NOT NULL,
    meeting_time TEXT NOT NULL,
    cutoff_time TEXT NOT NULL,
    on_holiday TEXT NOT NULL,
    zone TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
