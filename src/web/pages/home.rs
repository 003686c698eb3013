//! `/`: the home page, with a section for each of the viewer's roles.

use super::html;
use crate::services::{queue, Ctx};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn home(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    // The service desk's home leads with what is changing now and in the next 48 hours.
    let desk_first = caller.roles.contains(&crate::domain::role::Role::ServiceDesk);
    let (sections, desk) = page_run(ctx, viewer.lang, move |ctx| {
        let desk = match desk_first {
            true => Some(crate::services::desk::view(ctx, &caller, None)?),
            false => None,
        };
        Ok((queue::home(ctx, &caller)?, desk))
    })
    .await?;
    let lang = viewer.lang;
    let body = crate::web::views::home::home(&viewer, &sections, desk.as_deref());
    Ok(html(
        StatusCode::OK,
        page(&viewer, &lang.t_with("home-title", &[("name", crate::i18n::arg(&viewer.caller.name))]), body),
    ))
}
