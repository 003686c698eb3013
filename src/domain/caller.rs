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
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}
