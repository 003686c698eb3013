//! The audit trail: demo data verifies, and tampering is found at the right event.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use endring::services::audit::Verification;

on_both_backends!(
    demo_data_covers_every_state_and_its_trail_verifies,
    a_tampered_event_is_reported_with_its_sequence_number
);

async fn demo_data_covers_every_state_and_its_trail_verifies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ctx = app.ctx.clone();
    let summary = actix_web::rt::task::spawn_blocking(move || endring::services::demo::seed(&ctx))
        .await
        .unwrap()
        .unwrap();
    assert!(summary.contains("59 changes") && summary.contains("system messages"), "{summary}");
    // Demo data is no news for anyone: nothing waits in the outbox.
    let backlog = {
        let ctx = app.ctx.clone();
        actix_web::rt::task::spawn_blocking(move || endring::services::outbox::backlog(&ctx))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(backlog.waiting, 0, "the demo queues no email");
    for state in [
        "draft",
        "assess",
        "authorize",
        "scheduled",
        "implement",
        "review",
        "closed",
        "rejected",
        "cancelled",
    ] {
        let page = app.get(&format!("/api/v1/changes?state={state}&limit=1"), &app.admin).await;
        assert!(page["total"].as_i64().unwrap() >= 1, "no demo change in {state}");
    }
    let upcoming = app.get("/api/v1/calendar", &app.admin).await;
    assert!(
        upcoming["changes"].as_array().unwrap().len() >= 5,
        "demo changes are scheduled in the coming weeks"
    );
    let windows = app.get("/api/v1/maintenance-windows", &app.admin).await;
    assert_eq!(windows.as_array().unwrap().len(), 3, "the demo has maintenance windows");
    let meetings = app.get("/api/v1/cab/meetings", &app.admin).await;
    assert!(meetings.as_array().unwrap().len() >= 7, "and the coming weeks' CAB meetings");
    // Two past meetings, each closed with its minutes.
    let now = app.ctx.clock.now();
    let (from, to) = ((now - chrono::Duration::days(20)).to_rfc3339(), now.to_rfc3339());
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &from)
        .append_pair("to", &to)
        .finish();
    let past = app.get(&format!("/api/v1/cab/meetings?{query}"), &app.admin).await;
    let closed: Vec<&serde_json::Value> =
        past.as_array().unwrap().iter().filter(|m| m["state"] == "closed").collect();
    assert_eq!(closed.len(), 2, "{past}");
    let first = app.get(&format!("/api/v1/cab/meetings/{}", closed[0]["id"]), &app.admin).await;
    let outcomes: Vec<&str> =
        first["decisions"].as_array().unwrap().iter().map(|d| d["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["approve", "reject", "defer", "return"], "the minutes of the first");
    assert_eq!(first["attendees"].as_array().unwrap().len(), 4);
    let blackouts =
        app.get("/api/v1/blackouts?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", &app.admin).await;
    let titles: Vec<&str> =
        blackouts.as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap()).collect();
    for wanted in ["Valgdagen", "Eksamensperioden", "Julefrys", "Lønnskjøring"] {
        assert!(titles.iter().any(|t| t.starts_with(wanted)), "{wanted} in {titles:?}");
    }
    let delegations = app.get("/api/v1/delegations", &app.admin).await;
    assert_eq!(delegations.as_array().unwrap().len(), 1, "Jonas votes for Sofie this week");
    let year = chrono::Datelike::year(&app.ctx.clock.now());
    let days = app.get(&format!("/api/v1/calendar/days-off?year={year}"), &app.admin).await;
    assert!(days.as_array().unwrap().iter().any(|d| d["name"].is_string()), "and closed days");
    assert!(matches!(app.verify_audit().await, Verification::Intact { events } if events > 300));
    let ctx = app.ctx.clone();
    let again =
        actix_web::rt::task::spawn_blocking(move || endring::services::demo::seed(&ctx)).await.unwrap();
    assert!(again.is_err(), "demo data is not added twice");
}

async fn a_tampered_event_is_reported_with_its_sequence_number(backend: Backend) {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn(backend).await;
    app.ci("Archive", 1).await;
    app.ci("Website", 2).await;
    let Verification::Intact { events } = app.verify_audit().await else { panic!("fresh chain must verify") };
    assert!(events >= 3);
    app.db.allow_audit_tampering();
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = ctx.db.conn().unwrap();
        diesel::sql_query("UPDATE audit_events SET payload = '{\"name\":\"Forged\"}' WHERE seq = 2")
            .execute(&mut *conn)
            .unwrap();
    })
    .await
    .unwrap();
    match app.verify_audit().await {
        Verification::Broken { after, reason } => {
            assert_eq!(after, 1);
            assert_eq!(reason.to_string(), "event 2 was altered after it was written");
        }
        other => panic!("tampering not found: {other:?}"),
    }
}
