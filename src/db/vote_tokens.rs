//! Single-use tokens behind the Approve and Reject links of an email.

use super::changes::{to_naive, to_utc};
use super::schema::vote_tokens;
use super::DbConn;
use crate::domain::approval::VoteDecision;
use crate::domain::ids::{ChangeId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A token as stored (its hash, never the token).
#[derive(Debug, Clone)]
pub struct VoteToken {
    pub id: i32,
    pub change: ChangeId,
    pub voter: UserId,
    pub round: i32,
    pub decision: VoteDecision,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    /// A delegate's link: the person it votes for.
    pub for_voter: Option<UserId>,
}

pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub change: ChangeId,
    pub voter: UserId,
    pub round: i32,
    pub decision: VoteDecision,
    pub expires_at: DateTime<Utc>,
    pub for_voter: Option<UserId>,
}

pub fn insert(conn: &mut DbConn, token: &NewToken<'_>, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(vote_tokens::table)
        .values((
            vote_tokens::token_hash.eq(token.token_hash),
            vote_tokens::change_id.eq(token.change.0),
            vote_tokens::voter_id.eq(token.voter.0),
            vote_tokens::round.eq(token.round),
            vote_tokens::decision.eq(token.decision.as_str()),
            vote_tokens::expires_at.eq(to_naive(token.expires_at)),
            vote_tokens::created_at.eq(to_naive(now)),
            vote_tokens::for_id.eq(token.for_voter.map(|u| u.0)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<VoteToken>> {
    load(conn, vote_tokens::table.filter(vote_tokens::token_hash.eq(token_hash)).into_boxed())
}

pub fn find_by_id(conn: &mut DbConn, id: i32) -> QueryResult<Option<VoteToken>> {
    load(conn, vote_tokens::table.filter(vote_tokens::id.eq(id)).into_boxed())
}

fn load(
    conn: &mut DbConn,
    query: vote_tokens::BoxedQuery<'_, super::MultiBackend>,
) -> QueryResult<Option<VoteToken>> {
    type Row = (i32, i32, i32, i32, String, NaiveDateTime, Option<NaiveDateTime>, Option<i32>);
    let row: Option<Row> = query
        .select((
            vote_tokens::id,
            vote_tokens::change_id,
            vote_tokens::voter_id,
            vote_tokens::round,
            vote_tokens::decision,
            vote_tokens::expires_at,
            vote_tokens::used_at,
            vote_tokens::for_id,
        ))
        .first(conn)
        .optional()?;
    row.map(|(id, change, voter, round, decision, expires_at, used_at, for_id)| {
        Ok(VoteToken {
            id,
            change: ChangeId(change),
            voter: UserId(voter),
            round,
            decision: super::changes::parse_text(&decision)?,
            expires_at: to_utc(expires_at),
            used: used_at.is_some(),
            for_voter: for_id.map(UserId),
        })
    })
    .transpose()
}

/// Marks every token of this voter for this change and round used — those of the voter's
/// own emails, or those voting for the same member: one decision per ballot.
pub fn use_all(conn: &mut DbConn, token: &VoteToken, now: DateTime<Utc>) -> QueryResult<()> {
    let same = vote_tokens::table
        .filter(vote_tokens::change_id.eq(token.change.0))
        .filter(vote_tokens::voter_id.eq(token.voter.0))
        .filter(vote_tokens::round.eq(token.round));
    let used = vote_tokens::used_at.eq(to_naive(now));
    match token.for_voter {
        Some(member) => {
            diesel::update(same.filter(vote_tokens::for_id.eq(member.0))).set(used).execute(conn)?
        }
        None => diesel::update(same.filter(vote_tokens::for_id.is_null())).set(used).execute(conn)?,
    };
    Ok(())
}

/// Up to `limit` vote links that expired before `before`.
pub fn expired_before(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    vote_tokens::table
        .filter(vote_tokens::expires_at.lt(to_naive(before)))
        .select(vote_tokens::id)
        .limit(limit)
        .load(conn)
}

/// Deletes the vote links `ids`; returns how many.
pub fn delete(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(vote_tokens::table.filter(vote_tokens::id.eq_any(ids))).execute(conn)
}
