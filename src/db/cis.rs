//! Configuration items.

use super::schema::{change_cis, cis};
use super::DbConn;
use crate::domain::ids::{ChangeId, CiId};
use diesel::prelude::*;

/// A configuration item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = cis)]
pub struct Ci {
    pub id: i32,
    pub name: String,
    pub kind: String,
    /// 1 (most critical) to 4.
    pub criticality: i32,
    pub owner_email: String,
    /// Retired CIs are kept for what names them, and offered for nothing new.
    pub retired_at: Option<chrono::NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    name: &str,
    kind: &str,
    criticality: i32,
    owner_email: &str,
) -> QueryResult<Ci> {
    let id: i32 = diesel::insert_into(cis::table)
        .values((
            cis::name.eq(name),
            cis::kind.eq(kind),
            cis::criticality.eq(criticality),
            cis::owner_email.eq(owner_email),
        ))
        .returning(cis::id)
        .get_result(conn)?;
    Ok(Ci {
        id,
        name: name.into(),
        kind: kind.into(),
        criticality,
        owner_email: owner_email.into(),
        retired_at: None,
    })
}

pub fn exists_named(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(cis::table.filter(cis::name.eq(name)))).get_result(conn)
}

pub fn list(conn: &mut DbConn, limit: i64, offset: i64) -> QueryResult<Vec<Ci>> {
    cis::table.order(cis::name.asc()).limit(limit).offset(offset).select(Ci::as_select()).load(conn)
}

/// The CIs among `ids` that exist, by id.
pub fn by_ids(conn: &mut DbConn, ids: &[CiId]) -> QueryResult<Vec<Ci>> {
    let raw: Vec<i32> = ids.iter().map(|c| c.0).collect();
    cis::table
        .filter(super::within::any_of(cis::id, raw))
        .order(cis::id.asc())
        .select(Ci::as_select())
        .load(conn)
}

/// The CIs of change `id`, by id, in one query.
pub fn of_change(conn: &mut DbConn, id: ChangeId) -> QueryResult<Vec<Ci>> {
    cis::table
        .inner_join(change_cis::table)
        .filter(change_cis::change_id.eq(id.0))
        .order(cis::id.asc())
        .select(Ci::as_select())
        .load(conn)
}

/// Whether another CI than `except` is called `name`.
pub fn exists_named_other(conn: &mut DbConn, name: &str, except: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(cis::table.filter(cis::name.eq(name)).filter(cis::id.ne(except))))
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: CiId) -> QueryResult<Option<Ci>> {
    cis::table.find(id.0).select(Ci::as_select()).first(conn).optional()
}

/// The CIs not retired, by name (what forms offer).
pub fn list_active(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Ci>> {
    cis::table
        .filter(cis::retired_at.is_null())
        .order(cis::name.asc())
        .limit(limit)
        .select(Ci::as_select())
        .load(conn)
}

pub fn update(conn: &mut DbConn, ci: &Ci) -> QueryResult<bool> {
    let changed = diesel::update(cis::table.find(ci.id))
        .set((
            cis::name.eq(&ci.name),
            cis::kind.eq(&ci.kind),
            cis::criticality.eq(ci.criticality),
            cis::owner_email.eq(&ci.owner_email),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Retires a CI; false when it is unknown or already retired.
pub fn retire(conn: &mut DbConn, id: CiId, now: chrono::DateTime<chrono::Utc>) -> QueryResult<bool> {
    let changed = diesel::update(cis::table.find(id.0).filter(cis::retired_at.is_null()))
        .set(cis::retired_at.eq(super::changes::to_naive(now)))
        .execute(conn)?;
    Ok(changed == 1)
}
