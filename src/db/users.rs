//! Users, their roles and their API tokens.

use super::changes::to_naive;
use super::schema::{api_tokens, user_roles, users};
use super::DbConn;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i32,
    email: String,
    name: String,
    language: Option<String>,
    timezone: Option<String>,
}

/// A user together with the hash to check a password against.
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    /// Web sessions carry this and end when it is raised.
    pub session_epoch: i32,
}

pub fn insert(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    password_hash: &str,
    roles: &BTreeSet<Role>,
    now: DateTime<Utc>,
) -> QueryResult<UserId> {
    let id: i32 = diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::name.eq(name),
            users::password_hash.eq(password_hash),
            users::created_at.eq(to_naive(now)),
        ))
        .returning(users::id)
        .get_result(conn)?;
    set_roles(conn, UserId(id), roles)?;
    Ok(UserId(id))
}

/// Replaces the roles of a user (`requester` is implicit and not stored).
pub fn set_roles(conn: &mut DbConn, id: UserId, roles: &BTreeSet<Role>) -> QueryResult<()> {
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(id.0))).execute(conn)?;
    for role in roles.iter().filter(|r| **r != Role::Requester) {
        diesel::insert_into(user_roles::table)
            .values((user_roles::user_id.eq(id.0), user_roles::role.eq(role.as_str())))
            .execute(conn)?;
    }
    Ok(())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

type CredentialColumns = (users::id, users::password_hash, users::session_epoch);
const CREDENTIAL_COLUMNS: CredentialColumns = (users::id, users::password_hash, users::session_epoch);

fn to_credentials((id, password_hash, session_epoch): (i32, String, i32)) -> Credentials {
    Credentials { id: UserId(id), password_hash, session_epoch }
}

/// The active user with `email`, with the hash to check a password against.
pub fn credentials(conn: &mut DbConn, email: &str) -> QueryResult<Option<Credentials>> {
    let row = users::table
        .filter(users::email.eq(email))
        .filter(users::active.eq(true))
        .select(CREDENTIAL_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(row.map(to_credentials))
}

/// The active user with `id`, with the hash to check a password against.
pub fn credentials_of(conn: &mut DbConn, id: UserId) -> QueryResult<Option<Credentials>> {
    let row = users::table
        .find(id.0)
        .filter(users::active.eq(true))
        .select(CREDENTIAL_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(row.map(to_credentials))
}

/// Sets a new password, ends the user's web sessions (by raising the epoch) and revokes
/// their API tokens; the new epoch, for the session that made the change.
pub fn set_password(conn: &mut DbConn, id: UserId, password_hash: &str) -> QueryResult<i32> {
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(id.0))).execute(conn)?;
    diesel::update(users::table.find(id.0))
        .set((users::password_hash.eq(password_hash), users::session_epoch.eq(users::session_epoch + 1)))
        .returning(users::session_epoch)
        .get_result(conn)
}

pub fn id_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserId>> {
    Ok(users::table.filter(users::email.eq(email)).select(users::id).first(conn).optional()?.map(UserId))
}

/// The names of `ids` (active or not), in one query.
pub fn names(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<std::collections::BTreeMap<UserId, String>> {
    let raw: Vec<i32> = ids.iter().map(|u| u.0).collect();
    let rows: Vec<(i32, String)> =
        users::table.filter(users::id.eq_any(raw)).select((users::id, users::name)).load(conn)?;
    Ok(rows.into_iter().map(|(id, name)| (UserId(id), name)).collect())
}

/// Active users by id, with their roles, in two queries.
pub fn callers(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<Caller>> {
    let raw: Vec<i32> = ids.iter().map(|u| u.0).collect();
    let rows: Vec<UserRow> = users::table
        .filter(users::id.eq_any(&raw))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    with_roles(conn, rows)
}

pub fn caller(conn: &mut DbConn, id: UserId) -> QueryResult<Option<Caller>> {
    Ok(callers(conn, &[id])?.pop())
}

/// The active user `id`, if their session epoch is still `session_epoch`.
pub fn caller_in_epoch(conn: &mut DbConn, id: UserId, session_epoch: i32) -> QueryResult<Option<Caller>> {
    let row: Option<UserRow> = users::table
        .find(id.0)
        .filter(users::active.eq(true))
        .filter(users::session_epoch.eq(session_epoch))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(with_roles(conn, row.into_iter().collect())?.pop())
}

/// Active users holding any of `roles`, with all their roles.
pub fn holding_any(conn: &mut DbConn, roles: &[Role]) -> QueryResult<Vec<Caller>> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let holders = user_roles::table.filter(user_roles::role.eq_any(names)).select(user_roles::user_id);
    let rows: Vec<UserRow> = users::table
        .filter(users::id.eq_any(holders))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    with_roles(conn, rows)
}

/// Every user with roles, ordered by email (for `endring user roles`).
pub fn all(conn: &mut DbConn, limit: i64, offset: i64) -> QueryResult<Vec<Caller>> {
    let rows: Vec<UserRow> = users::table
        .order(users::email.asc())
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)?;
    with_roles(conn, rows)
}

fn with_roles(conn: &mut DbConn, rows: Vec<UserRow>) -> QueryResult<Vec<Caller>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i32, String)> = user_roles::table
        .filter(user_roles::user_id.eq_any(ids))
        .select((user_roles::user_id, user_roles::role))
        .load(conn)?;
    let mut roles: BTreeMap<i32, BTreeSet<Role>> = BTreeMap::new();
    for (user, role) in pairs {
        roles.entry(user).or_default().insert(super::changes::parse_text(&role)?);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut held = roles.remove(&r.id).unwrap_or_default();
            held.insert(Role::Requester);
            Caller {
                id: UserId(r.id),
                email: r.email,
                name: r.name,
                roles: held,
                language: r.language,
                timezone: r.timezone,
            }
        })
        .collect())
}

pub fn insert_token(
    conn: &mut DbConn,
    user: UserId,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user.0),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::expires_at.eq(to_naive(expires_at)),
            api_tokens::created_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user a live token belongs to.
pub fn token_owner(conn: &mut DbConn, token_hash: &str, now: DateTime<Utc>) -> QueryResult<Option<UserId>> {
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::expires_at.gt(to_naive(now)))
        .select(api_tokens::user_id)
        .first(conn)
        .optional()?
        .map(UserId))
}

pub fn set_profile(
    conn: &mut DbConn,
    id: UserId,
    language: Option<&str>,
    timezone: Option<&str>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id.0))
        .set((users::language.eq(language), users::timezone.eq(timezone)))
        .execute(conn)?;
    Ok(())
}

/// Users whose (lower-case) email contains `text`, by email, at most `limit`.
pub fn search(conn: &mut DbConn, text: &str, limit: i64) -> QueryResult<Vec<Caller>> {
    let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows: Vec<UserRow> = users::table
        .filter(users::email.like(pattern).escape('\\'))
        .order(users::email.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?;
    with_roles(conn, rows)
}

/// Up to `limit` API tokens that expired before `before`.
pub fn tokens_expired_before(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    api_tokens::table
        .filter(api_tokens::expires_at.lt(to_naive(before)))
        .select(api_tokens::id)
        .limit(limit)
        .load(conn)
}

/// Deletes the API tokens `ids`; returns how many.
pub fn delete_tokens(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.filter(api_tokens::id.eq_any(ids))).execute(conn)
}
