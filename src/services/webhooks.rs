//! Outbound webhooks: admins subscribe an address to event types; every audit event about
//! a change that is one of those types queues a delivery to each active subscription in
//! the event's own transaction (`enqueue`, called by `audit::record`); the webhook worker
//! claims, signs and sends them with retries (`crate::webhooks`), and each subscription's
//! deliveries are its log.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::webhooks::{self as repo, Attempt, NewDelivery};
use crate::db::DbConn;
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState};
use crate::domain::validation::{FieldErrors, Message};
use crate::domain::webhook::{self as hook, EventType, WebhookUrl};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most subscriptions one list shows, and most deliveries one log shows.
pub const LIST_LIMIT: i64 = 100;
pub const LOG_LIMIT: i64 = 100;

/// A subscription as the API and the admin page show it (never its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: i32,
    pub url: String,
    /// The event types it hears.
    pub events: Vec<EventType>,
    /// False: paused; nothing is queued for it and what waits is held.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Deliveries waiting to be sent (or being sent).
    pub waiting: i64,
    /// Deliveries given up after every retry.
    pub failed: i64,
}

impl WebhookView {
    fn new(row: repo::Webhook, waiting: i64, failed: i64) -> Self {
        WebhookView {
            id: row.id,
            events: hook::parse_types(&row.event_types),
            url: row.url,
            active: row.active,
            created_at: repo::to_time(row.created_at),
            updated_at: repo::to_time(row.updated_at),
            waiting,
            failed,
        }
    }
}

/// A new subscription.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to send: `https://…` (plain `http` only to hosts in `webhook_http_hosts`).
    #[schema(schema_with = crate::domain::schema::webhook_url)]
    pub url: String,
    /// The key deliveries are signed with (16–200 printable characters); left out, one is
    /// made and shown once in the answer.
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::webhook_secret_or_null)]
    pub secret: Option<String>,
    /// At least one event type.
    #[schema(min_items = 1)]
    pub events: Vec<EventType>,
    /// Paused from the start when false.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// A subscription with its secret, answered once when it is made (or its secret set).
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The signing key: keep it in the receiver; it is not shown again.
    pub secret: String,
}

/// What an edit changes; fields left out are kept.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEdit {
    #[schema(schema_with = crate::domain::schema::webhook_url_or_null)]
    pub url: Option<String>,
    /// A new signing key (16–200 printable characters).
    #[schema(schema_with = crate::domain::schema::webhook_secret_or_null)]
    pub secret: Option<String>,
    #[schema(min_items = 1)]
    pub events: Option<Vec<EventType>>,
    /// False pauses it, true resumes it (what waited is then sent).
    pub active: Option<bool>,
}

// Written out so that no log line or panic message shows a secret.
impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CreatedWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedWebhook").field("webhook", &self.webhook).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for WebhookEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEdit")
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// One delivery in a subscription's log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i32,
    /// An event type, or `test`.
    pub event_type: String,
    /// The audit event it announces (none for a test).
    pub event_seq: Option<i64>,
    pub change_id: Option<i32>,
    /// `pending`, `sending`, `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    /// The receiver's HTTP status at the last attempt, if it answered.
    pub response_code: Option<i32>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it is tried next, while it waits.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<repo::Delivery> for DeliveryView {
    fn from(row: repo::Delivery) -> Self {
        let waiting = matches!(row.status.as_str(), "pending" | "sending");
        DeliveryView {
            id: row.id,
            event_type: row.event_type,
            event_seq: row.event_seq,
            change_id: row.change_id,
            status: row.status,
            attempts: row.attempts,
            response_code: row.response_code,
            error: row.last_error,
            created_at: repo::to_time(row.created_at),
            last_attempt_at: row.last_attempt_at.map(repo::to_time),
            delivered_at: row.delivered_at.map(repo::to_time),
            next_attempt_at: waiting.then(|| repo::to_time(row.next_attempt_at)),
        }
    }
}

fn require(ctx: &Ctx, caller: &Caller) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageWebhooks, &Object::none())
}

fn not_found(id: i32) -> ServiceError {
    ServiceError::NotFound(format!("there is no webhook {id}"))
}

/// Reads the address, the event types and a chosen secret, naming every bad field.
fn check(
    ctx: &Ctx,
    url: Option<&str>,
    events: Option<&[EventType]>,
    secret: Option<&str>,
) -> ServiceResult<(Option<WebhookUrl>, Option<String>)> {
    let mut errors = FieldErrors::default();
    let url = url.and_then(|url| errors.check("url", WebhookUrl::parse(url, &ctx.config.webhook_http_hosts)));
    if events.is_some_and(|events| events.is_empty()) {
        errors.add("events", Message::new("msg-webhook-events"));
    }
    if let Some(secret) = secret {
        errors.check("secret", hook::check_secret(secret));
    }
    Ok(errors.finish(|| (url, events.map(hook::types_text)))?)
}

/// An address as the audit trail keeps it: without its query, where receivers such as
/// chat tools put their own secret.
fn logged_url(url: &str) -> String {
    match url.split_once('?') {
        Some((path, _)) => format!("{path}?…"),
        None => url.to_owned(),
    }
}

/// A signing key: 32 random bytes, hex, marked as Endring's.
fn new_secret() -> String {
    format!("whsec_{}", super::auth::random_token())
}

/// Subscribes an address (admins); the answer holds the secret, shown this once.
pub fn create(ctx: &Ctx, caller: &Caller, new: NewWebhook) -> ServiceResult<CreatedWebhook> {
    require(ctx, caller)?;
    let (url, types) = check(ctx, Some(&new.url), Some(&new.events), new.secret.as_deref())?;
    let (url, types) = (url.expect("checked"), types.expect("checked"));
    let secret = new.secret.unwrap_or_else(new_secret);
    let now = ctx.clock.now();
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        let row = repo::NewWebhook {
            url: url.as_str(),
            secret: &secret,
            event_types: &types,
            active: new.active,
            created_by: caller.id.0,
        };
        let id = repo::insert(conn, &row, now)?;
        let payload = json!({ "webhook_id": id, "url": logged_url(url.as_str()), "events": types, "active": new.active });
        record(conn, Event::general(Some(caller.id), "create_webhook", payload), now)?;
        Ok(id)
    })?;
    Ok(CreatedWebhook { webhook: get(ctx, caller, id)?, secret })
}

/// Every subscription (admins), oldest first, with what waits and what failed.
pub fn list(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<WebhookView>> {
    require(ctx, caller)?;
    ctx.db.read(|conn| {
        let rows = repo::list(conn, LIST_LIMIT)?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let backlog = repo::backlog(conn, &ids)?;
        let count = |id: i32, statuses: &[&str]| -> i64 {
            backlog
                .iter()
                .filter(|(w, s, _)| *w == id && statuses.contains(&s.as_str()))
                .map(|(_, _, n)| n)
                .sum()
        };
        Ok(rows
            .into_iter()
            .map(|row| {
                let (waiting, failed) = (count(row.id, &["pending", "sending"]), count(row.id, &["failed"]));
                WebhookView::new(row, waiting, failed)
            })
            .collect())
    })
}

/// One subscription (admins).
pub fn get(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<WebhookView> {
    require(ctx, caller)?;
    ctx.db.read(|conn| view(conn, id))
}

fn view(conn: &mut DbConn, id: i32) -> ServiceResult<WebhookView> {
    let row = repo::find(conn, id)?.ok_or_else(|| not_found(id))?;
    let backlog = repo::backlog(conn, &[id])?;
    let count = |statuses: &[&str]| -> i64 {
        backlog.iter().filter(|(_, s, _)| statuses.contains(&s.as_str())).map(|(_, _, n)| n).sum()
    };
    Ok(WebhookView::new(row, count(&["pending", "sending"]), count(&["failed"])))
}

/// Changes a subscription's address, secret, event types or state (admins).
pub fn update(ctx: &Ctx, caller: &Caller, id: i32, edit: WebhookEdit) -> ServiceResult<WebhookView> {
    require(ctx, caller)?;
    let (url, types) = check(ctx, edit.url.as_deref(), edit.events.as_deref(), edit.secret.as_deref())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let changes = repo::Edit {
            url: url.as_ref().map(WebhookUrl::as_str),
            secret: edit.secret.as_deref(),
            event_types: types.as_deref(),
            active: edit.active,
        };
        if !repo::update(conn, id, &changes, now)? {
            return Err(not_found(id));
        }
        let payload = json!({
            "webhook_id": id,
            "url": changes.url.map(logged_url),
            "events": changes.event_types,
            "active": changes.active,
            "new_secret": changes.secret.is_some(),
        });
        record(conn, Event::general(Some(caller.id), "update_webhook", payload), now)?;
        Ok(())
    })?;
    get(ctx, caller, id)
}

/// Deletes a subscription and its log (admins); what waited is not sent.
pub fn delete(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    require(ctx, caller)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let row = repo::find(conn, id)?.ok_or_else(|| not_found(id))?;
        repo::delete(conn, id)?;
        let payload = json!({ "webhook_id": id, "url": logged_url(&row.url) });
        record(conn, Event::general(Some(caller.id), "delete_webhook", payload), now)?;
        Ok(())
    })
}

/// A subscription's newest deliveries (admins).
pub fn deliveries(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<Vec<DeliveryView>> {
    require(ctx, caller)?;
    ctx.db.read(|conn| {
        repo::find(conn, id)?.ok_or_else(|| not_found(id))?;
        Ok(repo::log(conn, id, LOG_LIMIT)?.into_iter().map(DeliveryView::from).collect())
    })
}

/// One delivery of a subscription (admins).
pub fn delivery(ctx: &Ctx, caller: &Caller, webhook: i32, id: i32) -> ServiceResult<DeliveryView> {
    deliveries(ctx, caller, webhook)?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("webhook {webhook} has no recent delivery {id}")))
}

/// Queues a test event for a subscription, paused or not (admins), already claimed for
/// `lease` so that the caller sends it at once and no worker takes it first.
pub fn test(ctx: &Ctx, caller: &Caller, id: i32, lease: Duration) -> ServiceResult<Claimed> {
    require(ctx, caller)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        repo::find(conn, id)?.ok_or_else(|| not_found(id))?;
        let body = json!({
            "type": hook::TEST_EVENT,
            "webhook_id": id,
            "at": now,
            "message": "A test event from Endring: the address answers and the signature can be checked.",
        })
        .to_string();
        let claimed =
            repo::insert_claimed_test(conn, id, &body, now, now + lease)?.ok_or_else(|| not_found(id))?;
        let payload = json!({ "webhook_id": id, "delivery_id": claimed.id });
        record(conn, Event::general(Some(caller.id), "test_webhook", payload), now)?;
        Ok(claimed)
    })
}

/// Puts a failed delivery back in the queue (admins).
pub fn retry(ctx: &Ctx, caller: &Caller, webhook: i32, id: i32) -> ServiceResult<()> {
    require(ctx, caller)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        if !repo::retry(conn, webhook, id, now)? {
            return Err(match repo::status_of(conn, webhook, id)? {
                Some(_) => {
                    ServiceError::Conflict(Message::new("msg-webhook-delivery-not-failed").arg("id", id))
                }
                None => ServiceError::NotFound(format!("webhook {webhook} has no delivery {id}")),
            });
        }
        let payload = json!({ "webhook_id": webhook, "delivery_id": id });
        record(conn, Event::general(Some(caller.id), "retry_webhook_delivery", payload), now)?;
        Ok(())
    })
}

/// The change as a delivery carries it: what a receiver needs to act, and where to read
/// the rest (`path`, under the service's address, which the worker adds as `url`).
fn change_json(change: &Change) -> Value {
    json!({
        "id": change.id.0,
        "reference": change.id.reference(),
        "title": change.title,
        "change_type": change.change_type,
        "state": change.state,
        "version": change.version,
        "risk_level": change.risk.level,
        "risk_score": change.risk.score,
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "actual_start": change.actual_start,
        "actual_end": change.actual_end,
        "closure_code": change.closure_code,
        "requester_id": change.requester_id.0,
        "implementer_id": change.implementer_id.map(|u| u.0),
        "path": format!("/changes/{}", change.id.0),
    })
}

/// What `enqueue` needs of the event being recorded.
pub(crate) struct Announced<'a> {
    pub seq: i64,
    pub action: &'a str,
    pub actor: Option<i32>,
    pub from: Option<ChangeState>,
    pub to: Option<ChangeState>,
    pub payload: &'a Value,
    pub at: DateTime<Utc>,
}

/// Queues a delivery of `event` to every active subscription that hears one of its
/// types; called by `audit::record` inside the event's transaction, so a delivery exists
/// exactly when its event does. Most events are no type and cost nothing; the others one
/// look at the few active subscriptions.
pub(crate) fn enqueue(conn: &mut DbConn, change: &Change, event: &Announced<'_>) -> diesel::QueryResult<()> {
    let types = hook::event_types(event.action, event.from, event.to);
    if types.is_empty() {
        return Ok(());
    }
    let listeners = repo::listeners(conn)?;
    if listeners.is_empty() {
        return Ok(());
    }
    let bodies: Vec<(EventType, String)> = types
        .iter()
        .map(|t| {
            let body = json!({
                "type": t,
                "event": {
                    "seq": event.seq,
                    "action": event.action,
                    "actor_id": event.actor,
                    "from": event.from,
                    "to": event.to,
                    "at": event.at,
                    "payload": event.payload,
                },
                "change": change_json(change),
            });
            (*t, body.to_string())
        })
        .collect();
    let mut new = Vec::new();
    for (id, heard) in &listeners {
        let heard = hook::parse_types(heard);
        for (t, body) in &bodies {
            if heard.contains(t) {
                new.push(NewDelivery {
                    webhook_id: *id,
                    event_type: t.as_str(),
                    event_seq: Some(event.seq),
                    change_id: Some(change.id.0),
                    body,
                });
            }
        }
    }
    repo::insert_deliveries(conn, &new, event.at)?;
    Ok(())
}

/// A delivery claimed for sending.
pub type Claimed = repo::Claimed;

/// Claims, for each active receiver but those in `skip` (being posted to by this
/// instance) whose oldest delivery is due, up to `each` deliveries in order, for `lease`.
/// Which are due is looked up first, so an idle worker takes no write lock.
pub fn claim_due(ctx: &Ctx, skip: &[i32], lease: Duration, each: i64) -> ServiceResult<Vec<Claimed>> {
    let now = ctx.clock.now();
    let ready = ctx.db.query(|conn| repo::ready(conn, now, skip))?;
    if ready.is_empty() {
        return Ok(Vec::new());
    }
    ctx.db.write(|conn| -> ServiceResult<_> { Ok(repo::claim(conn, &ready, now, now + lease, each)?) })
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered { code: i32 },
    /// Not delivered (an answer other than 2xx, or none); tried again at `retry_at`, or
    /// given up when it is `None`.
    Failed { code: Option<i32>, error: String, retry_at: Option<DateTime<Utc>> },
}

/// Gives a claimed delivery back unattempted, due at `at`.
pub fn release(ctx: &Ctx, claimed: &Claimed, at: DateTime<Utc>) -> ServiceResult<()> {
    ctx.db.write(|conn| -> ServiceResult<()> { Ok(repo::release(conn, claimed.id, claimed.attempts, at)?) })
}

/// Records the outcome of the attempt `claimed` was claimed for (a worker whose lease ran
/// out changes nothing).
pub fn record_attempt(ctx: &Ctx, claimed: &Claimed, outcome: &Outcome) -> ServiceResult<()> {
    let at = ctx.clock.now();
    let attempt = match outcome {
        Outcome::Delivered { code } => {
            Attempt { at, response_code: Some(*code), error: None, retry_at: None }
        }
        Outcome::Failed { code, error, retry_at } => {
            Attempt { at, response_code: *code, error: Some(error), retry_at: *retry_at }
        }
    };
    ctx.db
        .write(|conn| -> ServiceResult<()> { Ok(repo::mark(conn, claimed.id, claimed.attempts, &attempt)?) })
}
