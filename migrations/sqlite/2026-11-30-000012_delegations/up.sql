-- Delegation (SPEC §5): a CAB member or change manager names a delegate for a date range;
-- during it the delegate receives the member's vote emails and may vote for them. The
-- range is stored as instants (the first day's start, the day after the last, in the
-- service's zone), so an expired delegation stops at once.
CREATE TABLE delegations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    principal_id INTEGER NOT NULL REFERENCES users (id),
    delegate_id INTEGER NOT NULL REFERENCES users (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    CHECK (principal_id <> delegate_id),
    CHECK (starts_at < ends_at)
);
CREATE INDEX delegations_delegate ON delegations (delegate_id, ends_at);
CREATE INDEX delegations_principal ON delegations (principal_id, ends_at);

-- A vote a delegate cast: the ballot is the principal's (voter_id), cast by the delegate.
ALTER TABLE votes ADD COLUMN cast_by_id INTEGER REFERENCES users (id);
-- A vote link sent to a delegate: its voter is the delegate, it votes for this principal.
ALTER TABLE vote_tokens ADD COLUMN for_id INTEGER REFERENCES users (id);
