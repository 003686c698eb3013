//! The lifecycle of SPEC §3 as one pure transition function.
//!
//! `transition(state, type, action)` answers where a change goes, or why it may not.
//! Who may act is a separate question, answered by `crate::authz`.

use super::approval::Outcome;
use super::change::{ChangeState, ChangeType, ClosureCode};
use super::text_enum::text_enum;

text_enum! {
    /// The verbs of the lifecycle, as named in the API and in the policy.
    pub enum ActionKind {
        Edit = "edit",
        Risk = "risk",
        Submit = "submit",
        Assess = "assess",
        Vote = "vote",
        Return = "return",
        Reschedule = "reschedule",
        Start = "start",
        Complete = "complete",
        Review = "review",
        Cancel = "cancel",
    }
}

/// What the change manager decided when assessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessOutcome {
    Authorize,
    Return,
}

/// A lifecycle action with the facts that decide its target state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Edit,
    Risk,
    Submit,
    Assess(AssessOutcome),
    /// A vote was cast; the approval rule's outcome over all votes of the round.
    Vote(Outcome),
    Return,
    Reschedule,
    Start,
    Complete(ClosureCode),
    Review,
    Cancel,
}

impl Action {
    pub fn kind(self) -> ActionKind {
        match self {
            Action::Edit => ActionKind::Edit,
            Action::Risk => ActionKind::Risk,
            Action::Submit => ActionKind::Submit,
            Action::Assess(_) => ActionKind::Assess,
            Action::Vote(_) => ActionKind::Vote,
            Action::Return => ActionKind::Return,
            Action::Reschedule => ActionKind::Reschedule,
            Action::Start => ActionKind::Start,
            Action::Complete(_) => ActionKind::Complete,
            Action::Review => ActionKind::Review,
            Action::Cancel => ActionKind::Cancel,
        }
    }
}

/// A transition the lifecycle does not allow (answered with 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a change in state `{state}` cannot be given the action `{action}`")]
pub struct Refused {
    pub state: ChangeState,
    pub action: ActionKind,
}

/// Where `action` takes a change of `change_type` that is now in `state`.
pub fn transition(
    state: ChangeState,
    change_type: ChangeType,
    action: Action,
) -> Result<ChangeState, Refused> {
    use ChangeState::*;
    let to = match (state, action) {
        (Draft, Action::Edit) => Some(Draft),
        (Draft | Assess, Action::Risk) => Some(state),
        (Draft, Action::Submit) => Some(match change_type {
            ChangeType::Normal => Assess,
            ChangeType::Emergency => Authorize,
            ChangeType::Standard => Scheduled,
        }),
        (Assess, Action::Assess(AssessOutcome::Authorize)) => Some(Authorize),
        (Assess, Action::Assess(AssessOutcome::Return)) => Some(Draft),
        (Authorize, Action::Vote(outcome)) => Some(match outcome {
            Outcome::Pending(_) => Authorize,
            Outcome::Approved => Scheduled,
            Outcome::Rejected => Rejected,
        }),
        (Assess | Authorize, Action::Return) => Some(Draft),
        (Scheduled, Action::Reschedule) => Some(Scheduled),
        (Scheduled, Action::Start) => Some(Implement),
        (Implement, Action::Complete(code)) => {
            Some(if change_type == ChangeType::Standard && code == ClosureCode::Successful {
                Closed
            } else {
                Review
            })
        }
        (Review, Action::Review) => Some(Closed),
        (Draft | Assess | Authorize | Scheduled, Action::Cancel) => Some(Cancelled),
        _ => None,
    };
    to.ok_or(Refused { state, action: action.kind() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::approval::Progress;
    use ChangeState::*;

    fn every_action() -> Vec<Action> {
        let pending = Outcome::Pending(Progress { approvals: 0, required: 1, manager_needed: true });
        let mut actions = vec![
            Action::Edit,
            Action::Risk,
            Action::Submit,
            Action::Assess(AssessOutcome::Authorize),
            Action::Assess(AssessOutcome::Return),
            Action::Vote(pending),
            Action::Vote(Outcome::Approved),
            Action::Vote(Outcome::Rejected),
            Action::Return,
            Action::Reschedule,
            Action::Start,
            Action::Review,
            Action::Cancel,
        ];
        actions.extend(ClosureCode::ALL.iter().map(|code| Action::Complete(*code)));
        actions
    }

    /// Where an action takes a change of a type, in one source state.
    type Row = fn(ChangeType, Action) -> Option<ChangeState>;

    /// The whole table of SPEC §3, written out: (from, type, action) → to.
    fn expected(state: ChangeState, ty: ChangeType, action: Action) -> Option<ChangeState> {
        let allowed: &[(ChangeState, Row)] = &[
            (Draft, |ty, a| match a {
                Action::Edit | Action::Risk => Some(Draft),
                Action::Submit => Some(match ty {
                    ChangeType::Normal => Assess,
                    ChangeType::Emergency => Authorize,
                    ChangeType::Standard => Scheduled,
                }),
                Action::Cancel => Some(Cancelled),
                _ => None,
            }),
            (Assess, |_, a| match a {
                Action::Risk => Some(Assess),
                Action::Assess(AssessOutcome::Authorize) => Some(Authorize),
                Action::Assess(AssessOutcome::Return) | Action::Return => Some(Draft),
                Action::Cancel => Some(Cancelled),
                _ => None,
            }),
            (Authorize, |_, a| match a {
                Action::Vote(Outcome::Pending(_)) => Some(Authorize),
                Action::Vote(Outcome::Approved) => Some(Scheduled),
                Action::Vote(Outcome::Rejected) => Some(Rejected),
                Action::Return => Some(Draft),
                Action::Cancel => Some(Cancelled),
                _ => None,
            }),
            (Scheduled, |_, a| match a {
                Action::Reschedule => Some(Scheduled),
                Action::Start => Some(Implement),
                Action::Cancel => Some(Cancelled),
                _ => None,
            }),
            (Implement, |ty, a| match a {
                Action::Complete(ClosureCode::Successful) if ty == ChangeType::Standard => Some(Closed),
                Action::Complete(_) => Some(Review),
                _ => None,
            }),
            (Review, |_, a| (a == Action::Review).then_some(Closed)),
        ];
        allowed.iter().find(|(from, _)| *from == state).and_then(|(_, rule)| rule(ty, action))
    }

    #[test]
    fn every_state_and_action_follows_the_table() {
        let mut checked = 0;
        for state in ChangeState::ALL {
            for ty in ChangeType::ALL {
                for action in every_action() {
                    let got = transition(*state, *ty, action);
                    match expected(*state, *ty, action) {
                        Some(to) => assert_eq!(got, Ok(to), "{state} {ty} {action:?}"),
                        None => assert_eq!(
                            got,
                            Err(Refused { state: *state, action: action.kind() }),
                            "{state} {ty} {action:?}"
                        ),
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 9 * 3 * 17);
    }

    #[test]
    fn terminal_states_refuse_everything() {
        for state in ChangeState::ALL.iter().filter(|s| s.is_terminal()) {
            for action in every_action() {
                assert!(transition(*state, ChangeType::Normal, action).is_err());
            }
        }
    }

    #[test]
    fn a_change_cannot_be_cancelled_once_implementation_started() {
        for state in [Implement, Review] {
            assert!(transition(state, ChangeType::Normal, Action::Cancel).is_err());
        }
    }
}
