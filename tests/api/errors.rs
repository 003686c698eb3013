//! Refusals: every wrong request gets its status code and a message, and changes nothing.

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    refused_transitions_answer_409_and_change_nothing,
    callers_without_a_valid_token_get_401,
    the_policy_refuses_with_403,
    unknown_changes_get_404,
    stale_or_missing_versions_get_412_and_428,
    invalid_fields_get_422_with_every_field_named,
    malformed_bodies_get_400,
    no_one_votes_on_a_change_they_requested_or_implement,
    a_leap_second_is_refused_and_nothing_stored,
    strict_transport_security_is_sent_only_behind_tls,
    a_method_the_api_does_not_take_gets_405_naming_those_it_does,
    metrics_are_served_only_with_their_token_and_count_requests_votes_and_refusals,
    a_message_edit_without_if_match_is_428_whatever_the_messages_state,
);

async fn a_message_edit_without_if_match_is_428_whatever_the_messages_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let texts = json!({ "title_nb": "Treg e-post", "body_nb": "Vi ser på det.", "title_en": "Slow e-mail", "body_en": "We are on it." });
    let made = app.post("/api/v1/messages", &app.admin, texts).await;
    let path = format!("/api/v1/messages/{}", made["id"]);
    let resolve = json!({ "text_nb": "Løst", "resolve": true });
    app.post(&format!("{path}/updates"), &app.admin, resolve).await;
    let edit = json!({ "title_nb": "Ny", "body_nb": "Vi ser på det." });
    let (status, problem) = app.call(Method::PATCH, &path, Some(&app.admin), Some(edit)).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{problem}");
}

async fn metrics_are_served_only_with_their_token_and_count_requests_votes_and_refusals(backend: Backend) {
    let off = TestApp::spawn(backend.clone()).await;
    let response = reqwest::get(format!("{}/metrics", off.address)).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "no token set: no /metrics");
    let token = "metrics-token-for-the-scraper-0123456789";
    let app = TestApp::spawn_with(backend, |c| c.metrics_token = Some(token.into())).await;
    let scrape = |bearer: Option<&str>| {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(Some("metrics-token-for-the-scraper-0123456788")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        scrape(Some(&app.admin.token)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "an API token is not the metrics token"
    );
    // The value of each series, before and after traffic that must move it. The recorder
    // is the process's, shared with tests running beside this one: the counts may move
    // more than this test's own traffic, never less.
    let value = |text: &str, series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .map_or(0.0, |v| v.parse().unwrap())
    };
    let votes_route =
        "endring_http_requests_total{route=\"/api/v1/changes/{id}/votes\",method=\"POST\",status=\"200\"}";
    let series = [
        (votes_route, 2.0),
        ("endring_http_request_duration_seconds_count{route=\"/api/v1/changes/{id}/votes\",method=\"POST\"}", 2.0),
        ("endring_votes_total{decision=\"approve\"}", 2.0),
        ("endring_decisions_total{outcome=\"scheduled\"}", 1.0),
        ("endring_sign_in_failures_total", 5.0),
        ("endring_sign_in_limited_total", 1.0),
        ("endring_mail_total{result=\"sent\"}", 1.0),
        ("endring_db_pool_wait_seconds_count", 1.0),
    ];
    let before = scrape(Some(token)).await.unwrap().text().await.unwrap();
    // A change decided by two approvals (medium risk), five wrong passwords and a sixth
    // refused by the limit, one round of the mail worker.
    app.new_change().risk(crate::helpers::medium_risk()).in_state(ChangeState::Scheduled).await;
    let wrong = json!({ "email": "nobody@test.endring.no", "password": "wrong" });
    for attempt in 1..=6 {
        let (status, _) = app.call(Method::POST, "/api/v1/auth/token", None, Some(wrong.clone())).await;
        let expected = if attempt <= 5 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
        assert_eq!(status, expected, "attempt {attempt}");
    }
    let folder = tempfile::tempdir().unwrap();
    let config = endring::config::Config { mail_dir: folder.path().to_owned(), ..Default::default() };
    let files = endring::mail::transport::Transport::from_config(&config).unwrap();
    endring::mail::worker::deliver_due(&app.ctx, &files).await.unwrap();
    let response = scrape(Some(token)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let after = response.text().await.unwrap();
    for (series, at_least) in series {
        let moved = value(&after, series) - value(&before, series);
        assert!(moved >= at_least, "{series} moved by {moved}, not at least {at_least}:\n{after}");
    }
    for gauge in ["endring_outbox_waiting", "endring_outbox_failed"] {
        assert!(after.lines().any(|l| l.starts_with(gauge)), "{gauge} in\n{after}");
    }
    // Set from the pool's count at each scrape (the largest any instance in this process
    // has reached: the recorder is shared), so present and past this app's own count.
    let statements = value(&after, "endring_db_statements_total");
    assert!(statements >= app.ctx.db.statements() as f64 && statements > 0.0, "{after}");
    // A made-up method is counted as "other", not as a series of its own.
    let odd = reqwest::Method::from_bytes(b"FROB").unwrap();
    app.client.request(odd, format!("{}/calendar", app.address)).send().await.unwrap();
    let last = scrape(Some(token)).await.unwrap().text().await.unwrap();
    assert!(!last.contains("FROB") && last.contains("method=\"other\""), "{last}");
}

async fn a_method_the_api_does_not_take_gets_405_naming_those_it_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (method, path, allow) in [
        (Method::PUT, "/api/v1/changes", "GET, HEAD, POST"),
        (Method::POST, "/api/v1/changes/1", "GET, HEAD, PATCH, DELETE"),
        (Method::GET, "/api/v1/auth/token", "POST"),
    ] {
        let (status, headers, problem) =
            app.call_with(method.clone(), path, Some(&app.admin), None, &[]).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(headers.get("allow").map(|v| v.to_str().unwrap()), Some(allow), "{method} {path}");
        assert_eq!(problem["status"], 405, "a problem document: {problem}");
    }
}

async fn a_leap_second_is_refused_and_nothing_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ci = app.ci("Sak- og arkivsystem", 3).await;
    let before = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes");
    let body = json!({
        "title": "Leap", "description": "d", "justification": "j", "type": "normal", "ci_ids": [ci],
        "planned_start": "2030-12-31T23:59:60Z", "planned_end": "2031-01-01T01:00:00Z",
        "implementation_plan": "p", "backout_plan": "b", "test_plan": "t",
    });
    let (status, problem) = app.call(Method::POST, "/api/v1/changes", Some(&app.admin), Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "planned_start", "{problem}");
    assert_eq!(app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes"), before);
}

async fn strict_transport_security_is_sent_only_behind_tls(backend: Backend) {
    for (base, expected) in
        [("https://endring.kommune.no", Some("max-age=31536000")), ("http://127.0.0.1:8080", None)]
    {
        let app = TestApp::spawn_with(backend.clone(), |c| c.base_url = base.into()).await;
        let response = reqwest::get(format!("{}/sign-in", app.address)).await.unwrap();
        let header =
            response.headers().get("strict-transport-security").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header.as_deref(), expected, "{base}");
    }
}

/// A snapshot of what must not move: the change and its trail.
async fn snapshot(app: &TestApp, change: &Value) -> (Value, usize) {
    let current = app.change(change).await;
    (
        json!({ "state": current["state"], "version": current["version"] }),
        app.event_actions(change).await.len(),
    )
}

async fn refused_transitions_answer_409_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let ci = app.ci("Archive", 3).await;
    let change = app.draft(&requester, &implementer, ci, 10).await;
    let before = snapshot(&app, &change).await;
    let manager = &app.admin;
    let refused: [(&str, Value); 7] = [
        ("assess", json!({ "outcome": "authorize" })),
        ("votes", json!({ "decision": "approve" })),
        (
            "reschedule",
            json!({ "planned_start": "2030-01-01T10:00:00Z", "planned_end": "2030-01-01T11:00:00Z" }),
        ),
        ("start", json!({})),
        ("complete", json!({ "closure_code": "successful" })),
        ("review", json!({ "review": "done" })),
        ("return", json!({ "comment": "why" })),
    ];
    for (action, body) in refused {
        let (status, problem) = app.act(&change, action, manager, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action} on a draft: {problem}");
        assert_eq!(problem["status"], 409);
        assert!(problem["detail"].as_str().unwrap().contains("draft"), "{problem}");
    }
    assert_eq!(snapshot(&app, &change).await, before);

    // A cancelled change is terminal.
    app.act(&change, "cancel", &requester, json!({ "reason": "not needed" })).await;
    let (status, _) = app.act(&change, "submit", &requester, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app.act(&change, "cancel", &requester, json!({ "reason": "again" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn callers_without_a_valid_token_get_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, problem) = app.call(Method::GET, "/api/v1/changes", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(problem["detail"].as_str().unwrap().contains("Bearer"));
    let forged = User { id: 1, email: String::new(), token: "0".repeat(64) };
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&forged), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({ "email": app.admin.email, "password": "wrong password" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Tokens expire.
    app.ctx.clock.advance(chrono::Duration::hours(app.ctx.config.token_ttl_hours + 1));
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn the_policy_refuses_with_403(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.user("other", &[]).await;
    let viewer = app.user("viewer", &[Role::Manager]).await;
    let mut staged = app.change_in(ChangeState::Draft).await;
    let (change, requester) = (staged.change.clone(), staged.requester.clone());
    let version = format!("\"{}\"", change["version"]);
    let (status, _, _) = app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/changes/{}", change["id"]),
            Some(&other),
            Some(json!({ "title": "mine now" })),
            &[("If-Match", &version)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the requester edits a draft");
    let (status, _) = app.act(&change, "submit", &other, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    staged.reach(&app, ChangeState::Assess).await;
    let (status, problem) = app.act(&change, "assess", &viewer, json!({ "outcome": "authorize" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(problem["detail"].as_str().unwrap().contains("change managers"), "{problem}");
    let (status, _) = app
        .post_status(
            "/api/v1/cis",
            &requester,
            json!({ "name": "X", "kind": "k", "criticality": 1, "owner_email": "a@b.no" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.change(&change).await["state"], "assess");
}

async fn unknown_changes_get_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/api/v1/changes/999",
        "/api/v1/changes/CHG-000999",
        "/api/v1/changes/not-a-change",
        "/api/v1/nothing",
    ] {
        let (status, problem) = app.call(Method::GET, path, Some(&app.admin), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(problem["status"], 404);
    }
}

async fn stale_or_missing_versions_get_412_and_428(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let change = app.draft(&requester, &app.admin, ci, 10).await;
    let path = format!("/api/v1/changes/{}", change["id"]);
    let (status, headers, _) = app.call_with(Method::GET, &path, Some(&requester), None, &[]).await;
    assert_eq!((status, headers["etag"].to_str().unwrap()), (StatusCode::OK, "\"1\""));
    let if_match = [("If-Match", "\"1\"")];
    let edit = || {
        app.call_with(Method::PATCH, &path, Some(&requester), Some(json!({ "title": "Renamed" })), &if_match)
    };
    let (status, _, edited) = edit().await;
    assert_eq!((status, edited["version"].as_i64()), (StatusCode::OK, Some(2)));
    let (status, _, problem) = edit().await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{problem}");
    let (status, _) =
        app.call(Method::PATCH, &path, Some(&requester), Some(json!({ "title": "No version" }))).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let current = app.change(&change).await;
    assert_eq!((current["title"].as_str(), current["version"].as_i64()), (Some("Renamed"), Some(2)));
}

async fn invalid_fields_get_422_with_every_field_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let body = json!({
        "title": "  ", "ci_ids": [4242], "implementer_id": requester.id,
        "planned_start": "2030-01-01T12:00:00Z", "planned_end": "2030-01-01T10:00:00Z",
    });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "planned_end", "ci_ids", "implementer_id"], "{problem}");

    let (status, problem) =
        app.post_status("/api/v1/changes", &requester, json!({ "title": "x", "type": "urgent" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let change = app.post("/api/v1/changes", &requester, json!({ "title": "Bare draft" })).await;
    let (status, problem) = app.act(&change, "submit", &requester, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for needed in
        ["planned_start", "ci_ids", "implementation_plan", "backout_plan", "test_plan", "answers.tested"]
    {
        assert!(fields.contains(&needed), "{needed} missing from {fields:?}");
    }
    assert_eq!(app.change(&change).await["state"], "draft");

    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/v1/changes/{}/risk", change["id"]),
            Some(&requester),
            Some(json!({ "answers": { "tested": "maybe" } })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "answers.tested");
    let (status, _) = app.call(Method::GET, "/api/v1/changes?state=done", Some(&requester), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn malformed_bodies_get_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .post(format!("{}/api/v1/changes", app.address))
        .bearer_auth(&app.admin.token)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let response = app
        .client
        .post(format!("{}/api/v1/changes", app.address))
        .bearer_auth(&app.admin.token)
        .header("content-type", "application/json")
        .body(format!("{{\"title\": \"{}\"}}", "x".repeat(300 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn no_one_votes_on_a_change_they_requested_or_implement(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[Role::CabMember]).await;
    let implementer = app.user("implementer", &[Role::Implementer, Role::CabMember]).await;
    let manager = app.user("manager", &[Role::ChangeManager]).await;
    let change = app
        .new_change()
        .requested_by(&requester)
        .implemented_by(&implementer)
        .managed_by(&manager)
        .in_state(ChangeState::Authorize)
        .await
        .change;
    for voter in [&requester, &implementer] {
        let (status, problem) = app.act(&change, "votes", voter, json!({ "decision": "approve" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    }
    let current = app.change(&change).await;
    assert_eq!(current["approval"]["votes"], json!([]));
    let asked = app.recipients(&change, "authorize_request").await;
    assert!(!asked.contains(&requester.email) && !asked.contains(&implementer.email), "{asked:?}");
    assert!(asked.contains(&manager.email));
}
