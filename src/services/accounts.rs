//! An account's life: deactivated and reactivated by an admin (page, API, command line),
//! and local passwords reset by an emailed link. Every step is one transaction with its
//! audit event.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{changes, outbox, users};
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::validation::Message;
use serde::Serialize;

/// Most pending changes of a deactivated implementer flagged to change managers (the
/// rest are found with the change list's implementer filter).
const FLAGGED_LIMIT: i64 = 500;

/// What deactivating an account did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Deactivated {
    pub user_id: UserId,
    pub email: String,
    /// Changes they were to implement, now flagged to change managers (references).
    pub flagged_changes: Vec<String>,
}

/// The account `id`, for an admin (or the command line: `actor` None).
fn account(conn: &mut crate::db::DbConn, id: UserId) -> Result<users::Account, ServiceError> {
    users::accounts(conn, &[id])?
        .pop()
        .ok_or_else(|| ServiceError::NotFound(format!("there is no user {}", id.0)))
}

fn require_admin(ctx: &Ctx, actor: Option<&Caller>) -> ServiceResult<()> {
    match actor {
        Some(admin) => ctx.require(admin, Permission::ManageUsers, &Object::none()),
        None => Ok(()),
    }
}

/// The id of the user with `email` (for the command line).
pub fn id_by_email(ctx: &Ctx, email: &str) -> ServiceResult<UserId> {
    let email = super::users::parse_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    ctx.db
        .query(|conn| users::id_by_email(conn, &email))?
        .ok_or_else(|| ServiceError::NotFound(format!("there is no user {email}")))
}

/// Deactivates `id`: their sessions and API tokens end at once (on every instance: both
/// live in the database), notices not yet sent to them are dropped and no more are made
/// (recipients are active users), their history stays. Change managers are told about
/// each change still to be implemented by them.
pub fn deactivate(ctx: &Ctx, actor: Option<&Caller>, id: UserId) -> ServiceResult<Deactivated> {
    require_admin(ctx, actor)?;
    if actor.is_some_and(|a| a.id == id) {
        return Err(ServiceError::Conflict(Message::new("msg-deactivate-self")));
    }
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let account = account(conn, id)?;
        if !users::set_deactivated(conn, id, Some(now))? {
            return Err(ServiceError::Conflict(
                Message::new("msg-user-deactivated-already").arg("email", &account.email),
            ));
        }
        users::end_access(conn, id, None)?;
        let dropped = outbox::drop_pending_for(conn, id)?;
        let pending = changes::pending_of_implementer(conn, id, FLAGGED_LIMIT)?;
        let managers = users::holding_any(conn, &[Role::ChangeManager])?;
        let comment = format!("{} <{}>", account.name, account.email);
        let about: Vec<(&crate::domain::change::Change, Option<&str>)> =
            pending.iter().map(|change| (change, Some(comment.as_str()))).collect();
        super::notices::queue_each(conn, "implementer_deactivated", &about, &managers, now)?;
        let flagged: Vec<String> = pending.iter().map(|c| c.id.reference()).collect();
        let payload = serde_json::json!({
            "user_id": id, "email": account.email, "notices_dropped": dropped, "flagged_changes": flagged,
        });
        record(conn, Event::general(actor.map(|a| a.id), "deactivate_user", payload), now)?;
        Ok(Deactivated { user_id: id, email: account.email, flagged_changes: flagged })
    })
}

/// Reactivates `id`: they sign in again (with a password or the identity provider); their
/// roles are as they were.
pub fn reactivate(ctx: &Ctx, actor: Option<&Caller>, id: UserId) -> ServiceResult<()> {
    require_admin(ctx, actor)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let account = account(conn, id)?;
        if !users::set_deactivated(conn, id, None)? {
            return Err(ServiceError::Conflict(
                Message::new("msg-user-active-already").arg("email", &account.email),
            ));
        }
        let payload = serde_json::json!({ "user_id": id, "email": account.email });
        record(conn, Event::general(actor.map(|a| a.id), "reactivate_user", payload), now)?;
        Ok(())
    })
}

/// How long a password reset link works.
pub const RESET_MINUTES: i64 = 60;

/// Queues a reset email for `account` (the link is made when it is sent).
fn queue_reset(
    conn: &mut crate::db::DbConn,
    account: &users::Account,
    sent_by: Option<&Caller>,
    now: chrono::DateTime<chrono::Utc>,
) -> diesel::QueryResult<()> {
    let payload = crate::domain::account::ResetNotice {
        user_id: account.id.0,
        sent_by: sent_by.map(|a| (a.id.0, a.name.clone())),
    };
    let payload =
        serde_json::to_string(&payload).map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    let notice = outbox::NewNotice {
        kind: crate::domain::account::RESET_KIND,
        change_id: None,
        recipient_id: Some(account.id.0),
        recipient_email: &account.email,
        payload: &payload,
    };
    outbox::insert(conn, &notice, now)
}

/// Asked for on the sign-in page: emails a reset link to `email` if it is an active
/// account with a local password. The answer is the same whether or not it is (nothing
/// tells anyone who has an account); asking is limited like signing in.
pub fn request_reset(ctx: &Ctx, email: &str, address: &str) -> ServiceResult<()> {
    let Ok(email) = super::users::parse_email(email) else {
        return Err(ServiceError::invalid("email", Message::new("msg-email").arg("given", email.trim())));
    };
    ctx.sign_in.check(&email, address, None)?;
    let now = ctx.clock.now();
    let allowed = ctx.config.password_allowed(&email);
    // The same shape of work for every address (a write that looks the account up), so
    // the time taken does not tell who has an account.
    ctx.db.write(|conn| {
        let account = users::account_by_email(conn, &email)?;
        if let Some(account) = account.filter(|a| a.active && a.password && allowed) {
            queue_reset(conn, &account, None, now)?;
            let payload = serde_json::json!({ "user_id": account.id, "email": account.email });
            record(conn, Event::general(None, "request_password_reset", payload), now)?;
        }
        Ok(())
    })
}

/// An admin sends `id` a reset link (for a local account).
pub fn send_reset(ctx: &Ctx, actor: &Caller, id: UserId) -> ServiceResult<String> {
    ctx.require(actor, Permission::ManageUsers, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let account = account(conn, id)?;
        if !account.active {
            return Err(ServiceError::Conflict(
                Message::new("msg-user-deactivated-already").arg("email", &account.email),
            ));
        }
        if !account.password {
            return Err(ServiceError::Conflict(
                Message::new("msg-reset-no-password").arg("email", &account.email),
            ));
        }
        queue_reset(conn, &account, Some(actor), now)?;
        let payload = serde_json::json!({ "user_id": id, "email": account.email });
        record(conn, Event::general(Some(actor.id), "send_password_reset", payload), now)?;
        Ok(account.email)
    })
}

/// Makes the link of a reset email as it is sent: the token (only its hash is stored)
/// and until when it works. None when the account was deactivated or lost its password
/// since the email was queued.
pub fn issue_reset_link(
    ctx: &Ctx,
    user: UserId,
    sent_by: Option<UserId>,
) -> ServiceResult<Option<(String, chrono::DateTime<chrono::Utc>)>> {
    let now = ctx.clock.now();
    let expires_at = now + chrono::Duration::minutes(RESET_MINUTES);
    let token = super::auth::random_token();
    ctx.db.write(|conn| {
        let Some(account) = users::accounts(conn, &[user])?.pop().filter(|a| a.active && a.password) else {
            return Ok(None);
        };
        crate::db::password_resets::insert(
            conn,
            &super::auth::token_hash(&token),
            account.id,
            sent_by,
            now,
            expires_at,
        )?;
        Ok(Some((token.clone(), expires_at)))
    })
}

/// The email of the account a reset link is for, if the link still works.
pub fn reset_target(ctx: &Ctx, token: &str) -> ServiceResult<Option<String>> {
    let now = ctx.clock.now();
    let hash = super::auth::token_hash(token);
    Ok(ctx.db.query(|conn| crate::db::password_resets::valid(conn, &hash, now))?.map(|(_, email)| email))
}

/// Sets a new password by a reset link: the link and any older one are used up, every
/// session and API token of the account ends. The account's email, to sign in with.
pub fn complete_reset(ctx: &Ctx, token: &str, new: &str, confirm: &str) -> ServiceResult<String> {
    let mut errors = crate::domain::validation::FieldErrors::default();
    if new.chars().count() < super::users::MIN_PASSWORD_CHARS {
        errors.add("new_password", Message::new("msg-password-short"));
    } else if new != confirm {
        errors.add("confirm_password", Message::new("msg-password-mismatch"));
    }
    errors.finish(|| ())?;
    let now = ctx.clock.now();
    let token_hash = super::auth::token_hash(token);
    // Hashing a password is costly: only for a link that works (checked again below).
    if ctx.db.query(|conn| crate::db::password_resets::valid(conn, &token_hash, now))?.is_none() {
        return Err(ServiceError::Conflict(Message::new("msg-reset-link-spent")));
    }
    let hash = super::users::hash_password(new)?;
    ctx.db.write(|conn| {
        let Some((user, email)) = crate::db::password_resets::valid(conn, &token_hash, now)? else {
            return Err(ServiceError::Conflict(Message::new("msg-reset-link-spent")));
        };
        crate::db::password_resets::use_all_of(conn, user, now)?;
        users::set_password(conn, user, &hash, None)?;
        let payload = serde_json::json!({ "user_id": user, "email": email });
        record(conn, Event::general(Some(user), "reset_password", payload), now)?;
        Ok(email)
    })
}

/// A user as an admin sees them: roles, whether active, how they sign in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub active: bool,
    pub deactivated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Has signed in with the identity provider.
    pub oidc: bool,
    /// Has a local password.
    pub password: bool,
}

/// Users whose email contains `search` (all when empty), by email, at most
/// `users::LIST_LIMIT`, with their accounts' state.
pub fn list(ctx: &Ctx, caller: &Caller, search: &str) -> ServiceResult<Vec<AccountView>> {
    let people = super::users::list(ctx, caller, search)?;
    let ids: Vec<UserId> = people.iter().map(|p| p.id).collect();
    let accounts = ctx.db.query(|conn| users::accounts(conn, &ids))?;
    Ok(people
        .into_iter()
        .filter_map(|person| {
            let account = accounts.iter().find(|a| a.id == person.id)?;
            Some(AccountView {
                id: person.id,
                email: person.email,
                name: person.name,
                roles: person.roles.into_iter().collect(),
                active: account.active,
                deactivated_at: account.deactivated_at,
                oidc: account.oidc,
                password: account.password,
            })
        })
        .collect())
}

/// Whether the caller has a local password they may use (else they sign in with the
/// identity provider).
pub fn has_password(ctx: &Ctx, caller: &Caller) -> ServiceResult<bool> {
    let account = ctx.db.query(|conn| users::accounts(conn, &[caller.id]))?.pop();
    Ok(account.is_some_and(|a| a.password && ctx.config.password_allowed(&a.email)))
}
