//! `/desk`: what is being changed now and in the next 48 hours, for the service desk.

use super::html;
use crate::domain::text::Text;
use crate::services::{desk, Ctx};
use crate::web::extract::Query;
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DeskQuery {
    q: Option<Text>,
}

pub async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<DeskQuery>,
) -> Result<HttpResponse, PageError> {
    let text = query.q.as_ref().map(|q| q.as_str().trim().to_owned()).unwrap_or_default();
    let caller = viewer.caller.clone();
    let search = text.clone();
    let items = page_run(ctx, viewer.lang, move |ctx| desk::view(ctx, &caller, Some(&search))).await?;
    let body = crate::web::views::desk::page(&viewer, &items, &text);
    Ok(html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-desk"), body)))
}
