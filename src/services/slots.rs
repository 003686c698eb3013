//! `GET /api/v1/changes/{id}/slots`: the next free windows of a change's length within 90
//! days, inside its CIs' maintenance windows and free of conflicts and freezes.

use super::changes::load;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{blackouts, changes, maintenance, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::Change;
use crate::domain::ids::{ChangeId, CiId};
use crate::domain::maintenance::Weekly;
use crate::domain::schedule::Planned;
use crate::domain::slots::{suggest, Search};
use crate::domain::validation::Message;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// How far ahead slots are looked for.
pub const HORIZON: Duration = Duration::days(90);
/// Most slots one answer holds.
pub const MAX_COUNT: usize = 20;
/// Most booked changes or freezes the search weighs.
const NEIGHBOURS: i64 = 2000;

/// A free window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Slot {
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
}

/// The next `count` free slots for change `id`, from `after` (default now).
pub fn for_change(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    count: usize,
    after: Option<DateTime<Utc>>,
) -> ServiceResult<Vec<Slot>> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        free_slots(conn, &change, count, after.unwrap_or(ctx.clock.now()))
    })
}

/// The slots, read in the caller's transaction (the change page uses it too).
pub fn free_slots(
    conn: &mut DbConn,
    change: &Change,
    count: usize,
    after: DateTime<Utc>,
) -> ServiceResult<Vec<Slot>> {
    let Some(window) = change.window() else {
        return Err(ServiceError::invalid("planned_start", Message::new("msg-window-needed")));
    };
    let until = after + HORIZON;
    let ci_ids = changes::ci_ids_of_one(conn, change.id)?;
    let booked = changes::holding_near(conn, &ci_ids, change.implementer_id, after, until, NEIGHBOURS)?;
    let freezes = blackouts::overlapping(conn, after, until, NEIGHBOURS)?;
    let windows: BTreeMap<CiId, Vec<Weekly>> = maintenance::of_cis(conn, &ci_ids)?
        .into_iter()
        .map(|(ci, rows)| (ci, rows.iter().filter_map(super::maintenance::weekly).collect()))
        .collect();
    let planned = Planned { id: Some(change.id), window, ci_ids, implementer: change.implementer_id };
    let search = Search {
        planned: &planned,
        length: window.duration(),
        after,
        until,
        booked: &booked,
        freezes: &freezes,
        windows: &windows,
    };
    Ok(suggest(&search, count.clamp(1, MAX_COUNT))
        .into_iter()
        .map(|w| Slot { planned_start: w.start(), planned_end: w.end() })
        .collect())
}
