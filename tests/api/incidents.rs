//! Links to the service desk's records: who may name them and when, the list's
//! `incident=` filter, and caused incidents counting in the change failure rate and in the
//! next change's risk — on both backends.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{page, post_form, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    incidents_are_linked_by_who_may_when_they_may_and_found_by_their_id,
    a_caused_incident_counts_in_the_failure_rate_and_in_the_next_changes_risk,
    the_implementer_links_and_unlinks_a_caused_incident_on_the_change_page,
    the_same_link_sent_at_once_on_two_instances_is_one_link_and_no_error,
);

async fn incidents_are_linked_by_who_may_when_they_may_and_found_by_their_id(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, |c| c.incident_url = Some("https://desk.example/incident/{id}".into()))
            .await;
    let staged = app.change_in(ChangeState::Draft).await;
    let change = &staged.change;
    let path = format!("/api/v1/changes/{}/incidents", change["id"]);
    let raised = json!({ "incident": "inc-20431", "relation": "raised_from" });
    // The requester names what the draft was raised from; the id is kept upper-case, with
    // its link in the desk's tool.
    let (status, view) = app.call(Method::POST, &path, Some(&staged.requester), Some(raised.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["incidents"][0]["incident"], "INC-20431");
    assert_eq!(view["incidents"][0]["url"], "https://desk.example/incident/INC-20431");
    // Again: nothing new, no second event.
    app.call(Method::POST, &path, Some(&staged.requester), Some(raised)).await;
    assert_eq!(app.event_actions(change).await.iter().filter(|a| *a == "link_incident").count(), 1);
    // Someone else may not; a caused incident is not named on a draft; a bad id is refused.
    let other = app.user("olav", &[]).await;
    let (status, _) = app
        .call(
            Method::POST,
            &path,
            Some(&other),
            Some(json!({ "incident": "INC-1", "relation": "raised_from" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&staged.requester),
            Some(json!({ "incident": "INC-2", "relation": "caused" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the requester is not the implementer: {problem}");
    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&app.admin),
            Some(json!({ "incident": "INC-2", "relation": "caused" })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("from its implementation on"), "{problem}");
    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&staged.requester),
            Some(json!({ "incident": "INC 1<x>", "relation": "raised_from" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "incident");

    // Found by the id, in any case.
    let found = app.get("/api/v1/changes?incident=Inc-20431", &other).await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["ref"], change["ref"]);
    assert_eq!(app.get("/api/v1/changes?incident=INC-99999", &other).await["total"], 0);

    // Removed by who may; then found no more.
    let delete = format!("{path}/raised_from/inc-20431");
    let (status, view) = app.call(Method::DELETE, &delete, Some(&staged.requester), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["incidents"].as_array().unwrap().len(), 0);
    let (status, _) = app.call(Method::DELETE, &delete, Some(&staged.requester), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/changes?incident=INC-20431", &other).await["total"], 0);
    assert_eq!(app.event_actions(change).await.iter().filter(|a| *a == "unlink_incident").count(), 1);
}

async fn a_caused_incident_counts_in_the_failure_rate_and_in_the_next_changes_risk(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("nora", &[Role::Manager]).await;
    let staged = app.change_in(ChangeState::Review).await;
    let change = &staged.change;
    let summary = app.get("/api/v1/reports/summary", &manager).await;
    assert_eq!(summary["caused_incidents"], 0, "{summary}");
    assert_eq!(summary["change_failure_rate"], 0.0, "{summary}");
    // The implementer names the incident it caused, after the implementation.
    let path = format!("/api/v1/changes/{}/incidents", change["id"]);
    let caused = json!({ "incident": "INC-777", "relation": "caused" });
    let (status, view) = app.call(Method::POST, &path, Some(&staged.implementer), Some(caused)).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let summary = app.get("/api/v1/reports/summary", &manager).await;
    assert_eq!(summary["caused_incidents"], 1, "{summary}");
    assert_eq!(summary["change_failure_rate"], 1.0, "{summary}");
    assert_eq!(summary["failed_or_backed_out"], 0, "it closed as successful");

    // The next change on the same CI carries the history factor (and would not without).
    let ci = change["ci_ids"][0].as_i64().unwrap();
    let other_ci = app.ci("Unrelated", 3).await;
    let unrelated = app.new_change().on_ci(other_ci).in_state(ChangeState::Assess).await;
    let factors = unrelated.change["risk"]["factors"].as_array().unwrap().clone();
    assert!(!factors.iter().any(|f| f["key"] == "recent_failure"), "{factors:?}");
    let next = app.new_change().on_ci(ci).in_state(ChangeState::Assess).await;
    let factors = next.change["risk"]["factors"].as_array().unwrap().clone();
    assert!(
        factors.iter().any(|f| f["key"] == "recent_failure" && f["points"].as_u64().unwrap() > 0),
        "{factors:?}"
    );

    // The implementer may not take off a link the change manager recorded.
    let by_manager = json!({ "incident": "INC-779", "relation": "caused" });
    app.post(&path, &staged.manager, by_manager).await;
    let theirs = format!("{path}/caused/INC-779");
    let (status, _) = app.call(Method::DELETE, &theirs, Some(&staged.implementer), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        app.call(Method::DELETE, &format!("{path}/caused/INC-777"), Some(&staged.implementer), None).await;
    assert_eq!(status, StatusCode::OK, "their own link, they may");
    let (status, _) = app.call(Method::DELETE, &theirs, Some(&staged.manager), None).await;
    assert_eq!(status, StatusCode::OK, "a change manager may");

    // Through the review however long; closed, then until 90 days after.
    app.ctx.clock.advance(chrono::Duration::days(100));
    let during_review = json!({ "incident": "INC-780", "relation": "caused" });
    let (status, view) = app.call(Method::POST, &path, Some(&staged.implementer), Some(during_review)).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let (status, closed) =
        app.act(change, "review", &staged.manager, json!({ "review": "Godt gjennomført." })).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    app.ctx.clock.advance(chrono::Duration::days(91));
    let late = json!({ "incident": "INC-778", "relation": "caused" });
    let (status, problem) = app.call(Method::POST, &path, Some(&staged.implementer), Some(late)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("90 days"), "{problem}");
}

async fn the_implementer_links_and_unlinks_a_caused_incident_on_the_change_page(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, |c| c.incident_url = Some("https://desk.example/i/{id}".into())).await;
    let staged = app.change_in(ChangeState::Implement).await;
    let reference = staged.change["ref"].as_str().unwrap();
    let client = sign_in(&app, &staged.implementer).await;
    let (_, html) = page(&client, &app, &format!("/changes/{reference}")).await;
    assert!(html.contains("value=\"caused\""), "the implementer may name what it caused");
    assert!(!html.contains("value=\"raised_from\""), "not what it was raised from, now");
    let path = format!("/changes/{reference}/incidents");
    let (status, html) =
        post_form(&client, &app, &path, &[("incident", "INC 1"), ("relation", "caused")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"incident-error\"") && html.contains("value=\"INC 1\""),
        "why, and what was typed"
    );
    let (status, location) =
        post_form(&client, &app, &path, &[("incident", "inc-4711"), ("relation", "caused")]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, format!("/changes/{reference}#incidents").as_str())
    );
    let (_, html) = page(&client, &app, &format!("/changes/{reference}")).await;
    assert!(html.contains("INC-4711 er koblet til"), "the confirmation");
    assert!(html.contains("href=\"https://desk.example/i/INC-4711\""), "a link to the desk's tool");
    let remove = format!("/changes/{reference}/incidents/caused/INC-4711/remove");
    // The button sits on the change page, with the page's CSRF token.
    let token = crate::pages::csrf(&html);
    let response =
        client.post(format!("{}{remove}", app.address)).form(&[("csrf", token)]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client, &app, &format!("/changes/{reference}")).await;
    assert!(!html.contains("https://desk.example/i/INC-4711"), "gone");
}

async fn the_same_link_sent_at_once_on_two_instances_is_one_link_and_no_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.second_instance().await;
    let staged = app.change_in(ChangeState::Draft).await;
    let path = format!("/api/v1/changes/{}/incidents", staged.change["id"]);
    let body = json!({ "incident": "INC-5000", "relation": "raised_from" });
    let sends = (0..8).map(|n| {
        let (instance, path, body, user) =
            (if n % 2 == 0 { &app } else { &other }, &path, body.clone(), &staged.requester);
        async move { instance.call(Method::POST, path, Some(user), Some(body)).await.0 }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    let view = app.change(&staged.change).await;
    assert_eq!(view["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(app.event_actions(&staged.change).await.iter().filter(|a| *a == "link_incident").count(), 1);
}
