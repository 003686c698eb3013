//! The webhook worker: claims due deliveries, signs and posts them, and records what the
//! receiver answered. Like the mail worker it is a driver: it reaches the database only
//! through `services::webhooks`. Several instances may run it: claims are made in a write
//! transaction, which serialises them, and last a lease.
//!
//! A receiver never holds anything else up: receivers are posted to concurrently, each
//! request bounded by short timeouts, and after a failure the rest of a receiver's
//! deliveries wait with it; redirects are not followed; a failure waits longer
//! each time (30 s, 1 min, 2 min … at most an hour) and is given up after `MAX_ATTEMPTS`.

use crate::domain::webhook::{signature, WebhookUrl};
use crate::services::webhooks::{self as service, Claimed, Outcome};
use crate::services::{run, Ctx, ServiceResult};
use chrono::Duration;
use std::time::Duration as StdDuration;

/// Attempts before a delivery is given up as `failed` (about three hours of retries).
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a claim lasts before another worker may take the delivery over: well past
/// the timeout of a round's concurrent posts.
pub const LEASE: Duration = Duration::minutes(2);
/// Deliveries one round claims.
const BATCH: i64 = 20;
/// How long a receiver has to accept the connection, and to answer.
const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(3);
const TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// The HTTP client deliveries go through: no redirects, short timeouts, no proxy from
/// the environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .no_proxy()
        .user_agent(concat!("Endring-Webhook/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook client's settings are valid")
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
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
    let url = match WebhookUrl::parse(&delivery.url, &ctx.config.webhook_http_hosts) {
        Ok(url) => url,
        Err(_) => {
            let error =
                "the address is no longer allowed (https only, unless webhook_http_hosts names the host)";
            return Outcome::Failed { code: None, error: error.into(), retry_at: None };
        }
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
            let error = match response.headers().get(reqwest::header::LOCATION) {
                Some(_) if status.is_redirection() => format!("HTTP {status}: redirects are not followed"),
                _ => format!("HTTP {status}"),
            };
            failed(Some(i32::from(status.as_u16())), error)
        }
        Err(error) => {
            let why = if error.is_timeout() {
                "no answer in time".to_owned()
            } else if error.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            };
            failed(None, format!("{why}: {}", without_url(&error)))
        }
    }
}

/// An HTTP client error's words, without the address (which the log shows anyway).
fn without_url(error: &reqwest::Error) -> String {
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

/// Claims the due deliveries and posts them: each receiver's in order, one after another,
/// the receivers concurrently. After a failure the rest of that receiver's deliveries wait
/// with the failed one (so events reach a receiver in order, and a dead receiver costs a
/// round one timeout, not one per delivery).
pub async fn deliver_due(ctx: &Ctx, client: &reqwest::Client) -> ServiceResult<Round> {
    let claimed = run(ctx, |ctx| service::claim_due(ctx, LEASE, BATCH)).await?;
    let mut receivers: Vec<Vec<Claimed>> = Vec::new();
    for delivery in claimed {
        match receivers.iter_mut().find(|group| group[0].webhook_id == delivery.webhook_id) {
            Some(group) => group.push(delivery),
            None => receivers.push(vec![delivery]),
        }
    }
    let rounds = futures_util::future::join_all(
        receivers.into_iter().map(|group| to_one_receiver(ctx, client, group)),
    )
    .await;
    let mut total = Round::default();
    for round in rounds {
        let round = round?;
        total.delivered += round.delivered;
        total.retried += round.retried;
        total.failed += round.failed;
    }
    Ok(total)
}

/// Posts one receiver's claimed deliveries in order; see `deliver_due`.
async fn to_one_receiver(ctx: &Ctx, client: &reqwest::Client, group: Vec<Claimed>) -> ServiceResult<Round> {
    let mut round = Round::default();
    let mut held_until = None;
    for delivery in group {
        if let Some(at) = held_until {
            run(ctx, move |ctx| service::release(ctx, &delivery, at)).await?;
            continue;
        }
        let outcome = send(ctx, client, &delivery).await;
        match &outcome {
            Outcome::Delivered { .. } => round.delivered += 1,
            Outcome::Failed { error, retry_at, .. } => {
                tracing::warn!(delivery = delivery.id, webhook = delivery.webhook_id, attempt = delivery.attempts, %error, "webhook not delivered");
                match retry_at {
                    Some(_) => round.retried += 1,
                    None => round.failed += 1,
                }
                held_until = *retry_at;
            }
        }
        run(ctx, move |ctx| service::record_attempt(ctx, &delivery, &outcome)).await?;
    }
    Ok(round)
}

/// Sends delivery `id` at once if it still waits (the admin page's test event), and
/// records the outcome as the worker would.
pub async fn deliver_now(ctx: &Ctx, client: &reqwest::Client, id: i32) -> ServiceResult<()> {
    let Some(delivery) = run(ctx, move |ctx| service::claim_one(ctx, id, LEASE)).await? else {
        return Ok(());
    };
    let outcome = send(ctx, client, &delivery).await;
    run(ctx, move |ctx| service::record_attempt(ctx, &delivery, &outcome)).await
}

/// Runs rounds until the process stops, pausing `every` between them (at once after a
/// full batch), and starts them again if they ever stop.
pub async fn supervise(ctx: Ctx, every: StdDuration) {
    loop {
        let worker = actix_web::rt::spawn(rounds(ctx.clone(), every));
        match worker.await {
            Ok(()) => tracing::error!("the webhook worker stopped; starting it again"),
            Err(error) => tracing::error!(%error, "the webhook worker died; starting it again"),
        }
        tokio::time::sleep(StdDuration::from_secs(5)).await;
    }
}

async fn rounds(ctx: Ctx, every: StdDuration) {
    let client = client();
    loop {
        let handled = match deliver_due(&ctx, &client).await {
            Ok(round) => {
                if round != Round::default() {
                    tracing::info!(?round, "webhooks");
                }
                round.delivered + round.retried + round.failed
            }
            Err(error) => {
                tracing::error!(%error, "webhook round failed");
                0
            }
        };
        if handled as i64 != BATCH {
            tokio::time::sleep(every).await;
        }
    }
}
