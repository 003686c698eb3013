//! `/cab`: the next CAB meeting first, then the changes awaiting the CAB, highest risk
//! first, with approve and reject.

use super::html;
use crate::services::{meetings, queue, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn queue(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let veto = ctx.config.approval.veto;
    let (next, items) =
        page_run(ctx, viewer.lang, move |ctx| Ok((meetings::next(ctx, &caller)?, queue::cab(ctx, &caller)?)))
            .await?;
    let deadline =
        next.as_ref().map(|n| crate::web::views::cab::NextMeeting { cutoff_at: n.meeting.cutoff_at });
    let body = maud::html! {
        (crate::web::views::meetings::next(&viewer, next.as_ref()))
        h2 { (viewer.lang.t("cab-queue")) }
        (crate::web::views::cab::queue(&viewer, &items, veto, deadline))
    };
    Ok(html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-cab"), body)))
}
