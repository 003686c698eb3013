//! `/`: the home page, with a section for each of the viewer's roles.

use super::html;
use crate::services::{queue, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::{changes::table, page};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html as markup;

pub async fn home(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let sections = page_run(ctx, viewer.lang, move |ctx| queue::home(ctx, &caller)).await?;
    let lang = viewer.lang;
    let body = markup! {
        @for (heading, items) in &sections {
            @let heading = heading.key();
            section aria-labelledby=(heading) {
                h2 #(heading) { (lang.t(heading)) }
                (table(&viewer, items))
            }
        }
    };
    Ok(html(
        StatusCode::OK,
        page(&viewer, &lang.t_with("home-title", &[("name", crate::i18n::arg(&viewer.caller.name))]), body),
    ))
}
