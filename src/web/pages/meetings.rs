//! `/cab/meetings/{id}`: a CAB meeting and its agenda, printable, and as Markdown.

use super::html;
use crate::services::{meetings, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::{meetings as view, page};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

pub async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    let detail = page_run(ctx, viewer.lang, move |ctx| meetings::detail(ctx, &caller, id)).await?;
    let title = view::title(viewer.lang, viewer.zone, &detail.meeting);
    Ok(html(StatusCode::OK, page(&viewer, &title, view::page(&viewer, &detail))))
}

pub async fn markdown(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    let detail = page_run(ctx, viewer.lang, move |ctx| meetings::detail(ctx, &caller, id)).await?;
    let file =
        format!("cab-agenda-{}.md", detail.meeting.starts_at.with_timezone(&viewer.zone).format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(view::markdown(viewer.lang, viewer.zone, &detail)))
}
