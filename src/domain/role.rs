//! The roles a user may hold (SPEC §8). Every user is a requester.

use super::text_enum::text_enum;

text_enum! {
    /// A role; a user may hold several.
    pub enum Role {
        Requester = "requester",
        Implementer = "implementer",
        CabMember = "cab_member",
        ChangeManager = "change_manager",
        Manager = "manager",
        Admin = "admin",
        /// The service desk: answers employees' calls, follows what is changing now.
        ServiceDesk = "service_desk",
    }
}
