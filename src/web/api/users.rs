//! `/api/v1/users`: accounts for admins — the list, deactivation and reactivation, and
//! sending a password reset link.

use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::services::accounts::{self, AccountView, Deactivated};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Query;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Search {
    /// Part of the email (at most 200 users are listed).
    pub q: Option<String>,
}

/// Users with their roles and whether their account is active (admins).
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", params(Search),
    responses((status = 200, body = [AccountView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    ctx: web::Data<Ctx>,
    caller: Caller,
    query: Query<Search>,
) -> ServiceResult<web::Json<Vec<AccountView>>> {
    let search = query.into_inner().q.unwrap_or_default();
    Ok(web::Json(run(ctx, move |ctx| accounts::list(ctx, &caller, &search)).await?))
}

/// Deactivate an account: its sessions and API tokens stop at once, it gets no more
/// notices, and change managers are told about the changes it was to implement (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", params(("id" = i32, Path)),
    responses((status = 200, body = Deactivated), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn deactivate(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<web::Json<Deactivated>> {
    let id = UserId(id.into_inner());
    Ok(web::Json(run(ctx, move |ctx| accounts::deactivate(ctx, Some(&caller), id)).await?))
}

/// Reactivate an account (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn reactivate(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<HttpResponse> {
    let id = UserId(id.into_inner());
    run(ctx, move |ctx| accounts::reactivate(ctx, Some(&caller), id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Email the user a link to set a new password (local accounts; admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", params(("id" = i32, Path)),
    responses((status = 202), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn password_reset(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<HttpResponse> {
    let id = UserId(id.into_inner());
    run(ctx, move |ctx| accounts::send_reset(ctx, &caller, id)).await?;
    Ok(HttpResponse::Accepted().finish())
}
