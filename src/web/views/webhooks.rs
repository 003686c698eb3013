//! The admin's webhook pages: the subscriptions with the form to add one, and one
//! subscription with its settings, its actions and its delivery log.

use super::components::{checkboxes, csrf, input, maybe_time, time, Errors, Input};
use crate::domain::webhook::EventType;
use crate::i18n::{arg, Lang};
use crate::services::webhooks::{DeliveryView, WebhookView};
use crate::web::session::Viewer;
use maud::{html, Markup};

/// A form as sent: its errors and what was typed (empty on a fresh page).
pub struct Typed<'a> {
    pub errors: &'a Errors,
    pub values: &'a [(String, String)],
}

impl Typed<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.values.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    fn sent(&self) -> bool {
        !self.values.is_empty()
    }
}

fn event_options(lang: Lang) -> Vec<(String, String)> {
    EventType::ALL.iter().map(|t| (t.to_string(), lang.t(&format!("webhook-event-{t}")))).collect()
}

/// Why a delivery failed, in the reader's language, with what the network or the
/// receiver said.
pub fn failure(lang: Lang, stored: &str) -> String {
    match crate::domain::webhook::Failure::read(stored) {
        (Some(kind), detail) => format!("{} ({detail})", lang.t(&format!("webhook-error-{kind}"))),
        (None, text) => text.to_owned(),
    }
}

/// An event type or `test`, in words.
fn event_name(lang: Lang, event: &str) -> String {
    lang.try_t(&format!("webhook-event-{event}")).unwrap_or_else(|| event.to_owned())
}

fn events_text(lang: Lang, events: &[EventType]) -> String {
    events.iter().map(|e| event_name(lang, e.as_str())).collect::<Vec<_>>().join(", ")
}

fn state_badge(lang: Lang, active: bool) -> Markup {
    html! {
        @if active { span.badge.state-scheduled { (lang.t("webhook-active")) } }
        @else { span.badge.state-cancelled { (lang.t("webhook-paused")) } }
    }
}

/// The subscriptions and the form to add one.
pub fn list(viewer: &Viewer, webhooks: &[WebhookView], form: &Typed<'_>) -> Markup {
    let lang = viewer.lang;
    let checked = match form.sent() {
        true => form.all("events"),
        false => Vec::new(),
    };
    html! {
        p.hint { (lang.t("webhooks-intro")) }
        @if webhooks.is_empty() { p.empty { (lang.t("webhooks-none")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (lang.t("webhook-url")) } th scope="col" { (lang.t("webhook-events")) }
                    th scope="col" { (lang.t("webhook-state")) } th scope="col" { (lang.t("webhook-waiting")) }
                    th scope="col" { (lang.t("webhook-failed")) }
                } }
                tbody { @for hook in webhooks { tr {
                    td { a href=(format!("/admin/webhooks/{}", hook.id)) { (hook.url) } }
                    td { (events_text(lang, &hook.events)) }
                    td { (state_badge(lang, hook.active)) }
                    td { (hook.waiting) }
                    td { (hook.failed) }
                } } }
            }
        }
        h2 #add { (lang.t("webhook-add")) }
        form method="post" action="/admin/webhooks" {
            (form.errors.summary(lang))
            (csrf(&viewer.csrf))
            (input(Input::Text, &lang.t("webhook-url"), "url", form.value("url").unwrap_or(""), form.errors.on("url"), true))
            p.hint { (lang.t("webhook-url-hint")) }
            (checkboxes(&lang.t("webhook-events"), "events", &event_options(lang), &checked, form.errors.on("events")))
            (input(Input::Text, &lang.t("webhook-secret"), "secret", form.value("secret").unwrap_or(""), form.errors.on("secret"), false))
            p.hint { (lang.t("webhook-secret-hint")) }
            button type="submit" { (lang.t("webhook-add")) }
        }
    }
}

/// One subscription: its settings form, its actions and its newest deliveries.
pub fn detail(viewer: &Viewer, hook: &WebhookView, log: &[DeliveryView], form: &Typed<'_>) -> Markup {
    let lang = viewer.lang;
    let id = hook.id;
    let checked = match form.sent() {
        true => form.all("events"),
        false => hook.events.iter().map(|e| e.to_string()).collect(),
    };
    let action = |what: &str| format!("/admin/webhooks/{id}/{what}");
    html! {
        p { a href="/admin/webhooks" { (lang.t("admin-webhooks")) } }
        p { (state_badge(lang, hook.active)) " " (lang.t_with("webhook-backlog", &[("waiting", arg(hook.waiting)), ("failed", arg(hook.failed))])) }
        div.actions {
            form method="post" action=(action("test")) {
                (csrf(&viewer.csrf))
                button type="submit" { (lang.t("webhook-test")) }
            }
            @if hook.active {
                form method="post" action=(action("pause")) {
                    (csrf(&viewer.csrf))
                    button type="submit" { (lang.t("webhook-pause")) }
                }
            } @else {
                form method="post" action=(action("resume")) {
                    (csrf(&viewer.csrf))
                    button type="submit" { (lang.t("webhook-resume")) }
                }
            }
        }
        h2 #log { (lang.t("webhook-log")) }
        @if log.is_empty() { p.empty { (lang.t("webhook-no-deliveries")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (lang.t("webhook-col-queued")) } th scope="col" { (lang.t("webhook-col-event")) }
                    th scope="col" { (lang.t("field-ref")) }
                    th scope="col" { (lang.t("webhook-col-status")) } th scope="col" { (lang.t("webhook-col-code")) }
                    th scope="col" { (lang.t("webhook-col-attempts")) } th scope="col" { (lang.t("webhook-col-time")) }
                    th scope="col" { (lang.t("webhook-col-error")) }
                    th scope="col" { (lang.t("section-actions")) }
                } }
                tbody { @for d in log { tr {
                    td { (time(lang, viewer.zone, d.created_at)) }
                    td { (event_name(lang, &d.event_type)) }
                    td { @if let Some(change) = d.change_id {
                        a href=(format!("/changes/{change}")) { (crate::domain::ids::ChangeId(change).reference()) }
                    } @else { "–" } }
                    td {
                        span class=(format!("badge delivery-{}", d.status)) { (lang.t(&format!("webhook-status-{}", d.status))) }
                        @if let Some(next) = d.next_attempt_at {
                            " " span.hint { (lang.t("webhook-next-attempt")) " " (maybe_time(lang, viewer.zone, Some(next))) }
                        }
                    }
                    td { (d.response_code.map_or("–".to_owned(), |c| c.to_string())) }
                    td { (d.attempts) }
                    td { (maybe_time(lang, viewer.zone, d.last_attempt_at)) }
                    td { (d.error.as_deref().map_or("–".to_owned(), |e| failure(lang, e))) }
                    td { @if d.status == "failed" {
                        form method="post" action=(format!("/admin/webhooks/{id}/deliveries/{}/retry", d.id)) {
                            (csrf(&viewer.csrf))
                            button type="submit" aria-label=(lang.t_with("webhook-retry-named", &[("id", arg(d.id))])) { (lang.t("admin-retry")) }
                        }
                    } }
                } } }
            }
        }
        h2 #settings { (lang.t("webhook-settings")) }
        form method="post" action=(format!("/admin/webhooks/{id}")) {
            (form.errors.summary(lang))
            (csrf(&viewer.csrf))
            (input(Input::Text, &lang.t("webhook-url"), "url", form.value("url").unwrap_or(&hook.url), form.errors.on("url"), true))
            (checkboxes(&lang.t("webhook-events"), "events", &event_options(lang), &checked, form.errors.on("events")))
            (input(Input::Text, &lang.t("webhook-new-secret"), "secret", form.value("secret").unwrap_or(""), form.errors.on("secret"), false))
            p.hint { (lang.t("webhook-new-secret-hint")) }
            button type="submit" { (lang.t("webhook-save")) }
        }
        h2 #remove { (lang.t("webhook-delete")) }
        form method="post" action=(action("delete")) {
            (csrf(&viewer.csrf))
            p.hint { (lang.t("webhook-delete-hint")) }
            button.danger type="submit" { (lang.t("webhook-delete")) }
        }
    }
}
