//! `/desk`: what is being changed now and in the next 48 hours, and the system messages
//! not yet over, for the service desk.

use super::html;
use crate::domain::text::Text;
use crate::services::{desk, system_messages, Ctx};
use crate::web::extract::Query;
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::changes::Typed;
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
    render(ctx, &viewer, &text, None).await
}

/// A form on the desk's page that was refused: the status, why, which form (`action`)
/// and what was typed into it.
pub struct DeskRefusal {
    pub status: StatusCode,
    pub message: String,
    pub action: String,
    pub typed: Vec<(String, String)>,
}

/// The desk's page for `query`, with the refusal of the last form posted from it.
pub async fn render(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    query: &str,
    refusal: Option<DeskRefusal>,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let search = query.to_owned();
    let (items, messages, manage) = page_run(ctx, viewer.lang, move |ctx| {
        let items = desk::view(ctx, &caller, Some(&search))?;
        let messages = system_messages::open(ctx, &caller)?;
        let manage = system_messages::may_manage(ctx, &caller);
        Ok((items, messages, manage))
    })
    .await?;
    let shown = refusal.as_ref().map(|r| (r.message.as_str(), Typed { action: &r.action, values: &r.typed }));
    let body = crate::web::views::desk::page(viewer, (&items, &messages, manage), query, shown);
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    Ok(html(status, page(viewer, &viewer.lang.t("nav-desk"), body)))
}
