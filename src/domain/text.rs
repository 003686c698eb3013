//! `Text`: what a person or a client typed, parsed at the edge.
//!
//! Text may hold any Unicode except control characters other than tab and line feed (and
//! the bidirectional overrides, see `refused`): a
//! NUL cannot be stored by PostgreSQL (SQLite would keep it, so the two backends would
//! disagree), and a bare carriage return or an escape character breaks emails, calendar
//! files and terminals that show the text later. A browser sends the lines of a
//! `<textarea>` separated by CR LF; those become line feeds.

use super::validation::Message;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::ops::Deref;

/// The characters `refused` refuses, as the body of a regular-expression character class
/// (the OpenAPI document's patterns, `schema`).
pub const REFUSED_CLASS: &str = "\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069";

/// A string without control characters other than tab and line feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Text(String);

/// The first character that `Text` refuses, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlCharacter {
    pub character: char,
    /// Position (in characters, from 1) in the text as given.
    pub position: usize,
}

impl ControlCharacter {
    /// The character as `U+0000`.
    pub fn code(&self) -> String {
        format!("U+{:04X}", u32::from(self.character))
    }
}

impl fmt::Display for ControlCharacter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the control character {} (at character {}) is not allowed in text; only tab and line feed are",
            self.code(),
            self.position
        )
    }
}

impl From<ControlCharacter> for Message {
    fn from(found: ControlCharacter) -> Self {
        Message::new("msg-control-character").arg("code", found.code()).arg("position", found.position)
    }
}

/// Whether `c` is refused: C0 controls other than tab and line feed, DEL, the C1
/// controls, and the explicit bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069), which make text read differently from how it is
/// stored ("Trojan Source"). Right-to-left scripts need none of them, and the plain
/// direction marks (U+200E, U+200F) stay allowed.
fn refused(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl Text {
    /// Accepts `raw` with CR LF pairs turned into line feeds; refuses any other control
    /// character but tab and line feed (a lone CR included).
    pub fn parse(raw: &str) -> Result<Text, ControlCharacter> {
        if let Some(found) = first_refused(raw) {
            return Err(found);
        }
        Ok(Text(raw.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// `raw` without the characters `parse` refuses (CR LF read as LF): what to show again
    /// in a form whose field was refused, so the person loses nothing else they typed.
    pub fn without_refused(raw: &str) -> Text {
        let normalised = raw.replace("\r\n", "\n");
        Text(normalised.chars().filter(|c| !refused(*c)).collect())
    }

    /// Text written in the code itself (demo data, defaults); a literal with a control
    /// character becomes empty rather than stored.
    pub fn literal(text: &'static str) -> Text {
        Text::parse(text).unwrap_or_default()
    }

    /// The text without leading and trailing white space.
    pub fn trimmed(&self) -> Text {
        Text(self.0.trim().to_owned())
    }
}

/// `text` as one line of calendar TEXT (RFC 5545), which may hold no control character:
/// each is a space. Titles are parsed without them, but the calendar files do not lean on
/// every writer having done so (an import, a row from before the parser).
pub fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The first refused character of `raw`, a CR directly before an LF being allowed.
pub fn first_refused(raw: &str) -> Option<ControlCharacter> {
    let mut chars = raw.chars().enumerate().peekable();
    while let Some((index, c)) = chars.next() {
        let crlf = c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n');
        if refused(c) && !crlf {
            return Some(ControlCharacter { character: c, position: index + 1 });
        }
    }
    None
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Text::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Text {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::schema::text().into()
    }
}

impl utoipa::ToSchema for Text {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tab_line_feed_and_unicode_are_kept() {
        let text = Text::parse("Oppgradér «arkiv»\tfør jul\nlinje 2 ✓").unwrap();
        assert_eq!(text.as_str(), "Oppgradér «arkiv»\tfør jul\nlinje 2 ✓");
        // Right-to-left script and the plain direction marks need no override.
        let arabic = Text::parse("تحديث الخادم \u{200F}v2\u{200E}").unwrap();
        assert_eq!(arabic.as_str(), "تحديث الخادم \u{200F}v2\u{200E}");
    }

    #[test]
    fn a_browsers_crlf_becomes_a_line_feed() {
        assert_eq!(Text::parse("one\r\ntwo\r\n").unwrap().as_str(), "one\ntwo\n");
    }

    #[test]
    fn nul_lone_cr_escape_del_and_c1_are_refused_with_their_position() {
        for (raw, code, position) in [
            ("a\u{0}b", "U+0000", 2),
            ("title\rinjected", "U+000D", 6),
            ("\r", "U+000D", 1),
            ("x\u{1b}[31m", "U+001B", 2),
            ("del\u{7f}", "U+007F", 4),
            ("c1\u{85}", "U+0085", 3),
            ("ok\r\nbad\r", "U+000D", 8),
            ("invoice\u{202E}fdp.exe", "U+202E", 8),
            ("\u{2066}isolated", "U+2066", 1),
        ] {
            let found = Text::parse(raw).unwrap_err();
            assert_eq!((found.code(), found.position), (code.to_owned(), position), "{raw:?}");
        }
    }

    #[test]
    fn what_is_refused_can_be_dropped_to_show_the_rest_again() {
        assert_eq!(Text::without_refused("a\u{0}b\r\nc\rd\te").as_str(), "ab\ncd\te");
    }

    #[test]
    fn json_strings_with_control_characters_do_not_deserialize() {
        let error = serde_json::from_str::<Text>("\"a\\u0000@x.test\"").unwrap_err();
        assert!(error.to_string().contains("U+0000"), "{error}");
        assert_eq!(serde_json::from_str::<Text>("\"fine\"").unwrap().as_str(), "fine");
    }

    proptest! {
        #[test]
        fn parsed_text_never_holds_a_refused_character(raw in "\\PC*|[\\x00-\\x7f]*") {
            if let Ok(text) = Text::parse(&raw) {
                prop_assert!(!text.chars().any(refused));
            }
        }
    }
}
