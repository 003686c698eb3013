//! The house kept true: a freeze declared while a change waits for the CAB, one form post
//! as one transaction, text without control characters on both databases, the risk of
//! one's own change, errors on the right field, and `/healthz`.

use crate::helpers::{low_risk, medium_risk, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{browser, csrf, page, post_form, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    a_deciding_approval_into_a_freeze_declared_while_waiting_is_refused_unless_a_change_manager_forces_it,
    a_change_manager_cannot_rewrite_the_risk_of_a_change_they_filed,
    a_change_manager_neither_closes_nor_forces_nor_trims_a_change_they_filed_or_implement,
    a_change_manager_may_return_reschedule_and_cancel_their_own_change,
    one_form_post_files_a_change_with_its_answers_as_one_event_and_one_version,
    the_edit_form_offers_free_slots_and_a_chosen_one_replaces_the_typed_times,
    answers_that_do_not_parse_refuse_the_whole_change_and_store_nothing,
    control_characters_are_refused_with_422_naming_the_field_also_without_an_account,
    crlf_from_a_textarea_is_stored_as_a_line_feed,
    path_parameters_that_do_not_parse_answer_a_problem_document,
    a_duplicate_email_is_marked_on_the_email_field,
    healthz_reports_the_mail_worker_and_the_outbox_backlog,
    working_rows_are_purged_after_the_retention_period_and_recent_ones_kept,
    instances_migrating_one_database_at_once_take_turns,
    the_report_period_is_the_90_days_before_to_unless_given,
    an_email_vote_with_a_control_character_in_its_comment_is_refused_and_decides_nothing,
    an_overdue_reminder_is_not_sent_again_after_the_retention_purge,
    a_refused_form_comes_back_with_everything_typed,
);

/// A change waiting in `authorize` for two approvals (medium risk).
async fn waiting_for_the_cab(app: &TestApp) -> Value {
    app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await.change
}

async fn a_deciding_approval_into_a_freeze_declared_while_waiting_is_refused_unless_a_change_manager_forces_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let change = waiting_for_the_cab(&app).await;
    let first = app.user("cato", &[Role::CabMember]).await;
    let second = app.user("cara", &[Role::CabMember]).await;
    let manager = app.user("mona", &[Role::ChangeManager]).await;
    // The freeze is declared after the change went to the CAB.
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(change["planned_start"].clone()).unwrap();
    let freeze = json!({ "title": "Year-end freeze", "starts_at": start - chrono::Duration::days(1), "ends_at": start + chrono::Duration::days(1) });
    app.post("/api/v1/blackouts", &app.admin, freeze).await;

    let (status, body) = app.act(&change, "votes", &first, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::OK, "an approval that decides nothing is recorded: {body}");
    let (status, refused) = app.act(&change, "votes", &second, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["conflicts"][0]["kind"], "blackout");
    let now = app.change(&change).await;
    assert_eq!(now["state"], "authorize", "the change is not scheduled into the freeze");
    assert_eq!(now["approval"]["approvals"], 1, "the refused vote left nothing behind");

    let forced = json!({ "decision": "approve", "force": true, "reason": "Agreed in the CAB" });
    let (status, _) = app.act(&change, "votes", &second, forced).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a CAB member cannot force a freeze");
    let unexplained = json!({ "decision": "approve", "force": true });
    let (status, problem) = app.act(&change, "votes", &manager, unexplained).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "reason");
    let explained = json!({ "decision": "approve", "force": true, "reason": "Security fix cannot wait" });
    let (status, scheduled) = app.act(&change, "votes", &manager, explained).await;
    assert_eq!((status, scheduled["state"].as_str()), (StatusCode::OK, Some("scheduled")), "{scheduled}");
    let events = app.get(&format!("/api/v1/changes/{}/events", change["id"]), &app.admin).await;
    let decision = events.as_array().unwrap().iter().find(|e| e["action"] == "decide").expect("a decision");
    assert_eq!(decision["payload"]["schedule"]["forced"], true);
    assert_eq!(decision["payload"]["schedule"]["reason"], "Security fix cannot wait");
}

async fn a_change_manager_cannot_rewrite_the_risk_of_a_change_they_filed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let filer = app.user("mona", &[Role::ChangeManager]).await;
    let other = app.user("magnus", &[Role::ChangeManager]).await;
    let very_high = json!({ "users_affected": "everyone", "tested": "no", "backout": "no", "complexity": "high", "downtime": "over_1h" });
    let change =
        app.new_change().requested_by(&filer).risk(very_high).in_state(ChangeState::Assess).await.change;
    let path = format!("/api/v1/changes/{}/risk", change["id"]);
    let (status, _) =
        app.call(Method::PUT, &path, Some(&filer), Some(json!({ "answers": low_risk() }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nobody lowers the risk of their own submitted change");
    assert_eq!(app.change(&change).await["risk"]["level"], "very_high");
    let (status, body) =
        app.call(Method::PUT, &path, Some(&other), Some(json!({ "answers": low_risk() }))).await;
    assert_eq!(status, StatusCode::OK, "another change manager may, in assessment: {body}");
}

/// Segregation of duties past voting and assessing (SPEC §3, §8; the decision in the
/// policy): the post-implementation review, a forced window and the incident record of a
/// change are for a change manager other than its requester or implementer.
async fn a_change_manager_neither_closes_nor_forces_nor_trims_a_change_they_filed_or_implement(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let filer = app.user("mona", &[Role::ChangeManager]).await;
    let doer = app.user("milo", &[Role::ChangeManager]).await;
    let other = app.user("magnus", &[Role::ChangeManager]).await;
    // Closing by review: neither the change manager who filed it nor the one who did it.
    let filed = app.new_change().requested_by(&filer).in_state(ChangeState::Review).await.change;
    let done = app.new_change().implemented_by(&doer).in_state(ChangeState::Review).await.change;
    let review = json!({ "review": "Went well" });
    for (change, own) in [(&filed, &filer), (&done, &doer)] {
        let (status, body) = app.act(change, "review", own, review.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(app.change(change).await["state"], "review", "nothing moved");
        let (status, body) = app.act(change, "review", &other, review.clone()).await;
        assert_eq!(status, StatusCode::OK, "another change manager closes it: {body}");
    }
    // Forcing a scheduled change of one's own into a freeze.
    let scheduled = app.new_change().requested_by(&filer).in_state(ChangeState::Scheduled).await.change;
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(scheduled["planned_start"].clone()).unwrap();
    let moved = start + chrono::Duration::days(7);
    let freeze = json!({ "title": "Freeze", "starts_at": moved - chrono::Duration::hours(1), "ends_at": moved + chrono::Duration::days(1) });
    app.post("/api/v1/blackouts", &app.admin, freeze).await;
    let into_freeze = json!({
        "planned_start": moved, "planned_end": moved + chrono::Duration::hours(2),
        "force": true, "reason": "It has to be then",
    });
    let (status, body) = app.act(&scheduled, "reschedule", &filer, into_freeze.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.change(&scheduled).await["planned_start"], scheduled["planned_start"], "not moved");
    let (status, body) = app.act(&scheduled, "reschedule", &other, into_freeze).await;
    assert_eq!(status, StatusCode::OK, "another change manager may force it: {body}");
    // An incident someone else recorded against one's own change stays on its record.
    let path = format!("/api/v1/changes/{}/incidents", done["id"]);
    let caused = json!({ "incident": "INC-77", "relation": "caused" });
    let (status, body) = app.call(Method::POST, &path, Some(&other), Some(caused)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let remove = format!("{path}/caused/INC-77");
    let (status, _) = app.call(Method::DELETE, &remove, Some(&doer), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the implementer does not trim their own record");
    assert_eq!(app.change(&done).await["incidents"].as_array().unwrap().len(), 1);
    let (status, body) = app.call(Method::DELETE, &remove, Some(&other), None).await;
    assert!(status.is_success(), "another change manager may: {status} {body}");
}

/// What a change manager may do on their own change, as its requester could ask any
/// change manager to: return it, move it (checked for conflicts), cancel it.
async fn a_change_manager_may_return_reschedule_and_cancel_their_own_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let filer = app.user("mona", &[Role::ChangeManager]).await;
    let assess = app.new_change().requested_by(&filer).in_state(ChangeState::Assess).await.change;
    let (status, body) =
        app.act(&assess, "return", &filer, json!({ "comment": "Not ready after all" })).await;
    assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("draft")), "{body}");
    let scheduled = app.new_change().requested_by(&filer).in_state(ChangeState::Scheduled).await.change;
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(scheduled["planned_start"].clone()).unwrap();
    let later = json!({
        "planned_start": start + chrono::Duration::days(1),
        "planned_end": start + chrono::Duration::days(1) + chrono::Duration::hours(2),
        "reason": "The supplier is late",
    });
    let (status, body) = app.act(&scheduled, "reschedule", &filer, later).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.act(&scheduled, "cancel", &filer, json!({ "reason": "Dropped" })).await;
    assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("cancelled")), "{body}");
}

/// The new-change form with every field a person fills in, and the risk answers.
fn new_change_form(ci: i64, start: &str, end: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Patch the archive".into()),
        ("type", "normal".into()),
        ("description", "Line one\r\nline two".into()),
        ("ci_ids", ci.to_string()),
        ("planned_start", start.into()),
        ("planned_end", end.into()),
        ("implementation_plan", "Run it".into()),
        ("backout_plan", "Undo it".into()),
        ("test_plan", "Check it".into()),
        ("answers.users_affected", "under_500".into()),
        ("answers.tested", "partly".into()),
        ("answers.backout", "yes".into()),
        ("answers.complexity", "medium".into()),
        ("answers.downtime", "none".into()),
    ]
}

async fn one_form_post_files_a_change_with_its_answers_as_one_event_and_one_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let client = sign_in(&app, &requester).await;
    let fields = new_change_form(ci, "2027-03-02T18:00", "2027-03-02T20:00");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location) = post_form(&client, &app, "/changes/new", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let listed = app.get("/api/v1/changes", &app.admin).await;
    let change = listed["items"][0].clone();
    let stored = app.change(&change).await;
    assert_eq!(stored["version"], 1, "one form post is one version");
    assert_eq!(stored["risk"]["answers"]["complexity"], "medium", "the answers came with it");
    assert_eq!(stored["risk"]["score"], 6);
    assert_eq!(app.event_actions(&change).await, ["create"], "one form post is one audit event");

    // Editing with new answers: again one version and one event more.
    let edit = format!("/changes/{}/edit", change["ref"].as_str().unwrap());
    let mut fields = new_change_form(ci, "2027-03-02T18:00", "2027-03-02T20:00");
    fields.retain(|(k, _)| *k != "answers.complexity");
    fields.push(("answers.complexity", "high".into()));
    fields.push(("version", "1".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, html) = page(&client, &app, &edit).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf(&html))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let response = client.post(format!("{}{edit}", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = app.change(&change).await;
    assert_eq!((stored["version"].as_i64(), stored["risk"]["score"].as_i64()), (Some(2), Some(8)));
    assert_eq!(app.event_actions(&change).await, ["create", "edit"]);
}

async fn answers_that_do_not_parse_refuse_the_whole_change_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let start = app.ctx.clock.now() + chrono::Duration::days(10);
    let body = json!({
        "title": "Half a change", "ci_ids": [ci], "planned_start": start, "planned_end": start + chrono::Duration::hours(1),
        "answers": { "tested": "maybe" },
    });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "answers.tested");
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 0, "no draft was committed");
}

async fn control_characters_are_refused_with_422_naming_the_field_also_without_an_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;

    let nul_email = json!({ "email": "a\u{0}@x.test", "password": "whatever it is" });
    let (status, problem) = app.call(Method::POST, "/api/v1/auth/token", None, Some(nul_email)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email");

    let (status, problem) = app.call(Method::GET, "/api/v1/changes?q=%00", Some(&requester), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "q");

    let start = app.ctx.clock.now() + chrono::Duration::days(10);
    for (field, title) in
        [("title", "Archive\u{0}upgrade"), ("title", "Archive\rupgrade"), ("title", "\u{1b}[31m")]
    {
        let body = json!({ "title": title, "ci_ids": [ci], "planned_start": start, "planned_end": start + chrono::Duration::hours(1) });
        let (status, problem) = app.post_status("/api/v1/changes", &requester, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{title:?}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let nested = json!({ "title": "Fine", "answers": { "tested": "yes\u{0}" } });
    let (_, problem) = app.post_status("/api/v1/changes", &requester, nested).await;
    assert_eq!(problem["errors"][0]["field"], "answers.tested", "{problem}");
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 0, "nothing was stored");

    // The sign-in form, without an account, and a page's query string.
    let anonymous = browser();
    let (_, html) = page(&anonymous, &app, "/sign-in").await;
    let form = [
        ("csrf", csrf(&html)),
        ("email", "a\u{0}@x.test".into()),
        ("password", "x".into()),
        ("next", "/".into()),
    ];
    let response = anonymous.post(format!("{}/sign-in", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = response.text().await.unwrap();
    assert!(text.contains("U+0000") && text.contains("role=\"alert\""), "the page names the character");
    let client = sign_in(&app, &requester).await;
    let (status, html) = page(&client, &app, "/changes?q=%00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("U+0000"), "the page names the character: {html}");
}

async fn crlf_from_a_textarea_is_stored_as_a_line_feed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let body = json!({ "title": "Lines", "description": "one\r\ntwo" });
    let change = app.post("/api/v1/changes", &requester, body).await;
    assert_eq!(app.change(&change).await["description"], "one\ntwo");
}

async fn path_parameters_that_do_not_parse_answer_a_problem_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .post(format!("{}/api/v1/outbox/abc/retry", app.address))
        .bearer_auth(&app.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 404);
}

async fn a_duplicate_email_is_marked_on_the_email_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("rita", &[]).await;
    let admin = sign_in(&app, &app.admin).await;
    let fields =
        [("email", "rita@test.endring.no"), ("name", "Rita Again"), ("password", "a long enough password")];
    let (status, html) = post_form(&admin, &app, "/admin/users", &fields).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("aria-describedby=\"email-error\""), "the email field carries the error");
    assert!(!html.contains("aria-describedby=\"name-error\""), "the name field does not");
    let archive =
        json!({ "name": "Archive", "kind": "application", "criticality": 3, "owner_email": "o@x.no" });
    let (status, problem) = app.post_status("/api/v1/cis", &app.admin, archive.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{problem}");
    let (status, problem) = app.post_status("/api/v1/cis", &app.admin, archive).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["errors"][0]["field"], "name", "the API names the field too");
}

async fn healthz_reports_the_mail_worker_and_the_outbox_backlog(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let change = waiting_for_the_cab(&app).await;
    assert!(!app.notices(&change).await.is_empty());
    let (status, health) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["mail_worker"]["state"], "not_started", "the test app runs no worker");
    let waiting = health["outbox"]["waiting"].as_i64().unwrap();
    let ctx = app.ctx.clone();
    let stored =
        actix_web::rt::task::spawn_blocking(move || ctx.db.query(endring::db::outbox::counts).unwrap())
            .await
            .unwrap();
    let pending: i64 = stored.iter().filter(|(s, _)| s == "pending").map(|(_, n)| n).sum();
    assert!(waiting > 0 && waiting == pending, "the backlog is what the outbox holds: {health}");
}

/// `(status, count)` of the outbox, and the number of vote links, as stored.
async fn stored_rows(app: &TestApp) -> (Vec<(String, i64)>, i64) {
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        ctx.db
            .query(|conn| {
                use diesel::prelude::*;
                use endring::db::schema::vote_tokens;
                let links: i64 = vote_tokens::table.count().get_result(conn)?;
                Ok((endring::db::outbox::counts(conn)?, links))
            })
            .unwrap()
    })
    .await
    .unwrap()
}

async fn working_rows_are_purged_after_the_retention_period_and_recent_ones_kept(backend: Backend) {
    use endring::mail::transport::Transport;
    use endring::mail::worker::deliver_due;
    let app = TestApp::spawn(backend).await;
    waiting_for_the_cab(&app).await;
    // A web session, and a password reset link (made when its email is sent).
    let rita = app.user("retention-rita", &[]).await;
    let _signed_in = crate::pages::sign_in(&app, &rita).await;
    let reset = format!("/api/v1/users/{}/password-reset", rita.id);
    assert_eq!(
        app.post_status(&reset, &app.admin, serde_json::json!({})).await.0,
        reqwest::StatusCode::ACCEPTED
    );
    let folder = tempfile::tempdir().unwrap();
    let config = endring::config::Config { mail_dir: folder.path().to_owned(), ..Default::default() };
    let files = Transport::from_config(&config).unwrap();
    let sent = deliver_due(&app.ctx, &files).await.unwrap().sent;
    assert!(sent > 0);
    let purge = |app: &TestApp| {
        let ctx = app.ctx.clone();
        actix_web::rt::task::spawn_blocking(move || endring::services::retention::purge(&ctx).unwrap())
    };
    let (before, links) = stored_rows(&app).await;
    assert!(links > 0, "the CAB's emails carried vote links");
    assert_eq!(purge(&app).await.unwrap(), Default::default(), "nothing is old yet");
    assert_eq!(stored_rows(&app).await, (before, links));

    // Past the 90 days' retention after the vote links' 7 days' lifetime.
    app.ctx.clock.advance(chrono::Duration::days(98));
    // A notice sent now is recent, and stays.
    app.change_in(ChangeState::Assess).await;
    let recent = deliver_due(&app.ctx, &files).await.unwrap().sent;
    assert!(recent > 0);
    let purged = purge(&app).await.unwrap();
    assert_eq!(purged.notices, sent, "every notice sent 98 days ago is gone");
    assert_eq!(purged.vote_links as i64, links, "every vote link expired long ago is gone");
    assert_eq!((purged.sessions, purged.reset_links), (1, 1), "the expired session and reset link are gone");
    let (after, links) = stored_rows(&app).await;
    assert_eq!(after, vec![("sent".to_owned(), recent as i64)], "the recent notices stay");
    assert_eq!(links, 0);
}

async fn instances_migrating_one_database_at_once_take_turns(backend: Backend) {
    let db = crate::helpers::TestDb::create(&backend);
    let connect = || endring::db::Db::connect(&db.url, 2, "full").unwrap();
    let (first, second) = (connect(), connect());
    let a = std::thread::spawn(move || first.migrate());
    let b = std::thread::spawn(move || second.migrate());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    let applied = a.as_ref().copied().unwrap_or(0) + b.as_ref().copied().unwrap_or(0);
    assert!(a.is_ok() && b.is_ok(), "both start: {a:?} {b:?}");
    let folder = if db.url.starts_with("sqlite") { "migrations/sqlite" } else { "migrations/postgres" };
    let on_disk = std::fs::read_dir(format!("{}/{folder}", env!("CARGO_MANIFEST_DIR"))).unwrap().count();
    assert_eq!(applied, on_disk, "each migration ran once, by one of them");
}

async fn the_report_period_is_the_90_days_before_to_unless_given(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let time = |value: &Value| value.as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let now = app.ctx.clock.now();
    let summary = app.get("/api/v1/reports/summary", &app.admin).await;
    assert_eq!(time(&summary["to"]) - time(&summary["from"]), chrono::Duration::days(90));
    assert!((time(&summary["to"]) - now).num_seconds().abs() < 60, "to defaults to now");
    let to = "2026-06-30T00:00:00Z";
    let summary = app.get(&format!("/api/v1/reports/summary?to={to}"), &app.admin).await;
    assert_eq!(summary["from"], "2026-04-01T00:00:00Z", "from is 90 days before the given to");
    let summary = app.get("/api/v1/reports/summary?from=2026-01-01T00:00:00Z", &app.admin).await;
    assert_eq!(time(&summary["from"]).to_rfc3339(), "2026-01-01T00:00:00+00:00");
    assert!((time(&summary["to"]) - now).num_seconds().abs() < 60, "to defaults to now");
    let document = app.get("/api/v1/openapi.json", &app.admin).await;
    let parameters = document["paths"]["/api/v1/reports/summary"]["get"]["parameters"].to_string();
    assert!(parameters.contains("90 days before"), "the document says so: {parameters}");
}

async fn an_email_vote_with_a_control_character_in_its_comment_is_refused_and_decides_nothing(
    backend: Backend,
) {
    use endring::mail::transport::Transport;
    let app = TestApp::spawn(backend).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let change = waiting_for_the_cab(&app).await;
    let folder = tempfile::tempdir().unwrap();
    let config = endring::config::Config { mail_dir: folder.path().to_owned(), ..Default::default() };
    let files = Transport::from_config(&config).unwrap();
    endring::mail::worker::deliver_due(&app.ctx, &files).await.unwrap();
    let approve = crate::mail::vote_paths(folder.path(), &member.email).remove(0);
    let post = |comment: &'static str| {
        let url = format!("{}{approve}", app.address);
        async move { reqwest::Client::new().post(url).form(&[("comment", comment)]).send().await.unwrap() }
    };
    let refused = post("fine\u{0}").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("U+0000"), "the page names the character");
    assert_eq!(app.change(&change).await["approval"]["approvals"], 0, "nothing was decided");
    // Bytes that are not UTF-8: 400, not a comment with U+FFFD in it.
    let broken = reqwest::Client::new()
        .post(format!("{}{approve}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("comment=ok%FF%FE")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.change(&change).await["approval"]["approvals"], 0, "nothing was decided");
    let accepted = post("Fine by me").await;
    assert_eq!(accepted.status(), StatusCode::OK, "the link still works");
    assert_eq!(app.change(&change).await["approval"]["approvals"], 1);
}

async fn an_overdue_reminder_is_not_sent_again_after_the_retention_purge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staged = app.change_in(ChangeState::Implement).await;
    app.ctx.clock.advance(chrono::Duration::hours(3));
    let run = |f: fn(&endring::services::Ctx)| {
        let ctx = app.ctx.clone();
        actix_web::rt::task::spawn_blocking(move || f(&ctx))
    };
    run(|ctx| {
        endring::services::reminders::queue_due(ctx).unwrap();
    })
    .await
    .unwrap();
    let overdue =
        |notices: Vec<(String, String)>| notices.iter().filter(|(k, _)| k == "reminder_overdue").count();
    let first = overdue(app.notices(&staged.change).await);
    assert!(first > 0, "the change managers are told once");
    app.ctx.clock.advance(chrono::Duration::days(100));
    run(|ctx| {
        endring::services::retention::purge(ctx).unwrap();
        endring::services::reminders::queue_due(ctx).unwrap();
    })
    .await
    .unwrap();
    assert_eq!(overdue(app.notices(&staged.change).await), first, "and not again while it stays overdue");
}

async fn a_refused_form_comes_back_with_everything_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let client = sign_in(&app, &requester).await;

    // A stray control character in one field: that field is marked, nothing is lost.
    let mut fields = new_change_form(ci, "2027-03-02T18:00", "2027-03-02T20:00");
    fields.retain(|(k, _)| *k != "backout_plan");
    fields.push(("backout_plan", "Restore\u{b} the snapshot".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post_form(&client, &app, "/changes/new", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("aria-describedby=\"backout_plan-error\""), "the field is marked");
    assert!(html.contains("Patch the archive") && html.contains("Restore the snapshot"), "all typed is kept");
    assert!(
        html.contains("answers-complexity-medium\" checked") || html.contains("value=\"medium\" checked")
    );
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 0);

    // Someone saves the draft while it is open: the edit comes back with what was typed.
    let change =
        app.new_change().requested_by(&requester).on_ci(ci).in_state(ChangeState::Draft).await.change;
    let edit = format!("/changes/{}/edit", change["ref"].as_str().unwrap());
    let (_, html) = page(&client, &app, &edit).await;
    let path = format!("/api/v1/changes/{}", change["id"]);
    let (status, _, _) = app
        .call_with(
            Method::PATCH,
            &path,
            Some(&requester),
            Some(json!({ "title": "Theirs" })),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let opened = change["version"].to_string();
    let mut form = vec![("csrf".to_owned(), csrf(&html)), ("version".to_owned(), opened)];
    form.extend(
        new_change_form(ci, "2027-03-02T18:00", "2027-03-02T20:00")
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    let response = client.post(format!("{}{edit}", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let html = response.text().await.unwrap();
    assert!(html.contains("Patch the archive"), "what was typed is kept");
    let stored = app.change(&change).await;
    assert_eq!(stored["title"], "Theirs", "nothing was overwritten unseen");
    let current = format!("name=\"version\" value=\"{}\"", stored["version"]);
    assert!(html.contains(&current), "saving again knowingly replaces theirs");

    // An admin form refused for a taken address keeps the name typed.
    let admin = sign_in(&app, &app.admin).await;
    let typed =
        [("email", "rita@test.endring.no"), ("name", "Rita Second"), ("password", "a long enough password")];
    let (status, html) = post_form(&admin, &app, "/admin/users", &typed).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("value=\"Rita Second\""), "the name typed is kept");
    assert!(!html.contains("a long enough password"), "a password is never sent back");
}

async fn the_edit_form_offers_free_slots_and_a_chosen_one_replaces_the_typed_times(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let client = sign_in(&app, &requester).await;
    let zone = chrono_tz::Europe::Oslo;
    let start = (app.ctx.clock.now() + chrono::Duration::days(20)).with_timezone(&zone);
    let typed = |at: chrono::DateTime<chrono_tz::Tz>| at.format("%Y-%m-%dT%H:00").to_string();
    let (from, to) = (typed(start), typed(start + chrono::Duration::hours(2)));
    let fields = new_change_form(ci, &from, &to);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(&client, &app, "/changes/new", &fields).await;
    let change = app.get("/api/v1/changes", &app.admin).await["items"][0].clone();
    // A freeze from now until a week ahead: no slot before it ends.
    let now = app.ctx.clock.now();
    let freeze = json!({ "title": "Exams", "starts_at": now, "ends_at": now + chrono::Duration::days(7) });
    app.post("/api/v1/blackouts", &app.admin, freeze).await;

    let edit = format!("/changes/{}/edit", change["ref"].as_str().unwrap());
    let (_, html) = page(&client, &app, &edit).await;
    let slots: Vec<String> = html
        .split("name=\"slot\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    assert_eq!(slots.len(), 3, "three free windows offered");
    let (slot_start, slot_end) = slots[0].split_once('/').unwrap();
    let slot_start = chrono::DateTime::parse_from_rfc3339(slot_start).unwrap();
    assert!(slot_start >= now + chrono::Duration::days(7), "none inside the freeze: {slot_start}");

    let (from, to) = (&from, &to);
    let post_edit = |slot: String| {
        let (client, app, edit, html) = (&client, &app, &edit, &html);
        async move {
            let mut form: Vec<(String, String)> =
                vec![("csrf".into(), csrf(html)), ("version".into(), "1".into())];
            form.extend(new_change_form(ci, from, to).into_iter().map(|(k, v)| (k.to_string(), v)));
            form.push(("slot".into(), slot));
            client.post(format!("{}{edit}", app.address)).form(&form).send().await.unwrap()
        }
    };
    let forged = post_edit("tomorrow/never".into()).await;
    assert_eq!(forged.status(), StatusCode::UNPROCESSABLE_ENTITY, "a slot that does not parse is refused");
    let chosen = post_edit(slots[0].clone()).await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    let stored = app.change(&change).await;
    let stored_start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(stored["planned_start"].clone()).unwrap();
    let stored_end: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(stored["planned_end"].clone()).unwrap();
    assert_eq!(stored_start, slot_start, "the chosen slot, not the typed start");
    assert_eq!(stored_end, chrono::DateTime::parse_from_rfc3339(slot_end).unwrap());
}
