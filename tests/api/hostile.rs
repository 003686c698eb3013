//! Hostile input, table-driven: NUL and other control characters, bidirectional
//! overrides, 10,000-character titles, leap seconds and impossible dates, ids past 32 bits,
//! wrong content types and invalid UTF-8, sent to every writing endpoint of the API and to
//! every form. Each answer must be a 4xx a person can act on, and nothing may be stored:
//! the audit trail (every write appends to it) and the rows of every table a write could
//! touch are counted before and after each request.

use crate::helpers::{low_risk, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{csrf, page, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    hostile_json_gets_a_4xx_and_stores_nothing,
    hostile_forms_get_a_4xx_and_store_nothing,
    email_link_tokens_of_any_shape_name_nothing_and_never_fail,
);

/// Texts no field may hold.
const POISON: &[(&str, &str)] = &[
    ("NUL", "before\u{0}after"),
    ("escape", "red \u{1b}[31m text"),
    ("bare CR", "line\rinjected"),
    ("DEL", "x\u{7f}"),
    ("C1", "x\u{85}y"),
    ("right-to-left override", "invoice\u{202E}fdp.exe"),
];

/// Times no field may hold.
const BAD_TIMES: &[&str] = &[
    "1900-01-01T10:00:00Z",
    "9999-12-31T10:00:00Z",
    "2031-06-30T23:59:60Z",
    "2031-02-30T10:00:00Z",
    "99999-01-01T00:00:00Z",
    "2031-01-01T25:00:00Z",
    "yesterday",
];

/// What every write could leave behind.
const TABLES: &[&str] = &[
    "audit_events",
    "changes",
    "notes",
    "risk_answers",
    "votes",
    "change_incidents",
    "attachments",
    "cis",
    "templates",
    "blackouts",
    "maintenance_windows",
    "closed_days",
    "cab_meetings",
    "system_messages",
    "system_message_updates",
    "webhooks",
    "users",
    "api_tokens",
    "delegations",
    "feed_tokens",
    "outbox",
];

/// The answers that refuse a request for its input: malformed (400), too large (413),
/// wrong type (415), invalid fields (422). (Not 404: every request but those naming bad
/// ids names a record that exists, and a 404 would say the request missed its target.)
fn is_input_refusal(status: StatusCode) -> bool {
    [400, 413, 415, 422].contains(&status.as_u16())
}

/// What a request naming an id that is no record's may also get: no such id (404).
fn is_bad_id_refusal(status: StatusCode) -> bool {
    is_input_refusal(status) || status == StatusCode::NOT_FOUND
}

fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut counts: Vec<i64> = TABLES
        .iter()
        .map(|table| app.db.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}")))
        .collect();
    // Edits of existing rows bump versions; a write that skipped the audit would show here.
    counts.push(app.db.count("SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS n FROM changes"));
    counts
}

/// A JSON request of the table: what it is, method, path, a valid body, the text fields
/// and time fields in it to spoil one at a time.
struct Endpoint {
    method: Method,
    path: String,
    body: Value,
    texts: &'static [&'static str],
    times: &'static [&'static str],
}

fn endpoint(
    method: Method,
    path: String,
    body: Value,
    texts: &'static [&'static str],
    times: &'static [&'static str],
) -> Endpoint {
    Endpoint { method, path, body, texts, times }
}

/// `body` with `field` (a top-level key, or `answers.key`) set to `value`.
fn with(body: &Value, field: &str, value: Value) -> Value {
    let mut body = body.clone();
    match field.split_once('.') {
        Some((outer, inner)) => body[outer][inner] = value,
        None => body[field] = value,
    }
    body
}

async fn send(
    app: &TestApp,
    method: &Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let response = app
        .client
        .request(method.clone(), format!("{}{path}", app.address))
        .bearer_auth(&app.admin.token)
        .header("content-type", content_type)
        .header("if-match", "*")
        .body(body)
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.unwrap_or_default())
}

async fn hostile_json_gets_a_4xx_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin.clone();
    let ci = app.ci("Sak- og arkivsystem", 3).await;
    let other = app.user("olav", &[Role::CabMember]).await;
    // A draft of the admin's own (edits, risk), and changes further along for the actions.
    let draft = app.new_change().requested_by(&admin).in_state(ChangeState::Draft).await.change;
    let assess = app.change_in(ChangeState::Assess).await.change;
    let authorize = app.change_in(ChangeState::Authorize).await.change;
    let scheduled = app.change_in(ChangeState::Scheduled).await.change;
    let review = app.new_change().emergency().in_state(ChangeState::Review).await.change;
    let implementing = app.change_in(ChangeState::Implement).await.change;
    // A standard-change candidate (before the freeze below, which its changes would meet).
    let team =
        (app.user("team-requester", &[]).await, app.user("team-implementer", &[Role::Implementer]).await);
    let candidate = app.candidate(&team.0, &team.1, &other).await;
    let message = json!({ "title_nb": "Treg e-post", "body_nb": "Vi ser på det.", "title_en": "Slow e-mail", "body_en": "We are on it." });
    let made = app.post("/api/v1/messages", &admin, message.clone()).await;
    let template = app
        .post(
            "/api/v1/templates",
            &admin,
            json!({ "name": "Restart", "description": "d", "implementation_plan": "p", "backout_plan": "b", "test_plan": "t", "ci_ids": [ci], "max_duration_minutes": 60 }),
        )
        .await;
    let later = app.ctx.clock.now() + chrono::Duration::days(30);
    let blackout = app
        .post(
            "/api/v1/blackouts",
            &admin,
            json!({ "title": "Freeze", "starts_at": later, "ends_at": later + chrono::Duration::hours(2) }),
        )
        .await;
    let window = app
        .post(
            "/api/v1/maintenance-windows",
            &admin,
            json!({ "ci_id": ci, "weekday": "Tuesday", "starts": "18:00", "ends": "22:00" }),
        )
        .await;
    let hook = app
        .post("/api/v1/webhooks", &admin, json!({ "url": "https://hooks.example.no/a", "secret": "a-secret-of-enough-length-1234", "events": ["submitted"] }))
        .await;
    let id = |v: &Value| v["id"].to_string();
    let change_body = json!({
        "title": "Patch", "description": "d", "justification": "j", "type": "normal", "ci_ids": [ci],
        "planned_start": later, "planned_end": later + chrono::Duration::hours(1),
        "implementation_plan": "p", "backout_plan": "b", "test_plan": "t",
    });
    let at = |change: &Value, tail: &str| format!("/api/v1/changes/{}/{tail}", change["id"]);
    let ci_body = json!({ "name": "Lønn", "kind": "application", "criticality": 2, "owner_email": "eier@test.endring.no" });
    let template_body = json!({ "name": "Restart 2", "description": "d", "implementation_plan": "p", "backout_plan": "b", "test_plan": "t", "ci_ids": [ci], "max_duration_minutes": 60 });
    let blackout_body =
        json!({ "title": "Freeze 2", "starts_at": later, "ends_at": later + chrono::Duration::hours(1) });
    // An open meeting (its decisions) and a standard-change candidate (accepting it).
    let open = app.post("/api/v1/cab/meetings", &admin, json!({ "title": "CAB", "starts_at": later })).await;
    app.post(
        &format!("/api/v1/cab/meetings/{}/open", open["id"]),
        &admin,
        json!({ "attendees": [other.id] }),
    )
    .await;
    let table = vec![
        endpoint(
            Method::POST,
            format!("/api/v1/cab/meetings/{}/decisions", id(&open)),
            json!({ "change_id": authorize["id"], "outcome": "reject", "comment": "Too risky" }),
            &["comment", "reason"],
            &[],
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/templates/candidates/{candidate}/accept"),
            json!({ "name": "Restart weekly" }),
            &["name"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/changes".into(),
            change_body.clone(),
            &["title", "description", "justification", "implementation_plan", "backout_plan", "test_plan"],
            &["planned_start", "planned_end"],
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/changes/{}", draft["id"]),
            json!({ "title": "New title" }),
            &["title", "description"],
            &["planned_start"],
        ),
        endpoint(Method::PUT, at(&draft, "risk"), json!({ "answers": low_risk() }), &["answers.tested"], &[]),
        endpoint(Method::POST, at(&draft, "notes"), json!({ "body": "A note" }), &["body"], &[]),
        endpoint(
            Method::POST,
            at(&draft, "incidents"),
            json!({ "incident": "INC-1", "relation": "raised_from" }),
            &["incident", "relation"],
            &[],
        ),
        endpoint(
            Method::POST,
            at(&assess, "assess"),
            json!({ "outcome": "authorize", "comment": "ok" }),
            &["comment", "outcome"],
            &[],
        ),
        endpoint(Method::POST, at(&assess, "return"), json!({ "comment": "More detail" }), &["comment"], &[]),
        endpoint(
            Method::POST,
            at(&authorize, "votes"),
            json!({ "decision": "reject", "comment": "No" }),
            &["comment", "decision"],
            &[],
        ),
        endpoint(
            Method::POST,
            at(&scheduled, "reschedule"),
            json!({ "planned_start": later, "planned_end": later + chrono::Duration::hours(1), "reason": "Later" }),
            &["reason"],
            &["planned_start", "planned_end"],
        ),
        endpoint(Method::POST, at(&scheduled, "cancel"), json!({ "reason": "Dropped" }), &["reason"], &[]),
        endpoint(
            Method::POST,
            at(&implementing, "complete"),
            json!({ "closure_code": "failed", "notes": "Rolled back" }),
            &["notes", "closure_code"],
            &[],
        ),
        endpoint(
            Method::POST,
            at(&draft, "submit"),
            json!({ "force": true, "reason": "Urgent" }),
            &["reason"],
            &[],
        ),
        endpoint(Method::POST, at(&review, "review"), json!({ "review": "Went well" }), &["review"], &[]),
        endpoint(
            Method::POST,
            "/api/v1/messages".into(),
            message.clone(),
            &["title_nb", "body_nb", "title_en", "body_en"],
            &["starts_at", "ends_at"],
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/messages/{}", id(&made)),
            json!({ "title_nb": "Ny", "body_nb": "Vi ser på det." }),
            &["title_nb", "body_en"],
            &["ends_at"],
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/messages/{}/updates", id(&made)),
            json!({ "text_nb": "Mer" }),
            &["text_nb", "text_en"],
            &[],
        ),
        endpoint(Method::POST, "/api/v1/cis".into(), ci_body.clone(), &["name", "kind", "owner_email"], &[]),
        endpoint(Method::PUT, format!("/api/v1/cis/{ci}"), ci_body, &["name", "kind", "owner_email"], &[]),
        endpoint(
            Method::POST,
            "/api/v1/templates".into(),
            template_body.clone(),
            &["name", "description", "implementation_plan"],
            &[],
        ),
        endpoint(
            Method::PUT,
            format!("/api/v1/templates/{}", id(&template)),
            template_body,
            &["name", "test_plan"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/blackouts".into(),
            blackout_body.clone(),
            &["title"],
            &["starts_at", "ends_at"],
        ),
        endpoint(
            Method::PUT,
            format!("/api/v1/blackouts/{}", id(&blackout)),
            blackout_body,
            &["title"],
            &["starts_at"],
        ),
        endpoint(
            Method::POST,
            "/api/v1/maintenance-windows".into(),
            json!({ "ci_id": ci, "weekday": "Wednesday", "starts": "18:00", "ends": "22:00" }),
            &["weekday", "starts", "ends"],
            &[],
        ),
        endpoint(
            Method::PUT,
            format!("/api/v1/maintenance-windows/{}", id(&window)),
            json!({ "ci_id": ci, "weekday": "Thursday", "starts": "18:00", "ends": "22:00" }),
            &["weekday", "starts"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/calendar/closed-days".into(),
            json!({ "day": "2031-12-27", "name": "Closed" }),
            &["name", "day"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/cab/meetings".into(),
            json!({ "title": "ECAB", "starts_at": later }),
            &["title"],
            &["starts_at", "cutoff_at"],
        ),
        endpoint(
            Method::PUT,
            "/api/v1/cab/settings".into(),
            json!({ "meeting_day": "Thursday", "meeting_time": "10:00", "cutoff_time": "12:00", "on_holiday": "next_working_day" }),
            &["meeting_day", "meeting_time", "cutoff_time", "on_holiday", "zone"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/webhooks".into(),
            json!({ "url": "https://hooks.example.no/b", "secret": "a-secret-of-enough-length-1234", "events": ["submitted"] }),
            &["url", "secret"],
            &[],
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/webhooks/{}", id(&hook)),
            json!({ "url": "https://hooks.example.no/c" }),
            &["url", "secret"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/delegations".into(),
            json!({ "delegate": other.id, "from": "2031-03-02", "until": "2031-03-06" }),
            &[],
            &["from", "until"],
        ),
        endpoint(
            Method::POST,
            "/api/v1/auth/tokens".into(),
            json!({ "name": "Pipeline", "scopes": ["read"] }),
            &["name"],
            &[],
        ),
        endpoint(
            Method::POST,
            "/api/v1/auth/token".into(),
            json!({ "email": "admin@test.endring.no", "password": "wrong" }),
            &["email", "password"],
            &[],
        ),
    ];
    let meeting =
        app.post("/api/v1/cab/meetings", &admin, json!({ "title": "ECAB", "starts_at": later })).await;
    let long_title = "a".repeat(10_000);
    let longest = "a".repeat(20_001);
    let mut cases = 0;
    let mut wrong = Vec::new();
    let before = fingerprint(&app);
    let mut check = |what: String, status: StatusCode, answer: String, now: Vec<i64>, before: &Vec<i64>| {
        cases += 1;
        // Refused for what was sent — not by the policy, the state or a rate limit, which
        // would say nothing about the input.
        let refused = match what.contains(" bad id ") {
            true => is_bad_id_refusal(status),
            false => is_input_refusal(status),
        };
        if !refused {
            wrong.push(format!("{what}: {status} {answer}"));
        } else if &now != before {
            wrong.push(format!("{what}: {status}, but something was stored ({before:?} → {now:?})"));
        }
    };
    for endpoint in &table {
        let Endpoint { method, path, body, texts, times } = endpoint;
        let mut spoiled: Vec<(String, Value)> = Vec::new();
        for field in *texts {
            for (name, value) in POISON {
                spoiled.push((format!("{field} with {name}"), with(body, field, json!(value))));
            }
            if ["title", "name", "title_nb", "incident", "owner_email", "url"].contains(field) {
                spoiled.push((format!("{field} of 10,000 characters"), with(body, field, json!(long_title))));
            }
            // Longer than any text field takes (20,000 for plans, notes and comments). Not
            // credentials: an email or password too long is a wrong one (401), which tells
            // nothing of what accounts there are.
            if !path.ends_with("/auth/token") {
                spoiled.push((format!("{field} of 20,001 characters"), with(body, field, json!(longest))));
            }
        }
        for field in *times {
            let dates = ["1900-01-01", "9999-01-01", "2031-02-30", "2031-13-01"];
            let bad: Vec<&str> =
                if ["from", "until"].contains(field) { dates.to_vec() } else { BAD_TIMES.to_vec() };
            for time in bad {
                spoiled.push((format!("{field} = {time}"), with(body, field, json!(time))));
            }
        }
        for (what, body) in spoiled {
            let (status, answer) =
                send(&app, method, path, "application/json", serde_json::to_vec(&body).unwrap()).await;
            check(format!("{method} {path}: {what}"), status, answer, fingerprint(&app), &before);
        }
        // The body as another type, and as bytes that are not UTF-8.
        let valid = serde_json::to_vec(body).unwrap();
        let (status, answer) = send(&app, method, path, "text/plain", valid.clone()).await;
        check(format!("{method} {path}: as text/plain"), status, answer, fingerprint(&app), &before);
        let (status, answer) =
            send(&app, method, path, "application/x-www-form-urlencoded", b"title=x".to_vec()).await;
        check(format!("{method} {path}: as a form"), status, answer, fingerprint(&app), &before);
        let mut broken = valid.clone();
        let at = broken.iter().position(|b| b.is_ascii_alphabetic()).unwrap_or(0);
        broken.splice(at..at, [0xff, 0xfe]);
        let (status, answer) = send(&app, method, path, "application/json", broken).await;
        check(format!("{method} {path}: invalid UTF-8"), status, answer, fingerprint(&app), &before);
    }
    // Ids past 32 bits, negative and not numbers, on paths that write.
    for bad in ["4294967296", "2147483648", "-1", "99999999999999999999", "1e3", "%00"] {
        for path in [
            format!("/api/v1/changes/{bad}/notes"),
            format!("/api/v1/changes/CHG-{bad}/notes"),
            format!("/api/v1/messages/{bad}/updates"),
            format!("/api/v1/cis/{bad}/retire"),
            format!("/api/v1/webhooks/{bad}/test"),
            format!("/api/v1/outbox/{bad}/retry"),
            format!("/api/v1/users/{bad}/deactivate"),
        ] {
            let (status, answer) = send(
                &app,
                &Method::POST,
                &path,
                "application/json",
                br#"{"body":"x","text_nb":"x"}"#.to_vec(),
            )
            .await;
            check(format!("POST {path}: bad id {bad}"), status, answer, fingerprint(&app), &before);
        }
    }
    // A meeting's cancellation reason.
    let cancel = format!("/api/v1/cab/meetings/{}/cancel", id(&meeting));
    for (name, value) in POISON.iter().copied().chain([("only spaces", "   ")]) {
        let body = serde_json::to_vec(&json!({ "reason": value })).unwrap();
        let (status, answer) = send(&app, &Method::POST, &cancel, "application/json", body).await;
        check(format!("POST {cancel}: reason with {name}"), status, answer, fingerprint(&app), &before);
    }
    // An upload's name (`?name=`), as hostile as any text, and names that are no file's.
    // Each ends in `.txt`, which the plain-text content is, so that only the name is wrong.
    let upload = at(&draft, "attachments");
    let long_name = format!("{}.txt", "a".repeat(10_000));
    let poisoned: Vec<(&str, String)> =
        POISON.iter().map(|(name, value)| (*name, format!("{value}.txt"))).collect();
    let names = poisoned.iter().map(|(name, value)| (*name, value.as_str())).chain([
        ("nothing", ""),
        ("dot-dot", ".."),
        ("a folder", "reports/"),
        ("10,000 characters", long_name.as_str()),
        ("a direction mark", "report\u{200F}.txt"),
    ]);
    for (name, value) in names {
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let path = format!("{upload}?name={encoded}");
        let (status, answer) =
            send(&app, &Method::POST, &path, "application/octet-stream", b"The plan.\n".to_vec()).await;
        check(format!("POST {upload}: name with {name}"), status, answer, fingerprint(&app), &before);
    }
    // Ids past 32 bits, negative and not numbers, on paths that delete (for an incident
    // link, some are well-formed ids that are not linked: 404 too).
    for bad in ["4294967296", "-1", "99999999999999999999", "1e3", "%00"] {
        for path in [
            format!("/api/v1/changes/{bad}"),
            format!("/api/v1/webhooks/{bad}"),
            format!("/api/v1/maintenance-windows/{bad}"),
            format!("/api/v1/delegations/{bad}"),
            format!("/api/v1/auth/tokens/{bad}"),
            format!("/api/v1/calendar/closed-days/{bad}"),
            format!("/api/v1/changes/{}/incidents/raised_from/{bad}", draft["id"]),
        ] {
            let (status, answer) = send(&app, &Method::DELETE, &path, "application/json", Vec::new()).await;
            check(format!("DELETE {path}: bad id {bad}"), status, answer, fingerprint(&app), &before);
        }
    }
    let size = format!("hostile JSON: {cases} requests to {} endpoints\n", table.len());
    print!("{size}");
    assert!(
        wrong.is_empty(),
        "{} of {cases} hostile requests were not refused cleanly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

async fn hostile_forms_get_a_4xx_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin.clone();
    let ci = app.ci("Sak- og arkivsystem", 3).await;
    let draft = app.new_change().requested_by(&admin).in_state(ChangeState::Draft).await.change;
    let reference = draft["ref"].as_str().unwrap().to_owned();
    // An open meeting with a change waiting for the CAB, and a standard-change candidate.
    let waiting = app.change_in(ChangeState::Authorize).await.change;
    let cato = app.user("cato", &[Role::CabMember]).await;
    let starts = app.ctx.clock.now() + chrono::Duration::hours(2);
    let meeting =
        app.post("/api/v1/cab/meetings", &admin, json!({ "title": "CAB", "starts_at": starts })).await;
    app.post(
        &format!("/api/v1/cab/meetings/{}/open", meeting["id"]),
        &admin,
        json!({ "attendees": [cato.id] }),
    )
    .await;
    let team =
        (app.user("team-requester", &[]).await, app.user("team-implementer", &[Role::Implementer]).await);
    let candidate = app.candidate(&team.0, &team.1, &cato).await;
    let browser = sign_in(&app, &admin).await;
    let (_, html) = page(&browser, &app, "/changes/new").await;
    let token = csrf(&html);
    // Every form, with what it needs to be valid but for the spoiled field.
    let forms: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            "/changes/new".into(),
            vec![("title", "T".into()), ("type", "normal".into()), ("ci_ids", ci.to_string())],
        ),
        (format!("/changes/{reference}/edit"), vec![("title", "T".into()), ("type", "normal".into())]),
        (format!("/changes/{reference}/notes"), vec![("body", "A note".into())]),
        (
            format!("/changes/{reference}/incidents"),
            vec![("incident", "INC-1".into()), ("relation", "raised_from".into())],
        ),
        (format!("/changes/{reference}/cancel"), vec![("reason", "Dropped".into())]),
        (format!("/changes/{reference}/submit"), vec![]),
        (format!("/changes/{reference}/copy"), vec![]),
        (
            "/messages".into(),
            vec![
                ("title_nb", "T".into()),
                ("body_nb", "B".into()),
                ("title_en", "T".into()),
                ("body_en", "B".into()),
            ],
        ),
        (
            "/admin/cis".into(),
            vec![
                ("name", "N".into()),
                ("kind", "application".into()),
                ("criticality", "3".into()),
                ("owner_email", "o@test.endring.no".into()),
            ],
        ),
        ("/admin/templates".into(), vec![("name", "N".into()), ("max_duration_minutes", "60".into())]),
        (
            "/admin/blackouts".into(),
            vec![
                ("title", "F".into()),
                ("starts_at", "2031-01-10T10:00".into()),
                ("ends_at", "2031-01-10T12:00".into()),
            ],
        ),
        (
            "/admin/maintenance".into(),
            vec![
                ("ci_id", ci.to_string()),
                ("weekday", "Tuesday".into()),
                ("starts", "18:00".into()),
                ("ends", "22:00".into()),
            ],
        ),
        ("/admin/calendar".into(), vec![("day", "2031-12-27".into()), ("name", "Closed".into())]),
        (
            "/admin/cab".into(),
            vec![
                ("meeting_day", "Thursday".into()),
                ("meeting_time", "10:00".into()),
                ("cutoff_time", "12:00".into()),
            ],
        ),
        ("/admin/users".into(), vec![("email", "new@test.endring.no".into()), ("name", "New".into())]),
        (
            "/admin/webhooks".into(),
            vec![("url", "https://hooks.example.no/f".into()), ("events", "submitted".into())],
        ),
        ("/profile".into(), vec![("name", "Admin".into())]),
        ("/profile/tokens".into(), vec![("token_name", "Pipe".into()), ("scopes", "read".into())]),
        ("/profile/feeds".into(), vec![("name", "Feed".into())]),
        ("/sign-in/forgot".into(), vec![("email", "admin@test.endring.no".into())]),
        (
            format!("/cab/meetings/{}/decide", meeting["id"]),
            vec![
                ("change_id", waiting["id"].to_string()),
                ("outcome", "reject".into()),
                ("comment", "Too risky".into()),
            ],
        ),
        (
            format!("/admin/templates/candidates/{candidate}/accept"),
            vec![("candidate_name", "Restart weekly".into()), ("candidate_max", "60".into())],
        ),
    ];
    let mut cases = 0;
    let mut wrong = Vec::new();
    let before = fingerprint(&app);
    for (path, fields) in &forms {
        // Each field spoiled in turn, and a field of its own the form does not know.
        let mut names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        names.push("extra");
        for name in names {
            for (what, value) in POISON {
                let mut form: Vec<(&str, String)> = vec![("csrf", token.clone())];
                form.extend(fields.iter().filter(|(k, _)| *k != name).cloned());
                form.push((name, value.to_string()));
                let response =
                    browser.post(format!("{}{path}", app.address)).form(&form).send().await.unwrap();
                let status = response.status();
                cases += 1;
                let now = fingerprint(&app);
                if !is_input_refusal(status) || now != before {
                    wrong.push(format!("{path} with {what} in {name}: {status}, stored: {}", now != before));
                }
            }
        }
        // Bytes that are not UTF-8, percent-encoded as a form would carry them.
        let body = format!("csrf={token}&title=%FF%FEx&name=%C3");
        let response = browser
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        cases += 1;
        let (status, now) = (response.status(), fingerprint(&app));
        if status != StatusCode::BAD_REQUEST || now != before {
            wrong.push(format!("{path} with invalid UTF-8: {status}, stored: {}", now != before));
        }
    }
    // The change page's upload (multipart): file names as hostile as any text, and a name
    // that is not UTF-8; the content is plain text, as each name's `.txt` says.
    let upload = format!("{}/changes/{reference}/attachments", app.address);
    let mut names: Vec<(String, Vec<u8>)> =
        POISON.iter().map(|(what, value)| (what.to_string(), format!("{value}.txt").into_bytes())).collect();
    names.push(("10,000 characters".into(), format!("{}.txt", "a".repeat(10_000)).into_bytes()));
    names.push(("invalid UTF-8".into(), b"plan\xff\xfe.txt".to_vec()));
    for (what, name) in names {
        // (A name is sent as the multipart header carries it: bytes, quoted.)
        let mut body = Vec::new();
        let boundary = "endring-hostile-boundary";
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n")
                .as_bytes(),
        );
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"").as_bytes(),
        );
        body.extend(name.iter().map(|b| if *b == b'"' { b'_' } else { *b }));
        body.extend(
            format!("\"\r\nContent-Type: text/plain\r\n\r\nThe plan.\n\r\n--{boundary}--\r\n").as_bytes(),
        );
        let response = browser
            .post(&upload)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        cases += 1;
        let (status, now) = (response.status(), fingerprint(&app));
        if !is_input_refusal(status) || now != before {
            wrong.push(format!("upload named with {what}: {status}, stored: {}", now != before));
        }
    }
    println!("hostile forms: {cases} posts to {} forms and the upload", forms.len());
    assert!(
        wrong.is_empty(),
        "{} of {cases} hostile forms were not refused cleanly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The tokens of email links (vote links, password resets) are looked up by their hash,
/// never parsed; whatever arrives in their place — any Unicode, control characters, a
/// valid-looking 64 hex digits, thousands of characters — names no link, and the pages
/// answer it with a 4xx, never an error. Property-tested: 200 tokens per backend, plus
/// the edge cases, through the services and through both pages.
async fn email_link_tokens_of_any_shape_name_nothing_and_never_fail(backend: Backend) {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let app = TestApp::spawn(backend).await;
    // Real links of each kind, sent by email, so that the lookups run against rows that
    // exist, and are seen to find them.
    let voter = app.user("token-fuzz-voter", &[Role::CabMember]).await;
    let _ = app.change_in(ChangeState::Authorize).await;
    let (ctx, email) = (app.ctx.clone(), voter.email.clone());
    actix_web::rt::task::spawn_blocking(move || {
        endring::services::accounts::request_reset(&ctx, &email, "10.0.0.1")
    })
    .await
    .unwrap()
    .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let config =
        endring::config::Config { mail_dir: folder.path().to_owned(), ..endring::config::Config::default() };
    let transport = endring::mail::transport::Transport::from_config(&config).unwrap();
    endring::mail::worker::deliver_due(&app.ctx, &transport).await.unwrap();
    let votes = crate::mail::vote_paths(folder.path(), &voter.email);
    assert_eq!(votes.len(), 2, "an Approve and a Reject link: {votes:?}");
    let mails: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap().replace("=\r\n", "").replace("=\n", ""))
        .collect();
    let reset_mail = mails.iter().find(|m| m.contains("/sign-in/reset/")).expect("the reset email");
    let at = reset_mail.find("/sign-in/reset/").unwrap() + "/sign-in/reset/".len();
    let reset: String = reset_mail[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    let (ctx, vote, reset_token) = (app.ctx.clone(), votes[0].trim_start_matches("/vote/").to_owned(), reset);
    let (vote, reset) = actix_web::rt::task::spawn_blocking(move || {
        let vote = endring::services::email_votes::inspect(&ctx, &vote).map(|link| format!("{link:?}"));
        (vote, endring::services::accounts::reset_target(&ctx, &reset_token))
    })
    .await
    .unwrap();
    assert!(vote.unwrap().starts_with("Valid"), "the real vote link is found");
    assert_eq!(reset.unwrap(), Some(voter.email.clone()), "the real reset link is found");
    let strategy = prop_oneof![
        any::<String>(),
        "[0-9a-f]{64}",
        "[0-9A-Za-z_-]{0,100}",
        proptest::collection::vec(any::<char>(), 1000..4000).prop_map(|c| c.into_iter().collect::<String>()),
    ];
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    let mut tokens: Vec<String> =
        (0..200).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect();
    tokens.extend(["", " ", ".", "..", "%", "\u{0}", "\u{202e}", "0".repeat(64).as_str()].map(str::to_owned));
    let browser = crate::pages::browser();
    for token in tokens {
        let (ctx, raw) = (app.ctx.clone(), token.clone());
        let found = actix_web::rt::task::spawn_blocking(move || {
            let vote = endring::services::email_votes::inspect(&ctx, &raw).map(|link| format!("{link:?}"));
            let reset = endring::services::accounts::reset_target(&ctx, &raw);
            (vote, reset)
        })
        .await
        .unwrap();
        match found {
            (Ok(vote), Ok(None)) if vote.starts_with("Unknown") => {}
            other => panic!("the token {token:?} named something or failed: {other:?}"),
        }
        if token == "." || token == ".." {
            continue; // a URL resolves these segments before sending (RFC 3986 §5.2.4)
        }
        let segment: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
        let segment = segment.replace('+', "%20");
        for path in [format!("/vote/{segment}"), format!("/sign-in/reset/{segment}")] {
            let status = browser.get(format!("{}{path}", app.address)).send().await.unwrap().status();
            assert!(status.is_client_error(), "GET {path} answered {status}");
        }
    }
}
