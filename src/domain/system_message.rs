//! System messages (driftsmeldinger): what employees are told about planned work and
//! ongoing disruptions. A message belongs to a change that affects users (its status then
//! follows the change) or to no change (a disruption the service desk reports).

use super::change::{ChangeState, ClosureCode};
use super::risk::RiskAnswers;
use super::text_enum::text_enum;
use chrono::{DateTime, Duration, Utc};

text_enum! {
    /// Where a message stands. A change's message is planned, in progress, completed,
    /// rolled back or withdrawn; a disruption is ongoing until resolved.
    pub enum MessageStatus {
        Planned = "planned",
        InProgress = "in_progress",
        Completed = "completed",
        RolledBack = "rolled_back",
        Withdrawn = "withdrawn",
        Ongoing = "ongoing",
        Resolved = "resolved",
    }
}

impl MessageStatus {
    /// Whether nothing more happens to the message (it is then kept on the page for
    /// `SHOWN_AFTER` and leaves it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MessageStatus::Completed
                | MessageStatus::RolledBack
                | MessageStatus::Withdrawn
                | MessageStatus::Resolved
        )
    }
}

/// How long a message that is over stays on the public page and in the feed.
pub const SHOWN_AFTER: Duration = Duration::days(30);

/// Longest title and text, in characters.
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 4000;

/// Whether a change with these risk answers affects users enough that employees are
/// told: its answers say there is downtime, or more than 50 users are affected.
pub fn affects_users(answers: &RiskAnswers) -> bool {
    let downtime = answers.get("downtime").is_some_and(|a| a != "none");
    let many = answers.get("users_affected").is_some_and(|a| !matches!(a, "none" | "under_50"));
    downtime || many
}

/// The status a change's message takes when the change reaches `state` (`closure` is
/// how its implementation ended); `None` where the change gives no message a status
/// (before it is scheduled).
pub fn status_for(state: ChangeState, closure: Option<ClosureCode>) -> Option<MessageStatus> {
    match state {
        ChangeState::Scheduled => Some(MessageStatus::Planned),
        ChangeState::Implement => Some(MessageStatus::InProgress),
        ChangeState::Review | ChangeState::Closed => Some(match closure {
            Some(code) if code.is_failure() => MessageStatus::RolledBack,
            _ => MessageStatus::Completed,
        }),
        ChangeState::Cancelled => Some(MessageStatus::Withdrawn),
        ChangeState::Draft | ChangeState::Assess | ChangeState::Authorize | ChangeState::Rejected => None,
    }
}

text_enum! {
    /// Where a published message is listed: what is happening now, what is coming, and
    /// what is over.
    pub enum Section {
        Current = "current",
        Upcoming = "upcoming",
        Past = "past",
    }
}

/// The section of a message with `status` whose work starts at `starts_at`, at `now`.
/// Planned work whose start has come is current, even before anyone starts it.
pub fn section(status: MessageStatus, starts_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Section {
    match status {
        s if s.is_final() => Section::Past,
        MessageStatus::Planned if starts_at.is_some_and(|s| s > now) => Section::Upcoming,
        _ => Section::Current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn answers(pairs: &[(&str, &str)]) -> RiskAnswers {
        RiskAnswers::parse(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn downtime_or_more_than_fifty_users_affects_users() {
        assert!(!affects_users(&answers(&[])));
        assert!(!affects_users(&answers(&[("downtime", "none"), ("users_affected", "under_50")])));
        assert!(affects_users(&answers(&[("downtime", "under_1h"), ("users_affected", "none")])));
        assert!(affects_users(&answers(&[("downtime", "none"), ("users_affected", "under_500")])));
        assert!(affects_users(&answers(&[("users_affected", "everyone")])));
    }

    #[test]
    fn the_status_follows_the_change_and_a_failure_is_a_roll_back() {
        use ChangeState::*;
        assert_eq!(status_for(Authorize, None), None);
        assert_eq!(status_for(Scheduled, None), Some(MessageStatus::Planned));
        assert_eq!(status_for(Implement, None), Some(MessageStatus::InProgress));
        assert_eq!(status_for(Review, Some(ClosureCode::BackedOut)), Some(MessageStatus::RolledBack));
        assert_eq!(status_for(Review, Some(ClosureCode::Failed)), Some(MessageStatus::RolledBack));
        assert_eq!(status_for(Closed, Some(ClosureCode::Successful)), Some(MessageStatus::Completed));
        assert_eq!(
            status_for(Review, Some(ClosureCode::SuccessfulWithIssues)),
            Some(MessageStatus::Completed)
        );
        assert_eq!(status_for(Cancelled, None), Some(MessageStatus::Withdrawn));
    }

    #[test]
    fn planned_work_is_upcoming_until_it_starts_and_over_when_final() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let later = now + Duration::hours(1);
        assert_eq!(section(MessageStatus::Planned, Some(later), now), Section::Upcoming);
        assert_eq!(section(MessageStatus::Planned, Some(now), now), Section::Current);
        assert_eq!(section(MessageStatus::InProgress, Some(later), now), Section::Current);
        assert_eq!(section(MessageStatus::Ongoing, None, now), Section::Current);
        for status in [
            MessageStatus::Completed,
            MessageStatus::RolledBack,
            MessageStatus::Withdrawn,
            MessageStatus::Resolved,
        ] {
            assert_eq!(section(status, Some(later), now), Section::Past);
        }
    }
}
