//! HTTP: the one route table, thin handlers, error mapping and the OpenAPI document.
//!
//! A handler extracts, calls one service inside `run` (off the async workers), and
//! renders. No SQL, no access decisions here.

pub mod api;
pub mod auth;
pub mod client;
pub mod deadline;
pub mod extract;
pub mod files;
pub mod messages;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod pages;
#[cfg(test)]
mod parse_props;
pub mod problem;
pub mod session;
pub mod views;

use crate::services::{Ctx, ServiceResult};
use actix_web::http::Method;
use actix_web::web;

/// Runs a blocking service call off the async workers (`services::run`).
pub async fn run<T, F>(ctx: web::Data<Ctx>, work: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Ctx) -> ServiceResult<T> + Send + 'static,
{
    crate::services::run(&ctx, work).await
}

/// The client's address, for rate limiting sign-in attempts: the peer, or behind the
/// `trusted_proxies` the client their `X-Forwarded-For` names (`web::client`).
pub fn client_address(req: &actix_web::HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return "unknown".to_owned() };
    let trusted =
        req.app_data::<web::Data<Ctx>>().map(|ctx| ctx.config.trusted_networks()).unwrap_or_default();
    let lines = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    client::client(peer, lines, &trusted).to_string()
}

/// A body that clients poll (the calendar feed), answered with an `ETag` of its content:
/// a client that sends it back in `If-None-Match` gets 304 and no body.
pub fn polled(
    req: &actix_web::HttpRequest,
    content_type: &str,
    cache_control: &str,
    body: String,
) -> actix_web::HttpResponse {
    use sha2::{Digest, Sha256};
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..16]));
    match etag_matches(req, &etag) {
        true => tagged(actix_web::HttpResponse::NotModified(), &etag, cache_control).finish(),
        false => tagged(actix_web::HttpResponse::Ok(), &etag, cache_control)
            .content_type(content_type.to_owned())
            .body(body),
    }
}

/// Whether `If-None-Match` names `etag` (weakly, as a proxy that compressed the body
/// sends it back, or as `*`).
pub fn etag_matches(req: &actix_web::HttpRequest, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    req.headers().get(actix_web::http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(
        |given| given.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == bare),
    )
}

/// A response with `etag`, `cache_control`, and the request headers that choose the body.
pub fn tagged(
    mut response: actix_web::HttpResponseBuilder,
    etag: &str,
    cache_control: &str,
) -> actix_web::HttpResponseBuilder {
    use actix_web::http::header;
    response
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control.to_owned()))
        .insert_header((header::VARY, "Accept-Language, Cookie, Authorization"));
    response
}

/// The whole URL map.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(problem::query_error))
        .app_data(web::PathConfig::default().error_handler(problem::path_error))
        .app_data(web::FormConfig::default().error_handler(problem::form_error))
        .configure(|cfg| {
            for (path, routes) in page_paths() {
                cfg.service(page(path, routes));
            }
        })
        .configure(|cfg| {
            for (path, routes) in api_paths() {
                cfg.service(page(path, routes));
            }
        })
        .default_service(web::to(problem::not_found));
}

/// The pages, their forms and the other paths outside the API: each path with the methods
/// it answers, in the order they are matched (`/changes/new` before `/changes/{id}`). The
/// server is built from this list, and `page_route_table` reads the same list, so the
/// anonymous column of the authorization matrix asks every route that exists.
fn page_paths() -> Vec<(&'static str, Vec<(Method, actix_web::Route)>)> {
    use pages::{assets, auth, cab, home, profile};
    use Method as M;
    vec![
        ("/static/style.css", vec![on(M::GET, assets::style)]),
        ("/metrics", vec![on(M::GET, self::metrics::show)]),
        ("/sign-in", vec![on(M::GET, auth::form), on(M::POST, auth::submit)]),
        ("/sign-out", vec![on(M::POST, auth::sign_out)]),
        ("/sign-in/oidc", vec![on(M::GET, auth::oidc_start)]),
        ("/sign-in/oidc/callback", vec![on(M::GET, auth::oidc_callback)]),
        ("/sign-in/forgot", vec![on(M::GET, auth::forgot_form), on(M::POST, auth::forgot)]),
        ("/sign-in/reset/{token}", vec![on(M::GET, auth::reset_form), on(M::POST, auth::reset)]),
        ("/vote/{token}", vec![on(M::GET, pages::vote::confirm), on(M::POST, pages::vote::decide)]),
        ("/", vec![on(M::GET, home::home)]),
        ("/changes", vec![on(M::GET, pages::changes::list)]),
        ("/changes/new", vec![on(M::GET, pages::changes::new), on(M::POST, pages::changes::create)]),
        ("/changes/{id}", vec![on(M::GET, pages::changes::detail)]),
        (
            "/changes/{id}/edit",
            vec![on(M::GET, pages::changes::edit_form), on(M::POST, pages::changes::edit)],
        ),
        ("/changes/{id}/notes", vec![on(M::POST, pages::changes::add_note)]),
        ("/changes/{id}/attachments", vec![on(M::POST, pages::changes::attach)]),
        ("/changes/{id}/attachments/{attachment}", vec![on(M::GET, pages::changes::attachment)]),
        ("/changes/{id}/incidents", vec![on(M::POST, pages::changes::link_incident)]),
        (
            "/changes/{id}/incidents/{relation}/{incident}/remove",
            vec![on(M::POST, pages::changes::unlink_incident)],
        ),
        ("/changes/{id}/copy", vec![on(M::POST, pages::changes::copy)]),
        ("/changes/{id}/delete", vec![on(M::POST, pages::changes::delete)]),
        ("/changes/{id}/{action}", vec![on(M::POST, pages::changes::act)]),
        ("/cab", vec![on(M::GET, cab::queue)]),
        ("/cab/meetings/{id}", vec![on(M::GET, pages::meetings::show)]),
        ("/cab/meetings/{id}/agenda.md", vec![on(M::GET, pages::meetings::markdown)]),
        ("/cab/meetings/{id}/open", vec![on(M::POST, pages::meetings::open)]),
        ("/cab/meetings/{id}/decide", vec![on(M::POST, pages::meetings::decide)]),
        ("/cab/meetings/{id}/close", vec![on(M::POST, pages::meetings::close)]),
        ("/calendar", vec![on(M::GET, pages::calendar::show)]),
        ("/desk", vec![on(M::GET, pages::desk::show)]),
        (
            "/messages",
            vec![on(M::GET, pages::system_messages::public), on(M::POST, pages::system_messages::report)],
        ),
        ("/messages.atom", vec![on(M::GET, pages::system_messages::atom)]),
        ("/messages/{id}", vec![on(M::POST, pages::system_messages::edit)]),
        ("/messages/{id}/publish", vec![on(M::POST, pages::system_messages::publish)]),
        ("/messages/{id}/updates", vec![on(M::POST, pages::system_messages::post_update)]),
        ("/calendar.ics", vec![on(M::GET, pages::feed::calendar)]),
        ("/reports", vec![on(M::GET, pages::reports::show)]),
        ("/reports/changes.csv", vec![on(M::GET, pages::reports::csv)]),
        ("/admin", vec![on(M::GET, pages::admin::index)]),
        ("/admin/users", vec![on(M::GET, pages::admin::users_page), on(M::POST, pages::admin::add_user)]),
        ("/admin/users/roles", vec![on(M::POST, pages::admin::set_roles)]),
        ("/admin/users/{id}/deactivate", vec![on(M::POST, pages::admin::deactivate_user)]),
        ("/admin/users/{id}/reactivate", vec![on(M::POST, pages::admin::reactivate_user)]),
        ("/admin/users/{id}/password-reset", vec![on(M::POST, pages::admin::send_password_reset)]),
        ("/admin/notices", vec![on(M::GET, pages::admin::notices_page)]),
        (
            "/admin/webhooks",
            vec![on(M::GET, pages::admin::webhooks_page), on(M::POST, pages::admin::add_webhook)],
        ),
        (
            "/admin/webhooks/{id}",
            vec![on(M::GET, pages::webhooks::detail_page), on(M::POST, pages::webhooks::save)],
        ),
        ("/admin/webhooks/{id}/pause", vec![on(M::POST, pages::webhooks::pause)]),
        ("/admin/webhooks/{id}/resume", vec![on(M::POST, pages::webhooks::resume)]),
        ("/admin/webhooks/{id}/test", vec![on(M::POST, pages::webhooks::test)]),
        ("/admin/webhooks/{id}/delete", vec![on(M::POST, pages::webhooks::delete)]),
        ("/admin/webhooks/{id}/deliveries/{delivery}/retry", vec![on(M::POST, pages::webhooks::retry)]),
        ("/admin/cab", vec![on(M::GET, pages::admin::cab_page), on(M::POST, pages::admin::save_cab)]),
        (
            "/admin/calendar",
            vec![on(M::GET, pages::admin::calendar_page), on(M::POST, pages::admin::close_day)],
        ),
        ("/admin/calendar/{day}/reopen", vec![on(M::POST, pages::admin::reopen_day)]),
        (
            "/admin/maintenance",
            vec![on(M::GET, pages::admin::maintenance_page), on(M::POST, pages::admin::add_window)],
        ),
        ("/admin/maintenance/{id}/remove", vec![on(M::POST, pages::admin::remove_window)]),
        ("/admin/maintenance/{id}", vec![on(M::POST, pages::admin::save_window)]),
        ("/admin/cis/{id}", vec![on(M::POST, pages::admin::save_ci)]),
        ("/admin/templates/candidates/{id}/accept", vec![on(M::POST, pages::admin::accept_candidate)]),
        ("/admin/templates/candidates/{id}/dismiss", vec![on(M::POST, pages::admin::dismiss_candidate)]),
        ("/admin/templates/{id}", vec![on(M::POST, pages::admin::save_template)]),
        ("/admin/blackouts/{id}", vec![on(M::POST, pages::admin::save_blackout)]),
        ("/admin/{kind}/{id}/retire", vec![on(M::POST, pages::admin::retire)]),
        ("/admin/notices/{id}/retry", vec![on(M::POST, pages::admin::retry_notice)]),
        ("/admin/cis", vec![on(M::GET, pages::admin::cis_page), on(M::POST, pages::admin::add_ci)]),
        (
            "/admin/templates",
            vec![on(M::GET, pages::admin::templates_page), on(M::POST, pages::admin::add_template)],
        ),
        (
            "/admin/blackouts",
            vec![on(M::GET, pages::admin::blackouts_page), on(M::POST, pages::admin::add_blackout)],
        ),
        ("/profile", vec![on(M::GET, profile::show), on(M::POST, profile::save)]),
        ("/profile/language", vec![on(M::POST, profile::language)]),
        ("/profile/password", vec![on(M::POST, profile::change_password)]),
        ("/profile/sessions/end-others", vec![on(M::POST, profile::end_other_sessions)]),
        ("/profile/sessions/{id}/end", vec![on(M::POST, profile::end_session)]),
        ("/profile/tokens", vec![on(M::POST, profile::create_token)]),
        ("/profile/tokens/{id}/revoke", vec![on(M::POST, profile::revoke_token)]),
        ("/profile/feeds", vec![on(M::POST, profile::create_feed)]),
        ("/profile/feeds/{id}/revoke", vec![on(M::POST, profile::revoke_feed)]),
        ("/profile/delegations", vec![on(M::POST, profile::create_delegation)]),
        ("/profile/delegations/{id}/revoke", vec![on(M::POST, profile::revoke_delegation)]),
    ]
}

/// Every `(method, path)` of the pages and their forms (lower-case method, path with
/// `{parameters}`).
pub fn page_route_table() -> Vec<(String, String)> {
    route_table(page_paths())
}

/// One method of an API path and its handler.
fn on<F, Args>(method: Method, handler: F) -> (Method, actix_web::Route)
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    // A GET answers HEAD too (RFC 9110 §9.1): actix sends the head without the body.
    let route = match method {
        Method::GET => {
            web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
        }
        _ => web::method(method.clone()),
    };
    (method, route.to(handler))
}

/// The JSON API under `/api/v1` and `/healthz`: each path with the methods it answers.
/// The server is built from this list, and `api_route_table` reads the same list, so the
/// OpenAPI test compares the document with the routes that really exist.
fn api_paths() -> Vec<(&'static str, Vec<(Method, actix_web::Route)>)> {
    use api::{
        changes, delegations, maintenance, meetings, meta, outbox, reference, system_messages, users,
        webhooks, workdays,
    };
    use Method as M;
    vec![
        ("/healthz", vec![on(M::GET, meta::healthz)]),
        ("/api/v1/openapi.json", vec![on(M::GET, openapi::document)]),
        ("/api/v1/auth/token", vec![on(M::POST, meta::token)]),
        ("/api/v1/auth/tokens", vec![on(M::GET, meta::tokens), on(M::POST, meta::create_token)]),
        ("/api/v1/auth/tokens/{id}", vec![on(M::DELETE, meta::revoke_token)]),
        ("/api/v1/me", vec![on(M::GET, meta::me)]),
        ("/api/v1/changes", vec![on(M::GET, changes::list), on(M::POST, changes::create)]),
        (
            "/api/v1/changes/{id}",
            vec![on(M::GET, changes::get), on(M::PATCH, changes::edit), on(M::DELETE, changes::delete)],
        ),
        ("/api/v1/changes/{id}/notes", vec![on(M::GET, changes::notes), on(M::POST, changes::add_note)]),
        ("/api/v1/changes/{id}/copy", vec![on(M::POST, changes::copy)]),
        (
            "/api/v1/changes/{id}/attachments",
            vec![on(M::GET, changes::attachments), on(M::POST, changes::attach)],
        ),
        ("/api/v1/changes/{id}/attachments/{attachment}", vec![on(M::GET, changes::attachment)]),
        ("/api/v1/changes/{id}/incidents", vec![on(M::POST, changes::link_incident)]),
        (
            "/api/v1/changes/{id}/incidents/{relation}/{incident}",
            vec![on(M::DELETE, changes::unlink_incident)],
        ),
        ("/api/v1/changes/{id}/risk", vec![on(M::PUT, changes::risk)]),
        ("/api/v1/changes/{id}/submit", vec![on(M::POST, changes::submit)]),
        ("/api/v1/changes/{id}/assess", vec![on(M::POST, changes::assess)]),
        ("/api/v1/changes/{id}/return", vec![on(M::POST, changes::return_to_draft)]),
        ("/api/v1/changes/{id}/reschedule", vec![on(M::POST, changes::reschedule)]),
        ("/api/v1/changes/{id}/start", vec![on(M::POST, changes::start)]),
        ("/api/v1/changes/{id}/complete", vec![on(M::POST, changes::complete)]),
        ("/api/v1/changes/{id}/review", vec![on(M::POST, changes::review)]),
        ("/api/v1/changes/{id}/cancel", vec![on(M::POST, changes::cancel)]),
        ("/api/v1/changes/{id}/votes", vec![on(M::POST, changes::vote)]),
        ("/api/v1/changes/{id}/events", vec![on(M::GET, changes::events)]),
        ("/api/v1/changes/{id}/slots", vec![on(M::GET, changes::slots)]),
        ("/api/v1/changes/{id}/gate", vec![on(M::GET, changes::gate)]),
        ("/api/v1/calendar", vec![on(M::GET, reference::calendar)]),
        ("/api/v1/desk", vec![on(M::GET, reference::desk)]),
        ("/api/v1/messages", vec![on(M::GET, system_messages::list), on(M::POST, system_messages::report)]),
        (
            "/api/v1/messages/{id}",
            vec![on(M::GET, system_messages::get), on(M::PATCH, system_messages::edit)],
        ),
        ("/api/v1/messages/{id}/publish", vec![on(M::POST, system_messages::publish)]),
        ("/api/v1/messages/{id}/updates", vec![on(M::POST, system_messages::post_update)]),
        ("/api/v1/cab/meetings", vec![on(M::GET, meetings::list), on(M::POST, meetings::add)]),
        ("/api/v1/cab/meetings/{id}", vec![on(M::GET, meetings::get)]),
        ("/api/v1/cab/settings", vec![on(M::GET, meetings::settings), on(M::PUT, meetings::save_settings)]),
        ("/api/v1/cab/meetings/{id}/cancel", vec![on(M::POST, meetings::cancel)]),
        ("/api/v1/cab/meetings/{id}/open", vec![on(M::POST, meetings::open)]),
        ("/api/v1/cab/meetings/{id}/decisions", vec![on(M::POST, meetings::decision)]),
        ("/api/v1/cab/meetings/{id}/close", vec![on(M::POST, meetings::close)]),
        ("/api/v1/users", vec![on(M::GET, users::list)]),
        ("/api/v1/users/{id}/deactivate", vec![on(M::POST, users::deactivate)]),
        ("/api/v1/users/{id}/reactivate", vec![on(M::POST, users::reactivate)]),
        ("/api/v1/users/{id}/password-reset", vec![on(M::POST, users::password_reset)]),
        ("/api/v1/delegations", vec![on(M::GET, delegations::list), on(M::POST, delegations::create)]),
        ("/api/v1/delegations/{id}", vec![on(M::DELETE, delegations::revoke)]),
        ("/api/v1/calendar/days-off", vec![on(M::GET, workdays::days_off)]),
        ("/api/v1/maintenance-windows", vec![on(M::GET, maintenance::list), on(M::POST, maintenance::add)]),
        (
            "/api/v1/maintenance-windows/{id}",
            vec![on(M::PUT, maintenance::update), on(M::DELETE, maintenance::remove)],
        ),
        ("/api/v1/calendar/closed-days", vec![on(M::POST, workdays::close_day)]),
        ("/api/v1/calendar/closed-days/{day}", vec![on(M::DELETE, workdays::reopen_day)]),
        ("/api/v1/reports/summary", vec![on(M::GET, reference::report)]),
        ("/api/v1/reports/changes.csv", vec![on(M::GET, reference::changes_csv)]),
        ("/api/v1/webhooks", vec![on(M::GET, webhooks::list), on(M::POST, webhooks::create)]),
        (
            "/api/v1/webhooks/{id}",
            vec![on(M::GET, webhooks::get), on(M::PATCH, webhooks::update), on(M::DELETE, webhooks::delete)],
        ),
        ("/api/v1/webhooks/{id}/deliveries", vec![on(M::GET, webhooks::deliveries)]),
        ("/api/v1/webhooks/{id}/deliveries/{delivery}/retry", vec![on(M::POST, webhooks::retry)]),
        ("/api/v1/webhooks/{id}/test", vec![on(M::POST, webhooks::test)]),
        ("/api/v1/outbox/failed", vec![on(M::GET, outbox::failed)]),
        ("/api/v1/outbox/{id}/retry", vec![on(M::POST, outbox::retry)]),
        ("/api/v1/cis", vec![on(M::GET, reference::list_cis), on(M::POST, reference::create_ci)]),
        ("/api/v1/cis/{id}", vec![on(M::PUT, reference::update_ci)]),
        ("/api/v1/cis/{id}/retire", vec![on(M::POST, reference::retire_ci)]),
        ("/api/v1/templates/candidates", vec![on(M::GET, reference::candidates)]),
        ("/api/v1/templates/candidates/{id}/accept", vec![on(M::POST, reference::accept_candidate)]),
        ("/api/v1/templates/candidates/{id}/dismiss", vec![on(M::POST, reference::dismiss_candidate)]),
        ("/api/v1/templates/{id}", vec![on(M::PUT, reference::update_template)]),
        ("/api/v1/templates/{id}/versions", vec![on(M::GET, reference::template_versions)]),
        ("/api/v1/templates/{id}/retire", vec![on(M::POST, reference::retire_template)]),
        ("/api/v1/blackouts/{id}", vec![on(M::PUT, reference::update_blackout)]),
        ("/api/v1/blackouts/{id}/retire", vec![on(M::POST, reference::retire_blackout)]),
        (
            "/api/v1/templates",
            vec![on(M::GET, reference::list_templates), on(M::POST, reference::create_template)],
        ),
        (
            "/api/v1/blackouts",
            vec![on(M::GET, reference::list_blackouts), on(M::POST, reference::create_blackout)],
        ),
    ]
}

/// Every `(method, path)` of the JSON API and `/healthz` as the server routes it
/// (lower-case method, path with `{parameters}`).
pub fn api_route_table() -> Vec<(String, String)> {
    route_table(api_paths())
}

/// `(method, path)` of each route in `paths`.
fn route_table(paths: Vec<(&'static str, Vec<(Method, actix_web::Route)>)>) -> Vec<(String, String)> {
    paths
        .into_iter()
        .flat_map(|(path, routes)| {
            routes.into_iter().map(move |(method, _)| (method.as_str().to_lowercase(), path.to_owned()))
        })
        .collect()
}

/// A path answering `routes`; any other method answers 405 with `Allow` naming those it
/// takes (RFC 9110 §15.5.6), as a problem document under `/api`, an error page elsewhere.
fn page(path: &str, routes: Vec<(Method, actix_web::Route)>) -> actix_web::Resource {
    let allow: Vec<&str> = routes
        .iter()
        .flat_map(|(method, _)| match *method {
            Method::GET => vec!["GET", "HEAD"],
            _ => vec![method.as_str()],
        })
        .collect();
    let allow = allow.join(", ");
    let answer = web::to(move |req: actix_web::HttpRequest| {
        let allow = allow.clone();
        async move { problem::method_not_allowed_allowing(req, &allow) }
    });
    let with_default = web::resource(path).default_service(answer);
    routes.into_iter().fold(with_default, |resource, (_, route)| resource.route(route))
}
