//! The deployment gate (SPEC §9): may a pipeline deploy this change now? Only while the
//! change is approved and now lies in its planned window, or it is being implemented.
//! Every answer says why, in words a pipeline log can show.

use super::change::{ChangeState, Window};
use chrono::{DateTime, Utc};

/// Why the gate is open or shut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateReason {
    /// Scheduled, and now is inside its window.
    InWindow,
    /// In implementation (started): the work goes on, in or past its window.
    Implementing,
    /// Scheduled, but its window has not opened.
    BeforeWindow,
    /// Scheduled, but its window has closed.
    AfterWindow,
    /// Not approved yet (draft, assessment, awaiting the CAB).
    NotApproved,
    /// Scheduled without a planned window (none should be): nothing says when.
    NoWindow,
    /// Rejected, cancelled, in review or closed: nothing to deploy.
    Finished,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub allowed: bool,
    pub reason: GateReason,
    pub state: ChangeState,
    pub window: Option<Window>,
}

/// The gate for a change in `state` with its planned `window`, at `now`. The window is
/// half-open: open from its start, shut at its end.
pub fn gate(state: ChangeState, window: Option<Window>, now: DateTime<Utc>) -> Gate {
    use ChangeState::*;
    let reason = match state {
        Implement => GateReason::Implementing,
        Scheduled => match window {
            Some(w) if now < w.start() => GateReason::BeforeWindow,
            Some(w) if now >= w.end() => GateReason::AfterWindow,
            Some(_) => GateReason::InWindow,
            // A scheduled change always has a window; without one it is not deployable.
            None => GateReason::NoWindow,
        },
        Draft | Assess | Authorize => GateReason::NotApproved,
        Review | Closed | Rejected | Cancelled => GateReason::Finished,
    };
    let allowed = matches!(reason, GateReason::InWindow | GateReason::Implementing);
    Gate { allowed, reason, state, window }
}

impl Gate {
    /// Why, in one English sentence for a pipeline's log (times in UTC, RFC 3339).
    pub fn explain(&self) -> String {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (start, end) =
            self.window.map_or((String::new(), String::new()), |w| (at(w.start()), at(w.end())));
        match self.reason {
            GateReason::InWindow => {
                format!("approved, and now is inside its window ({start} to {end}): deploy")
            }
            GateReason::Implementing => "the change is being implemented: deploy".to_owned(),
            GateReason::BeforeWindow => format!("approved, but its window opens at {start}: wait until then"),
            GateReason::AfterWindow => {
                format!("its window closed at {end}: ask a change manager to reschedule it before deploying")
            }
            GateReason::NotApproved => {
                format!(
                    "the change is not approved (it is in `{}`): no deployment until the CAB approves it",
                    self.state
                )
            }
            GateReason::Finished => format!("the change is `{}`: there is nothing to deploy", self.state),
            GateReason::NoWindow => {
                "the change has no planned window: ask a change manager to reschedule it".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 10, hour, minute, 0).unwrap()
    }

    #[test]
    fn the_gate_opens_at_the_window_start_and_shuts_at_its_end_for_a_scheduled_change() {
        let window = Window::new(at(18, 0), at(20, 0));
        let decide = |now| gate(ChangeState::Scheduled, window, now);
        assert_eq!(decide(at(17, 59)).reason, GateReason::BeforeWindow);
        assert!(!decide(at(17, 59)).allowed);
        assert!(decide(at(18, 0)).allowed, "open from the first instant");
        assert!(decide(at(19, 59)).allowed);
        assert_eq!(decide(at(20, 0)).reason, GateReason::AfterWindow, "shut at the end");
        assert!(!decide(at(20, 0)).allowed);
        assert!(decide(at(17, 0)).explain().contains("2026-12-10T18:00:00Z"));
    }

    #[test]
    fn only_a_change_in_implementation_or_in_its_window_may_deploy_in_every_state() {
        let window = Window::new(at(18, 0), at(20, 0));
        for state in ChangeState::ALL.iter().copied() {
            for now in [at(17, 0), at(19, 0), at(21, 0)] {
                let decided = gate(state, window, now);
                let expected =
                    state == ChangeState::Implement || (state == ChangeState::Scheduled && now == at(19, 0));
                assert_eq!(decided.allowed, expected, "{state} at {now}");
                assert!(!decided.explain().is_empty());
            }
        }
        assert!(!gate(ChangeState::Scheduled, None, at(19, 0)).allowed, "no window, no deployment");
    }
}
