//! Reminders: which are due (anti-joins against those already queued), and recording that
//! one was queued, so each is queued once.

use super::changes::{to_naive, to_utc, ChangeRow};
use super::schema::{changes, reminders, votes};
use super::within::any_of;
use super::DbConn;
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::{ChangeId, UserId};
use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;

/// One reminder: what about, to whom (`UserId(0)`: a role, or for `vote` the mark that a
/// change's voters were looked at), and the moment it is about (the planned start, the
/// planned end, the CAB cut-off), so a new one re-arms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reminder {
    pub kind: &'static str,
    pub change: ChangeId,
    pub round: i32,
    pub to: UserId,
    pub due_at: DateTime<Utc>,
}

/// The columns that say which reminder a row is (unique together).
const KEY: (reminders::kind, reminders::change_id, reminders::round, reminders::user_id, reminders::due_at) =
    (reminders::kind, reminders::change_id, reminders::round, reminders::user_id, reminders::due_at);
type KeyRow = (String, i32, i32, i32, chrono::NaiveDateTime);

/// Scheduled changes with an implementer whose planned start is in `(after, until]` and
/// whose start reminder for that start was not queued yet.
pub fn starts_not_reminded(
    conn: &mut DbConn,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let sent = reminders::table
        .filter(reminders::kind.eq("start"))
        .filter(reminders::change_id.eq(changes::id))
        .filter(reminders::due_at.nullable().eq(changes::planned_start));
    let rows: Vec<ChangeRow> = changes::table
        .filter(changes::state.eq(ChangeState::Scheduled.as_str()))
        .filter(changes::planned_start.gt(to_naive(after)))
        .filter(changes::planned_start.le(to_naive(until)))
        .filter(changes::implementer_id.is_not_null())
        .filter(not(exists(sent)))
        .order(changes::planned_start.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// Changes still in implementation after their planned end whose overdue reminder for
/// that end was not queued yet, longest overdue first.
pub fn overdue_not_reminded(conn: &mut DbConn, now: DateTime<Utc>, limit: i64) -> QueryResult<Vec<Change>> {
    let sent = reminders::table
        .filter(reminders::kind.eq("overdue"))
        .filter(reminders::change_id.eq(changes::id))
        .filter(reminders::due_at.nullable().eq(changes::planned_end));
    let rows: Vec<ChangeRow> = changes::table
        .filter(changes::state.eq(ChangeState::Implement.as_str()))
        .filter(changes::planned_end.lt(to_naive(now)))
        .filter(not(exists(sent)))
        .order(changes::planned_end.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// Changes waiting for votes whose voters were not yet looked at for the cut-off `due_at`
/// in their current round (no `vote` mark), oldest first: each round of the scan takes the
/// next ones, so no change waits behind others however many there are.
pub fn votes_not_reminded(conn: &mut DbConn, due_at: DateTime<Utc>, limit: i64) -> QueryResult<Vec<Change>> {
    let marked = reminders::table
        .filter(reminders::kind.eq("vote"))
        .filter(reminders::change_id.eq(changes::id))
        .filter(reminders::round.eq(changes::decision_round))
        .filter(reminders::user_id.eq(0))
        .filter(reminders::due_at.eq(to_naive(due_at)));
    let rows: Vec<ChangeRow> = changes::table
        .filter(changes::state.eq(ChangeState::Authorize.as_str()))
        .filter(not(exists(marked)))
        .order(changes::id.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// Of `changes`, who has voted in which round: `(change, round, voter)`.
pub fn voted(conn: &mut DbConn, changes: &[ChangeId]) -> QueryResult<Vec<(ChangeId, i32, UserId)>> {
    let ids: Vec<i32> = changes.iter().map(|c| c.0).collect();
    let voted: Vec<(i32, i32, i32)> = votes::table
        .filter(any_of(votes::change_id, ids))
        .select((votes::change_id, votes::round, votes::voter_id))
        .load(conn)?;
    Ok(voted.into_iter().map(|(c, r, u)| (ChangeId(c), r, UserId(u))).collect())
}

/// Which of `candidates` were queued already (checked again inside the write, where
/// another instance may have queued them since they were read).
pub fn already_queued(conn: &mut DbConn, candidates: &[Reminder]) -> QueryResult<Vec<Reminder>> {
    let ids: Vec<i32> = candidates.iter().map(|r| r.change.0).collect();
    let rows: Vec<KeyRow> =
        reminders::table.filter(any_of(reminders::change_id, ids)).select(KEY).load(conn)?;
    Ok(candidates
        .iter()
        .filter(|c| {
            rows.iter().any(|(kind, change, round, to, due)| {
                kind == c.kind
                    && *change == c.change.0
                    && *round == c.round
                    && *to == c.to.0
                    && to_utc(*due) == c.due_at
            })
        })
        .copied()
        .collect())
}

/// Records that `reminder` was queued. Run inside `Db::write`.
pub fn record(conn: &mut DbConn, reminder: &Reminder, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(reminders::table)
        .values((
            reminders::kind.eq(reminder.kind),
            reminders::change_id.eq(reminder.change.0),
            reminders::round.eq(reminder.round),
            reminders::user_id.eq(reminder.to.0),
            reminders::due_at.eq(to_naive(reminder.due_at)),
            reminders::created_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Up to `limit` reminders queued before `before` whose change has left the state they are
/// about (a start reminder once the change is no longer scheduled, an overdue one once it
/// is no longer in implementation, a vote one once it no longer waits for votes). While a
/// change stays where it was, its reminder is kept, so it is never sent twice.
pub fn purgeable(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    let still_about = changes::table.filter(changes::id.eq(reminders::change_id)).filter(
        (reminders::kind.eq("start").and(changes::state.eq(ChangeState::Scheduled.as_str())))
            .or(reminders::kind.eq("overdue").and(changes::state.eq(ChangeState::Implement.as_str())))
            .or(reminders::kind.eq("vote").and(changes::state.eq(ChangeState::Authorize.as_str()))),
    );
    reminders::table
        .filter(reminders::created_at.lt(to_naive(before)))
        .filter(not(exists(still_about)))
        .select(reminders::id)
        .limit(limit)
        .load(conn)
}

/// Deletes the reminders `ids`; returns how many.
pub fn delete(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(reminders::table.filter(reminders::id.eq_any(ids))).execute(conn)
}
