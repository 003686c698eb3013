//! Work lists: what waits for whom (the CAB queue, a voter's open votes, an implementer's
//! upcoming work). Each is a bounded list query plus at most one batch query.

use super::changes::{summaries, ChangeSummary};
use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::changes::{self as repo, ListFilter, ListOrder};
use crate::db::votes;
use crate::domain::caller::Caller;
use crate::domain::change::ChangeState;
use crate::domain::ids::ChangeId;
use std::collections::BTreeSet;

/// Most entries a work list shows.
pub const QUEUE_LIMIT: i64 = 200;

/// A change in `authorize` with whether the viewer still has to vote on it.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub change: ChangeSummary,
    /// The viewer may vote and has not voted in this round.
    pub awaiting_viewer: bool,
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
        let voted: BTreeSet<(ChangeId, i32)> =
            votes::rounds_voted(conn, caller.id, &ids)?.into_iter().collect();
        let awaiting: Vec<bool> = changes
            .iter()
            .map(|c| {
                !voted.contains(&(c.id, c.decision_round))
                    && ctx.authz.allows(caller, Permission::Vote, &Object::change(c))
            })
            .collect();
        let items = summaries(conn, changes)?;
        Ok(items
            .into_iter()
            .zip(awaiting)
            .map(|(change, awaiting_viewer)| QueueItem { change, awaiting_viewer })
            .collect())
    })
}

/// A list for one of the home page's sections.
pub fn changes(ctx: &Ctx, caller: &Caller, filter: ListFilter) -> ServiceResult<Vec<ChangeSummary>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    ctx.db.read(|conn| {
        let (changes, _) = repo::list(conn, &filter, 20, 0)?;
        summaries(conn, changes)
    })
}
