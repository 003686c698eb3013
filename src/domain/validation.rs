//! Field-level validation errors, gathered so a client can fix every field at once.
//!
//! A message is a key into `locales/` with its arguments, not a sentence: the pages word
//! it in the reader's language, the API in English.

/// A message by key (a Fluent id, `msg-…`) with named arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Arguments each language words itself: a time, a date, a word of the locale files.
    pub words: Vec<(&'static str, Word)>,
}

/// An argument worded by the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// A time on the wall clock of a zone (`10.12.2026 kl. 18:00`, `10 Dec 2026, 18:00`).
    Time(chrono::DateTime<chrono::Utc>, chrono_tz::Tz),
    /// A day (`10.12.2026`, `10 Dec 2026`).
    Date(chrono::NaiveDate),
    /// The text of a key of the locale files (a state's name).
    Key(String),
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Message { key, args: Vec::new(), words: Vec::new() }
    }

    /// Adds the argument `name`.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Adds the argument `name`, worded by each language.
    pub fn word(mut self, name: &'static str, word: Word) -> Self {
        self.words.push((name, word));
        self
    }
}

/// One field that could not be accepted, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: Message,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: Message) -> Self {
        FieldError { field: field.into(), message }
    }
}

/// Collects field errors while input is parsed.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: Message) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value when it parsed; records the error under `field` when not.
    pub fn check<T, E: Into<Message>>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e.into())).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

/// Trims `text` and requires 1..=`max` characters.
pub fn required_text(text: &str, max: usize) -> Result<String, Message> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(Message::new("msg-required"))
    } else {
        optional_text(trimmed, max)
    }
}

/// Trims `text` and allows up to `max` characters (empty is fine). Control characters
/// other than tab and line feed are refused here too, whatever path the text came by.
pub fn optional_text(text: &str, max: usize) -> Result<String, Message> {
    let trimmed = text.trim();
    if let Some(found) = super::text::first_refused(trimmed) {
        Err(found.into())
    } else if trimmed.chars().count() > max {
        Err(Message::new("msg-too-long").arg("max", max))
    } else {
        Ok(trimmed.to_owned())
    }
}

impl From<super::text_enum::UnknownValue> for Message {
    fn from(unknown: super::text_enum::UnknownValue) -> Self {
        Message::new("msg-unknown-value").arg("given", unknown.given).arg("known", unknown.known.join(", "))
    }
}

impl From<super::change::WindowError> for Message {
    fn from(error: super::change::WindowError) -> Self {
        use super::change::{WindowError, MAX_WINDOW_DAYS};
        match error {
            WindowError::EndsBeforeStart => Message::new("msg-ends-before-start"),
            WindowError::OutOfRange => Message::new("msg-time-out-of-range"),
            WindowError::TooLong => Message::new("msg-window-too-long").arg("days", MAX_WINDOW_DAYS),
        }
    }
}
