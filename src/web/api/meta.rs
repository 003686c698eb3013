//! Health, sign-in for API clients, and who am I.

use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::text::Text;
use crate::services::auth::{self, IssuedToken};
use crate::services::{health, Ctx, ServiceResult};
use crate::web::extract::Json;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: Text,
    pub password: Text,
}

/// Exchange email and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", request_body = Credentials,
    responses((status = 200, body = IssuedToken), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn token(
    ctx: web::Data<Ctx>,
    req: actix_web::HttpRequest,
    body: Json<Credentials>,
) -> ServiceResult<web::Json<IssuedToken>> {
    let Credentials { email, password } = body.into_inner();
    let address = crate::web::client_address(&req);
    Ok(web::Json(run(ctx, move |ctx| auth::issue_token(ctx, &email, &password, &address)).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// `nb` or `en`; null: follows the browser.
    pub language: Option<String>,
    /// IANA time zone; null: the service's (`ENDRING_TIMEZONE`).
    pub timezone: Option<String>,
}

/// The caller and their roles.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn me(caller: Caller) -> web::Json<Me> {
    web::Json(Me {
        id: caller.id,
        roles: caller.roles.into_iter().collect(),
        email: caller.email,
        name: caller.name,
        language: caller.language,
        timezone: caller.timezone,
    })
}

/// Liveness: 200 when the database answers, with the state of this instance's mail worker
/// and the outbox's backlog (a stalled worker does not make the instance unhealthy for a
/// load balancer: the web part still serves; monitoring reads `mail_worker.state`).
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "the service and its database are up", body = health::Health),
    (status = 503, body = Problem)))]
pub async fn healthz(ctx: web::Data<Ctx>) -> HttpResponse {
    match run(ctx, health::check).await {
        Ok(health) => HttpResponse::Ok().json(health),
        Err(error) => {
            tracing::warn!(%error, cause = ?std::error::Error::source(&error), "health check: database unavailable");
            Problem::new(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "the database does not answer")
                .response()
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TokenList {
    /// `true` (admins): everyone's tokens, the newest 200.
    pub all: Option<bool>,
}

/// The caller's API tokens (never the secrets), or everyone's for an admin (`?all=true`).
#[utoipa::path(get, path = "/api/v1/auth/tokens", params(TokenList),
    responses((status = 200, body = [auth::TokenView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn tokens(
    ctx: web::Data<Ctx>,
    caller: Caller,
    query: crate::web::extract::Query<TokenList>,
) -> ServiceResult<web::Json<Vec<auth::TokenView>>> {
    let all = query.all.unwrap_or(false);
    Ok(web::Json(
        run(ctx, move |ctx| if all { auth::all_tokens(ctx, &caller) } else { auth::tokens(ctx, &caller) })
            .await?,
    ))
}

/// Make an API token with a name, scopes (`read`, `write`, `gate`, `incidents`) and an
/// expiry; the token is in this answer only. It never does more than its user's roles
/// allow, and a token made with a token may do no more, nor last longer, than that token.
#[utoipa::path(post, path = "/api/v1/auth/tokens", request_body = auth::TokenRequest,
    responses((status = 201, body = auth::MadeToken), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_token(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<auth::TokenRequest>,
) -> ServiceResult<HttpResponse> {
    let request = body.into_inner();
    let made = run(ctx, move |ctx| auth::create_token(ctx, &caller, &request)).await?;
    Ok(HttpResponse::Created().json(made))
}

/// Revoke an API token (its owner, or an admin).
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke_token(
    ctx: web::Data<Ctx>,
    caller: Caller,
    id: web::Path<i32>,
) -> ServiceResult<HttpResponse> {
    let id = id.into_inner();
    run(ctx, move |ctx| auth::revoke_token(ctx, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
