-- The audit trail is append-only in the database itself: a statement that would change
-- or remove an event is refused, whoever sends it. (Someone who drops these triggers can
-- still alter rows; `endring audit verify` finds that by the hash chain.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
