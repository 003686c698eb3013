//! `/metrics` and the middleware that counts requests for it (see `crate::metrics`).

use crate::services::Ctx;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

/// Counts each request and its time by route pattern (`/api/v1/changes/{id}`, so ids do
/// not make a series each), method and status.
pub async fn measured(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    // Only the methods this service answers: made-up ones would each make a series.
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        _ => "other",
    };
    let response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    metrics::counter!("endring_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("endring_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The figures, to a caller presenting `metrics_token`; 404 when it is not set, as if
/// there were nothing here.
pub async fn show(ctx: web::Data<Ctx>, req: HttpRequest) -> HttpResponse {
    let Some(expected) = ctx.config.metrics_token.as_deref() else {
        return super::problem::not_found(req).await;
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !super::session::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        let problem = super::problem::Problem::new(
            StatusCode::UNAUTHORIZED,
            "send the metrics token (the setting metrics_token) as a bearer token",
        );
        let mut response = problem.response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer realm=\"metrics\""));
        return response;
    }
    let ctx = ctx.into_inner();
    let rendered = web::block(move || crate::metrics::render(&ctx)).await.ok().flatten();
    match rendered {
        Some(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        None => super::problem::not_found(req).await,
    }
}
