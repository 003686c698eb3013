//! The change calendar as data: windows held in a period, and the blackouts in it.

use super::reference::BlackoutView;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{blackouts, changes};
use crate::domain::caller::Caller;
use crate::domain::change::{ChangeState, ChangeType};
use crate::domain::ids::{ChangeId, CiId};
use crate::domain::schedule::{self, Booked};
use crate::domain::validation::Message;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Longest period one calendar request may span.
pub const MAX_DAYS: i64 = 366;
/// Most entries one calendar request returns.
const ENTRY_LIMIT: i64 = 2000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarEntry {
    pub id: ChangeId,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
    pub ci_ids: Vec<CiId>,
    /// It overlaps another booked change on a shared CI or with the same implementer, or
    /// a blackout.
    pub conflicted: bool,
    /// What it conflicts with (empty when it does not).
    pub conflicts: Vec<schedule::Conflict>,
    /// Not yet approved (awaiting assessment or the CAB): its window is not held yet.
    pub tentative: bool,
}

/// Narrows a calendar; conflicts are still judged against every change in the period.
#[derive(Debug, Clone, Default)]
pub struct CalendarFilter {
    pub ci: Option<CiId>,
    pub change_type: Option<ChangeType>,
    pub state: Option<ChangeState>,
    /// Also the changes still awaiting assessment or approval, marked as tentative.
    pub tentative: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Calendar {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub changes: Vec<CalendarEntry>,
    pub blackouts: Vec<BlackoutView>,
}

/// States shown on the calendar: booked windows and the ones already carried out.
const SHOWN: [ChangeState; 4] =
    [ChangeState::Scheduled, ChangeState::Implement, ChangeState::Review, ChangeState::Closed];

pub fn period(
    ctx: &Ctx,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &CalendarFilter,
) -> ServiceResult<Calendar> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    if to <= from {
        return Err(ServiceError::invalid("to", Message::new("msg-to-after-from")));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(ServiceError::invalid("to", Message::new("msg-period-too-long").arg("days", MAX_DAYS)));
    }
    ctx.db.read(|conn| {
        let mut states = SHOWN.to_vec();
        if filter.tentative {
            states.extend([ChangeState::Assess, ChangeState::Authorize]);
        }
        let held = changes::entries_in_window(conn, &states, (from, to), ENTRY_LIMIT)?;
        let ids: Vec<ChangeId> = held.iter().map(|c| c.id).collect();
        let mut ci_map = changes::ci_ids_of(conn, &ids)?;
        let freezes = blackouts::overlapping(conn, from, to, ENTRY_LIMIT)?;
        let booked: Vec<(changes::Entry, Booked)> = held
            .into_iter()
            .map(|c| {
                let booked = Booked {
                    id: c.id,
                    title: c.title.clone(),
                    window: c.window,
                    ci_ids: ci_map.remove(&c.id).unwrap_or_default(),
                    implementer: c.implementer,
                };
                (c, booked)
            })
            .collect();
        // What each one holding its window conflicts with, in one pass over them.
        let holding: Vec<Booked> =
            booked.iter().filter(|(c, _)| c.state.holds_window()).map(|(_, b)| b.clone()).collect();
        let mut conflicts_of: BTreeMap<ChangeId, Vec<schedule::Conflict>> = holding
            .iter()
            .zip(schedule::conflicts_each(&holding, &freezes))
            .filter(|(_, found)| !found.is_empty())
            .map(|(b, found)| (b.id, found))
            .collect();
        let entries = booked
            .into_iter()
            .filter(|(c, b)| {
                filter.ci.is_none_or(|ci| b.ci_ids.contains(&ci))
                    && filter.change_type.is_none_or(|t| t == c.change_type)
                    && filter.state.is_none_or(|s| s == c.state)
            })
            .map(|(c, b)| {
                let conflicts = conflicts_of.remove(&c.id).unwrap_or_default();
                CalendarEntry {
                    reference: c.id.reference(),
                    conflicted: !conflicts.is_empty(),
                    conflicts,
                    tentative: matches!(c.state, ChangeState::Assess | ChangeState::Authorize),
                    ci_ids: b.ci_ids.into_iter().collect(),
                    planned_start: b.window.start(),
                    planned_end: b.window.end(),
                    id: c.id,
                    title: c.title,
                    change_type: c.change_type,
                    state: c.state,
                }
            })
            .collect();
        Ok(Calendar {
            from,
            to,
            changes: entries,
            blackouts: freezes.into_iter().map(BlackoutView::from).collect(),
        })
    })
}
