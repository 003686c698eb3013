//! The working-day calendar as the service keeps it: the public holidays computed for any
//! year, and the extra closed days an admin adds or removes (audited).

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{closed_days, DbConn};
use crate::domain::caller::Caller;
use crate::domain::text::Text;
use crate::domain::validation::{required_text, FieldErrors, Message};
use crate::domain::workdays::{norwegian_holidays, Holiday, WorkingDays};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The calendar for questions about `[from, to]` (the closed days in it loaded).
pub fn calendar(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> ServiceResult<WorkingDays> {
    let (from, to) = if from <= to { (from, to) } else { (to, from) };
    let closed = closed_days::between(conn, from, to)?;
    Ok(WorkingDays::with_closed(closed.into_iter().map(|(day, _)| day)))
}

/// A day that is not a working day, besides weekends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayOff {
    pub day: NaiveDate,
    /// The public holiday it is, if any.
    pub holiday: Option<Holiday>,
    /// The name an admin gave a closed day.
    pub name: Option<String>,
}

/// The public holidays and the closed days of `year`, in date order.
pub fn year(ctx: &Ctx, caller: &Caller, year: i32) -> ServiceResult<Vec<DayOff>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    if !crate::domain::change::PLAUSIBLE_YEARS.contains(&year) {
        return Err(ServiceError::invalid("year", Message::new("msg-year-range")));
    }
    let (first, last) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(ServiceError::invalid("year", Message::new("msg-year-range")));
    };
    let closed = ctx.db.query(|conn| closed_days::between(conn, first, last))?;
    let mut days: Vec<DayOff> = norwegian_holidays(year)
        .into_iter()
        .map(|(day, holiday)| DayOff { day, holiday: Some(holiday), name: None })
        .chain(closed.into_iter().map(|(day, name)| DayOff { day, holiday: None, name: Some(name) }))
        .collect();
    days.sort_by_key(|d| d.day);
    Ok(days)
}

/// Body of `POST /api/v1/closed-days`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosedDay {
    /// The local date, `YYYY-MM-DD`.
    pub day: NaiveDate,
    /// What it is, e.g. "Christmas closure".
    #[schema(schema_with = crate::domain::schema::required::<200>)]
    pub name: Text,
}

/// Adds a closed day (admins; audited).
pub fn close(ctx: &Ctx, caller: &Caller, input: NewClosedDay) -> ServiceResult<DayOff> {
    ctx.require(caller, Permission::ManageCalendar, &Object::none())?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", required_text(&input.name, 200));
    if !crate::domain::change::PLAUSIBLE_YEARS.contains(&input.day.year()) {
        errors.add("day", Message::new("msg-year-range"));
    }
    let name = errors.finish(|| name.unwrap_or_default())?;
    let now = ctx.clock.now();
    let day = input.day;
    ctx.db.write(|conn| -> ServiceResult<()> {
        if closed_days::exists(conn, day)? {
            let message = Message::new("msg-day-closed-already").arg("day", day);
            return Err(ServiceError::Taken { field: "day", message });
        }
        closed_days::insert(conn, day, &name, caller.id.0, now)?;
        let payload = serde_json::json!({ "day": day, "name": name });
        let event = Event::general(Some(caller.id), "close_day", payload);
        record(conn, event, now)?;
        Ok(())
    })?;
    Ok(DayOff { day, holiday: None, name: Some(name) })
}

/// Makes a closed day a working day again (admins; audited).
pub fn reopen(ctx: &Ctx, caller: &Caller, day: NaiveDate) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageCalendar, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        if !closed_days::delete(conn, day)? {
            return Err(ServiceError::NotFound(format!("{day} is not a closed day")));
        }
        let payload = serde_json::json!({ "day": day });
        let event = Event::general(Some(caller.id), "reopen_day", payload);
        record(conn, event, now)?;
        Ok(())
    })
}
