//! The vocabulary of a change request: its type, state, closure code and the validated
//! values it is written with.

use super::ids::{ChangeId, TemplateId, UserId};
use super::risk::Assessment;
use super::text_enum::text_enum;
use chrono::{DateTime, Utc};

text_enum! {
    /// SPEC §2: standard (pre-approved template), normal (CAB), emergency (ECAB).
    pub enum ChangeType {
        Standard = "standard",
        Normal = "normal",
        Emergency = "emergency",
    }
}

text_enum! {
    /// SPEC §3 lifecycle states.
    pub enum ChangeState {
        Draft = "draft",
        Assess = "assess",
        Authorize = "authorize",
        Scheduled = "scheduled",
        Implement = "implement",
        Review = "review",
        Closed = "closed",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
}

impl ChangeState {
    /// Closed, rejected and cancelled changes never move again.
    pub fn is_terminal(self) -> bool {
        matches!(self, ChangeState::Closed | ChangeState::Rejected | ChangeState::Cancelled)
    }

    /// States whose planned window is held on the calendar (and conflicts with others).
    pub fn holds_window(self) -> bool {
        matches!(self, ChangeState::Scheduled | ChangeState::Implement)
    }
}

text_enum! {
    /// How an implementation ended.
    pub enum ClosureCode {
        Successful = "successful",
        SuccessfulWithIssues = "successful_with_issues",
        Failed = "failed",
        BackedOut = "backed_out",
    }
}

impl ClosureCode {
    /// Failed and backed-out changes count against later changes on the same CIs.
    pub fn is_failure(self) -> bool {
        matches!(self, ClosureCode::Failed | ClosureCode::BackedOut)
    }
}

/// The longest planned window. Longer work is several changes; the bound also lets every
/// "windows overlapping a period" query use the index on `planned_start` from both sides.
pub const MAX_WINDOW_DAYS: i64 = 31;

/// Years a planned time may fall in; anything else is a typo (and outside what both
/// databases store).
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2199;

/// Why a planned window cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("must be after planned_start")]
    EndsBeforeStart,
    #[error("must be a time between the years 2000 and 2199")]
    OutOfRange,
    #[error("a planned window is at most {MAX_WINDOW_DAYS} days; split longer work into several changes")]
    TooLong,
}

/// A planned or actual window: `end` is strictly after `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Window {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Self> {
        (end > start).then_some(Window { start, end })
    }

    /// A window a change may plan: plausible times, ordered, at most `MAX_WINDOW_DAYS`.
    pub fn planned(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, WindowError> {
        let window = Window::period(start, end)?;
        if window.duration() > chrono::Duration::days(MAX_WINDOW_DAYS) {
            return Err(WindowError::TooLong);
        }
        Ok(window)
    }

    /// Any period (a blackout, a query range): plausible times, `end` after `start`, both
    /// truncated to microseconds, the precision the databases keep.
    pub fn period(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, WindowError> {
        let (start, end) = (plausible(start)?, plausible(end)?);
        Window::new(start, end).ok_or(WindowError::EndsBeforeStart)
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn duration(&self) -> chrono::Duration {
        self.end - self.start
    }

    /// Half-open overlap: a window ending at 10:00 does not overlap one starting at 10:00.
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// `instant` truncated to microseconds, if its year is plausible.
pub fn plausible(instant: DateTime<Utc>) -> Result<DateTime<Utc>, WindowError> {
    use chrono::{Datelike, DurationRound};
    // A leap second (`23:59:60`) is a nanosecond count past a billion to chrono, which the
    // two backends would store differently: refused like any impossible time.
    if !PLAUSIBLE_YEARS.contains(&instant.year()) || chrono::Timelike::nanosecond(&instant) >= 1_000_000_000 {
        return Err(WindowError::OutOfRange);
    }
    instant.duration_trunc(chrono::TimeDelta::microseconds(1)).map_err(|_| WindowError::OutOfRange)
}

/// `instant` moved into the plausible years: a period the server works out itself (a
/// default start 90 days before an end in January 2000, an end 31 days after a start in
/// December 2199) stays where every time it reads and writes lies.
pub fn within_plausible(instant: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let first = Utc.with_ymd_and_hms(*PLAUSIBLE_YEARS.start(), 1, 1, 0, 0, 0).single();
    let after = Utc.with_ymd_and_hms(PLAUSIBLE_YEARS.end() + 1, 1, 1, 0, 0, 0).single();
    match (first, after) {
        (Some(first), _) if instant < first => first,
        (_, Some(after)) if instant >= after => after - chrono::TimeDelta::microseconds(1),
        _ => instant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_out_times_stay_within_the_plausible_years() {
        use chrono::TimeZone;
        let early = Utc.with_ymd_and_hms(1999, 10, 3, 0, 0, 0).unwrap();
        assert_eq!(within_plausible(early), Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
        let late = Utc.with_ymd_and_hms(2200, 1, 31, 0, 0, 0).unwrap();
        let last = within_plausible(late);
        assert!(plausible(last).is_ok() && last > Utc.with_ymd_and_hms(2199, 12, 31, 23, 59, 59).unwrap());
        let inside = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        assert_eq!(within_plausible(inside), inside);
    }
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_window_must_end_after_it_starts() {
        assert!(Window::new(at(10), at(10)).is_none());
        assert!(Window::new(at(11), at(10)).is_none());
        assert!(Window::new(at(10), at(11)).is_some());
    }

    #[test]
    fn a_planned_window_is_at_most_a_month() {
        let start = at(10);
        let end = start + chrono::Duration::days(MAX_WINDOW_DAYS);
        assert!(Window::planned(start, end).is_ok());
        let too_long = end + chrono::Duration::seconds(1);
        assert_eq!(Window::planned(start, too_long), Err(WindowError::TooLong));
        assert_eq!(Window::planned(start, start), Err(WindowError::EndsBeforeStart));
    }

    #[test]
    fn implausible_times_are_refused_and_others_truncated_to_microseconds() {
        let far = Utc.with_ymd_and_hms(-262_000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(Window::planned(far, at(10)), Err(WindowError::OutOfRange));
        assert_eq!(
            plausible(Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).unwrap()),
            Err(WindowError::OutOfRange)
        );
        let precise = at(10) + chrono::Duration::nanoseconds(1_234_567);
        assert_eq!(plausible(precise).unwrap(), at(10) + chrono::Duration::microseconds(1_234));
    }

    #[test]
    fn touching_windows_do_not_overlap() {
        let morning = Window::new(at(8), at(10)).unwrap();
        let late = Window::new(at(10), at(12)).unwrap();
        let middle = Window::new(at(9), at(11)).unwrap();
        assert!(!morning.overlaps(&late));
        assert!(morning.overlaps(&middle) && middle.overlaps(&late));
    }

    #[test]
    fn enum_names_round_trip() {
        for state in ChangeState::ALL {
            assert_eq!(state.as_str().parse::<ChangeState>(), Ok(*state));
        }
        let err = "done".parse::<ChangeState>().unwrap_err();
        assert!(err.to_string().contains("draft"));
    }
}

/// A change request as stored, with typed values.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: ChangeId,
    pub title: String,
    pub description: String,
    pub justification: String,
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub requester_id: UserId,
    pub implementer_id: Option<UserId>,
    pub template_id: Option<TemplateId>,
    /// The version of the template it was made from (it keeps that one).
    pub template_version: Option<i32>,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub risk: Assessment,
    /// Set when a change manager overrode the computed level at assessment.
    pub risk_override_reason: Option<String>,
    pub closure_code: Option<ClosureCode>,
    pub closure_notes: Option<String>,
    pub review: Option<String>,
    /// Votes belong to a round; returning a change to draft starts the next one.
    pub decision_round: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the change last entered `authorize`; approval times count from it.
    pub authorized_at: Option<DateTime<Utc>>,
}

impl Change {
    /// The planned window, once both ends are set.
    pub fn window(&self) -> Option<Window> {
        Window::new(self.planned_start?, self.planned_end?)
    }
}
