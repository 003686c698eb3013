-- CAB meetings (SPEC §2): the regular weekly ones, planned ahead from the [cab] settings,
-- and extra ones (an ECAB) a change manager adds. The agenda is worked out from the
-- changes and the meeting's times; nothing is copied until a meeting is closed.
CREATE TABLE cab_meetings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('regular', 'extra')),
    state TEXT NOT NULL CHECK (state IN ('planned', 'open', 'closed', 'cancelled')),
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    cutoff_at TIMESTAMP NOT NULL,
    cancel_reason TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE INDEX cab_meetings_starts ON cab_meetings (starts_at);
-- One regular meeting at a time, whichever instance plans it.
CREATE UNIQUE INDEX cab_meetings_regular ON cab_meetings (starts_at) WHERE kind = 'regular';
-- Who attended a meeting, recorded when it opens.
CREATE TABLE meeting_attendees (
    meeting_id INTEGER NOT NULL REFERENCES cab_meetings (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (meeting_id, user_id)
);
-- What the CAB decided in a meeting, item by item: the minutes.
CREATE TABLE meeting_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id INTEGER NOT NULL REFERENCES cab_meetings (id),
    change_id INTEGER NOT NULL REFERENCES changes (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('approve', 'reject', 'return', 'defer')),
    comment TEXT NOT NULL,
    decided_by INTEGER NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);
CREATE INDEX meeting_decisions_meeting ON meeting_decisions (meeting_id, id);
