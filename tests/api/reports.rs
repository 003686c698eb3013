//! The figures of SPEC §10 and the CSV export.

use crate::helpers::{low_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(the_report_counts_what_happened_in_the_period);

async fn the_report_counts_what_happened_in_the_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let implementer = app.user("ivar", &[Role::Implementer]).await;
    let manager = app.user("nora", &[Role::Manager]).await;
    let ci = app.ci("Archive", 3).await;
    let done = app.draft(&requester, &implementer, ci, 3).await;
    app.answer_risk(&done, &requester, low_risk()).await;
    app.act(&done, "submit", &requester, json!({})).await;
    app.act(&done, "assess", &app.admin, json!({ "outcome": "authorize" })).await;
    app.ctx.clock.advance(chrono::Duration::hours(2));
    app.act(&done, "votes", &app.admin, json!({ "decision": "approve" })).await;
    app.ctx.clock.advance(chrono::Duration::days(3));
    app.act(&done, "start", &implementer, json!({})).await;
    app.act(&done, "complete", &implementer, json!({ "closure_code": "successful" })).await;
    app.post(
        "/api/v1/changes",
        &requester,
        json!({ "title": "Urgent, fix \"now\"", "type": "emergency", "ci_ids": [ci] }),
    )
    .await;

    let summary = app.get("/api/v1/reports/summary", &manager).await;
    assert_eq!(summary["created"], 2);
    assert_eq!(summary["emergency_ratio"], 0.5);
    assert_eq!((summary["completed"].as_i64(), summary["successful"].as_i64()), (Some(1), Some(1)));
    assert_eq!(summary["success_rate"], 1.0);
    assert_eq!(summary["failed_or_backed_out"], 0);
    assert!(summary["median_lead_time_hours"].as_f64().unwrap() >= 2.0, "{summary}");
    let voters = summary["approval_time_by_voter"].as_array().unwrap();
    assert_eq!(voters.len(), 1);
    assert!(
        (voters[0]["median_hours"].as_f64().unwrap() - 2.0).abs() < 0.01,
        "two hours from authorize to the vote"
    );
    assert_eq!(summary["changes_per_ci"], json!([{ "name": "Archive", "count": 2 }]));
    assert_eq!(summary["upcoming_per_week"].as_array().unwrap().len(), 8);

    let (status, _) = app.call(Method::GET, "/api/v1/reports/summary", Some(&requester), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "reports are for managers, change managers and admins");
}
