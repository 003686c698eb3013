//! Aggregates over a period for the reports (SPEC §10). Each query filters on an indexed
//! time column; grouping happens in the database, medians in the service.

use super::changes::{to_naive, to_utc};
use super::schema::{change_cis, changes, cis, users, votes};
use super::DbConn;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

/// `(type, state, count)` of the changes created in `[from, to)`.
pub fn created_by_type_and_state(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(String, String, i64)>> {
    changes::table
        .filter(super::changes::not_deleted())
        .filter(changes::created_at.ge(to_naive(from)))
        .filter(changes::created_at.lt(to_naive(to)))
        .group_by((changes::change_type, changes::state))
        .select((changes::change_type, changes::state, count_star()))
        .load(conn)
}

/// `(closure code, count)` of the changes completed in `[from, to)`.
pub fn completed_by_closure_code(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    changes::table
        .filter(changes::actual_end.ge(to_naive(from)))
        .filter(changes::actual_end.lt(to_naive(to)))
        .group_by(changes::closure_code)
        .select((changes::closure_code, count_star()))
        .load(conn)
}

/// `(submitted, decided)` of the changes decided in `[from, to)`.
pub fn decisions(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let rows: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = changes::table
        .filter(changes::decided_at.ge(to_naive(from)))
        .filter(changes::decided_at.lt(to_naive(to)))
        .select((changes::submitted_at, changes::decided_at))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(s, d)| Some((to_utc(s?), to_utc(d?)))).collect())
}

/// A vote for the approval-time figure.
pub struct CastVote {
    pub voter_id: i32,
    pub voter: String,
    pub voted_at: DateTime<Utc>,
    /// When the change entered `authorize`.
    pub authorized_at: DateTime<Utc>,
}

/// The votes cast in `[from, to)` in their change's current round (the round that
/// `authorized_at` belongs to).
pub fn votes_cast(conn: &mut DbConn, from: DateTime<Utc>, to: DateTime<Utc>) -> QueryResult<Vec<CastVote>> {
    let rows: Vec<(i32, String, NaiveDateTime, Option<NaiveDateTime>)> = votes::table
        .inner_join(users::table)
        .inner_join(changes::table)
        .filter(votes::created_at.ge(to_naive(from)))
        .filter(votes::created_at.lt(to_naive(to)))
        .filter(votes::round.eq(changes::decision_round))
        .select((users::id, users::name, votes::created_at, changes::authorized_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(voter_id, voter, voted, authorized)| {
            Some(CastVote { voter_id, voter, voted_at: to_utc(voted), authorized_at: to_utc(authorized?) })
        })
        .collect())
}

/// `(CI name, count)` of the changes created in `[from, to)`, most first, at most `limit`.
pub fn per_ci(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<(String, i64)>> {
    change_cis::table
        .inner_join(changes::table)
        .inner_join(cis::table)
        .filter(super::changes::not_deleted())
        .filter(changes::created_at.ge(to_naive(from)))
        .filter(changes::created_at.lt(to_naive(to)))
        .group_by(cis::name)
        .select((cis::name, count_star()))
        .order(count_star().desc())
        .limit(limit)
        .load(conn)
}

/// Planned starts of the scheduled changes in `[from, to)`.
pub fn scheduled_starts(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    let rows: Vec<Option<NaiveDateTime>> = changes::table
        .filter(changes::state.eq("scheduled"))
        .filter(changes::planned_start.ge(to_naive(from)))
        .filter(changes::planned_start.lt(to_naive(to)))
        .select(changes::planned_start)
        .load(conn)?;
    Ok(rows.into_iter().flatten().map(to_utc).collect())
}
