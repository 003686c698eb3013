//! HTTP: the one route table, thin handlers, error mapping and the OpenAPI document.
//!
//! A handler extracts, calls one service inside `run` (off the async workers), and
//! renders. No SQL, no access decisions here.

pub mod api;
pub mod auth;
pub mod openapi;
pub mod problem;

use crate::services::{Ctx, ServiceError, ServiceResult};
use actix_web::web;

/// Runs a blocking service call on actix's blocking pool.
pub async fn run<T, F>(ctx: web::Data<Ctx>, work: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Ctx) -> ServiceResult<T> + Send + 'static,
{
    web::block(move || work(&ctx))
        .await
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// The whole URL map.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use api::{changes, meta, reference};
    cfg.app_data(
        web::JsonConfig::default()
            .limit(256 * 1024)
            .error_handler(problem::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(problem::query_error))
    .route("/healthz", web::get().to(meta::healthz))
    .service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/auth/token", web::post().to(meta::token))
            .route("/me", web::get().to(meta::me))
            .route("/changes", web::get().to(changes::list))
            .route("/changes", web::post().to(changes::create))
            .route("/changes/{id}", web::get().to(changes::get))
            .route("/changes/{id}", web::patch().to(changes::edit))
            .route("/changes/{id}/risk", web::put().to(changes::risk))
            .route("/changes/{id}/submit", web::post().to(changes::submit))
            .route("/changes/{id}/assess", web::post().to(changes::assess))
            .route(
                "/changes/{id}/return",
                web::post().to(changes::return_to_draft),
            )
            .route(
                "/changes/{id}/reschedule",
                web::post().to(changes::reschedule),
            )
            .route("/changes/{id}/start", web::post().to(changes::start))
            .route("/changes/{id}/complete", web::post().to(changes::complete))
            .route("/changes/{id}/review", web::post().to(changes::review))
            .route("/changes/{id}/cancel", web::post().to(changes::cancel))
            .route("/changes/{id}/votes", web::post().to(changes::vote))
            .route("/changes/{id}/events", web::get().to(changes::events))
            .route("/calendar", web::get().to(reference::calendar))
            .route("/cis", web::get().to(reference::list_cis))
            .route("/cis", web::post().to(reference::create_ci))
            .route("/templates", web::get().to(reference::list_templates))
            .route("/templates", web::post().to(reference::create_template))
            .route("/blackouts", web::get().to(reference::list_blackouts))
            .route("/blackouts", web::post().to(reference::create_blackout)),
    )
    .default_service(web::to(problem::not_found));
}
