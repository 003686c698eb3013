//! `/cab`: changes awaiting the CAB, highest risk first, with approve and reject.

use super::html;
use crate::services::{queue, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::components::{csrf, maybe_time, risk_badge};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html as markup;

pub async fn queue(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let items = page_run(ctx, viewer.lang, move |ctx| queue::cab(ctx, &caller)).await?;
    let lang = viewer.lang;
    let body = markup! {
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
                    @for item in &items {
                        @let change = &item.change;
                        tr {
                            td { a href=(format!("/changes/{}", change.reference)) { (change.reference) } }
                            td { (change.title) }
                            td { (risk_badge(lang, change.risk_level)) " " (change.risk_score) }
                            td { (maybe_time(viewer.zone, change.planned_start)) }
                            td {
                                @if item.awaiting_viewer {
                                    form.vote method="post" action=(format!("/changes/{}/votes", change.reference)) {
                                        (csrf(&viewer.csrf))
                                        @let id = format!("comment-{}", change.reference);
                                        label.visually-hidden for=(id) { (lang.t_with("cab-comment-on", &[("ref", crate::i18n::arg(&change.reference))])) }
                                        input #(id) type="text" name="comment" placeholder=(lang.t("field-comment"));
                                        button type="submit" name="decision" value="approve" { (lang.t("action-approve")) }
                                        button type="submit" name="decision" value="reject" { (lang.t("action-reject")) }
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
    };
    Ok(html(StatusCode::OK, page(&viewer, &lang.t("nav-cab"), body)))
}
