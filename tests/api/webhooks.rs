//! Outbound webhooks, delivered to a real HTTP receiver on loopback (Python's http.server)
//! that checks every signature with Python's own hmac: every step of a change once and
//! signed, retries with backoff, redirects not followed, giving up, a failing receiver
//! not holding up the others, exactly once with two instances, test events, the admin
//! page, and who may manage them.

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use crate::pages::{page, post_form, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use endring::webhooks::{Round, Worker};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

on_both_backends!(
    every_step_of_a_change_reaches_the_receiver_once_signed,
    a_failing_receiver_is_retried_with_backoff_then_given_up_and_holds_up_no_other,
    a_slow_receiver_holds_up_no_other_and_is_not_posted_to_twice_at_once,
    two_instances_deliver_each_event_exactly_once,
    a_test_event_is_sent_at_once_and_logged,
    only_admins_manage_webhooks_and_bad_subscriptions_are_refused_by_name,
    a_paused_webhook_queues_nothing_and_holds_what_waited,
    the_admin_page_adds_a_webhook_shows_its_secret_once_and_its_log,
);

/// The receiver, stopped when dropped (and when the test process dies: its stdin closes).
struct Receiver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// Starts one, or None (the test says it is skipped) without python3 — except under
    /// CI, where that fails the test.
    async fn start(test: &str) -> Option<Receiver> {
        if Command::new("python3").arg("--version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "{test}: CI is set but python3 is not installed");
            eprintln!("SKIPPED {test}: python3 is not installed; the webhook receiver needs it");
            return None;
        }
        let (child, port) = actix_web::rt::task::spawn_blocking(|| {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/receiver.py");
            let mut child = Command::new("python3")
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start the webhook receiver");
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .expect("its first line");
            let started: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            (child, started["port"].as_u64().expect("port"))
        })
        .await
        .expect("join");
        Some(Receiver { child, base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() })
    }

    /// Tells the receiver the secret deliveries to `path` are signed with.
    async fn expect_secret(&self, path: &str, secret: &str) {
        let told =
            self.http.post(format!("{}/_secret", self.base)).json(&json!({ "path": path, "secret": secret }));
        assert_eq!(told.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    }

    /// Everything it received at `path`, in order.
    async fn received(&self, path: &str) -> Vec<Value> {
        let all: Vec<Value> =
            self.http.get(format!("{}/_received", self.base)).send().await.unwrap().json().await.unwrap();
        all.into_iter().filter(|r| r["path"] == path).collect()
    }
}

/// An app whose webhooks may use plain http to loopback, with a receiver.
async fn app_and_receiver(backend: Backend, test: &str) -> Option<(TestApp, Receiver)> {
    let receiver = Receiver::start(test).await?;
    let app = TestApp::spawn_with(backend, |c| c.webhook_http_hosts = vec!["127.0.0.1".into()]).await;
    Some((app, receiver))
}

const SECRET: &str = "a-secret-only-the-receiver-knows";

/// Subscribes `path` on the receiver to `events` with the test secret; the webhook.
async fn subscribe(app: &TestApp, receiver: &Receiver, path: &str, events: &[&str]) -> Value {
    receiver.expect_secret(path, SECRET).await;
    let body = json!({ "url": format!("{}{path}", receiver.base), "secret": SECRET, "events": events });
    let made = app.post("/api/v1/webhooks", &app.admin, body).await;
    assert_eq!(made["secret"], SECRET);
    made
}

const ALL_EVENTS: [&str; 8] =
    ["created", "submitted", "decided", "scheduled", "started", "completed", "closed", "cancelled"];

/// Runs worker rounds, each to its end, until nothing is due now; what they did.
async fn deliver_all(app: &TestApp) -> Round {
    let worker = Worker::new(endring::webhooks::client(endring::webhooks::TIMEOUT));
    loop {
        let claimed = worker.round(&app.ctx).await.expect("a round");
        worker.idle().await;
        if claimed == 0 {
            return worker.take();
        }
    }
}

/// How many audit events `action` has.
fn events_of(app: &TestApp, action: &str) -> i64 {
    app.db.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = '{action}'"))
}

async fn log(app: &TestApp, webhook: &Value) -> Vec<Value> {
    let path = format!("/api/v1/webhooks/{}/deliveries", webhook["id"]);
    app.get(&path, &app.admin).await.as_array().unwrap().clone()
}

async fn every_step_of_a_change_reaches_the_receiver_once_signed(backend: Backend) {
    let Some((app, receiver)) =
        app_and_receiver(backend, "every_step_of_a_change_reaches_the_receiver_once_signed").await
    else {
        return;
    };
    let hook = subscribe(&app, &receiver, "/ok/all", &ALL_EVENTS).await;
    let staged = app.change_in(ChangeState::Closed).await;
    let withdrawn = app.change_in(ChangeState::Scheduled).await;
    let reference = withdrawn.change["ref"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/changes/{reference}/cancel"),
        &withdrawn.requester,
        json!({ "reason": "Not needed" }),
    )
    .await;
    deliver_all(&app).await;

    let got = receiver.received("/ok/all").await;
    let of = |change: &Value| -> Vec<String> {
        got.iter()
            .filter(|r| r["body"]["change"]["id"] == change["id"])
            .map(|r| r["event"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        of(&staged.change),
        ["created", "submitted", "decided", "scheduled", "started", "completed", "closed"],
        "each step once, in order"
    );
    assert_eq!(of(&withdrawn.change), ["created", "submitted", "decided", "scheduled", "cancelled"]);
    for r in &got {
        assert_eq!(r["signature_ok"], true, "Python's hmac accepts the signature: {r}");
        assert_eq!(r["content_type"], "application/json");
        assert_eq!(r["body"]["type"], r["event"], "{r}");
        assert!(r["body"]["event"]["seq"].as_i64().is_some_and(|s| s > 0), "{r}");
    }
    let mut ids: Vec<&str> = got.iter().map(|r| r["delivery"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "every delivery has its own id");
    let closed = got.iter().find(|r| r["event"] == "closed").unwrap();
    let change = &closed["body"]["change"];
    assert_eq!(change["reference"], staged.change["ref"]);
    assert_eq!(change["state"], "closed");
    assert_eq!(
        change["url"],
        format!("{}/changes/{}", app.ctx.config.base_url.trim_end_matches('/'), change["id"])
    );
    assert_eq!(closed["body"]["event"]["from"], "review");
    let decided = got.iter().find(|r| r["event"] == "decided").unwrap();
    assert_eq!(decided["body"]["event"]["payload"]["decision"], "approved", "{decided}");

    // The shell check in docs/ accepts what Python accepted, and refuses a wrong secret.
    let body = std::env::temp_dir().join(format!("endring-webhook-{}.json", std::process::id()));
    std::fs::write(&body, closed["raw"].as_str().unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/webhook-verify.sh");
    let check = |secret: &str| {
        Command::new("sh")
            .arg(script)
            .args([secret, closed["signature"].as_str().unwrap(), body.to_str().unwrap()])
            .env("MAX_AGE", "0")
            .status()
            .expect("run sh")
            .success()
    };
    assert!(check(SECRET), "docs/webhook-verify.sh accepts a real delivery");
    assert!(!check("another-secret-of-some-length"), "and refuses it under another secret");
    std::fs::remove_file(body).ok();

    let logged = log(&app, &hook).await;
    assert_eq!(logged.len(), got.len());
    assert!(logged
        .iter()
        .all(|d| d["status"] == "delivered" && d["response_code"] == 200 && d["attempts"] == 1));
    // Nothing is sent twice: another round finds nothing.
    assert_eq!(deliver_all(&app).await, Default::default());
    assert_eq!(receiver.received("/ok/all").await.len(), got.len());
}

async fn a_failing_receiver_is_retried_with_backoff_then_given_up_and_holds_up_no_other(backend: Backend) {
    let Some((app, receiver)) = app_and_receiver(
        backend,
        "a_failing_receiver_is_retried_with_backoff_then_given_up_and_holds_up_no_other",
    )
    .await
    else {
        return;
    };
    let flaky = subscribe(&app, &receiver, "/flaky/a", &["created"]).await;
    let down = subscribe(&app, &receiver, "/down/a", &["created"]).await;
    let moved = subscribe(&app, &receiver, "/redirect/a", &["created"]).await;
    let fine = subscribe(&app, &receiver, "/ok/a", &["created"]).await;
    app.new_change().in_state(ChangeState::Draft).await;

    // One round: the good receiver has its event although three others fail.
    let first = deliver_all(&app).await;
    assert_eq!((first.delivered, first.retried, first.failed), (1, 3, 0), "{first:?}");
    assert_eq!(receiver.received("/ok/a").await.len(), 1);
    let waiting = &log(&app, &flaky).await[0];
    assert_eq!((waiting["status"].as_str(), waiting["response_code"].as_i64()), (Some("pending"), Some(500)));
    assert!(waiting["error"].as_str().unwrap().starts_with("http: HTTP 500"), "{waiting}");
    let next: chrono::DateTime<chrono::Utc> = waiting["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let wait = next - app.ctx.clock.now();
    assert!((29..=30).contains(&wait.num_seconds()), "the first retry after 30 s: {wait}");
    let redirected = &log(&app, &moved).await[0];
    assert_eq!(redirected["response_code"], 302);
    assert!(redirected["error"].as_str().unwrap().starts_with("redirect: HTTP 302"), "{redirected}");
    assert!(receiver.received("/ok/a").await.len() == 1, "the redirect was not followed");

    // Not due before its time, nor anything newer for that receiver: its events go in order.
    app.new_change().in_state(ChangeState::Draft).await;
    let second = deliver_all(&app).await;
    assert_eq!(
        (second.delivered, second.retried),
        (1, 0),
        "only the healthy receiver hears of it: {second:?}"
    );
    assert_eq!(
        receiver.received("/flaky/a").await.len(),
        1,
        "nothing newer overtakes a delivery waiting for its retry"
    );
    app.ctx.clock.advance(chrono::Duration::seconds(30));
    deliver_all(&app).await;
    app.ctx.clock.advance(chrono::Duration::minutes(1));
    deliver_all(&app).await;
    for _ in 0..4 {
        app.ctx.clock.advance(chrono::Duration::minutes(2));
        deliver_all(&app).await;
    }
    let logged = log(&app, &flaky).await;
    let first_event = logged.last().unwrap();
    assert_eq!(
        (first_event["status"].as_str(), first_event["attempts"].as_i64()),
        (Some("delivered"), Some(3)),
        "{first_event}"
    );
    assert_eq!(logged[0]["status"], "delivered", "{logged:?}");
    // In the order the receiver saw them: every attempt at the first event, then the second's.
    let seqs: Vec<i64> = receiver
        .received("/flaky/a")
        .await
        .iter()
        .map(|r| r["body"]["event"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 6, "three attempts each: {seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "in order: {seqs:?}");

    // The one always down is given up after the last attempt, and an admin retries it.
    for _ in 0..12 {
        app.ctx.clock.advance(chrono::Duration::hours(1));
        deliver_all(&app).await;
    }
    let down_log = log(&app, &down).await;
    let given_up = down_log.last().unwrap();
    assert_eq!(given_up["status"], "failed", "{down_log:?}");
    assert_eq!(given_up["attempts"].as_i64(), Some(endring::webhooks::MAX_ATTEMPTS as i64));
    let asked = receiver.received("/down/a").await;
    let first_seq = &asked[0]["body"]["event"]["seq"];
    let for_first = asked.iter().filter(|r| &r["body"]["event"]["seq"] == first_seq).count();
    assert_eq!(
        for_first,
        endring::webhooks::MAX_ATTEMPTS as usize,
        "the first event, tried to the last attempt"
    );
    let listed = app.get(&format!("/api/v1/webhooks/{}", down["id"]), &app.admin).await;
    assert_eq!(
        (listed["failed"].as_i64(), listed["waiting"].as_i64()),
        (Some(1), Some(1)),
        "the second goes on after it"
    );
    let retry = format!("/api/v1/webhooks/{}/deliveries/{}/retry", down["id"], given_up["id"]);
    let (status, _) = app.call(Method::POST, &retry, Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(log(&app, &down).await.last().unwrap()["status"], "pending");
    let (again, body) = app.call(Method::POST, &retry, Some(&app.admin), None).await;
    assert_eq!(again, StatusCode::CONFLICT, "only a failed delivery is retried: {body}");
    assert_eq!(log(&app, &fine).await.len(), 2, "the healthy receiver heard both");
    assert_eq!(
        app.verify_audit().await,
        endring::services::audit::Verification::Intact {
            events: app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events")
        }
    );
}

async fn a_slow_receiver_holds_up_no_other_and_is_not_posted_to_twice_at_once(backend: Backend) {
    let Some((app, receiver)) =
        app_and_receiver(backend, "a_slow_receiver_holds_up_no_other_and_is_not_posted_to_twice_at_once")
            .await
    else {
        return;
    };
    let slow = subscribe(&app, &receiver, "/slow/b", &["created", "submitted"]).await;
    subscribe(&app, &receiver, "/ok/b", &["created", "submitted"]).await;
    app.new_change().in_state(ChangeState::Assess).await;
    // Waits a second for an answer; the slow receiver takes two.
    let worker = Worker::new(endring::webhooks::client(std::time::Duration::from_secs(1)));
    assert_eq!(worker.round(&app.ctx).await.unwrap(), 4);
    let started = std::time::Instant::now();
    while receiver.received("/ok/b").await.len() < 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_millis(900),
            "the healthy receiver waited for the slow one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(worker.busy(), "the slow receiver is still being posted to");
    assert_eq!(worker.round(&app.ctx).await.unwrap(), 0, "nothing is claimed for a receiver being posted to");
    worker.idle().await;
    let timed_out = log(&app, &slow).await;
    let first = timed_out.last().unwrap();
    assert!(first["error"].as_str().unwrap().starts_with("timeout:"), "{first}");
    assert_eq!(timed_out[0]["attempts"], 0, "the next waits with it, unattempted: {timed_out:?}");
    assert_eq!(receiver.received("/slow/b").await.len(), 1, "one request, not one per delivery");
}

async fn two_instances_deliver_each_event_exactly_once(backend: Backend) {
    let Some((app, receiver)) =
        app_and_receiver(backend, "two_instances_deliver_each_event_exactly_once").await
    else {
        return;
    };
    let other = app.second_instance().await;
    subscribe(&app, &receiver, "/ok/twice", &["created", "submitted"]).await;
    for _ in 0..12 {
        app.new_change().in_state(ChangeState::Assess).await;
    }
    let (a, b) = tokio::join!(deliver_all(&app), deliver_all(&other));
    assert_eq!(a.delivered + b.delivered, 24, "{a:?} {b:?}");
    let got = receiver.received("/ok/twice").await;
    let mut keys: Vec<(i64, String)> = got
        .iter()
        .map(|r| (r["body"]["event"]["seq"].as_i64().unwrap(), r["event"].as_str().unwrap().to_owned()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!((got.len(), keys.len()), (24, 24), "each event exactly once");
}

async fn a_test_event_is_sent_at_once_and_logged(backend: Backend) {
    let Some((app, receiver)) = app_and_receiver(backend, "a_test_event_is_sent_at_once_and_logged").await
    else {
        return;
    };
    let hook = subscribe(&app, &receiver, "/ok/test", &["closed"]).await;
    let sent = app.post(&format!("/api/v1/webhooks/{}/test", hook["id"]), &app.admin, json!({})).await;
    assert_eq!(
        (sent["status"].as_str(), sent["response_code"].as_i64()),
        (Some("delivered"), Some(200)),
        "{sent}"
    );
    let got = receiver.received("/ok/test").await;
    assert_eq!(got.len(), 1);
    assert_eq!((got[0]["event"].as_str(), got[0]["signature_ok"].as_bool()), (Some("test"), Some(true)));
    assert_eq!(log(&app, &hook).await[0]["event_type"], "test");
    let down = subscribe(&app, &receiver, "/down/test", &["closed"]).await;
    let failed = app.post(&format!("/api/v1/webhooks/{}/test", down["id"]), &app.admin, json!({})).await;
    assert_eq!((failed["status"].as_str(), failed["response_code"].as_i64()), (Some("pending"), Some(503)));
    assert!(failed["next_attempt_at"].is_string(), "it will be tried again: {failed}");
    assert_eq!(events_of(&app, "test_webhook"), 2);
}

async fn only_admins_manage_webhooks_and_bad_subscriptions_are_refused_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("cm", &[Role::ChangeManager]).await;
    let good = json!({ "url": "https://hooks.example.no/endring", "events": ["closed"] });
    let (status, _) = app.call(Method::POST, "/api/v1/webhooks", Some(&manager), Some(good.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a change manager does not manage webhooks");
    let (status, _) = app.call(Method::GET, "/api/v1/webhooks", Some(&manager), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An admin's token with the webhooks scope may; one with read may not.
    let token = |scopes: Value| json!({ "name": "integration", "scopes": scopes });
    let hooks_token = app.post("/api/v1/auth/tokens", &app.admin, token(json!(["webhooks"]))).await;
    let hooks = User { token: hooks_token["token"].as_str().unwrap().to_owned(), ..app.admin.clone() };
    let made = app.post("/api/v1/webhooks", &hooks, good.clone()).await;
    let secret = made["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "a secret is made when none is given: {made}");
    assert!(
        app.get("/api/v1/webhooks", &hooks).await.to_string().find(secret).is_none(),
        "never shown again"
    );
    let read_token = app.post("/api/v1/auth/tokens", &app.admin, token(json!(["read"]))).await;
    let reader = User { token: read_token["token"].as_str().unwrap().to_owned(), ..app.admin.clone() };
    let (status, _) = app.call(Method::POST, "/api/v1/webhooks", Some(&reader), Some(good.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read token does not");

    let before = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM webhooks");
    let refused = [
        (json!({ "url": "http://hooks.example.no/", "events": ["closed"] }), "url"),
        (json!({ "url": "https://user:pw@hooks.example.no/", "events": ["closed"] }), "url"),
        (json!({ "url": "hooks.example.no", "events": ["closed"] }), "url"),
        (json!({ "url": "https://hooks.example.no/\u{0}", "events": ["closed"] }), "url"),
        (json!({ "url": "https://hooks.example.no/", "events": [] }), "events"),
        (json!({ "url": "https://hooks.example.no/", "events": ["closed"], "secret": "short" }), "secret"),
    ];
    for (body, field) in refused {
        let (status, problem) =
            app.call(Method::POST, "/api/v1/webhooks", Some(&app.admin), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(&app.admin),
            Some(json!({ "url": "https://x.no/", "events": ["merged"] })),
        )
        .await;
    assert!(status.is_client_error(), "an unknown event type is refused: {status}");
    assert_eq!(app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM webhooks"), before, "nothing stored");

    // Edits are checked the same way; a deleted one is gone with its log.
    let path = format!("/api/v1/webhooks/{}", made["id"]);
    let (status, _) = app
        .call(Method::PATCH, &path, Some(&app.admin), Some(json!({ "url": "ftp://hooks.example.no/" })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, edited) = app
        .call(Method::PATCH, &path, Some(&app.admin), Some(json!({ "events": ["created", "closed"] })))
        .await;
    assert_eq!((status, edited["events"].clone()), (StatusCode::OK, json!(["created", "closed"])));
    let (status, _) = app.call(Method::DELETE, &path, Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, &path, Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["create_webhook", "update_webhook", "delete_webhook"] {
        assert_eq!(events_of(&app, action), 1, "{action} audited");
    }
}

async fn a_paused_webhook_queues_nothing_and_holds_what_waited(backend: Backend) {
    let Some((app, receiver)) =
        app_and_receiver(backend, "a_paused_webhook_queues_nothing_and_holds_what_waited").await
    else {
        return;
    };
    let hook = subscribe(&app, &receiver, "/ok/paused", &["created"]).await;
    let path = format!("/api/v1/webhooks/{}", hook["id"]);
    app.new_change().in_state(ChangeState::Draft).await;
    let (status, paused) =
        app.call(Method::PATCH, &path, Some(&app.admin), Some(json!({ "active": false }))).await;
    assert_eq!(
        (status, paused["active"].clone(), paused["waiting"].clone()),
        (StatusCode::OK, json!(false), json!(1))
    );
    app.new_change().in_state(ChangeState::Draft).await;
    assert_eq!(deliver_all(&app).await, Default::default(), "what waited is held while paused");
    assert_eq!(app.get(&path, &app.admin).await["waiting"], 1, "and nothing new was queued");
    app.call(Method::PATCH, &path, Some(&app.admin), Some(json!({ "active": true }))).await;
    assert_eq!(deliver_all(&app).await.delivered, 1);
    assert_eq!(receiver.received("/ok/paused").await.len(), 1);
}

async fn the_admin_page_adds_a_webhook_shows_its_secret_once_and_its_log(backend: Backend) {
    let Some((app, receiver)) =
        app_and_receiver(backend, "the_admin_page_adds_a_webhook_shows_its_secret_once_and_its_log").await
    else {
        return;
    };
    let browser = sign_in(&app, &app.admin).await;
    let url = format!("{}/ok/page", receiver.base);
    // A refusal keeps what was typed and names the field in the page's language.
    let (status, html) = post_form(
        &browser,
        &app,
        "/admin/webhooks",
        &[("url", "http://elsewhere.example/"), ("events", "closed")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("value=\"http://elsewhere.example/\"") && html.contains("webhook_http_hosts"),
        "{html}"
    );
    let (status, location) = post_form(
        &browser,
        &app,
        "/admin/webhooks",
        &[("url", &url), ("events", "created"), ("events", "closed"), ("secret", SECRET)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", &location[location.len().saturating_sub(3000)..]);
    let (_, shown) = page(&browser, &app, &location).await;
    assert!(shown.contains(SECRET), "the secret is shown after adding");
    let (_, again) = page(&browser, &app, &location).await;
    assert!(!again.contains(SECRET), "and only then");
    receiver.expect_secret("/ok/page", SECRET).await;
    let (status, back) = post_form(&browser, &app, &format!("{location}/test"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, logged) = page(&browser, &app, back.split('#').next().unwrap()).await;
    assert!(logged.contains("HTTP 200"), "the confirmation says what the receiver answered");
    assert!(logged.contains("levert") || logged.contains("delivered"), "the log lists it");
    assert_eq!(receiver.received("/ok/page").await[0]["signature_ok"], true);
    // Others are refused the page.
    let member = app.user("member", &[Role::CabMember]).await;
    let other = sign_in(&app, &member).await;
    assert_eq!(page(&other, &app, "/admin/webhooks").await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&other, &app, &location).await.0, StatusCode::FORBIDDEN);
}
