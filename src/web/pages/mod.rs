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
pub mod vote;

use actix_web::http::header;
use actix_web::HttpResponse;
use maud::Markup;

/// A rendered page with a status.
pub fn html(status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .body(markup.into_string())
}

/// Post/redirect/get: after a form succeeds, to the page that shows its result.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// A local path to return to after signing in: `/` followed by path and query characters
/// only, never `//` (another site), backslashes, whitespace or control characters.
pub fn safe_next(next: &str) -> &str {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~%?&=+:@!$'()*,;".contains(c);
    if next.starts_with('/') && !next.starts_with("//") && next.chars().all(allowed) {
        next
    } else {
        "/"
    }
}

/// No caching of signed-in pages: after signing out on a shared PC, Back shows nothing.
const NO_STORE: &str = "no-store";

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for good in ["/", "/changes?state=draft", "/changes/CHG-000001"] {
            assert_eq!(safe_next(good), good);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "/a\r\nSet-Cookie: x",
            "evil",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
