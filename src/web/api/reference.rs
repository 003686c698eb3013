//! Reference data and the calendar: `/cis`, `/templates`, `/blackouts`, `/calendar`.

use super::changes::{parse_number, parse_time};
use crate::domain::caller::Caller;
use crate::domain::change::within_plausible;
use crate::domain::change::{ChangeState, ChangeType};
use crate::domain::ids::{CiId, TemplateId};
use crate::domain::validation::{FieldErrors, Message};
use crate::services::calendar::{self, Calendar, CalendarFilter};
use crate::services::reference::CiView;
use crate::services::reference::{self, BlackoutView, NewBlackout, NewCi, NewTemplate, TemplateView};
use crate::services::reports::{self, Summary};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::{Json, Query};
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[param(value_type = Option<i64>, minimum = 0)]
    pub offset: Option<String>,
}

impl PageParams {
    fn offset(&self) -> ServiceResult<i64> {
        let mut errors = FieldErrors::default();
        let offset = parse_number(&mut errors, "offset", self.offset.as_deref(), 0..=i64::MAX);
        Ok(errors.finish(|| offset.unwrap_or(0))?)
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// RFC 3339; default now.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<String>,
    /// RFC 3339; default 31 days after `from`.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub to: Option<String>,
}

impl PeriodParams {
    pub fn period(&self, now: DateTime<Utc>) -> ServiceResult<(DateTime<Utc>, DateTime<Utc>)> {
        let mut errors = FieldErrors::default();
        let from = parse_time(&mut errors, "from", self.from.as_deref());
        let to = parse_time(&mut errors, "to", self.to.as_deref());
        let from = errors.finish(|| from.unwrap_or(now))?;
        let to = to.unwrap_or_else(|| within_plausible(from + Duration::days(31)));
        Ok((from, to))
    }
}

/// The period of a report: it looks back from `to`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportPeriodParams {
    /// RFC 3339; default 90 days before `to`.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<String>,
    /// RFC 3339; default now.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub to: Option<String>,
}

/// How far back a report looks when no `from` is given.
pub const REPORT_DAYS: i64 = 90;

impl ReportPeriodParams {
    fn period(&self, now: DateTime<Utc>) -> ServiceResult<(DateTime<Utc>, DateTime<Utc>)> {
        let mut errors = FieldErrors::default();
        let from = parse_time(&mut errors, "from", self.from.as_deref());
        let to = parse_time(&mut errors, "to", self.to.as_deref());
        errors
            .finish(|| {
                let to = to.unwrap_or(now);
                (from.unwrap_or_else(|| within_plausible(to - Duration::days(REPORT_DAYS))), to)
            })
            .map_err(Into::into)
    }
}

/// Configuration items, by name.
#[utoipa::path(get, path = "/api/v1/cis", params(PageParams), responses((status = 200, body = [CiView])), security(("bearer" = [])))]
pub async fn list_cis(
    ctx: web::Data<Ctx>,
    caller: Caller,
    page: Query<PageParams>,
) -> ServiceResult<web::Json<Vec<CiView>>> {
    let offset = page.offset()?;
    Ok(web::Json(run(ctx, move |ctx| reference::list_cis(ctx, &caller, offset)).await?))
}

/// Add a configuration item (admins).
#[utoipa::path(post, path = "/api/v1/cis", request_body = NewCi,
    responses((status = 201, body = CiView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_ci(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewCi>,
) -> ServiceResult<HttpResponse> {
    let ci = run(ctx, move |ctx| reference::create_ci(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(ci))
}

/// Standard change templates, by name.
#[utoipa::path(get, path = "/api/v1/templates", params(PageParams), responses((status = 200, body = [TemplateView])), security(("bearer" = [])))]
pub async fn list_templates(
    ctx: web::Data<Ctx>,
    caller: Caller,
    page: Query<PageParams>,
) -> ServiceResult<web::Json<Vec<TemplateView>>> {
    let offset = page.offset()?;
    Ok(web::Json(run(ctx, move |ctx| reference::list_templates(ctx, &caller, offset)).await?))
}

/// Add a standard change template (change managers, admins).
#[utoipa::path(post, path = "/api/v1/templates", request_body = NewTemplate,
    responses((status = 201, body = TemplateView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_template(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewTemplate>,
) -> ServiceResult<HttpResponse> {
    let template = run(ctx, move |ctx| reference::create_template(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(template))
}

/// Blackout windows overlapping a period (default: the next 31 days).
#[utoipa::path(get, path = "/api/v1/blackouts", params(PeriodParams), responses((status = 200, body = [BlackoutView])), security(("bearer" = [])))]
pub async fn list_blackouts(
    ctx: web::Data<Ctx>,
    caller: Caller,
    params: Query<PeriodParams>,
) -> ServiceResult<web::Json<Vec<BlackoutView>>> {
    let (from, to) = params.period(ctx.clock.now())?;
    Ok(web::Json(run(ctx, move |ctx| reference::list_blackouts(ctx, &caller, from, to)).await?))
}

/// Add a blackout window; no `ci_ids` freezes everything (change managers, admins).
#[utoipa::path(post, path = "/api/v1/blackouts", request_body = NewBlackout,
    responses((status = 201, body = BlackoutView), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_blackout(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewBlackout>,
) -> ServiceResult<HttpResponse> {
    let blackout = run(ctx, move |ctx| reference::create_blackout(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(blackout))
}

/// Filters of the calendar, beside its period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    #[param(value_type = Option<i32>, minimum = 1)]
    pub ci: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<ChangeType>)]
    pub change_type: Option<String>,
    #[param(value_type = Option<ChangeState>)]
    pub state: Option<String>,
    /// Also the changes awaiting assessment or approval, marked `tentative` (`true`; the
    /// calendar page's checkbox sends `on`).
    #[param(value_type = Option<bool>)]
    pub tentative: Option<String>,
}

impl CalendarParams {
    pub fn filter(&self) -> ServiceResult<CalendarFilter> {
        let mut errors = FieldErrors::default();
        let ci = parse_number(
            &mut errors,
            "ci",
            self.ci.as_deref().filter(|c| !c.is_empty()),
            1..=i64::from(i32::MAX),
        );
        let change_type = self
            .change_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .and_then(|t| errors.check("type", t.parse()));
        let state =
            self.state.as_deref().filter(|s| !s.is_empty()).and_then(|s| errors.check("state", s.parse()));
        let tentative = match self.tentative.as_deref().unwrap_or("") {
            "" | "false" => Some(false),
            "true" | "on" => Some(true),
            _ => errors.check("tentative", Err::<bool, _>(Message::new("msg-bool"))),
        };
        Ok(errors.finish(|| CalendarFilter {
            ci: ci.and_then(|c| i32::try_from(c).ok()).map(CiId),
            change_type,
            state,
            tentative: tentative.unwrap_or(false),
        })?)
    }
}

/// Scheduled windows and blackouts in a period (at most 366 days), conflicts marked.
#[utoipa::path(get, path = "/api/v1/calendar", params(PeriodParams, CalendarParams),
    responses((status = 200, body = Calendar), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn calendar(
    ctx: web::Data<Ctx>,
    caller: Caller,
    period: Query<PeriodParams>,
    params: Query<CalendarParams>,
) -> ServiceResult<web::Json<Calendar>> {
    let (from, to) = period.period(ctx.clock.now())?;
    let filter = params.filter()?;
    Ok(web::Json(run(ctx, move |ctx| calendar::period(ctx, &caller, from, to, &filter)).await?))
}

/// `?q=` of the desk's view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskParams {
    /// Words that must all be in a change's title or its CIs' names or kinds (any case).
    #[param(value_type = Option<crate::domain::text::Text>, inline)]
    pub q: Option<crate::domain::text::Text>,
}

/// What `GET /api/v1/desk` answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DeskView {
    /// What is being changed now and in the next 48 hours, soonest first.
    pub changes: Vec<crate::services::desk::DeskItem>,
    /// The system messages not yet over (drafts too, for those who may publish them).
    pub messages: Vec<crate::services::system_messages::MessageView>,
}

/// What is being changed now and in the next 48 hours (scheduled or in implementation),
/// soonest first: CIs, expected downtime, users affected, the implementer and their email;
/// and the system messages employees are (or are about to be) told.
#[utoipa::path(get, path = "/api/v1/desk", params(DeskParams),
    responses((status = 200, body = DeskView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn desk(
    ctx: web::Data<Ctx>,
    caller: Caller,
    params: Query<DeskParams>,
) -> ServiceResult<web::Json<DeskView>> {
    let query = params.into_inner().q.map(|q| q.as_str().to_owned());
    Ok(web::Json(
        run(ctx, move |ctx| {
            let changes = crate::services::desk::view(ctx, &caller, query.as_deref())?;
            let messages = crate::services::system_messages::open(ctx, &caller)?;
            Ok(DeskView { changes, messages })
        })
        .await?,
    ))
}

/// The KPIs of SPEC §10 over a period (default: the 90 days up to now).
#[utoipa::path(get, path = "/api/v1/reports/summary", params(ReportPeriodParams),
    responses((status = 200, body = Summary), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn report(
    ctx: web::Data<Ctx>,
    caller: Caller,
    period: Query<ReportPeriodParams>,
) -> ServiceResult<web::Json<Summary>> {
    let (from, to) = period.period(ctx.clock.now())?;
    let zone =
        caller.timezone.as_deref().and_then(|z| z.parse().ok()).unwrap_or_else(|| ctx.config.time_zone());
    Ok(web::Json(run(ctx, move |ctx| reports::summary(ctx, &caller, from, to, zone)).await?))
}

/// The changes created in a period as plain CSV (RFC 4180: commas, English codes, RFC 3339
/// UTC times), for programs; the reports page offers one for spreadsheets too.
#[utoipa::path(get, path = "/api/v1/reports/changes.csv", params(ReportPeriodParams),
    responses((status = 200, description = "the changes, one per row", content_type = "text/csv"),
        (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn changes_csv(
    ctx: web::Data<Ctx>,
    caller: Caller,
    period: Query<ReportPeriodParams>,
) -> ServiceResult<actix_web::HttpResponse> {
    let (from, to) = period.period(ctx.clock.now())?;
    let format = reports::CsvFormat::Plain;
    let body = run(ctx, move |ctx| reports::changes_csv(ctx, &caller, from, to, format)).await?;
    Ok(actix_web::HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(body))
}

/// Change a configuration item (admins): the whole item, as when adding it.
#[utoipa::path(put, path = "/api/v1/cis/{id}", params(("id" = i32, Path)), request_body = NewCi,
    responses((status = 200, body = CiView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_ci(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<NewCi>,
) -> ServiceResult<web::Json<CiView>> {
    let id = CiId(id.into_inner());
    Ok(web::Json(run(ctx, move |ctx| reference::update_ci(ctx, &caller, id, body.into_inner())).await?))
}

/// Retire a configuration item (admins): kept for what names it, offered for nothing new.
#[utoipa::path(post, path = "/api/v1/cis/{id}/retire", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn retire_ci(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<HttpResponse> {
    let id = CiId(id.into_inner());
    run(ctx, move |ctx| reference::retire_ci(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change a standard change template (admins, change managers): the whole template.
#[utoipa::path(put, path = "/api/v1/templates/{id}", params(("id" = i32, Path)), request_body = NewTemplate,
    responses((status = 200, body = TemplateView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_template(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<NewTemplate>,
) -> ServiceResult<web::Json<TemplateView>> {
    let id = TemplateId(id.into_inner());
    Ok(web::Json(run(ctx, move |ctx| reference::update_template(ctx, &caller, id, body.into_inner())).await?))
}

/// Retire a template (admins, change managers): it starts no new changes.
#[utoipa::path(post, path = "/api/v1/templates/{id}/retire", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn retire_template(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<HttpResponse> {
    let id = TemplateId(id.into_inner());
    run(ctx, move |ctx| reference::retire_template(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move or rename a blackout in force (change managers, admins): the whole blackout.
#[utoipa::path(put, path = "/api/v1/blackouts/{id}", params(("id" = i32, Path)), request_body = NewBlackout,
    responses((status = 200, body = BlackoutView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_blackout(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<NewBlackout>,
) -> ServiceResult<web::Json<BlackoutView>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| reference::update_blackout(ctx, &caller, id, body.into_inner())).await?))
}

/// Retire a blackout (change managers, admins): it freezes nothing from now on.
#[utoipa::path(post, path = "/api/v1/blackouts/{id}/retire", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn retire_blackout(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<HttpResponse> {
    let id = id.into_inner();
    run(ctx, move |ctx| reference::retire_blackout(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every version of a template, oldest first: what each said, who saved it and when.
/// Saving a template makes a new version; new changes use the latest, a change keeps the
/// version it was made from (`template_version`).
#[utoipa::path(get, path = "/api/v1/templates/{id}/versions", params(("id" = i32, Path)),
    responses((status = 200, body = [crate::services::reference::TemplateVersionView]), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn template_versions(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<web::Json<Vec<crate::services::reference::TemplateVersionView>>> {
    let id = TemplateId(id.into_inner());
    Ok(web::Json(run(ctx, move |ctx| reference::template_versions(ctx, &caller, id)).await?))
}

/// Candidate standard templates found in history (change managers, admins): normal
/// changes repeated on the same CIs under a similar title at least five times in the last
/// 12 months, every one successful and none the cause of an incident, with the evidence.
#[utoipa::path(get, path = "/api/v1/templates/candidates",
    responses((status = 200, body = [crate::services::candidates::CandidateView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn candidates(
    ctx: web::Data<Ctx>,
    caller: Caller,
) -> ServiceResult<web::Json<Vec<crate::services::candidates::CandidateView>>> {
    Ok(web::Json(run(ctx, move |ctx| crate::services::candidates::list(ctx, &caller)).await?))
}

/// Make a template of a candidate (named by its latest change): its description, plans
/// and CIs, the series' longest window; the series is then not proposed again.
#[utoipa::path(post, path = "/api/v1/templates/candidates/{id}/accept", params(("id" = String, Path)),
    request_body = Option<crate::services::candidates::AcceptInput>,
    responses((status = 201, body = TemplateView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn accept_candidate(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::web::extract::ActionBody<crate::services::candidates::AcceptInput>,
) -> ServiceResult<HttpResponse> {
    let id = super::change_id(&id)?;
    let made = run(ctx, move |ctx| crate::services::candidates::accept(ctx, &caller, id, body.0)).await?;
    Ok(HttpResponse::Created().json(made))
}

/// Stop proposing a candidate (named by its latest change).
#[utoipa::path(post, path = "/api/v1/templates/candidates/{id}/dismiss", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn dismiss_candidate(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<HttpResponse> {
    let id = super::change_id(&id)?;
    run(ctx, move |ctx| crate::services::candidates::dismiss(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
