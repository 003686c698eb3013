//! API bearer tokens: issued for email and password, stored only as SHA-256 hashes;
//! sign-in attempts are rate-limited per email and per client address.

use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::users;
use crate::domain::account::Scope;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::num::NonZeroU32;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Limits sign-in attempts, per instance: 5 a minute for one email from one client
/// address (one guesser), 30 a minute per address (one client trying many accounts), and
/// 30 a minute per email from everywhere (guessers spread over many addresses). Someone
/// guessing a colleague's password from their own machine is slowed down without
/// keeping the colleague out: the colleague's own address has its own allowance, and
/// the per-email ceiling is six times the pair's. Guessers on many addresses can still
/// use up the per-email allowance; a browser that has signed in to the account before
/// (a known device, OWASP's "device cookie") is then not held to it: its attempts for
/// that account count only against its own allowance, 10 a minute, and all known devices'
/// together against 60 a minute for the account. A device is known only under the
/// password it signed in with: changing or resetting the password forgets every device.
/// Each attempt costs an argon2 hash (19 MiB, tens of milliseconds), so the limit
/// protects the server too.
pub struct SignInLimiter {
    per_device: DefaultKeyedRateLimiter<String>,
    per_email_known: DefaultKeyedRateLimiter<String>,
    per_pair: DefaultKeyedRateLimiter<String>,
    per_email: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            per_device: RateLimiter::keyed(per_minute(10)),
            per_email_known: RateLimiter::keyed(per_minute(60)),
            per_pair: RateLimiter::keyed(per_minute(5)),
            per_email: RateLimiter::keyed(per_minute(30)),
            per_address: RateLimiter::keyed(per_minute(30)),
        }
    }
}

impl SignInLimiter {
    /// Counts an attempt for `email` from `address`, or from `device`: a browser known to
    /// have signed in to this account before.
    pub(super) fn check(&self, email: &str, address: &str, device: Option<&str>) -> ServiceResult<()> {
        let clock = DefaultClock::default();
        let pair = format!("{email} {address}");
        let known = device.map(|device| format!("{email} {device}"));
        let limits = match &known {
            Some(known) => vec![(&self.per_device, known.as_str()), (&self.per_email_known, email)],
            None => {
                vec![(&self.per_address, address), (&self.per_pair, pair.as_str()), (&self.per_email, email)]
            }
        };
        for (limiter, key) in limits {
            if limiter.len() > 100_000 {
                limiter.retain_recent();
            }
            if let Err(not_until) = limiter.check_key(&key.to_owned()) {
                let wait = not_until.wait_time_from(clock.now()).as_secs() + 1;
                metrics::counter!("endring_sign_in_limited_total").increment(1);
                return Err(ServiceError::TooManyAttempts { retry_after_secs: wait });
            }
        }
        Ok(())
    }
}

/// 32 random bytes, hex: for bearer tokens and email links.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks the password and issues a token; `address` is the client's, for rate limiting.
pub fn issue_token(ctx: &Ctx, email: &str, password: &str, address: &str) -> ServiceResult<IssuedToken> {
    let user = sign_in(ctx, email, password, address, None)?.user;
    let token = random_token();
    let now = ctx.clock.now();
    let expires_at = now + chrono::Duration::hours(ctx.config.token_ttl_hours);
    let hash = token_hash(&token);
    // Every scope: the person's own password stands behind it.
    let new = users::NewToken {
        user,
        token_hash: &hash,
        name: "from a password",
        scopes: &scopes_text(Scope::ALL),
        expires_at,
    };
    ctx.db.write(|conn| -> ServiceResult<i32> { Ok(users::insert_token(conn, &new, now)?) })?;
    Ok(IssuedToken { token, expires_at })
}

/// Scopes as stored: their names, space-separated.
fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

/// Scopes as stored, read back (a name no longer known grants nothing).
fn parse_scopes(text: &str) -> BTreeSet<Scope> {
    text.split_whitespace().filter_map(|s| s.parse().ok()).collect()
}

/// Who signed in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: UserId,
    /// The password's stamp, for the device cookie (`credential_stamp`).
    pub stamp: String,
}

/// Whether `password` is the one `hash` was made from.
pub fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// The account an email typed at sign-in names: trimmed, lower-case.
pub fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Which password a device cookie was made under: the first 16 hex digits of the SHA-256
/// of the stored hash (which changes with every password, its salt being new), so that a
/// changed or reset password forgets the devices known before.
pub fn credential_stamp(password_hash: &str) -> String {
    hex::encode(Sha256::digest(password_hash.as_bytes()))[..16].to_owned()
}

/// A browser that has signed in to an account before, as its device cookie says (checked
/// by the web layer: the cookie is encrypted and authenticated with the session key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    /// The account it signed in to (lower-case).
    pub email: String,
    /// Random, made when the cookie was.
    pub id: String,
    /// The password it signed in under (`credential_stamp`).
    pub stamp: String,
}

impl KnownDevice {
    /// The device a browser is once it has signed in to `email` under the password with
    /// `stamp`: the same id when it was known to that account before, else a new one (a
    /// shared computer is known to the last account that signed in on it).
    pub fn after_sign_in(email: &str, stamp: String, before: Option<&KnownDevice>) -> KnownDevice {
        let email = account_key(email);
        let id = match before.filter(|known| known.email == email) {
            Some(known) => known.id.clone(),
            None => random_token()[..32].to_owned(),
        };
        KnownDevice { email, id, stamp }
    }
}

/// The id of `device` if its cookie counts for account `email` (lower-case), whose stored
/// password hash is `password_hash`: made for that account, under that password.
pub(super) fn known_device<'a>(
    email: &str,
    password_hash: Option<&str>,
    device: Option<&'a KnownDevice>,
) -> Option<&'a str> {
    let hash = password_hash.filter(|h| !h.is_empty())?;
    device.filter(|d| d.email == email && credential_stamp(hash) == d.stamp).map(|d| d.id.as_str())
}

/// Checks email and password (rate-limited per email and client address, or per known
/// device); the user they belong to, for a token or a web session.
pub fn sign_in(
    ctx: &Ctx,
    email: &str,
    password: &str,
    address: &str,
    device: Option<&KnownDevice>,
) -> ServiceResult<SignedIn> {
    const REFUSED: ServiceError = ServiceError::Unauthenticated("unknown email or wrong password");
    let email = account_key(email);
    if !ctx.config.password_allowed(&email) {
        return Err(ServiceError::Unauthenticated(
            "passwords are off here but for break-glass accounts: sign in with the identity provider",
        ));
    }
    let credentials = ctx.db.query(|conn| users::credentials(conn, &email))?;
    let device = known_device(&email, credentials.as_ref().map(|c| c.password_hash.as_str()), device);
    ctx.sign_in.check(&email, address, device)?;
    let Some(user) = credentials else {
        metrics::counter!("endring_sign_in_failures_total").increment(1);
        // Spend the same time as a real check, so timing does not reveal who has an account.
        super::users::hash_password(password)?;
        return Err(REFUSED);
    };
    if user.password_hash.is_empty() {
        // No password (signs in with the identity provider): the same time as a check.
        super::users::hash_password(password)?;
        return Err(REFUSED);
    }
    if password_matches(&user.password_hash, password) {
        Ok(SignedIn { user: user.id, stamp: credential_stamp(&user.password_hash) })
    } else {
        metrics::counter!("endring_sign_in_failures_total").increment(1);
        Err(REFUSED)
    }
}

/// The caller a bearer token stands for, with their current roles and the token's scopes.
/// The token's last use is written at most once a minute.
pub fn authenticate(ctx: &Ctx, token: &str) -> ServiceResult<Caller> {
    let now = ctx.clock.now();
    let found = ctx.db.lookup(|conn| users::token_caller(conn, &token_hash(token), now))?;
    let Some((mut caller, live)) = found else {
        return Err(ServiceError::Unauthenticated(
            "the bearer token is unknown or expired; ask POST /api/v1/auth/token for a new one",
        ));
    };
    if live.last_used_at.is_none_or(|at| (now - at).num_seconds() >= 60) {
        // Best effort: a busy database must not refuse the request for a last-use time.
        if let Err(error) = ctx.db.write_unordered(|conn| users::touch_token(conn, live.id, now)) {
            tracing::warn!(%error, "a token's last use was not written");
        }
    }
    caller.scopes = Some(parse_scopes(&live.scopes));
    caller.token_expires_at = Some(live.expires_at);
    Ok(caller)
}

/// What makes a token: a name, its scopes (at least one), and how many days it lasts.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(schema_with = crate::domain::schema::required::<100>)]
    pub name: crate::domain::text::Text,
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
    /// 1 to 366; default 90.
    #[schema(minimum = 1, maximum = 366)]
    pub expires_in_days: Option<i64>,
}

/// A token just made: the secret, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MadeToken {
    pub id: i32,
    pub token: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: DateTime<Utc>,
}

/// Makes a token for the caller. A token made with a token may do nothing its maker may
/// not and expires no later than it.
pub fn create_token(ctx: &Ctx, caller: &Caller, request: &TokenRequest) -> ServiceResult<MadeToken> {
    ctx.require(caller, Permission::ManageOwnAccess, &Object::owned_by(caller.id))?;
    let mut errors = crate::domain::validation::FieldErrors::default();
    let name = errors.check("name", crate::domain::validation::required_text(&request.name, 100));
    let scopes: BTreeSet<Scope> = request.scopes.iter().copied().collect();
    if scopes.is_empty() {
        errors.add("scopes", crate::domain::validation::Message::new("msg-scopes-none"));
    }
    if let Some(held) = &caller.scopes {
        if !ctx.authz.scopes_within(&scopes, held) {
            errors.add("scopes", crate::domain::validation::Message::new("msg-scopes-more"));
        }
    }
    let days = request.expires_in_days.unwrap_or(90);
    if !(1..=366).contains(&days) {
        errors.add("expires_in_days", crate::domain::validation::Message::new("msg-token-days"));
    }
    let name = errors.finish(|| name.unwrap_or_default())?;
    let now = ctx.clock.now();
    // A token made with a token lasts no longer than its maker: revoking a leaked one, or
    // letting it run out, leaves nothing behind that outlives it.
    let wanted = now + chrono::Duration::days(days);
    let expires_at = caller.token_expires_at.map_or(wanted, |maker| wanted.min(maker));
    let token = random_token();
    let hash = token_hash(&token);
    let listed: Vec<Scope> = scopes.iter().copied().collect();
    let new = users::NewToken {
        user: caller.id,
        token_hash: &hash,
        name: &name,
        scopes: &scopes_text(&listed),
        expires_at,
    };
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        let id = users::insert_token(conn, &new, now)?;
        let payload =
            serde_json::json!({ "user_id": caller.id, "token_id": id, "name": name, "scopes": listed });
        super::audit::record(
            conn,
            super::audit::Event::general(Some(caller.id), "create_token", payload),
            now,
        )?;
        Ok(id)
    })?;
    Ok(MadeToken { id, token, name, scopes: listed, expires_at })
}

/// An API token as its owner (or an admin) sees it, never the token itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: i32,
    pub user_id: UserId,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn token_views(rows: Vec<users::TokenRow>) -> Vec<TokenView> {
    rows.into_iter()
        .map(|row| TokenView {
            id: row.id,
            user_id: UserId(row.user_id),
            name: row.name,
            scopes: parse_scopes(&row.scopes).into_iter().collect(),
            created_at: row.created_at.and_utc(),
            expires_at: row.expires_at.and_utc(),
            last_used_at: row.last_used_at.map(|at| at.and_utc()),
        })
        .collect()
}

/// The caller's live API tokens.
pub fn tokens(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<TokenView>> {
    ctx.require(caller, Permission::ListOwnAccess, &Object::owned_by(caller.id))?;
    let now = ctx.clock.now();
    Ok(token_views(ctx.db.query(|conn| users::tokens_of(conn, Some(caller.id), now))?))
}

/// Everyone's live API tokens, the newest 200 (admins).
pub fn all_tokens(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<TokenView>> {
    ctx.require(caller, Permission::ManageUsers, &Object::none())?;
    let now = ctx.clock.now();
    Ok(token_views(ctx.db.query(|conn| users::tokens_of(conn, None, now))?))
}

/// Revokes one of the caller's own API tokens.
pub fn revoke_token(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let owner = users::token_owner_by_id(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no API token {id}")))?;
        // One's own under manage_own_access; anyone else's is an admin's (manage_users).
        match owner == caller.id {
            true => ctx.require(caller, Permission::ManageOwnAccess, &Object::owned_by(owner))?,
            false => ctx.require(caller, Permission::ManageUsers, &Object::none())?,
        }
        users::delete_token_of(conn, owner, id)?;
        let payload = serde_json::json!({ "user_id": owner, "token_id": id });
        super::audit::record(
            conn,
            super::audit::Event::general(Some(caller.id), "revoke_token", payload),
            now,
        )?;
        Ok(())
    })
}
