//! Accounts' vocabulary: how a session was signed in, and what a password reset email's
//! outbox row carries.

use super::text_enum::text_enum;
use serde::{Deserialize, Serialize};

text_enum! {
    /// How a web session was signed in.
    pub enum SignInMethod {
        Password = "password",
        /// With the organisation's identity provider (OpenID Connect).
        Oidc = "oidc",
    }
}

text_enum! {
    /// What an API token may be used for; a token never grants more than its user's roles
    /// (the policy and the token's scopes must both allow).
    pub enum Scope {
        /// Read changes, reference data, reports, the calendar and the gate.
        Read = "read",
        /// Everything a person does through the API: file, edit, decide, schedule, run.
        Write = "write",
        /// A pipeline: ask the gate, start and complete a change (and read it).
        Gate = "gate",
        /// The service desk's tool: link and unlink incidents (and read changes).
        Incidents = "incidents",
        /// Subscribe addresses to events and watch their deliveries (admins' tokens).
        Webhooks = "webhooks",
    }
}

/// The outbox kind of a password reset email.
pub const RESET_KIND: &str = "password_reset";

/// What an outbox row of kind `password_reset` carries: whom it is for, and the admin
/// who sent it (id and name; None when the user asked on the sign-in page). The link is
/// made when the email is sent, so no usable token is ever stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetNotice {
    pub user_id: i32,
    pub sent_by: Option<(i32, String)>,
}
