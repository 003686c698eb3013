//! Users, their roles and their API tokens.

use super::changes::to_naive;
use super::schema::{api_tokens, user_roles, users};
use super::within::any_of;
use super::DbConn;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(super) struct UserRow {
    pub(super) id: i32,
    email: String,
    name: String,
    language: Option<String>,
    timezone: Option<String>,
}

/// A user together with the hash to check a password against.
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
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
    let rows: Vec<_> = roles
        .iter()
        .filter(|r| **r != Role::Requester)
        .map(|role| (user_roles::user_id.eq(id.0), user_roles::role.eq(role.as_str())))
        .collect();
    if !rows.is_empty() {
        super::insert_rows!(conn, user_roles::table, rows)?;
    }
    Ok(())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

type CredentialColumns = (users::id, users::password_hash);
const CREDENTIAL_COLUMNS: CredentialColumns = (users::id, users::password_hash);

fn to_credentials((id, password_hash): (i32, String)) -> Credentials {
    Credentials { id: UserId(id), password_hash }
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

/// Sets a new password, ends the user's web sessions but `keep` and revokes their API
/// tokens.
pub fn set_password(
    conn: &mut DbConn,
    id: UserId,
    password_hash: &str,
    keep: Option<i32>,
) -> QueryResult<()> {
    end_access(conn, id, keep)?;
    diesel::update(users::table.find(id.0)).set(users::password_hash.eq(password_hash)).execute(conn)?;
    Ok(())
}

/// Ends every web session of `id` but `keep` and revokes every API token.
pub fn end_access(conn: &mut DbConn, id: UserId, keep: Option<i32>) -> QueryResult<()> {
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(id.0))).execute(conn)?;
    super::sessions::delete_of_user(conn, id, keep)?;
    Ok(())
}

/// Deactivates (`at` given) or reactivates (`None`) the user `id`; whether it changed.
pub fn set_deactivated(conn: &mut DbConn, id: UserId, at: Option<DateTime<Utc>>) -> QueryResult<bool> {
    let changed = diesel::update(users::table.find(id.0).filter(users::active.eq(at.is_some())))
        .set((users::active.eq(at.is_none()), users::deactivated_at.eq(at.map(to_naive))))
        .execute(conn)?;
    Ok(changed == 1)
}

/// A user as an admin sees them: with whether they are active and how they sign in.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub active: bool,
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Signed in with the identity provider at least once.
    pub oidc: bool,
    /// Has a password to sign in with.
    pub password: bool,
}

type AccountColumns = (
    users::id,
    users::email,
    users::name,
    users::active,
    users::deactivated_at,
    users::oidc_subject,
    users::password_hash,
);
const ACCOUNT_COLUMNS: AccountColumns = (
    users::id,
    users::email,
    users::name,
    users::active,
    users::deactivated_at,
    users::oidc_subject,
    users::password_hash,
);
type AccountRow = (i32, String, String, bool, Option<chrono::NaiveDateTime>, Option<String>, String);

fn to_account((id, email, name, active, deactivated_at, oidc, hash): AccountRow) -> Account {
    Account {
        id: UserId(id),
        email,
        name,
        active,
        deactivated_at: deactivated_at.map(|at| at.and_utc()),
        oidc: oidc.is_some(),
        password: !hash.is_empty(),
    }
}

/// The accounts `ids` (active or not), in one query.
pub fn accounts(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<Account>> {
    let raw: Vec<i32> = ids.iter().map(|u| u.0).collect();
    let rows: Vec<AccountRow> = users::table
        .filter(any_of(users::id, raw))
        .order(users::email.asc())
        .select(ACCOUNT_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(to_account).collect())
}

pub fn account_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<Account>> {
    let row: Option<AccountRow> =
        users::table.filter(users::email.eq(email)).select(ACCOUNT_COLUMNS).first(conn).optional()?;
    Ok(row.map(to_account))
}

/// The user linked to the identity provider's subject `subject`: id and whether active.
pub fn by_subject(conn: &mut DbConn, subject: &str) -> QueryResult<Option<(UserId, bool)>> {
    Ok(users::table
        .filter(users::oidc_subject.eq(subject))
        .select((users::id, users::active))
        .first::<(i32, bool)>(conn)
        .optional()?
        .map(|(id, active)| (UserId(id), active)))
}

/// Links `id` to the identity provider's `subject`, and keeps their name as it says (when
/// it says one).
pub fn link_subject(conn: &mut DbConn, id: UserId, subject: &str, name: Option<&str>) -> QueryResult<()> {
    diesel::update(users::table.find(id.0)).set(users::oidc_subject.eq(subject)).execute(conn)?;
    if let Some(name) = name {
        diesel::update(users::table.find(id.0)).set(users::name.eq(name)).execute(conn)?;
    }
    Ok(())
}

/// Gives `id` the address `email` unless another user has it; whether it did.
pub fn set_email_if_free(conn: &mut DbConn, id: UserId, email: &str) -> QueryResult<bool> {
    if id_by_email(conn, email)?.is_some_and(|holder| holder != id) {
        return Ok(false);
    }
    diesel::update(users::table.find(id.0)).set(users::email.eq(email)).execute(conn)?;
    Ok(true)
}

pub fn id_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserId>> {
    Ok(users::table.filter(users::email.eq(email)).select(users::id).first(conn).optional()?.map(UserId))
}

/// The names of `ids` (active or not), in one query.
pub fn names(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<std::collections::BTreeMap<UserId, String>> {
    let raw: Vec<i32> = ids.iter().map(|u| u.0).collect();
    let rows: Vec<(i32, String)> =
        users::table.filter(any_of(users::id, raw)).select((users::id, users::name)).load(conn)?;
    Ok(rows.into_iter().map(|(id, name)| (UserId(id), name)).collect())
}

/// Active users by id, with their roles, in two queries.
pub fn callers(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<Caller>> {
    let raw: Vec<i32> = ids.iter().map(|u| u.0).collect();
    let rows: Vec<UserRow> = users::table
        .filter(any_of(users::id, raw))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    with_roles(conn, rows)
}

/// An active user by id with their roles, in one query.
pub fn caller(conn: &mut DbConn, id: UserId) -> QueryResult<Option<Caller>> {
    let rows: Vec<WithRole> = users::table
        .left_join(user_roles::table)
        .filter(users::id.eq(id.0))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), user_roles::role.nullable()))
        .load(conn)?;
    caller_of(rows)
}

/// A user's row with one of the roles they hold (none when they hold none): the rows, one
/// a role, of the lookups that read a caller in one query.
pub(super) type WithRole = (UserRow, Option<String>);

/// The caller one user's rows (`WithRole`) make; None for no rows.
pub(super) fn caller_of(rows: Vec<WithRole>) -> QueryResult<Option<Caller>> {
    let mut roles = BTreeSet::from([Role::Requester]);
    let mut user = None;
    for (row, role) in rows {
        if let Some(role) = role {
            roles.insert(super::changes::parse_text(&role)?);
        }
        user.get_or_insert(row);
    }
    Ok(user.map(|row| to_caller(row, roles)))
}

fn to_caller(r: UserRow, roles: BTreeSet<Role>) -> Caller {
    Caller {
        id: UserId(r.id),
        email: r.email,
        name: r.name,
        roles,
        language: r.language,
        timezone: r.timezone,
        scopes: None,
        token_expires_at: None,
    }
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
        .filter(any_of(user_roles::user_id, ids))
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
            to_caller(r, held)
        })
        .collect())
}

/// A token to store (only its hash).
pub struct NewToken<'a> {
    pub user: UserId,
    pub token_hash: &'a str,
    pub name: &'a str,
    /// Space-separated scope names.
    pub scopes: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Stores a token; its id.
pub fn insert_token(conn: &mut DbConn, token: &NewToken, now: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(token.user.0),
            api_tokens::token_hash.eq(token.token_hash),
            api_tokens::name.eq(token.name),
            api_tokens::scopes.eq(token.scopes),
            api_tokens::expires_at.eq(to_naive(token.expires_at)),
            api_tokens::created_at.eq(to_naive(now)),
        ))
        .returning(api_tokens::id)
        .get_result(conn)
}

/// A live token as the request it came with needs it.
pub struct LiveToken {
    pub id: i32,
    pub user: UserId,
    pub expires_at: DateTime<Utc>,
    /// Space-separated scope names.
    pub scopes: String,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The live token whose hash is `token_hash` as of `now`, with its active owner and their
/// roles, in one query (the lookup every API request makes).
pub fn token_caller(
    conn: &mut DbConn,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Caller, LiveToken)>> {
    type TokenRow = (i32, chrono::NaiveDateTime, String, Option<chrono::NaiveDateTime>);
    let rows: Vec<(TokenRow, UserRow, Option<String>)> = api_tokens::table
        .inner_join(users::table.left_join(user_roles::table))
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::expires_at.gt(to_naive(now)))
        .filter(users::active.eq(true))
        .select((
            (api_tokens::id, api_tokens::expires_at, api_tokens::scopes, api_tokens::last_used_at),
            UserRow::as_select(),
            user_roles::role.nullable(),
        ))
        .load(conn)?;
    let Some(&((id, expires_at, ref scopes, used), ref user, _)) = rows.first() else { return Ok(None) };
    let live = LiveToken {
        id,
        user: UserId(user.id),
        expires_at: expires_at.and_utc(),
        scopes: scopes.clone(),
        last_used_at: used.map(|at| at.and_utc()),
    };
    let caller = caller_of(rows.into_iter().map(|(_, user, role)| (user, role)).collect())?;
    Ok(caller.map(|caller| (caller, live)))
}

pub fn touch_token(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(to_naive(now))))
        .execute(conn)?;
    Ok(())
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

/// A token as its owner (or an admin) sees it.
#[derive(Queryable)]
pub struct TokenRow {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    pub scopes: String,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub last_used_at: Option<chrono::NaiveDateTime>,
}

type TokenColumns = (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::scopes,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
);
const TOKEN_COLUMNS: TokenColumns = (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::scopes,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
);

/// Live API tokens, the newest first, at most 200: `user`'s, or everyone's (None).
pub fn tokens_of(conn: &mut DbConn, user: Option<UserId>, now: DateTime<Utc>) -> QueryResult<Vec<TokenRow>> {
    let live = api_tokens::table.filter(api_tokens::expires_at.gt(to_naive(now)));
    match user {
        Some(user) => live
            .filter(api_tokens::user_id.eq(user.0))
            .order(api_tokens::id.desc())
            .limit(200)
            .select(TOKEN_COLUMNS)
            .load(conn),
        None => live.order(api_tokens::id.desc()).limit(200).select(TOKEN_COLUMNS).load(conn),
    }
}

/// Revokes `user`'s token `id`; how many (0 or 1).
pub fn delete_token_of(conn: &mut DbConn, user: UserId, id: i32) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.filter(api_tokens::id.eq(id)).filter(api_tokens::user_id.eq(user.0)))
        .execute(conn)
}

/// Whose API token `id` is.
pub fn token_owner_by_id(conn: &mut DbConn, id: i32) -> QueryResult<Option<UserId>> {
    Ok(api_tokens::table.find(id).select(api_tokens::user_id).first::<i32>(conn).optional()?.map(UserId))
}
