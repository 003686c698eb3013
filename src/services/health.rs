//! Health: the database answers, the mail worker goes round, and how many notices wait.

use super::outbox::{self, Backlog};
use super::{Ctx, ServiceResult};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

/// A worker that has not finished a round for this long is reported as stalled (a round
/// sends at most one batch, which ends within the claim's lease).
const STALLED_AFTER: Duration = Duration::minutes(10);

/// What the mail worker of this instance reports about itself (shared with `/healthz`).
#[derive(Debug, Default)]
pub struct WorkerStatus {
    /// Unix time the worker (last) started; 0: never.
    started: AtomicI64,
    /// Unix time of the last finished round; 0 before the first.
    last_round: AtomicI64,
    restarts: AtomicU32,
}

impl WorkerStatus {
    pub fn started(&self, at: DateTime<Utc>) {
        self.started.store(at.timestamp(), Ordering::Relaxed);
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
    Ok(Health { status: "ok", mail_worker: ctx.worker.report(ctx.clock.now()), outbox })
}

impl WorkerStatus {
    /// The worker's state at `now`: running while a round has finished (or, before the
    /// first, it started) within ten minutes.
    pub fn report(&self, now: DateTime<Utc>) -> WorkerReport {
        let at = |seconds: i64| (seconds > 0).then(|| DateTime::from_timestamp(seconds, 0)).flatten();
        let started = at(self.started.load(Ordering::Relaxed));
        let last_round_at = at(self.last_round.load(Ordering::Relaxed));
        let state = match last_round_at.max(started) {
            None => WorkerState::NotStarted,
            Some(alive) if now - alive <= STALLED_AFTER => WorkerState::Running,
            Some(_) => WorkerState::Stalled,
        };
        WorkerReport { state, last_round_at, restarts: self.restarts.load(Ordering::Relaxed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_worker_is_running_while_it_finishes_rounds_and_stalled_ten_minutes_after() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
        let minutes = Duration::minutes;
        let status = WorkerStatus::default();
        assert_eq!(status.report(t0).state, WorkerState::NotStarted);
        status.started(t0);
        assert_eq!(status.report(t0 + minutes(9)).state, WorkerState::Running);
        assert_eq!(status.report(t0 + minutes(11)).state, WorkerState::Stalled, "stuck in its first round");
        status.round_finished(t0 + minutes(10));
        let report = status.report(t0 + minutes(15));
        assert_eq!((report.state, report.last_round_at), (WorkerState::Running, Some(t0 + minutes(10))));
        assert_eq!(status.report(t0 + minutes(21)).state, WorkerState::Stalled);
        status.restarted();
        status.started(t0 + minutes(22));
        let report = status.report(t0 + minutes(23));
        assert_eq!(
            (report.state, report.restarts),
            (WorkerState::Running, 1),
            "running again after a restart"
        );
    }
}
