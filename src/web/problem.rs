//! Error responses: the one place where errors become status codes.
//!
//! The API answers `application/problem+json` (RFC 9457) with `status`, `title` and
//! `detail`; validation errors add `errors: [{field, message}]`, schedule conflicts add
//! `conflicts`. Internal errors are logged with their cause chain and shown as a bare 500.

use crate::domain::schedule::Conflict;
use crate::i18n::Lang;
use crate::services::ServiceError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// A field that could not be accepted; the message is in English.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            conflicts: Vec::new(),
        }
    }

    pub fn response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status).content_type("application/problem+json").json(self)
    }
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        match self {
            ServiceError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) | ServiceError::ForbiddenScope { .. } => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Refused(_)
            | ServiceError::ScheduleConflict(_)
            | ServiceError::Conflict(_)
            | ServiceError::Taken { .. } => StatusCode::CONFLICT,
            ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::VersionMismatch { .. } => StatusCode::PRECONDITION_FAILED,
            ServiceError::VersionRequired => StatusCode::PRECONDITION_REQUIRED,
            ServiceError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let ServiceError::Internal(cause) = self {
            tracing::error!(error = ?cause, "request failed");
        }
        let detail = match self {
            ServiceError::Conflict(message) | ServiceError::Taken { message, .. } => {
                Lang::En.message(message)
            }
            other => other.to_string(),
        };
        let mut problem = Problem::new(status, detail);
        match self {
            ServiceError::Invalid(errors) => {
                problem.errors = errors
                    .iter()
                    .map(|e| FieldProblem { field: e.field.clone(), message: Lang::En.message(&e.message) })
                    .collect()
            }
            ServiceError::ScheduleConflict(conflicts) => problem.conflicts = conflicts.clone(),
            ServiceError::Taken { field, message } => {
                problem.errors =
                    vec![FieldProblem { field: (*field).to_owned(), message: Lang::En.message(message) }]
            }
            _ => {}
        }
        let mut response = problem.response();
        if let ServiceError::TooManyAttempts { retry_after_secs } = self {
            response.headers_mut().insert(actix_web::http::header::RETRY_AFTER, (*retry_after_secs).into());
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"endring\""),
            );
        }
        response
    }
}

pub fn unsupported_media_type() -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
}

pub fn too_large() -> Problem {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is larger than the 256 KiB this API accepts")
}

/// Query strings that do not parse.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    let response =
        answer(req, StatusCode::BAD_REQUEST, &format!("the query string is invalid: {error}"), "error-query");
    actix_web::error::InternalError::from_response(error, response).into()
}

/// A query parameter that does not fit its type: 422 naming it, as a problem document
/// under `/api`, an error page in the visitor's language elsewhere.
pub fn invalid_query(req: &actix_web::HttpRequest, field: String, message: String) -> HttpResponse {
    if is_api(req) {
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "some query parameters are invalid");
        problem.errors = vec![FieldProblem { field, message }];
        return problem.response();
    }
    let lang = visitor_language(req);
    let detail = lang.t_with(
        "error-query-field",
        &[("field", crate::i18n::arg(field)), ("message", crate::i18n::arg(message))],
    );
    page_response(lang, StatusCode::UNPROCESSABLE_ENTITY, &detail)
}

fn is_api(req: &actix_web::HttpRequest) -> bool {
    req.path().starts_with("/api/") || req.path() == "/healthz"
}

fn visitor_language(req: &actix_web::HttpRequest) -> Lang {
    let accept = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::negotiate(accept)
}

fn page_response(lang: Lang, status: StatusCode, detail: &str) -> HttpResponse {
    let markup = super::views::error_page(lang, status, detail);
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// A problem document under `/api`, an error page in the visitor's language elsewhere.
pub(crate) fn answer(
    req: &actix_web::HttpRequest,
    status: StatusCode,
    api_detail: &str,
    page_key: &str,
) -> HttpResponse {
    if is_api(req) {
        return Problem::new(status, api_detail).response();
    }
    let lang = visitor_language(req);
    page_response(lang, status, &lang.t(page_key))
}

/// A form (the email vote page's, which carries no session) whose fields do not parse —
/// a control character in the comment, say: 422 with the reason, as a page.
pub fn form_error(
    error: actix_web::error::UrlencodedError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    let status = match &error {
        UrlencodedError::Overflow { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        UrlencodedError::Parse(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    let lang = visitor_language(req);
    let detail = lang.t_with("error-form", &[("message", crate::i18n::arg(error.to_string()))]);
    let response = page_response(lang, status, &detail);
    actix_web::error::InternalError::from_response(error, response).into()
}

/// Path parameters that do not parse (`/api/v1/outbox/abc/retry`): 404, as a problem
/// document under `/api`, an error page elsewhere.
pub fn path_error(error: actix_web::error::PathError, req: &actix_web::HttpRequest) -> actix_web::Error {
    let response = answer(
        req,
        StatusCode::NOT_FOUND,
        &format!("there is nothing at this address: {error}"),
        "error-404-detail",
    );
    actix_web::error::InternalError::from_response(error, response).into()
}

/// Unknown paths: a problem document under `/api`, an error page elsewhere.
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    answer(&req, StatusCode::NOT_FOUND, "there is nothing at this address", "error-404-detail")
}

/// Known paths asked with a method they do not take: 405 naming the methods the path
/// takes (`Allow`, RFC 9110 §15.5.6).
pub fn method_not_allowed_allowing(req: actix_web::HttpRequest, allow: &str) -> HttpResponse {
    let detail = format!("this address does not take that method; it takes {allow}");
    let mut response = answer(&req, StatusCode::METHOD_NOT_ALLOWED, &detail, "error-405-detail");
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    response
}
