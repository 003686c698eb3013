-- When a meeting's agenda (with its calendar invitation) went out to the members, at the
-- cut-off: each agenda is sent once, whichever instance's worker finds it due.
ALTER TABLE cab_meetings ADD COLUMN agenda_sent_at TIMESTAMP;
CREATE INDEX cab_meetings_agenda_due ON cab_meetings (cutoff_at) WHERE agenda_sent_at IS NULL;
