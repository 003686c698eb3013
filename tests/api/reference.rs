//! Reference data, the calendar, list filters, and conflicts shown on a change.

use crate::helpers::{low_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    blackouts_and_booked_changes_show_as_conflicts_and_on_the_calendar,
    the_change_list_filters_and_pages,
    reference_data_is_validated_and_unique,
);

async fn blackouts_and_booked_changes_show_as_conflicts_and_on_the_calendar(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let ci = app.ci("Archive", 3).await;
    let other_ci = app.ci("Website", 3).await;
    let now = app.ctx.clock.now();
    let freeze = app
        .post("/api/v1/blackouts", &app.admin, json!({
            "title": "Christmas freeze", "starts_at": now + chrono::Duration::days(9), "ends_at": now + chrono::Duration::days(12), "ci_ids": [],
        }))
        .await;
    let (status, problem) = app
        .post_status(
            "/api/v1/blackouts",
            &app.admin,
            json!({ "title": "Backwards", "starts_at": now, "ends_at": now - chrono::Duration::hours(1) }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let change = app.draft(&requester, &implementer, ci, 10).await;
    assert_eq!(change["conflicts"][0]["kind"], "blackout");
    assert_eq!(change["conflicts"][0]["blackout_id"], freeze["id"]);
    let elsewhere = app.draft(&requester, &implementer, other_ci, 20).await;
    assert_eq!(elsewhere["conflicts"], json!([]));

    // A window in a freeze goes to the CAB only when a change manager forces it, with a reason.
    app.answer_risk(&change, &requester, low_risk()).await;
    app.act(&change, "submit", &requester, json!({})).await;
    let (status, refused) = app.act(&change, "assess", &app.admin, json!({ "outcome": "authorize" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["conflicts"][0]["kind"], "blackout");
    assert_eq!(app.change(&change).await["state"], "assess");
    let forced = json!({ "outcome": "authorize", "force": true, "reason": "Security fix cannot wait" });
    let (status, authorized) = app.act(&change, "assess", &app.admin, forced).await;
    assert_eq!((status, authorized["state"].as_str()), (StatusCode::OK, Some("authorize")), "{authorized}");

    // Schedule `change` (the freeze still holds, so the deciding approval is forced too);
    // a later draft on the same CI in the same window lists it.
    let approve = json!({ "decision": "approve", "force": true, "reason": "Security fix cannot wait" });
    let (_, scheduled) = app.act(&change, "votes", &app.admin, approve).await;
    assert_eq!(scheduled["state"], "scheduled");
    let later = app.draft(&requester, &app.admin, ci, 10).await;
    let kinds: Vec<&str> =
        later["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["shared_ci", "blackout"]);
    assert_eq!(later["conflicts"][0]["change_ref"], change["ref"]);

    // Rescheduling into the freeze is refused; a change manager may force it with a reason.
    let start = now + chrono::Duration::days(11);
    let window = json!({ "planned_start": start, "planned_end": start + chrono::Duration::hours(1) });
    let (status, refused) = app.act(&change, "reschedule", &app.admin, window.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["conflicts"][0]["kind"], "blackout");
    let mut forced = window.clone();
    forced["force"] = json!(true);
    let (status, _) = app.act(&change, "reschedule", &app.admin, forced.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "forcing needs a reason");
    forced["reason"] = json!("Vendor only available then");
    let (status, moved) = app.act(&change, "reschedule", &app.admin, forced).await;
    assert_eq!(status, StatusCode::OK, "{moved}");

    let calendar = app
        .get(
            &format!(
                "/api/v1/calendar?from={}&to={}",
                (now).to_rfc3339().replace('+', "%2B"),
                (now + chrono::Duration::days(30)).to_rfc3339().replace('+', "%2B")
            ),
            &requester,
        )
        .await;
    let refs: Vec<&str> =
        calendar["changes"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(refs, [change["ref"].as_str().unwrap()], "drafts are not on the calendar");
    assert_eq!(calendar["blackouts"][0]["title"], "Christmas freeze");
    let (status, _) = app
        .call(
            reqwest::Method::GET,
            "/api/v1/calendar?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z",
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a calendar spans at most a year");
}

async fn the_change_list_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let other = app.user("other", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let archive = app.ci("Archive", 3).await;
    let web = app.ci("Website", 3).await;
    for i in 0..5 {
        app.draft(&requester, &implementer, archive, 10 + i).await;
    }
    let emergency = app
        .post(
            "/api/v1/changes",
            &other,
            json!({ "title": "URGENT Patch the Website", "type": "emergency", "ci_ids": [web] }),
        )
        .await;
    let page = app.get("/api/v1/changes?limit=2&offset=1", &requester).await;
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["id"].as_i64(), Some(emergency["id"].as_i64().unwrap() - 1), "newest first");
    let by_type = app.get("/api/v1/changes?type=emergency", &requester).await;
    assert_eq!(by_type["total"], 1);
    let by_ci = app.get(&format!("/api/v1/changes?ci={archive}"), &requester).await;
    assert_eq!(by_ci["total"], 5);
    let search = app.get("/api/v1/changes?q=urgent%20patch", &requester).await;
    assert_eq!(search["items"][0]["ref"], emergency["ref"], "search ignores case on both backends");
    let mine = app.get("/api/v1/changes?mine=true", &other).await;
    assert_eq!(mine["total"], 1);
    let percent = app.get("/api/v1/changes?q=%25", &requester).await;
    assert_eq!(percent["total"], 0, "% is a character, not a wildcard");
}

async fn reference_data_is_validated_and_unique(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    app.ci("Archive", 1).await;
    let (status, _) = app
        .post_status(
            "/api/v1/cis",
            &app.admin,
            json!({ "name": "Archive", "kind": "app", "criticality": 2, "owner_email": "a@b.no" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = app
        .post_status(
            "/api/v1/cis",
            &app.admin,
            json!({ "name": "", "kind": "app", "criticality": 7, "owner_email": "nobody" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");
    let cis = app.get("/api/v1/cis", &requester).await;
    assert_eq!(cis.as_array().unwrap().len(), 1);
    let (status, _) = app
        .post_status("/api/v1/templates", &requester, json!({ "name": "T", "implementation_plan": "a", "backout_plan": "b", "test_plan": "c", "max_duration_minutes": 10 }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "requesters do not make templates");
    let templates = app.get("/api/v1/templates", &requester).await;
    assert_eq!(templates, json!([]));
}
