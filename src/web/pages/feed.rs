//! `/calendar.ics?token=…`: a calendar feed (RFC 5545) for Outlook, Google Calendar and
//! Thunderbird. The token is the credential (no session); an unchanged feed answers 304 to
//! a client that sends back its ETag, so polling every few minutes costs little.

use crate::services::{feeds, Ctx};
use crate::web::extract::Query;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
}

pub async fn calendar(ctx: web::Data<Ctx>, req: HttpRequest, query: Query<FeedQuery>) -> HttpResponse {
    let token = query.into_inner().token.unwrap_or_default();
    let base = ctx.config.base_url.trim_end_matches('/').to_owned();
    match run(ctx.clone(), move |ctx| Ok((feeds::events(ctx, &token)?, ctx.uid_domain()))).await {
        Ok((Some(events), host)) => {
            let body = crate::web::views::feed::ics(&events, &host, &base);
            crate::web::polled(&req, "text/calendar; charset=utf-8", "private, no-cache", body)
        }
        Ok((None, _)) => Problem::new(StatusCode::NOT_FOUND, "there is no feed with this token").response(),
        Err(error) => actix_web::ResponseError::error_response(&error),
    }
}
