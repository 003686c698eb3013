//! The outbox worker: claims due notices, sends them, and records the outcome. Several
//! instances can run it at once: claims are made in a write transaction, which serialises
//! them, and a claim lasts a lease, after which a notice its worker never finished is due
//! again. Failures retry with exponential backoff up to `MAX_ATTEMPTS`, then stay `failed`.

use super::invitation::{invitation, Method};
use super::notice::{render, Facts, NoticeKind, VoteLinks};
use super::transport::{build, Content, Invitation, Transport};
use crate::domain::ids::{ChangeId, UserId};
use crate::domain::meeting::{MeetingMail, MeetingNotice};
use crate::i18n::Lang;
use crate::services::outbox::{self, Delivery, Due};
use crate::services::{run, Ctx, ServiceResult};
use chrono::Duration;
use std::time::Duration as StdDuration;

/// Attempts before a notice is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claim lasts before another worker may take the notice over.
pub const LEASE: Duration = Duration::minutes(5);
/// Notices one round claims: few enough that all are sent well within the lease even if
/// each takes the SMTP timeout.
const BATCH: i64 = 10;

/// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min … at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let seconds = 30_i64.saturating_mul(1_i64 << attempts.clamp(0, 20).saturating_sub(1));
    Duration::seconds(seconds.min(3600))
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Vote requests and reminders not sent: the change was decided since they were queued.
    pub skipped: usize,
}

impl Round {
    /// The notices the round claimed and dealt with, whatever became of each.
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.failed + self.skipped
    }

    /// Whether the round took a whole batch, so that more may be waiting: the worker goes
    /// on at once instead of pausing. Skipped notices count (a CAB that decided quickly
    /// leaves one stale vote request per voter; pausing after each batch of them drained a
    /// queue of 24,000 in minutes instead of seconds).
    pub fn took_a_full_batch(&self) -> bool {
        self.handled() as i64 >= BATCH
    }
}

/// Fresh Approve and Reject links for one voter.
async fn vote_links(
    ctx: &Ctx,
    change: ChangeId,
    voter: UserId,
    for_voter: Option<UserId>,
    round: i32,
) -> Result<VoteLinks, String> {
    let (approve, reject) = run(ctx, move |ctx| outbox::vote_tokens(ctx, change, voter, for_voter, round))
        .await
        .map_err(|e| e.to_string())?;
    let base = ctx.config.base_url.trim_end_matches('/');
    Ok(VoteLinks {
        approve: format!("{base}/vote/{approve}"),
        reject: format!("{base}/vote/{reject}"),
        change: None,
    })
}

/// `Name <address>` → `address`.
fn sender_address(mail_from: &str) -> &str {
    match (mail_from.find('<'), mail_from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &mail_from[open + 1..close],
        _ => mail_from.trim(),
    }
}

fn message_id(notice: &Due, domain: &str) -> String {
    format!("<outbox-{}-{}@{domain}>", notice.id, notice.created_at.timestamp())
}

/// Claims the due notices and sends them; returns what happened.
///
/// The batch's messages go out at once, each on a connection of the SMTP pool (up to ten),
/// and each notice's outcome is recorded as soon as its message is done: sent one after
/// another, every message waited for the server's answers in turn, and at least one
/// delayed TCP acknowledgement (lettre writes a message's final `.` on its own, 40 ms on
/// Linux; each message still waits it, but ten wait together), so 1,000 notices took 44 s
/// to a server on loopback, now 5–6 s (docs/decisions.md, bench/RESULTS.md).
pub async fn deliver_due(ctx: &Ctx, transport: &Transport) -> ServiceResult<Round> {
    let claimed = run(ctx, |ctx| outbox::claim_due(ctx, LEASE, BATCH)).await?;
    let outcomes =
        futures_util::future::join_all(claimed.into_iter().map(|notice| deliver_one(ctx, transport, notice)))
            .await;
    // Every notice's outcome counts, even when another's could not be recorded.
    let mut round = Round::default();
    let mut first_error = None;
    for outcome in outcomes {
        match outcome {
            Ok(Outcome::Sent) => round.sent += 1,
            Ok(Outcome::Skipped) => round.skipped += 1,
            Ok(Outcome::Retried) => round.retried += 1,
            Ok(Outcome::Failed) => round.failed += 1,
            Err(error) => {
                tracing::error!(%error, "a notice's delivery could not be recorded");
                first_error.get_or_insert(error);
            }
        }
    }
    for (result, n) in [
        ("sent", round.sent),
        ("retried", round.retried),
        ("failed", round.failed),
        ("skipped", round.skipped),
    ] {
        if n > 0 {
            metrics::counter!("endring_mail_total", "result" => result).increment(n as u64);
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(round),
    }
}

/// What became of one notice.
enum Outcome {
    Sent,
    Skipped,
    Retried,
    Failed,
}

/// Sends one claimed notice and records what became of it.
async fn deliver_one(ctx: &Ctx, transport: &Transport, notice: Due) -> ServiceResult<Outcome> {
    let (delivery, outcome) = match send_one(ctx, transport, &notice).await {
        Ok(()) => (Delivery::Sent, Outcome::Sent),
        // Nothing to send: the row leaves the queue as done.
        Err(Failure::Stale(why)) => {
            tracing::info!(notice = notice.id, why, "notice not sent");
            (Delivery::Sent, Outcome::Skipped)
        }
        // A notice that can never be sent (bad address, unknown kind) fails at once.
        Err(Failure::Permanent(error)) => (Delivery::GaveUp { error }, Outcome::Failed),
        Err(Failure::Transient(error)) if notice.attempt < MAX_ATTEMPTS => {
            (Delivery::Retry { error, at: ctx.clock.now() + backoff(notice.attempt) }, Outcome::Retried)
        }
        Err(Failure::Transient(error)) => (Delivery::GaveUp { error }, Outcome::Failed),
    };
    if let Delivery::Retry { error, .. } | Delivery::GaveUp { error } = &delivery {
        tracing::warn!(notice = notice.id, attempt = notice.attempt, %error, "notice not delivered");
    }
    // The message is out: a database that fails for a moment (a failover, a full pool)
    // must not make it due again after the lease, so the record is tried three times.
    // Recording is idempotent: it only touches a row still claimed by this attempt.
    let mut tries = 0;
    loop {
        let (notice, delivery) = (notice.clone(), delivery.clone());
        match run(ctx, move |ctx| outbox::record_delivery(ctx, &notice, &delivery)).await {
            Ok(()) => return Ok(outcome),
            Err(error) if tries < 2 => {
                tracing::warn!(%error, "recording a delivery failed; trying again");
                tries += 1;
                tokio::time::sleep(StdDuration::from_millis(200)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Why a notice was not sent: worth retrying (the server, the network) or not.
enum Failure {
    Transient(String),
    Permanent(String),
    /// Not worth sending any more (a vote request about a change already decided).
    Stale(&'static str),
}

/// The reader's language and zone (the service's zone when they chose none).
fn reader(ctx: &Ctx, notice: &Due) -> (Lang, chrono_tz::Tz) {
    let lang = notice.language.as_deref().and_then(Lang::parse).unwrap_or(Lang::Nb);
    let zone =
        notice.timezone.as_deref().and_then(|z| z.parse().ok()).unwrap_or_else(|| ctx.config.time_zone());
    (lang, zone)
}

/// Builds the message for `notice` and hands it to the transport.
async fn deliver(
    ctx: &Ctx,
    transport: &Transport,
    notice: &Due,
    rendered: super::notice::Rendered,
    invitation: Option<Invitation>,
) -> Result<(), Failure> {
    let language = reader(ctx, notice).0.code();
    let content = Content { subject: rendered.subject, text: rendered.text, html: rendered.html, language };
    let id = message_id(notice, &ctx.uid_domain());
    let message = build(&ctx.config.mail_from, &notice.recipient_email, id, content, invitation)
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    transport.send(message).await.map_err(|e| Failure::Transient(e.to_string()))
}

/// A meeting's agenda, cancellation or minutes.
async fn send_meeting(
    ctx: &Ctx,
    transport: &Transport,
    notice: &Due,
    mail: MeetingMail,
) -> Result<(), Failure> {
    let facts: MeetingNotice =
        serde_json::from_str(&notice.payload).map_err(|e| Failure::Permanent(format!("payload: {e}")))?;
    let (lang, zone) = reader(ctx, notice);
    let base = &ctx.config.base_url;
    let rendered = super::meeting::render(mail, &facts, lang, zone, base);
    let link = format!("{}/cab/meetings/{}", base.trim_end_matches('/'), facts.meeting_id);
    let organizer = sender_address(&ctx.config.mail_from);
    let invitation = super::meeting::method(mail).map(|method| {
        let summary = crate::i18n::meeting_title(lang, zone, facts.kind, &facts.title, facts.starts_at);
        let ics = super::meeting::invitation(
            method,
            &facts,
            &summary,
            &ctx.uid_domain(),
            (organizer, &notice.recipient_email),
            &link,
            ctx.clock.now(),
        );
        Invitation { ics, method: method.as_str() }
    });
    deliver(ctx, transport, notice, rendered, invitation).await
}

/// A password reset email: its link is made now (only its hash is stored).
async fn send_reset(ctx: &Ctx, transport: &Transport, notice: &Due) -> Result<(), Failure> {
    let facts: super::account::ResetNotice =
        serde_json::from_str(&notice.payload).map_err(|e| Failure::Permanent(format!("payload: {e}")))?;
    let (user, sent_by) = (UserId(facts.user_id), facts.sent_by.as_ref().map(|(id, _)| UserId(*id)));
    let issued = run(ctx, move |ctx| crate::services::accounts::issue_reset_link(ctx, user, sent_by))
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    let Some((token, expires_at)) = issued else {
        return Err(Failure::Stale("the account was deactivated or has no password any more"));
    };
    let (lang, zone) = reader(ctx, notice);
    let link = format!("{}/sign-in/reset/{token}", ctx.config.base_url.trim_end_matches('/'));
    let admin = facts.sent_by.as_ref().map(|(_, name)| name.as_str());
    let rendered = super::account::render_reset(lang, zone, &link, expires_at, admin);
    deliver(ctx, transport, notice, rendered, None).await
}

async fn send_one(ctx: &Ctx, transport: &Transport, notice: &Due) -> Result<(), Failure> {
    if let Ok(mail) = notice.kind.parse::<MeetingMail>() {
        return send_meeting(ctx, transport, notice, mail).await;
    }
    if notice.kind == super::account::RESET_KIND {
        return send_reset(ctx, transport, notice).await;
    }
    let kind: NoticeKind =
        notice.kind.parse().map_err(|e| Failure::Permanent(format!("unknown notice kind: {e}")))?;
    let facts: Facts =
        serde_json::from_str(&notice.payload).map_err(|e| Failure::Permanent(format!("payload: {e}")))?;
    let (lang, zone) = reader(ctx, notice);
    let base = &ctx.config.base_url;
    // A vote request or reminder: the change as it is now, with fresh links and the
    // deadline; none at all for a change decided since it was queued.
    let links = match (kind, notice.change_id, notice.recipient_id) {
        (NoticeKind::AuthorizeRequest | NoticeKind::ReminderVote, Some(change), Some(voter)) => {
            let round = facts.round;
            let found = run(ctx, move |ctx| outbox::vote_mail_facts(ctx, change, round))
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?;
            let Some((view, deadline)) = found else {
                return Err(Failure::Stale("the change was decided before this vote email went out"));
            };
            let for_voter = facts.on_behalf_of.as_ref().map(|p| UserId(p.id));
            let mut links =
                vote_links(ctx, change, voter, for_voter, round).await.map_err(Failure::Transient)?;
            links.change = Some(Box::new(super::notice::VoteFacts::of(&view, deadline)));
            Some(links)
        }
        _ => None,
    };
    let rendered = render(kind, &facts, lang, zone, base, links.as_ref());
    let link = format!("{}/changes/{}", base.trim_end_matches('/'), facts.reference);
    let organizer = sender_address(&ctx.config.mail_from);
    let invitation = Method::for_kind(kind).and_then(|method| {
        invitation(
            method,
            &facts,
            &ctx.uid_domain(),
            organizer,
            &notice.recipient_email,
            &link,
            ctx.clock.now(),
        )
        .map(|ics| Invitation { ics, method: method.as_str() })
    });
    deliver(ctx, transport, notice, rendered, invitation).await
}

/// Runs the worker for as long as the process runs. If it dies (a panic in a round), it
/// is started again after a pause, with a log line; `/healthz` counts the restarts.
pub async fn supervise(ctx: Ctx, transport: Transport, every: StdDuration) {
    loop {
        ctx.worker.started(ctx.clock.now());
        let worker = actix_web::rt::spawn(rounds(ctx.clone(), transport.clone(), every));
        match worker.await {
            Ok(()) => tracing::error!("the mail worker stopped; starting it again"),
            Err(error) => tracing::error!(%error, "the mail worker died; starting it again"),
        }
        ctx.worker.restarted();
        tokio::time::sleep(RESTART_PAUSE).await;
    }
}

/// The pause before a dead worker is started again.
const RESTART_PAUSE: StdDuration = StdDuration::from_secs(5);

/// How often the worker purges rows past their retention and plans the CAB meetings ahead.
const PURGE_EVERY: Duration = Duration::hours(1);

/// Runs rounds until the process stops, pausing `every` between them.
pub async fn rounds(ctx: Ctx, transport: Transport, every: StdDuration) {
    let mut last_purge: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        if last_purge.is_none_or(|at| ctx.clock.now() - at >= PURGE_EVERY) {
            match run(&ctx, crate::services::retention::purge).await {
                Ok(purged) if purged != Default::default() => tracing::info!(?purged, "purged old rows"),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "purge failed"),
            }
            match run(&ctx, crate::services::meetings::plan_ahead).await {
                Ok(0) => {}
                Ok(planned) => tracing::info!(planned, "CAB meetings planned"),
                Err(error) => tracing::error!(%error, "planning CAB meetings failed"),
            }
            last_purge = Some(ctx.clock.now());
        }
        match run(&ctx, crate::services::meetings::send_agendas).await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "CAB agendas"),
            Err(error) => tracing::error!(%error, "sending CAB agendas failed"),
        }
        match run(&ctx, crate::services::reminders::queue_due).await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "reminders"),
            Err(error) => tracing::error!(%error, "reminders failed"),
        }
        let round = match deliver_due(&ctx, &transport).await {
            Ok(round) => {
                if round != Round::default() {
                    tracing::info!(?round, "outbox");
                }
                round
            }
            Err(error) => {
                tracing::error!(%error, "outbox round failed");
                Round::default()
            }
        };
        ctx.worker.round_finished(ctx.clock.now());
        if round.took_a_full_batch() {
            continue;
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_batch_of_skipped_notices_is_a_full_batch_and_the_worker_goes_on() {
        use super::{Round, BATCH};
        let batch = BATCH as usize;
        assert!(Round { skipped: batch, ..Round::default() }.took_a_full_batch(), "stale vote requests");
        assert!(Round { sent: 4, retried: 2, failed: 1, skipped: batch - 7 }.took_a_full_batch(), "a mix");
        assert!(!Round { sent: batch - 1, ..Round::default() }.took_a_full_batch(), "the queue is empty");
        assert!(!Round::default().took_a_full_batch());
    }

    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
