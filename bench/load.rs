//! `bench/run.sh` (or `cargo bench --bench load`): Endring under concurrent load, each
//! figure next to a baseline measured in the same run, alternated with it.
//!
//! It seeds a SQLite database file (`ENDRING_LOAD_CHANGES`, default 50,000 changes, the
//! last `ENDRING_LOAD_WAITING` of them, default 24,000, waiting for the CAB's votes; ten
//! audit events per change), starts `endring serve` on it as its own process, and starts
//! itself again as the baseline server (`baseline-server`): actix-web and Endring's own
//! pool (same pragmas, same file) answering one row by primary key, one insert in a
//! transaction, and a static JSON document — the floor this stack allows. Debian's `wrk`
//! drives both, baseline and Endring in turn, `ENDRING_LOAD_ROUNDS` rounds (default 2) of
//! `ENDRING_LOAD_SECONDS` each (default 8). Every figure of Endring's is reported as a
//! ratio to its baseline's, so a busy machine still gives comparable figures.
//!
//! The report goes to stdout and `bench/results/load.md`; `bench/run.sh` puts it into
//! `bench/RESULTS.md` above the previous run.

#[path = "seed.rs"]
mod seed;
#[path = "../tests/api/smtp_sink.rs"]
mod smtp_sink;

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use endring::clock::Clock;
use endring::config::Config;
use seed::{seed, Scale, STATES};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("baseline-server") {
        return baseline_server(&args[2], &args[3]);
    }
    let changes = env_number("ENDRING_LOAD_CHANGES", 50_000);
    let waiting = env_number("ENDRING_LOAD_WAITING", 24_000).min(changes / 2);
    let rounds = env_number("ENDRING_LOAD_ROUNDS", 2) as usize;
    let seconds = env_number("ENDRING_LOAD_SECONDS", 8);
    let wrk =
        which("wrk").ok_or_else(|| anyhow::anyhow!("wrk is not installed (bench/run.sh installs it)"))?;
    let dir = tempfile::tempdir()?;
    if std::env::var("ENDRING_LOAD_ONLY").as_deref() == Ok("drain") {
        let drained = smtp_drain(dir.path(), 1000)?;
        println!(
            "drained 1,000 notices in {:.1} s ({} received, {} distinct)",
            drained.took.as_secs_f64(),
            drained.received,
            drained.distinct
        );
        return Ok(());
    }
    let database_url = format!("sqlite://{}", dir.path().join("load.db").display());
    let load = Load { wrk, seconds, rounds, dir: dir.path().to_owned() };
    let mut report = format!(
        "Run {} on {} cores (`nproc`), SQLite, {changes} changes of which {waiting} wait for votes, \
         {} audit events. wrk, {rounds} rounds of {seconds} s per workload, baseline and Endring in turn.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        changes * 10,
    );

    let sqlite = measure(&load, &database_url, changes, waiting, Backend::Sqlite)?;
    report.push_str(&sqlite.table());
    let mixed = sqlite.mixed.as_ref().expect("measured on SQLite");
    writeln!(
        report,
        "\nA mixed CAB-meeting load, 32 connections for {seconds} s (of every ten requests: four reads of one \
         change by the API, two public system messages pages, one \"awaiting my vote\" list, one change's HTML \
         page and one CAB queue page in a signed-in session, one deciding vote): {:.0} req/s, p50 {:.2} ms, \
         p99 {:.2} ms, max {:.0} ms, {} errors (non-2xx or socket), {} \"database is locked\" in the server's \
         log (target: no error, none locked, p99 < 100 ms: {}).",
        mixed.run.requests_per_second,
        mixed.run.p50_ms,
        mixed.run.p99_ms,
        mixed.run.max_ms,
        mixed.run.errors,
        mixed.locked,
        met(mixed.run.errors == 0 && mixed.locked == 0 && mixed.run.p99_ms < 100.0),
    )?;
    let (endring_rss, baseline_rss) = sqlite.memory_after_get;
    writeln!(
        report,
        "\nResident memory after the GET load: Endring {:.1} MiB (target < 60 MB: {}), baseline {:.1} MiB.",
        endring_rss as f64 / 1024.0,
        met((endring_rss as f64) * 1024.0 < 60e6),
        baseline_rss as f64 / 1024.0
    )?;
    let start_up = endring_start_up(&database_url, dir.path())?;
    writeln!(
        report,
        "Start-up of `serve` on an up-to-date database to the first 200 of /healthz: {:.0} ms (median of 3; target < 300 ms: {}).",
        start_up.as_secs_f64() * 1000.0,
        met(start_up < Duration::from_millis(300))
    )?;

    let drained = smtp_drain(dir.path(), 1000)?;
    writeln!(
        report,
        "1,000 queued notices drained by `serve`'s mail worker to an SMTP server on loopback \
         (bench/../tests/api/smtp_sink.rs): {:.1} s from start-up to the last message; {} messages received, \
         {} distinct Message-IDs, {} rows not marked sent (target < 30 s, none twice: {}).",
        drained.took.as_secs_f64(),
        drained.received,
        drained.distinct,
        drained.unsent,
        met(drained.took < Duration::from_secs(30)
            && drained.received == 1000
            && drained.distinct == 1000
            && drained.unsent == 0),
    )?;

    match std::env::var("ENDRING_BENCH_PG_URL").or_else(|_| std::env::var("ENDRING_TEST_PG_URL")) {
        Ok(server) => {
            let database = PgDatabase::create(&server)?;
            let pg = measure(&load, &database.url, changes, waiting, Backend::Postgres)?;
            writeln!(report, "\nPostgreSQL ({server}, a database of its own seeded alike), against the same baselines on it:")?;
            report.push_str(&pg.table());
        }
        Err(_) => writeln!(
            report,
            "\nPostgreSQL: not measured (set ENDRING_BENCH_PG_URL, e.g. postgres://postgres@127.0.0.1:5432/test)."
        )?,
    }
    println!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("load.md"), &report)?;
    eprintln!("written to {}", out.join("load.md").display());
    Ok(())
}

fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "**missed**"
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// What one backend gave.
struct Measured {
    rows: Vec<Row>,
    memory_after_get: (u64, u64),
    mixed: Option<Mixed>,
}

impl Measured {
    fn table(&self) -> String {
        let mut table = String::from("\n| workload | baseline req/s | Endring req/s | Endring / baseline | Endring p50 ms | Endring p99 ms | Endring max ms | errors | target | met |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        for row in &self.rows {
            table.push_str(&row.line());
            table.push('\n');
        }
        for row in &self.rows {
            table.push_str(&format!(
                "\n{}: rounds (req/s) baseline {:?}, Endring {:?}\n",
                row.name, row.baseline_rounds, row.endring_rounds
            ));
        }
        table
    }
}

struct Mixed {
    run: Run,
    locked: usize,
}

/// Seeds `database_url`, starts Endring and the baseline on it, and runs the workloads:
/// all of them on SQLite, GET and the vote on PostgreSQL (the targets name those).
fn measure(
    load: &Load,
    database_url: &str,
    changes: i64,
    waiting: i64,
    backend: Backend,
) -> anyhow::Result<Measured> {
    let seeding = Instant::now();
    let seeded = actix_web::rt::System::new().block_on(seed_database(database_url, changes, waiting))?;
    eprintln!(
        "seeded {changes} changes ({waiting} waiting for votes) in {:.1}s",
        seeding.elapsed().as_secs_f64()
    );
    let endring = Server::endring(database_url, &load.dir)?;
    let baseline = Server::baseline(database_url)?;
    let rounds = load.rounds;
    let lo_id = 1;
    let hi_id = changes - waiting;
    let auth = format!("Bearer {}", seeded.token);
    let voter = format!("Bearer {}", seeded.voter_token);

    let mut rows = Vec::new();
    // 1. One change by id with a bearer token, against one row by primary key.
    rows.push(load.compare(
        "GET one change (bearer token), 64 connections",
        64,
        (&baseline.base, &|_| Script::get_random("/row/", lo_id, hi_id, None)),
        (&endring.base, &|_| Script::get_random("/api/v1/changes/", lo_id, hi_id, Some(&auth))),
        Target::Share(if backend == Backend::Sqlite { 0.60 } else { 0.50 }),
    )?);
    let memory_after_get = (rss_kib(endring.child.id()), rss_kib(baseline.child.id()));
    // 2. The public system messages page and its Atom feed, against static JSON.
    if backend == Backend::Sqlite {
        rows.push(load.compare(
            "public system messages page, 64 connections",
            64,
            (&baseline.base, &|_| Script::get_fixed("/static.json")),
            (&endring.base, &|_| Script::get_fixed("/messages")),
            Target::Share(0.50),
        )?);
        rows.push(load.compare(
            "system messages Atom feed, 64 connections",
            64,
            (&baseline.base, &|_| Script::get_fixed("/static.json")),
            (&endring.base, &|_| Script::get_fixed("/messages.atom")),
            Target::Share(0.50),
        )?);
    }
    // 3. A vote that decides (decision, audit, outbox, fsync), against one insert. Each
    // round votes on changes of its own (a change decided once is a 409 the next time);
    // the last share of the waiting changes is the mixed load's.
    let first_waiting = changes - waiting + 1;
    let per_round = waiting / (rounds as i64 + 1);
    rows.push(load.compare(
        "vote that decides, 16 connections",
        16,
        (&baseline.base, &|_| Script::post_each("/insert", "", first_waiting, None)),
        (&endring.base, &|round| {
            Script::post_each(
                "/api/v1/changes/",
                "/votes",
                first_waiting + round as i64 * per_round,
                Some(&voter),
            )
        }),
        Target::ShareAndP99(0.50, 50.0),
    )?);
    // 4. A CAB meeting: reads, page views and votes at once.
    let mixed = if backend == Backend::Sqlite {
        let cookie =
            actix_web::rt::System::new().block_on(session_cookie(&endring.base, "voter@example.no"))?;
        let script = Script::mixed(MixedLoad {
            lo: lo_id,
            hi: hi_id,
            auth: &auth,
            voter: &voter,
            cookie: &cookie,
            first_vote: first_waiting + rounds as i64 * per_round,
        });
        // Only what the server logs from here on counts (the log is shared by the run).
        let logged_before = std::fs::metadata(&endring.log).map_or(0, |m| m.len() as usize);
        let run = load.run(&endring.base, &script, 32)?;
        let log = std::fs::read(&endring.log).unwrap_or_default();
        let locked = String::from_utf8_lossy(log.get(logged_before..).unwrap_or_default())
            .matches("database is locked")
            .count();
        eprintln!("mixed CAB-meeting load: {run:?}, {locked} locked");
        Some(Mixed { run, locked })
    } else {
        None
    };
    Ok(Measured { rows, memory_after_get, mixed })
}

/// A PostgreSQL database of the benchmark's own on `server`, dropped afterwards.
struct PgDatabase {
    server: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(server: &str) -> anyhow::Result<PgDatabase> {
        use diesel::Connection;
        endring::db::init_tls();
        let name = format!("endring_load_{}", std::process::id());
        let mut admin = diesel::PgConnection::establish(server)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (base, _) =
            server.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("PG URL must end in /database"))?;
        Ok(PgDatabase { server: server.to_owned(), url: format!("{base}/{name}"), name })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use diesel::Connection;
        if let Ok(mut admin) = diesel::PgConnection::establish(&self.server) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The `Cookie` header of a session signed in on the form as `email` (the seeded
/// password), as a browser would: the sign-in page's cookie and CSRF token sent back.
async fn session_cookie(base: &str, email: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut jar = std::collections::BTreeMap::new();
    let keep = |jar: &mut std::collections::BTreeMap<String, String>, response: &reqwest::Response| {
        for value in response.headers().get_all("set-cookie") {
            if let Some((name, value)) =
                value.to_str().unwrap_or_default().split(';').next().and_then(|p| p.split_once('='))
            {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    };
    let form_page = client.get(format!("{base}/sign-in")).send().await?;
    keep(&mut jar, &form_page);
    let cookie = |jar: &std::collections::BTreeMap<String, String>| {
        jar.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    };
    let page = form_page.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let at =
        page.find(marker).ok_or_else(|| anyhow::anyhow!("no CSRF token on the sign-in page"))? + marker.len();
    let csrf = page[at..].split('"').next().unwrap_or_default().to_owned();
    let form = [("csrf", csrf.as_str()), ("email", email), ("password", seed::PASSWORD), ("next", "/")];
    let signed_in =
        client.post(format!("{base}/sign-in")).header("cookie", cookie(&jar)).form(&form).send().await?;
    anyhow::ensure!(signed_in.status() == 303, "signing in answered {}", signed_in.status());
    keep(&mut jar, &signed_in);
    Ok(cookie(&jar))
}

struct Drained {
    took: Duration,
    received: usize,
    distinct: usize,
    /// Outbox rows not marked sent afterwards.
    unsent: i64,
}

/// Queues `count` notices in a database of their own, starts `serve` with an SMTP URL to
/// a server on loopback, and times until the last message arrives; then waits two more
/// seconds for any message sent twice.
fn smtp_drain(dir: &Path, count: usize) -> anyhow::Result<Drained> {
    use std::sync::{Arc, Mutex};
    let database_url = format!("sqlite://{}", dir.join("drain.db").display());
    actix_web::rt::System::new().block_on(queue_notices(&database_url, count))?;
    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let smtp_port = listener.local_addr()?.port();
    let sink = received.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("the SMTP listener");
            smtp_sink::smtp_server(listener, sink).await;
        })
    });
    let port = free_port()?;
    let started = Instant::now();
    let child = endring_command(&database_url, dir, port)
        .env("ENDRING_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .spawn()?;
    let _server = Server { child, base: format!("http://127.0.0.1:{port}"), log: dir.join("endring.log") };
    let mut took = None;
    while started.elapsed() < Duration::from_secs(120) {
        if received.lock().expect("the sink").len() >= count {
            took = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = took.ok_or_else(|| anyhow::anyhow!("{count} notices were not delivered in 120 s"))?;
    std::thread::sleep(Duration::from_secs(2));
    let messages = received.lock().expect("the sink").clone();
    let mut ids: Vec<&str> =
        messages.iter().filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:"))).collect();
    ids.sort();
    ids.dedup();
    // A notice whose delivery was not recorded would go out again after its lease (five
    // minutes): every row must be marked sent.
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = endring::db::Db::connect(&database_url, 1, "full")?;
    let unsent = diesel::sql_query("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'")
        .get_result::<Count>(&mut *db.conn()?)?
        .n;
    Ok(Drained { took, received: messages.len(), distinct: ids.len(), unsent })
}

/// `count` notices of a change being scheduled, each to a person of its own, in the outbox.
async fn queue_notices(database_url: &str, count: usize) -> anyhow::Result<()> {
    let config = Config { database_url: database_url.to_owned(), ..Config::default() };
    let ctx = endring::app::context(config, Clock::default(), endring::app::Migrations::Apply).await?;
    actix_web::rt::task::spawn_blocking(move || smtp_sink::queue_scheduled_notices(&ctx, count, "example.no"))
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

struct Seeded {
    token: String,
    voter_token: String,
}

/// The database: `changes` changes, the last `waiting` of them waiting for the CAB (low
/// risk: one approval decides), a change manager who may vote on them (user 1 filed
/// them), and a published system message.
async fn seed_database(database_url: &str, changes: i64, waiting: i64) -> anyhow::Result<Seeded> {
    let config = Config { database_url: database_url.to_owned(), ..Config::default() };
    let ctx = endring::app::context(config, Clock::default(), endring::app::Migrations::Apply).await?;
    actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<Seeded> {
        let scale = Scale { changes, events: changes * 10 };
        let first_waiting = changes - waiting;
        let token = seed(&ctx, scale, |i| if i >= first_waiting { "authorize" } else { STATES[(i % 9) as usize] })?;
        let voter = endring::services::users::NewUser {
            email: "voter@example.no".into(),
            name: "Voter".into(),
            roles: [endring::domain::role::Role::ChangeManager].into_iter().collect(),
            password: seed::PASSWORD.into(),
        };
        endring::services::users::add(&ctx, None, voter).map_err(|e| anyhow::anyhow!("{e}"))?;
        let voter_token = endring::services::auth::issue_token(&ctx, "voter@example.no", seed::PASSWORD, "bench")
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .token;
        // Normal changes of low risk: one change manager's approval decides each.
        ctx.db.conn()?.batch_execute("UPDATE changes SET change_type = 'normal' WHERE state = 'authorize'")?;
        // A disruption on the public status page (reported by the change manager).
        let caller = endring::services::auth::authenticate(&ctx, &token).map_err(|e| anyhow::anyhow!("{e}"))?;
        let message = serde_json::from_value(serde_json::json!({
            "title_nb": "Treg e-post", "body_nb": "Vi ser på det.", "title_en": "Slow e-mail", "body_en": "We are on it."
        }))?;
        let made = endring::services::system_messages::report(&ctx, &caller, message).map_err(|e| anyhow::anyhow!("{e}"))?;
        endring::services::system_messages::publish(&ctx, &caller, made.id).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Seeded { token, voter_token })
    })
    .await?
}

/// A server process on loopback, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    /// Where its log goes (stderr, `RUST_LOG=warn`).
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    fn endring(database_url: &str, dir: &Path) -> anyhow::Result<Server> {
        let port = free_port()?;
        let child = endring_command(database_url, dir, port).spawn()?;
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), log: dir.join("endring.log") };
        server.wait_ready("/healthz")?;
        Ok(server)
    }

    fn baseline(database_url: &str) -> anyhow::Result<Server> {
        let port = free_port()?;
        let child = Command::new(std::env::current_exe()?)
            .args(["baseline-server", database_url, &port.to_string()])
            .stdout(Stdio::null())
            .spawn()?;
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), log: PathBuf::new() };
        server.wait_ready("/static.json")?;
        Ok(server)
    }

    fn wait_ready(&self, path: &str) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if http_ok(&self.base, path) {
                return Ok(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        anyhow::bail!("{} did not answer {path} in 30 s", self.base)
    }
}

fn endring_command(database_url: &str, dir: &Path, port: u16) -> Command {
    // `ENDRING_LOAD_BIN`: another build of `endring` to measure (an A/B of two commits on
    // one seeded schema); by default the one cargo built beside this benchmark.
    let binary = std::env::var_os("ENDRING_LOAD_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_endring").into());
    let mut command = Command::new(binary);
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("ENDRING_BIND", format!("127.0.0.1:{port}"))
        .env("ENDRING_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ENDRING_MAIL_DIR", dir.join("mail"))
        .env("ENDRING_SESSION_KEY", "load-benchmark-session-key-".repeat(4))
        .env("RUST_LOG", std::env::var("ENDRING_LOAD_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::null());
    // The servers of one run share a log, appended to: the mixed load counts its
    // "database is locked" in it.
    match std::fs::OpenOptions::new().create(true).append(true).open(dir.join("endring.log")) {
        Ok(log) => command.stderr(log),
        Err(_) => command.stderr(Stdio::null()),
    };
    command
}

/// Whether `GET base+path` answers 200 (a blocking HTTP/1.0 request; no client crate).
fn http_ok(base: &str, path: &str) -> bool {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return false };
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

/// From `serve` to the first 200 of /healthz on the seeded (up-to-date) database.
fn endring_start_up(database_url: &str, dir: &Path) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..3 {
        let port = free_port()?;
        let started = Instant::now();
        let child = endring_command(database_url, dir, port).spawn()?;
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), log: dir.join("endring.log") };
        server.wait_ready("/healthz")?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[1])
}

/// Resident set size of a process, KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// A wrk script: how each request is made, and the `done` hook that prints the figures.
struct Script(String);

const DONE: &str = r#"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.3f %.3f %.3f\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"#;

impl Script {
    /// GETs of `prefix{id}` for ids spread at random over `lo..=hi`.
    fn get_random(prefix: &str, lo: i64, hi: i64, authorization: Option<&str>) -> Script {
        let headers = authorization.map_or(String::new(), |a| format!("[\"Authorization\"] = \"{a}\""));
        Script(format!(
            "math.randomseed(7)\nrequest = function()\n  return wrk.format(\"GET\", \"{prefix}\" .. math.random({lo}, {hi}), {{ {headers} }})\nend\n{DONE}"
        ))
    }

    fn get_fixed(path: &str) -> Script {
        Script(format!("wrk.path = \"{path}\"\n{DONE}"))
    }

    /// POSTs to `prefix{id}suffix`, each to an id of its own from `first` up (threads take
    /// turns), with an approval as the body.
    fn post_each(prefix: &str, suffix: &str, first: i64, authorization: Option<&str>) -> Script {
        let auth = authorization.map_or(String::new(), |a| format!("[\"Authorization\"] = \"{a}\", "));
        Script(format!(
            r#"local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
request = function()
  local id = {first} + tid + n * 2
  n = n + 1
  return wrk.format("POST", "{prefix}" .. id .. "{suffix}", {{ {auth}["Content-Type"] = "application/json" }}, '{{"decision":"approve"}}')
end
{DONE}"#
        ))
    }
}

/// The mixed CAB-meeting load's parameters.
struct MixedLoad<'a> {
    /// Changes to read, `lo..=hi`.
    lo: i64,
    hi: i64,
    auth: &'a str,
    voter: &'a str,
    /// A signed-in session's `Cookie` header (the voter's).
    cookie: &'a str,
    /// The first change to vote on (threads take turns from there).
    first_vote: i64,
}

impl Script {
    /// Of every ten requests: four API reads of one change, two public messages pages, one
    /// "awaiting my vote" list, one change's HTML page, one CAB queue page, one deciding
    /// vote (each thread's votes on changes of their own).
    fn mixed(m: MixedLoad<'_>) -> Script {
        let MixedLoad { lo, hi, auth, voter, cookie, first_vote } = m;
        Script(format!(
            r#"local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
math.randomseed(11)
local n = 0
local votes = 0
request = function()
  n = n + 1
  local k = n % 10
  if k == 0 then
    local id = {first_vote} + tid + votes * 2
    votes = votes + 1
    return wrk.format("POST", "/api/v1/changes/" .. id .. "/votes", {{ ["Authorization"] = "{voter}", ["Content-Type"] = "application/json" }}, '{{"decision":"approve"}}')
  elseif k <= 4 then
    return wrk.format("GET", "/api/v1/changes/" .. math.random({lo}, {hi}), {{ ["Authorization"] = "{auth}" }})
  elseif k <= 6 then
    return wrk.format("GET", "/messages")
  elseif k == 7 then
    return wrk.format("GET", "/api/v1/changes?awaiting=true&limit=50", {{ ["Authorization"] = "{voter}" }})
  elseif k == 8 then
    return wrk.format("GET", "/changes/" .. math.random({lo}, {hi}), {{ ["Cookie"] = "{cookie}" }})
  else
    return wrk.format("GET", "/cab", {{ ["Cookie"] = "{cookie}" }})
  end
end
{DONE}"#
        ))
    }
}

/// What a workload is held to.
#[derive(Clone, Copy)]
enum Target {
    /// At least this share of the baseline's requests per second.
    Share(f64),
    /// That, and a p99 below this many milliseconds.
    ShareAndP99(f64, f64),
}

/// One wrk run's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    requests_per_second: f64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

struct Row {
    name: &'static str,
    baseline: Run,
    endring: Run,
    baseline_rounds: Vec<u64>,
    endring_rounds: Vec<u64>,
    target: Target,
}

impl Row {
    fn line(&self) -> String {
        let share = self.endring.requests_per_second / self.baseline.requests_per_second;
        let (target, met) = match self.target {
            Target::Share(at_least) => (format!("≥ {:.0} %", at_least * 100.0), share >= at_least),
            Target::ShareAndP99(at_least, p99) => (
                format!("≥ {:.0} %, p99 < {p99:.0} ms", at_least * 100.0),
                share >= at_least && self.endring.p99_ms < p99,
            ),
        };
        format!(
            "| {} | {:.0} | {:.0} | {:.0} % | {:.2} | {:.2} | {:.0} | {} | {target} | {} |",
            self.name,
            self.baseline.requests_per_second,
            self.endring.requests_per_second,
            share * 100.0,
            self.endring.p50_ms,
            self.endring.p99_ms,
            self.endring.max_ms,
            self.endring.errors,
            if met && self.endring.errors == 0 { "yes" } else { "**no**" }
        )
    }
}

struct Load {
    wrk: PathBuf,
    seconds: i64,
    rounds: usize,
    dir: PathBuf,
}

impl Load {
    /// Baseline and Endring in turn, `rounds` times; the figures of each side's best round
    /// by requests per second (a round slowed by something else on the machine says less).
    fn compare(
        &self,
        name: &'static str,
        connections: u32,
        baseline: (&str, &dyn Fn(usize) -> Script),
        endring: (&str, &dyn Fn(usize) -> Script),
        target: Target,
    ) -> anyhow::Result<Row> {
        let mut runs = (Vec::new(), Vec::new());
        for round in 0..self.rounds {
            runs.0.push(self.run(baseline.0, &baseline.1(round), connections)?);
            runs.1.push(self.run(endring.0, &endring.1(round), connections)?);
        }
        let best = |runs: &[Run]| {
            let mut best =
                *runs.iter().max_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second)).unwrap();
            best.errors = runs.iter().map(|r| r.errors).sum();
            best
        };
        let rounds = |runs: &[Run]| runs.iter().map(|r| r.requests_per_second.round() as u64).collect();
        eprintln!("{name}: baseline {:?} / Endring {:?} req/s", rounds(&runs.0), rounds(&runs.1));
        Ok(Row {
            name,
            baseline: best(&runs.0),
            endring: best(&runs.1),
            baseline_rounds: rounds(&runs.0),
            endring_rounds: rounds(&runs.1),
            target,
        })
    }

    fn run(&self, base: &str, script: &Script, connections: u32) -> anyhow::Result<Run> {
        let file = self.dir.join("script.lua");
        std::fs::write(&file, &script.0)?;
        let output = Command::new(&self.wrk)
            .args(["-t2", &format!("-c{connections}"), &format!("-d{}s", self.seconds), "-s"])
            .arg(&file)
            .arg(base)
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().find_map(|l| l.strip_prefix("RESULT ")).ok_or_else(|| {
            anyhow::anyhow!("wrk gave no figures: {text} {}", String::from_utf8_lossy(&output.stderr))
        })?;
        let f: Vec<f64> = line.split_whitespace().filter_map(|n| n.parse().ok()).collect();
        anyhow::ensure!(f.len() == 7, "wrk's figures: {line}");
        Ok(Run {
            requests_per_second: f[0] / (f[1] / 1e6),
            errors: (f[2] + f[3]) as u64,
            p50_ms: f[4],
            p99_ms: f[5],
            max_ms: f[6],
        })
    }
}

/// The baseline: what this stack gives with no application around it — actix-web and
/// Endring's own pool (same pragmas: WAL, `synchronous = FULL`, busy timeout) on the same
/// file: one row by primary key, one insert in a transaction, a static JSON document.
fn baseline_server(database_url: &str, port: &str) -> anyhow::Result<()> {
    let db = endring::db::Db::connect(database_url, 8, "full")?;
    let postgres = database_url.starts_with("postgres");
    db.conn()?.batch_execute(if postgres {
        "CREATE TABLE IF NOT EXISTS bench_baseline (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)"
    } else {
        "CREATE TABLE IF NOT EXISTS bench_baseline (id INTEGER PRIMARY KEY, body TEXT NOT NULL, at TEXT NOT NULL)"
    })?;
    let data = web::Data::new(Baseline { db, postgres });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/row/{id}", web::get().to(row))
                .route("/insert", web::post().to(insert))
                .route("/static.json", web::get().to(static_json))
        })
        .bind(format!("127.0.0.1:{port}"))?
        .run()
        .await
    })?;
    Ok(())
}

#[derive(diesel::QueryableByName, serde::Serialize)]
struct ChangeRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    state: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    planned_start: Option<chrono::NaiveDateTime>,
}

/// The baseline's pool, and which SQL dialect it speaks.
struct Baseline {
    db: endring::db::Db,
    postgres: bool,
}

async fn row(baseline: web::Data<Baseline>, id: web::Path<i32>) -> HttpResponse {
    let id = id.into_inner();
    let found = web::block(move || -> anyhow::Result<ChangeRow> {
        let mut conn = baseline.db.conn()?;
        let sql = if baseline.postgres {
            "SELECT id, title, state, planned_start FROM changes WHERE id = $1"
        } else {
            "SELECT id, title, state, planned_start FROM changes WHERE id = ?"
        };
        Ok(diesel::sql_query(sql).bind::<diesel::sql_types::Integer, _>(id).get_result(&mut *conn)?)
    })
    .await;
    match found {
        Ok(Ok(row)) => HttpResponse::Ok().json(row),
        _ => HttpResponse::NotFound().finish(),
    }
}

async fn insert(baseline: web::Data<Baseline>) -> HttpResponse {
    let done = web::block(move || {
        let now = if baseline.postgres { "now()" } else { "datetime('now')" };
        let sql =
            format!("INSERT INTO bench_baseline (body, at) VALUES ('{{\"decision\":\"approve\"}}', {now})");
        baseline.db.write_unordered(|conn| diesel::sql_query(&sql).execute(conn))
    })
    .await;
    match done {
        Ok(Ok(_)) => HttpResponse::Created().finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

async fn static_json() -> HttpResponse {
    const BODY: &str =
        r#"{"messages":[{"id":1,"title":"Slow e-mail","body":"We are on it.","state":"published"}]}"#;
    HttpResponse::Ok().insert_header(("ETag", "\"1\"")).content_type("application/json").body(BODY)
}
