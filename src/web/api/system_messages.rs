//! `/api/v1/messages`: the system messages employees read, and writing them.

use super::changes::if_match;
use crate::domain::caller::Caller;
use crate::i18n::Lang;
use crate::services::system_messages::{
    self as messages, MessageEdit, MessageView, NewDisruption, NewUpdate,
};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Json;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

/// A message with its version as `ETag`.
fn with_etag(mut response: actix_web::HttpResponseBuilder, view: MessageView) -> HttpResponse {
    response.insert_header((header::ETAG, format!("\"{}\"", view.version))).json(view)
}

fn message_id(segment: &str) -> ServiceResult<i32> {
    super::number(segment, "system message")
}

/// What `GET /api/v1/messages` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageList {
    /// What is happening now, then what is coming (soonest first), then what ended in
    /// the last 30 days (latest first).
    pub messages: Vec<MessageView>,
}

/// How long a shared cache may keep the published messages (every intranet front page
/// may poll them); private when they are for signed-in users only.
pub fn cache_control(ctx: &Ctx) -> &'static str {
    match ctx.config.messages_require_sign_in {
        true => "private, no-cache",
        false => "public, max-age=60",
    }
}

/// The published system messages. Needs no sign-in unless `messages_require_sign_in`
/// is set; answers 304 to an `If-None-Match` with the current `ETag`.
#[utoipa::path(get, path = "/api/v1/messages", operation_id = "list_messages",
    responses((status = 200, body = MessageList, headers(("ETag" = String))), (status = 304),
        (status = 401, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn list(
    ctx: web::Data<Ctx>,
    caller: Option<Caller>,
    req: HttpRequest,
) -> ServiceResult<HttpResponse> {
    let cache = cache_control(&ctx);
    let asking = caller.clone();
    let tag = run(ctx.clone(), move |ctx| messages::published_tag(ctx, asking.as_ref(), ("json", Lang::Nb)))
        .await?;
    if crate::web::etag_matches(&req, &tag) {
        return Ok(crate::web::tagged(HttpResponse::NotModified(), &tag, cache).finish());
    }
    let messages = run(ctx, move |ctx| messages::published(ctx, caller.as_ref())).await?;
    Ok(crate::web::tagged(HttpResponse::Ok(), &tag, cache).json(MessageList { messages }))
}

/// Publish a disruption that belongs to no change (the service desk, change managers).
#[utoipa::path(post, path = "/api/v1/messages", operation_id = "report_disruption", request_body = NewDisruption,
    responses((status = 201, body = MessageView, headers(("ETag" = String), ("Location" = String))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn report(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewDisruption>,
) -> ServiceResult<HttpResponse> {
    let view = run(ctx, move |ctx| messages::report(ctx, &caller, body.into_inner())).await?;
    let location = format!("/api/v1/messages/{}", view.id);
    Ok(with_etag(HttpResponse::Created().insert_header((header::LOCATION, location)).take(), view))
}

/// One message: a published one for whoever may read the messages, a draft for those
/// who may publish it.
#[utoipa::path(get, path = "/api/v1/messages/{id}", operation_id = "get_message", params(("id" = i32, Path)),
    responses((status = 200, body = MessageView, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn get(
    ctx: web::Data<Ctx>,
    caller: Option<Caller>,
    id: web::Path<String>,
) -> ServiceResult<HttpResponse> {
    let id = message_id(&id)?;
    let view = run(ctx, move |ctx| messages::get(ctx, caller.as_ref(), id)).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

/// Rewrite a message's texts (and a disruption's expected end) before or after it is
/// published; needs `If-Match` with its version.
#[utoipa::path(patch, path = "/api/v1/messages/{id}", operation_id = "edit_message", request_body = MessageEdit,
    params(("id" = i32, Path), ("If-Match" = String, Header, description = "the ETag of the message", pattern = "^(\\*|(W/)?\"[0-9]{1,9}\"|[0-9]{1,9})$")),
    responses((status = 200, body = MessageView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn edit(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
    body: Json<MessageEdit>,
) -> ServiceResult<HttpResponse> {
    let id = message_id(&id)?;
    let version = if_match(&req)?;
    let view = run(ctx, move |ctx| messages::edit(ctx, &caller, id, version, body.into_inner())).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

/// Publish a change's draft message (publishing it again changes nothing).
#[utoipa::path(post, path = "/api/v1/messages/{id}/publish", params(("id" = i32, Path)),
    responses((status = 200, body = MessageView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn publish(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<HttpResponse> {
    let id = message_id(&id)?;
    let view = run(ctx, move |ctx| messages::publish(ctx, &caller, id)).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}

/// Post an update; `"resolve": true` closes a disruption as resolved.
#[utoipa::path(post, path = "/api/v1/messages/{id}/updates", request_body = NewUpdate, params(("id" = i32, Path)),
    responses((status = 200, body = MessageView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn post_update(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<NewUpdate>,
) -> ServiceResult<HttpResponse> {
    let id = message_id(&id)?;
    let view = run(ctx, move |ctx| messages::post_update(ctx, &caller, id, body.into_inner())).await?;
    Ok(with_etag(HttpResponse::Ok(), view))
}
