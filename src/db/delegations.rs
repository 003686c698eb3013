//! Delegations of a voter's vote, for a range of time.

use super::changes::{to_naive, to_utc};
use super::schema::delegations;
use super::within::any_of;
use super::DbConn;
use crate::domain::ids::UserId;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A delegation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub id: i32,
    pub principal: UserId,
    pub delegate: UserId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: UserId,
    pub revoked: bool,
}

type Row = (i32, i32, i32, NaiveDateTime, NaiveDateTime, i32, Option<NaiveDateTime>);

const COLUMNS: (
    delegations::id,
    delegations::principal_id,
    delegations::delegate_id,
    delegations::starts_at,
    delegations::ends_at,
    delegations::created_by,
    delegations::revoked_at,
) = (
    delegations::id,
    delegations::principal_id,
    delegations::delegate_id,
    delegations::starts_at,
    delegations::ends_at,
    delegations::created_by,
    delegations::revoked_at,
);

fn from_row((id, principal, delegate, starts, ends, by, revoked): Row) -> Delegation {
    Delegation {
        id,
        principal: UserId(principal),
        delegate: UserId(delegate),
        starts_at: to_utc(starts),
        ends_at: to_utc(ends),
        created_by: UserId(by),
        revoked: revoked.is_some(),
    }
}

pub struct NewDelegation {
    pub principal: UserId,
    pub delegate: UserId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: UserId,
}

pub fn insert(conn: &mut DbConn, new: &NewDelegation, now: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(delegations::table)
        .values((
            delegations::principal_id.eq(new.principal.0),
            delegations::delegate_id.eq(new.delegate.0),
            delegations::starts_at.eq(to_naive(new.starts_at)),
            delegations::ends_at.eq(to_naive(new.ends_at)),
            delegations::created_by.eq(new.created_by.0),
            delegations::created_at.eq(to_naive(now)),
        ))
        .returning(delegations::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Delegation>> {
    Ok(delegations::table.find(id).select(COLUMNS).first::<Row>(conn).optional()?.map(from_row))
}

pub fn revoke(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(delegations::table.find(id).filter(delegations::revoked_at.is_null()))
        .set(delegations::revoked_at.eq(to_naive(now)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The principal's delegations that are not revoked and overlap `[from, to)`.
pub fn overlapping(
    conn: &mut DbConn,
    principal: UserId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Delegation>> {
    let rows: Vec<Row> = delegations::table
        .filter(delegations::principal_id.eq(principal.0))
        .filter(delegations::revoked_at.is_null())
        .filter(delegations::ends_at.gt(to_naive(from)))
        .filter(delegations::starts_at.lt(to_naive(to)))
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Delegations in force at `now` whose delegate is one of `delegates`.
pub fn active_to(
    conn: &mut DbConn,
    delegates: &[UserId],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Delegation>> {
    let ids: Vec<i32> = delegates.iter().map(|p| p.0).collect();
    let now = to_naive(now);
    let rows: Vec<Row> = delegations::table
        .filter(any_of(delegations::delegate_id, ids))
        .filter(delegations::ends_at.gt(now))
        .filter(delegations::starts_at.le(now))
        .filter(delegations::revoked_at.is_null())
        .order(delegations::id.asc())
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Delegations from any of `principals` in force at some time in `[from, to]`.
pub fn active_from(
    conn: &mut DbConn,
    principals: &[UserId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Delegation>> {
    let ids: Vec<i32> = principals.iter().map(|p| p.0).collect();
    let rows: Vec<Row> = delegations::table
        .filter(any_of(delegations::principal_id, ids))
        .filter(delegations::ends_at.gt(to_naive(from)))
        .filter(delegations::starts_at.le(to_naive(to)))
        .filter(delegations::revoked_at.is_null())
        .order(delegations::id.asc())
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Delegations not yet over at `now` (current and future, not revoked) that involve
/// `person`, or everyone's when `person` is none; newest first, at most `limit`.
pub fn current(
    conn: &mut DbConn,
    person: Option<UserId>,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Delegation>> {
    let mut query = delegations::table
        .filter(delegations::ends_at.gt(to_naive(now)))
        .filter(delegations::revoked_at.is_null())
        .into_boxed();
    if let Some(person) = person {
        query =
            query.filter(delegations::principal_id.eq(person.0).or(delegations::delegate_id.eq(person.0)));
    }
    let rows: Vec<Row> = query.order(delegations::starts_at.asc()).limit(limit).select(COLUMNS).load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}
