//! HTML pages for people (SPEC §9): server-rendered, working without JavaScript. Each
//! handler extracts the viewer, calls one service and renders a view.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod cab;
pub mod calendar;
pub mod changes;
pub mod forms;
pub mod home;
pub mod profile;
pub mod reports;

use actix_web::http::header;
use actix_web::HttpResponse;
use maud::Markup;

/// A rendered page with a status.
pub fn html(status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// Post/redirect/get: after a form succeeds, to the page that shows its result.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// A local path to return to after signing in (never another site).
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}
