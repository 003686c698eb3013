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
            .summary(&event.summary)
            .description(&link)
            .url(&link)
            .add_property("STATUS", if event.cancelled { "CANCELLED" } else { "CONFIRMED" });
        calendar.push(entry.done());
    }
    calendar.done().to_string()
}
