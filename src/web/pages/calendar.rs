//! `/calendar`: month, week and list views with filters by CI, type and state.

use super::html;
use crate::services::{calendar, reference, Ctx};
use crate::web::api::reference::CalendarParams;
use crate::web::extract::Query;
use crate::web::session::{page_run, urlencode, PageError, Viewer};
use crate::web::views::calendar::{self as view, View};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
}

pub async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<CalendarQuery>,
    params: Query<CalendarParams>,
) -> Result<HttpResponse, PageError> {
    let view = View::parse(query.view.as_deref().unwrap_or("month"));
    let today = ctx.clock.now().with_timezone(&viewer.zone).date_naive();
    let anchor = query.date.as_deref().and_then(super::reports::plausible_date).unwrap_or(today);
    let days = view.days(anchor);
    let from = view::start_of(viewer.zone, days.0);
    let to = view::start_of(viewer.zone, days.1 + Duration::days(1));
    let filter = params.filter().map_err(|error| PageError::Service { error, lang: viewer.lang })?;
    let tentative = filter.tentative;
    let query: String = [
        ("ci", &params.ci),
        ("type", &params.change_type),
        ("state", &params.state),
        ("tentative", &params.tentative),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.as_deref().filter(|v| !v.is_empty()).map(|v| format!("&{name}={}", urlencode(v)))
    })
    .collect();
    let caller = viewer.caller.clone();
    let (data, cis) = page_run(ctx, viewer.lang, move |ctx| {
        Ok((calendar::period(ctx, &caller, from, to, &filter)?, reference::list_cis(ctx, &caller, 0)?))
    })
    .await?;
    let filters = view::Filters {
        cis: &cis,
        ci: params.ci.as_deref().unwrap_or(""),
        change_type: params.change_type.as_deref().unwrap_or(""),
        state: params.state.as_deref().unwrap_or(""),
        tentative,
        query,
    };
    let body = view::calendar(&viewer, view, anchor, days, &data, &filters, today);
    Ok(html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-calendar"), body)))
}
