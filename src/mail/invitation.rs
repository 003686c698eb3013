//! Calendar invitations (RFC 5545) for scheduled, rescheduled and cancelled changes: one
//! stable UID per change, SEQUENCE raised with every update, times in UTC so every calendar
//! shows them right in its own zone, across DST changes too.

use super::notice::{Facts, NoticeKind};
use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike, Property};

/// What the attachment asks the calendar to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub fn for_kind(kind: NoticeKind) -> Option<Method> {
        match kind {
            NoticeKind::Scheduled | NoticeKind::Approved | NoticeKind::Rescheduled => Some(Method::Request),
            NoticeKind::Cancelled => Some(Method::Cancel),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// The `.ics` text, when the change has a window.
pub fn invitation(
    method: Method,
    facts: &Facts,
    host: &str,
    organizer: &str,
    attendee: &str,
    link: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let (start, end) = (facts.planned_start?, facts.planned_end?);
    let booking = Booking {
        uid: format!("change-{}@{host}", facts.reference),
        sequence: u32::try_from(facts.version).unwrap_or(0),
        start,
        end,
        summary: format!("{} {}", facts.reference, facts.title),
        link,
        parties: (organizer, attendee),
    };
    Some(calendar(method, &booking, now))
}

/// One event of an invitation: what it is, when, and between whom.
pub(super) struct Booking<'a> {
    pub uid: String,
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub link: &'a str,
    /// `(organizer, attendee)` email addresses.
    pub parties: (&'a str, &'a str),
}

/// The `.ics` text asking a calendar to do `method` with `booking` (times in UTC).
pub(super) fn calendar(method: Method, booking: &Booking<'_>, now: DateTime<Utc>) -> String {
    let (organizer, attendee) = booking.parties;
    let mut event = icalendar::Event::new();
    event
        .uid(&booking.uid)
        .sequence(booking.sequence)
        .timestamp(now)
        .starts(booking.start)
        .ends(booking.end)
        .summary(&crate::domain::text::one_line(&booking.summary))
        .description(booking.link)
        .url(booking.link)
        .add_property("ORGANIZER", format!("mailto:{organizer}"))
        .add_property("ATTENDEE", format!("mailto:{attendee}"))
        .add_property("STATUS", if method == Method::Cancel { "CANCELLED" } else { "CONFIRMED" });
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new("METHOD", method.as_str()));
    calendar.push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::change::ChangeState;
    use crate::domain::risk::RiskLevel;
    use chrono::TimeZone;

    /// A window across the autumn DST change in Oslo: 00:00 CEST to 04:00 CET.
    fn facts() -> Facts {
        Facts {
            reference: "CHG-000042".into(),
            title: "Move the archive, night; with commas".into(),
            to: ChangeState::Scheduled,
            risk_level: RiskLevel::Medium,
            planned_start: Some(Utc.with_ymd_and_hms(2026, 10, 24, 22, 0, 0).unwrap()),
            planned_end: Some(Utc.with_ymd_and_hms(2026, 10, 25, 3, 0, 0).unwrap()),
            comment: None,
            version: 7,
            round: 1,
            on_behalf_of: None,
            blackout: None,
        }
    }

    /// Parses with an independent implementation (the `ical` crate) and returns the
    /// event's properties.
    /// `(name, value)` pairs of one component.
    type Properties = Vec<(String, String)>;

    fn parse(text: &str) -> (Properties, Properties) {
        let mut reader = ical::IcalParser::new(text.as_bytes());
        let calendar = reader.next().expect("one calendar").expect("it parses");
        let props = |list: &[ical::property::Property]| {
            list.iter().map(|p| (p.name.clone(), p.value.clone().unwrap_or_default())).collect::<Vec<_>>()
        };
        (props(&calendar.properties), props(&calendar.events[0].properties))
    }

    fn value<'a>(props: &'a [(String, String)], name: &str) -> &'a str {
        props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn an_invitation_parses_and_keeps_the_exact_instants_across_dst() {
        let now = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap();
        let text = invitation(
            Method::Request,
            &facts(),
            "endring.example",
            "cab@example.no",
            "ivar@example.no",
            "https://endring.example/changes/CHG-000042",
            now,
        )
        .unwrap();
        let (calendar, event) = parse(&text);
        assert_eq!(value(&calendar, "METHOD"), "REQUEST");
        assert_eq!(value(&event, "UID"), "change-CHG-000042@endring.example");
        assert_eq!(value(&event, "SEQUENCE"), "7");
        assert_eq!(value(&event, "DTSTART"), "20261024T220000Z");
        assert_eq!(value(&event, "DTEND"), "20261025T030000Z");
        assert!(value(&event, "SUMMARY").contains("with commas"));
        assert_eq!(value(&event, "ATTENDEE"), "mailto:ivar@example.no");
    }

    #[test]
    fn a_cancellation_keeps_the_uid_and_says_cancel() {
        let now = Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap();
        let mut later = facts();
        later.version = 9;
        let text = invitation(
            Method::Cancel,
            &later,
            "endring.example",
            "cab@example.no",
            "ivar@example.no",
            "https://x",
            now,
        )
        .unwrap();
        let (calendar, event) = parse(&text);
        assert_eq!(value(&calendar, "METHOD"), "CANCEL");
        assert_eq!(value(&event, "UID"), "change-CHG-000042@endring.example");
        assert_eq!(value(&event, "SEQUENCE"), "9");
        assert_eq!(value(&event, "STATUS"), "CANCELLED");
    }
}
