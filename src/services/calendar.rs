//! The change calendar as data: windows held in a period, and the blackouts in it.

use super::reference::BlackoutView;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{blackouts, changes};
use crate::domain::caller::Caller;
use crate::domain::change::{ChangeState, ChangeType};
use crate::domain::ids::{ChangeId, CiId};
use chrono::{DateTime, Utc};
use serde::Serialize;

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

pub fn period(ctx: &Ctx, caller: &Caller, from: DateTime<Utc>, to: DateTime<Utc>) -> ServiceResult<Calendar> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    if to <= from {
        return Err(ServiceError::invalid("to", "must be after from"));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(ServiceError::invalid("to", format!("a calendar spans at most {MAX_DAYS} days")));
    }
    ctx.db.read(|conn| {
        let held = changes::in_window(conn, &SHOWN, from, to, ENTRY_LIMIT)?;
        let ids: Vec<ChangeId> = held.iter().map(|c| c.id).collect();
        let mut ci_map = changes::ci_ids_of(conn, &ids)?;
        let entries = held
            .into_iter()
            .filter_map(|c| {
                Some(CalendarEntry {
                    reference: c.id.reference(),
                    ci_ids: ci_map.remove(&c.id).unwrap_or_default().into_iter().collect(),
                    planned_start: c.planned_start?,
                    planned_end: c.planned_end?,
                    id: c.id,
                    title: c.title,
                    change_type: c.change_type,
                    state: c.state,
                })
            })
            .collect();
        let freezes = blackouts::overlapping(conn, from, to, ENTRY_LIMIT)?;
        Ok(Calendar {
            from,
            to,
            changes: entries,
            blackouts: freezes.into_iter().map(BlackoutView::from).collect(),
        })
    })
}
