//! Calendar feed tokens, and the changes a feed shows.

use super::changes::{to_naive, to_utc, ChangeRow};
use super::schema::{change_cis, changes, feed_tokens, votes};
use super::DbConn;
use crate::domain::change::Change;
use crate::domain::ids::{CiId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A token as stored: `(id, owner, scope, name, created_at, CI of a CI's feed)`.
pub type Row = (i32, i32, String, String, NaiveDateTime, Option<i32>);

const COLUMNS: (
    feed_tokens::id,
    feed_tokens::user_id,
    feed_tokens::scope,
    feed_tokens::name,
    feed_tokens::created_at,
    feed_tokens::ci_id,
) = (
    feed_tokens::id,
    feed_tokens::user_id,
    feed_tokens::scope,
    feed_tokens::name,
    feed_tokens::created_at,
    feed_tokens::ci_id,
);

pub fn insert(
    conn: &mut DbConn,
    user: UserId,
    hash: &str,
    scope: &str,
    ci: Option<CiId>,
    name: &str,
    now: DateTime<Utc>,
) -> QueryResult<i32> {
    diesel::insert_into(feed_tokens::table)
        .values((
            feed_tokens::user_id.eq(user.0),
            feed_tokens::token_hash.eq(hash),
            feed_tokens::scope.eq(scope),
            feed_tokens::name.eq(name),
            feed_tokens::created_at.eq(to_naive(now)),
            feed_tokens::ci_id.eq(ci.map(|c| c.0)),
        ))
        .returning(feed_tokens::id)
        .get_result(conn)
}

pub fn by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Row>> {
    feed_tokens::table.filter(feed_tokens::token_hash.eq(hash)).select(COLUMNS).first(conn).optional()
}

pub fn of_user(conn: &mut DbConn, user: UserId) -> QueryResult<Vec<Row>> {
    feed_tokens::table
        .filter(feed_tokens::user_id.eq(user.0))
        .order(feed_tokens::id.asc())
        .select(COLUMNS)
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Row>> {
    feed_tokens::table.find(id).select(COLUMNS).first(conn).optional()
}

pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    Ok(diesel::delete(feed_tokens::table.find(id)).execute(conn)? == 1)
}

pub fn created(row: &Row) -> DateTime<Utc> {
    to_utc(row.4)
}

/// Changes `user` requested or implements whose planned window overlaps `[from, to)`:
/// two index ranges, each at most `limit`.
pub fn personal_changes(
    conn: &mut DbConn,
    user: UserId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let requested: Vec<ChangeRow> = changes::table
        .filter(changes::requester_id.eq(user.0))
        .filter(super::changes::not_deleted())
        .filter(changes::planned_start.lt(to_naive(to)))
        .filter(changes::planned_end.gt(to_naive(from)))
        .order(changes::id.desc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let implementing: Vec<ChangeRow> = changes::table
        .filter(changes::implementer_id.eq(user.0))
        .filter(super::changes::not_deleted())
        .filter(changes::planned_start.lt(to_naive(to)))
        .filter(
            changes::planned_start
                .gt(to_naive(from - chrono::Duration::days(crate::domain::change::MAX_WINDOW_DAYS))),
        )
        .filter(changes::planned_end.gt(to_naive(from)))
        .order(changes::planned_start.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    // Changes one voted on, for oneself or for a member as their delegate.
    let voted_on = votes::table
        .filter(votes::voter_id.eq(user.0).or(votes::cast_by_id.eq(user.0)))
        .select(votes::change_id);
    let voted: Vec<ChangeRow> = changes::table
        .filter(changes::id.eq_any(voted_on))
        .filter(changes::planned_start.lt(to_naive(to)))
        .filter(changes::planned_end.gt(to_naive(from)))
        .order(changes::id.desc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let mut seen = std::collections::BTreeSet::new();
    requested
        .into_iter()
        .chain(implementing)
        .chain(voted)
        .filter(|r| seen.insert(r.id))
        .map(ChangeRow::into_change)
        .collect()
}

/// Changes on `ci` (other than drafts) whose planned window overlaps `[from, to)`, by start.
pub fn ci_changes(
    conn: &mut DbConn,
    ci: CiId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let on_ci = change_cis::table.filter(change_cis::ci_id.eq(ci.0)).select(change_cis::change_id);
    let rows: Vec<ChangeRow> = changes::table
        .filter(changes::id.eq_any(on_ci))
        .filter(changes::state.ne(crate::domain::change::ChangeState::Draft.as_str()))
        .filter(changes::planned_start.lt(to_naive(to)))
        .filter(changes::planned_end.gt(to_naive(from)))
        .order(changes::planned_start.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}
