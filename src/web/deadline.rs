//! A deadline for request bodies. actix-http bounds the time to read a request's head
//! (`client_request_timeout`) but not its body: a client that announces a body and then
//! stalls would hold its connection, and a worker's attention, for as long as it likes.
//! Here the body is read through a stream that ends in an error at the deadline, and the
//! answer becomes 408 with `Connection: close`, whatever the handler made of the error.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The body stream, cut off at `sleep`; `expired` tells the middleware it was.
struct Deadline<S> {
    inner: S,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl<S> Stream for Deadline<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            let late =
                std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}

/// The slowest link a body is allowed: 1 Mbit/s.
const SLOWEST_BYTES_PER_SEC: u64 = 125_000;

/// Middleware: the body of each request must arrive within `base` of its head, plus the
/// time its announced length (up to `large`, the largest attachment) takes at 1 Mbit/s —
/// so a stalled form is cut after `base`, and a large upload on a slow link is not.
pub async fn bounded(
    base: Duration,
    large: u64,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let announced = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let limit = base + Duration::from_secs(announced.min(large) / SLOWEST_BYTES_PER_SEC);
    let expired = Arc::new(AtomicBool::new(false));
    let payload = Deadline {
        inner: req.take_payload(),
        sleep: Box::pin(tokio::time::sleep(limit)),
        expired: expired.clone(),
    };
    req.set_payload(actix_web::dev::Payload::Stream { payload: Box::pin(payload) });
    let response = next.call(req).await?.map_into_boxed_body();
    if !expired.load(Ordering::Relaxed) {
        return Ok(response);
    }
    let (req, _) = response.into_parts();
    let detail = format!("the request body did not arrive within {} seconds", limit.as_secs());
    let mut late =
        super::problem::answer(&req, StatusCode::REQUEST_TIMEOUT, &detail, "error-request-timeout");
    late.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(ServiceResponse::new(req, late))
}
