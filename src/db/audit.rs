//! The audit trail: the chain head, appending events and reading them back.

use super::changes::{to_naive, to_utc};
use super::schema::{audit_events, audit_head};
use super::DbConn;
use crate::domain::audit::EventContent;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// Takes the writers' lock: the first statement of every write transaction.
pub fn lock_head(conn: &mut DbConn) -> QueryResult<()> {
    diesel::update(audit_head::table.find(1))
        .set(audit_head::touched_at.eq(audit_head::touched_at))
        .execute(conn)?;
    Ok(())
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct StoredEvent {
    pub seq: i64,
    pub change_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    pub fn content(&self) -> EventContent<'_> {
        EventContent {
            seq: self.seq,
            change_id: self.change_id,
            actor_id: self.actor_id,
            action: &self.action,
            from_state: self.from_state.as_deref(),
            to_state: self.to_state.as_deref(),
            payload: &self.payload,
            created_at: to_utc(self.created_at),
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        to_utc(self.created_at)
    }
}

/// An event to append; the chain assigns its sequence number and hashes.
pub struct NewEvent<'a> {
    pub change_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    /// Canonical JSON, stored exactly as hashed.
    pub payload: &'a str,
    pub at: DateTime<Utc>,
}

/// Appends an event at the head of the chain. Must run inside `Db::write`, which holds
/// the head row locked.
pub fn append(conn: &mut DbConn, event: &NewEvent<'_>) -> QueryResult<i64> {
    Ok(append_many(conn, std::slice::from_ref(event))?[0])
}

/// Rows one insert statement carries (10 parameters each, inside SQLite's limit).
const APPEND_BATCH: usize = 1000;

/// Appends `events` in order at the head of the chain, each linked to the one before, in
/// as few statements as the batch size allows (an import's thousands are a few inserts,
/// not a round trip each); their sequence numbers. Must run inside `Db::write`.
pub fn append_many(conn: &mut DbConn, events: &[NewEvent<'_>]) -> QueryResult<Vec<i64>> {
    let (mut seq, mut prev_hash): (i64, String) =
        audit_head::table.find(1).select((audit_head::last_seq, audit_head::last_hash)).first(conn)?;
    let mut seqs = Vec::with_capacity(events.len());
    let mut last_at = None;
    for batch in events.chunks(APPEND_BATCH) {
        let mut rows = Vec::with_capacity(batch.len());
        for event in batch {
            seq += 1;
            let content = EventContent {
                seq,
                change_id: event.change_id,
                actor_id: event.actor_id,
                action: event.action,
                from_state: event.from_state,
                to_state: event.to_state,
                payload: event.payload,
                created_at: event.at,
            };
            let hash = content.hash(&prev_hash);
            rows.push((
                audit_events::seq.eq(seq),
                audit_events::change_id.eq(event.change_id),
                audit_events::actor_id.eq(event.actor_id),
                audit_events::action.eq(event.action),
                audit_events::from_state.eq(event.from_state),
                audit_events::to_state.eq(event.to_state),
                audit_events::payload.eq(event.payload),
                audit_events::created_at.eq(to_naive(event.at)),
                audit_events::prev_hash.eq(std::mem::replace(&mut prev_hash, hash.clone())),
                audit_events::hash.eq(hash),
            ));
            seqs.push(seq);
            last_at = Some(event.at);
        }
        match conn {
            DbConn::Sqlite(conn) => diesel::insert_into(audit_events::table).values(rows).execute(conn)?,
            DbConn::Pg(conn) => diesel::insert_into(audit_events::table).values(rows).execute(conn)?,
        };
    }
    if let Some(at) = last_at {
        diesel::update(audit_head::table.find(1))
            .set((
                audit_head::last_seq.eq(seq),
                audit_head::last_hash.eq(&prev_hash),
                audit_head::touched_at.eq(to_naive(at)),
            ))
            .execute(conn)?;
    }
    Ok(seqs)
}

/// Events of one change, oldest first, at most `limit`.
pub fn of_change(conn: &mut DbConn, change_id: i32, limit: i64) -> QueryResult<Vec<StoredEvent>> {
    audit_events::table
        .filter(audit_events::change_id.eq(change_id))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

/// The next `limit` events after `after_seq`, for streaming the whole chain.
pub fn batch_after(conn: &mut DbConn, after_seq: i64, limit: i64) -> QueryResult<Vec<StoredEvent>> {
    audit_events::table
        .filter(audit_events::seq.gt(after_seq))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

/// The head of the chain: the last sequence number and its hash.
pub fn head(conn: &mut DbConn) -> QueryResult<(i64, String)> {
    audit_head::table.find(1).select((audit_head::last_seq, audit_head::last_hash)).first(conn)
}
