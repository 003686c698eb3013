//! Password reset links, stored as the SHA-256 of their token.

use super::changes::to_naive;
use super::schema::{password_resets, users};
use super::DbConn;
use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

pub fn insert(
    conn: &mut DbConn,
    token_hash: &str,
    user: UserId,
    sent_by: Option<UserId>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token_hash),
            password_resets::user_id.eq(user.0),
            password_resets::sent_by.eq(sent_by.map(|u| u.0)),
            password_resets::created_at.eq(to_naive(now)),
            password_resets::expires_at.eq(to_naive(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user and email of an unused, unexpired link whose user is active.
pub fn valid(
    conn: &mut DbConn,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(UserId, String)>> {
    Ok(password_resets::table
        .inner_join(users::table.on(users::id.eq(password_resets::user_id)))
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(to_naive(now)))
        .filter(users::active.eq(true))
        .select((users::id, users::email))
        .first::<(i32, String)>(conn)
        .optional()?
        .map(|(id, email)| (UserId(id), email)))
}

/// Uses up every open link of `user` (the one followed and any older); how many.
pub fn use_all_of(conn: &mut DbConn, user: UserId, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user.0))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(to_naive(now)))
    .execute(conn)
}

/// Up to `limit` reset links that expired before `before` (used or not).
pub fn expired_before(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    password_resets::table
        .filter(password_resets::expires_at.lt(to_naive(before)))
        .select(password_resets::id)
        .limit(limit)
        .load(conn)
}

/// Deletes the reset links `ids`; how many.
pub fn delete_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::id.eq_any(ids))).execute(conn)
}
