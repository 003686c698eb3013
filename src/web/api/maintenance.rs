//! `/api/v1/maintenance-windows`: the weekly maintenance windows of CIs.

use crate::domain::caller::Caller;
use crate::services::maintenance::{self, MaintenanceWindowView, NewMaintenanceWindow};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Json;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};

/// Every CI's maintenance windows.
#[utoipa::path(get, path = "/api/v1/maintenance-windows", operation_id = "list_maintenance_windows", responses((status = 200, body = [MaintenanceWindowView])),
    security(("bearer" = [])))]
pub async fn list(
    ctx: web::Data<Ctx>,
    caller: Caller,
) -> ServiceResult<web::Json<Vec<MaintenanceWindowView>>> {
    Ok(web::Json(run(ctx, move |ctx| maintenance::list(ctx, &caller)).await?))
}

/// Add a weekly maintenance window to a CI (admins, change managers).
#[utoipa::path(post, path = "/api/v1/maintenance-windows", operation_id = "add_maintenance_window", request_body = NewMaintenanceWindow,
    responses((status = 201, body = MaintenanceWindowView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewMaintenanceWindow>,
) -> ServiceResult<HttpResponse> {
    let window = run(ctx, move |ctx| maintenance::add(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(window))
}

/// Remove a maintenance window (admins, change managers).
#[utoipa::path(delete, path = "/api/v1/maintenance-windows/{id}", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn remove(ctx: web::Data<Ctx>, caller: Caller, id: web::Path<i32>) -> ServiceResult<HttpResponse> {
    let id = id.into_inner();
    run(ctx, move |ctx| maintenance::remove(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change a maintenance window's rule (admins, change managers).
#[utoipa::path(put, path = "/api/v1/maintenance-windows/{id}", operation_id = "update_maintenance_window", params(("id" = i32, Path)), request_body = NewMaintenanceWindow,
    responses((status = 200, body = MaintenanceWindowView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
    body: Json<NewMaintenanceWindow>,
) -> ServiceResult<web::Json<MaintenanceWindowView>> {
    let id = id.into_inner();
    Ok(web::Json(run(ctx, move |ctx| maintenance::update(ctx, &caller, id, body.into_inner())).await?))
}
