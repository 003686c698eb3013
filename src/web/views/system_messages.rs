//! System messages: the public page, the Atom feed, and the forms that write them (on
//! the change page and the desk's page).

use super::changes::Typed;
use super::components::{csrf, input, textarea, time, Input};
use crate::domain::system_message::{MessageStatus, Section};
use crate::i18n::{arg, Lang};
use crate::services::system_messages::{span, MessageView};
use crate::web::session::Viewer;
use maud::{html, Markup, PreEscaped};

pub fn status_badge(lang: Lang, status: MessageStatus) -> Markup {
    html! { span class=(format!("badge msg-{status}")) { (lang.t(&format!("msg-status-{status}"))) } }
}

/// One message as employees read it: title, status, when, text, and what happened since.
/// `heading` is the level of its title in the page (`h2` or `h3`).
pub fn article(lang: Lang, zone: chrono_tz::Tz, message: &MessageView, heading: u8) -> Markup {
    let title = message.title(lang);
    let title_lang = (lang == Lang::En && message.title_en.is_none()).then_some("nb");
    let body_lang = (lang == Lang::En && message.body_en.is_none()).then_some("nb");
    html! {
        article.message id=(format!("message-{}", message.id)) {
            @if heading == 2 { h2 lang=[title_lang] { (title) } } @else { h3 lang=[title_lang] { (title) } }
            p.meta {
                (status_badge(lang, message.status)) " "
                @if message.change.is_some() {
                    (lang.t("msg-when")) " " (span(lang, zone, message.starts_at, message.ends_at))
                } @else {
                    (lang.t("msg-since")) " " (super::components::maybe_time(lang, zone, message.starts_at))
                    @if let (Some(end), false) = (message.ends_at, message.status.is_final()) {
                        " · " (lang.t("msg-expected-end")) " " (time(lang, zone, end))
                    }
                }
            }
            p.text lang=[body_lang] { (message.body(lang)) }
            @if !message.updates.is_empty() {
                @if heading == 2 { h3.updates-title { (lang.t("msg-updates")) } } @else { h4.updates-title { (lang.t("msg-updates")) } }
                ul.updates {
                    @for update in message.updates.iter().rev() {
                        li {
                            (time(lang, zone, update.at)) " – "
                            span lang=[(lang == Lang::En && update.text_en.is_none()).then_some("nb")] { (update.text(lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// The page everyone may read: current, upcoming, then past messages.
pub fn public_page(lang: Lang, zone: chrono_tz::Tz, messages: &[MessageView]) -> Markup {
    let sections = [Section::Current, Section::Upcoming, Section::Past];
    let head = html! {
        link rel="alternate" type="application/atom+xml" title=(lang.t("msg-feed")) href=(format!("/messages.atom?lang={}", lang.code()));
    };
    let body = html! {
        p { (lang.t("msg-intro")) }
        p.languages {
            a href=(format!("/messages.atom?lang={}", lang.code())) { (lang.t("msg-feed")) }
            " · "
            @for other in Lang::ALL.iter().filter(|l| **l != lang) {
                a href=(format!("/messages?lang={}", other.code())) lang=(other.code()) { (other.t("language-name")) }
            }
        }
        @for section in sections {
            @let shown: Vec<&MessageView> = messages.iter().filter(|m| m.section == section).collect();
            section aria-labelledby=(format!("section-{section}")) {
                h2 #(format!("section-{section}")) { (lang.t(&format!("msg-section-{section}"))) }
                @if shown.is_empty() {
                    p.empty { (lang.t(&format!("msg-none-{section}"))) }
                }
                @for message in shown { (article(lang, zone, message, 3)) }
            }
        }
    };
    super::layout::public_page(lang, &lang.t("msg-title"), head, body)
}

/// The Atom feed (RFC 4287) of the published messages, in `lang`.
pub fn atom(lang: Lang, zone: chrono_tz::Tz, messages: &[MessageView], base: &str) -> String {
    let updated = messages.iter().map(|m| m.updated_at).max().unwrap_or_default();
    let page = format!("{base}/messages");
    let markup = html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
        feed xmlns="http://www.w3.org/2005/Atom" xml:lang=(lang.code()) {
            id { (base) "/messages.atom" }
            title { (lang.t("msg-title")) " – Endring" }
            updated { (updated.to_rfc3339()) }
            author { name { "Endring" } }
            link rel="self" type="application/atom+xml" href=(format!("{base}/messages.atom?lang={}", lang.code())) {}
            link rel="alternate" type="text/html" href=(format!("{page}?lang={}", lang.code())) {}
            @for message in messages {
                entry {
                    id { (page) "#message-" (message.id) }
                    title { (lang.t(&format!("msg-status-{}", message.status))) ": " (message.title(lang)) }
                    updated { (message.updated_at.to_rfc3339()) }
                    @if let Some(published) = message.published_at { published { (published.to_rfc3339()) } }
                    link rel="alternate" type="text/html" href=(format!("{page}?lang={}#message-{}", lang.code(), message.id)) {}
                    category term=(message.status.as_str()) label=(lang.t(&format!("msg-status-{}", message.status))) {}
                    content type="text" {
                        (lang.t("msg-when")) " " (span(lang, zone, message.starts_at, message.ends_at)) "\n\n"
                        (message.body(lang))
                        @for update in message.updates.iter().rev() {
                            "\n\n" (lang.datetime(zone, update.at)) " – " (update.text(lang))
                        }
                    }
                }
            }
        }
    };
    markup.into_string()
}

/// The forms to rewrite a message, publish a draft and post an update, for those who
/// manage messages; each returns to `back`. `refusal` is why the last of them was refused, with what was typed.
pub fn manage(
    viewer: &Viewer,
    message: &MessageView,
    back: &str,
    refusal: Option<(&str, Typed<'_>)>,
) -> Markup {
    let lang = viewer.lang;
    let id = message.id;
    let edit_action = format!("message-{id}");
    let update_action = format!("message-{id}-update");
    let refused = |action: &str| refusal.filter(|(_, t)| t.action == action).map(|(m, _)| m);
    let typed = |action: &str, name: &str, stored: &str| -> String {
        match refusal.filter(|(_, t)| t.action == action) {
            Some((_, t)) => {
                t.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
            }
            None => stored.to_owned(),
        }
    };
    let field = |name: &str| format!("m{id}-{name}");
    html! {
        @if message.published_at.is_none() {
            form.action method="post" action=(format!("/messages/{id}/publish")) {
                (csrf(&viewer.csrf))
                input type="hidden" name="back" value=(back);
                p { (lang.t("msg-draft-hint")) }
                button type="submit" { (lang.t("msg-publish")) }
            }
        }
        details.action open[refused(&edit_action).is_some()] {
            summary { (lang.t("msg-edit")) }
            form method="post" action=(format!("/messages/{id}")) {
                (csrf(&viewer.csrf))
                input type="hidden" name="back" value=(back);
                input type="hidden" name="version" value=(message.version);
                @if let Some(problem) = refused(&edit_action) { p.field-error role="alert" { (problem) } }
                (input(Input::Text, &lang.t("msg-title-nb"), &field("title_nb"), &typed(&edit_action, &field("title_nb"), &message.title_nb), None, true))
                (textarea(&lang.t("msg-body-nb"), &field("body_nb"), &typed(&edit_action, &field("body_nb"), &message.body_nb), None))
                (input(Input::Text, &lang.t("msg-title-en"), &field("title_en"), &typed(&edit_action, &field("title_en"), message.title_en.as_deref().unwrap_or("")), None, false))
                (textarea(&lang.t("msg-body-en"), &field("body_en"), &typed(&edit_action, &field("body_en"), message.body_en.as_deref().unwrap_or("")), None))
                button type="submit" { (lang.t("msg-save")) }
            }
        }
        details.action open[refused(&update_action).is_some()] {
            summary { (lang.t("msg-post-update")) }
            form method="post" action=(format!("/messages/{id}/updates")) {
                (csrf(&viewer.csrf))
                input type="hidden" name="back" value=(back);
                @if let Some(problem) = refused(&update_action) { p.field-error role="alert" { (problem) } }
                (textarea(&lang.t("msg-update-nb"), &field("text_nb"), &typed(&update_action, &field("text_nb"), ""), None))
                (textarea(&lang.t("msg-update-en"), &field("text_en"), &typed(&update_action, &field("text_en"), ""), None))
                @if message.change.is_none() {
                    div.check {
                        input #(field("resolve")) type="checkbox" name=(field("resolve")) value="yes" checked[!typed(&update_action, &field("resolve"), "").is_empty()];
                        label for=(field("resolve")) { (lang.t("msg-resolve")) }
                    }
                }
                button type="submit" { (lang.t("msg-post-update")) }
            }
        }
    }
}

/// The desk's form to publish a disruption that belongs to no change.
pub fn new_disruption(viewer: &Viewer, refusal: Option<(&str, Typed<'_>)>) -> Markup {
    let lang = viewer.lang;
    let refused = refusal.filter(|(_, t)| t.action == "new-message");
    let typed = |name: &str| {
        refused
            .and_then(|(_, t)| t.values.iter().find(|(k, _)| k == name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    html! {
        details.action open[refused.is_some()] {
            summary { (lang.t("msg-new")) }
            form method="post" action="/messages" {
                (csrf(&viewer.csrf))
                @if let Some((problem, _)) = refused { p.field-error role="alert" { (problem) } }
                p.hint { (lang.t("msg-new-hint")) }
                (input(Input::Text, &lang.t("msg-title-nb"), "title_nb", typed("title_nb"), None, true))
                (textarea(&lang.t("msg-body-nb"), "body_nb", typed("body_nb"), None))
                (input(Input::Text, &lang.t("msg-title-en"), "title_en", typed("title_en"), None, false))
                (textarea(&lang.t("msg-body-en"), "body_en", typed("body_en"), None))
                button type="submit" { (lang.t("msg-publish")) }
            }
        }
    }
}

/// The system messages not yet over, as the desk's page lists them, each with the
/// forms to manage it when the viewer may.
pub fn open_list(
    viewer: &Viewer,
    messages: &[MessageView],
    manage_them: bool,
    refusal: Option<(&str, Typed<'_>)>,
) -> Markup {
    let lang = viewer.lang;
    html! {
        section aria-labelledby="open-messages" {
            h2 #open-messages { (lang.t("msg-open")) }
            p { a href="/messages" { (lang.t("msg-public-link")) } }
            @if manage_them { (new_disruption(viewer, refusal)) }
            @if messages.is_empty() {
                p.empty { (lang.t("msg-none-open")) }
            }
            @for message in messages {
                div.message-box {
                    @if message.published_at.is_none() { p.draft { strong { (lang.t("msg-draft")) } } }
                    (article(lang, viewer.zone, message, 3))
                    @if let Some(change) = &message.change {
                        p { a href=(format!("/changes/{change}#message")) { (lang.t_with("msg-of-change", &[("ref", arg(change))])) } }
                    }
                    @if manage_them { (manage(viewer, message, "/desk", refusal)) }
                }
            }
        }
    }
}
