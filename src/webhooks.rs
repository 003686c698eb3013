//! The webhook worker: claims due deliveries, signs and posts them, and records what the
//! receiver answered. Like the mail worker it is a driver: it reaches the database only
//! through `services::webhooks`. Several instances may run it: claims are made in a write
//! transaction, which serialises them, and last a lease.
//!
//! Each receiver is posted to by a task of its own, so a slow or dead receiver holds up
//! no other: a round claims only for receivers this instance is not already posting to,
//! and only those whose oldest delivery is due — so a receiver gets its events in order,
//! one after another, and one waiting for a retry gets nothing newer meanwhile. Requests
//! have short timeouts and follow no redirect; a failure waits longer each time (30 s,
//! 1 min, 2 min … at most an hour) and is given up after `MAX_ATTEMPTS`.

use crate::domain::webhook::{signature, Failure, WebhookUrl};
use crate::services::webhooks::{self as service, Claimed, Outcome};
use crate::services::{run, Ctx, ServiceResult};
use chrono::Duration;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

/// Attempts before a delivery is given up as `failed` (about three hours of retries).
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a claim lasts before another worker may take the delivery over: well past
/// `EACH` deliveries that each take the longest a request may.
pub const LEASE: Duration = Duration::minutes(2);
/// Deliveries one claim takes for one receiver.
const EACH: i64 = 5;
/// How long a receiver has to accept the connection, and to answer.
const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(3);
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// The HTTP client deliveries go through: no redirects, `timeout` for an answer, no proxy
/// from the environment.
pub fn client(timeout: StdDuration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .timeout(timeout)
        .no_proxy()
        .user_agent(concat!("Endring-Webhook/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook client's settings are valid")
}

/// What the posts since the last look did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

/// One instance's webhook worker: its client, the receivers it is posting to now, and
/// what its posts did.
#[derive(Clone)]
pub struct Worker {
    client: reqwest::Client,
    posting: Arc<Mutex<HashSet<i32>>>,
    done: Arc<Mutex<Round>>,
}

/// Takes a receiver off the worker's list when its task ends, however it ends.
struct Posting {
    webhook: i32,
    posting: Arc<Mutex<HashSet<i32>>>,
}

impl Drop for Posting {
    fn drop(&mut self) {
        self.posting.lock().expect("posting list").remove(&self.webhook);
    }
}

impl Worker {
    pub fn new(client: reqwest::Client) -> Worker {
        Worker { client, posting: Default::default(), done: Default::default() }
    }

    /// Claims what is due for the receivers not being posted to, and starts a task for
    /// each of them; how many deliveries it claimed.
    pub async fn round(&self, ctx: &Ctx) -> ServiceResult<usize> {
        let skip: Vec<i32> = self.posting.lock().expect("posting list").iter().copied().collect();
        let claimed = run(ctx, move |ctx| service::claim_due(ctx, &skip, LEASE, EACH)).await?;
        let count = claimed.len();
        let mut receivers: Vec<Vec<Claimed>> = Vec::new();
        for delivery in claimed {
            match receivers.iter_mut().find(|group| group[0].webhook_id == delivery.webhook_id) {
                Some(group) => group.push(delivery),
                None => receivers.push(vec![delivery]),
            }
        }
        for group in receivers {
            let webhook = group[0].webhook_id;
            self.posting.lock().expect("posting list").insert(webhook);
            let guard = Posting { webhook, posting: self.posting.clone() };
            let (ctx, worker) = (ctx.clone(), self.clone());
            actix_web::rt::spawn(async move {
                let _guard = guard;
                if let Err(error) = worker.to_one_receiver(&ctx, group).await {
                    tracing::error!(%error, webhook, "recording a webhook delivery failed");
                }
            });
        }
        Ok(count)
    }

    /// Whether this worker is posting to anyone now.
    pub fn busy(&self) -> bool {
        !self.posting.lock().expect("posting list").is_empty()
    }

    /// Waits until no post of this worker is under way.
    pub async fn idle(&self) {
        while self.busy() {
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    }

    /// What the posts did since the last call.
    pub fn take(&self) -> Round {
        std::mem::take(&mut *self.done.lock().expect("counts"))
    }

    /// Posts one receiver's claimed deliveries in order; after a failure the rest wait
    /// with the failed one (given back unattempted).
    async fn to_one_receiver(&self, ctx: &Ctx, group: Vec<Claimed>) -> ServiceResult<()> {
        let mut held_until = None;
        for delivery in group {
            if let Some(at) = held_until {
                run(ctx, move |ctx| service::release(ctx, &delivery, at)).await?;
                continue;
            }
            let outcome = send(ctx, &self.client, &delivery).await;
            {
                let mut done = self.done.lock().expect("counts");
                match &outcome {
                    Outcome::Delivered { .. } => done.delivered += 1,
                    Outcome::Failed { retry_at: Some(_), .. } => done.retried += 1,
                    Outcome::Failed { retry_at: None, .. } => done.failed += 1,
                }
            }
            if let Outcome::Failed { error, retry_at, .. } = &outcome {
                tracing::warn!(delivery = delivery.id, webhook = delivery.webhook_id, attempt = delivery.attempts, %error, "webhook not delivered");
                held_until = *retry_at;
            }
            run(ctx, move |ctx| service::record_attempt(ctx, &delivery, &outcome)).await?;
        }
        Ok(())
    }
}

/// The body as sent: a change's `path` becomes its full `url` under the service's address.
fn body_to_send(ctx: &Ctx, stored: &str) -> String {
    let Ok(mut body) = serde_json::from_str::<serde_json::Value>(stored) else { return stored.to_owned() };
    if let Some(change) = body.get_mut("change").and_then(|c| c.as_object_mut()) {
        if let Some(path) = change.get("path").and_then(|p| p.as_str()).map(str::to_owned) {
            let base = ctx.config.base_url.trim_end_matches('/');
            change.insert("url".into(), serde_json::Value::String(format!("{base}{path}")));
        }
    }
    body.to_string()
}

/// Posts one claimed delivery and says what became of it (with the retry decided).
pub async fn send(ctx: &Ctx, client: &reqwest::Client, delivery: &Claimed) -> Outcome {
    let failed = |code: Option<i32>, error: String| {
        let retry_at = (delivery.attempts < MAX_ATTEMPTS)
            .then(|| ctx.clock.now() + crate::mail::worker::backoff(delivery.attempts));
        Outcome::Failed { code, error, retry_at }
    };
    // The operator may have withdrawn plain http for the host since it was subscribed.
    let Ok(url) = WebhookUrl::parse(&delivery.url, &ctx.config.webhook_http_hosts) else {
        let error = Failure::Address.with(&delivery.url);
        return Outcome::Failed { code: None, error, retry_at: None };
    };
    let body = body_to_send(ctx, &delivery.body);
    let t = ctx.clock.now().timestamp();
    let request = client
        .post(url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Endring-Signature", signature(&delivery.secret, t, &body))
        .header("X-Endring-Event", &delivery.event_type)
        .header("X-Endring-Delivery", delivery.id.to_string())
        .body(body);
    match request.send().await {
        Ok(response) if response.status().is_success() => {
            Outcome::Delivered { code: i32::from(response.status().as_u16()) }
        }
        Ok(response) => {
            let status = response.status();
            let kind = if status.is_redirection() { Failure::Redirect } else { Failure::Http };
            failed(Some(i32::from(status.as_u16())), kind.with(&format!("HTTP {status}")))
        }
        Err(error) => {
            let kind = if error.is_timeout() {
                Failure::Timeout
            } else if error.is_connect() {
                Failure::Connect
            } else {
                Failure::Request
            };
            failed(None, kind.with(&causes(&error)))
        }
    }
}

/// An HTTP client error's causes, without the address (which the log shows anyway).
fn causes(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut words = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push(cause.to_string());
        source = cause.source();
    }
    match words.is_empty() {
        true => error.to_string(),
        false => words.join(": "),
    }
}

/// Sends a test event now (queued already claimed, so no worker takes it first), records
/// the outcome as the worker would, and gives the delivery's id.
pub async fn send_test(ctx: &Ctx, caller: crate::domain::caller::Caller, webhook: i32) -> ServiceResult<i32> {
    let delivery = run(ctx, move |ctx| service::test(ctx, &caller, webhook, LEASE)).await?;
    let id = delivery.id;
    let outcome = send(ctx, &client(TIMEOUT), &delivery).await;
    run(ctx, move |ctx| service::record_attempt(ctx, &delivery, &outcome)).await?;
    Ok(id)
}

/// Runs rounds until the process stops, every `every`, and starts them again if they
/// ever stop.
pub async fn supervise(ctx: Ctx, every: StdDuration) {
    let worker = Worker::new(client(TIMEOUT));
    loop {
        let (ctx, worker) = (ctx.clone(), worker.clone());
        let rounds = actix_web::rt::spawn(async move {
            loop {
                if let Err(error) = worker.round(&ctx).await {
                    tracing::error!(%error, "webhook round failed");
                }
                tokio::time::sleep(every).await;
            }
        });
        match rounds.await {
            Ok(()) => tracing::error!("the webhook worker stopped; starting it again"),
            Err(error) => tracing::error!(%error, "the webhook worker died; starting it again"),
        }
        tokio::time::sleep(StdDuration::from_secs(5)).await;
    }
}
