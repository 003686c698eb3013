//! Calendar feeds (SPEC §6): `/calendar.ics?token=…`, a personal feed (the changes a user
//! requested or implements, and the CAB meetings when they vote) or, for those who follow
//! the whole calendar, every change with a window. Tokens are made and revoked by their
//! owner (shown once, stored hashed; audited).

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{changes, feeds as repo, meetings, users};
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::{CiId, UserId};
use crate::domain::meeting::MeetingState;
use crate::domain::text::Text;
use crate::domain::text_enum::text_enum;
use crate::domain::validation::{required_text, FieldErrors, Message};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How far back and ahead a feed reaches.
pub const BACK: Duration = Duration::days(30);
pub const AHEAD: Duration = Duration::days(180);
/// Most changes one feed holds.
const LIMIT: i64 = 2000;

text_enum! {
    /// What a feed shows.
    pub enum FeedScope {
        /// The changes one requested or implements, and CAB meetings for voters.
        Personal = "personal",
        /// Every change with a window (managers, change managers, admins).
        All = "all",
        /// The changes on one CI (anyone who reads changes).
        Ci = "ci",
    }
}

/// A feed as its owner sees it (never the token again).
#[derive(Debug, Clone, Serialize)]
pub struct FeedView {
    pub id: i32,
    pub name: String,
    pub scope: FeedScope,
    pub created_at: DateTime<Utc>,
    /// A CI's feed: its CI.
    pub ci_id: Option<CiId>,
}

fn view(row: &repo::Row) -> Option<FeedView> {
    Some(FeedView {
        id: row.0,
        name: row.3.clone(),
        scope: row.2.parse().ok()?,
        created_at: repo::created(row),
        ci_id: row.5.map(CiId),
    })
}

pub fn list(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<FeedView>> {
    // A feed's address is a key to the caller's calendar: listed to its owner alone.
    ctx.require(caller, Permission::ListOwnAccess, &Object::owned_by(caller.id))?;
    let rows = ctx.db.query(|conn| repo::of_user(conn, caller.id))?;
    Ok(rows.iter().filter_map(view).collect())
}

/// Makes a feed; returns it and its raw token (shown once).
pub fn create(
    ctx: &Ctx,
    caller: &Caller,
    scope: FeedScope,
    ci: Option<CiId>,
    name: &Text,
) -> ServiceResult<(FeedView, String)> {
    let permission = match scope {
        FeedScope::Personal | FeedScope::Ci => Permission::Read,
        FeedScope::All => Permission::FollowAll,
    };
    ctx.require(caller, permission, &Object::none())?;
    let name = required_text(name, 100).map_err(|m| ServiceError::invalid("name", m))?;
    let ci = match (scope, ci) {
        (FeedScope::Ci, None) => return Err(ServiceError::invalid("ci_id", Message::new("msg-choice"))),
        (FeedScope::Ci, ci) => ci,
        _ => None,
    };
    let raw = super::auth::random_token();
    let now = ctx.clock.now();
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        if let Some(ci) = ci {
            let mut errors = FieldErrors::default();
            super::reference::check_cis(conn, &std::collections::BTreeSet::from([ci]), &mut errors)?;
            errors
                .finish(|| ())
                .map_err(|_| ServiceError::invalid("ci_id", Message::new("msg-no-ci").arg("id", ci)))?;
        }
        let hash = super::auth::token_hash(&raw);
        let id = repo::insert(conn, caller.id, &hash, scope.as_str(), ci, &name, now)?;
        let payload = serde_json::json!({ "feed_id": id, "scope": scope, "ci_id": ci, "name": name });
        record(conn, Event::general(Some(caller.id), "create_feed", payload), now)?;
        Ok(id)
    })?;
    Ok((FeedView { id, name, scope, created_at: now, ci_id: ci }, raw))
}

/// Revokes a feed (its owner only).
pub fn revoke(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let row =
            repo::find(conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("there is no feed {id}")))?;
        ctx.require(caller, Permission::ManageFeed, &Object::owned_by(UserId(row.1)))?;
        repo::delete(conn, id)?;
        let payload = serde_json::json!({ "feed_id": id });
        record(conn, Event::general(Some(caller.id), "revoke_feed", payload), now)?;
        Ok(())
    })
}

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub uid: String,
    pub sequence: u32,
    /// When it last changed (the feed's DTSTAMP, so a feed that did not change reads the same).
    pub stamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    /// Path on this service (`/changes/CHG-…`, `/cab/meetings/…`).
    pub path: String,
    pub cancelled: bool,
}

/// The events of the feed whose token is `raw`; `None` for an unknown token.
pub fn events(ctx: &Ctx, raw: &str) -> ServiceResult<Option<Vec<FeedEvent>>> {
    let now = ctx.clock.now();
    let (from, to) = (now - BACK, now + AHEAD);
    ctx.db.read(|conn| -> ServiceResult<Option<Vec<FeedEvent>>> {
        let Some(row) = repo::by_hash(conn, &super::auth::token_hash(raw))? else { return Ok(None) };
        let Some(owner) = users::caller(conn, UserId(row.1))? else { return Ok(None) };
        let Ok(scope) = row.2.parse::<FeedScope>() else { return Ok(None) };
        let found = match scope {
            // A feed stops showing everything once its owner may no longer see it all.
            FeedScope::All if ctx.authz.allows(&owner, Permission::FollowAll, &Object::none()) => {
                let states: Vec<ChangeState> =
                    ChangeState::ALL.iter().copied().filter(|s| *s != ChangeState::Draft).collect();
                changes::in_window(conn, &states, from, to, LIMIT)?
            }
            FeedScope::All => Vec::new(),
            FeedScope::Ci => match row.5 {
                Some(ci) => repo::ci_changes(conn, CiId(ci), from, to, LIMIT)?,
                None => Vec::new(),
            },
            FeedScope::Personal => repo::personal_changes(conn, owner.id, from, to, LIMIT)?,
        };
        let mut events: Vec<FeedEvent> = found.iter().filter_map(change_event).collect();
        // CAB meetings in the whole calendar, and in a personal feed for voters and for
        // those voting for a member now.
        let mut stands_in = || -> diesel::QueryResult<bool> {
            Ok(!super::delegations::principals_of(conn, owner.id, now)?.is_empty())
        };
        let meetings_shown = match scope {
            FeedScope::All => true,
            FeedScope::Ci => false,
            FeedScope::Personal => {
                ctx.authz.allows(&owner, Permission::Vote, &Object::none()) || stands_in()?
            }
        };
        if meetings_shown {
            for meeting in meetings::between(conn, from, to, 200)? {
                events.push(FeedEvent {
                    uid: format!("cab-meeting-{}", meeting.id),
                    // As the emailed invitation: a cancellation supersedes the request.
                    sequence: u32::from(meeting.state == MeetingState::Cancelled),
                    stamp: meeting.created_at,
                    start: meeting.starts_at,
                    end: meeting.starts_at + crate::domain::meeting::LENGTH,
                    summary: if meeting.title.is_empty() {
                        "CAB".to_owned()
                    } else {
                        format!("CAB: {}", meeting.title)
                    },
                    path: format!("/cab/meetings/{}", meeting.id),
                    cancelled: meeting.state == MeetingState::Cancelled,
                });
            }
        }
        events.sort_by_key(|e| (e.start, e.uid.clone()));
        Ok(Some(events))
    })
}

fn change_event(change: &Change) -> Option<FeedEvent> {
    let reference = change.id.reference();
    Some(FeedEvent {
        // The same UID as the change's email invitations, so a calendar keeps one entry.
        uid: format!("change-{reference}"),
        sequence: u32::try_from(change.version).unwrap_or(0),
        stamp: change.updated_at,
        start: change.planned_start?,
        end: change.planned_end?,
        summary: format!("{reference} {}", change.title),
        path: format!("/changes/{reference}"),
        cancelled: change.state == ChangeState::Cancelled,
    })
}
