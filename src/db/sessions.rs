//! Web sessions: one row per signed-in browser, found by the SHA-256 of the cookie's token.

use super::changes::to_naive;
use super::schema::{sessions, user_roles, users};
use super::users::{caller_of, UserRow, WithRole};
use super::DbConn;
use crate::domain::account::SignInMethod as Method;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user: UserId,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: &'a str,
    pub address: &'a str,
    pub method: Method,
    pub id_token: Option<&'a str>,
}

pub fn insert(conn: &mut DbConn, new: &NewSession) -> QueryResult<i32> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(new.token_hash),
            sessions::user_id.eq(new.user.0),
            sessions::created_at.eq(to_naive(new.now)),
            sessions::last_seen_at.eq(to_naive(new.now)),
            sessions::expires_at.eq(to_naive(new.expires_at)),
            sessions::user_agent.eq(new.user_agent),
            sessions::address.eq(new.address),
            sessions::method.eq(new.method.as_str()),
            sessions::id_token.eq(new.id_token),
        ))
        .returning(sessions::id)
        .get_result(conn)
}

/// A session that is still valid, of an active user.
pub struct Live {
    pub id: i32,
    pub user: UserId,
    pub last_seen_at: DateTime<Utc>,
}

/// The live session whose token hashes to `token_hash` (one indexed lookup).
pub fn live(conn: &mut DbConn, token_hash: &str, now: DateTime<Utc>) -> QueryResult<Option<Live>> {
    let row: Option<(i32, i32, NaiveDateTime)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(to_naive(now)))
        .filter(users::active.eq(true))
        .select((sessions::id, sessions::user_id, sessions::last_seen_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, user, seen)| Live { id, user: UserId(user), last_seen_at: seen.and_utc() }))
}

/// The live session whose token hashes to `token_hash`, with its active user and their
/// roles, in one query (the lookup every signed-in page makes).
pub fn live_caller(
    conn: &mut DbConn,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Caller, Live)>> {
    let rows: Vec<((i32, NaiveDateTime), WithRole)> = sessions::table
        .inner_join(users::table.left_join(user_roles::table))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(to_naive(now)))
        .filter(users::active.eq(true))
        .select(((sessions::id, sessions::last_seen_at), (UserRow::as_select(), user_roles::role.nullable())))
        .load(conn)?;
    let Some(&((id, seen), (ref user, _))) = rows.first() else { return Ok(None) };
    let live = Live { id, user: UserId(user.id), last_seen_at: seen.and_utc() };
    let caller = caller_of(rows.into_iter().map(|(_, with_role)| with_role).collect())?;
    Ok(caller.map(|caller| (caller, live)))
}

pub fn touch(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(sessions::table.find(id)).set(sessions::last_seen_at.eq(to_naive(now))).execute(conn)?;
    Ok(())
}

/// Ends the session `token_hash`; the provider's ID token it held, if any.
pub fn delete(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<Option<String>>> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash)))
        .returning(sessions::id_token)
        .get_result(conn)
        .optional()
}

/// Ends every session of `user` but `except`; how many ended.
pub fn delete_of_user(conn: &mut DbConn, user: UserId, except: Option<i32>) -> QueryResult<usize> {
    let mine = sessions::table.filter(sessions::user_id.eq(user.0));
    match except {
        Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn),
        None => diesel::delete(mine).execute(conn),
    }
}

/// Ends the session `id` if it is `user`'s; how many ended (0 or 1).
pub fn delete_one(conn: &mut DbConn, user: UserId, id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::id.eq(id)).filter(sessions::user_id.eq(user.0)))
        .execute(conn)
}

/// Deletes `user`'s expired sessions (called when they sign in, so rows never pile up).
pub fn delete_expired_of_user(conn: &mut DbConn, user: UserId, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(sessions::user_id.eq(user.0)).filter(sessions::expires_at.le(to_naive(now))),
    )
    .execute(conn)
}

/// A session as its owner sees it on the profile page.
#[derive(Debug, Clone, Queryable)]
pub struct Listed {
    pub id: i32,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: String,
    pub address: String,
    pub method: String,
}

/// `user`'s live sessions, the most recently used first.
pub fn of_user(conn: &mut DbConn, user: UserId, now: DateTime<Utc>) -> QueryResult<Vec<Listed>> {
    sessions::table
        .filter(sessions::user_id.eq(user.0))
        .filter(sessions::expires_at.gt(to_naive(now)))
        .order(sessions::last_seen_at.desc())
        .limit(100)
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::user_agent,
            sessions::address,
            sessions::method,
        ))
        .load(conn)
}

/// Up to `limit` sessions that expired before `before`.
pub fn expired_before(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    sessions::table
        .filter(sessions::expires_at.lt(to_naive(before)))
        .select(sessions::id)
        .limit(limit)
        .load(conn)
}

/// Deletes the sessions `ids`; how many.
pub fn delete_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::id.eq_any(ids))).execute(conn)
}

/// Whose session `id` is.
pub fn owner(conn: &mut DbConn, id: i32) -> QueryResult<Option<UserId>> {
    Ok(sessions::table.find(id).select(sessions::user_id).first::<i32>(conn).optional()?.map(UserId))
}
