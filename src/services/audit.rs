//! Recording audit events inside a write transaction, reading a change's trail, and
//! verifying the whole chain (`endring audit verify`).

use super::{Ctx, ServiceResult};
use crate::db::audit::{self as repo, StoredEvent};
use crate::db::DbConn;
use crate::domain::audit::{Break, ChainVerifier};
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An event about to be recorded.
pub struct Event<'a> {
    pub change: Option<&'a Change>,
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub from: Option<ChangeState>,
    pub to: Option<ChangeState>,
    pub payload: serde_json::Value,
}

impl Event<'static> {
    /// An event about no change (reference data, meetings, the calendar, feeds).
    pub fn general(actor: Option<UserId>, action: &'static str, payload: serde_json::Value) -> Self {
        Event { change: None, actor, action, from: None, to: None, payload }
    }
}

/// Appends `event` to the chain; an event about a change also queues its webhook
/// deliveries, in the same transaction.
pub fn record(conn: &mut DbConn, event: Event<'_>, at: DateTime<Utc>) -> diesel::QueryResult<i64> {
    Ok(record_many(conn, std::slice::from_ref(&event), at)?[0])
}

/// Records `events` in order as `record` does each, in a few statements (an import).
pub fn record_many(
    conn: &mut DbConn,
    events: &[Event<'_>],
    at: DateTime<Utc>,
) -> diesel::QueryResult<Vec<i64>> {
    let payloads: Vec<String> = events.iter().map(|e| e.payload.to_string()).collect();
    let new: Vec<repo::NewEvent<'_>> = events
        .iter()
        .zip(&payloads)
        .map(|(event, payload)| repo::NewEvent {
            change_id: event.change.map(|c| c.id.0),
            actor_id: event.actor.map(|a| a.0),
            action: event.action,
            from_state: event.from.map(|s| s.as_str()),
            to_state: event.to.map(|s| s.as_str()),
            payload,
            at,
        })
        .collect();
    let seqs = repo::append_many(conn, &new)?;
    for (event, seq) in events.iter().zip(&seqs) {
        if let Some(change) = event.change {
            let announced = super::webhooks::Announced {
                seq: *seq,
                action: event.action,
                actor: event.actor.map(|a| a.0),
                from: event.from,
                to: event.to,
                payload: &event.payload,
                at,
            };
            super::webhooks::enqueue(conn, change, &announced)?;
        }
    }
    Ok(seqs)
}

/// An event as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub action: String,
    pub actor_id: Option<i32>,
    /// The actor's name.
    pub actor: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
    pub hash: String,
}

impl From<StoredEvent> for EventView {
    fn from(e: StoredEvent) -> Self {
        EventView {
            seq: e.seq,
            at: e.at(),
            payload: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
            action: e.action,
            actor_id: e.actor_id,
            actor: None,
            from: e.from_state,
            to: e.to_state,
            hash: e.hash,
        }
    }
}

/// Most events one change's trail returns.
const TRAIL_LIMIT: i64 = 1000;

/// A change's trail, oldest first, with the actors' names (one query for all of them).
pub fn trail(conn: &mut DbConn, change: &Change) -> ServiceResult<Vec<EventView>> {
    let mut events: Vec<EventView> =
        repo::of_change(conn, change.id.0, TRAIL_LIMIT)?.into_iter().map(EventView::from).collect();
    let mut ids: Vec<UserId> = events.iter().filter_map(|e| e.actor_id.map(UserId)).collect();
    ids.sort();
    ids.dedup();
    // Every actor by name, deactivated ones too: the trail is history.
    let names: std::collections::BTreeMap<i32, String> =
        crate::db::users::names(conn, &ids)?.into_iter().map(|(id, name)| (id.0, name)).collect();
    for event in &mut events {
        event.actor = event.actor_id.and_then(|id| names.get(&id).cloned());
    }
    Ok(events)
}

/// The result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { events: i64 },
    Broken { after: i64, reason: Break },
}

/// Streams the chain in batches and checks every link, up to the head as it was when the
/// check began (events appended meanwhile by a running service are left for next time).
pub fn verify(ctx: &Ctx) -> ServiceResult<Verification> {
    const BATCH: i64 = 5000;
    let (head_seq, head_hash) = ctx.db.query(repo::head)?;
    let mut verifier = ChainVerifier::default();
    let mut last = (0, crate::domain::audit::GENESIS_HASH.to_owned());
    while last.0 < head_seq {
        let batch = ctx.db.query(|conn| repo::batch_after(conn, last.0, BATCH.min(head_seq - last.0)))?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            if let Err(reason) = verifier.check(&event.content(), &event.prev_hash, &event.hash) {
                return Ok(Verification::Broken { after: verifier.verified(), reason });
            }
            last = (event.seq, event.hash);
        }
    }
    if last.0 != head_seq {
        let reason = Break::Gap { expected: last.0 + 1, found: head_seq };
        return Ok(Verification::Broken { after: verifier.verified(), reason });
    }
    if last.1 != head_hash {
        return Ok(Verification::Broken {
            after: verifier.verified(),
            reason: Break::WrongLink { seq: head_seq },
        });
    }
    Ok(Verification::Intact { events: verifier.verified() })
}
