//! `TestApp::spawn(backend)` and the fixtures the scenarios share.

use endring::clock::Clock;
use endring::config::Config;
use endring::domain::role::Role;
use endring::services::users::NewUser;
use endring::services::Ctx;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::net::TcpListener;

/// Declares each scenario `async fn name(backend: Backend)` as two tests,
/// `name::sqlite` and `name::postgres` (see `Backend::postgres_unless_skipped`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres_unless_skipped(stringify!($name)) {
                    super::$name(backend).await
                }
            }
        }
    )*};
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres { server_url: String },
}

impl Backend {
    pub fn postgres() -> Option<Backend> {
        std::env::var("ENDRING_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .map(|server_url| Backend::Postgres { server_url })
    }

    /// The PostgreSQL backend for the scenario `name`, or None (a visible skip) when
    /// `ENDRING_TEST_PG_URL` is not set. Under CI (the variable `CI` is set) a missing
    /// URL fails the test instead: a CI run must not pass PostgreSQL variants that never ran.
    pub fn postgres_unless_skipped(name: &str) -> Option<Backend> {
        let backend = Backend::postgres();
        if backend.is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{name}::postgres: CI is set but ENDRING_TEST_PG_URL is not; \
                 set it to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            // Written past the test harness's capture, so the skip is visible.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {name}::postgres: ENDRING_TEST_PG_URL is not set");
        }
        backend
    }
}

/// A database of its own for one test, removed at the end.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub fn create(backend: &Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("endring.db").display());
                TestDb { url, _dir: Some(dir), pg_drop: None }
            }
            Backend::Postgres { server_url } => {
                use diesel::{Connection, RunQueryDsl};
                let name = format!("endring_test_{}", uuid_like());
                // Before this process's first PostgreSQL connection (see `init_tls`).
                endring::db::init_tls();
                let mut admin =
                    diesel::PgConnection::establish(server_url).expect("connect to ENDRING_TEST_PG_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let (base, _) = server_url.rsplit_once('/').expect("ENDRING_TEST_PG_URL ends in /database");
                TestDb {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_drop: Some((server_url.clone(), name)),
                }
            }
        }
    }
}

impl TestDb {
    /// Runs `sql` on the database directly, past the application (to tamper with rows).
    pub fn execute(&self, sql: &str) -> usize {
        self.try_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// As `execute`, giving back the database's refusal.
    pub fn try_execute(&self, sql: &str) -> diesel::QueryResult<usize> {
        use diesel::{Connection, RunQueryDsl};
        match self.url.strip_prefix("sqlite://") {
            Some(file) => diesel::sql_query(sql)
                .execute(&mut diesel::SqliteConnection::establish(file).expect("open the SQLite file")),
            None => diesel::sql_query(sql).execute(
                &mut diesel::PgConnection::establish(&self.url).expect("connect to the test database"),
            ),
        }
    }

    /// Lets rows of the audit trail be changed (drops the triggers that refuse it), as an
    /// intruder with the database's owner rights could.
    pub fn allow_audit_tampering(&self) {
        match self.url.starts_with("sqlite://") {
            true => {
                self.execute("DROP TRIGGER audit_events_no_update");
                self.execute("DROP TRIGGER audit_events_no_delete");
            }
            false => {
                self.execute("DROP TRIGGER audit_events_no_change ON audit_events");
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl TestDb {
    /// The number `sql` selects as `n` (written `CAST(… AS BIGINT) AS n`), read past the
    /// application.
    pub fn count(&self, sql: &str) -> i64 {
        use diesel::{Connection, RunQueryDsl};
        let found: Result<Number, _> = match self.url.strip_prefix("sqlite://") {
            Some(file) => diesel::sql_query(sql)
                .get_result(&mut diesel::SqliteConnection::establish(file).expect("open the SQLite file")),
            None => diesel::sql_query(sql).get_result(
                &mut diesel::PgConnection::establish(&self.url).expect("connect to the test database"),
            ),
        };
        found.unwrap_or_else(|e| panic!("{sql}: {e}")).n
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl};
        if let Some((server, name)) = &self.pg_drop {
            if let Ok(mut admin) = diesel::PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16).map(|_| char::from(b'a' + rng.gen_range(0..26))).collect()
}

/// A signed-in user of the test.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub token: String,
}

pub struct TestApp {
    pub address: String,
    pub ctx: Ctx,
    pub client: reqwest::Client,
    pub db: std::sync::Arc<TestDb>,
    pub admin: User,
    /// Numbers the fixtures made by builders, so their names stay unique; shared with
    /// second instances.
    pub(crate) serial: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// As `spawn`, with settings changed by `tweak`.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        TestApp::spawn_on(backend, listener, tweak).await
    }

    /// As `spawn_with`, serving on `listener` (bound before, so that settings such as the
    /// base URL can name its address).
    pub async fn spawn_on(
        backend: Backend,
        listener: TcpListener,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let db = std::sync::Arc::new(TestDb::create(&backend));
        // Tokens last the longest allowed (a year): scenarios move the clock weeks ahead.
        let mut config =
            Config { database_url: db.url.clone(), token_ttl_hours: 24 * 366, ..Config::default() };
        tweak(&mut config);
        let mut app = TestApp::start_on(db, Clock::default(), config, listener).await;
        app.admin = app.user("admin", &[Role::Admin, Role::ChangeManager]).await;
        app
    }

    /// A second instance on the same database with the same settings, as a second
    /// server process would be.
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(|_| {}).await
    }

    /// As `second_instance`, with settings changed by `tweak`.
    pub async fn second_instance_with(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::clone(&self.ctx.config);
        tweak(&mut config);
        let mut app = TestApp::start(self.db.clone(), self.ctx.clock.clone(), config).await;
        app.admin = self.admin.clone();
        app.serial = self.serial.clone();
        app
    }

    async fn start(db: std::sync::Arc<TestDb>, clock: Clock, config: Config) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        TestApp::start_on(db, clock, config, listener).await
    }

    async fn start_on(
        db: std::sync::Arc<TestDb>,
        clock: Clock,
        config: Config,
        listener: TcpListener,
    ) -> TestApp {
        let ctx = endring::app::context(config, clock, endring::app::Migrations::Apply)
            .await
            .expect("application context");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let server = endring::app::serve(ctx.clone(), listener).expect("server");
        actix_web::rt::spawn(server);
        let placeholder = User { id: 0, email: String::new(), token: String::new() };
        TestApp {
            address,
            ctx,
            client: reqwest::Client::new(),
            db,
            admin: placeholder,
            serial: Default::default(),
        }
    }

    /// Adds a user with `roles` and signs them in through the API.
    pub async fn user(&self, login: &str, roles: &[Role]) -> User {
        let email = format!("{login}@test.endring.no");
        let password = "correct horse battery staple".to_owned();
        let input = NewUser {
            email: email.clone(),
            name: login.to_owned(),
            roles: roles.iter().copied().collect(),
            password: password.clone(),
        };
        let ctx = self.ctx.clone();
        let id =
            actix_web::rt::task::spawn_blocking(move || endring::services::users::add(&ctx, None, input))
                .await
                .expect("join")
                .expect("add user");
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        User { id: id.0, email, token: body["token"].as_str().expect("token").to_owned() }
    }

    /// Sends a request and returns status and JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&User>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self.call_with(method, path, user, body, &[]).await;
        (status, body)
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        user: Option<&User>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, json)
    }

    pub async fn get(&self, path: &str, user: &User) -> Value {
        let (status, body) = self.call(Method::GET, path, Some(user), None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// POST that must succeed with 200 or 201.
    pub async fn post(&self, path: &str, user: &User, body: Value) -> Value {
        let (status, answer) = self.call(Method::POST, path, Some(user), Some(body)).await;
        assert!(status.is_success(), "POST {path}: {status} {answer}");
        answer
    }

    /// POST to a change's action; returns status and body.
    pub async fn act(&self, change: &Value, action: &str, user: &User, body: Value) -> (StatusCode, Value) {
        let path = format!("/api/v1/changes/{}/{action}", change["id"]);
        self.call(Method::POST, &path, Some(user), Some(body)).await
    }

    pub async fn change(&self, change: &Value) -> Value {
        self.get(&format!("/api/v1/changes/{}", change["id"]), &self.admin).await
    }

    pub async fn ci(&self, name: &str, criticality: i32) -> i64 {
        let body = json!({ "name": name, "kind": "application", "criticality": criticality, "owner_email": "owner@test.endring.no" });
        self.post("/api/v1/cis", &self.admin, body).await["id"].as_i64().expect("ci id")
    }

    /// A complete draft of a normal change, `days` ahead, on `ci`.
    pub async fn draft(&self, requester: &User, implementer: &User, ci: i64, days: i64) -> Value {
        let start = self.ctx.clock.now() + chrono::Duration::days(days);
        self.draft_of("normal", requester, implementer, &[ci], start).await
    }

    /// A complete draft of a change of `change_type` on `cis`, planned for two hours from `start`.
    pub async fn draft_of(
        &self,
        change_type: &str,
        requester: &User,
        implementer: &User,
        cis: &[i64],
        start: chrono::DateTime<chrono::Utc>,
    ) -> Value {
        let body = json!({
            "title": "Upgrade the archive system",
            "description": "Minor version upgrade",
            "justification": "Security fixes",
            "type": change_type,
            "ci_ids": cis,
            "planned_start": start,
            "planned_end": start + chrono::Duration::hours(2),
            "implementation_plan": "Run the installer",
            "backout_plan": "Restore the snapshot",
            "test_plan": "Sign in and open a case",
            "implementer_id": implementer.id,
        });
        self.post("/api/v1/changes", requester, body).await
    }

    /// Answers the questionnaire with `level`'s typical answers.
    pub async fn answer_risk(&self, change: &Value, requester: &User, answers: Value) -> Value {
        let (status, body) = self
            .call(
                Method::PUT,
                &format!("/api/v1/changes/{}/risk", change["id"]),
                Some(requester),
                Some(json!({ "answers": answers })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Outbox rows about a change: `(kind, recipient)`.
    pub async fn notices(&self, change: &Value) -> Vec<(String, String)> {
        let ctx = self.ctx.clone();
        let id = change["id"].as_i64().expect("id") as i32;
        actix_web::rt::task::spawn_blocking(move || {
            ctx.db.query(|conn| endring::db::outbox::of_change(conn, id))
        })
        .await
        .expect("join")
        .expect("outbox")
    }

    /// Recipients of the notices of `kind` about a change, in the order queued.
    pub async fn recipients(&self, change: &Value, kind: &str) -> Vec<String> {
        let notices = self.notices(change).await;
        notices.into_iter().filter(|(k, _)| k == kind).map(|(_, to)| to).collect()
    }

    pub async fn event_actions(&self, change: &Value) -> Vec<String> {
        let events = self.get(&format!("/api/v1/changes/{}/events", change["id"]), &self.admin).await;
        events
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn verify_audit(&self) -> endring::services::audit::Verification {
        let ctx = self.ctx.clone();
        actix_web::rt::task::spawn_blocking(move || endring::services::audit::verify(&ctx))
            .await
            .expect("join")
            .expect("verify")
    }
}

/// Low-risk answers (score 0 before computed factors).
pub fn low_risk() -> Value {
    json!({ "users_affected": "none", "tested": "yes", "backout": "yes", "complexity": "low", "downtime": "none" })
}

/// Medium-risk answers (score 6).
pub fn medium_risk() -> Value {
    json!({ "users_affected": "under_500", "tested": "partly", "backout": "yes", "complexity": "medium", "downtime": "none" })
}

/// High-risk answers (score 10: 4 + 2 + 2 + 2 + 0).
pub fn high_risk() -> Value {
    json!({ "users_affected": "everyone", "tested": "partly", "backout": "untested", "complexity": "medium", "downtime": "none" })
}

/// Very-high-risk answers (score 16: 4 + 4 + 4 + 4 + 0).
pub fn very_high_risk() -> Value {
    json!({ "users_affected": "everyone", "tested": "no", "backout": "no", "complexity": "high", "downtime": "none" })
}

impl TestApp {
    /// POST returning status and body, for refusals.
    pub async fn post_status(&self, path: &str, user: &User, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(user), Some(body)).await
    }
}
