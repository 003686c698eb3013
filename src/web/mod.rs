//! HTTP: the one route table, thin handlers, error mapping and the OpenAPI document.
//!
//! A handler extracts, calls one service inside `run` (off the async workers), and
//! renders. No SQL, no access decisions here.

pub mod api;
pub mod auth;
pub mod extract;
pub mod messages;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod session;
pub mod views;

use crate::services::{Ctx, ServiceResult};
use actix_web::web;

/// Runs a blocking service call off the async workers (`services::run`).
pub async fn run<T, F>(ctx: web::Data<Ctx>, work: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Ctx) -> ServiceResult<T> + Send + 'static,
{
    crate::services::run(&ctx, work).await
}

/// The whole URL map.
/// The client's address, as this service sees it (behind a proxy: the proxy's), for rate
/// limiting sign-in attempts.
pub fn client_address(req: &actix_web::HttpRequest) -> String {
    req.peer_addr().map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use api::{changes, meta, reference};
    use pages::{assets, auth, cab, home, profile};
    use web::{get, patch, post, put};
    cfg.app_data(web::QueryConfig::default().error_handler(problem::query_error))
        .app_data(web::PathConfig::default().error_handler(problem::path_error))
        .service(resource("/healthz").route(get().to(meta::healthz)))
        .service(resource("/static/style.css").route(get().to(assets::style)))
        .service(resource("/sign-in").route(get().to(auth::form)).route(post().to(auth::submit)))
        .service(resource("/sign-out").route(post().to(auth::sign_out)))
        .service(
            resource("/vote/{token}")
                .route(get().to(pages::vote::confirm))
                .route(post().to(pages::vote::decide)),
        )
        .service(resource("/").route(get().to(home::home)))
        .service(resource("/changes").route(get().to(pages::changes::list)))
        .service(
            resource("/changes/new")
                .route(get().to(pages::changes::new))
                .route(post().to(pages::changes::create)),
        )
        .service(resource("/changes/{id}").route(get().to(pages::changes::detail)))
        .service(
            resource("/changes/{id}/edit")
                .route(get().to(pages::changes::edit_form))
                .route(post().to(pages::changes::edit)),
        )
        .service(resource("/changes/{id}/{action}").route(post().to(pages::changes::act)))
        .service(resource("/cab").route(get().to(cab::queue)))
        .service(resource("/calendar").route(get().to(pages::calendar::show)))
        .service(resource("/reports").route(get().to(pages::reports::show)))
        .service(resource("/reports/changes.csv").route(get().to(pages::reports::csv)))
        .service(resource("/admin").route(get().to(pages::admin::index)))
        .service(
            resource("/admin/users")
                .route(get().to(pages::admin::users_page))
                .route(post().to(pages::admin::add_user)),
        )
        .service(resource("/admin/users/roles").route(post().to(pages::admin::set_roles)))
        .service(resource("/admin/notices").route(get().to(pages::admin::notices_page)))
        .service(resource("/admin/notices/{id}/retry").route(post().to(pages::admin::retry_notice)))
        .service(
            resource("/admin/cis")
                .route(get().to(pages::admin::cis_page))
                .route(post().to(pages::admin::add_ci)),
        )
        .service(
            resource("/admin/templates")
                .route(get().to(pages::admin::templates_page))
                .route(post().to(pages::admin::add_template)),
        )
        .service(
            resource("/admin/blackouts")
                .route(get().to(pages::admin::blackouts_page))
                .route(post().to(pages::admin::add_blackout)),
        )
        .service(resource("/profile").route(get().to(profile::show)).route(post().to(profile::save)))
        .service(resource("/profile/language").route(post().to(profile::language)))
        .service(resource("/profile/password").route(post().to(profile::change_password)))
        .service(
            web::scope("/api/v1")
                .service(resource("/openapi.json").route(get().to(openapi::document)))
                .service(resource("/auth/token").route(post().to(meta::token)))
                .service(resource("/me").route(get().to(meta::me)))
                .service(
                    resource("/changes").route(get().to(changes::list)).route(post().to(changes::create)),
                )
                .service(
                    resource("/changes/{id}").route(get().to(changes::get)).route(patch().to(changes::edit)),
                )
                .service(resource("/changes/{id}/risk").route(put().to(changes::risk)))
                .service(resource("/changes/{id}/submit").route(post().to(changes::submit)))
                .service(resource("/changes/{id}/assess").route(post().to(changes::assess)))
                .service(resource("/changes/{id}/return").route(post().to(changes::return_to_draft)))
                .service(resource("/changes/{id}/reschedule").route(post().to(changes::reschedule)))
                .service(resource("/changes/{id}/start").route(post().to(changes::start)))
                .service(resource("/changes/{id}/complete").route(post().to(changes::complete)))
                .service(resource("/changes/{id}/review").route(post().to(changes::review)))
                .service(resource("/changes/{id}/cancel").route(post().to(changes::cancel)))
                .service(resource("/changes/{id}/votes").route(post().to(changes::vote)))
                .service(resource("/changes/{id}/events").route(get().to(changes::events)))
                .service(resource("/calendar").route(get().to(reference::calendar)))
                .service(resource("/reports/summary").route(get().to(reference::report)))
                .service(resource("/outbox/failed").route(get().to(api::outbox::failed)))
                .service(resource("/outbox/{id}/retry").route(post().to(api::outbox::retry)))
                .service(
                    resource("/cis")
                        .route(get().to(reference::list_cis))
                        .route(post().to(reference::create_ci)),
                )
                .service(
                    resource("/templates")
                        .route(get().to(reference::list_templates))
                        .route(post().to(reference::create_template)),
                )
                .service(
                    resource("/blackouts")
                        .route(get().to(reference::list_blackouts))
                        .route(post().to(reference::create_blackout)),
                ),
        )
        .default_service(web::to(problem::not_found));
}

/// A path whose unsupported methods answer 405 as a problem document.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(problem::method_not_allowed))
}
