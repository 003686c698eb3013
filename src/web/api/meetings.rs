//! `/api/v1/cab/meetings`: CAB meetings and their agendas.

use crate::domain::caller::Caller;
use crate::services::meetings::{self, CancelMeeting, MeetingDetail, MeetingView, NewExtraMeeting};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::{Json, Query};
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};
use chrono::Duration;

/// Meetings starting in a period (default: from a week ago to the planning horizon).
#[utoipa::path(get, path = "/api/v1/cab/meetings", operation_id = "list_meetings", params(super::reference::PeriodParams),
    responses((status = 200, body = [MeetingView]), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    ctx: web::Data<Ctx>,
    caller: Caller,
    period: Query<super::reference::PeriodParams>,
) -> ServiceResult<web::Json<Vec<MeetingView>>> {
    let now = ctx.clock.now();
    let (from, to) = match (&period.from, &period.to) {
        (None, None) => (now - Duration::weeks(1), now + Duration::weeks(meetings::PLAN_WEEKS + 1)),
        _ => period.period(now)?,
    };
    Ok(web::Json(run(ctx, move |ctx| meetings::list(ctx, &caller, from, to)).await?))
}

/// Add an extra meeting, e.g. an ECAB (change managers).
#[utoipa::path(post, path = "/api/v1/cab/meetings", operation_id = "add_meeting", request_body = NewExtraMeeting,
    responses((status = 201, body = MeetingView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewExtraMeeting>,
) -> ServiceResult<HttpResponse> {
    let meeting = run(ctx, move |ctx| meetings::add_extra(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(meeting))
}

/// One meeting with its agenda.
#[utoipa::path(get, path = "/api/v1/cab/meetings/{id}", operation_id = "get_meeting", params(("id" = i32, Path)),
    responses((status = 200, body = MeetingDetail), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<web::Json<MeetingDetail>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| meetings::detail(ctx, &caller, id)).await?))
}

/// Cancel a planned meeting, with a reason (change managers).
#[utoipa::path(post, path = "/api/v1/cab/meetings/{id}/cancel", operation_id = "cancel_meeting", params(("id" = i32, Path)), request_body = CancelMeeting,
    responses((status = 200, body = MeetingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn cancel(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<CancelMeeting>,
) -> ServiceResult<web::Json<MeetingView>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| meetings::cancel(ctx, &caller, id, body.into_inner())).await?))
}

/// Open a planned meeting with who attends (change managers).
#[utoipa::path(post, path = "/api/v1/cab/meetings/{id}/open", params(("id" = i32, Path)),
    request_body = crate::services::meetings::OpenMeeting,
    responses((status = 200, body = MeetingDetail), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn open(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<crate::services::meetings::OpenMeeting>,
) -> ServiceResult<web::Json<MeetingDetail>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| meetings::open(ctx, &caller, id, body.into_inner())).await?))
}

/// Record the CAB's decision on an agenda item: approve or reject (as the attendees'
/// ballots, decided by the rule), return to draft, or defer.
#[utoipa::path(post, path = "/api/v1/cab/meetings/{id}/decisions", params(("id" = i32, Path)),
    request_body = crate::services::meetings::DecisionInput,
    responses((status = 200, body = MeetingDetail), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn decision(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<crate::services::meetings::DecisionInput>,
) -> ServiceResult<web::Json<MeetingDetail>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| meetings::record_decision(ctx, &caller, id, body.into_inner())).await?))
}

/// Close an open meeting; its decisions are the minutes.
#[utoipa::path(post, path = "/api/v1/cab/meetings/{id}/close", params(("id" = i32, Path)),
    responses((status = 200, body = MeetingDetail), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn close(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<web::Json<MeetingDetail>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| meetings::close(ctx, &caller, id)).await?))
}

/// The CAB meeting settings in force (admins, change managers).
#[utoipa::path(get, path = "/api/v1/cab/settings", responses((status = 200, body = crate::config::CabConfig), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn settings(
    ctx: web::Data<Ctx>,
    caller: Caller,
) -> ServiceResult<web::Json<crate::config::CabConfig>> {
    Ok(web::Json(run(ctx, move |ctx| crate::services::cab_settings::show(ctx, &caller)).await?))
}

/// Change when the CAB meets (admins, change managers): the coming regular meetings whose
/// agenda has not gone out are planned again.
#[utoipa::path(put, path = "/api/v1/cab/settings", request_body = crate::services::cab_settings::SettingsInput,
    responses((status = 200, body = crate::config::CabConfig), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn save_settings(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<crate::services::cab_settings::SettingsInput>,
) -> ServiceResult<web::Json<crate::config::CabConfig>> {
    let input = body.into_inner().into();
    Ok(web::Json(run(ctx, move |ctx| crate::services::cab_settings::save(ctx, &caller, input)).await?))
}
