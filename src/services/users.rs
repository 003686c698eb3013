//! People: adding users with roles, the first admin, and listing who holds what.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::db::users;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::validation::{required_text, Message};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use rand::distributions::{Alphanumeric, DistString};
use std::collections::BTreeSet;

/// Lower-cased, trimmed, and shaped like an address (`local@domain`).
pub fn parse_email(text: &str) -> Result<String, Message> {
    let email = text.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(Message::new("msg-email").arg("given", text.trim()))
    }
}

/// argon2id with the crate's defaults (OWASP's recommended parameters).
pub fn hash_password(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// A random password for accounts made without one.
pub fn generate_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 20)
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub roles: BTreeSet<Role>,
    pub password: String,
}

/// Adds a user. `actor` is the admin who does it (none from the command line).
pub fn add(ctx: &Ctx, actor: Option<&Caller>, input: NewUser) -> ServiceResult<UserId> {
    if let Some(admin) = actor {
        ctx.require(admin, crate::authz::Permission::ManageUsers, &crate::authz::Object::none())?;
    }
    let mut errors = crate::domain::validation::FieldErrors::default();
    let email = errors.check("email", parse_email(&input.email));
    let name = errors.check("name", required_text(&input.name, 200));
    if input.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.add("password", Message::new("msg-password-short"));
    }
    let (email, name) = errors.finish(|| (email.unwrap_or_default(), name.unwrap_or_default()))?;
    let hash = hash_password(&input.password)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        if users::id_by_email(conn, &email)?.is_some() {
            let message = Message::new("msg-user-exists").arg("email", &email);
            return Err(ServiceError::Taken { field: "email", message });
        }
        let id = users::insert(conn, &email, &name, &hash, &input.roles, now)?;
        let roles: Vec<&str> = input.roles.iter().map(|r| r.as_str()).collect();
        let payload = serde_json::json!({ "user_id": id, "email": email, "roles": roles });
        record(conn, Event::general(actor.map(|a| a.id), "add_user", payload), now)?;
        Ok(id)
    })
}

/// Replaces the roles of the user with `email`; takes effect on their next request, on
/// every instance (roles are read with each request).
pub fn set_roles(
    ctx: &Ctx,
    actor: Option<&Caller>,
    email: &str,
    roles: BTreeSet<Role>,
) -> ServiceResult<Caller> {
    if let Some(admin) = actor {
        ctx.require(admin, crate::authz::Permission::ManageUsers, &crate::authz::Object::none())?;
    }
    let email = parse_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let id = users::id_by_email(conn, &email)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no user {email}")))?;
        users::set_roles(conn, id, &roles)?;
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let payload = serde_json::json!({ "user_id": id, "email": email, "roles": names });
        let event = Event::general(actor.map(|a| a.id), "set_roles", payload);
        record(conn, event, now)?;
        users::caller(conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("{email} is not active")))
    })
}

/// On an empty database, creates `admin@localhost` with a one-time password and returns
/// it; otherwise does nothing.
pub fn bootstrap_admin(ctx: &Ctx) -> ServiceResult<Option<(String, String)>> {
    if ctx.db.query(users::count)? > 0 {
        return Ok(None);
    }
    let password = generate_password();
    let email = "admin@localhost.localdomain".to_owned();
    let roles = [Role::Admin, Role::ChangeManager].into_iter().collect();
    let admin =
        NewUser { email: email.clone(), name: "Administrator".into(), roles, password: password.clone() };
    match add(ctx, None, admin) {
        Ok(_) => Ok(Some((email, password))),
        // Another instance starting at the same moment made it first.
        Err(ServiceError::Taken { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A user's own settings: language (`None`: follow the browser) and time zone (`None`:
/// the service's).
pub fn update_profile(
    ctx: &Ctx,
    caller: &Caller,
    language: Option<&str>,
    timezone: Option<&str>,
) -> ServiceResult<()> {
    let mut errors = crate::domain::validation::FieldErrors::default();
    if language.is_some_and(|l| !matches!(l, "nb" | "en")) {
        errors.add("language", Message::new("msg-language"));
    }
    if timezone.is_some_and(|z| z.parse::<chrono_tz::Tz>().is_err()) {
        errors.add("timezone", Message::new("msg-timezone"));
    }
    errors.finish(|| ())?;
    ctx.db.write(|conn| -> ServiceResult<()> { Ok(users::set_profile(conn, caller.id, language, timezone)?) })
}

/// The shortest password accepted (NIST SP 800-63B asks for at least 8; we ask 12).
pub(super) const MIN_PASSWORD_CHARS: usize = 12;

/// What a user types to change their own password.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// Changes the caller's own password after checking the current one (rate-limited like
/// signing in, and only once the new password is acceptable). Ends their web sessions but
/// `keep` (the one that made the change) and revokes their API tokens; every device cookie
/// made under the old password stops counting. The new password's stamp, for the device
/// cookie of the browser that made the change.
pub fn change_password(
    ctx: &Ctx,
    caller: &Caller,
    change: &PasswordChange,
    (address, device): (&str, Option<&super::auth::KnownDevice>),
    keep: Option<i32>,
) -> ServiceResult<String> {
    let mut errors = crate::domain::validation::FieldErrors::default();
    if change.new.chars().count() < MIN_PASSWORD_CHARS {
        errors.add("new_password", Message::new("msg-password-short"));
    } else if change.new != change.confirm {
        errors.add("confirm_password", Message::new("msg-password-mismatch"));
    }
    errors.finish(|| ())?;
    // Only a well-formed change costs an attempt at the current password; a browser known
    // to the account (its device cookie) is held to its own allowance, as at sign-in, so
    // guessers elsewhere cannot keep the owner from changing it.
    let credentials = ctx.db.query(|conn| users::credentials_of(conn, caller.id))?;
    let email = super::auth::account_key(&caller.email);
    let device =
        super::auth::known_device(&email, credentials.as_ref().map(|c| c.password_hash.as_str()), device);
    ctx.sign_in.check(&email, address, device)?;
    if !credentials.is_some_and(|c| super::auth::password_matches(&c.password_hash, change.current)) {
        let wrong = Message::new("msg-password-wrong");
        return Err(ServiceError::Invalid(vec![crate::domain::validation::FieldError::new(
            "current_password",
            wrong,
        )]));
    }
    let hash = hash_password(change.new)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        users::set_password(conn, caller.id, &hash, keep)?;
        let payload = serde_json::json!({ "user_id": caller.id, "email": caller.email });
        record(conn, Event::general(Some(caller.id), "change_password", payload), now)?;
        Ok(())
    })?;
    Ok(super::auth::credential_stamp(&hash))
}

/// Users with their roles, by email, for the admin page.
/// Most users one admin page lists; more are found by searching.
pub const LIST_LIMIT: i64 = 200;

/// Users whose email contains `search` (all when empty), by email, at most `LIST_LIMIT`.
pub fn list(ctx: &Ctx, caller: &Caller, search: &str) -> ServiceResult<Vec<Caller>> {
    ctx.require(caller, crate::authz::Permission::ManageUsers, &crate::authz::Object::none())?;
    let search = search.trim().to_lowercase();
    Ok(ctx.db.query(|conn| users::search(conn, &search, LIST_LIMIT))?)
}

/// Every user with roles, by email (for `endring user roles`).
pub fn all(ctx: &Ctx) -> ServiceResult<Vec<Caller>> {
    let mut everyone = Vec::new();
    const PAGE: i64 = 1000;
    loop {
        let page = ctx.db.query(|conn| users::all(conn, PAGE, everyone.len() as i64))?;
        let done = (page.len() as i64) < PAGE;
        everyone.extend(page);
        if done {
            return Ok(everyone);
        }
    }
}

#[cfg(test)]
mod email_schema_tests {
    /// The API document's pattern for an email takes what `parse_email` takes (written
    /// without surrounding spaces, which the server trims and the pattern does not allow).
    #[test]
    fn the_documented_email_pattern_is_what_parse_email_takes() {
        let schema = serde_json::to_value(crate::domain::schema::email()).unwrap();
        let pattern = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
        for text in [
            "kari@example.no",
            "Kari.Nordmann@Kommune.NO",
            "a@b.c",
            "a@b",
            "@b.no",
            "a@.no",
            "a@b.no.",
            "a b@c.no",
            "a@b..no",
            "ø@æ.no",
            "a\u{0}@b.no",
            "a@b@c.no",
        ] {
            assert_eq!(pattern.is_match(text), super::parse_email(text).is_ok(), "{text:?}");
        }
    }
}
