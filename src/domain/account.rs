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
