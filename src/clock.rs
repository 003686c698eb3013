//! The service's clock. Production reads the system time; the integration tests move it
//! forward (`advance`) to reach planned windows without waiting. Times are truncated to
//! microseconds, the precision both databases keep.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now() + TimeDelta::microseconds(self.offset_micros.load(Ordering::Relaxed));
        now.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(now)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: TimeDelta) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}
