//! Concurrent actions on one change resolve to one consistent result, also across two
//! server instances sharing one database.

use crate::helpers::{medium_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    simultaneous_votes_on_two_instances_give_exactly_one_decision,
    simultaneous_edits_with_one_version_let_exactly_one_through,
);

async fn simultaneous_votes_on_two_instances_give_exactly_one_decision(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = first.second_instance().await;
    let requester = first.user("requester", &[]).await;
    let implementer = first.user("implementer", &[Role::Implementer]).await;
    let members = [
        first.user("m1", &[Role::CabMember]).await,
        first.user("m2", &[Role::CabMember]).await,
        first.user("m3", &[Role::CabMember]).await,
    ];
    let ci = first.ci("Archive", 3).await;
    // Several rounds of the race make an interleaving bug likely to show.
    for round in 0..4 {
        let change = first
            .new_change()
            .risk(medium_risk())
            .requested_by(&requester)
            .implemented_by(&implementer)
            .on_ci(ci)
            .starting_in(chrono::Duration::days(10 + round))
            .in_state(ChangeState::Authorize)
            .await
            .change;
        // Medium risk needs two approvals: three voters race for it on two instances.
        let vote = json!({ "decision": "approve" });
        let (a, b, c) = tokio::join!(
            first.act(&change, "votes", &members[0], vote.clone()),
            second.act(&change, "votes", &members[1], vote.clone()),
            second.act(&change, "votes", &members[2], vote.clone()),
        );
        let statuses = [a.0, b.0, c.0];
        // The vote that arrives after the decision finds the change scheduled: 409.
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 2, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 1, "{statuses:?}");
        let current = first.change(&change).await;
        assert_eq!(current["state"], "scheduled");
        assert_eq!(current["approval"]["votes"].as_array().unwrap().len(), 2);
        let actions = first.event_actions(&change).await;
        assert_eq!(actions.iter().filter(|a| *a == "decide").count(), 1, "{actions:?}");
        let approved = first.recipients(&change, "approved").await.len();
        let others = first.recipients(&change, "decided").await.len()
            + first.recipients(&change, "scheduled").await.len();
        assert_eq!((approved, others), (2, 0), "one email each (requester, implementer)");
    }
    assert!(matches!(first.verify_audit().await, endring::services::audit::Verification::Intact { .. }));
}

async fn simultaneous_edits_with_one_version_let_exactly_one_through(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = first.second_instance().await;
    let requester = first.user("requester", &[]).await;
    let ci = first.ci("Archive", 3).await;
    let change = first.draft(&requester, &first.admin, ci, 10).await;
    let path = format!("/api/v1/changes/{}", change["id"]);
    let edit = |app: &'static TestApp, title: &'static str| {
        let path = path.clone();
        let requester = requester.clone();
        async move {
            app.call_with(
                Method::PATCH,
                &path,
                Some(&requester),
                Some(json!({ "title": title })),
                &[("If-Match", "\"1\"")],
            )
            .await
        }
    };
    let (first, second): (&'static TestApp, &'static TestApp) =
        (Box::leak(Box::new(first)), Box::leak(Box::new(second)));
    let (a, b) = tokio::join!(edit(first, "From A"), edit(second, "From B"));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let winner = if a.0 == StatusCode::OK { "From A" } else { "From B" };
    let current = first.change(&change).await;
    assert_eq!((current["title"].as_str(), current["version"].as_i64()), (Some(winner), Some(2)));
}
