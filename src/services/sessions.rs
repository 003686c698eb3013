//! Web sessions kept in the database: started at sign-in, found (and touched at most
//! once a minute) on every request, ended by signing out, by "sign out everywhere", by a
//! password change or reset and by deactivation — on every instance at once, because the
//! cookie holds only a random token and the row is the authority.

use super::audit::{record, Event};
use super::auth::{random_token, token_hash, KnownDevice};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::sessions::{self, NewSession};
use crate::domain::account::SignInMethod as Method;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use chrono::{DateTime, Duration, Utc};

/// How long a sign-in lasts, from the moment it was made.
pub const SESSION_HOURS: i64 = 12;

/// A session's last use is written at most this often.
const TOUCH_SECONDS: i64 = 60;

/// Where a sign-in came from, as the profile page shows it.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub user_agent: String,
    pub address: String,
    /// The device cookie it sent, when valid (see `auth::SignInLimiter`).
    pub device: Option<KnownDevice>,
}

impl Client {
    /// The browser's `User-Agent`, without control characters and at most 300 characters.
    pub fn new(user_agent: &str, address: &str) -> Client {
        let user_agent = user_agent.chars().filter(|c| !c.is_control()).take(300).collect();
        Client { user_agent, address: address.chars().take(64).collect(), device: None }
    }
}

/// Signs in with email and password (rate-limited, as `auth::sign_in`): a new session,
/// the browser's `previous` one ended, the sign-in audited, in one transaction. The token
/// for the cookie (only its hash is stored), and the device the browser is now known as
/// (the same id when it was known to this account before).
pub fn sign_in_with_password(
    ctx: &Ctx,
    email: &str,
    password: &str,
    client: &Client,
    previous: Option<&str>,
) -> ServiceResult<(String, KnownDevice)> {
    let signed_in = super::auth::sign_in(ctx, email, password, &client.address, client.device.as_ref())?;
    let user = signed_in.user;
    let device = KnownDevice::after_sign_in(email, signed_in.stamp, client.device.as_ref());
    let now = ctx.clock.now();
    let token = random_token();
    let hash = token_hash(&token);
    let previous = previous.map(token_hash);
    ctx.db.write(|conn| -> ServiceResult<()> {
        if let Some(previous) = &previous {
            sessions::delete(conn, previous)?;
        }
        let id = start_in(conn, user, client, Method::Password, None, &hash, now)?;
        let payload = serde_json::json!({ "user_id": user, "session_id": id, "address": client.address });
        record(conn, Event::general(Some(user), "sign_in", payload), now)?;
        Ok(())
    })?;
    Ok((token, device))
}

/// Inserts a session inside a transaction a service already holds (a sign-in writes its
/// audit event, and the identity provider's the account, in the same one).
pub(super) fn start_in(
    conn: &mut crate::db::DbConn,
    user: UserId,
    client: &Client,
    method: Method,
    id_token: Option<&str>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> diesel::QueryResult<i32> {
    sessions::delete_expired_of_user(conn, user, now)?;
    sessions::insert(
        conn,
        &NewSession {
            token_hash,
            user,
            now,
            expires_at: now + Duration::hours(SESSION_HOURS),
            user_agent: &client.user_agent,
            address: &client.address,
            method,
            id_token,
        },
    )
}

/// The person a session token stands for, with the session's id; None when the session
/// ended, expired, or its user was deactivated.
pub fn resolve(ctx: &Ctx, token: &str) -> ServiceResult<Option<(Caller, i32)>> {
    let now = ctx.clock.now();
    let hash = token_hash(token);
    let found = ctx.db.lookup(|conn| sessions::live_caller(conn, &hash, now))?;
    let Some((caller, live)) = found else { return Ok(None) };
    if (now - live.last_seen_at).num_seconds() >= TOUCH_SECONDS {
        // Best effort: a busy database must not refuse the request for a last-use time.
        if let Err(error) = ctx.db.write_unordered(|conn| sessions::touch(conn, live.id, now)) {
            tracing::warn!(%error, "a session's last use was not written");
        }
    }
    Ok(Some((caller, live.id)))
}

/// Ends the session `token` (signing out), audited; the identity provider's ID token it
/// was signed in with, if any, to end the provider's session too.
pub fn end(ctx: &Ctx, token: &str) -> ServiceResult<Option<String>> {
    let hash = token_hash(token);
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<_> {
        let Some(live) = sessions::live(conn, &hash, now)? else {
            // Ended or expired already: nothing to end, nothing to record.
            sessions::delete(conn, &hash)?;
            return Ok(None);
        };
        let id_token = sessions::delete(conn, &hash)?.flatten();
        let payload = serde_json::json!({ "user_id": live.user, "session_id": live.id });
        record(conn, Event::general(Some(live.user), "sign_out", payload), now)?;
        Ok(id_token)
    })
}

/// Ends every session of the caller but `keep` (the one asking): "sign out everywhere".
pub fn end_others(ctx: &Ctx, caller: &Caller, keep: i32) -> ServiceResult<usize> {
    ctx.require(caller, Permission::ManageOwnAccess, &Object::owned_by(caller.id))?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let ended = sessions::delete_of_user(conn, caller.id, Some(keep))?;
        let payload = serde_json::json!({ "user_id": caller.id, "sessions_ended": ended });
        record(conn, Event::general(Some(caller.id), "sign_out_everywhere", payload), now)?;
        Ok(ended)
    })
}

/// Ends one of the caller's own sessions (from the profile page's list).
pub fn end_one(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let owner = sessions::owner(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no session {id}")))?;
        ctx.require(caller, Permission::ManageOwnAccess, &Object::owned_by(owner))?;
        sessions::delete_one(conn, owner, id)?;
        let payload = serde_json::json!({ "user_id": owner, "session_id": id });
        record(conn, Event::general(Some(caller.id), "end_session", payload), now)?;
        Ok(())
    })
}

/// A session as its owner sees it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i32,
    pub started: DateTime<Utc>,
    pub last_used: DateTime<Utc>,
    pub user_agent: String,
    pub address: String,
    pub method: String,
    /// The session this list is shown in.
    pub current: bool,
}

/// The caller's live sessions, the most recently used first.
pub fn list(ctx: &Ctx, caller: &Caller, current: i32) -> ServiceResult<Vec<Listed>> {
    ctx.require(caller, Permission::ListOwnAccess, &Object::owned_by(caller.id))?;
    let now = ctx.clock.now();
    let rows = ctx.db.query(|conn| sessions::of_user(conn, caller.id, now))?;
    Ok(rows
        .into_iter()
        .map(|row| Listed {
            id: row.id,
            started: row.created_at.and_utc(),
            last_used: row.last_seen_at.and_utc(),
            user_agent: row.user_agent,
            address: row.address,
            method: row.method,
            current: row.id == current,
        })
        .collect())
}
