//! Delegation (SPEC §5): a CAB member or change manager names a delegate for a range of
//! days (an admin can do it for them). While it is in force the delegate receives the
//! member's vote emails and may vote for them; the ballot is the member's, cast by the
//! delegate, and segregation of duties applies to both. No chains: a delegate votes only
//! for those who named them, never for whoever named their own principal.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::delegations::{self as repo, Delegation, NewDelegation};
use crate::db::{users, DbConn};
use crate::domain::caller::Caller;
use crate::domain::delegation::DayRange;
use crate::domain::ids::UserId;
use crate::domain::validation::Message;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most delegations a list shows.
const LIMIT: i64 = 200;

/// Body of `POST /api/v1/delegations`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationInput {
    /// Whose vote is delegated; the caller's own when left out (admins may name anyone).
    #[schema(minimum = 1)]
    pub principal: Option<i32>,
    /// Who votes for them.
    #[schema(minimum = 1)]
    pub delegate: i32,
    /// First day, in the service's zone.
    pub from: NaiveDate,
    /// Last day, included.
    pub until: NaiveDate,
}

/// A person, as a delegation names them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i32,
    pub name: String,
}

/// A delegation as the API and the profile page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DelegationView {
    pub id: i32,
    pub principal: Person,
    pub delegate: Person,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// In force now.
    pub active: bool,
}

/// Whether `person` holds a role that votes: only voters have a vote to delegate.
fn votes(ctx: &Ctx, person: &Caller) -> bool {
    ctx.authz.roles_granting(Permission::Vote).iter().any(|role| person.has(*role))
}

fn views(ctx: &Ctx, conn: &mut DbConn, rows: Vec<Delegation>) -> diesel::QueryResult<Vec<DelegationView>> {
    let ids: Vec<UserId> = rows.iter().flat_map(|d| [d.principal, d.delegate]).collect();
    let people = users::names(conn, &ids)?;
    let name = |id: UserId| people.get(&id).cloned().unwrap_or_else(|| format!("#{}", id.0));
    let zone = ctx.config.time_zone();
    let now = ctx.clock.now();
    Ok(rows
        .into_iter()
        .map(|d| {
            let days = DayRange::of(zone, d.starts_at, d.ends_at);
            DelegationView {
                id: d.id,
                principal: Person { id: d.principal.0, name: name(d.principal) },
                delegate: Person { id: d.delegate.0, name: name(d.delegate) },
                from: days.from,
                until: days.until,
                starts_at: d.starts_at,
                ends_at: d.ends_at,
                active: !d.revoked && d.starts_at <= now && now < d.ends_at,
            }
        })
        .collect())
}

/// The caller's current and coming delegations, given and received; an admin (who may
/// delegate for anyone) sees everyone's.
pub fn list(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<DelegationView>> {
    // Who votes for whom is the CAB's business, read as changes are (a token for the
    // deployment gate alone reads none of it).
    ctx.require(caller, Permission::Read, &Object::none())?;
    let everyone = ctx.authz.allows(caller, Permission::Delegate, &Object::owned_by(UserId(0)));
    let now = ctx.clock.now();
    Ok(ctx.db.query(|conn| {
        let rows = repo::current(conn, (!everyone).then_some(caller.id), now, LIMIT)?;
        views(ctx, conn, rows)
    })?)
}

/// Names a delegate (audited). One delegation per person at a time.
pub fn create(ctx: &Ctx, caller: &Caller, input: DelegationInput) -> ServiceResult<DelegationView> {
    let principal_id = UserId(input.principal.unwrap_or(caller.id.0));
    ctx.require(caller, Permission::Delegate, &Object::owned_by(principal_id))?;
    let zone = ctx.config.time_zone();
    let now = ctx.clock.now();
    let today = now.with_timezone(&zone).date_naive();
    for (field, day) in [("from", input.from), ("until", input.until)] {
        if !crate::domain::change::PLAUSIBLE_YEARS.contains(&chrono::Datelike::year(&day)) {
            return Err(ServiceError::invalid(field, Message::new("msg-year-range")));
        }
    }
    let range = DayRange::new(input.from, input.until, today)
        .map_err(|(field, m)| ServiceError::invalid(field, m))?;
    let (starts_at, ends_at) =
        range.instants(zone).ok_or_else(|| ServiceError::invalid("from", Message::new("msg-date-format")))?;
    let delegate_id = UserId(input.delegate);
    if delegate_id == principal_id {
        return Err(ServiceError::invalid("delegate", Message::new("msg-delegation-self")));
    }
    // Whoever names a delegate for someone else (an admin) may not name themselves: no one
    // gathers others' ballots by their own hand.
    if principal_id != caller.id && delegate_id == caller.id {
        return Err(ServiceError::invalid("delegate", Message::new("msg-delegation-not-yourself")));
    }
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        let principal = users::caller(conn, principal_id)?
            .ok_or_else(|| ServiceError::invalid("principal", Message::new("msg-unknown-user")))?;
        if !votes(ctx, &principal) {
            return Err(ServiceError::invalid("principal", Message::new("msg-delegation-not-voter")));
        }
        let delegate = users::caller(conn, delegate_id)?
            .ok_or_else(|| ServiceError::invalid("delegate", Message::new("msg-unknown-user")))?;
        if let Some(other) = repo::overlapping(conn, principal_id, starts_at, ends_at)?.first() {
            let days = DayRange::of(zone, other.starts_at, other.ends_at);
            return Err(ServiceError::Taken {
                field: "from",
                message: Message::new("msg-delegation-overlaps")
                    .word("from", crate::domain::validation::Word::Date(days.from))
                    .word("until", crate::domain::validation::Word::Date(days.until)),
            });
        }
        let new = NewDelegation {
            principal: principal_id,
            delegate: delegate_id,
            starts_at,
            ends_at,
            created_by: caller.id,
        };
        let id = repo::insert(conn, &new, now)?;
        let payload = json!({
            "delegation_id": id,
            "principal": { "id": principal.id, "name": principal.name },
            "delegate": { "id": delegate.id, "name": delegate.name },
            "from": range.from,
            "until": range.until,
        });
        record(conn, Event::general(Some(caller.id), "delegate", payload), now)?;
        Ok(id)
    })?;
    ctx.db
        .query(|conn| {
            let rows = repo::find(conn, id)?.into_iter().collect();
            views(ctx, conn, rows)
        })?
        .pop()
        .ok_or_else(|| ServiceError::NotFound(format!("there is no delegation {id}")))
}

/// Ends a delegation now (audited): its principal or an admin.
pub fn revoke(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let found = repo::find(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no delegation {id}")))?;
        ctx.require(caller, Permission::Delegate, &Object::owned_by(found.principal))?;
        if !repo::revoke(conn, id, now)? {
            return Err(ServiceError::Conflict(Message::new("msg-delegation-revoked")));
        }
        record(
            conn,
            Event::general(Some(caller.id), "revoke_delegation", json!({ "delegation_id": id })),
            now,
        )?;
        Ok(())
    })
}

/// Those who have named `delegate`, in force at `now` (no chains: direct only).
pub(crate) fn principals_of(
    conn: &mut DbConn,
    delegate: UserId,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<Caller>> {
    Ok(principals_of_any(conn, &[delegate], now)?.into_iter().map(|(principal, _)| principal).collect())
}

/// `(principal, delegate)` for each delegation in force at `now` to one of `delegates`.
pub(crate) fn principals_of_any(
    conn: &mut DbConn,
    delegates: &[UserId],
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<(Caller, UserId)>> {
    let found = repo::active_to(conn, delegates, now)?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let principals = users::callers(conn, &found.iter().map(|d| d.principal).collect::<Vec<_>>())?;
    Ok(found
        .iter()
        .filter_map(|d| Some((principals.iter().find(|p| p.id == d.principal)?.clone(), d.delegate)))
        .collect())
}

/// `(principal, delegate)` for each of `principals` with a delegation in force at `now`.
pub(crate) fn delegates_of(
    conn: &mut DbConn,
    principals: &[Caller],
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<(Caller, Caller)>> {
    delegates_during(conn, principals, now, now)
}

/// `(principal, delegate)` for each of `principals` with a delegation in force at some
/// time in `[from, to]` (a meeting's agenda goes to whoever stands in by the meeting).
pub(crate) fn delegates_during(
    conn: &mut DbConn,
    principals: &[Caller],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> diesel::QueryResult<Vec<(Caller, Caller)>> {
    let ids: Vec<UserId> = principals.iter().map(|p| p.id).collect();
    let found = repo::active_from(conn, &ids, from, to)?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let delegates = users::callers(conn, &found.iter().map(|d| d.delegate).collect::<Vec<_>>())?;
    Ok(found
        .iter()
        .filter_map(|d| {
            let principal = principals.iter().find(|p| p.id == d.principal)?;
            let delegate = delegates.iter().find(|p| p.id == d.delegate)?;
            Some((principal.clone(), delegate.clone()))
        })
        .collect())
}

/// The members `caller` may vote for on `change` now: those who named them delegate (in
/// force), when the change waits for votes and both may (segregation of duties).
pub(crate) fn may_vote_for(
    ctx: &Ctx,
    conn: &mut DbConn,
    caller: &Caller,
    change: &crate::domain::change::Change,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<Caller>> {
    if change.state != crate::domain::change::ChangeState::Authorize {
        return Ok(Vec::new());
    }
    let object = Object::change(change);
    if !ctx.authz.allows(caller, Permission::VoteFor, &object) {
        return Ok(Vec::new());
    }
    Ok(principals_of(conn, caller.id, now)?
        .into_iter()
        .filter(|p| ctx.authz.allows(p, Permission::Vote, &object))
        .collect())
}

/// Whom the delegation form offers.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// The caller may name a delegate for their own vote.
    pub for_self: bool,
    /// Members an admin may name a delegate for (empty for everyone else).
    pub members: Vec<Person>,
    /// People who may be named: those holding a role beyond requester (colleagues in the
    /// IT unit); the API takes any active user.
    pub delegates: Vec<Person>,
}

pub fn choices(ctx: &Ctx, caller: &Caller) -> ServiceResult<Choices> {
    let for_self =
        votes(ctx, caller) && ctx.authz.allows(caller, Permission::Delegate, &Object::owned_by(caller.id));
    let for_anyone = ctx.authz.allows(caller, Permission::Delegate, &Object::owned_by(UserId(0)));
    if !for_self && !for_anyone {
        return Ok(Choices::default());
    }
    let person = |c: &Caller| Person { id: c.id.0, name: c.name.clone() };
    ctx.db
        .query(|conn| -> diesel::QueryResult<Choices> {
            let members = match for_anyone {
                true => super::who_may(conn, &ctx.authz, Permission::Vote, &Object::none())?
                    .iter()
                    .map(person)
                    .collect(),
                false => Vec::new(),
            };
            let roles: Vec<_> = crate::domain::role::Role::ALL
                .iter()
                .copied()
                .filter(|r| *r != crate::domain::role::Role::Requester)
                .collect();
            let delegates = users::holding_any(conn, &roles)?
                .iter()
                .filter(|p| p.id != caller.id || for_anyone)
                .map(person)
                .collect();
            Ok(Choices { for_self, members, delegates })
        })
        .map_err(Into::into)
}
