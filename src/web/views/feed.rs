//! A calendar feed as RFC 5545 text: stable UIDs, SEQUENCE from the version, UTC times,
//! DTSTAMP from the last change (so an unchanged feed reads the same byte for byte).

use crate::services::feeds::FeedEvent;
use icalendar::{Calendar, Component, EventLike, Property};

pub fn ics(events: &[FeedEvent], host: &str, base: &str) -> String {
    let mut calendar = Calendar::new();
    calendar.name("Endring");
    calendar.append_property(Property::new("METHOD", "PUBLISH"));
    for event in events {
        let link = format!("{base}{}", event.path);
        let mut entry = icalendar::Event::new();
        entry
            .uid(&format!("{}@{host}", event.uid))
            .sequence(event.sequence)
            .timestamp(event.stamp)
            .starts(event.start)
            .ends(event.end)
            .summary(&crate::domain::text::one_line(&event.summary))
            .description(&link)
            .url(&link)
            .add_property("STATUS", if event.cancelled { "CANCELLED" } else { "CONFIRMED" });
        calendar.push(entry.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_control_character_in_a_title_never_reaches_the_feed() {
        let at = chrono::Utc.with_ymd_and_hms(2030, 5, 1, 10, 0, 0).unwrap();
        let event = FeedEvent {
            uid: "change-1".into(),
            sequence: 1,
            stamp: at,
            start: at,
            end: at + chrono::Duration::hours(1),
            summary: "CHG-000001 Bare\rCR\u{0}NUL\nLF\u{1b}ESC".into(),
            path: "/changes/CHG-000001".into(),
            cancelled: false,
        };
        let text = ics(&[event], "endring.example", "https://endring.example");
        // Every CR ends a content line (CRLF); no other control character but LF at all.
        assert!(!text.replace("\r\n", "").contains('\r'), "a bare CR in {text:?}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\r' && c != '\n'), "{text:?}");
        let summary = text.lines().find(|l| l.starts_with("SUMMARY")).unwrap();
        assert_eq!(summary.trim_end(), "SUMMARY:CHG-000001 Bare CR NUL LF ESC");
    }
}
