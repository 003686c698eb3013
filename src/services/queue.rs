//! Work lists: what waits for whom (the CAB queue, a voter's open votes, an implementer's
//! upcoming work). Each is a bounded list query plus at most one batch query.

use super::changes::{summaries, ChangeSummary};
use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::changes::{self as repo, ListFilter, ListOrder};
use crate::db::votes;
use crate::domain::caller::Caller;
use crate::domain::change::ChangeState;
use crate::domain::ids::{ChangeId, UserId};
use std::collections::BTreeSet;

/// Most entries a work list shows.
pub const QUEUE_LIMIT: i64 = 200;

/// A change in `authorize` with whether the viewer still has to vote on it.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub change: ChangeSummary,
    /// The viewer may vote and has not voted in this round.
    pub awaiting_viewer: bool,
    /// Members who named the viewer their delegate, may vote on it, and have not voted
    /// in this round.
    pub awaiting_for: Vec<Caller>,
}

/// Changes awaiting the CAB, highest risk first.
pub fn cab(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<QueueItem>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    ctx.db.read(|conn| {
        let filter = ListFilter {
            states: vec![ChangeState::Authorize],
            order: ListOrder::RiskFirst,
            ..Default::default()
        };
        let (changes, _) = repo::list(conn, &filter, QUEUE_LIMIT, 0)?;
        let ids: Vec<ChangeId> = changes.iter().map(|c| c.id).collect();
        let principals = super::delegations::principals_of(conn, caller.id, ctx.clock.now())?;
        let mut people = vec![caller.id];
        people.extend(principals.iter().map(|p| p.id));
        let voted: BTreeSet<(ChangeId, i32, UserId)> =
            votes::voters_of(conn, &ids)?.into_iter().filter(|(_, _, v)| people.contains(v)).collect();
        let awaits = |person: &Caller, permission, change: &crate::domain::change::Change| {
            !voted.contains(&(change.id, change.decision_round, person.id))
                && ctx.authz.allows(person, permission, &Object::change(change))
        };
        let awaiting: Vec<(bool, Vec<Caller>)> = changes
            .iter()
            .map(|c| {
                let delegate_may = ctx.authz.allows(caller, Permission::VoteFor, &Object::change(c));
                let for_others = match principals.is_empty() || !delegate_may {
                    true => Vec::new(),
                    false => principals.iter().filter(|p| awaits(p, Permission::Vote, c)).cloned().collect(),
                };
                (awaits(caller, Permission::Vote, c), for_others)
            })
            .collect();
        let items = summaries(conn, changes)?;
        Ok(items
            .into_iter()
            .zip(awaiting)
            .map(|(change, (awaiting_viewer, awaiting_for))| QueueItem {
                change,
                awaiting_viewer,
                awaiting_for,
            })
            .collect())
    })
}

/// The sections of a person's home page, one for each of their roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeSection {
    MyChanges,
    ToAssess,
    AwaitingVote,
    MyWork,
    UpcomingWeek,
}

impl HomeSection {
    /// Its heading's text key (and the section's id).
    pub fn key(self) -> &'static str {
        match self {
            HomeSection::MyChanges => "home-my-changes",
            HomeSection::ToAssess => "home-to-assess",
            HomeSection::AwaitingVote => "home-awaiting-vote",
            HomeSection::MyWork => "home-my-work",
            HomeSection::UpcomingWeek => "home-upcoming-week",
        }
    }
}

/// What the home page lists for `caller`: their own changes, and what waits for them by
/// what the policy lets them do (assess, vote, implement, follow the coming week).
pub fn home(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<(HomeSection, Vec<ChangeSummary>)>> {
    let soonest =
        |states: Vec<ChangeState>| ListFilter { states, order: ListOrder::Soonest, ..Default::default() };
    let mut sections = vec![(
        HomeSection::MyChanges,
        changes(ctx, caller, ListFilter { requester: Some(caller.id), ..Default::default() })?,
    )];
    let may = |permission| ctx.authz.allows(caller, permission, &Object::none());
    if may(Permission::Assess) {
        sections.push((HomeSection::ToAssess, changes(ctx, caller, soonest(vec![ChangeState::Assess]))?));
    }
    let now = ctx.clock.now();
    let delegate = !ctx.db.query(|conn| super::delegations::principals_of(conn, caller.id, now))?.is_empty();
    if may(Permission::Vote) || delegate {
        let waiting = cab(ctx, caller)?
            .into_iter()
            .filter(|i| i.awaiting_viewer || !i.awaiting_for.is_empty())
            .map(|i| i.change)
            .collect();
        sections.push((HomeSection::AwaitingVote, waiting));
    }
    let booked = vec![ChangeState::Scheduled, ChangeState::Implement];
    if may(Permission::BeImplementer) {
        let filter = ListFilter { implementer: Some(caller.id), ..soonest(booked.clone()) };
        sections.push((HomeSection::MyWork, changes(ctx, caller, filter)?));
    }
    if may(Permission::FollowUpcoming) {
        let now = ctx.clock.now();
        let filter =
            ListFilter { from: Some(now), to: Some(now + chrono::Duration::days(7)), ..soonest(booked) };
        sections.push((HomeSection::UpcomingWeek, changes(ctx, caller, filter)?));
    }
    Ok(sections)
}

/// A list for one of the home page's sections.
fn changes(ctx: &Ctx, caller: &Caller, filter: ListFilter) -> ServiceResult<Vec<ChangeSummary>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    ctx.db.read(|conn| {
        let (changes, _) = repo::list(conn, &filter, 20, 0)?;
        summaries(conn, changes)
    })
}
