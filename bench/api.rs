//! `cargo bench --bench api`: API and page latency at scale, each figure held to its target
//! and reported as a ratio so a shared, noisy machine still gives comparable figures.
//!
//! For each backend (SQLite; PostgreSQL when `ENDRING_BENCH_PG_URL` or
//! `ENDRING_TEST_PG_URL` is set) it seeds databases of three sizes with the same density
//! (changes per day, changes per CI), serves each from the real application, and times
//! every read path and one write, sequentially: the median (p50) and the 95th percentile
//! of `SAMPLES` requests. `1M / 10k` near 1 means a request costs in proportion to what
//! it returns, not to the size of the tables.
//!
//! Sizes: `ENDRING_BENCH_CHANGES` (default 100,000) changes with `ENDRING_BENCH_EVENTS`
//! (default 1,000,000) audit events; the small database has a tenth of each; the huge one
//! ten times the changes and as many events as the middle one (one per change: ten
//! million would take longer to seed than the rest of the suite). `ENDRING_BENCH_HUGE=0`
//! leaves the huge one out (PostgreSQL always does: its targets are on SQLite).
//! `ENDRING_BENCH_KEEP=1` keeps each seeded database (the SQLite file, the PostgreSQL
//! database) and prints where, for `EXPLAIN` or a profile of `endring serve` on it.
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

/// What a request is held to (bench/README.md and issue 14's targets).
#[derive(Clone, Copy)]
enum Goal {
    /// Only measured.
    None,
    /// p50 under this many ms at the middle size, and at most 1.5 × the small size's
    /// figure at the huge one.
    P50AndFlat(f64),
    /// p95 under this many ms at the middle size (1,000,000 audit events).
    P95(f64),
    /// p50 at most this many ms above the p50 of a plain write of the same size and run
    /// (`POST /changes`: a change and its audit event, the commit's fsync), at every size
    /// measured: what a write adds to it.
    P50OverWrite(f64),
}

impl Goal {
    fn text(self, huge_measured: bool) -> String {
        match self {
            Goal::None => "—".into(),
            Goal::P50AndFlat(ms) if huge_measured => format!("p50 < {ms:.0} ms; 1M ≤ 1.5 × 10k"),
            Goal::P50AndFlat(ms) => format!("p50 < {ms:.0} ms (1M not measured)"),
            Goal::P95(ms) => format!("p95 < {ms:.0} ms"),
            Goal::P50OverWrite(ms) if huge_measured => {
                format!("p50 − POST's p50 < {ms:.0} ms at 10k, 100k and 1M")
            }
            Goal::P50OverWrite(ms) => {
                format!("p50 − POST's p50 < {ms:.0} ms at 10k and 100k (1M not measured)")
            }
        }
    }

    /// Whether the figures meet the goal (`None` when there is nothing to hold them to).
    fn met(self, small: &Measured, middle: &Measured, huge: Option<&Measured>) -> Option<bool> {
        match self {
            Goal::None => None,
            // Without the huge database (PostgreSQL, `ENDRING_BENCH_HUGE=0`) only the p50
            // is held; `text` says the rest was not measured.
            Goal::P50AndFlat(ms) => {
                Some(middle.p50_us / 1000.0 < ms && huge.is_none_or(|h| h.p50_us <= 1.5 * small.p50_us))
            }
            Goal::P95(ms) => Some(middle.p95_us / 1000.0 < ms),
            Goal::P50OverWrite(ms) => Some(
                [Some(small), Some(middle), huge]
                    .into_iter()
                    .flatten()
                    .all(|m| (m.p50_us - m.write_p50_us.unwrap_or(0.0)) / 1000.0 < ms),
            ),
        }
    }
}

struct Measured {
    name: &'static str,
    goal: Goal,
    p50_us: f64,
    p95_us: f64,
    /// The p50 of the plain write it is held against (`Goal::P50OverWrite`).
    write_p50_us: Option<f64>,
}

fn main() -> anyhow::Result<()> {
    let changes = env_number("ENDRING_BENCH_CHANGES", 100_000);
    let events = env_number("ENDRING_BENCH_EVENTS", 1_000_000);
    let middle = Scale { changes, events };
    let small = Scale { changes: (changes / 10).max(100), events: (events / 10).max(1000) };
    let huge = (env_number("ENDRING_BENCH_HUGE", 1) != 0).then_some(Scale { changes: changes * 10, events });
    let mut report = format!(
        "# Endring API benchmark\n\nRun {} on {} cores. Sizes: {} changes with {} audit events (10k), {} with {} (100k){}.\n\
         {SAMPLES} sequential requests each: the median (p50) and the 95th percentile (p95). \
         `1M / 10k` ≈ 1 means cost follows the result, not the table.\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        small.changes,
        small.events,
        middle.changes,
        middle.events,
        huge.map_or(String::new(), |h| format!(", {} with {} (1M)", h.changes, h.events)),
    );
    let mut backends = vec![("SQLite", None)];
    if let Ok(url) = std::env::var("ENDRING_BENCH_PG_URL").or_else(|_| std::env::var("ENDRING_TEST_PG_URL")) {
        backends.push(("PostgreSQL", Some(url)));
    }
    let system = actix_web::rt::System::new();
    for (label, pg_url) in backends {
        let small_run = system.block_on(run(pg_url.as_deref(), &small))?;
        let middle_run = system.block_on(run(pg_url.as_deref(), &middle))?;
        let huge_run = match huge {
            Some(huge) if pg_url.is_none() => Some(system.block_on(run(None, &huge))?),
            _ => None,
        };
        writeln!(
            report,
            "\n## {label}\n\n| request | 10k p50 (ms) | 100k p50 (ms) | 100k p95 (ms) | 1M p50 (ms) | 1M / 10k | target | met |\n\
             |---|---:|---:|---:|---:|---:|---|---|"
        )?;
        for (i, (s, m)) in small_run.iter().zip(&middle_run).enumerate() {
            let h = huge_run.as_ref().map(|h| &h[i]);
            let met = match s.goal.met(s, m, h) {
                None => "",
                Some(true) => "yes",
                Some(false) => "**no**",
            };
            writeln!(
                report,
                "| {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {met} |",
                s.name,
                s.p50_us / 1000.0,
                m.p50_us / 1000.0,
                m.p95_us / 1000.0,
                h.map_or("—".into(), |h| format!("{:.2}", h.p50_us / 1000.0)),
                h.map_or("—".into(), |h| format!("{:.2}", h.p50_us / s.p50_us)),
                s.goal.text(h.is_some()),
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
            // One for each size, so that a kept one (`ENDRING_BENCH_KEEP`) outlives the next.
            let name = format!("endring_bench_{}_{}", std::process::id(), scale.changes);
            endring::db::init_tls();
            let mut admin = <diesel::PgConnection as diesel::Connection>::establish(server)?;
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
            admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
            let (base, _) =
                server.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("PG URL must end in /database"))?;
            (format!("{base}/{name}"), Some((server.to_owned(), name)))
        }
    };
    let database_url_kept = database_url.clone();
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
    let browser = signed_in_browser(&base).await?;
    // The next CAB meeting, tomorrow: its agenda is the changes waiting for the CAB.
    let meeting: serde_json::Value = client
        .post(format!("{base}/api/v1/cab/meetings"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "title": "Weekly CAB", "starts_at": Utc::now() + Duration::days(1) }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let meeting = meeting["id"].as_i64().ok_or_else(|| anyhow::anyhow!("a meeting id: {meeting}"))?;
    let middle = scale.changes / 2;
    let mid_day = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
        + Duration::days(scale.changes / CHANGES_PER_DAY / 2);
    let week = format!(
        "from={}&to={}",
        mid_day.format("%Y-%m-%dT%H:%M:%SZ"),
        (mid_day + Duration::days(7)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let list = Goal::P50AndFlat(20.0);
    let requests: Vec<(&'static str, Goal, Page, String)> = vec![
        ("GET /healthz (baseline)", Goal::None, Page::Api, "/healthz".into()),
        ("GET /changes?limit=50", list, Page::Api, "/api/v1/changes?limit=50".into()),
        ("GET /changes?state=scheduled", list, Page::Api, "/api/v1/changes?state=scheduled&limit=50".into()),
        (
            "GET /changes?ci=…",
            list,
            Page::Api,
            format!("/api/v1/changes?ci={}&limit=50", (scale.changes / CHANGES_PER_CI) / 2),
        ),
        (
            "GET /changes?offset=1000 (page 21)",
            list,
            Page::Api,
            "/api/v1/changes?limit=50&offset=1000".into(),
        ),
        (
            "GET /changes?q=… (full-text, 1 in 1,000)",
            list,
            Page::Api,
            "/api/v1/changes?q=needle&limit=50".into(),
        ),
        (
            "GET /changes?q=… (full-text, 1 in 10)",
            list,
            Page::Api,
            "/api/v1/changes?q=tuesday%20patch&limit=50".into(),
        ),
        (
            "GET /changes?q=CHG-… (reference)",
            list,
            Page::Api,
            format!("/api/v1/changes?q=CHG-{middle:06}&limit=50"),
        ),
        ("GET /changes?sort=risk-high", list, Page::Api, "/api/v1/changes?sort=risk-high&limit=50".into()),
        ("GET /changes/{id}", Goal::None, Page::Api, format!("/api/v1/changes/{middle}")),
        (
            "GET /changes/{id}/events (trail)",
            Goal::P95(20.0),
            Page::Api,
            format!("/api/v1/changes/{middle}/events"),
        ),
        (
            "GET /changes?awaiting=true (awaiting my vote)",
            Goal::P95(20.0),
            Page::Api,
            "/api/v1/changes?awaiting=true&limit=50".into(),
        ),
        (
            "GET /cab/meetings/{id} (agenda)",
            Goal::P95(20.0),
            Page::Api,
            format!("/api/v1/cab/meetings/{meeting}"),
        ),
        ("page /cab (the CAB's queue, HTML)", Goal::P95(20.0), Page::Html, "/cab".into()),
        ("GET /calendar (7 days)", Goal::None, Page::Api, format!("/api/v1/calendar?{week}")),
        (
            "page /calendar (month, HTML)",
            Goal::P50AndFlat(15.0),
            Page::Html,
            format!("/calendar?view=month&date={}", mid_day.format("%Y-%m-%d")),
        ),
    ];
    let mut measured = Vec::new();
    for (name, goal, page, path) in requests {
        let url = format!("{base}{path}");
        let (p50_us, p95_us) = percentiles(SAMPLES, || {
            let request = match page {
                Page::Api => client.get(&url).bearer_auth(&token),
                Page::Html => browser.get(&url),
            };
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
        measured.push(Measured { name, goal, p50_us, p95_us, write_p50_us: None });
    }
    let create_url = format!("{base}/api/v1/changes");
    let (p50_us, p95_us) = percentiles(SAMPLES, || {
        let request = client
            .post(&create_url)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "title": "Bench draft", "ci_ids": [1] }));
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 201);
            response.bytes().await.expect("body");
        }
    })
    .await;
    let write_p50_us = p50_us;
    measured.push(Measured {
        name: "POST /changes (write + audit)",
        goal: Goal::None,
        p50_us,
        p95_us,
        write_p50_us: None,
    });
    // Answering the questionnaire weighs the risk with what the system knows: among it,
    // whether a change on the same CI failed or caused an incident in the last 180 days
    // (issue 14: under 2 ms at a million changes). This times the whole request, held
    // against the plain write above: its own write, audit event and fsync are the same.
    let draft: serde_json::Value = client
        .post(&create_url)
        .bearer_auth(&token)
        .json(&serde_json::json!({ "title": "Bench risk", "ci_ids": [1] }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let risk_url = format!("{base}/api/v1/changes/{}/risk", draft["id"]);
    let answers = serde_json::json!({ "answers": { "users_affected": "under_500", "tested": "partly",
        "backout": "yes", "complexity": "medium", "downtime": "none" } });
    let (p50_us, p95_us) = percentiles(SAMPLES, || {
        let request = client.put(&risk_url).bearer_auth(&token).json(&answers);
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 200, "PUT risk");
            response.bytes().await.expect("body");
        }
    })
    .await;
    measured.push(Measured {
        name: "PUT /changes/{id}/risk (risk facts from the CI's history, write + audit)",
        goal: Goal::P50OverWrite(2.0),
        p50_us,
        p95_us,
        write_p50_us: Some(write_p50_us),
    });
    handle.stop(true).await;
    if env_number("ENDRING_BENCH_KEEP", 0) != 0 {
        // Kept for a look with EXPLAIN or a profile of `endring serve` on it.
        let kept = dir.keep();
        match drop_pg {
            Some(_) => eprintln!("kept: {database_url_kept}"),
            None => {
                eprintln!("kept: {database_url_kept} (with its -wal and -shm files under {})", kept.display())
            }
        }
        return Ok(measured);
    }
    if let Some((server, name)) = drop_pg {
        let mut admin = <diesel::PgConnection as diesel::Connection>::establish(&server)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    }
    Ok(measured)
}

/// Whether a request is the API's (bearer token) or a page's (session cookie).
#[derive(Clone, Copy)]
enum Page {
    Api,
    Html,
}

/// A client holding the session of the seeded change manager, signed in on the form as a
/// browser would (cookies kept, the form's CSRF token sent back).
async fn signed_in_browser(base: &str) -> anyhow::Result<reqwest::Client> {
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let page = browser.get(format!("{base}/sign-in")).send().await?.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let at =
        page.find(marker).ok_or_else(|| anyhow::anyhow!("no CSRF token on the sign-in page"))? + marker.len();
    let csrf = page[at..].split('"').next().unwrap_or_default().to_owned();
    let form =
        [("csrf", csrf.as_str()), ("email", "bench@example.no"), ("password", seed::PASSWORD), ("next", "/")];
    let response = browser.post(format!("{base}/sign-in")).form(&form).send().await?;
    anyhow::ensure!(response.status() == 303, "signing in answered {}", response.status());
    Ok(browser)
}

fn url_path(response: &reqwest::Response) -> String {
    response.url().path().to_owned()
}

/// The median and the 95th percentile of `samples` requests, µs, after one warm-up.
async fn percentiles<F, Fut>(samples: usize, mut request: F) -> (f64, f64)
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
    // Nearest rank: the smallest time at least that share of the samples do not exceed.
    let rank = |share: usize| times[(samples * share).div_ceil(100).max(1) - 1];
    (rank(50), rank(95))
}
