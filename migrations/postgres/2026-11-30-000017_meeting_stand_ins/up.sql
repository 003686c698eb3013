-- Who stood in for an absent member in a meeting: recorded when the meeting opens (the
-- delegations in force then), so the ballots and the minutes follow the record, not
-- whatever delegations exist when they are read.
CREATE TABLE meeting_stand_ins (
    meeting_id INTEGER NOT NULL REFERENCES cab_meetings (id),
    member_id INTEGER NOT NULL REFERENCES users (id),
    delegate_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (meeting_id, member_id)
);
