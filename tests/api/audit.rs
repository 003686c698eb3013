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
    assert!(summary.contains("50 changes"), "{summary}");
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
