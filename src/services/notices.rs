//! Which notices a transition produces (SPEC §7), written to the outbox in the same
//! transaction as the event. Delivery and templates belong to the mail worker.

use crate::authz::{Authz, Object, Permission};
use crate::db::outbox::{self, NewNotice};
use crate::db::{users, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Queues a notice of `kind` about `change` for each of `recipients`.
pub fn queue(
    conn: &mut DbConn,
    kind: &str,
    change: &Change,
    recipients: &[Caller],
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let payload = facts(change, comment).to_string();
    insert_for(conn, kind, change, &payload, recipients, now)
}

/// Queues a notice of `kind` about `change` to the delegate of `principal`, saying whom
/// it is for (a delegate's vote links vote for the principal).
pub fn queue_for_delegate(
    conn: &mut DbConn,
    kind: &str,
    change: &Change,
    principal: &Caller,
    delegate: &Caller,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let mut payload = facts(change, None);
    payload["on_behalf_of"] = json!({ "id": principal.id, "name": principal.name });
    insert_for(conn, kind, change, &payload.to_string(), std::slice::from_ref(delegate), now)
}

/// Queues the notice that blackout `title` (`starts_at`–`ends_at`) now covers `change`'s
/// booked window.
pub fn queue_blackout(
    conn: &mut DbConn,
    change: &Change,
    recipients: &[Caller],
    (title, starts_at, ends_at): (&str, DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let mut payload = facts(change, None);
    payload["blackout"] = json!({ "title": title, "starts_at": starts_at, "ends_at": ends_at });
    insert_for(conn, "blackout_covers", change, &payload.to_string(), recipients, now)
}

fn facts(change: &Change, comment: Option<&str>) -> serde_json::Value {
    json!({
        "ref": change.id.reference(),
        "title": change.title,
        "to": change.state,
        "risk_level": change.risk.level,
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "comment": comment,
        // Calendar invitations raise SEQUENCE with every update; the version only grows.
        "version": change.version,
        "round": change.decision_round,
    })
}

fn insert_for(
    conn: &mut DbConn,
    kind: &str,
    change: &Change,
    payload: &str,
    recipients: &[Caller],
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let notices: Vec<NewNotice> = addressed(kind, change, payload, recipients).collect();
    outbox::insert_many(conn, &notices, now)
}

/// One notice of `kind` about `change` with `payload` per recipient.
fn addressed<'a>(
    kind: &'a str,
    change: &'a Change,
    payload: &'a str,
    recipients: &'a [Caller],
) -> impl Iterator<Item = NewNotice<'a>> {
    recipients.iter().map(move |person| NewNotice {
        kind,
        change_id: Some(change.id.0),
        recipient_id: Some(person.id.0),
        recipient_email: &person.email,
        payload,
    })
}

/// Queues a notice of `kind` about each of `changes` (with its comment) for each of
/// `recipients`, in as few inserts as the batch size allows.
pub fn queue_each(
    conn: &mut DbConn,
    kind: &str,
    changes: &[(&Change, Option<&str>)],
    recipients: &[Caller],
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let payloads: Vec<String> =
        changes.iter().map(|(change, comment)| facts(change, *comment).to_string()).collect();
    let notices: Vec<NewNotice> = changes
        .iter()
        .zip(&payloads)
        .flat_map(|((change, _), payload)| addressed(kind, change, payload, recipients))
        .collect();
    outbox::insert_many(conn, &notices, now)
}

/// Queues the notices that moving `change` from `from` to its current state announces.
pub fn for_transition(
    conn: &mut DbConn,
    authz: &Authz,
    change: &Change,
    from: ChangeState,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    use ChangeState::*;
    let to = change.state;
    let send = |conn: &mut DbConn, kind: &str, recipients: &[Caller]| {
        queue(conn, kind, change, recipients, comment, now)
    };
    match (from, to) {
        (Draft, Assess) => {
            let assessors = super::who_may(conn, authz, Permission::Assess, &Object::change(change))?;
            send(conn, "submitted", &assessors)?;
        }
        (Draft | Assess, Authorize) => {
            let voters = eligible_voters(conn, authz, change)?;
            send(conn, "authorize_request", &voters)?;
            // During a delegation the delegate receives the member's vote emails too.
            let object = Object::change(change);
            for (principal, delegate) in super::delegations::delegates_of(conn, &voters, now)? {
                if authz.allows(&delegate, Permission::VoteFor, &object) {
                    queue_for_delegate(conn, "authorize_request", change, &principal, &delegate, now)?;
                }
            }
        }
        _ => {}
    }
    // One event, one email per person: an approval that schedules is one "approved"
    // email with the invitation, not a decision and a scheduling.
    let kind = match (from, to) {
        (Authorize, Scheduled) => Some("approved"),
        (Authorize, Rejected) | (Assess | Authorize, Draft) => Some("decided"),
        (Scheduled, Scheduled) => Some("rescheduled"),
        (Implement, _) => None,
        (_, Scheduled) => Some("scheduled"),
        _ => None,
    };
    if let Some(kind) = kind {
        let people = requester_and_implementer(conn, change)?;
        send(conn, kind, &people)?;
    }
    if from == Scheduled && to == Cancelled {
        let people = requester_and_implementer(conn, change)?;
        send(conn, "cancelled", &people)?;
    }
    Ok(())
}

/// CAB members and change managers the policy lets vote on `change`.
pub fn eligible_voters(
    conn: &mut DbConn,
    authz: &Authz,
    change: &Change,
) -> diesel::QueryResult<Vec<Caller>> {
    super::who_may(conn, authz, Permission::Vote, &Object::change(change))
}

pub(crate) fn requester_and_implementer(
    conn: &mut DbConn,
    change: &Change,
) -> diesel::QueryResult<Vec<Caller>> {
    let mut ids: Vec<UserId> = vec![change.requester_id];
    ids.extend(change.implementer_id.filter(|i| *i != change.requester_id));
    users::callers(conn, &ids)
}
