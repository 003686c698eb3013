//! Maintenance windows of CIs.

use super::changes::to_naive;
use super::schema::maintenance_windows as mw;
use super::within::any_of;
use super::DbConn;
use crate::domain::ids::CiId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// A window as stored: `(id, ci, weekday, starts, ends, zone)`.
pub type Row = (i32, i32, String, String, String, String);

const COLUMNS: (mw::id, mw::ci_id, mw::weekday, mw::starts, mw::ends, mw::zone) =
    (mw::id, mw::ci_id, mw::weekday, mw::starts, mw::ends, mw::zone);

/// The windows of `cis`, by CI, in one query.
pub fn of_cis(conn: &mut DbConn, cis: &BTreeSet<CiId>) -> QueryResult<BTreeMap<CiId, Vec<Row>>> {
    let ids: Vec<i32> = cis.iter().map(|c| c.0).collect();
    let rows: Vec<Row> =
        mw::table.filter(any_of(mw::ci_id, ids)).order(mw::id.asc()).select(COLUMNS).load(conn)?;
    let mut by_ci: BTreeMap<CiId, Vec<Row>> = BTreeMap::new();
    for row in rows {
        by_ci.entry(CiId(row.1)).or_default().push(row);
    }
    Ok(by_ci)
}

/// Every window, by CI then id, at most `limit`.
pub fn all(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Row>> {
    mw::table.order((mw::ci_id.asc(), mw::id.asc())).limit(limit).select(COLUMNS).load(conn)
}

pub struct NewWindow<'a> {
    pub ci: CiId,
    pub weekday: &'a str,
    pub starts: &'a str,
    pub ends: &'a str,
    pub zone: &'a str,
    pub created_by: i32,
}

pub fn insert(conn: &mut DbConn, new: &NewWindow<'_>, now: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(mw::table)
        .values((
            mw::ci_id.eq(new.ci.0),
            mw::weekday.eq(new.weekday),
            mw::starts.eq(new.starts),
            mw::ends.eq(new.ends),
            mw::zone.eq(new.zone),
            mw::created_by.eq(Some(new.created_by)),
            mw::created_at.eq(to_naive(now)),
        ))
        .returning(mw::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Row>> {
    mw::table.find(id).select(COLUMNS).first(conn).optional()
}

pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    Ok(diesel::delete(mw::table.find(id)).execute(conn)? == 1)
}

/// Saves a window's rule; false when there is no such window.
pub fn update(conn: &mut DbConn, id: i32, new: &NewWindow<'_>) -> QueryResult<bool> {
    let changed = diesel::update(mw::table.find(id))
        .set((
            mw::ci_id.eq(new.ci.0),
            mw::weekday.eq(new.weekday),
            mw::starts.eq(new.starts),
            mw::ends.eq(new.ends),
            mw::zone.eq(new.zone),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}
