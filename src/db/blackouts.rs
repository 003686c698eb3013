//! Blackout (freeze) windows.

use super::changes::{to_naive, to_utc};
use super::schema::{blackout_cis, blackouts};
use super::within::any_of;
use super::DbConn;
use crate::domain::change::Window;
use crate::domain::ids::{CiId, UserId};
use crate::domain::schedule::Freeze;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::BTreeSet;

#[derive(Queryable, Selectable)]
#[diesel(table_name = blackouts)]
struct BlackoutRow {
    id: i32,
    title: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConn,
    title: &str,
    window: Window,
    ci_ids: &BTreeSet<CiId>,
    created_by: UserId,
    now: DateTime<Utc>,
) -> QueryResult<i32> {
    let id: i32 = diesel::insert_into(blackouts::table)
        .values((
            blackouts::title.eq(title),
            blackouts::starts_at.eq(to_naive(window.start())),
            blackouts::ends_at.eq(to_naive(window.end())),
            blackouts::created_by.eq(created_by.0),
            blackouts::created_at.eq(to_naive(now)),
        ))
        .returning(blackouts::id)
        .get_result(conn)?;
    set_cis(conn, id, ci_ids)?;
    Ok(id)
}

fn set_cis(conn: &mut DbConn, id: i32, ci_ids: &BTreeSet<CiId>) -> QueryResult<()> {
    diesel::delete(blackout_cis::table.filter(blackout_cis::blackout_id.eq(id))).execute(conn)?;
    for ci in ci_ids {
        diesel::insert_into(blackout_cis::table)
            .values((blackout_cis::blackout_id.eq(id), blackout_cis::ci_id.eq(ci.0)))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves a blackout in force; false when there is none with this id.
pub fn update(
    conn: &mut DbConn,
    id: i32,
    title: &str,
    window: Window,
    ci_ids: &BTreeSet<CiId>,
) -> QueryResult<bool> {
    let changed = diesel::update(blackouts::table.find(id).filter(blackouts::retired_at.is_null()))
        .set((
            blackouts::title.eq(title),
            blackouts::starts_at.eq(to_naive(window.start())),
            blackouts::ends_at.eq(to_naive(window.end())),
        ))
        .execute(conn)?;
    if changed == 1 {
        set_cis(conn, id, ci_ids)?;
    }
    Ok(changed == 1)
}

/// Retires a blackout: it freezes nothing from now on; false when unknown or retired.
pub fn retire(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(blackouts::table.find(id).filter(blackouts::retired_at.is_null()))
        .set(blackouts::retired_at.eq(to_naive(now)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// A blackout in force, by id.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Freeze>> {
    let rows: Vec<BlackoutRow> = blackouts::table
        .find(id)
        .filter(blackouts::retired_at.is_null())
        .select(BlackoutRow::as_select())
        .load(conn)?;
    freezes(conn, rows).map(|mut found| found.pop())
}

/// Blackouts overlapping `[from, to)`, by start, at most `limit`.
pub fn overlapping(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Freeze>> {
    let rows: Vec<BlackoutRow> = blackouts::table
        .filter(blackouts::starts_at.lt(to_naive(to)))
        .filter(blackouts::ends_at.gt(to_naive(from)))
        .filter(blackouts::retired_at.is_null())
        .order(blackouts::starts_at.asc())
        .limit(limit)
        .select(BlackoutRow::as_select())
        .load(conn)?;
    freezes(conn, rows)
}

fn freezes(conn: &mut DbConn, rows: Vec<BlackoutRow>) -> QueryResult<Vec<Freeze>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i32, i32)> = blackout_cis::table
        .filter(any_of(blackout_cis::blackout_id, ids))
        .select((blackout_cis::blackout_id, blackout_cis::ci_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Freeze {
                ci_ids: pairs.iter().filter(|(b, _)| *b == r.id).map(|(_, c)| CiId(*c)).collect(),
                id: r.id,
                title: r.title,
                window: Window::new(to_utc(r.starts_at), to_utc(r.ends_at))?,
            })
        })
        .collect())
}
