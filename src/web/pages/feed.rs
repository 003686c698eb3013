//! `/calendar.ics?token=…`: a calendar feed (RFC 5545) for Outlook, Google Calendar and
//! Thunderbird. The token is the credential (no session); an unchanged feed answers 304 to
//! a client that sends back its ETag, so polling every few minutes costs little.

use crate::services::{feeds, Ctx};
use crate::web::extract::Query;
use crate::web::problem::Problem;
use crate::web::run;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

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
            let etag = format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..16]));
            let unchanged = req
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|given| given.split(',').any(|tag| tag.trim() == etag));
            if unchanged {
                return HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish();
            }
            HttpResponse::Ok()
                .content_type("text/calendar; charset=utf-8")
                .insert_header((header::ETAG, etag))
                .insert_header((header::CACHE_CONTROL, "private, no-cache"))
                .body(body)
        }
        Ok((None, _)) => Problem::new(StatusCode::NOT_FOUND, "there is no feed with this token").response(),
        Err(error) => actix_web::ResponseError::error_response(&error),
    }
}
