//! `cargo bench`: API latency at scale, reported as ratios so a shared, noisy machine
//! still gives comparable figures.
//!
//! For each backend (SQLite; PostgreSQL when `ENDRING_BENCH_PG_URL` or
//! `ENDRING_TEST_PG_URL` is set) it seeds a small and a large database with the same
//! density (changes per day, changes per CI, events per change), serves each from the real
//! application, and times every read path and one write. `large / small` near 1 means a
//! request costs in proportion to what it returns, not to the size of the tables;
//! `× healthz` compares with a database round trip measured in the same run.
//!
//! Sizes: `ENDRING_BENCH_CHANGES` (default 100000) and `ENDRING_BENCH_EVENTS`
//! (default 1000000) for the large run; the small run has 1/100 of each.
//! Results: printed, and written to `bench/results/latest.md`.

#[path = "seed.rs"]
mod seed;

use chrono::{Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use endring::clock::Clock;
use endring::config::Config;
use seed::{seed, Scale, CHANGES_PER_CI, CHANGES_PER_DAY, STATES};
use std::fmt::Write as _;
use std::time::Instant;

const SAMPLES: usize = 60;

struct Measured {
    name: &'static str,
    median_us: f64,
}

fn main() -> anyhow::Result<()> {
    let changes = env_number("ENDRING_BENCH_CHANGES", 100_000);
    let events = env_number("ENDRING_BENCH_EVENTS", 1_000_000);
    let large = Scale { changes, events };
    let small = Scale { changes: (changes / 100).max(100), events: (events / 100).max(1000) };
    let mut report = format!(
        "# Endring API benchmark\n\nRun {} on {} cores. Large: {} changes, {} audit events; small: {} changes, {} events.\n\
         Median of {SAMPLES} sequential requests each. `large/small` ≈ 1 means cost follows the result, not the table.\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        large.changes,
        large.events,
        small.changes,
        small.events,
    );
    let mut backends = vec![("SQLite", None)];
    if let Ok(url) = std::env::var("ENDRING_BENCH_PG_URL").or_else(|_| std::env::var("ENDRING_TEST_PG_URL")) {
        backends.push(("PostgreSQL", Some(url)));
    }
    let system = actix_web::rt::System::new();
    for (label, pg_url) in backends {
        let small_run = system.block_on(run(pg_url.as_deref(), &small))?;
        let large_run = system.block_on(run(pg_url.as_deref(), &large))?;
        let baseline = large_run[0].median_us;
        writeln!(report, "\n## {label}\n\n| request | small (ms) | large (ms) | large/small | × healthz (large) |\n|---|---:|---:|---:|---:|")?;
        for (s, l) in small_run.iter().zip(&large_run) {
            writeln!(
                report,
                "| {} | {:.2} | {:.2} | {:.2} | {:.1} |",
                s.name,
                s.median_us / 1000.0,
                l.median_us / 1000.0,
                l.median_us / s.median_us,
                l.median_us / baseline
            )?;
        }
    }
    println!("{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("latest.md"), &report)?;
    println!("written to {}", dir.join("latest.md").display());
    Ok(())
}

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A fresh database of `scale`, served, and every request timed.
async fn run(pg_url: Option<&str>, scale: &Scale) -> anyhow::Result<Vec<Measured>> {
    let dir = tempfile::tempdir()?;
    let (database_url, drop_pg) = match pg_url {
        None => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
        Some(server) => {
            let name = format!("endring_bench_{}", std::process::id());
            endring::db::init_tls();
            let mut admin = <diesel::PgConnection as diesel::Connection>::establish(server)?;
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
            admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
            let (base, _) =
                server.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("PG URL must end in /database"))?;
            (format!("{base}/{name}"), Some((server.to_owned(), name)))
        }
    };
    let config = Config { database_url, ..Config::default() };
    let ctx = endring::app::context(config, Clock::default(), endring::app::Migrations::Apply).await?;
    let seeding = Instant::now();
    let seed_ctx = ctx.clone();
    let scale = *scale;
    let token =
        actix_web::rt::task::spawn_blocking(move || seed(&seed_ctx, scale, |i| STATES[(i % 9) as usize]))
            .await??;
    eprintln!(
        "seeded {} changes, {} events in {:.1}s",
        scale.changes,
        scale.events,
        seeding.elapsed().as_secs_f64()
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = endring::app::serve(ctx, listener)?;
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let client = reqwest::Client::new();
    let middle = scale.changes / 2;
    let mid_day = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
        + Duration::days(scale.changes / CHANGES_PER_DAY / 2);
    let month = format!(
        "from={}&to={}",
        mid_day.format("%Y-%m-%dT%H:%M:%SZ"),
        (mid_day + Duration::days(7)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let requests: Vec<(&'static str, String)> = vec![
        ("GET /healthz (baseline)", "/healthz".into()),
        ("GET /changes?limit=50", "/api/v1/changes?limit=50".into()),
        ("GET /changes?state=scheduled", "/api/v1/changes?state=scheduled&limit=50".into()),
        (
            "GET /changes?ci=…",
            format!("/api/v1/changes?ci={}&limit=50", (scale.changes / CHANGES_PER_CI) / 2),
        ),
        ("GET /changes?q=… (full-text, 1 in 1,000)", "/api/v1/changes?q=needle&limit=50".into()),
        ("GET /changes?q=… (full-text, 1 in 10)", "/api/v1/changes?q=tuesday%20patch&limit=50".into()),
        ("GET /changes?q=CHG-… (reference)", format!("/api/v1/changes?q=CHG-{middle:06}&limit=50")),
        ("GET /changes?sort=risk-high", "/api/v1/changes?sort=risk-high&limit=50".into()),
        ("GET /changes/{id}", format!("/api/v1/changes/{middle}")),
        ("GET /changes/{id}/events", format!("/api/v1/changes/{middle}/events")),
        ("GET /calendar (7 days)", format!("/api/v1/calendar?{month}")),
    ];
    let mut measured = Vec::new();
    for (name, path) in requests {
        let url = format!("{base}{path}");
        let median_us = median(SAMPLES, || {
            let request = client.get(&url).bearer_auth(&token);
            async move {
                let response = request.send().await.expect("request");
                assert!(
                    response.status().is_success(),
                    "{} answered {}",
                    url_path(&response),
                    response.status()
                );
                response.bytes().await.expect("body");
            }
        })
        .await;
        measured.push(Measured { name, median_us });
    }
    let create_url = format!("{base}/api/v1/changes");
    let median_us = median(SAMPLES, || {
        let request = client
            .post(&create_url)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "title": "Bench draft", "ci_ids": [1] }));
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 201);
        }
    })
    .await;
    measured.push(Measured { name: "POST /changes (write + audit)", median_us });
    handle.stop(true).await;
    if let Some((server, name)) = drop_pg {
        let mut admin = <diesel::PgConnection as diesel::Connection>::establish(&server)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    }
    Ok(measured)
}

fn url_path(response: &reqwest::Response) -> String {
    response.url().path().to_owned()
}

async fn median<F, Fut>(samples: usize, mut request: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    request().await; // warm-up
    let mut times: Vec<f64> = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        request().await;
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[samples / 2]
}
