//! The error every service returns: precise variants for what callers handle, one opaque
//! bucket (`Internal`) for the rest. The web layer maps each to a status code in one place
//! (`web::problem`); the cause of `Internal` is logged there and never shown.

use crate::db::DbError;
use crate::domain::lifecycle::Refused;
use crate::domain::schedule::Conflict;
use crate::domain::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// 400: a malformed request (header, query) that no field error describes.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or invalid credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// 403: the policy refuses this permission.
    #[error("you are not allowed to {}", super::describe(*.0))]
    Forbidden(crate::authz::Permission),
    /// 403: the API token's scopes do not reach this permission (its user's roles might).
    #[error("this token's scopes ({scopes}) do not allow this ({permission}); use a token with a scope that does, such as `write`")]
    ForbiddenScope { permission: crate::authz::Permission, scopes: String },
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 409: the lifecycle refuses the transition.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// 409: the window conflicts; a change manager may force with a reason.
    #[error("the planned window conflicts with {} other booking(s)", .0.len())]
    ScheduleConflict(Vec<Conflict>),
    /// 409: any other state that forbids the request (duplicate name, window not open…).
    /// (Worded by the web layer: English for the API, the viewer's language on pages.)
    #[error("conflict: {}", .0.key)]
    Conflict(crate::domain::validation::Message),
    /// 409: a name or address another record already holds; `field` is the field that
    /// holds it, so a form can mark it.
    #[error("conflict: {}", .message.key)]
    Taken { field: &'static str, message: crate::domain::validation::Message },
    /// 422: fields that cannot be accepted.
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    /// 412: `If-Match` names an older version.
    #[error("it was modified since version {given}; it is now at version {current}")]
    VersionMismatch { given: i32, current: i32 },
    /// 428: `If-Match` is required and missing.
    #[error("this request needs an If-Match header with the change's current version (its ETag)")]
    VersionRequired,
    /// 413: an upload larger than the setting `attachment_max_mb` allows.
    #[error("the file is larger than the {max_mb} MB an attachment may be")]
    TooLarge { max_mb: u32 },
    /// 429: too many sign-in attempts; try again after the given seconds.
    #[error("too many sign-in attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// 500: anything else; details are logged, not shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<crate::domain::validation::Message>) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, message.into())])
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        ServiceError::Internal(error.into())
    }
}

impl From<DbError> for ServiceError {
    fn from(error: DbError) -> Self {
        ServiceError::Internal(error.into())
    }
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(errors: Vec<FieldError>) -> Self {
        ServiceError::Invalid(errors)
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
