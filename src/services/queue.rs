//! Work lists: what waits for whom (the CAB queue, a voter's open votes, an implementer's
//! upcoming work). Each is a bounded list query plus at most one batch query.

use super::changes::{summaries, ChangeSummary};
use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::changes::{self as repo, ListFilter, ListOrder};
use crate::db::votes;
use crate::domain::approval::{decide, Ballot, Outcome, Progress};
use crate::domain::caller::Caller;
use crate::domain::change::ChangeState;
use crate::domain::ids::{ChangeId, UserId};
use std::collections::BTreeSet;

/// Most entries a work list shows.
pub const QUEUE_LIMIT: i64 = 200;

/// Why the viewer has no vote on a change, said in words on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoVote {
    /// They filed it (segregation of duties).
    Requester,
    /// They implement it (segregation of duties).
    Implementer,
    /// Their roles give no vote.
    NotVoter,
}

/// A ballot the viewer cast, or a delegate cast for them, in the change's current round.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnVote {
    pub decision: crate::domain::approval::VoteDecision,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The member it was cast for, when the viewer cast it as their delegate.
    pub for_member: Option<String>,
    /// The delegate who cast it for the viewer.
    pub by_delegate: Option<String>,
}

/// A change in `authorize`, with what a CAB member needs to decide without opening it:
/// who and what it concerns, its risk and why, what it clashes with, how far it is from
/// approval, and where the viewer stands.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub change: ChangeSummary,
    pub requester: String,
    pub implementer: Option<String>,
    pub cis: Vec<String>,
    pub risk_factors: Vec<crate::domain::risk::Factor>,
    pub conflicts: Vec<crate::domain::schedule::Conflict>,
    /// Approvals so far in this round against the rule.
    pub approval: Progress,
    /// When it last came to the CAB (entered `authorize`).
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The viewer may vote and has not voted in this round.
    pub awaiting_viewer: bool,
    /// Members who named the viewer their delegate, may vote on it, and have not voted
    /// in this round.
    pub awaiting_for: Vec<Caller>,
    /// Ballots in this round by the viewer, or cast by them for a member, or for them.
    pub own: Vec<OwnVote>,
    /// Why the viewer has no vote of their own on it, if they have none.
    pub no_vote: Option<NoVote>,
}

/// How far `change` is from approval under its rule, given the ballots of its current round.
pub fn progress_of(ctx: &Ctx, change: &crate::domain::change::Change, round: &[Ballot]) -> Progress {
    let rule = ctx.config.approval.rule_for(change.change_type, change.risk.level);
    match decide(rule, ctx.config.approval.veto, round) {
        Outcome::Pending(progress) => progress,
        Outcome::Approved | Outcome::Rejected => {
            Progress { approvals: rule.approvals, required: rule.approvals, manager_needed: false }
        }
    }
}

/// Changes awaiting the CAB, highest risk first: a bounded list and one batch query each
/// for ballots, names, CIs and conflicts.
pub fn cab(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<QueueItem>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    ctx.db.read(|conn| {
        let filter = ListFilter {
            states: vec![ChangeState::Authorize],
            order: ListOrder::RiskFirst,
            ..Default::default()
        };
        let changes = repo::page(conn, &filter, QUEUE_LIMIT, 0)?;
        let ids: Vec<ChangeId> = changes.iter().map(|c| c.id).collect();
        let principals = super::delegations::principals_of(conn, caller.id, ctx.clock.now())?;
        let mut people = vec![caller.id];
        people.extend(principals.iter().map(|p| p.id));
        let cast = votes::cast_on(conn, &ids)?;
        let current = |change: &crate::domain::change::Change| {
            let (id, round) = (change.id, change.decision_round);
            cast.iter().filter(move |c| c.change == id && c.round == round)
        };
        let voted = |person: UserId, change: &crate::domain::change::Change| {
            current(change).any(|c| c.ballot.voter == person)
        };
        let awaits = |person: &Caller, permission, change: &crate::domain::change::Change| {
            !voted(person.id, change) && ctx.authz.allows(person, permission, &Object::change(change))
        };
        let mut named: Vec<UserId> = changes.iter().map(|c| c.requester_id).collect();
        named.extend(changes.iter().filter_map(|c| c.implementer_id));
        named.extend(cast.iter().filter_map(|c| c.cast_by));
        named.extend(cast.iter().map(|c| c.ballot.voter).filter(|v| people.contains(v)));
        named.sort();
        named.dedup();
        let names = crate::db::users::names(conn, &named)?;
        let name = |id: UserId| names.get(&id).cloned().unwrap_or_default();
        let mut conflicts = super::change_view::conflicts_of_many(conn, &changes)?;
        let may_vote_at_all = ctx.authz.allows(caller, Permission::Vote, &Object::none());
        let items = summaries(conn, changes.clone())?;
        let ci_ids: BTreeSet<crate::domain::ids::CiId> =
            items.iter().flat_map(|c| c.ci_ids.iter().copied()).collect();
        let ci_names: std::collections::BTreeMap<_, _> =
            crate::db::cis::by_ids(conn, &ci_ids.into_iter().collect::<Vec<_>>())?
                .into_iter()
                .map(|ci| (ci.id, ci.name))
                .collect();
        Ok(changes
            .iter()
            .zip(items)
            .map(|(c, change)| {
                let delegate_may = ctx.authz.allows(caller, Permission::VoteFor, &Object::change(c));
                let awaiting_for = match principals.is_empty() || !delegate_may {
                    true => Vec::new(),
                    false => principals.iter().filter(|p| awaits(p, Permission::Vote, c)).cloned().collect(),
                };
                let round: Vec<Ballot> = current(c).map(|b| b.ballot).collect();
                let own = current(c)
                    .filter(|b| b.ballot.voter == caller.id || b.cast_by == Some(caller.id))
                    .map(|b| OwnVote {
                        decision: b.ballot.decision,
                        at: b.at,
                        for_member: (b.ballot.voter != caller.id).then(|| name(b.ballot.voter)),
                        by_delegate: b.cast_by.filter(|d| *d != caller.id).map(name),
                    })
                    .collect();
                // The policy decides; these say why it said no, from the same facts.
                let no_vote = match ctx.authz.allows(caller, Permission::Vote, &Object::change(c)) {
                    true => None,
                    false if !may_vote_at_all => Some(NoVote::NotVoter),
                    false if c.requester_id == caller.id => Some(NoVote::Requester),
                    false if c.implementer_id == Some(caller.id) => Some(NoVote::Implementer),
                    false => Some(NoVote::NotVoter),
                };
                QueueItem {
                    requester: name(c.requester_id),
                    implementer: c.implementer_id.map(name),
                    cis: change.ci_ids.iter().filter_map(|id| ci_names.get(&id.0).cloned()).collect(),
                    risk_factors: c.risk.factors.clone(),
                    conflicts: conflicts.remove(&c.id).unwrap_or_default(),
                    approval: progress_of(ctx, c, &round),
                    submitted_at: c.authorized_at,
                    awaiting_viewer: awaits(caller, Permission::Vote, c),
                    awaiting_for,
                    own,
                    no_vote,
                    change,
                }
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
        let changes = repo::page(conn, &filter, 20, 0)?;
        summaries(conn, changes)
    })
}
