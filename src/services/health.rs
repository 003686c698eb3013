//! Health: the database answers, the mail worker goes round, and how many notices wait.

use super::outbox::{self, Backlog};
use super::{Ctx, ServiceResult};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};

/// A worker that has not finished a round for this long is reported as stalled (a round
/// sends at most one batch, which ends within the claim's lease).
const STALLED_AFTER: Duration = Duration::minutes(10);

/// What the mail worker of this instance reports about itself (shared with `/healthz`).
#[derive(Debug, Default)]
pub struct WorkerStatus {
    started: AtomicBool,
    /// Unix time of the last finished round; 0 before the first.
    last_round: AtomicI64,
    restarts: AtomicU32,
}

impl WorkerStatus {
    pub fn started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    pub fn round_finished(&self, at: DateTime<Utc>) {
        self.last_round.store(at.timestamp(), Ordering::Relaxed);
    }

    pub fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }
}

/// How the mail worker of this instance is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerState {
    /// This process runs no worker (only `serve` does).
    NotStarted,
    Running,
    /// No round has finished for ten minutes.
    Stalled,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerReport {
    pub state: WorkerState,
    pub last_round_at: Option<DateTime<Utc>>,
    /// Times the supervisor restarted the worker since the process started.
    pub restarts: u32,
}

/// The body of `/healthz`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` whenever the service answers 200.
    pub status: &'static str,
    pub mail_worker: WorkerReport,
    pub outbox: Backlog,
}

/// One round trip to the database, then the worker's and the outbox's state.
pub fn check(ctx: &Ctx) -> ServiceResult<Health> {
    ctx.db.query(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SELECT 1")
    })?;
    let outbox = outbox::backlog(ctx)?;
    let status = &ctx.worker;
    let last = status.last_round.load(Ordering::Relaxed);
    let last_round_at = (last > 0).then(|| DateTime::from_timestamp(last, 0)).flatten();
    let state = match (status.started.load(Ordering::Relaxed), last_round_at) {
        (false, _) => WorkerState::NotStarted,
        (true, Some(at)) if ctx.clock.now() - at <= STALLED_AFTER => WorkerState::Running,
        // Just started: its first round is still under way.
        (true, None) => WorkerState::Running,
        (true, Some(_)) => WorkerState::Stalled,
    };
    let mail_worker =
        WorkerReport { state, last_round_at, restarts: status.restarts.load(Ordering::Relaxed) };
    Ok(Health { status: "ok", mail_worker, outbox })
}
