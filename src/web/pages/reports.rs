//! `/reports`: the figures of a period (default the last 90 days) and its CSV export.

use super::html;
use crate::services::{reports, Ctx, ServiceError};
use crate::web::extract::Query;
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::calendar::start_of;
use crate::web::views::{page, reports as view};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    /// `plain` for the machine-readable CSV; otherwise the one for a spreadsheet.
    format: Option<String>,
}

impl Period {
    /// The dates as given (`YYYY-MM-DD`, local), and the instants they start and end.
    fn resolve(
        &self,
        viewer: &Viewer,
        now: DateTime<Utc>,
    ) -> Result<(String, String, DateTime<Utc>, DateTime<Utc>), PageError> {
        let today = now.with_timezone(&viewer.zone).date_naive();
        let parse = |text: &Option<String>, default: NaiveDate, field: &str| match text
            .as_deref()
            .filter(|t| !t.is_empty())
        {
            None => Ok(default),
            Some(t) => plausible_date(t).ok_or_else(|| PageError::Service {
                error: ServiceError::invalid(
                    field,
                    crate::domain::validation::Message::new("msg-date-format"),
                ),
                lang: viewer.lang,
            }),
        };
        // As the API: up to `to` (default today), from 90 days before it.
        let to = parse(&self.to, today, "to")?;
        let from = parse(&self.from, to - Duration::days(crate::web::api::reference::REPORT_DAYS), "from")?;
        Ok((
            from.to_string(),
            to.to_string(),
            start_of(viewer.zone, from),
            start_of(viewer.zone, to + Duration::days(1)),
        ))
    }
}

/// A `YYYY-MM-DD` date within the years any planned time may have.
pub fn plausible_date(text: &str) -> Option<NaiveDate> {
    use chrono::Datelike;
    super::forms::typed_date(text).filter(|d| crate::domain::change::PLAUSIBLE_YEARS.contains(&d.year()))
}

pub async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    period: Query<Period>,
) -> Result<HttpResponse, PageError> {
    let (from_text, to_text, from, to) = period.resolve(&viewer, ctx.clock.now())?;
    let caller = viewer.caller.clone();
    let zone = viewer.zone;
    let summary =
        page_run(ctx, viewer.lang, move |ctx| reports::summary(ctx, &caller, from, to, zone)).await?;
    let body = view::page(&viewer, &summary, &from_text, &to_text);
    Ok(html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-reports"), body)))
}

pub async fn csv(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    period: Query<Period>,
) -> Result<HttpResponse, PageError> {
    let (from_text, to_text, from, to) = period.resolve(&viewer, ctx.clock.now())?;
    let caller = viewer.caller.clone();
    let format = match period.format.as_deref() {
        Some("plain") => reports::CsvFormat::Plain,
        _ => reports::CsvFormat::Spreadsheet { lang: viewer.lang, zone: viewer.zone },
    };
    let body =
        page_run(ctx, viewer.lang, move |ctx| reports::changes_csv(ctx, &caller, from, to, format)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"changes-{from_text}-{to_text}.csv\""),
        ))
        .body(body))
}
