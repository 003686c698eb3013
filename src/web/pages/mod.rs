//! HTML pages for people (SPEC §9): server-rendered, working without JavaScript. Each
//! handler extracts the viewer, calls one service and renders a view.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod cab;
pub mod calendar;
pub mod changes;
pub mod desk;
pub mod feed;
pub mod forms;
pub mod home;
pub mod meetings;
pub mod profile;
pub mod reports;
pub mod system_messages;
pub mod vote;
pub mod webhooks;

use crate::domain::validation::FieldError;
use crate::i18n::Lang;
use crate::services::ServiceError;
use crate::web::session::PageError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use maud::Markup;

/// How a page answers a service's refusal. This is the one place that decides it for
/// every page, as `web::problem` does for the API; each page then shows each kind its way.
pub enum Refusal {
    /// Fields to mark on the form the person filled in: 422, or 409 for a name or
    /// address another record holds.
    Fields { status: StatusCode, errors: Vec<FieldError> },
    /// A refusal the person can act on, to show on the page they were on, in their
    /// language: the policy (403), the lifecycle or a conflict (409), a stale version (412).
    OnPage { status: StatusCode, message: String },
    /// Nothing the page can show (no such thing, an internal error): an error page.
    ErrorPage(PageError),
}

impl Refusal {
    pub fn of(error: ServiceError, lang: Lang) -> Refusal {
        match field_errors(error) {
            Ok((status, errors)) => Refusal::Fields { status, errors },
            Err(
                error @ (ServiceError::Internal(_)
                | ServiceError::NotFound(_)
                | ServiceError::BadRequest(_)
                | ServiceError::Unauthenticated(_)),
            ) => Refusal::ErrorPage(PageError::Service { error, lang }),
            Err(other) => Refusal::OnPage {
                status: other.status_code(),
                message: crate::web::messages::describe(lang, &other),
            },
        }
    }

    /// For pages that show any refusal as a message on themselves: the status and the
    /// message in the viewer's language; what is not about the page is an error page.
    pub fn message(error: ServiceError, lang: Lang) -> Result<(StatusCode, String), PageError> {
        match Refusal::of(error, lang) {
            Refusal::Fields { status, errors } => {
                Ok((status, crate::web::messages::describe(lang, &ServiceError::Invalid(errors))))
            }
            Refusal::OnPage { status, message } => Ok((status, message)),
            Refusal::ErrorPage(page) => Err(page),
        }
    }

    /// For pages that show field errors on their form and nothing else: every other
    /// refusal becomes an error page.
    pub fn fields_or_page(
        error: ServiceError,
        lang: Lang,
    ) -> Result<(StatusCode, Vec<FieldError>), PageError> {
        field_errors(error).map_err(|error| PageError::Service { error, lang })
    }
}

/// The field errors a refusal is made of, if it is made of them.
fn field_errors(error: ServiceError) -> Result<(StatusCode, Vec<FieldError>), ServiceError> {
    match error {
        ServiceError::Invalid(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, errors)),
        ServiceError::Taken { field, message } => {
            Ok((StatusCode::CONFLICT, vec![FieldError::new(field, message)]))
        }
        other => Err(other),
    }
}

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
/// only, never `//` (another site), backslashes, whitespace or control characters, and at
/// most 1,000 characters (it may wait in the session cookie, which has a size limit).
pub fn safe_next(next: &str) -> &str {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~%?&=+:@!$'()*,;".contains(c);
    if next.len() <= 1000 && next.starts_with('/') && !next.starts_with("//") && next.chars().all(allowed) {
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
