//! What the OpenAPI document says about input fields beyond their Rust type: the rules
//! the parsers here enforce, stated once so that a client (and schemathesis) can know them
//! before sending. Each function is used as `#[schema(schema_with = …)]` on a field, next
//! to the field it describes; the rules themselves stay in the parsers (`Text`,
//! `validation::required_text`, `risk::RiskAnswers`, `webhook`), and these schemas are built
//! from the same constants where there are any.
//!
//! Patterns are ECMA-262 regular expressions, as JSON Schema reads them.

use super::text::REFUSED_CLASS;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type,
};

/// The years a time or date may lie in (`change::PLAUSIBLE_YEARS`, 2000–2199), as the start
/// of an RFC 3339 time or date.
pub const YEARS_PATTERN: &str = "^2[01][0-9]{2}-";

/// White space as `str::trim` sees it (Unicode White_Space), less the control characters
/// `Text` refuses anyway: a required text must hold something else.
const SPACE_CLASS: &str = "\\t\\n \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

/// One character `Text` takes: anything it does not refuse, or CR LF (read as LF).
fn allowed() -> String {
    format!("(?:[^{REFUSED_CLASS}]|\\r\\n)")
}

/// What `Text` accepts, as a whole-string pattern.
pub fn text_pattern() -> String {
    format!("^{}*$", allowed())
}

/// What `validation::required_text` accepts: `Text` with at least one character that is
/// not white space.
pub fn required_pattern() -> String {
    format!("^{a}*[^{REFUSED_CLASS}{SPACE_CLASS}]{a}*$", a = allowed())
}

fn string(nullable: bool) -> ObjectBuilder {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new().schema_type(kind)
}

fn required_text(max: usize, nullable: bool) -> Object {
    string(nullable)
        .description(Some(
            "Text without control characters other than tab and line feed, not only white space. \
             The length is counted once trimmed, with CR LF as one character.",
        ))
        .pattern(Some(required_pattern()))
        .min_length(Some(1))
        .max_length(Some(max))
        .build()
}

/// A text that must not be empty (nor only white space), of at most `MAX` characters.
pub fn required<const MAX: usize>() -> Object {
    required_text(MAX, false)
}

/// `required`, or `null` where leaving it out is allowed (an edit: `null` keeps it).
pub fn required_or_null<const MAX: usize>() -> Object {
    required_text(MAX, true)
}

/// Any text `Text` takes (a search, where no length is refused).
pub fn text() -> Object {
    string(false)
        .description(Some(
            "Text without control characters other than tab and line feed (CR LF is read as LF).",
        ))
        .pattern(Some(text_pattern()))
        .build()
}

fn optional_text(max: usize, nullable: bool) -> Object {
    string(nullable)
        .description(Some("Text without control characters other than tab and line feed; may be empty."))
        .pattern(Some(text_pattern()))
        .max_length(Some(max))
        .build()
}

/// A text that may be empty, of at most `MAX` characters.
pub fn optional<const MAX: usize>() -> Object {
    optional_text(MAX, false)
}

/// `optional`, or `null`.
pub fn optional_or_null<const MAX: usize>() -> Object {
    optional_text(MAX, true)
}

/// Characters neither an email address nor a webhook secret may hold: control characters,
/// white space, and the bidirectional controls `Text` refuses.
fn blank_or_control() -> String {
    format!("\\u0000-\\u0020\\u007F-\\u00A0\\u202A-\\u202E\\u2066-\\u2069{SPACE_CLASS}")
}

/// An email address as `users::parse_email` reads it: `local@domain`, the domain holding a
/// dot that neither begins nor ends it, no white space, at most 254 characters.
pub fn email() -> Object {
    let w = blank_or_control();
    string(false)
        .pattern(Some(format!("^[^@{w}]+@[^.{w}][^{w}]*\\.[^{w}]*[^.{w}]$")))
        .max_length(Some(254))
        .build()
}

/// A service-desk record's id (`incident::IncidentId`): letters, digits and `- _ . :`, at
/// least one letter or digit, at most `ID_MAX` characters.
pub fn incident_id() -> Object {
    string(false)
        .pattern(Some("^[-_.:A-Za-z0-9]*[A-Za-z0-9][-_.:A-Za-z0-9]*$"))
        .max_length(Some(super::incident::ID_MAX))
        .build()
}

/// The days of the week, as `maintenance` and the CAB settings read them.
const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// What a meeting on a holiday does: `next_working_day` or `skip` (as `CabConfig::rule` reads it).
pub fn on_holiday() -> Object {
    string(false).enum_values(Some(["next_working_day", "skip"])).build()
}

/// `monday` … `friday`: the CAB meets on a working day. (The server also takes other
/// cases and surrounding spaces; the document lists the spelling it answers with.)
pub fn working_weekday() -> Object {
    string(false)
        .description(Some("`monday` … `friday` (any case)"))
        .enum_values(Some(WEEKDAYS[..5].iter().copied()))
        .build()
}

/// `monday` … `sunday` (as `working_weekday`, any case).
pub fn weekday() -> Object {
    string(false).description(Some("`monday` … `sunday` (any case)")).enum_values(Some(WEEKDAYS)).build()
}

/// A local time of day, `HH:MM` (24 hours), as chrono's `%H:%M` reads it once trimmed:
/// the hour and the minute may also be written with one digit (`9:05`, `9:5`).
const TIME_OF_DAY_PATTERN: &str = "^\\s*([01]?[0-9]|2[0-3]):[0-5]?[0-9]\\s*$";

pub fn time_of_day() -> Object {
    string(false).description(Some("`HH:MM`, 24 hours")).pattern(Some(TIME_OF_DAY_PATTERN)).build()
}

/// An IANA time zone the server knows (chrono-tz's list), or `null` for the service's.
pub fn zone_or_null() -> Object {
    let names = chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name());
    string(true).enum_values(Some(names.map(Some).chain([None::<&str>]))).build()
}

/// `https://`, a host name (labels of letters, digits and inner hyphens; the last one
/// beginning with a letter, as an address of digits alone is read as IPv4), an optional
/// port up to 65535, then any path and query of printable ASCII but `#`.
const WEBHOOK_URL_PATTERN: &str = concat!(
    "^https://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*",
    "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    "(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?",
    "(?:[/?][!\"$-~]*)?$"
);

/// A webhook receiver's address: absolute `https://` (plain `http://` only to the hosts the
/// operator allows, which the document cannot list, so it states https alone), with a host, no credentials, no
/// fragment, at most `webhook::URL_MAX` bytes.
fn webhook_url_builder(nullable: bool) -> ObjectBuilder {
    string(nullable)
        .description(Some(
            "`https://…` (plain `http://` only to the hosts the operator lists in `webhook_http_hosts`).",
        ))
        .pattern(Some(WEBHOOK_URL_PATTERN))
        .max_length(Some(super::webhook::URL_MAX))
}

pub fn webhook_url() -> Object {
    webhook_url_builder(false).build()
}

pub fn webhook_url_or_null() -> Object {
    webhook_url_builder(true).build()
}

/// A webhook secret: `SECRET_MIN`–`SECRET_MAX` characters, none a control character or
/// white space; `null` or left out, one is made.
pub fn webhook_secret_or_null() -> Object {
    use super::webhook::{SECRET_MAX, SECRET_MIN};
    string(true)
        .pattern(Some(format!("^[^{}]{{{SECRET_MIN},{SECRET_MAX}}}$", blank_or_control())))
        .min_length(Some(SECRET_MIN))
        .max_length(Some(SECRET_MAX))
        .build()
}

/// The risk questionnaire's answers: each question (all optional here; `submit` needs them
/// all) with the answers it has, nothing else.
fn risk_answers(nullable: bool) -> Object {
    let kind = if nullable {
        SchemaType::from_iter([Type::Object, Type::Null])
    } else {
        SchemaType::Type(Type::Object)
    };
    let mut object = ObjectBuilder::new()
        .schema_type(kind)
        .description(Some("Answers to the risk questionnaire, `{question: answer}`."))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for question in super::risk::QUESTIONS {
        let answers = question.answers.iter().map(|(answer, _)| *answer);
        object = object.property(
            question.key,
            string(false).description(Some(question.text)).enum_values(Some(answers)),
        );
    }
    object.build()
}

pub fn risk_answers_object() -> Object {
    risk_answers(false)
}

pub fn risk_answers_or_null() -> Object {
    risk_answers(true)
}

/// An attachment's name (`attachment::FileName`): no folder separators, control
/// characters or direction marks, not only white space, not `.` or `..`, at most
/// `NAME_MAX` characters. (The server also takes a whole path and keeps its last part.)
pub fn file_name() -> Object {
    let a = "[^/\\\\\\u0000-\\u001F\\u007F-\\u009F\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]";
    let n = format!(
        "[^./\\\\\\u0000-\\u001F\\u007F-\\u009F\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069{SPACE_CLASS}]"
    );
    string(false)
        .pattern(Some(format!("^(?:{a}*{n}{a}*|{a}*\\.{a}*\\.{a}*\\.{a}*)$")))
        .max_length(Some(super::attachment::NAME_MAX))
        .build()
}

/// An upload's bytes, as they are (`application/octet-stream`).
pub struct FileBytes;

impl utoipa::PartialSchema for FileBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for FileBytes {}

/// A service-desk record's id, as the API's filters and links read it.
impl utoipa::PartialSchema for super::incident::IncidentId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        incident_id().into()
    }
}

impl utoipa::ToSchema for super::incident::IncidentId {}

/// An attachment's name, as an upload names it.
impl utoipa::PartialSchema for super::attachment::FileName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        file_name().into()
    }
}

impl utoipa::ToSchema for super::attachment::FileName {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Text;
    use crate::domain::validation::required_text as parse_required;

    /// The patterns, read as a regular-expression engine reads them, agree with the parsers
    /// on the characters that matter (ECMA-262's syntax used here is also `regex`'s).
    #[test]
    fn the_text_patterns_accept_what_the_parsers_accept() {
        let text = regex::Regex::new(&text_pattern()).unwrap();
        let required = regex::Regex::new(&required_pattern()).unwrap();
        let samples = [
            "",
            " ",
            "\t",
            "\n",
            "a",
            " a ",
            "Oppgradér «arkiv»",
            "line\r\nline",
            "bare\rcr",
            "nul\0",
            "esc\u{1b}",
            "del\u{7f}",
            "c1\u{85}",
            "rlo\u{202e}",
            "isolate\u{2066}",
            "\u{a0}",
            "\u{3000}x",
            "\u{200f}mark",
            "\u{feff}",
            "tab\tand\nline",
        ];
        for sample in samples {
            let parsed = Text::parse(sample);
            assert_eq!(text.is_match(sample), parsed.is_ok(), "text pattern on {sample:?}");
            let kept = parsed.is_ok_and(|t| parse_required(&t, 100).is_ok());
            assert_eq!(required.is_match(sample), kept, "required pattern on {sample:?}");
        }
    }

    #[test]
    fn the_file_name_pattern_accepts_only_names_the_parser_keeps() {
        let pattern =
            regex::Regex::new(serde_json::to_value(file_name()).unwrap()["pattern"].as_str().unwrap())
                .unwrap();
        for (name, matches) in [
            ("plan.pdf", true),
            ("...", true),
            ("Testrapport – v2.docx", true),
            ("", false),
            (" ", false),
            (".", false),
            ("..", false),
            (" .. ", false),
            ("a/b.txt", false),
            ("c:\\x.txt", false),
            ("rapport\u{202e}fdp.bat", false),
            ("nul\0.txt", false),
        ] {
            assert_eq!(pattern.is_match(name), matches, "{name:?}");
            if matches {
                assert!(crate::domain::attachment::FileName::parse(name).is_ok(), "{name:?}");
            }
        }
    }

    #[test]
    fn the_webhook_address_pattern_accepts_only_addresses_the_parser_keeps() {
        let pattern = regex::Regex::new(WEBHOOK_URL_PATTERN).unwrap();
        for (url, matches) in [
            ("https://hooks.example.no/endring", true),
            ("https://localhost:8443/a?b=c", true),
            ("https://x", true),
            ("https://52B.5[l/\\:", false),
            ("https://KTu9:IsNX.", false),
            ("https://host:65536/", false),
            ("https://10.0.0.1/", false),
            ("https://h/#fragment", false),
            ("http://hooks.example.no/", false),
            ("https://user@hooks.example.no/", false),
        ] {
            assert_eq!(pattern.is_match(url), matches, "{url}");
            if matches {
                assert!(crate::domain::webhook::WebhookUrl::parse(url, &[]).is_ok(), "{url}");
            }
        }
    }

    #[test]
    fn the_time_of_day_pattern_is_what_chrono_reads() {
        let pattern = regex::Regex::new(TIME_OF_DAY_PATTERN).unwrap();
        for text in [
            "00:00", "09:00", "9:00", "9:5", "23:59", " 07:30 ", "24:00", "12:60", "7", "0730", "07:30:00",
            "ab:cd", "", "-1:00", "07:3a",
        ] {
            let chrono = chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").is_ok();
            assert_eq!(pattern.is_match(text), chrono, "{text:?}");
        }
    }

    #[test]
    fn the_weekdays_and_zones_listed_are_the_ones_taken() {
        let days = serde_json::to_value(weekday()).unwrap()["enum"].clone();
        assert_eq!(days, serde_json::json!(WEEKDAYS));
        let working = serde_json::to_value(working_weekday()).unwrap()["enum"].clone();
        assert_eq!(working, serde_json::json!(&WEEKDAYS[..5]));
        let zones = serde_json::to_value(zone_or_null()).unwrap()["enum"].clone();
        let zones = zones.as_array().unwrap();
        assert!(zones.len() > 400 && zones.contains(&serde_json::Value::Null));
        for zone in zones.iter().filter_map(|z| z.as_str()) {
            assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{zone}");
        }
        assert!(zones.contains(&serde_json::json!("Europe/Oslo")));
    }

    #[test]
    fn the_years_pattern_is_the_plausible_years() {
        let pattern = regex::Regex::new(YEARS_PATTERN).unwrap();
        for year in 1000..=9999 {
            assert_eq!(
                pattern.is_match(&format!("{year}-01-01T00:00:00Z")),
                crate::domain::change::PLAUSIBLE_YEARS.contains(&year),
                "{year}"
            );
        }
    }

    #[test]
    fn the_answers_schema_lists_every_question_and_answer() {
        let schema = serde_json::to_value(risk_answers_object()).unwrap();
        for question in crate::domain::risk::QUESTIONS {
            let listed = &schema["properties"][question.key]["enum"];
            let expected: Vec<_> = question.answers.iter().map(|(a, _)| *a).collect();
            assert_eq!(listed, &serde_json::json!(expected), "{}", question.key);
        }
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));
    }

    #[test]
    fn the_secret_pattern_agrees_with_check_secret() {
        let pattern = regex::Regex::new(
            serde_json::to_value(webhook_secret_or_null()).unwrap()["pattern"].as_str().unwrap(),
        )
        .unwrap();
        for secret in [
            "0123456789abcdef",
            "0123456789abcde",
            "with space 012345",
            "ørn-ørn-ørn-ørn-ø",
            "x\u{a0}0123456789abcdef",
        ] {
            assert_eq!(
                pattern.is_match(secret),
                crate::domain::webhook::check_secret(secret).is_ok(),
                "{secret:?}"
            );
        }
    }
}
