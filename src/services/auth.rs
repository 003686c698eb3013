//! API bearer tokens: issued for email and password, stored only as SHA-256 hashes.

use super::{Ctx, ServiceError, ServiceResult};
use crate::db::users;
use crate::domain::caller::Caller;
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn issue_token(ctx: &Ctx, email: &str, password: &str) -> ServiceResult<IssuedToken> {
    const REFUSED: ServiceError = ServiceError::Unauthenticated("unknown email or wrong password");
    let email = email.trim().to_lowercase();
    let credentials = ctx.db.query(|conn| users::credentials(conn, &email))?;
    let Some(user) = credentials else {
        // Spend the same time as a real check, so timing does not reveal who has an account.
        super::users::hash_password(password)?;
        return Err(REFUSED);
    };
    let verified = PasswordHash::new(&user.password_hash)
        .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false);
    if !verified {
        return Err(REFUSED);
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = ctx.clock.now();
    let expires_at = now + chrono::Duration::hours(ctx.config.token_ttl_hours);
    ctx.db.write(|conn| -> ServiceResult<()> {
        Ok(users::insert_token(conn, user.id, &token_hash(&token), expires_at, now)?)
    })?;
    Ok(IssuedToken { token, expires_at })
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
