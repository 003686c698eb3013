//! CAB meetings and what their agenda holds (SPEC §2): every change waiting for the CAB
//! by the cut-off, highest risk first, then earliest start; those that came after it in a
//! "late" section; for the CAB to note, the emergency changes decided since the previous
//! meeting and the changes closed as failed or backed out since then; and the changes in
//! review.

use super::change::{ChangeState, ChangeType, ClosureCode};
use super::ids::ChangeId;
use super::text_enum::text_enum;
use chrono::{DateTime, Utc};

text_enum! {
    /// A meeting from the weekly rule, or one a change manager added (an ECAB).
    pub enum MeetingKind {
        Regular = "regular",
        Extra = "extra",
    }
}

text_enum! {
    pub enum MeetingState {
        Planned = "planned",
        Open = "open",
        Closed = "closed",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// What the CAB decides about an item in a meeting.
    pub enum DecisionOutcome {
        Approve = "approve",
        Reject = "reject",
        /// Back to draft: needs more information.
        Return = "return",
        /// To the next meeting.
        Defer = "defer",
    }
}

text_enum! {
    /// A part of the agenda, in the order the CAB takes them.
    pub enum AgendaSection {
        ForDecision = "for_decision",
        Late = "late",
        EmergenciesToNote = "emergencies_to_note",
        InReview = "in_review",
        FailedToNote = "failed_to_note",
    }
}

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: i32,
    pub kind: MeetingKind,
    pub state: MeetingState,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub cutoff_at: DateTime<Utc>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

text_enum! {
    /// A meeting's emails (the outbox kinds): its agenda at the cut-off, its cancellation,
    /// its minutes.
    pub enum MeetingMail {
        Agenda = "meeting_agenda",
        Cancelled = "meeting_cancelled",
        Minutes = "meeting_minutes",
    }
}

/// How long a meeting is booked for in calendars (invitations and feeds).
pub const LENGTH: chrono::Duration = chrono::Duration::hours(1);

/// What a meeting's email carries (the agenda at the cut-off, a cancellation, the
/// minutes), written to the outbox with the event and rendered by the mail worker in each
/// reader's language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MeetingNotice {
    pub meeting_id: i32,
    pub kind: MeetingKind,
    /// An extra meeting's subject.
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub cutoff_at: DateTime<Utc>,
    /// Why it was cancelled.
    #[serde(default)]
    pub reason: Option<String>,
    /// The agenda, section by section, in order.
    #[serde(default)]
    pub items: Vec<NoticeItem>,
    /// The minutes: what was decided, in order.
    #[serde(default)]
    pub decisions: Vec<NoticeDecision>,
    /// Who attended (names).
    #[serde(default)]
    pub attendees: Vec<String>,
    /// `(delegate, member)`: attending delegates standing in for absent members.
    #[serde(default)]
    pub stand_ins: Vec<(String, String)>,
    /// Sent to a delegate: the member's name.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
}

/// One change on an emailed agenda.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NoticeItem {
    pub section: AgendaSection,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub risk_level: super::risk::RiskLevel,
    pub planned_start: Option<DateTime<Utc>>,
    /// For changes waiting for the CAB: approvals so far and needed.
    pub approvals: Option<(u32, u32)>,
    /// What its window clashes with: the kind, and the change or freeze.
    #[serde(default)]
    pub conflicts: Vec<(super::schedule::ConflictKind, String)>,
    /// What its risk score is made of: `(factor, detail, points)`.
    #[serde(default)]
    pub factors: Vec<(String, String, u32)>,
}

/// One line of emailed minutes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NoticeDecision {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub outcome: DecisionOutcome,
    pub comment: String,
}

/// What the agenda looks at about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: ChangeId,
    pub state: ChangeState,
    pub change_type: ChangeType,
    pub risk_score: u32,
    pub planned_start: Option<DateTime<Utc>>,
    /// When it last went to the CAB.
    pub authorized_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub closure_code: Option<ClosureCode>,
    pub actual_end: Option<DateTime<Utc>>,
}

/// The span a meeting's agenda covers: since the previous meeting (none: everything
/// before), up to its cut-off and its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub previous: Option<DateTime<Utc>>,
    pub cutoff: DateTime<Utc>,
    pub start: DateTime<Utc>,
}

impl Span {
    fn since_previous(&self, at: Option<DateTime<Utc>>) -> bool {
        at.is_some_and(|at| self.previous.is_none_or(|p| at > p) && at <= self.start)
    }
}

/// Where on the agenda `change` belongs, if anywhere.
pub fn place(change: &Candidate, span: &Span) -> Option<AgendaSection> {
    match change.state {
        ChangeState::Authorize => Some(match change.authorized_at {
            Some(at) if at > span.cutoff => AgendaSection::Late,
            _ => AgendaSection::ForDecision,
        }),
        ChangeState::Review => Some(AgendaSection::InReview),
        _ if change.change_type == ChangeType::Emergency && span.since_previous(change.decided_at) => {
            Some(AgendaSection::EmergenciesToNote)
        }
        ChangeState::Closed
            if matches!(change.closure_code, Some(ClosureCode::Failed | ClosureCode::BackedOut))
                && span.since_previous(change.actual_end) =>
        {
            Some(AgendaSection::FailedToNote)
        }
        _ => None,
    }
}

/// The agenda: each section's changes in the order the CAB takes them (highest risk
/// first, then earliest start, then the oldest).
pub fn agenda(candidates: &[Candidate], span: &Span) -> Vec<(AgendaSection, Vec<ChangeId>)> {
    let mut placed: Vec<(AgendaSection, &Candidate)> =
        candidates.iter().filter_map(|c| place(c, span).map(|section| (section, c))).collect();
    placed.sort_by_key(|(section, c)| {
        (*section, std::cmp::Reverse(c.risk_score), c.planned_start.is_none(), c.planned_start, c.id)
    });
    AgendaSection::ALL
        .iter()
        .map(|section| (*section, placed.iter().filter(|(s, _)| s == section).map(|(_, c)| c.id).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn waiting(id: i32, score: u32, start_day: u32, authorized: DateTime<Utc>) -> Candidate {
        Candidate {
            id: ChangeId(id),
            state: ChangeState::Authorize,
            change_type: ChangeType::Normal,
            risk_score: score,
            planned_start: Some(t(start_day, 18)),
            authorized_at: Some(authorized),
            decided_at: None,
            closure_code: None,
            actual_end: None,
        }
    }

    #[test]
    fn changes_for_decision_come_highest_risk_first_then_earliest_start_and_late_ones_apart() {
        // The meeting on Tuesday 8 December at 09:00 UTC, cut-off Monday 7 at 11:00 UTC.
        let span = Span { previous: Some(t(1, 9)), cutoff: t(7, 11), start: t(8, 9) };
        let second_before = t(7, 11) - Duration::seconds(1);
        let second_after = t(7, 11) + Duration::seconds(1);
        let candidates = [
            waiting(1, 4, 20, t(2, 8)),
            waiting(2, 12, 22, t(3, 8)),
            waiting(3, 12, 15, second_before),
            waiting(4, 15, 10, second_after),
            waiting(5, 4, 12, t(7, 11)),
        ];
        let agenda = agenda(&candidates, &span);
        assert_eq!(
            agenda[0],
            (AgendaSection::ForDecision, vec![ChangeId(3), ChangeId(2), ChangeId(5), ChangeId(1)])
        );
        assert_eq!(agenda[1], (AgendaSection::Late, vec![ChangeId(4)]), "a second after the cut-off is late");
    }

    #[test]
    fn emergencies_and_failures_since_the_previous_meeting_are_noted_and_reviews_listed() {
        let span = Span { previous: Some(t(1, 9)), cutoff: t(7, 11), start: t(8, 9) };
        let base = waiting(0, 0, 20, t(2, 8));
        let emergency = |id, decided| Candidate {
            id: ChangeId(id),
            state: ChangeState::Implement,
            change_type: ChangeType::Emergency,
            decided_at: Some(decided),
            ..base
        };
        let closed = |id, code, end| Candidate {
            id: ChangeId(id),
            state: ChangeState::Closed,
            closure_code: Some(code),
            actual_end: Some(end),
            ..base
        };
        let review = Candidate { id: ChangeId(9), state: ChangeState::Review, ..base };
        let candidates = [
            emergency(1, t(3, 2)),
            emergency(2, t(1, 8)),
            closed(3, ClosureCode::Failed, t(4, 20)),
            closed(4, ClosureCode::Successful, t(4, 20)),
            closed(5, ClosureCode::BackedOut, t(1, 8)),
            review,
        ];
        let agenda = agenda(&candidates, &span);
        assert_eq!(
            agenda[2],
            (AgendaSection::EmergenciesToNote, vec![ChangeId(1)]),
            "only since the last meeting"
        );
        assert_eq!(agenda[3], (AgendaSection::InReview, vec![ChangeId(9)]));
        assert_eq!(agenda[4], (AgendaSection::FailedToNote, vec![ChangeId(3)]));
        let first = Span { previous: None, ..span };
        assert_eq!(
            place(&emergency(2, t(1, 8)), &first),
            Some(AgendaSection::EmergenciesToNote),
            "no meeting before"
        );
    }
}
