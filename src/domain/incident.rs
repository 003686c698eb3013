//! Service-desk records a change refers to (SPEC's incident and problem management beside
//! change management): the incidents or problems a change was raised from, and the
//! incidents it caused.

use super::change::ChangeState;
use super::text_enum::text_enum;
use super::validation::Message;
use chrono::{DateTime, Utc};

text_enum! {
    /// How a service-desk record relates to a change.
    pub enum Relation {
        /// An incident or problem the change was raised to fix.
        RaisedFrom = "raised_from",
        /// An incident the change caused.
        Caused = "caused",
    }
}

/// Longest id kept, in characters.
pub const ID_MAX: usize = 64;

/// How long after its implementation ended a change may still be named as the cause of
/// an incident.
pub const CAUSED_DAYS: i64 = 90;

/// A service-desk record's id as the desk's tool writes it (`INC-20431`, `PRB0012`):
/// ASCII letters and digits and `- _ . :` (desk tools write no other), at most `ID_MAX`,
/// kept upper-case so that one id is one key whoever typed it. (No `/` or `#`: an id is a segment of the change page's and
/// the API's addresses.)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IncidentId(String);

impl IncidentId {
    pub fn parse(text: &str) -> Result<IncidentId, Message> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Message::new("msg-required"));
        }
        if text.chars().count() > ID_MAX {
            return Err(Message::new("msg-too-long").arg("max", ID_MAX));
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
            || !text.chars().any(|c| c.is_ascii_alphanumeric())
        {
            return Err(Message::new("msg-incident-id"));
        }
        Ok(IncidentId(text.to_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a link of `relation` may be added to or removed from a change in `state` now:
/// what it was raised from while it is drafted or assessed; what it caused from its
/// implementation on, through its review, until `CAUSED_DAYS` after it was closed
/// (`closed_at`). Else the key of why not.
pub fn may_link(
    relation: Relation,
    state: ChangeState,
    closed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Message> {
    use ChangeState::*;
    match relation {
        Relation::RaisedFrom if matches!(state, Draft | Assess) => Ok(()),
        Relation::RaisedFrom => Err(Message::new("msg-incident-raised-from-when")),
        Relation::Caused => match (state, closed_at) {
            (Implement | Review, _) => Ok(()),
            (Closed, Some(closed)) if now - closed <= chrono::Duration::days(CAUSED_DAYS) => Ok(()),
            (Closed, _) => Err(Message::new("msg-incident-caused-too-late").arg("days", CAUSED_DAYS)),
            _ => Err(Message::new("msg-incident-caused-when")),
        },
    }
}

/// When `change` was closed, if it is: its last update, as nothing changes a closed change
/// (its review closed it).
pub fn closed_at(change: &super::change::Change) -> Option<DateTime<Utc>> {
    (change.state == ChangeState::Closed).then_some(change.updated_at)
}

/// The address of `id` in the desk's tool, from the configured pattern (`{id}` replaced,
/// URL-encoded).
pub fn link_for(pattern: Option<&str>, id: &str) -> Option<String> {
    let pattern = pattern?;
    let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Some(pattern.replace("{id}", &encoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_are_the_desks_as_typed_upper_cased_and_nothing_else() {
        assert_eq!(IncidentId::parse(" inc-20431 ").unwrap().as_str(), "INC-20431");
        assert_eq!(IncidentId::parse("PRB0012").unwrap().as_str(), "PRB0012");
        assert!(IncidentId::parse("").is_err());
        assert!(IncidentId::parse("INC 1").is_err());
        assert!(IncidentId::parse("<script>").is_err());
        assert!(IncidentId::parse("INC/1").is_err() && IncidentId::parse("INC#1").is_err(), "URL-safe");
        assert!(IncidentId::parse("..").is_err(), "a letter or digit at least");
        assert!(IncidentId::parse(&"X".repeat(ID_MAX + 1)).is_err());
        assert!(IncidentId::parse("INC-ÆØÅ").is_err(), "ASCII only");
        assert!(IncidentId::parse("INC-\u{0410}1").is_err(), "no Cyrillic A posing as a Latin one");
    }

    #[test]
    fn the_documented_pattern_takes_what_the_parser_takes() {
        let pattern = super::super::schema::incident_id().pattern.unwrap();
        let pattern = regex::Regex::new(&pattern).unwrap();
        for id in ["INC-20431", "prb.12:a_b", "..", "", "INC 1", "INC-ÆØÅ", "INC/1", "7"] {
            assert_eq!(pattern.is_match(id), IncidentId::parse(id).is_ok(), "{id:?}");
        }
    }

    #[test]
    fn raised_from_while_drafted_or_assessed_caused_from_implementation_for_90_days() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let closed = |days| Some(now - chrono::Duration::days(days));
        use ChangeState::*;
        assert!(may_link(Relation::RaisedFrom, Draft, None, now).is_ok());
        assert!(may_link(Relation::RaisedFrom, Assess, None, now).is_ok());
        assert!(may_link(Relation::RaisedFrom, Scheduled, None, now).is_err());
        assert!(may_link(Relation::Caused, Scheduled, None, now).is_err());
        assert!(may_link(Relation::Caused, Implement, None, now).is_ok());
        assert!(may_link(Relation::Caused, Review, None, now).is_ok(), "through the review, however long");
        assert!(may_link(Relation::Caused, Closed, closed(90), now).is_ok());
        assert_eq!(
            may_link(Relation::Caused, Closed, closed(91), now).unwrap_err().key,
            "msg-incident-caused-too-late"
        );
        assert!(may_link(Relation::Caused, Cancelled, None, now).is_err());
    }

    #[test]
    fn the_link_follows_the_pattern_with_the_id_encoded() {
        let pattern = Some("https://desk.example/incident/{id}");
        assert_eq!(
            link_for(pattern, "INC-20431").as_deref(),
            Some("https://desk.example/incident/INC-20431")
        );
        assert_eq!(link_for(pattern, "A:B").as_deref(), Some("https://desk.example/incident/A%3AB"));
        assert_eq!(link_for(None, "INC-1"), None);
    }
}
