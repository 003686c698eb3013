//! `/api/v1/webhooks`: subscriptions to change events, their delivery logs, test events
//! and retries (admins, or an admin's token with the `webhooks` scope).

use crate::domain::caller::Caller;
use crate::services::webhooks::{
    self as service, CreatedWebhook, DeliveryView, NewWebhook, WebhookEdit, WebhookView,
};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Json;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::number;

/// Every subscription, with what waits and what failed.
#[utoipa::path(get, path = "/api/v1/webhooks", operation_id = "list_webhooks",
    responses((status = 200, body = [WebhookView]), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(ctx: web::Data<Ctx>, caller: Caller) -> ServiceResult<web::Json<Vec<WebhookView>>> {
    Ok(web::Json(run(ctx, move |ctx| service::list(ctx, &caller)).await?))
}

/// Subscribe an address to event types; the answer holds the signing secret, shown once.
#[utoipa::path(post, path = "/api/v1/webhooks", operation_id = "create_webhook", request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook, headers(("Location" = String))), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewWebhook>,
) -> ServiceResult<HttpResponse> {
    let created = run(ctx, move |ctx| service::create(ctx, &caller, body.into_inner())).await?;
    let location = format!("/api/v1/webhooks/{}", created.webhook.id);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(created))
}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", operation_id = "get_webhook", params(("id" = i32, Path)),
    responses((status = 200, body = WebhookView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<WebhookView>> {
    let id = number(&id, "webhook")?;
    Ok(web::Json(run(ctx, move |ctx| service::get(ctx, &caller, id)).await?))
}

/// Change the address, the secret, the event types, or pause and resume.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", operation_id = "update_webhook", params(("id" = i32, Path)), request_body = WebhookEdit,
    responses((status = 200, body = WebhookView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<WebhookEdit>,
) -> ServiceResult<web::Json<WebhookView>> {
    let id = number(&id, "webhook")?;
    Ok(web::Json(run(ctx, move |ctx| service::update(ctx, &caller, id, body.into_inner())).await?))
}

/// Delete a subscription and its log; what waited is not sent.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", operation_id = "delete_webhook", params(("id" = i32, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<HttpResponse> {
    let id = number(&id, "webhook")?;
    run(ctx, move |ctx| service::delete(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The newest deliveries (at most 100): event, status, attempts, response code, times.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", params(("id" = i32, Path)),
    responses((status = 200, body = [DeliveryView]), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn deliveries(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<Vec<DeliveryView>>> {
    let id = number(&id, "webhook")?;
    Ok(web::Json(run(ctx, move |ctx| service::deliveries(ctx, &caller, id)).await?))
}

/// Send a test event now (paused or not) and answer what the receiver said; a failure is
/// retried like any delivery.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", params(("id" = i32, Path)),
    responses((status = 200, body = DeliveryView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn test(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<String>,
) -> ServiceResult<web::Json<DeliveryView>> {
    let id = number(&id, "webhook")?;
    Ok(web::Json(send_test(ctx.get_ref(), caller, id).await?))
}

/// Queues a test event, sends it at once, and reads back how it went.
pub async fn send_test(ctx: &Ctx, caller: Caller, id: i32) -> ServiceResult<DeliveryView> {
    let delivery = crate::webhooks::send_test(ctx, caller.clone(), id).await?;
    crate::services::run(ctx, move |ctx| service::delivery(ctx, &caller, id, delivery)).await
}

/// Put a failed delivery back in the queue.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/retry", operation_id = "retry_delivery",
    params(("id" = i32, Path), ("delivery" = i32, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn retry(
    ctx: web::Data<Ctx>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ServiceResult<HttpResponse> {
    let (id, delivery) = path.into_inner();
    let (id, delivery) = (number(&id, "webhook")?, number(&delivery, "delivery")?);
    run(ctx, move |ctx| service::retry(ctx, &caller, id, delivery)).await?;
    Ok(HttpResponse::NoContent().finish())
}
