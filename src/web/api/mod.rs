//! JSON API handlers under `/api/v1` (SPEC §9).

pub mod changes;
pub mod delegations;
pub mod maintenance;
pub mod meetings;
pub mod meta;
pub mod outbox;
pub mod reference;
pub mod system_messages;
pub mod users;
pub mod webhooks;
pub mod workdays;

use crate::domain::ids::ChangeId;
use crate::services::ServiceError;

/// A record's number from its path segment (`what` names it in the 404).
pub fn number(segment: &str, what: &str) -> Result<i32, ServiceError> {
    segment
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ServiceError::NotFound(format!("`{segment}` is not a {what}'s number")))
}

/// A change's path segment: its number or its `CHG-` reference.
pub fn change_id(segment: &str) -> Result<ChangeId, ServiceError> {
    ChangeId::parse(segment).ok_or_else(|| {
        ServiceError::NotFound(format!("`{segment}` is not a change number or CHG- reference"))
    })
}
