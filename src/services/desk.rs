//! The service desk's view: what is being changed now and in the next 48 hours, on which
//! configuration items, with what downtime, by whom and how to reach them — searchable
//! by a CI's name or kind, or words of the title, so a caller's "the archive system is
//! slow" finds the change in one search.

use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{changes, cis, users};
use crate::domain::caller::Caller;
use crate::domain::change::ChangeState;
use crate::domain::ids::{ChangeId, CiId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// How far ahead the desk looks.
pub const AHEAD: Duration = Duration::hours(48);
/// Most changes the view holds.
const LIMIT: i64 = 500;

/// One change as the desk sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeskItem {
    pub id: ChangeId,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub state: ChangeState,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    /// Under way now (in implementation, or its window is open).
    pub now: bool,
    /// The configuration items and their kinds (`Sak- og arkivsystem (applikasjon)`).
    pub cis: Vec<String>,
    /// The risk answer on expected downtime (`none`, `under_1h`, …), if answered.
    pub downtime: Option<String>,
    /// The risk answer on how many users are affected, if answered.
    pub users_affected: Option<String>,
    pub implementer: Option<String>,
    /// How to reach the implementer.
    pub implementer_email: Option<String>,
}

/// What is changing from `now` to `now + AHEAD`, soonest first, narrowed to those whose
/// CIs or title hold every word of `query` (any case) when one is given.
pub fn view(ctx: &Ctx, caller: &Caller, query: Option<&str>) -> ServiceResult<Vec<DeskItem>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    let now = ctx.clock.now();
    let words: Vec<String> =
        query.unwrap_or("").split_whitespace().map(str::to_lowercase).filter(|w| !w.is_empty()).collect();
    ctx.db.read(|conn| {
        let booked = [ChangeState::Scheduled, ChangeState::Implement];
        let mut found = changes::in_window(conn, &booked, now, now + AHEAD, LIMIT)?;
        // Work still under way after its window ended is being changed now all the same.
        let under_way = changes::ListFilter {
            states: vec![ChangeState::Implement],
            order: changes::ListOrder::Soonest,
            ..Default::default()
        };
        let overrunning = changes::page(conn, &under_way, LIMIT, 0)?;
        for change in overrunning {
            if !found.iter().any(|c| c.id == change.id) {
                found.push(change);
            }
        }
        found.sort_by_key(|c| (c.planned_start, c.id));
        let ids: Vec<ChangeId> = found.iter().map(|c| c.id).collect();
        let ci_map = changes::ci_ids_of(conn, &ids)?;
        let all_cis: Vec<CiId> = ci_map.values().flatten().copied().collect();
        let ci_names: BTreeMap<CiId, String> = cis::by_ids(conn, &all_cis)?
            .into_iter()
            .map(|c| (CiId(c.id), format!("{} ({})", c.name, c.kind)))
            .collect();
        let people: Vec<UserId> = found.iter().filter_map(|c| c.implementer_id).collect();
        // Active or not: the desk names who was to do it even after they left.
        let implementers = users::accounts(conn, &people)?;
        let answers = changes::risk_answers_of(conn, &ids)?;
        let mut items = Vec::new();
        for change in found {
            let cis: Vec<String> = ci_map
                .get(&change.id)
                .into_iter()
                .flatten()
                .filter_map(|id| ci_names.get(id).cloned())
                .collect();
            let haystack = format!("{} {}", change.title, cis.join(" ")).to_lowercase();
            if !words.iter().all(|w| haystack.contains(w.as_str())) {
                continue;
            }
            let answer = |question: &str| {
                answers
                    .get(&change.id)
                    .and_then(|a| a.iter().find(|(q, _)| q == question))
                    .map(|(_, a)| a.clone())
            };
            let implementer = change.implementer_id.and_then(|id| implementers.iter().find(|p| p.id == id));
            let open = change.planned_start.is_some_and(|s| s <= now);
            items.push(DeskItem {
                reference: change.id.reference(),
                now: change.state == ChangeState::Implement || open,
                downtime: answer("downtime"),
                users_affected: answer("users_affected"),
                implementer: implementer.map(|p| p.name.clone()),
                implementer_email: implementer.map(|p| p.email.clone()),
                id: change.id,
                title: change.title,
                state: change.state,
                planned_start: change.planned_start,
                planned_end: change.planned_end,
                cis,
            });
        }
        Ok(items)
    })
}
