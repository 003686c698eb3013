//! `/`: the home page, with a section for each of the viewer's roles.

use super::html;
use crate::services::{queue, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn home(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let sections = page_run(ctx, viewer.lang, move |ctx| queue::home(ctx, &caller)).await?;
    let lang = viewer.lang;
    let body = crate::web::views::home::home(&viewer, &sections);
    Ok(html(
        StatusCode::OK,
        page(&viewer, &lang.t_with("home-title", &[("name", crate::i18n::arg(&viewer.caller.name))]), body),
    ))
}
