//! `/cab`: changes awaiting the CAB, highest risk first, with approve and reject.

use super::html;
use crate::services::{queue, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn queue(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let items = page_run(ctx, viewer.lang, move |ctx| queue::cab(ctx, &caller)).await?;
    let body = crate::web::views::cab::queue(&viewer, &items);
    Ok(html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-cab"), body)))
}
