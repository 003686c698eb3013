//! Links between changes and the service desk's incidents and problems.

use super::changes::{to_naive, to_utc};
use super::schema::{change_cis, change_incidents, changes, users};
use super::within::any_of;
use super::DbConn;
use crate::domain::change::ClosureCode;
use crate::domain::ids::{ChangeId, CiId, UserId};
use crate::domain::incident::{IncidentId, Relation};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::BTreeSet;

/// A link as stored, with the name of who added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub incident: String,
    pub relation: String,
    pub added_by: String,
    pub at: DateTime<Utc>,
}

/// Adds the link unless it is there already; whether it was added. (Looking first is
/// safe: every write transaction starts by locking the audit chain's head, so two
/// instances never add the same link at once.)
pub fn insert(
    conn: &mut DbConn,
    change: ChangeId,
    (incident, relation): (&IncidentId, Relation),
    by: UserId,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let there: Option<i32> = change_incidents::table
        .filter(change_incidents::change_id.eq(change.0))
        .filter(change_incidents::relation.eq(relation.as_str()))
        .filter(change_incidents::incident.eq(incident.as_str()))
        .select(change_incidents::id)
        .first(conn)
        .optional()?;
    if there.is_some() {
        return Ok(false);
    }
    diesel::insert_into(change_incidents::table)
        .values((
            change_incidents::change_id.eq(change.0),
            change_incidents::incident.eq(incident.as_str()),
            change_incidents::relation.eq(relation.as_str()),
            change_incidents::added_by.eq(by.0),
            change_incidents::created_at.eq(to_naive(at)),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Who added the link, if it is there.
pub fn added_by(
    conn: &mut DbConn,
    change: ChangeId,
    (incident, relation): (&IncidentId, Relation),
) -> QueryResult<Option<UserId>> {
    Ok(change_incidents::table
        .filter(change_incidents::change_id.eq(change.0))
        .filter(change_incidents::relation.eq(relation.as_str()))
        .filter(change_incidents::incident.eq(incident.as_str()))
        .select(change_incidents::added_by)
        .first::<i32>(conn)
        .optional()?
        .map(UserId))
}

/// Removes the link; whether there was one.
pub fn delete(
    conn: &mut DbConn,
    change: ChangeId,
    (incident, relation): (&IncidentId, Relation),
) -> QueryResult<bool> {
    let removed = diesel::delete(
        change_incidents::table
            .filter(change_incidents::change_id.eq(change.0))
            .filter(change_incidents::relation.eq(relation.as_str()))
            .filter(change_incidents::incident.eq(incident.as_str())),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// The links of `change`, in the order they were added.
pub fn of_change(conn: &mut DbConn, change: ChangeId) -> QueryResult<Vec<Link>> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = change_incidents::table
        .inner_join(users::table)
        .filter(change_incidents::change_id.eq(change.0))
        .order(change_incidents::id.asc())
        .select((
            change_incidents::incident,
            change_incidents::relation,
            users::name,
            change_incidents::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(incident, relation, added_by, at)| Link { incident, relation, added_by, at: to_utc(at) })
        .collect())
}

/// Whether a change on one of `ci_ids` was named as the cause of an incident since `since`
/// (the risk history factor, beside failed and backed-out changes).
pub fn caused_on_cis_since(
    conn: &mut DbConn,
    ci_ids: &BTreeSet<CiId>,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    let raw: Vec<i32> = ci_ids.iter().map(|c| c.0).collect();
    let on_cis = change_cis::table.filter(any_of(change_cis::ci_id, raw)).select(change_cis::change_id);
    let found: Option<i32> = change_incidents::table
        .filter(change_incidents::relation.eq(Relation::Caused.as_str()))
        .filter(change_incidents::created_at.ge(to_naive(since)))
        .filter(change_incidents::change_id.eq_any(on_cis))
        .select(change_incidents::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// How many changes completed in `[from, to)` that did not close as failed or backed out
/// caused at least one incident (the rest of the change failure rate).
pub fn caused_among_successful(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<i64> {
    let failures: Vec<&str> =
        ClosureCode::ALL.iter().filter(|c| c.is_failure()).map(|c| c.as_str()).collect();
    let caused = change_incidents::table
        .filter(change_incidents::relation.eq(Relation::Caused.as_str()))
        .select(change_incidents::change_id);
    changes::table
        .filter(changes::actual_end.ge(to_naive(from)))
        .filter(changes::actual_end.lt(to_naive(to)))
        .filter(changes::closure_code.is_not_null())
        .filter(diesel::dsl::not(changes::closure_code.eq_any(failures).assume_not_null()))
        .filter(changes::id.eq_any(caused))
        .count()
        .get_result(conn)
}
