//! Field-level validation errors, gathered so a client can fix every field at once.

use serde::Serialize;

/// One field that could not be accepted, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// Collects field errors while input is parsed.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value when it parsed; records the error under `field` when not.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e.to_string())).ok()
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
pub fn required_text(text: &str, max: usize) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err("must not be empty".into())
    } else if trimmed.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}

/// Trims `text` and allows up to `max` characters (empty is fine).
pub fn optional_text(text: &str, max: usize) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}
