//! `/api/v1/changes`: the change list, one change, and every lifecycle action.

use super::change_id;
use crate::domain::caller::Caller;
use crate::domain::change::{plausible, ChangeState, ChangeType};
use crate::domain::ids::{CiId, UserId};
use crate::domain::incident::Relation;
use crate::domain::risk::RiskLevel;
use crate::domain::text::Text;
use crate::domain::validation::{FieldErrors, Message};
use crate::services::attachments::{self, AttachmentView};
use crate::services::audit::EventView;
use crate::services::change_view::{ChangeView, RiskView};
use crate::services::changes::{self, ChangePage, ChangePatch, Expected, NewChange, Search, Sort};
use crate::services::incidents::{self, NewLink};
use crate::services::lifecycle::{
    self, AssessInput, CancelInput, CommentInput, CompleteInput, Force, RescheduleInput, ReviewInput,
};
use crate::services::voting::{self, VoteInput};
use crate::services::work::{self, NewNote, NoteView};
use crate::services::{risk, Ctx, ServiceError, ServiceResult};
use crate::web::extract::{ActionBody, Json, Query};
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A change with its version as `ETag`.
fn with_etag(mut response: actix_web::HttpResponseBuilder, view: ChangeView) -> HttpResponse {
    response.insert_header((header::ETAG, format!("\"{}\"", view.version))).json(view)
}

/// Query parameters arrive as text and are parsed here, so that every bad value is a
/// 422 naming its parameter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = Option<ChangeState>)]
    pub state: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<ChangeType>)]
    pub change_type: Option<String>,
    /// Affects this configuration item.
    #[param(value_type = Option<i32>, minimum = 1)]
    pub ci: Option<String>,
    /// Planned window ends after this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<String>,
    /// Planned window starts before this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub to: Option<String>,
    /// Words in the title or description (full-text; each word matches words that begin
    /// with it, any case), or a reference (`CHG-000051`, `51`).
    #[param(value_type = Option<Text>, inline)]
    pub q: Option<Text>,
    /// Risk level.
    #[param(value_type = Option<RiskLevel>)]
    pub risk: Option<String>,
    /// Requested by this user (id).
    #[param(value_type = Option<i32>, minimum = 1)]
    pub requester: Option<String>,
    /// To be implemented by this user (id).
    #[param(value_type = Option<i32>, minimum = 1)]
    pub implementer: Option<String>,
    /// Only changes the caller requested or implements.
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    /// Only changes waiting for the caller's next step (submit, assess, vote, start,
    /// complete, review), as the policy allows; looks through the newest 1,000 open ones.
    #[param(value_type = Option<bool>)]
    pub awaiting: Option<String>,
    /// Linked to this service-desk record (raised from it or caused it), e.g. `INC-20431`.
    #[param(value_type = Option<crate::domain::incident::IncidentId>, inline)]
    pub incident: Option<String>,
    /// Order: `newest` (default), `oldest`, `risk-high`, `risk-low`, `start-early`,
    /// `start-late` (changes without a window last).
    #[param(value_type = Option<Sort>)]
    pub sort: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    pub offset: Option<String>,
}

/// Parses an RFC 3339 time from a query parameter.
pub fn parse_time(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<DateTime<Utc>> {
    let parsed = value?.parse::<DateTime<Utc>>().map_err(|_| Message::new("msg-time-format"));
    errors.check(field, parsed.and_then(|t| plausible(t).map_err(Message::from)))
}

/// Parses a whole number from a query parameter, within `range`.
pub fn parse_number(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let number = value?.trim().parse::<i64>().ok().filter(|n| range.contains(n));
    let message = || Message::new("msg-number-range").arg("min", range.start()).arg("max", range.end());
    errors.check(field, number.ok_or_else(message))
}

/// List changes, newest first, with filters and paging.
#[utoipa::path(get, path = "/api/v1/changes", params(ListParams),
    responses((status = 200, body = ChangePage), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    ctx: web::Data<Ctx>,
    caller: Caller,
    params: Query<ListParams>,
) -> ServiceResult<web::Json<ChangePage>> {
    let mut errors = FieldErrors::default();
    let state = params.state.as_deref().and_then(|s| errors.check("state", s.parse::<ChangeState>()));
    let change_type =
        params.change_type.as_deref().and_then(|t| errors.check("type", t.parse::<ChangeType>()));
    let ci = parse_number(&mut errors, "ci", params.ci.as_deref(), 1..=i64::from(i32::MAX));
    let from = parse_time(&mut errors, "from", params.from.as_deref());
    let to = parse_time(&mut errors, "to", params.to.as_deref());
    let flag = |errors: &mut FieldErrors, name: &str, value: Option<&str>| {
        value.and_then(|m| errors.check(name, m.parse::<bool>().map_err(|_| Message::new("msg-bool"))))
    };
    let mine = flag(&mut errors, "mine", params.mine.as_deref());
    let awaiting = flag(&mut errors, "awaiting", params.awaiting.as_deref());
    let risk = params.risk.as_deref().and_then(|r| errors.check("risk", r.parse::<RiskLevel>()));
    let sort = params.sort.as_deref().and_then(|r| errors.check("sort", r.parse::<Sort>()));
    let user = |errors: &mut FieldErrors, name: &str, value: Option<&str>| {
        parse_number(errors, name, value, 1..=i64::from(i32::MAX))
            .and_then(|n| i32::try_from(n).ok())
            .map(UserId)
    };
    let requester = user(&mut errors, "requester", params.requester.as_deref());
    let incident = params
        .incident
        .as_deref()
        .and_then(|i| errors.check("incident", crate::domain::incident::IncidentId::parse(i)));
    let implementer = user(&mut errors, "implementer", params.implementer.as_deref());
    let limit =
        parse_number(&mut errors, "limit", params.limit.as_deref(), 1..=changes::MAX_PAGE).unwrap_or(50);
    let offset = parse_number(&mut errors, "offset", params.offset.as_deref(), 0..=i64::MAX).unwrap_or(0);
    let search = errors.finish(|| Search {
        states: state.into_iter().collect(),
        change_type,
        ci: ci.and_then(|c| i32::try_from(c).ok()).map(CiId),
        from,
        to,
        text: params.q.clone(),
        mine: mine.unwrap_or(false),
        risk,
        requester,
        implementer,
        awaiting: awaiting.unwrap_or(false),
        sort: sort.unwrap_or_default(),
        requester_email: None,
        incident,
    })?;
    Ok(web::Json(run(ctx, move |ctx| changes::list(ctx, &caller, &search, limit, offset)).await?))
}

/// File a new change (a draft). `template_id` makes it a standard change.
#[utoipa::path(post, path = "/api/v1/changes", request_body = NewChange,
    responses((status = 201, body = ChangeView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewChange>,
) -> ServiceResult<HttpResponse> {
    let view = run(ctx, move |ctx| changes::create(ctx, &caller, body.into_inner())).await?;
    let location = format!("/api/v1/changes/{}", view.reference);
    Ok(with_etag(HttpResponse::Created().insert_header((header::LOCATION, location)).take(), view))
}

/// One change, by number or `CHG-` reference, with risk, votes and conflicts.
#[utoipa::path(get, path = "/api/v1/changes/{id}", params(("id" = String, Path, description = "number or CHG- reference")),
    responses((status = 200, body = ChangeView, headers(("ETag" = String))), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(ctx: web::Data<Ctx>, caller: Caller, id: web::Path<String>) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let view = run(ctx, move |ctx| changes::get(ctx, &caller, id)).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

/// The version an `If-Match` header names (`"3"`, `W/"3"` or `3`), or `*`.
pub(crate) fn if_match(req: &HttpRequest) -> ServiceResult<Expected> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(Expected::Missing);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(Expected::Any);
    }
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map(Expected::Version).map_err(|_| {
        ServiceError::BadRequest("If-Match must be the ETag it was read with, such as \"3\"".into())
    })
}

/// Edit a draft; needs `If-Match` with the current version.
#[utoipa::path(patch, path = "/api/v1/changes/{id}", request_body = ChangePatch,
    params(("id" = String, Path), ("If-Match" = String, Header, description = "the ETag of the change", pattern = "^(\\*|(W/)?\"[0-9]{1,9}\"|[0-9]{1,9})$")),
    responses((status = 200, body = ChangeView), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem)), security(("bearer" = [])))]
pub async fn edit(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
    body: Json<ChangePatch>,
) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let version = if_match(&req)?;
    let view = run(ctx, move |ctx| changes::edit(ctx, &caller, id, version, body.into_inner())).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    #[schema(schema_with = crate::domain::schema::risk_answers_object)]
    pub answers: BTreeMap<String, String>,
}

/// Answer the risk questionnaire; returns the score, level and factors.
#[utoipa::path(put, path = "/api/v1/changes/{id}/risk", request_body = RiskInput, params(("id" = String, Path)),
    responses((status = 200, body = RiskView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn risk(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<RiskInput>,
) -> ServiceResult<web::Json<RiskView>> {
    let id = change_id(&id)?;
    Ok(web::Json(run(ctx, move |ctx| risk::answer(ctx, &caller, id, body.into_inner().answers)).await?))
}

/// Declares a handler for one lifecycle action: path segment, body type, service call.
macro_rules! action {
    // `optional`: every field has a default, so the body may be left out (read as `{}`).
    ($name:ident, $segment:literal, optional $body:ty, $service:path, $doc:literal) => {
        action!(@ $name, $segment, Option<$body>, $body, $service, $doc);
    };
    ($name:ident, $segment:literal, $body:ty, $service:path, $doc:literal) => {
        action!(@ $name, $segment, $body, $body, $service, $doc);
    };
    (@ $name:ident, $segment:literal, $documented:ty, $body:ty, $service:path, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/api/v1/changes/{id}/", $segment), request_body = $documented, params(("id" = String, Path)),
            responses((status = 200, body = ChangeView), (status = 403, body = Problem), (status = 404, body = Problem),
                (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
        pub async fn $name(ctx: web::Data<Ctx>, caller: Caller, id: web::Path<String>, body: ActionBody<$body>) -> ServiceResult<HttpResponse> {
            let id = change_id(&id)?;
            let view = run(ctx, move |ctx| $service(ctx, &caller, id, body.0)).await?;
            Ok(with_etag(HttpResponse::Ok(), view))
        }
    };
}

action!(
    submit,
    "submit",
    optional Force,
    lifecycle::submit,
    "Submit a draft: normal → assess, emergency → authorize, standard → scheduled."
);
action!(
    assess,
    "assess",
    AssessInput,
    lifecycle::assess,
    "Assess: send to the CAB (authorize) or return to the requester."
);
action!(
    return_to_draft,
    "return",
    CommentInput,
    lifecycle::return_to_draft,
    "Return to draft for more information; the next voting round starts empty."
);
action!(
    reschedule,
    "reschedule",
    RescheduleInput,
    lifecycle::reschedule,
    "Move the window of a scheduled change; conflicts refuse unless forced."
);
action!(
    complete,
    "complete",
    CompleteInput,
    lifecycle::complete,
    "Record the end of implementation and its closure code."
);
action!(review, "review", ReviewInput, lifecycle::review, "Close with the post-implementation review.");
action!(
    cancel,
    "cancel",
    CancelInput,
    lifecycle::cancel,
    "Cancel a change before implementation, with a reason."
);
action!(
    vote,
    "votes",
    VoteInput,
    voting::vote,
    "Vote approve or reject; the approval rule decides when it is met."
);

/// An empty JSON object, the body of `start`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Start implementation (records the actual start). Body: `{}` or none.
#[utoipa::path(post, path = "/api/v1/changes/{id}/start", request_body = Option<Empty>, params(("id" = String, Path)),
    responses((status = 200, body = ChangeView), (status = 403, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn start(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    _body: ActionBody<Empty>,
) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let view = run(ctx, move |ctx| lifecycle::start(ctx, &caller, id)).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

/// The audit trail of one change, oldest first.
#[utoipa::path(get, path = "/api/v1/changes/{id}/events", params(("id" = String, Path)),
    responses((status = 200, body = [EventView]), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn events(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<Vec<EventView>>> {
    let id = change_id(&id)?;
    Ok(web::Json(run(ctx, move |ctx| changes::events(ctx, &caller, id)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotParams {
    /// How many slots (1–20, default 5).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 20)]
    pub count: Option<String>,
    /// The earliest start (RFC 3339; default now).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub after: Option<String>,
}

/// The next free windows of the change's length within 90 days: inside every affected
/// CI's maintenance windows (where it has any), free of conflicts and blackouts.
#[utoipa::path(get, path = "/api/v1/changes/{id}/slots", params(("id" = String, Path), SlotParams),
    responses((status = 200, body = [crate::services::slots::Slot]), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn slots(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    params: Query<SlotParams>,
) -> ServiceResult<web::Json<Vec<crate::services::slots::Slot>>> {
    let id = change_id(&id)?;
    let mut errors = FieldErrors::default();
    let count = parse_number(&mut errors, "count", params.count.as_deref(), 1..=20).unwrap_or(5);
    let after = parse_time(&mut errors, "after", params.after.as_deref());
    errors.finish(|| ())?;
    let count = usize::try_from(count).unwrap_or(5);
    Ok(web::Json(
        run(ctx, move |ctx| crate::services::slots::for_change(ctx, &caller, id, count, after)).await?,
    ))
}

/// The work notes on one change, oldest first.
#[utoipa::path(get, path = "/api/v1/changes/{id}/notes", params(("id" = String, Path)),
    responses((status = 200, body = [NoteView]), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn notes(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<Vec<NoteView>>> {
    let id = change_id(&id)?;
    Ok(web::Json(run(ctx, move |ctx| work::notes(ctx, &caller, id)).await?))
}

/// Add a work note (anyone who may read the change); email addresses in it mention
/// those people, who get an email.
#[utoipa::path(post, path = "/api/v1/changes/{id}/notes", request_body = NewNote, params(("id" = String, Path)),
    responses((status = 201, body = NoteView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_note(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<NewNote>,
) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let note = run(ctx, move |ctx| work::add_note(ctx, &caller, id, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(note))
}

/// Copy a change into a new draft of the caller's (no window); the new draft's first
/// event links back to the original.
#[utoipa::path(post, path = "/api/v1/changes/{id}/copy", params(("id" = String, Path)),
    responses((status = 201, body = ChangeView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn copy(ctx: web::Data<Ctx>, caller: Caller, id: web::Path<String>) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let view = run(ctx, move |ctx| work::copy(ctx, &caller, id)).await?;
    let location = format!("/api/v1/changes/{}", view.reference);
    Ok(with_etag(HttpResponse::Created().insert_header((header::LOCATION, location)).take(), view))
}

/// Delete a draft that was never submitted (its requester only); it is found no more.
#[utoipa::path(delete, path = "/api/v1/changes/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    run(ctx, move |ctx| work::delete_draft(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The files attached to one change, oldest first.
#[utoipa::path(get, path = "/api/v1/changes/{id}/attachments", params(("id" = String, Path)),
    responses((status = 200, body = [AttachmentView]), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn attachments(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<Vec<AttachmentView>>> {
    let id = change_id(&id)?;
    Ok(web::Json(run(ctx, move |ctx| attachments::list(ctx, &caller, id)).await?))
}

/// `?name=` of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name, e.g. `Testrapport.pdf`.
    #[param(value_type = crate::domain::attachment::FileName, inline)]
    pub name: String,
}

/// Attach a file (anyone who may read the change): the request body is the file's bytes,
/// `name` its file name. The type is read from the content (documents, images, archives,
/// plain text); at most `attachment_max_mb` megabytes.
#[utoipa::path(post, path = "/api/v1/changes/{id}/attachments", params(("id" = String, Path), UploadParams),
    request_body(content = crate::domain::schema::FileBytes, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn attach(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    params: Query<UploadParams>,
    body: web::Payload,
) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let (max, max_mb) = (ctx.config.attachment_max_bytes(), ctx.config.attachment_max_mb);
    let content = crate::web::files::read_limited(body, max, max_mb).await?;
    let upload = attachments::Upload { name: params.into_inner().name, content };
    let view = run(ctx, move |ctx| attachments::attach(ctx, &caller, id, upload)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, view.href.clone())).json(view))
}

/// One attached file's content, as a download with its type and name.
#[utoipa::path(get, path = "/api/v1/changes/{id}/attachments/{attachment}",
    params(("id" = String, Path), ("attachment" = i32, Path)),
    responses((status = 200, description = "the file, as the type it was stored as (read from its content)", content_type = "*/*"),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn attachment(
    ctx: web::Data<Ctx>,
    caller: Caller,
    path: web::Path<(String, i32)>,
) -> ServiceResult<HttpResponse> {
    let (id, attachment) = path.into_inner();
    let id = change_id(&id)?;
    let (view, content) = run(ctx, move |ctx| attachments::download(ctx, &caller, id, attachment)).await?;
    Ok(crate::web::files::download(&view, content))
}

/// Link a service-desk record: what the change was raised from (while drafted or
/// assessed: its requester or a change manager), or an incident it caused (from its
/// implementation until 90 days after it ended: its implementer or a change manager).
/// Linking one already there changes nothing. Answers the change.
#[utoipa::path(post, path = "/api/v1/changes/{id}/incidents", request_body = NewLink, params(("id" = String, Path)),
    responses((status = 201, body = ChangeView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn link_incident(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<NewLink>,
) -> ServiceResult<HttpResponse> {
    let id = change_id(&id)?;
    let view = run(ctx, move |ctx| incidents::link(ctx, &caller, id, body.into_inner())).await?;
    Ok(with_etag(HttpResponse::Created(), view))
}

/// Remove a link (who and when as for adding it).
#[utoipa::path(delete, path = "/api/v1/changes/{id}/incidents/{relation}/{incident}",
    params(("id" = String, Path), ("relation" = Relation, Path), ("incident" = inline(crate::domain::incident::IncidentId), Path)),
    responses((status = 200, body = ChangeView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn unlink_incident(
    ctx: web::Data<Ctx>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> ServiceResult<HttpResponse> {
    let (id, relation, incident) = path.into_inner();
    let id = change_id(&id)?;
    let relation: Relation = relation
        .parse()
        .map_err(|e: crate::domain::text_enum::UnknownValue| ServiceError::invalid("relation", e))?;
    let view = run(ctx, move |ctx| incidents::unlink(ctx, &caller, id, &incident, relation)).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

/// The deployment gate: whether a pipeline may deploy the change now (approved and now in
/// its window, or in implementation), and why — in words a pipeline's log can show.
#[utoipa::path(get, path = "/api/v1/changes/{id}/gate", params(("id" = String, Path, description = "number or CHG- reference")),
    responses((status = 200, body = crate::services::changes::GateView), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn gate(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<crate::services::changes::GateView>> {
    let id = change_id(&id)?;
    Ok(web::Json(run(ctx, move |ctx| changes::gate(ctx, &caller, id)).await?))
}
