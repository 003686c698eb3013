//! API bearer tokens: issued for email and password, stored only as SHA-256 hashes;
//! sign-in attempts are rate-limited per email and per client address.

use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::users;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Limits sign-in attempts: 5 a minute per email, 30 a minute per client address, per
/// instance. Each attempt costs an argon2 hash (19 MiB, tens of milliseconds), so the
/// limit protects the accounts and the server alike.
pub struct SignInLimiter {
    per_email: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            per_email: RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN))),
            per_address: RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
            )),
        }
    }
}

impl SignInLimiter {
    pub(super) fn check(&self, email: &str, address: &str) -> ServiceResult<()> {
        let clock = DefaultClock::default();
        for (limiter, key) in [(&self.per_address, address), (&self.per_email, email)] {
            if limiter.len() > 100_000 {
                limiter.retain_recent();
            }
            if let Err(not_until) = limiter.check_key(&key.to_owned()) {
                let wait = not_until.wait_time_from(clock.now()).as_secs() + 1;
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
    let user = sign_in(ctx, email, password, address)?.user;
    let token = random_token();
    let now = ctx.clock.now();
    let expires_at = now + chrono::Duration::hours(ctx.config.token_ttl_hours);
    ctx.db.write(|conn| -> ServiceResult<()> {
        Ok(users::insert_token(conn, user, &token_hash(&token), expires_at, now)?)
    })?;
    Ok(IssuedToken { token, expires_at })
}

/// Who signed in.
#[derive(Debug, Clone, Copy)]
pub struct SignedIn {
    pub user: UserId,
}

/// Whether `password` is the one `hash` was made from.
pub fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Checks email and password (rate-limited per email and client address); the user they
/// belong to, for a token or a web session.
pub fn sign_in(ctx: &Ctx, email: &str, password: &str, address: &str) -> ServiceResult<SignedIn> {
    const REFUSED: ServiceError = ServiceError::Unauthenticated("unknown email or wrong password");
    let email = email.trim().to_lowercase();
    if !ctx.config.password_allowed(&email) {
        return Err(ServiceError::Unauthenticated(
            "passwords are off here but for break-glass accounts: sign in with the identity provider",
        ));
    }
    ctx.sign_in.check(&email, address)?;
    let credentials = ctx.db.query(|conn| users::credentials(conn, &email))?;
    let Some(user) = credentials else {
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
        Ok(SignedIn { user: user.id })
    } else {
        Err(REFUSED)
    }
}

/// The caller a bearer token stands for, with their current roles.
pub fn authenticate(ctx: &Ctx, token: &str) -> ServiceResult<Caller> {
    let now = ctx.clock.now();
    ctx.db
        .query(|conn| {
            let Some(user) = users::token_owner(conn, &token_hash(token), now)? else {
                return Ok(None);
            };
            users::caller(conn, user)
        })?
        .ok_or(ServiceError::Unauthenticated(
            "the bearer token is unknown or expired; ask POST /api/v1/auth/token for a new one",
        ))
}

/// An API token as its owner sees it (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: i32,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The caller's live API tokens.
pub fn tokens(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<TokenView>> {
    ctx.require(caller, Permission::ManageOwnAccess, &Object::owned_by(caller.id))?;
    let now = ctx.clock.now();
    let rows = ctx.db.query(|conn| users::tokens_of(conn, caller.id, now))?;
    Ok(rows
        .into_iter()
        .map(|(id, made, expires)| TokenView {
            id,
            created_at: made.and_utc(),
            expires_at: expires.and_utc(),
        })
        .collect())
}

/// Revokes one of the caller's own API tokens.
pub fn revoke_token(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let owner = users::token_owner_by_id(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no API token {id}")))?;
        ctx.require(caller, Permission::ManageOwnAccess, &Object::owned_by(owner))?;
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
