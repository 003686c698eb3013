//! The outbox as the mail worker and admins use it: claiming due notices, recording what
//! became of each delivery, issuing the vote links an email carries, and listing and
//! retrying notices that could not be delivered. The worker is a driver like `web`: it
//! reaches the database only through these functions.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::outbox::{self as repo, Failed};
use crate::domain::caller::Caller;
use crate::domain::ids::{ChangeId, UserId};
use crate::domain::validation::Message;
use chrono::{DateTime, Duration, Utc};

/// Most failed notices one list shows.
pub const LIST_LIMIT: i64 = 200;

/// A notice claimed for delivery, with what its recipient reads in.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i32,
    pub change_id: Option<ChangeId>,
    pub recipient_id: Option<UserId>,
    pub kind: String,
    pub recipient_email: String,
    /// The facts the message is rendered from (JSON).
    pub payload: String,
    /// This delivery attempt's number (from 1).
    pub attempt: i32,
    pub created_at: DateTime<Utc>,
    pub language: Option<String>,
    pub timezone: Option<String>,
}

impl From<repo::Claimed> for Due {
    fn from(row: repo::Claimed) -> Self {
        Due {
            id: row.id,
            change_id: row.change_id.map(ChangeId),
            recipient_id: row.recipient_id.map(UserId),
            kind: row.kind,
            recipient_email: row.recipient_email,
            payload: row.payload,
            attempt: row.attempts,
            created_at: row.created_at,
            language: row.language,
            timezone: row.timezone,
        }
    }
}

/// Claims up to `limit` due notices for `lease` (another worker may take over a notice
/// whose lease ran out). Claims are serialised by the write transaction, which is taken
/// only when a look outside it found something due.
pub fn claim_due(ctx: &Ctx, lease: Duration, limit: i64) -> ServiceResult<Vec<Due>> {
    let now = ctx.clock.now();
    // Most rounds find nothing: look first, so an idle worker never takes the write lock.
    if !ctx.db.query(|conn| repo::any_due(conn, now))? {
        return Ok(Vec::new());
    }
    let claimed =
        ctx.db.write(|conn| -> ServiceResult<_> { Ok(repo::claim_due(conn, now, now + lease, limit)?) })?;
    Ok(claimed.into_iter().map(Due::from).collect())
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Not delivered; try again at the given time.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// Not delivered, and not to be tried again.
    GaveUp {
        error: String,
    },
}

/// What a vote request or reminder shows of change `id` (its facts as they are when the
/// email goes, and the next cut-off), or `None` when it no longer waits for the CAB's
/// votes in `round`: an email about a change decided or returned since it was queued is
/// not sent.
pub fn vote_mail_facts(
    ctx: &Ctx,
    id: ChangeId,
    round: i32,
) -> ServiceResult<Option<(super::change_view::ChangeView, Option<DateTime<Utc>>)>> {
    ctx.db.read(|conn| {
        let Some(change) = crate::db::changes::find(conn, id)? else { return Ok(None) };
        if change.state != crate::domain::change::ChangeState::Authorize || change.decision_round != round {
            return Ok(None);
        }
        let cutoff = super::reminders::next_cutoff(ctx, conn, ctx.clock.now())?;
        Ok(Some((super::change_view::build(conn, &ctx.config, change, ctx.clock.now())?, cutoff)))
    })
}

/// Records the outcome of the attempt `notice` was claimed for. A worker whose lease ran
/// out (another took the notice over) changes nothing.
pub fn record_delivery(ctx: &Ctx, notice: &Due, delivery: &Delivery) -> ServiceResult<()> {
    let now = ctx.clock.now();
    let (id, attempt) = (notice.id, notice.attempt);
    ctx.db.write(|conn| -> ServiceResult<()> {
        match delivery {
            Delivery::Sent => repo::mark_sent(conn, id, attempt, now)?,
            Delivery::Retry { error, at } => repo::mark_failed_attempt(conn, id, attempt, error, Some(*at))?,
            Delivery::GaveUp { error } => repo::mark_failed_attempt(conn, id, attempt, error, None)?,
        }
        Ok(())
    })
}

/// Fresh Approve and Reject tokens for one voter, made when the email is sent (so the
/// raw tokens exist only in that email; only their hashes are stored).
pub fn vote_tokens(
    ctx: &Ctx,
    change: ChangeId,
    voter: UserId,
    for_voter: Option<UserId>,
    round: i32,
) -> ServiceResult<(String, String)> {
    let now = ctx.clock.now();
    let days = ctx.config.vote_link_days;
    ctx.db.write(|conn| -> ServiceResult<_> {
        Ok(super::email_votes::issue(conn, change, voter, for_voter, round, now, days)?)
    })
}

/// How many notices wait to be sent, and how many failed, for `/healthz`.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Backlog {
    /// Pending or being sent.
    pub waiting: i64,
    /// Given up (admins can put them back).
    pub failed: i64,
}

pub fn backlog(ctx: &Ctx) -> ServiceResult<Backlog> {
    let (waiting, failed) = ctx.db.query(repo::backlog)?;
    Ok(Backlog { waiting, failed })
}

/// A notice that could not be delivered, as the API and the admin page show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FailedNotice {
    pub id: i32,
    /// The notice's kind (`submitted`, `authorize_request`, …).
    pub kind: String,
    pub recipient_email: String,
    pub attempts: i32,
    /// The last delivery error, as the mail server or the worker gave it.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Failed> for FailedNotice {
    fn from(row: Failed) -> Self {
        FailedNotice {
            id: row.id,
            kind: row.kind,
            recipient_email: row.recipient_email,
            attempts: row.attempts,
            last_error: row.last_error,
            created_at: row.created_at,
        }
    }
}

pub fn failed(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<FailedNotice>> {
    ctx.require(caller, Permission::ManageNotices, &Object::none())?;
    let rows = ctx.db.query(|conn| repo::failed(conn, LIST_LIMIT))?;
    Ok(rows.into_iter().map(FailedNotice::from).collect())
}

/// Queues a failed notice again (audited).
pub fn retry(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageNotices, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        if !repo::retry(conn, id, now)? {
            return Err(match repo::exists(conn, id)? {
                true => ServiceError::Conflict(Message::new("msg-notice-not-failed").arg("id", id)),
                false => ServiceError::NotFound(format!("there is no notice {id}")),
            });
        }
        let payload = serde_json::json!({ "notice_id": id });
        record(conn, Event::general(Some(caller.id), "retry_notice", payload), now)?;
        Ok(())
    })
}
