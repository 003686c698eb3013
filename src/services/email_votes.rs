//! Approve or reject straight from the email: single-use links bound to one voter, one
//! change, one decision round and one decision, valid for `vote_link_days`. Opening a link
//! only shows what it would do (mail scanners open links); posting the page decides, through
//! the same vote as on the web.

use super::change_view::ChangeView;
use super::voting::{cast, Channel, VoteInput};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::vote_tokens::{self, NewToken, VoteToken};
use crate::db::{changes, users, DbConn};
use crate::domain::approval::VoteDecision;
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::{ChangeId, UserId};
use crate::domain::text::Text;
use chrono::{DateTime, Duration, Utc};

/// What a link is, when opened.
#[derive(Debug)]
pub enum Link {
    Valid {
        /// What the link decides.
        decision: VoteDecision,
        change: Box<Change>,
        voter: Caller,
        /// A delegate's link: the member it votes for.
        on_behalf_of: Option<Box<Caller>>,
    },
    Unknown,
    Used,
    Expired,
    /// The change left `authorize`, or was returned and is in a later round.
    Superseded,
}

fn hash(raw: &str) -> String {
    super::auth::token_hash(raw)
}

/// Makes the Approve and Reject tokens for one voter; returns them raw (only hashes stay).
pub fn issue(
    conn: &mut DbConn,
    change: ChangeId,
    voter: UserId,
    for_voter: Option<UserId>,
    round: i32,
    now: DateTime<Utc>,
    days: i64,
) -> diesel::QueryResult<(String, String)> {
    let mut make = |decision| {
        let raw = super::auth::random_token();
        let token = NewToken {
            token_hash: &hash(&raw),
            change,
            voter,
            round,
            decision,
            expires_at: now + Duration::days(days),
            for_voter,
        };
        vote_tokens::insert(conn, &token, now).map(|()| raw)
    };
    Ok((make(VoteDecision::Approve)?, make(VoteDecision::Reject)?))
}

/// Looks a link up without changing anything.
pub fn inspect(ctx: &Ctx, raw: &str) -> ServiceResult<Link> {
    Ok(lookup(ctx, raw)?.0)
}

/// The link, and its stored token when it is valid (which stays in this module).
fn lookup(ctx: &Ctx, raw: &str) -> ServiceResult<(Link, Option<VoteToken>)> {
    let now = ctx.clock.now();
    let alone = |link| Ok((link, None));
    ctx.db.read(|conn| -> ServiceResult<(Link, Option<VoteToken>)> {
        let Some(token) = vote_tokens::find(conn, &hash(raw))? else { return alone(Link::Unknown) };
        if token.used {
            return alone(Link::Used);
        }
        if token.expires_at <= now {
            return alone(Link::Expired);
        }
        let Some(change) = changes::find(conn, token.change)? else { return alone(Link::Unknown) };
        if change.state != ChangeState::Authorize || change.decision_round != token.round {
            return alone(Link::Superseded);
        }
        let Some(voter) = users::caller(conn, token.voter)? else { return alone(Link::Unknown) };
        let on_behalf_of = match token.for_voter {
            Some(principal) => match users::caller(conn, principal)? {
                Some(principal) => Some(Box::new(principal)),
                None => return alone(Link::Unknown),
            },
            None => None,
        };
        let link = Link::Valid { decision: token.decision, change: Box::new(change), voter, on_behalf_of };
        Ok((link, Some(token)))
    })
}

/// Whether the person at the browser may use a valid link of `voter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Sign-in is required for links and nobody is signed in.
    SignIn,
    /// Sign-in is required and someone other than the voter is signed in.
    OtherUser,
}

/// Links act alone unless the service requires sign-in for them; then the policy decides
/// who may use a link (its own voter only).
pub fn access(ctx: &Ctx, voter: UserId, signed_in: Option<&Caller>) -> Access {
    if !ctx.config.vote_links_require_sign_in {
        return Access::Allowed;
    }
    match signed_in {
        None => Access::SignIn,
        Some(person) if ctx.authz.allows(person, Permission::UseVoteLink, &Object::owned_by(voter)) => {
            Access::Allowed
        }
        Some(_) => Access::OtherUser,
    }
}

/// What posting a link did.
#[derive(Debug)]
pub enum Decided {
    Voted(Box<ChangeView>),
    Refused(Link),
    /// The link may not be used from this browser now (see `Access`).
    Denied(Access),
}

/// Casts the link's vote (with an optional comment) as its voter, when `signed_in` (the
/// person at the browser, if any) may use it.
pub fn decide(ctx: &Ctx, raw: &str, comment: Text, signed_in: Option<&Caller>) -> ServiceResult<Decided> {
    let (link, token) = lookup(ctx, raw)?;
    let (Link::Valid { change, voter, .. }, Some(token)) = (&link, token) else {
        return Ok(Decided::Refused(link));
    };
    match access(ctx, voter.id, signed_in) {
        Access::Allowed => {}
        denied => return Ok(Decided::Denied(denied)),
    }
    let on_behalf_of = token.for_voter.map(|u| u.0);
    let input = VoteInput { decision: token.decision, comment, force: false, reason: None, on_behalf_of };
    match cast(ctx, voter, change.id, input, Channel::Email(&token)) {
        Ok(view) => Ok(Decided::Voted(Box::new(view))),
        Err(ServiceError::Conflict(message)) if message.key == "msg-vote-link-spent" => {
            Ok(Decided::Refused(Link::Used))
        }
        Err(ServiceError::Refused(_)) => Ok(Decided::Refused(Link::Superseded)),
        Err(other) => Err(other),
    }
}
