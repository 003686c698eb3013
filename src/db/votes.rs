//! CAB votes, kept per decision round.

use super::changes::{to_naive, to_utc};
use super::schema::{users, votes};
use super::within::any_of;
use super::DbConn;
use crate::domain::approval::{Ballot, VoteDecision};
use crate::domain::ids::{ChangeId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A vote as recorded, with the voter's name for display.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub id: i32,
    pub round: i32,
    pub voter_id: UserId,
    pub voter_name: String,
    pub as_manager: bool,
    pub decision: VoteDecision,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    /// The delegate who cast this ballot for the voter: `(id, name)`.
    pub cast_by: Option<(UserId, String)>,
}

impl Vote {
    pub fn ballot(&self) -> Ballot {
        Ballot {
            voter: self.voter_id,
            as_manager: self.as_manager,
            decision: self.decision,
            seq: self.id.into(),
        }
    }
}

pub struct NewVote<'a> {
    pub change: ChangeId,
    pub round: i32,
    /// Whose ballot it is.
    pub voter: UserId,
    /// The delegate who cast it for `voter`, if not `voter`.
    pub cast_by: Option<UserId>,
    pub as_manager: bool,
    pub decision: VoteDecision,
    pub comment: &'a str,
    pub at: DateTime<Utc>,
}

pub fn insert(conn: &mut DbConn, vote: &NewVote<'_>) -> QueryResult<i32> {
    diesel::insert_into(votes::table)
        .values((
            votes::change_id.eq(vote.change.0),
            votes::round.eq(vote.round),
            votes::voter_id.eq(vote.voter.0),
            votes::cast_by_id.eq(vote.cast_by.map(|u| u.0)),
            votes::as_manager.eq(vote.as_manager),
            votes::decision.eq(vote.decision.as_str()),
            votes::comment.eq(vote.comment),
            votes::created_at.eq(to_naive(vote.at)),
        ))
        .returning(votes::id)
        .get_result(conn)
}

/// Every vote on a change, all rounds, oldest first.
pub fn of_change(conn: &mut DbConn, change: ChangeId) -> QueryResult<Vec<Vote>> {
    type Row = (i32, i32, i32, String, bool, String, String, NaiveDateTime, Option<i32>);
    let rows: Vec<Row> = votes::table
        .inner_join(users::table)
        .filter(votes::change_id.eq(change.0))
        .order((votes::round.asc(), votes::id.asc()))
        .select((
            votes::id,
            votes::round,
            votes::voter_id,
            users::name,
            votes::as_manager,
            votes::decision,
            votes::comment,
            votes::created_at,
            votes::cast_by_id,
        ))
        .load(conn)?;
    let delegates: Vec<UserId> = rows.iter().filter_map(|r| r.8).map(UserId).collect();
    let names =
        if delegates.is_empty() { Default::default() } else { super::users::names(conn, &delegates)? };
    rows.into_iter()
        .map(|(id, round, voter, name, as_manager, decision, comment, at, cast_by)| {
            Ok(Vote {
                id,
                round,
                voter_id: UserId(voter),
                voter_name: name,
                as_manager,
                decision: super::changes::parse_text(&decision)?,
                comment,
                created_at: to_utc(at),
                cast_by: cast_by.map(|by| (UserId(by), names.get(&UserId(by)).cloned().unwrap_or_default())),
            })
        })
        .collect()
}

/// `(change, round)` pairs in which `voter` has voted, among `changes`.
pub fn rounds_voted(
    conn: &mut DbConn,
    voter: UserId,
    changes: &[ChangeId],
) -> QueryResult<Vec<(ChangeId, i32)>> {
    let ids: Vec<i32> = changes.iter().map(|c| c.0).collect();
    let pairs: Vec<(i32, i32)> = votes::table
        .filter(votes::voter_id.eq(voter.0))
        .filter(any_of(votes::change_id, ids))
        .select((votes::change_id, votes::round))
        .distinct()
        .load(conn)?;
    Ok(pairs.into_iter().map(|(change, round)| (ChangeId(change), round)).collect())
}

/// A ballot on one of several changes, with when it was cast and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Cast {
    pub change: ChangeId,
    pub round: i32,
    pub ballot: Ballot,
    pub at: DateTime<Utc>,
    /// The delegate who cast it for the voter.
    pub cast_by: Option<UserId>,
}

/// id, change, round, voter, as manager, decision, cast at, cast by.
type CastRow = (i32, i32, i32, i32, bool, String, NaiveDateTime, Option<i32>);

/// Every ballot cast on `changes`, all rounds, oldest first, in one query.
pub fn cast_on(conn: &mut DbConn, changes: &[ChangeId]) -> QueryResult<Vec<Cast>> {
    let ids: Vec<i32> = changes.iter().map(|c| c.0).collect();
    let rows: Vec<CastRow> = votes::table
        .filter(any_of(votes::change_id, ids))
        .order(votes::id.asc())
        .select((
            votes::id,
            votes::change_id,
            votes::round,
            votes::voter_id,
            votes::as_manager,
            votes::decision,
            votes::created_at,
            votes::cast_by_id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, change, round, voter, as_manager, decision, at, cast_by)| {
            Ok(Cast {
                change: ChangeId(change),
                round,
                ballot: Ballot {
                    voter: UserId(voter),
                    as_manager,
                    decision: super::changes::parse_text(&decision)?,
                    seq: id.into(),
                },
                at: to_utc(at),
                cast_by: cast_by.map(UserId),
            })
        })
        .collect()
}

/// The ballots cast on `changes`, every round: `(change, round, ballot)`, in one query.
pub fn ballots_of(conn: &mut DbConn, changes: &[ChangeId]) -> QueryResult<Vec<(ChangeId, i32, Ballot)>> {
    Ok(cast_on(conn, changes)?.into_iter().map(|c| (c.change, c.round, c.ballot)).collect())
}
