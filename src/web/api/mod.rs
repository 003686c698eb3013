//! JSON API handlers under `/api/v1` (SPEC §9).

pub mod changes;
pub mod meta;
pub mod outbox;
pub mod reference;

use crate::domain::ids::ChangeId;
use crate::services::ServiceError;

/// A change's path segment: its number or its `CHG-` reference.
pub fn change_id(segment: &str) -> Result<ChangeId, ServiceError> {
    ChangeId::parse(segment).ok_or_else(|| {
        ServiceError::NotFound(format!("`{segment}` is not a change number or CHG- reference"))
    })
}

/// A JSON body for a lifecycle action; an empty body counts as `{}`, so actions whose
/// fields are all optional (`submit`, `start`) need none.
pub struct ActionBody<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for ActionBody<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        use crate::web::problem::{body_problem, too_large, unsupported_media_type};
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let bytes = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let reject = |problem: crate::web::problem::Problem| {
                actix_web::error::InternalError::from_response("invalid body", problem.response()).into()
            };
            let bytes = bytes.await.map_err(|_| reject(too_large()))?;
            let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else if is_json {
                &bytes
            } else {
                return Err(reject(unsupported_media_type()));
            };
            serde_json::from_slice(text).map(ActionBody).map_err(|e| reject(body_problem(&e)))
        })
    }
}
