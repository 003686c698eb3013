//! What `endring import` reads and writes: the people and CIs rows are matched against,
//! which rows an earlier run already brought in, and the imported changes themselves.

use super::changes::to_naive;
use super::schema::{change_cis, change_imports, cis, users};
use super::DbConn;
use crate::domain::change::Change;
use crate::domain::ids::{ChangeId, CiId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// `(id, email, name)` of every user, deactivated ones too (history names them).
pub fn people(conn: &mut DbConn) -> QueryResult<Vec<(i32, String, String)>> {
    users::table.select((users::id, users::email, users::name)).order(users::id.asc()).load(conn)
}

/// `(id, name)` of every CI, retired ones too.
pub fn ci_names(conn: &mut DbConn) -> QueryResult<Vec<(i32, String)>> {
    cis::table.select((cis::id, cis::name)).order(cis::id.asc()).load(conn)
}

/// Which of `ids` (original ids from `source`) are imported already.
pub fn already(conn: &mut DbConn, source: &str, ids: &[&str]) -> QueryResult<Vec<String>> {
    change_imports::table
        .filter(change_imports::source.eq(source))
        .filter(change_imports::original_id.eq_any(ids))
        .select(change_imports::original_id)
        .load(conn)
}

/// Where an imported change came from, to write.
pub struct NewOrigin<'a> {
    pub import_id: &'a str,
    pub source: &'a str,
    pub original_id: &'a str,
    pub original_state: &'a str,
    pub original_requester: &'a str,
    pub original_implementer: &'a str,
    pub original_created_at: Option<DateTime<Utc>>,
    pub original_closed_at: Option<DateTime<Utc>>,
    pub line: i32,
}

/// Inserts imported changes with every field as given (their states, dates and closure
/// too), the CIs each names, and where each came from; their ids, in order. A few
/// statements per batch, whatever its size.
pub fn insert_changes(
    conn: &mut DbConn,
    imported: &[(Change, Vec<CiId>, NewOrigin<'_>)],
) -> QueryResult<Vec<ChangeId>> {
    let changes: Vec<Change> = imported.iter().map(|(c, _, _)| c.clone()).collect();
    let ids = super::changes::insert_many(conn, &changes)?;
    let origins: Vec<_> = imported
        .iter()
        .zip(&ids)
        .map(|((_, _, origin), id)| {
            (
                change_imports::change_id.eq(id.0),
                change_imports::import_id.eq(origin.import_id),
                change_imports::source.eq(origin.source),
                change_imports::original_id.eq(origin.original_id),
                change_imports::original_state.eq(origin.original_state),
                change_imports::original_requester.eq(origin.original_requester),
                change_imports::original_implementer.eq(origin.original_implementer),
                change_imports::original_created_at.eq(origin.original_created_at.map(to_naive)),
                change_imports::original_closed_at.eq(origin.original_closed_at.map(to_naive)),
                change_imports::line.eq(origin.line),
            )
        })
        .collect();
    let links: Vec<_> = imported
        .iter()
        .zip(&ids)
        .flat_map(|((_, cis, _), id)| {
            cis.iter().map(move |ci| (change_cis::change_id.eq(id.0), change_cis::ci_id.eq(ci.0)))
        })
        .collect();
    // 10 and 2 parameters a row: batches inside SQLite's limit.
    for batch in origins.chunks(1000) {
        super::insert_rows!(conn, change_imports::table, batch)?;
    }
    for batch in links.chunks(5000) {
        super::insert_rows!(conn, change_cis::table, batch)?;
    }
    Ok(ids)
}

/// Where an imported change came from, as stored.
#[derive(Debug, Clone, Queryable)]
pub struct Origin {
    pub import_id: String,
    pub source: String,
    pub original_id: String,
    pub original_state: String,
    pub original_requester: String,
    pub original_implementer: String,
    pub original_created_at: Option<chrono::NaiveDateTime>,
    pub original_closed_at: Option<chrono::NaiveDateTime>,
}

/// Where change `id` came from, if it was imported.
pub fn origin_of(conn: &mut DbConn, id: ChangeId) -> QueryResult<Option<Origin>> {
    change_imports::table
        .find(id.0)
        .select((
            change_imports::import_id,
            change_imports::source,
            change_imports::original_id,
            change_imports::original_state,
            change_imports::original_requester,
            change_imports::original_implementer,
            change_imports::original_created_at,
            change_imports::original_closed_at,
        ))
        .first(conn)
        .optional()
}
