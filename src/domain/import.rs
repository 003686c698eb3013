//! Importing history from CSV exports: which column is which (Endring's own names and
//! the headers iTop's and GLPI's exports write), their change states and types mapped to
//! ours, and the dates as those tools write them. Pure: reading files and writing rows
//! is elsewhere.

use super::change::{ChangeState, ChangeType, ClosureCode};
use super::risk::RiskLevel;
use super::text_enum::text_enum;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

text_enum! {
    /// The tool an export came from: it decides the column headers and state names read.
    pub enum Source {
        /// Endring's own column names (documented in the README).
        Endring = "endring",
        /// iTop's CSV export of changes (Change, or NormalChange, RoutineChange and
        /// EmergencyChange of the ITIL module) or of functional CIs.
        Itop = "itop",
        /// GLPI's CSV export of a search of changes or of assets.
        Glpi = "glpi",
    }
}

/// A field of an imported change or CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Id,
    Title,
    Description,
    State,
    Type,
    Requester,
    Implementer,
    Cis,
    PlannedStart,
    PlannedEnd,
    ActualStart,
    ActualEnd,
    CreatedAt,
    DecidedAt,
    ClosedAt,
    ClosureCode,
    Risk,
    ImplementationPlan,
    BackoutPlan,
    TestPlan,
    // CIs
    Name,
    Kind,
    Criticality,
    Owner,
}

/// The headers each field is read from, compared without case, spaces, `_` and `-`
/// (`Start date`, `start_date` and `startdate` are one): Endring's name first, then
/// iTop's codes and labels, then GLPI's labels.
pub const HEADERS: &[(Field, &[&str])] = &[
    (Field::Id, &["id", "ref", "reference", "referanse"]),
    (Field::Title, &["title", "tittel"]),
    (Field::Description, &["description", "beskrivelse", "content"]),
    (Field::State, &["state", "status"]),
    (Field::Type, &["type", "change_type", "finalclass", "class", "changetype"]),
    (
        Field::Requester,
        &[
            "requester",
            "innmelder",
            "caller",
            "caller_id_friendlyname",
            "caller->full name",
            "requester - requester",
            "requester-requester",
        ],
    ),
    (
        Field::Implementer,
        &[
            "implementer",
            "utfører",
            "agent",
            "agent_id_friendlyname",
            "agent->full name",
            "assigned to - technician",
            "technician",
        ],
    ),
    (Field::Cis, &["cis", "ci", "functionalcis_list", "items", "ci names"]),
    (Field::PlannedStart, &["planned_start", "start_date", "start date", "planned start date"]),
    (Field::PlannedEnd, &["planned_end", "end_date", "end date", "planned end date"]),
    (Field::ActualStart, &["actual_start"]),
    (Field::ActualEnd, &["actual_end", "resolution date", "solvedate"]),
    (Field::CreatedAt, &["created_at", "creation_date", "creation date", "opening date"]),
    (Field::DecidedAt, &["decided_at", "approval_date", "approval date"]),
    (Field::ClosedAt, &["closed_at", "close_date", "close date", "closing date", "closedate"]),
    (Field::ClosureCode, &["closure_code", "result"]),
    (Field::Risk, &["risk", "risk_level"]),
    (Field::ImplementationPlan, &["implementation_plan", "deployment plan", "rolloutplancontent"]),
    (
        Field::BackoutPlan,
        &["backout_plan", "fallback_plan", "fallback plan", "backup plan", "backoutplancontent"],
    ),
    (Field::TestPlan, &["test_plan", "checklist", "checklistcontent"]),
    (Field::Name, &["name", "navn"]),
    (Field::Kind, &["kind", "type", "finalclass", "class", "ci sub-class"]),
    (Field::Criticality, &["criticality", "business_criticity", "business criticity", "kritikalitet"]),
    (Field::Owner, &["owner", "owner_email", "eier"]),
];

impl Field {
    /// Its column in Endring's own format (the first header it is read from).
    pub fn name(self) -> &'static str {
        HEADERS.iter().find(|(f, _)| *f == self).map_or("?", |(_, names)| names[0])
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A header as compared: lower case, without spaces, `_` and `-` (`->` kept apart).
fn key(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace("->", ">")
        .replace([' ', '_', '-'], "")
}

/// Which column holds each field, found from a header row.
#[derive(Debug, Clone, Default)]
pub struct Columns(Vec<(Field, usize)>);

impl Columns {
    /// Finds `fields` among `headers` (the first matching header wins). iTop's advanced
    /// export has its numeric `id` beside the `ref` people know: from iTop the id is `ref`.
    pub fn find(headers: &[&str], fields: &[Field], source: Source) -> Columns {
        let keys: Vec<String> = headers.iter().map(|h| key(h)).collect();
        let mut found = Vec::new();
        for field in fields {
            let names = match (source, field) {
                (Source::Itop, Field::Id) => &["ref", "reference", "id"][..],
                _ => HEADERS.iter().find(|(f, _)| f == field).map_or(&[][..], |(_, names)| names),
            };
            if let Some(at) = names.iter().find_map(|name| keys.iter().position(|k| *k == key(name))) {
                found.push((*field, at));
            }
        }
        Columns(found)
    }

    pub fn has(&self, field: Field) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }

    /// The field's value in `record` (trimmed; empty when the column is absent).
    pub fn get<'a>(&self, record: &'a [&'a str], field: Field) -> &'a str {
        self.0.iter().find(|(f, _)| *f == field).and_then(|(_, at)| record.get(*at)).map_or("", |v| v.trim())
    }
}

/// The fields a change import reads, and those it cannot do without.
pub const CHANGE_FIELDS: &[Field] = &[
    Field::Id,
    Field::Title,
    Field::Description,
    Field::State,
    Field::Type,
    Field::Requester,
    Field::Implementer,
    Field::Cis,
    Field::PlannedStart,
    Field::PlannedEnd,
    Field::ActualStart,
    Field::ActualEnd,
    Field::CreatedAt,
    Field::DecidedAt,
    Field::ClosedAt,
    Field::ClosureCode,
    Field::Risk,
    Field::ImplementationPlan,
    Field::BackoutPlan,
    Field::TestPlan,
];
pub const CHANGE_REQUIRED: &[Field] = &[Field::Id, Field::Title, Field::State];

/// The fields a CI import reads, and those it cannot do without.
pub const CI_FIELDS: &[Field] = &[Field::Name, Field::Kind, Field::Criticality, Field::Owner];
pub const CI_REQUIRED: &[Field] = &[Field::Name];

/// The source an export's headers show: iTop writes `Ref`/`ref`, GLPI `ID` beside
/// `Opening date` or an `Items` column, Endring `state`.
pub fn detect(headers: &[&str]) -> Option<Source> {
    let keys: Vec<String> = headers.iter().map(|h| key(h)).collect();
    let has = |name: &str| keys.iter().any(|k| *k == key(name));
    if has("ref") || has("finalclass") || has("business_criticity") || has("caller_id_friendlyname") {
        Some(Source::Itop)
    } else if has("opening date") || has("requester - requester") || has("assigned to - technician") {
        Some(Source::Glpi)
    } else if has("state") || has("kind") || has("criticality") {
        Some(Source::Endring)
    } else {
        None
    }
}

/// How a source's change state is ours: `None` when the name is not one of its states.
pub fn state(source: Source, text: &str) -> Option<ChangeState> {
    use ChangeState as S;
    let text = text.trim().to_lowercase();
    match source {
        Source::Endring => text.parse().ok(),
        // iTop: Change (new, assigned, planned, approved, rejected, closed) and the ITIL
        // module's (validated, plannedscheduled, notapproved, implemented, monitored),
        // by code or English label.
        Source::Itop => match text.as_str() {
            "new" | "validated" | "assigned" => Some(S::Assess),
            "planned" | "plannedscheduled" | "planned and scheduled" => Some(S::Authorize),
            "approved" => Some(S::Scheduled),
            "rejected" | "notapproved" | "not approved" => Some(S::Rejected),
            "implemented" | "monitored" => Some(S::Review),
            "closed" => Some(S::Closed),
            _ => None,
        },
        // GLPI: by English label or status number.
        Source::Glpi => match text.as_str() {
            "new" | "1" | "evaluation" | "9" => Some(S::Assess),
            "approval" | "10" => Some(S::Authorize),
            "accepted" | "7" => Some(S::Scheduled),
            // Waiting, anywhere in GLPI's flow: a change manager looks at it again.
            "pending" | "4" => Some(S::Assess),
            "test" | "11" | "qualification" | "12" => Some(S::Implement),
            "applied" | "5" | "review" | "8" => Some(S::Review),
            "closed" | "6" => Some(S::Closed),
            "canceled" | "cancelled" | "13" => Some(S::Cancelled),
            "refused" | "14" => Some(S::Rejected),
            _ => None,
        },
    }
}

/// The states a source's export may hold, for the report of an unknown one.
pub fn known_states(source: Source) -> &'static str {
    match source {
        Source::Endring => "draft, assess, authorize, scheduled, implement, review, closed, rejected, cancelled",
        Source::Itop => {
            "new, validated, assigned, planned, plannedscheduled, approved, rejected, notapproved, implemented, monitored, closed"
        }
        Source::Glpi => {
            "New, Evaluation, Approval, Accepted, Pending, Test, Qualification, Applied, Review, Closed, Canceled, Refused (or their numbers)"
        }
    }
}

/// The change type a row names (iTop's classes; GLPI has none): normal when empty.
pub fn change_type(text: &str) -> Option<ChangeType> {
    match text.trim().to_lowercase().as_str() {
        "" | "normal" | "normalchange" | "change" => Some(ChangeType::Normal),
        "standard" | "routinechange" | "routine" => Some(ChangeType::Standard),
        "emergency" | "emergencychange" => Some(ChangeType::Emergency),
        _ => None,
    }
}

/// A risk level a row names; low when empty.
pub fn risk(text: &str) -> Option<RiskLevel> {
    match text.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
        "" => Some(RiskLevel::Low),
        other => other.parse().ok(),
    }
}

/// A closure code a row names (none when empty).
pub fn closure(text: &str) -> Result<Option<ClosureCode>, super::text_enum::UnknownValue> {
    match text.trim() {
        "" => Ok(None),
        other => other.to_lowercase().parse().map(Some),
    }
}

/// A CI's criticality: 1–4, or iTop's business criticity (high 1, medium 2, low 3);
/// 3 when empty.
pub fn criticality(text: &str) -> Option<i32> {
    match text.trim().to_lowercase().as_str() {
        "" | "low" => Some(3),
        "high" => Some(1),
        "medium" => Some(2),
        other => other.parse().ok().filter(|c| (1..=4).contains(c)),
    }
}

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a date in any known form.
    Unreadable,
    /// A wall-clock time the zone skips (the spring-forward hour).
    Skipped,
}

/// A date or time as the exports write them: RFC 3339 with its offset, or a wall-clock
/// time in `zone` (`2026-03-01 14:30:00`, `2026-03-01 14:30`, `01.03.2026 14:30`, a date
/// alone at midnight). A repeated autumn hour is read as its first occurrence.
pub fn time(text: &str, zone: chrono_tz::Tz) -> Result<Option<DateTime<Utc>>, TimeError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    // A leap second (`23:59:60`) is read by chrono as a nanosecond past a billion; the
    // backends would store it differently, so it is refused.
    let leap = |nanos: u32| nanos >= 1_000_000_000;
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return match leap(at.nanosecond()) {
            true => Err(TimeError::Unreadable),
            false => Ok(Some(at.with_timezone(&Utc))),
        };
    }
    const FORMATS: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ];
    let naive = FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%d.%m.%Y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .filter(|naive| !leap(naive.nanosecond()))
        .ok_or(TimeError::Unreadable)?;
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(at) => Ok(Some(at.with_timezone(&Utc))),
        chrono::LocalResult::Ambiguous(first, _) => Ok(Some(first.with_timezone(&Utc))),
        chrono::LocalResult::None => Err(TimeError::Skipped),
    }
}

/// The CI names of a cell: separated by `|`, `;` or new lines; or iTop's link set
/// (`functionalci_id->friendlyname:Sak/arkiv;impact_code:manual|…`), its CIs' names.
pub fn names(cell: &str) -> Vec<String> {
    let items: Vec<&str> = match cell.contains("->") {
        true => cell
            .split(['|', '\n'])
            .filter_map(|item| {
                item.split(';').find_map(|part| {
                    let (attribute, value) = part.split_once(':')?;
                    attribute.contains("->").then_some(value)
                })
            })
            .collect(),
        false => cell.split(['|', ';', '\n']).collect(),
    };
    items.into_iter().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Oslo;

    #[test]
    fn headers_are_found_in_each_tools_spelling() {
        let itop = ["Ref", "Title", "Status", "Start date", "End date", "Caller->Full name", "Fallback plan"];
        let columns = Columns::find(&itop, CHANGE_FIELDS, Source::Itop);
        let row = [
            "C-000042",
            "Oppgradere sak/arkiv",
            "closed",
            "2025-03-01 18:00:00",
            "2025-03-01 20:00:00",
            "Ola Nordmann",
            "Rull tilbake",
        ];
        assert_eq!(columns.get(&row, Field::Id), "C-000042");
        assert_eq!(columns.get(&row, Field::PlannedEnd), "2025-03-01 20:00:00");
        assert_eq!(columns.get(&row, Field::Requester), "Ola Nordmann");
        assert_eq!(columns.get(&row, Field::BackoutPlan), "Rull tilbake");
        assert_eq!(columns.get(&row, Field::TestPlan), "", "an absent column reads empty");
        assert_eq!(detect(&itop), Some(Source::Itop));
        let glpi = ["ID", "Title", "Status", "Opening date", "Requester - Requester", "Description"];
        assert_eq!(detect(&glpi), Some(Source::Glpi));
        assert!(Columns::find(&glpi, CHANGE_FIELDS, Source::Glpi).has(Field::CreatedAt));
        // iTop's advanced export: its numeric id beside the reference people know.
        let advanced = ["id", "ref", "title", "status"];
        let row = ["42", "C-000042", "x", "closed"];
        assert_eq!(Columns::find(&advanced, CHANGE_FIELDS, Source::Itop).get(&row, Field::Id), "C-000042");
        assert_eq!(Columns::find(&advanced, CHANGE_FIELDS, Source::Endring).get(&row, Field::Id), "42");
        assert_eq!(
            detect(&["\u{feff}id", "title", "state"]),
            Some(Source::Endring),
            "a BOM left on a header"
        );
        assert_eq!(detect(&["foo", "bar"]), None);
    }

    #[test]
    fn every_state_of_itop_and_glpi_is_one_of_ours_and_others_are_unknown() {
        for name in known_states(Source::Itop).split(", ") {
            assert!(state(Source::Itop, name).is_some(), "iTop {name}");
        }
        for name in [
            "New",
            "Evaluation",
            "Approval",
            "Accepted",
            "Pending",
            "Test",
            "Qualification",
            "Applied",
            "Review",
            "Closed",
            "Canceled",
            "Refused",
        ] {
            assert!(state(Source::Glpi, name).is_some(), "GLPI {name}");
        }
        assert_eq!(state(Source::Itop, "approved"), Some(ChangeState::Scheduled));
        assert_eq!(state(Source::Glpi, "6"), Some(ChangeState::Closed));
        assert_eq!(state(Source::Glpi, "Refused"), Some(ChangeState::Rejected));
        assert_eq!(state(Source::Itop, "frozen"), None);
        assert_eq!(state(Source::Endring, "closed"), Some(ChangeState::Closed));
    }

    #[test]
    fn times_are_read_as_the_tools_write_them_in_the_zone() {
        let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(time("2026-12-10 18:00:00", Oslo), Ok(Some(utc("2026-12-10T17:00:00Z"))));
        assert_eq!(time("10.12.2026 18:00", Oslo), Ok(Some(utc("2026-12-10T17:00:00Z"))));
        assert_eq!(time("2026-07-01", Oslo), Ok(Some(utc("2026-06-30T22:00:00Z"))));
        assert_eq!(time("2026-12-10T18:00:00+01:00", Oslo), Ok(Some(utc("2026-12-10T17:00:00Z"))));
        assert_eq!(time("", Oslo), Ok(None));
        assert_eq!(time("2026-03-29 02:30", Oslo), Err(TimeError::Skipped), "the skipped March hour");
        assert_eq!(
            time("2026-10-25 02:30", Oslo),
            Ok(Some(utc("2026-10-25T00:30:00Z"))),
            "the first October 02:30"
        );
        assert_eq!(time("31.02.2026 10:00", Oslo), Err(TimeError::Unreadable));
        assert_eq!(time("2026-12-10 23:59:60", Oslo), Err(TimeError::Unreadable), "no leap seconds");
        assert_eq!(time("2026-12-31T23:59:60Z", Oslo), Err(TimeError::Unreadable), "nor with an offset");
    }

    #[test]
    fn types_risks_criticalities_and_ci_lists() {
        assert_eq!(change_type("RoutineChange"), Some(ChangeType::Standard));
        assert_eq!(change_type(""), Some(ChangeType::Normal));
        assert_eq!(change_type("big"), None);
        assert_eq!(risk("very high"), Some(RiskLevel::VeryHigh));
        assert_eq!(risk("huge"), None);
        assert_eq!(criticality("high"), Some(1));
        assert_eq!(criticality("4"), Some(4));
        assert_eq!(criticality("5"), None);
        assert_eq!(names("Sak/arkiv | Lønn\nAD; Lønn, prod"), ["Sak/arkiv", "Lønn", "AD", "Lønn, prod"]);
        assert_eq!(
            names("functionalci_id->friendlyname:Sak/arkiv;impact_code:manual|functionalci_id->friendlyname:Lønn, prod;impact_code:computed"),
            ["Sak/arkiv", "Lønn, prod"]
        );
    }
}
