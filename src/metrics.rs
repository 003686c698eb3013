//! Operational figures in the Prometheus text format, served at `/metrics` when
//! `metrics_token` is set (and only to a caller presenting it): they describe the
//! installation's traffic and queues, which is nobody else's business.
//!
//! Figures are recorded through the `metrics` facade wherever they happen (requests,
//! votes and decisions, sign-in refusals, mail rounds, pool waits); with no recorder
//! installed — `/metrics` off — each is a no-op. The queue depths are read from the
//! database when scraped.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets (seconds) for every `…_seconds` histogram: from a cached read to a
/// stall worth a look.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the process's recorder (once; later calls return the same handle).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    // Histograms keep their samples until upkeep folds them in: without it
                    // memory grows with every request between scrapes.
                    let upkeep = handle.clone();
                    std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || loop {
                            std::thread::sleep(std::time::Duration::from_secs(5));
                            upkeep.run_upkeep();
                        })
                        .ok()?;
                    Some(handle)
                }
                Err(error) => {
                    tracing::error!(%error, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "endring_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        "endring_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern and method"
    );
    describe_counter!("endring_votes_total", "Votes recorded, by decision");
    describe_counter!("endring_decisions_total", "Changes decided by the CAB's rule, by outcome");
    describe_counter!(
        "endring_sign_in_failures_total",
        "Password sign-ins refused for a wrong email or password"
    );
    describe_counter!("endring_sign_in_limited_total", "Sign-ins refused by the rate limit (429)");
    describe_counter!("endring_mail_total", "Notices the mail worker handled, by result");
    describe_gauge!("endring_outbox_waiting", "Notices waiting to be sent");
    describe_gauge!("endring_outbox_failed", "Notices given up on (admins can put them back)");
    describe_counter!(
        "endring_db_statements_total",
        "SQL statements run through this instance's pool since it started (BEGIN and COMMIT among them)"
    );
    describe_histogram!(
        "endring_db_pool_wait_seconds",
        Unit::Seconds,
        "Time spent waiting for a database connection from the pool"
    );
}

/// The figures as Prometheus text, with the queue depths read now.
pub fn render(ctx: &crate::services::Ctx) -> Option<String> {
    let handle = HANDLE.get()?.as_ref()?;
    match crate::services::outbox::backlog(ctx) {
        Ok(backlog) => {
            metrics::gauge!("endring_outbox_waiting").set(backlog.waiting as f64);
            metrics::gauge!("endring_outbox_failed").set(backlog.failed as f64);
        }
        Err(error) => tracing::warn!(%error, "outbox backlog for /metrics"),
    }
    metrics::counter!("endring_db_statements_total").absolute(ctx.db.statements());
    Some(handle.render())
}
