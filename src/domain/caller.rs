//! Who is acting: a signed-in user with their roles.

use super::ids::UserId;
use super::role::Role;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// Always contains `requester`.
    pub roles: BTreeSet<Role>,
    /// `nb` or `en`; none: follow the browser.
    pub language: Option<String>,
    /// IANA zone; none: the service's.
    pub timezone: Option<String>,
    /// What the API token the caller came with may do; None: not limited (a web
    /// session, or a person looked up by a service).
    pub scopes: Option<BTreeSet<super::account::Scope>>,
    /// When the API token the caller came with expires (a token it makes lasts no longer).
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}
