//! Maintenance windows per CI (SPEC §2, §6): managed by admins and change managers
//! (audited); a planned window outside them is a warning on the change and a risk factor.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::maintenance::{self as repo, NewWindow, Row};
use crate::db::DbConn;
use crate::domain::caller::Caller;
use crate::domain::change::Window;
use crate::domain::ids::CiId;
use crate::domain::maintenance::{outside, Weekly};
use crate::domain::validation::{FieldErrors, Message};
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most windows one list shows.
const LIST_LIMIT: i64 = 1000;

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

/// A maintenance window as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MaintenanceWindowView {
    pub id: i32,
    pub ci_id: CiId,
    /// `monday` … `sunday`.
    pub weekday: String,
    /// Local `HH:MM`.
    pub starts: String,
    /// Local `HH:MM`; at or before `starts`: the next day.
    pub ends: String,
    /// IANA zone.
    pub zone: String,
}

fn view(row: Row) -> MaintenanceWindowView {
    let (id, ci, weekday, starts, ends, zone) = row;
    MaintenanceWindowView { id, ci_id: CiId(ci), weekday, starts, ends, zone }
}

/// The stored window as the rule it is (none if a stored value does not parse).
pub(crate) fn weekly(row: &Row) -> Option<Weekly> {
    let (_, _, weekday, starts, ends, zone) = row;
    Some(Weekly {
        weekday: WEEKDAYS.iter().find(|(name, _)| name == weekday)?.1,
        start: NaiveTime::parse_from_str(starts, "%H:%M").ok()?,
        end: NaiveTime::parse_from_str(ends, "%H:%M").ok()?,
        zone: zone.parse().ok()?,
    })
}

/// The CIs of `ci_ids` whose maintenance windows do not hold `window` (CIs without
/// windows are never outside).
pub fn cis_outside(conn: &mut DbConn, window: &Window, ci_ids: &BTreeSet<CiId>) -> ServiceResult<Vec<CiId>> {
    if ci_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(outside(window, ci_ids, &rules_of(conn, ci_ids)?))
}

/// The maintenance windows of `ci_ids` as rules, by CI, in one query.
pub fn rules_of(conn: &mut DbConn, ci_ids: &BTreeSet<CiId>) -> ServiceResult<BTreeMap<CiId, Vec<Weekly>>> {
    Ok(repo::of_cis(conn, ci_ids)?
        .into_iter()
        .map(|(ci, rows)| (ci, rows.iter().filter_map(weekly).collect()))
        .collect())
}

pub fn list(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<MaintenanceWindowView>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    Ok(ctx.db.query(|conn| repo::all(conn, LIST_LIMIT))?.into_iter().map(view).collect())
}

/// Body of `POST /api/v1/maintenance-windows`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenanceWindow {
    pub ci_id: CiId,
    /// `monday` … `sunday`.
    #[schema(schema_with = crate::domain::schema::weekday)]
    pub weekday: String,
    /// Local `HH:MM`.
    #[schema(schema_with = crate::domain::schema::time_of_day)]
    pub starts: String,
    /// Local `HH:MM`; at or before `starts`: the next day.
    #[schema(schema_with = crate::domain::schema::time_of_day)]
    pub ends: String,
    /// IANA zone; default the service's.
    #[schema(schema_with = crate::domain::schema::zone_or_null)]
    pub zone: Option<String>,
}

/// A window's rule, checked: `(weekday, starts, ends, zone)`.
fn rule_fields(ctx: &Ctx, input: &NewMaintenanceWindow) -> ServiceResult<(String, String, String, String)> {
    let mut errors = FieldErrors::default();
    let weekday = input.weekday.trim().to_lowercase();
    if !WEEKDAYS.iter().any(|(name, _)| *name == weekday) {
        errors.add("weekday", Message::new("msg-weekday"));
    }
    let mut time = |field: &str, text: &str| {
        let parsed =
            NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| Message::new("msg-time-of-day"));
        errors.check(field, parsed).map(|t| t.format("%H:%M").to_string())
    };
    let (starts, ends) = (time("starts", &input.starts), time("ends", &input.ends));
    let zone = input.zone.clone().unwrap_or_else(|| ctx.config.timezone.clone());
    if zone.parse::<chrono_tz::Tz>().is_err() {
        errors.add("zone", Message::new("msg-time-zone"));
    }
    if starts.is_some() && starts == ends {
        errors.add("ends", Message::new("msg-ends-before-start"));
    }
    let (starts, ends) = errors.finish(|| (starts.unwrap_or_default(), ends.unwrap_or_default()))?;
    Ok((weekday, starts, ends, zone))
}

/// Refuses a CI that does not exist or is retired.
fn check_ci(conn: &mut DbConn, ci: CiId) -> ServiceResult<()> {
    let mut errors = FieldErrors::default();
    super::reference::check_cis(conn, &BTreeSet::from([ci]), &mut errors)?;
    errors.finish(|| ()).map_err(|mut e| {
        e.iter_mut().for_each(|f| f.field = "ci_id".into());
        ServiceError::Invalid(e)
    })
}

/// Adds a maintenance window to a CI (admins, change managers; audited).
pub fn add(ctx: &Ctx, caller: &Caller, input: NewMaintenanceWindow) -> ServiceResult<MaintenanceWindowView> {
    ctx.require(caller, Permission::ManageMaintenance, &Object::none())?;
    let (weekday, starts, ends, zone) = rule_fields(ctx, &input)?;
    let now = ctx.clock.now();
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        check_ci(conn, input.ci_id)?;
        let new = NewWindow { ci: input.ci_id, weekday: &weekday, starts: &starts, ends: &ends, zone: &zone, created_by: caller.id.0 };
        let id = repo::insert(conn, &new, now)?;
        let payload = serde_json::json!({ "window_id": id, "ci_id": input.ci_id, "weekday": weekday, "starts": starts, "ends": ends, "zone": zone });
        record(conn, Event::general(Some(caller.id), "add_maintenance_window", payload), now)?;
        Ok(id)
    })?;
    Ok(MaintenanceWindowView { id, ci_id: input.ci_id, weekday, starts, ends, zone })
}

/// Removes a maintenance window (admins, change managers; audited).
pub fn remove(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageMaintenance, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let Some(row) = repo::find(conn, id)? else {
            return Err(ServiceError::NotFound(format!("there is no maintenance window {id}")));
        };
        repo::delete(conn, id)?;
        let payload = serde_json::json!({ "window_id": id, "ci_id": row.1 });
        record(conn, Event::general(Some(caller.id), "remove_maintenance_window", payload), now)?;
        Ok(())
    })
}

/// Changes a maintenance window's rule (admins, change managers; audited with the rule
/// before and after).
pub fn update(
    ctx: &Ctx,
    caller: &Caller,
    id: i32,
    input: NewMaintenanceWindow,
) -> ServiceResult<MaintenanceWindowView> {
    ctx.require(caller, Permission::ManageMaintenance, &Object::none())?;
    let (weekday, starts, ends, zone) = rule_fields(ctx, &input)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let Some(before) = repo::find(conn, id)? else {
            return Err(ServiceError::NotFound(format!("there is no maintenance window {id}")));
        };
        check_ci(conn, input.ci_id)?;
        let new = NewWindow { ci: input.ci_id, weekday: &weekday, starts: &starts, ends: &ends, zone: &zone, created_by: caller.id.0 };
        repo::update(conn, id, &new)?;
        let after = serde_json::json!({ "ci_id": input.ci_id, "weekday": weekday, "starts": starts, "ends": ends, "zone": zone });
        let payload = serde_json::json!({ "window_id": id, "before": view(before), "after": after });
        record(conn, Event::general(Some(caller.id), "update_maintenance_window", payload), now)?;
        Ok(())
    })?;
    Ok(MaintenanceWindowView { id, ci_id: input.ci_id, weekday, starts, ends, zone })
}
