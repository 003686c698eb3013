//! Pieces every page uses: form fields with their errors, badges that say their status in
//! words (never by colour alone), times in the viewer's zone.

use crate::domain::change::ChangeState;
use crate::domain::risk::RiskLevel;
use crate::domain::validation::FieldError;
use crate::i18n::Lang;
use chrono::{DateTime, Utc};
use maud::{html, Markup};

/// Field errors of a form, worded in the viewer's language, found by field name.
#[derive(Debug, Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    pub fn new(lang: Lang, errors: Vec<FieldError>) -> Self {
        Errors(errors.into_iter().map(|e| (e.field, lang.message(&e.message))).collect())
    }

    pub fn on(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field || name.starts_with(&format!("{field}.")))
            .map(|(_, message)| message.as_str())
    }

    /// A summary at the top of the form, each error linking to its field.
    pub fn summary(&self, lang: Lang) -> Markup {
        html! {
            @if !self.0.is_empty() {
                div.errors role="alert" tabindex="-1" {
                    h2 { (lang.t("form-has-errors")) }
                    ul {
                        @for (field, message) in &self.0 {
                            li { a href=(format!("#{}", field_id(field))) { (field_label(lang, field)) ": " (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// The label of a form field, for the error summary (`answers.tested` → its question).
pub fn field_label(lang: Lang, field: &str) -> String {
    let key = match field.strip_prefix("answers.") {
        Some(question) => format!("question-{question}"),
        None => match field {
            "ci_ids" => "field-cis".to_owned(),
            "implementer_id" => "field-implementer".to_owned(),
            "template_id" => "field-template".to_owned(),
            other => format!("field-{}", other.replace('_', "-")),
        },
    };
    lang.try_t(&key).unwrap_or_else(|| field.to_owned())
}

/// The id of a field's control (`answers.tested` → `answers-tested`).
pub fn field_id(name: &str) -> String {
    name.replace('.', "-")
}

fn described(name: &str, error: Option<&str>) -> Option<String> {
    error.map(|_| format!("{}-error", field_id(name)))
}

fn error_text(name: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = error {
            p.field-error id=(format!("{}-error", field_id(name))) { (message) }
        }
    }
}

/// Which kind of single-line input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Email,
    /// The user's own password, to sign in.
    Password,
    /// A password being set for someone.
    NewPassword,
    DateTimeLocal,
    Date,
    Number,
}

impl Input {
    fn html_type(self) -> &'static str {
        match self {
            Input::Text => "text",
            Input::Email => "email",
            Input::Password | Input::NewPassword => "password",
            Input::DateTimeLocal => "datetime-local",
            Input::Date => "date",
            Input::Number => "number",
        }
    }
}

/// A labelled single-line input with its error.
pub fn input(
    kind: Input,
    label: &str,
    name: &str,
    value: &str,
    error: Option<&str>,
    required: bool,
) -> Markup {
    let id = field_id(name);
    // The input's purpose, for browsers and assistive technology (WCAG 1.3.5).
    let autocomplete = match (kind, name) {
        (Input::Email, "email") => Some("email"),
        (Input::Password, _) => Some("current-password"),
        (Input::NewPassword, _) => Some("new-password"),
        _ => None,
    };
    html! {
        div.field {
            label for=(id) { (label) }
            input #(id) type=(kind.html_type()) name=(name) value=(value) required[required] autocomplete=[autocomplete]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described(name, error)];
            (error_text(name, error))
        }
    }
}

/// A labelled multi-line input with its error.
pub fn textarea(label: &str, name: &str, value: &str, error: Option<&str>) -> Markup {
    let id = field_id(name);
    html! {
        div.field {
            label for=(id) { (label) }
            textarea #(id) name=(name) rows="4"
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described(name, error)] { (value) }
            (error_text(name, error))
        }
    }
}

/// A labelled select; `options` are (value, text).
pub fn select(
    label: &str,
    name: &str,
    options: &[(String, String)],
    selected: &str,
    error: Option<&str>,
) -> Markup {
    let id = field_id(name);
    html! {
        div.field {
            label for=(id) { (label) }
            select #(id) name=(name) aria-invalid=[error.map(|_| "true")] aria-describedby=[described(name, error)] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            (error_text(name, error))
        }
    }
}

/// A fieldset of checkboxes; `options` are (value, text).
pub fn checkboxes(
    legend: &str,
    name: &str,
    options: &[(String, String)],
    checked: &[String],
    error: Option<&str>,
) -> Markup {
    html! {
        fieldset.field #(field_id(name)) aria-describedby=[described(name, error)] {
            legend { (legend) }
            @for (value, text) in options {
                @let id = format!("{}-{}", field_id(name), value);
                div.check {
                    input #(id) type="checkbox" name=(name) value=(value) checked[checked.contains(value)];
                    label for=(id) { (text) }
                }
            }
            (error_text(name, error))
        }
    }
}

pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A change's state, in words, styled by state.
pub fn state_badge(lang: Lang, state: ChangeState) -> Markup {
    html! { span class=(format!("badge state-{state}")) { (lang.t(&format!("state-{state}"))) } }
}

/// A risk level, in words, styled by level.
pub fn risk_badge(lang: Lang, level: RiskLevel) -> Markup {
    html! { span class=(format!("badge risk-{level}")) { (lang.t(&format!("risk-{level}"))) } }
}

/// A time in the viewer's zone, with the zone's abbreviation (CET, CEST), in a `<time>`.
pub fn time(zone: chrono_tz::Tz, at: DateTime<Utc>) -> Markup {
    let local = at.with_timezone(&zone);
    html! { time datetime=(at.to_rfc3339()) { (local.format("%Y-%m-%d %H:%M %Z")) } }
}

/// A UTC time as the value of a `datetime-local` input in `zone` (empty for none).
pub fn local_input_value(zone: chrono_tz::Tz, at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// An optional time, or a dash.
pub fn maybe_time(zone: chrono_tz::Tz, at: Option<DateTime<Utc>>) -> Markup {
    html! {
        @match at {
            Some(at) => (time(zone, at)),
            None => "–",
        }
    }
}

/// What a window clashes with: each conflict's kind, the change it clashes with (linked)
/// or the freeze, and when.
pub fn conflict_list(
    lang: Lang,
    zone: chrono_tz::Tz,
    conflicts: &[crate::domain::schedule::Conflict],
) -> Markup {
    html! {
        ul.conflicts {
            @for conflict in conflicts {
                li {
                    strong { (lang.t(&format!("conflict-{}", conflict.kind))) } ": "
                    @if let Some(reference) = &conflict.change_ref {
                        a href=(format!("/changes/{reference}")) { (reference) } " "
                    }
                    (conflict.title) " (" (time(zone, conflict.starts_at)) " – " (time(zone, conflict.ends_at)) ")"
                }
            }
        }
    }
}
