//! Rules that keep the process honest: templates bind standard changes, times are
//! plausible, sign-in is rate-limited, the policy's finer conditions hold.

use crate::helpers::{low_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    a_standard_change_keeps_to_its_template,
    implausible_times_and_too_many_cis_are_refused,
    repeated_failed_sign_ins_get_429,
    requesters_and_managers_are_held_to_their_part,
    if_match_star_and_empty_action_bodies_are_accepted,
    a_role_change_takes_effect_on_the_next_request,
);

async fn a_standard_change_keeps_to_its_template(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let printers = app.ci("Printers", 4).await;
    let payroll = app.ci("Payroll", 1).await;
    let template = app
        .post(
            "/api/v1/templates",
            &app.admin,
            json!({ "name": "Restart spooler", "implementation_plan": "Restart", "backout_plan": "None",
                    "test_plan": "Print", "max_duration_minutes": 30, "ci_ids": [printers] }),
        )
        .await;
    let own_plan =
        json!({ "title": "Sneaky", "template_id": template["id"], "implementation_plan": "Upgrade payroll" });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, own_plan).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "implementation_plan");
    let other_ci = json!({ "title": "Sneaky", "template_id": template["id"], "ci_ids": [payroll] });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, other_ci).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "ci_ids");
    let (status, _) = app
        .post_status(
            "/api/v1/changes",
            &requester,
            json!({ "title": "x", "type": "normal", "template_id": template["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a normal change follows no template");

    // Turning a normal draft into a standard one by PATCH is held to the same rule.
    let draft =
        app.post("/api/v1/changes", &requester, json!({ "title": "Mine", "ci_ids": [payroll] })).await;
    let path = format!("/api/v1/changes/{}", draft["id"]);
    let patch = json!({ "type": "standard", "template_id": template["id"] });
    let (status, _, problem) =
        app.call_with(Method::PATCH, &path, Some(&requester), Some(patch), &[("If-Match", "\"1\"")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "ci_ids");
    assert_eq!(app.change(&draft).await["type"], "normal", "nothing changed");
}

async fn implausible_times_and_too_many_cis_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let extreme = json!({ "title": "x", "planned_start": "-262144-01-02T00:00:00Z", "planned_end": "2030-01-01T00:00:00Z" });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, extreme).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let far = json!({ "title": "x", "planned_start": "1500-01-02T00:00:00Z", "planned_end": "2030-01-01T00:00:00Z" });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, far).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "planned_start");
    let long = json!({ "title": "x", "planned_start": "2030-01-01T00:00:00Z", "planned_end": "2030-03-01T00:00:00Z" });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, long).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("31 days"), "{problem}");
    let many: Vec<i32> = (1..=5000).collect();
    let (status, problem) =
        app.post_status("/api/v1/changes", &requester, json!({ "title": "x", "ci_ids": many })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("at most 100"), "{problem}");
    let (status, _) =
        app.call(Method::GET, "/api/v1/calendar?from=0001-01-01T00:00:00Z", Some(&requester), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.call(Method::GET, "/api/v1/changes?limit=many&ci=x", Some(&requester), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn repeated_failed_sign_ins_get_429(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wrong = json!({ "email": "someone@test.endring.no", "password": "not the password" });
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, headers, _) =
            app.call_with(Method::POST, "/api/v1/auth/token", None, Some(wrong.clone()), &[]).await;
        statuses.push((status, headers.get("retry-after").is_some()));
    }
    assert_eq!(statuses[..5], [(StatusCode::UNAUTHORIZED, false); 5]);
    assert_eq!(statuses[5], (StatusCode::TOO_MANY_REQUESTS, true));
}

async fn requesters_and_managers_are_held_to_their_part(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("manager", &[Role::ChangeManager, Role::Implementer]).await;
    let requester = app.user("requester", &[]).await;
    let change = app.new_change().requested_by(&requester);
    let change = change.in_state(ChangeState::Assess).await.change;
    let path = format!("/api/v1/changes/{}/risk", change["id"]);
    let lower = json!({ "answers": { "users_affected": "none" } });
    let (status, _) = app.call(Method::PUT, &path, Some(&requester), Some(lower.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "under assessment only the change manager adjusts the risk");
    let (status, _) = app.call(Method::PUT, &path, Some(&manager), Some(lower.clone())).await;
    assert_eq!(status, StatusCode::OK);

    let theirs = app.new_change().requested_by(&requester).implemented_by(&manager);
    let theirs = theirs.in_state(ChangeState::Assess).await.change;
    let path = format!("/api/v1/changes/{}/risk", theirs["id"]);
    let (status, _) = app.call(Method::PUT, &path, Some(&manager), Some(lower)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor the risk of a change they are to implement");
    let (status, _) = app.act(&theirs, "assess", &manager, json!({ "outcome": "authorize" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor assess it");

    let own = app.new_change().requested_by(&manager).implemented_by(&manager);
    let own = own.in_state(ChangeState::Assess).await.change;
    let (status, _) = app.act(&own, "assess", &manager, json!({ "outcome": "authorize" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a change manager does not assess their own request");
}

async fn if_match_star_and_empty_action_bodies_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let change = app.draft(&requester, &app.admin, ci, 10).await;
    let path = format!("/api/v1/changes/{}", change["id"]);
    let (status, _, edited) = app
        .call_with(
            Method::PATCH,
            &path,
            Some(&requester),
            Some(json!({ "title": "Any version" })),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!((status, edited["title"].as_str()), (StatusCode::OK, Some("Any version")));
    app.answer_risk(&change, &requester, low_risk()).await;
    let response = app
        .client
        .post(format!("{}{path}/submit", app.address))
        .bearer_auth(&requester.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "submit needs no body");
    let response = app
        .client
        .post(format!("{}{path}/cancel", app.address))
        .bearer_auth(&requester.token)
        .header("content-type", "text/plain")
        .body("because")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn a_role_change_takes_effect_on_the_next_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("promoted", &[]).await;
    let body = json!({ "name": "Backup", "kind": "service", "criticality": 2, "owner_email": "a@b.no" });
    let (status, _) = app.post_status("/api/v1/cis", &user, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let ctx = app.ctx.clone();
    let email = user.email.clone();
    actix_web::rt::task::spawn_blocking(move || {
        endring::services::users::set_roles(&ctx, None, &email, [Role::Admin].into_iter().collect())
    })
    .await
    .unwrap()
    .unwrap();
    let (status, _) = app.post_status("/api/v1/cis", &user, body).await;
    assert_eq!(status, StatusCode::CREATED, "the same token now carries the new role");
    let me = app.get("/api/v1/me", &user).await;
    assert_eq!(me["roles"], json!(["requester", "admin"]));
}
