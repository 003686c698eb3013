//! `/api/v1/outbox`: failed email notices, for admins, and retrying them.

use crate::domain::caller::Caller;
use crate::services::outbox::FailedNotice;
use crate::services::{outbox, Ctx, ServiceResult};
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};

/// Notices whose delivery failed for good, newest first.
#[utoipa::path(get, path = "/api/v1/outbox/failed",
    responses((status = 200, body = [FailedNotice]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn failed(ctx: web::Data<Ctx>, caller: Caller) -> ServiceResult<web::Json<Vec<FailedNotice>>> {
    Ok(web::Json(run(ctx, move |ctx| outbox::failed(ctx, &caller)).await?))
}

/// Queue a failed notice again.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", operation_id = "retry_notice", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn retry(ctx: web::Data<Ctx>, caller: Caller, id: web::Path<i32>) -> ServiceResult<HttpResponse> {
    let id = id.into_inner();
    run(ctx, move |ctx| outbox::retry(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
