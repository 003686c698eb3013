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
                // Focused on arrival (no script needed), so the first thing read is
                // what to fix.
                div.errors role="alert" tabindex="-1" autofocus {
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

/// A labelled wall-clock time in `zone`, typed or picked. When the time typed occurs twice
/// there (the hour the clocks go back), the person is asked which one they mean: a
/// `<name>_fold` radio pair naming each with its offset.
pub struct WhenInput<'a> {
    pub label: &'a str,
    pub name: &'a str,
    pub value: &'a str,
    pub fold: &'a str,
    pub error: Option<&'a str>,
    pub required: bool,
}

pub fn when_input(lang: Lang, zone: chrono_tz::Tz, field: WhenInput<'_>) -> Markup {
    use chrono::TimeZone;
    let twice = crate::web::pages::forms::typed_datetime(field.value).and_then(|naive| {
        match zone.from_local_datetime(&naive) {
            chrono::LocalResult::Ambiguous(first, second) => Some((first, second)),
            _ => None,
        }
    });
    let fold_name = format!("{}_fold", field.name);
    html! {
        (input(Input::DateTimeLocal, field.label, field.name, field.value, field.error, field.required))
        @if let Some((first, second)) = twice {
            fieldset.field.fold #(field_id(&fold_name)) {
                legend { (lang.t_with("fold-which", &[("time", crate::i18n::arg(first.format("%H:%M")))])) }
                @for (value, at) in [("earlier", first), ("later", second)] {
                    @let id = format!("{}-{value}", field_id(&fold_name));
                    div.check {
                        input #(id) type="radio" name=(fold_name) value=(value) checked[field.fold == value];
                        label for=(id) { (lang.t_with(&format!("fold-{value}"), &[
                            ("time", crate::i18n::arg(at.format("%H:%M"))),
                            ("zone", crate::i18n::arg(at.format("%Z"))),
                            ("offset", crate::i18n::arg(at.format("%:z"))),
                        ])) }
                    }
                }
            }
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

/// A time on the viewer's wall clock, as their language writes it (`10.12.2026 kl. 18:00`,
/// `10 Dec 2026, 18:00`), in a `<time>` whose title names the zone (CET, CEST): the one
/// way to tell the two 02:30s of an October night apart.
pub fn time(lang: Lang, zone: chrono_tz::Tz, at: DateTime<Utc>) -> Markup {
    let abbreviation = at.with_timezone(&zone).format("%Z").to_string();
    html! { time datetime=(at.to_rfc3339()) title=(abbreviation) { (lang.datetime(zone, at)) } }
}

/// A UTC time as the value of a `datetime-local` input in `zone` (empty for none).
pub fn local_input_value(zone: chrono_tz::Tz, at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// An optional time, or a dash.
pub fn maybe_time(lang: Lang, zone: chrono_tz::Tz, at: Option<DateTime<Utc>>) -> Markup {
    html! {
        @match at {
            Some(at) => (time(lang, zone, at)),
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
                    (conflict.title) " (" (time(lang, zone, conflict.starts_at)) " – " (time(lang, zone, conflict.ends_at)) ")"
                }
            }
        }
    }
}

/// Which of a repeated wall-clock time a stored time is (`earlier`/`later`), so that its
/// form says so; empty for the other 8,759 hours of the year.
pub fn fold_of(zone: chrono_tz::Tz, at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let Some(at) = at else { return String::new() };
    match chrono::TimeZone::from_local_datetime(&zone, &at.with_timezone(&zone).naive_local()) {
        chrono::LocalResult::Ambiguous(first, _) if first.with_timezone(&chrono::Utc) == at => {
            "earlier".to_owned()
        }
        chrono::LocalResult::Ambiguous(..) => "later".to_owned(),
        _ => String::new(),
    }
}
