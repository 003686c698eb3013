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

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use endring::clock::Clock;
use endring::config::Config;
use endring::domain::audit::EventContent;
use endring::domain::role::Role;
use endring::services::{self, Ctx};
use std::fmt::Write as _;
use std::time::Instant;

const SAMPLES: usize = 60;
const CHANGES_PER_DAY: i64 = 70;
const CHANGES_PER_CI: i64 = 50;
const STATES: [&str; 9] =
    ["draft", "assess", "authorize", "scheduled", "implement", "review", "closed", "rejected", "cancelled"];

#[derive(Clone, Copy)]
struct Scale {
    changes: i64,
    events: i64,
}

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
    let token = actix_web::rt::task::spawn_blocking(move || seed(&seed_ctx, scale)).await??;
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

/// Bulk-loads the tables with plain multi-row INSERTs (the services would take hours at
/// this size) and returns a bearer token of a change manager.
fn seed(ctx: &Ctx, scale: Scale) -> anyhow::Result<String> {
    let password = "bench-password-123".to_owned();
    let roles = [Role::ChangeManager, Role::Admin].into_iter().collect();
    let user = services::users::NewUser {
        email: "bench@example.no".into(),
        name: "Bench".into(),
        roles,
        password: password.clone(),
    };
    services::users::add(ctx, None, user).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = ctx.db.conn()?;
    let cis = (scale.changes / CHANGES_PER_CI).max(1);
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap().naive_utc();
    let at = |t: NaiveDateTime| t.format("'%Y-%m-%d %H:%M:%S'").to_string();
    conn.batch_execute("BEGIN")?;
    insert_rows(&mut conn, "cis (name, kind, criticality, owner_email)", cis, |i| {
        format!("('CI {i}', 'application', {}, 'owner@example.no')", 1 + i % 4)
    })?;
    insert_rows(
        &mut conn,
        "changes (title, title_search, description, justification, change_type, state, requester_id, implementer_id, \
         planned_start, planned_end, implementation_plan, backout_plan, test_plan, risk_factors, version, created_at, updated_at)",
        scale.changes,
        |i| {
            let planned = start + Duration::minutes(i * 24 * 60 / CHANGES_PER_DAY);
            // One change in a thousand has a rare word in its description (not its title),
            // one in ten a word in a tenth of them.
            let title = format!("Routine change {i}");
            let rare = if i % 1000 == 7 { " The vendor calls it haystack-needle." } else { "" };
            let common = if i % 10 == 3 { " Patch Tuesday bundle." } else { "" };
            let description = format!("Maintenance of CI {} by the usual runbook.{rare}{common}", 1 + (i % cis));
            format!(
                "('{title}', '{}', '{description}', 'j', '{}', '{}', 1, 1, {}, {}, 'p', 'b', 't', '[]', 1, {}, {})",
                title.to_lowercase(),
                ["normal", "standard", "emergency"][(i % 10).min(2) as usize],
                STATES[(i % 9) as usize],
                at(planned),
                at(planned + Duration::hours(2)),
                at(planned),
                at(planned),
            )
        },
    )?;
    insert_rows(&mut conn, "change_cis (change_id, ci_id)", scale.changes, |i| {
        format!("({}, {})", i + 1, 1 + (i % cis))
    })?;
    let (last_seq, mut prev) = endring::db::audit::head(&mut conn)?;
    let first_seq = last_seq + 1;
    let per_change = (scale.events / scale.changes).max(1);
    let mut rows = Vec::with_capacity(1000);
    for n in 0..scale.events {
        let seq = first_seq + n;
        let change_id = (n / per_change) % scale.changes + 1;
        let created_at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(n);
        let content = EventContent {
            seq,
            change_id: Some(change_id as i32),
            actor_id: Some(1),
            action: "edit",
            from_state: Some("draft"),
            to_state: Some("draft"),
            payload: "{}",
            created_at,
        };
        let hash = content.hash(&prev);
        rows.push(format!(
            "({seq}, {change_id}, 1, 'edit', 'draft', 'draft', '{{}}', {}, '{prev}', '{hash}')",
            at(created_at.naive_utc())
        ));
        prev = hash;
        if rows.len() == 1000 || n + 1 == scale.events {
            conn.batch_execute(&format!(
                "INSERT INTO audit_events (seq, change_id, actor_id, action, from_state, to_state, payload, created_at, prev_hash, hash) VALUES {}",
                rows.join(",")
            ))?;
            rows.clear();
        }
    }
    conn.batch_execute(&format!(
        "UPDATE audit_head SET last_seq = {}, last_hash = '{prev}' WHERE id = 1; COMMIT;",
        first_seq + scale.events - 1
    ))?;
    // What autovacuum would have done by now in production (PostgreSQL); statistics (both).
    let maintenance = if matches!(*conn, endring::db::DbConn::Pg(_)) { "VACUUM ANALYZE" } else { "ANALYZE" };
    conn.batch_execute(maintenance)?;
    drop(conn);
    let issued = services::auth::issue_token(ctx, "bench@example.no", &password, "bench")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(issued.token)
}

fn insert_rows(
    conn: &mut endring::db::Conn,
    table: &str,
    count: i64,
    row: impl Fn(i64) -> String,
) -> anyhow::Result<()> {
    let mut done = 0;
    while done < count {
        let end = (done + 1000).min(count);
        let values: Vec<String> = (done..end).map(&row).collect();
        conn.batch_execute(&format!("INSERT INTO {table} VALUES {}", values.join(",")))?;
        done = end;
    }
    Ok(())
}
