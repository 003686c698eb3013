//! Webhook subscriptions and their deliveries: the deliveries are an outbox written in the
//! same transaction as the audit event they announce, claimed and marked by the webhook
//! worker like the mail outbox's notices, and kept as each subscription's delivery log.

use super::changes::{to_naive, to_utc};
use super::schema::{webhook_deliveries as deliveries, webhooks};
use super::DbConn;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A subscription as stored, without its secret.
#[derive(Debug, Clone, Queryable)]
pub struct Webhook {
    pub id: i32,
    pub url: String,
    pub event_types: String,
    pub active: bool,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

type WebhookColumns = (
    webhooks::id,
    webhooks::url,
    webhooks::event_types,
    webhooks::active,
    webhooks::created_by,
    webhooks::created_at,
    webhooks::updated_at,
);

const WEBHOOK_COLUMNS: WebhookColumns = (
    webhooks::id,
    webhooks::url,
    webhooks::event_types,
    webhooks::active,
    webhooks::created_by,
    webhooks::created_at,
    webhooks::updated_at,
);

pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub event_types: &'a str,
    pub active: bool,
    pub created_by: i32,
}

pub fn insert(conn: &mut DbConn, new: &NewWebhook<'_>, now: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(new.url),
            webhooks::secret.eq(new.secret),
            webhooks::event_types.eq(new.event_types),
            webhooks::active.eq(new.active),
            webhooks::created_by.eq(new.created_by),
            webhooks::created_at.eq(to_naive(now)),
            webhooks::updated_at.eq(to_naive(now)),
        ))
        .returning(webhooks::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Webhook>> {
    webhooks::table.find(id).select(WEBHOOK_COLUMNS).first(conn).optional()
}

/// Subscriptions, oldest first, at most `limit`.
pub fn list(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Webhook>> {
    webhooks::table.order(webhooks::id.asc()).limit(limit).select(WEBHOOK_COLUMNS).load(conn)
}

/// What an edit sets (`None`: kept).
pub struct Edit<'a> {
    pub url: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub event_types: Option<&'a str>,
    pub active: Option<bool>,
}

/// Applies `edit`; false when there is no such subscription.
pub fn update(conn: &mut DbConn, id: i32, edit: &Edit<'_>, now: DateTime<Utc>) -> QueryResult<bool> {
    let Some(current) = find(conn, id)? else { return Ok(false) };
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::url.eq(edit.url.unwrap_or(&current.url)),
            webhooks::event_types.eq(edit.event_types.unwrap_or(&current.event_types)),
            webhooks::active.eq(edit.active.unwrap_or(current.active)),
            webhooks::updated_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    if let Some(secret) = edit.secret {
        diesel::update(webhooks::table.find(id)).set(webhooks::secret.eq(secret)).execute(conn)?;
    }
    Ok(true)
}

/// Deletes a subscription and its delivery log; false when there was none.
pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    diesel::delete(deliveries::table.filter(deliveries::webhook_id.eq(id))).execute(conn)?;
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? > 0)
}

/// `(id, event_types)` of the active subscriptions: the few rows every announced event
/// looks at.
pub fn listeners(conn: &mut DbConn) -> QueryResult<Vec<(i32, String)>> {
    webhooks::table.filter(webhooks::active.eq(true)).select((webhooks::id, webhooks::event_types)).load(conn)
}

pub struct NewDelivery<'a> {
    pub webhook_id: i32,
    pub event_type: &'a str,
    pub event_seq: Option<i64>,
    pub change_id: Option<i32>,
    pub body: &'a str,
}

/// Rows one insert statement carries.
const INSERT_BATCH: usize = 500;

/// Queues `new` deliveries, due at once.
pub fn insert_deliveries(
    conn: &mut DbConn,
    new: &[NewDelivery<'_>],
    now: DateTime<Utc>,
) -> QueryResult<Vec<i32>> {
    let at = to_naive(now);
    let mut ids = Vec::with_capacity(new.len());
    for batch in new.chunks(INSERT_BATCH) {
        let rows: Vec<_> = batch
            .iter()
            .map(|d| {
                (
                    deliveries::webhook_id.eq(d.webhook_id),
                    deliveries::event_type.eq(d.event_type),
                    deliveries::event_seq.eq(d.event_seq),
                    deliveries::change_id.eq(d.change_id),
                    deliveries::body.eq(d.body),
                    deliveries::next_attempt_at.eq(at),
                    deliveries::created_at.eq(at),
                )
            })
            .collect();
        let mut made: Vec<i32> = match conn {
            DbConn::Sqlite(conn) => diesel::insert_into(deliveries::table)
                .values(rows)
                .returning(deliveries::id)
                .get_results(conn)?,
            DbConn::Pg(conn) => diesel::insert_into(deliveries::table)
                .values(rows)
                .returning(deliveries::id)
                .get_results(conn)?,
        };
        ids.append(&mut made);
    }
    Ok(ids)
}

/// A delivery claimed for sending, with where and how to sign it.
#[derive(Clone)]
pub struct Claimed {
    pub id: i32,
    pub webhook_id: i32,
    pub url: String,
    pub secret: String,
    pub event_type: String,
    pub body: String,
    /// This attempt's number (from 1).
    pub attempts: i32,
}

// Written out so that no log line shows the secret.
impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("id", &self.id)
            .field("webhook_id", &self.webhook_id)
            .field("event_type", &self.event_type)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

type ClaimRow = (i32, i32, String, String, String, String, i32);

/// What a claim reads of a delivery and its subscription (`ClaimRow`).
const CLAIM_COLUMNS: (
    deliveries::id,
    deliveries::webhook_id,
    webhooks::url,
    webhooks::secret,
    deliveries::event_type,
    deliveries::body,
    deliveries::attempts,
) = (
    deliveries::id,
    deliveries::webhook_id,
    webhooks::url,
    webhooks::secret,
    deliveries::event_type,
    deliveries::body,
    deliveries::attempts,
);

fn claimed(rows: Vec<ClaimRow>) -> Vec<Claimed> {
    rows.into_iter()
        .map(|(id, webhook_id, url, secret, event_type, body, attempts)| Claimed {
            id,
            webhook_id,
            url,
            secret,
            event_type,
            body,
            attempts: attempts + 1,
        })
        .collect()
}

/// Marks `ids` as being sent until `lease_until`, counting the attempt.
fn lease(conn: &mut DbConn, ids: &[i32], lease_until: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
        .set((
            deliveries::status.eq("sending"),
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::next_attempt_at.eq(to_naive(lease_until)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The oldest delivery still to make to `webhook` (pending, or being sent), if any:
/// `(id, status, next_attempt_at)`. Two seeks of the `(webhook_id, status, id)` index.
fn head(conn: &mut DbConn, webhook: i32) -> QueryResult<Option<(i32, String, NaiveDateTime)>> {
    let mut found: Option<(i32, String, NaiveDateTime)> = None;
    for status in ["pending", "sending"] {
        let first: Option<(i32, String, NaiveDateTime)> = deliveries::table
            .filter(deliveries::webhook_id.eq(webhook))
            .filter(deliveries::status.eq(status))
            .order(deliveries::id.asc())
            .select((deliveries::id, deliveries::status, deliveries::next_attempt_at))
            .first(conn)
            .optional()?;
        found = match (found, first) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
    }
    Ok(found)
}

/// The active subscriptions, other than `skip`, whose oldest delivery is due at `now`:
/// those a round may post to. A receiver whose oldest delivery waits for a retry, or is
/// being sent, is not one of them, so its events go in order and one at a time.
pub fn ready(conn: &mut DbConn, now: DateTime<Utc>, skip: &[i32]) -> QueryResult<Vec<i32>> {
    let active: Vec<i32> = webhooks::table
        .filter(webhooks::active.eq(true))
        .filter(webhooks::id.ne_all(skip))
        .order(webhooks::id.asc())
        .select(webhooks::id)
        .load(conn)?;
    let now = to_naive(now);
    let mut ready = Vec::new();
    for id in active {
        if head(conn, id)?.is_some_and(|(_, _, next)| next <= now) {
            ready.push(id);
        }
    }
    Ok(ready)
}

/// Claims, for each of `webhooks` whose oldest delivery is still due, up to `each` of its
/// deliveries from that one on, oldest first, marking them `sending` until `lease_until`.
/// Run inside `Db::write`, which serialises claimers on every instance.
pub fn claim(
    conn: &mut DbConn,
    webhooks_ready: &[i32],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    each: i64,
) -> QueryResult<Vec<Claimed>> {
    let mut claimed = Vec::new();
    for webhook in webhooks_ready {
        let Some((first, _, next)) = head(conn, *webhook)? else { continue };
        if next > to_naive(now) {
            continue;
        }
        let rows: Vec<ClaimRow> = deliveries::table
            .inner_join(webhooks::table)
            .filter(deliveries::webhook_id.eq(webhook))
            .filter(deliveries::id.ge(first))
            .filter(deliveries::status.eq_any(["pending", "sending"]))
            .filter(deliveries::next_attempt_at.le(to_naive(now)))
            .filter(webhooks::active.eq(true))
            .order(deliveries::id.asc())
            .limit(each)
            .select(CLAIM_COLUMNS)
            .load(conn)?;
        let ids: Vec<i32> = rows.iter().map(|r| r.0).collect();
        lease(conn, &ids, lease_until)?;
        claimed.extend(self::claimed(rows));
    }
    Ok(claimed)
}

/// Queues a test event for `webhook` already claimed until `lease_until` (so no worker
/// takes it before its sender), as its first attempt.
pub fn insert_claimed_test(
    conn: &mut DbConn,
    webhook: i32,
    body: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Option<Claimed>> {
    let new = NewDelivery {
        webhook_id: webhook,
        event_type: crate::domain::webhook::TEST_EVENT,
        event_seq: None,
        change_id: None,
        body,
    };
    let id = insert_deliveries(conn, &[new], now)?[0];
    lease(conn, &[id], lease_until)?;
    let rows: Vec<ClaimRow> = deliveries::table
        .inner_join(webhooks::table)
        .filter(deliveries::id.eq(id))
        .select(CLAIM_COLUMNS)
        .load(conn)?;
    // The row was counted as its first attempt by the lease.
    Ok(claimed(rows).pop().map(|mut c| {
        c.attempts -= 1;
        c
    }))
}

/// Drops the deliveries queued after `after` that have not been sent (the demo's: made
/// data, not news for any receiver); how many.
pub fn drop_pending_after(conn: &mut DbConn, after: i32) -> QueryResult<usize> {
    diesel::delete(
        deliveries::table.filter(deliveries::id.gt(after)).filter(deliveries::status.eq("pending")),
    )
    .execute(conn)
}

/// The newest delivery's id (0 for none).
pub fn last_id(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(deliveries::table.select(diesel::dsl::max(deliveries::id)).first::<Option<i32>>(conn)?.unwrap_or(0))
}

/// The row as its claimer left it: still `sending`, with the attempt it counted. A worker
/// whose lease ran out finds nothing to update, so it cannot undo another's result.
type ClaimedRow = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<deliveries::table, i32>,
        diesel::dsl::Eq<deliveries::status, &'static str>,
    >,
    diesel::dsl::Eq<deliveries::attempts, i32>,
>;

fn claimed_by(id: i32, attempts: i32) -> ClaimedRow {
    deliveries::table
        .find(id)
        .filter(deliveries::status.eq("sending"))
        .filter(deliveries::attempts.eq(attempts))
}

/// What one attempt got back.
pub struct Attempt<'a> {
    pub at: DateTime<Utc>,
    pub response_code: Option<i32>,
    /// None when delivered.
    pub error: Option<&'a str>,
    /// When failed: the next attempt's time, or None to give up.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Records attempt `attempts` of delivery `id`.
pub fn mark(conn: &mut DbConn, id: i32, attempts: i32, attempt: &Attempt<'_>) -> QueryResult<()> {
    let at = to_naive(attempt.at);
    let (status, next, delivered) = match (attempt.error, attempt.retry_at) {
        (None, _) => ("delivered", at, Some(at)),
        (Some(_), Some(retry)) => ("pending", to_naive(retry), None),
        (Some(_), None) => ("failed", at, None),
    };
    diesel::update(claimed_by(id, attempts))
        .set((
            deliveries::status.eq(status),
            deliveries::next_attempt_at.eq(next),
            deliveries::response_code.eq(attempt.response_code),
            deliveries::last_error.eq(attempt.error),
            deliveries::last_attempt_at.eq(Some(at)),
            deliveries::delivered_at.eq(delivered),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives back a claimed delivery unattempted, due at `at` (an earlier delivery to the same
/// receiver failed in this round, and events go to a receiver in order).
pub fn release(conn: &mut DbConn, id: i32, attempts: i32, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(claimed_by(id, attempts))
        .set((
            deliveries::status.eq("pending"),
            deliveries::attempts.eq(attempts - 1),
            deliveries::next_attempt_at.eq(to_naive(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A delivery as its subscription's log shows it.
#[derive(Debug, Clone, Queryable)]
pub struct Delivery {
    pub id: i32,
    pub event_type: String,
    pub event_seq: Option<i64>,
    pub change_id: Option<i32>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub response_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

/// The newest `limit` deliveries of subscription `webhook` (its log index).
pub fn log(conn: &mut DbConn, webhook: i32, limit: i64) -> QueryResult<Vec<Delivery>> {
    deliveries::table
        .filter(deliveries::webhook_id.eq(webhook))
        .order(deliveries::id.desc())
        .limit(limit)
        .select((
            deliveries::id,
            deliveries::event_type,
            deliveries::event_seq,
            deliveries::change_id,
            deliveries::status,
            deliveries::attempts,
            deliveries::next_attempt_at,
            deliveries::response_code,
            deliveries::last_error,
            deliveries::created_at,
            deliveries::last_attempt_at,
            deliveries::delivered_at,
        ))
        .load(conn)
}

/// `(webhook_id, status, count)` of the waiting and failed deliveries of `ids`.
pub fn backlog(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<(i32, String, i64)>> {
    deliveries::table
        .filter(deliveries::webhook_id.eq_any(ids))
        .filter(deliveries::status.eq_any(["pending", "sending", "failed"]))
        .group_by((deliveries::webhook_id, deliveries::status))
        .select((deliveries::webhook_id, deliveries::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Puts a failed delivery of `webhook` back in the queue with its attempts counted anew;
/// false when there is no such failed delivery.
pub fn retry(conn: &mut DbConn, webhook: i32, id: i32, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::webhook_id.eq(webhook))
            .filter(deliveries::status.eq("failed")),
    )
    .set((
        deliveries::status.eq("pending"),
        deliveries::attempts.eq(0),
        deliveries::next_attempt_at.eq(to_naive(now)),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// The status of delivery `id` of `webhook`, if there is one.
pub fn status_of(conn: &mut DbConn, webhook: i32, id: i32) -> QueryResult<Option<String>> {
    deliveries::table
        .find(id)
        .filter(deliveries::webhook_id.eq(webhook))
        .select(deliveries::status)
        .first(conn)
        .optional()
}

/// Ids of deliveries that ended (delivered or failed) before `before`, oldest first.
pub fn ended_before(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    deliveries::table
        .filter(deliveries::status.eq_any(["delivered", "failed"]))
        .filter(deliveries::next_attempt_at.lt(to_naive(before)))
        .order(deliveries::id.asc())
        .limit(limit)
        .select(deliveries::id)
        .load(conn)
}

pub fn delete_deliveries(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(deliveries::table.filter(deliveries::id.eq_any(ids))).execute(conn)
}

pub fn to_time(at: NaiveDateTime) -> DateTime<Utc> {
    to_utc(at)
}
