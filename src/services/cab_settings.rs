//! The CAB meeting settings (SPEC §2): weekday, time and zone of the weekly meeting, the
//! cut-off, and what a meeting on a holiday does. `[cab]` in the config file gives the
//! defaults; saved on the admin page (or `PUT /api/v1/cab/settings`), they take
//! precedence. Saving re-plans the regular meetings ahead whose agenda has not gone out.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::config::CabConfig;
use crate::db::{cab_settings as repo, DbConn};
use crate::domain::cab::MeetingRule;
use crate::domain::caller::Caller;
use crate::domain::validation::Message;
use chrono_tz::Tz;

/// Body of `PUT /api/v1/cab/settings`: every setting, none left to a default.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// `monday` … `friday`.
    #[schema(schema_with = crate::domain::schema::working_weekday)]
    pub meeting_day: String,
    /// `HH:MM`.
    #[schema(schema_with = crate::domain::schema::time_of_day)]
    pub meeting_time: String,
    /// `HH:MM` on the working day before the meeting.
    #[schema(schema_with = crate::domain::schema::time_of_day)]
    pub cutoff_time: String,
    /// `next_working_day` or `skip`.
    #[schema(schema_with = crate::domain::schema::on_holiday)]
    pub on_holiday: String,
    /// IANA zone; none: the service's.
    #[schema(schema_with = crate::domain::schema::zone_or_null)]
    pub zone: Option<String>,
}

impl From<SettingsInput> for CabConfig {
    fn from(input: SettingsInput) -> Self {
        CabConfig {
            meeting_day: input.meeting_day,
            meeting_time: input.meeting_time,
            cutoff_time: input.cutoff_time,
            on_holiday: input.on_holiday,
            zone: input.zone,
        }
    }
}

/// The settings in force: saved ones, else the config file's.
pub fn current(ctx: &Ctx, conn: &mut DbConn) -> diesel::QueryResult<CabConfig> {
    Ok(repo::get(conn)?.unwrap_or_else(|| ctx.config.cab.clone()))
}

/// The meeting rule in force and its zone.
pub fn rule(ctx: &Ctx, conn: &mut DbConn) -> diesel::QueryResult<(MeetingRule, Tz)> {
    let settings = current(ctx, conn)?;
    Ok((settings.rule().unwrap_or_default(), settings.zone_or(ctx.config.time_zone())))
}

/// The settings as the admin page and the API show them (the zone filled in).
pub fn show(ctx: &Ctx, caller: &Caller) -> ServiceResult<CabConfig> {
    ctx.require(caller, Permission::ConfigureCab, &Object::none())?;
    let mut settings = ctx.db.query(|conn| current(ctx, conn))?;
    settings.zone = Some(settings.zone_or(ctx.config.time_zone()).name().to_owned());
    Ok(settings)
}

/// The field a settings error is about, from the message `CabConfig::rule` gives.
fn field_of(error: &str) -> &'static str {
    ["meeting_day", "meeting_time", "cutoff_time", "on_holiday", "zone"]
        .into_iter()
        .find(|f| error.starts_with(&format!("cab.{f}")))
        .unwrap_or("meeting_day")
}

/// Saves the settings (admins, change managers; audited with before and after) and plans
/// the coming meetings by them: regular meetings ahead that are still only planned and
/// whose agenda has not gone out are replaced.
pub fn save(ctx: &Ctx, caller: &Caller, input: CabConfig) -> ServiceResult<CabConfig> {
    ctx.require(caller, Permission::ConfigureCab, &Object::none())?;
    // Read as the maintenance windows' are: any case, spaces around ignored.
    let mut settings = CabConfig {
        meeting_day: input.meeting_day.trim().to_lowercase(),
        meeting_time: input.meeting_time.trim().to_owned(),
        cutoff_time: input.cutoff_time.trim().to_owned(),
        ..input
    };
    if settings.zone.as_deref().is_some_and(|z| z.trim().is_empty()) {
        settings.zone = None;
    }
    if let Err(error) = settings.rule() {
        let key = match field_of(&error) {
            "meeting_day" => "msg-weekday",
            "zone" => "msg-time-zone",
            "on_holiday" => "msg-choice",
            _ => "msg-time-of-day",
        };
        return Err(ServiceError::invalid(field_of(&error), Message::new(key)));
    }
    let zone = settings.zone_or(ctx.config.time_zone()).name().to_owned();
    let now = ctx.clock.now();
    let rule = settings.rule().unwrap_or_default();
    let tz = settings.zone_or(ctx.config.time_zone());
    let keep: Vec<chrono::DateTime<chrono::Utc>> = ctx
        .db
        .read(|conn| super::meetings::schedule(conn, &rule, tz, now))?
        .into_iter()
        .map(|(start, _)| start)
        .collect();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let before = current(ctx, conn)?;
        repo::put(conn, &settings, &zone, caller.id.0, now)?;
        // Meetings the new settings would plan just the same are kept as they are.
        let replanned = crate::db::meetings::drop_unsent_regular(conn, now, &keep)?;
        let payload = serde_json::json!({ "before": before, "after": settings, "zone": zone, "meetings_replanned": replanned });
        record(conn, Event::general(Some(caller.id), "configure_cab", payload), now)?;
        Ok(())
    })?;
    super::meetings::plan_ahead(ctx)?;
    show(ctx, caller)
}
