//! The edge where request bodies and query strings become typed input.
//!
//! `Json<T>` and `Query<T>` replace actix's extractors of the same names so that every
//! value that does not fit its type — including `Text` that holds a control character —
//! is refused with 422 naming the field by its path (`title`, `answers.tested`), the same
//! on every backend, before any service runs. Syntax errors stay 400.

use super::problem::{invalid_query, Problem};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// Largest JSON body the API accepts.
pub const JSON_LIMIT: usize = 256 * 1024;

/// The field a deserialization error is about: its path, or `body` for the whole.
fn field_of(path: &serde_path_to_error::Path) -> String {
    match path.to_string().as_str() {
        "." | "" => "body".to_owned(),
        path => path.to_owned(),
    }
}

/// A 422 naming one field.
fn invalid_field(field: String, message: String) -> Problem {
    let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "some fields are invalid");
    problem.errors = vec![super::problem::FieldProblem { field, message }];
    problem
}

/// Parses a JSON body: syntax errors are 400, well-formed JSON with wrong fields or
/// values is 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let syntax =
        |error| Problem::new(StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {error}"));
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = field_of(error.path());
        let inner = error.into_inner();
        if inner.classify() == serde_json::error::Category::Data {
            invalid_field(field, inner.to_string())
        } else {
            syntax(inner)
        }
    })?;
    deserializer.end().map_err(syntax)?;
    Ok(parsed)
}

fn reject(problem: Problem) -> actix_web::Error {
    actix_web::error::InternalError::from_response("invalid input", problem.response()).into()
}

/// A JSON request body of type `T`.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Reads the body as JSON; `empty_is` stands in for an empty body when given.
fn json_body<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
    empty_is: Option<&'static [u8]>,
) -> Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>> {
    use super::problem::{too_large, unsupported_media_type};
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/problem+json"));
    let bytes = actix_web::web::Bytes::from_request(req, payload);
    Box::pin(async move {
        let bytes = bytes.await.map_err(|_| reject(too_large()))?;
        if bytes.len() > JSON_LIMIT {
            return Err(reject(too_large()));
        }
        let text: &[u8] = match empty_is {
            Some(empty) if bytes.iter().all(u8::is_ascii_whitespace) => empty,
            _ if is_json => &bytes,
            _ => return Err(reject(unsupported_media_type())),
        };
        parse_json(text).map_err(reject)
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body = json_body::<T>(req, payload, None);
        Box::pin(async move { body.await.map(Json) })
    }
}

/// A JSON body for a lifecycle action; an empty body counts as `{}`, so actions whose
/// fields are all optional (`submit`, `start`) need none.
pub struct ActionBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ActionBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body = json_body::<T>(req, payload, Some(b"{}"));
        Box::pin(async move { body.await.map(ActionBody) })
    }
}

/// A query string of type `T`: a problem document under `/api`, an error page elsewhere.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses a query string; a value that does not fit is a 422 naming its parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, (String, String)> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = match field_of(error.path()).as_str() {
            "body" => "query".to_owned(),
            field => field.to_owned(),
        };
        (field, error.into_inner().to_string())
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query).map_err(|(field, message)| {
            let response = invalid_query(req, field, message);
            actix_web::error::InternalError::from_response("invalid query", response).into()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Text;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        title: Text,
        #[allow(dead_code)]
        nested: Option<Nested>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Nested {
        #[allow(dead_code)]
        comment: Text,
    }

    #[test]
    fn a_control_character_is_a_422_naming_its_field() {
        let problem = parse_json::<Body>(br#"{"title": "a\u0000b"}"#).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "title");
        assert!(problem.errors[0].message.contains("U+0000"), "{}", problem.errors[0].message);
        let nested = parse_json::<Body>(br#"{"title": "ok", "nested": {"comment": "\r"}}"#).unwrap_err();
        assert_eq!(nested.errors[0].field, "nested.comment");
    }

    #[test]
    fn syntax_errors_stay_400() {
        assert_eq!(parse_json::<Body>(b"{\"title\": ").unwrap_err().status, 400);
        assert_eq!(parse_json::<Body>(b"{\"title\": \"x\"} trailing").unwrap_err().status, 400);
    }

    #[derive(Debug, serde::Deserialize)]
    struct Search {
        #[allow(dead_code)]
        q: Option<Text>,
    }

    #[test]
    fn a_query_parameter_with_a_control_character_is_named() {
        let (field, message) = parse_query::<Search>("q=%00").unwrap_err();
        assert_eq!(field, "q");
        assert!(message.contains("U+0000"), "{message}");
        assert!(parse_query::<Search>("q=archive").is_ok());
    }
}
