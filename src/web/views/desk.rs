//! The service desk's page: a search, then what is changing now and in the next 48 hours.

use super::changes::Typed;
use super::components::{maybe_time, state_badge};
use crate::services::desk::DeskItem;
use crate::services::system_messages::MessageView;
use crate::web::session::Viewer;
use maud::{html, Markup};

/// The search, the changes found, then the system messages not yet over (with the forms
/// to write them for those who may; `refusal` is the last of those refused).
pub fn page(
    viewer: &Viewer,
    (items, messages, manage): (&[DeskItem], &[MessageView], bool),
    query: &str,
    refusal: Option<(&str, Typed<'_>)>,
) -> Markup {
    let lang = viewer.lang;
    html! {
        p { (lang.t("desk-intro")) }
        form.filters method="get" action="/desk" role="search" {
            div.field {
                label for="q" { (lang.t("desk-search")) }
                p.hint #q-hint { (lang.t("desk-search-hint")) }
                input #q type="search" name="q" value=(query) aria-describedby="q-hint";
            }
            button type="submit" { (lang.t("filter-apply")) }
        }
        p role="status" { (lang.t_with("list-total", &[("count", crate::i18n::num(items.len() as i64))])) }
        (table(viewer, items))
        (super::system_messages::open_list(viewer, messages, manage, refusal))
    }
}

/// The changes of the desk's view as a table (or a line saying there are none).
pub fn table(viewer: &Viewer, items: &[DeskItem]) -> Markup {
    let lang = viewer.lang;
    let answer = |question: &str, value: &Option<String>| match value {
        Some(v) => lang.t(&format!("answer-{question}-{v}")),
        None => "–".to_owned(),
    };
    html! {
        @if items.is_empty() {
            p.empty { (lang.t("desk-none")) }
        } @else {
            div.table-scroll {
                table.changes.dense.desk {
                    thead { tr {
                        th scope="col" { (lang.t("field-window")) }
                        th scope="col" { (lang.t("field-title")) }
                        th scope="col" { (lang.t("field-cis")) }
                        th scope="col" { (lang.t("question-downtime")) }
                        th scope="col" { (lang.t("question-users_affected")) }
                        th scope="col" { (lang.t("field-implementer")) }
                    } }
                    tbody {
                        @for item in items {
                            tr class=[item.now.then_some("now")] {
                                td {
                                    @if item.now { strong { (lang.t("desk-now")) } br; }
                                    (maybe_time(lang, viewer.zone, item.planned_start)) " – " (maybe_time(lang, viewer.zone, item.planned_end))
                                }
                                td { a href=(format!("/changes/{}", item.reference)) { (item.reference) " " (item.title) } " " (state_badge(lang, item.state)) }
                                td { (item.cis.join(", ")) }
                                td { (answer("downtime", &item.downtime)) }
                                td { (answer("users_affected", &item.users_affected)) }
                                td {
                                    @match (&item.implementer, &item.implementer_email) {
                                        (Some(name), Some(email)) => a href=(format!("mailto:{email}")) { (name) },
                                        _ => "–",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
