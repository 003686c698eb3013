//! `/api/v1/delegations`: who votes for whom, and when (SPEC §5).

use crate::domain::caller::Caller;
use crate::services::delegations::{self, DelegationInput, DelegationView};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Json;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};

/// The caller's current and coming delegations, given and received (admins: everyone's).
#[utoipa::path(get, path = "/api/v1/delegations", operation_id = "list_delegations", responses((status = 200, body = [DelegationView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(ctx: web::Data<Ctx>, caller: Caller) -> ServiceResult<web::Json<Vec<DelegationView>>> {
    Ok(web::Json(run(ctx, move |ctx| delegations::list(ctx, &caller)).await?))
}

/// Name a delegate for a range of days: one's own vote (CAB members, change managers), or
/// anyone's (admins, with `principal`).
#[utoipa::path(post, path = "/api/v1/delegations", operation_id = "create_delegation", request_body = DelegationInput,
    responses((status = 201, body = DelegationView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<DelegationInput>,
) -> ServiceResult<HttpResponse> {
    let made = run(ctx, move |ctx| delegations::create(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(made))
}

/// End a delegation now (its member or an admin).
#[utoipa::path(delete, path = "/api/v1/delegations/{id}", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke(ctx: web::Data<Ctx>, caller: Caller, id: web::Path<i32>) -> ServiceResult<HttpResponse> {
    let id = id.into_inner();
    run(ctx, move |ctx| delegations::revoke(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
