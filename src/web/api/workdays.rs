//! `/api/v1/calendar/days-off` and `/api/v1/calendar/closed-days`: the working-day
//! calendar (public holidays and the admin's closed days).

use crate::domain::caller::Caller;
use crate::services::workdays::{self, DayOff, NewClosedDay};
use crate::services::{Ctx, ServiceError, ServiceResult};
use crate::web::extract::{Json, Query};
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParams {
    /// The year (2000–2199); default this year.
    #[param(value_type = Option<i32>, minimum = 2000, maximum = 2199)]
    pub year: Option<String>,
}

/// The days that are not working days besides weekends: the Norwegian public holidays and
/// the closed days of a year.
#[utoipa::path(get, path = "/api/v1/calendar/days-off", params(YearParams),
    responses((status = 200, body = [DayOff]), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn days_off(
    ctx: web::Data<Ctx>,
    caller: Caller,
    params: Query<YearParams>,
) -> ServiceResult<web::Json<Vec<DayOff>>> {
    let this_year = ctx.clock.now().with_timezone(&ctx.config.time_zone()).year();
    let year = match params.year.as_deref() {
        None => this_year,
        Some(text) => text.trim().parse().map_err(|_| {
            ServiceError::invalid("year", crate::domain::validation::Message::new("msg-year-range"))
        })?,
    };
    Ok(web::Json(run(ctx, move |ctx| workdays::year(ctx, &caller, year)).await?))
}

/// Close a day (admins): it stops counting as a working day.
#[utoipa::path(post, path = "/api/v1/calendar/closed-days", request_body = NewClosedDay,
    responses((status = 201, body = DayOff), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn close_day(
    ctx: web::Data<Ctx>,
    caller: Caller,
    body: Json<NewClosedDay>,
) -> ServiceResult<HttpResponse> {
    let day = run(ctx, move |ctx| workdays::close(ctx, &caller, body.into_inner())).await?;
    Ok(HttpResponse::Created().json(day))
}

/// Open a closed day again (admins).
#[utoipa::path(delete, path = "/api/v1/calendar/closed-days/{day}", params(("day" = NaiveDate, Path, description = "YYYY-MM-DD")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn reopen_day(
    ctx: web::Data<Ctx>,
    caller: Caller,
    day: web::Path<NaiveDate>,
) -> ServiceResult<HttpResponse> {
    let day = day.into_inner();
    run(ctx, move |ctx| workdays::reopen(ctx, &caller, day)).await?;
    Ok(HttpResponse::NoContent().finish())
}
