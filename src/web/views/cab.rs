//! The CAB queue: changes awaiting votes, highest risk first, with approve and reject.

use super::components::{csrf, maybe_time, risk_badge};
use crate::services::queue::QueueItem;
use crate::web::session::Viewer;
use maud::{html, Markup};

pub fn queue(viewer: &Viewer, items: &[QueueItem], veto: bool) -> Markup {
    let lang = viewer.lang;
    html! {
        @if items.is_empty() {
            p.empty { (lang.t("cab-empty")) }
        } @else {
            table.queue {
                thead { tr {
                    th scope="col" { (lang.t("field-ref")) } th scope="col" { (lang.t("field-title")) }
                    th scope="col" { (lang.t("field-risk")) } th scope="col" { (lang.t("field-planned-start")) }
                    th scope="col" { (lang.t("cab-your-vote")) }
                } }
                tbody {
                    @for item in items {
                        @let change = &item.change;
                        tr {
                            td { a href=(format!("/changes/{}", change.reference)) { (change.reference) } }
                            td { (change.title) }
                            td { (risk_badge(lang, change.risk_level)) " " (change.risk_score) }
                            td { (maybe_time(viewer.lang, viewer.zone, change.planned_start)) }
                            td {
                                @if item.awaiting_viewer || !item.awaiting_for.is_empty() {
                                    form.vote method="post" action=(format!("/changes/{}/votes", change.reference)) {
                                        (csrf(&viewer.csrf))
                                        @let id = format!("comment-{}", change.reference);
                                        label.visually-hidden for=(id) { (lang.t_with("cab-comment-on", &[("ref", crate::i18n::arg(&change.reference))])) }
                                        // A textarea: Enter adds a line and never submits (with a
                                        // text input, Enter pressed the first button: Approve).
                                        textarea #(id) name="comment" rows="2" placeholder=(lang.t("field-comment")) {}
                                        (super::vote::vote_as_field(lang, &format!("as-{}", change.reference), item.awaiting_viewer, &item.awaiting_for))
                                        (super::vote::vote_buttons(lang, &change.reference, veto))
                                    }
                                } @else {
                                    (lang.t("cab-no-vote-needed"))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
