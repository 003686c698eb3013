//! The stylesheet, served from the binary (no CDN).

use actix_web::http::header;
use actix_web::HttpResponse;

const STYLE: &str = include_str!("../static/style.css");

pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}
