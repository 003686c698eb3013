//! The CAB's rules end to end (SPEC §5): how many approvals, whose, and what a rejection
//! does with and without veto.

use crate::helpers::{high_risk, medium_risk, very_high_risk, Backend, TestApp, User};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_high_risk_change_needs_three_approvals_one_of_them_a_change_managers,
    a_very_high_risk_change_needs_four_approvals_one_of_them_a_change_managers,
    without_veto_a_rejection_does_not_end_the_change,
);

async fn members(app: &TestApp, count: usize) -> Vec<User> {
    let mut members = Vec::new();
    for n in 1..=count {
        members.push(app.user(&format!("member{n}"), &[Role::CabMember]).await);
    }
    members
}

/// Casts `decision` by each voter in turn; returns the state after each vote.
async fn votes(app: &TestApp, change: &Value, voters: &[&User], decision: &str) -> Vec<String> {
    let mut states = Vec::new();
    for voter in voters {
        let body = json!({ "decision": decision, "comment": "Considered" });
        let (status, after) = app.act(change, "votes", voter, body).await;
        assert_eq!(status, StatusCode::OK, "{after}");
        states.push(after["state"].as_str().unwrap().to_owned());
    }
    states
}

/// The rule the decision was taken under, as the trail records it.
async fn decided_rule(app: &TestApp, change: &Value) -> Value {
    let events = app.get(&format!("/api/v1/changes/{}/events", change["id"]), &app.admin).await;
    let decide = events.as_array().unwrap().iter().find(|e| e["action"] == "decide").expect("a decide event");
    decide["payload"]["rule"].clone()
}

/// Two changes of `answers`: CAB members alone do not approve the first however many
/// they are; with the change manager, `required` approvals approve the second.
async fn the_rule_holds(app: &TestApp, answers: Value, level: &str, required: usize) {
    let cab = members(app, required).await;
    let without = app.new_change().risk(answers.clone()).in_state(ChangeState::Authorize).await;
    assert_eq!(without.change["risk"]["level"], level);
    assert_eq!(without.change["approval"]["required"], required);
    let all: Vec<&User> = cab.iter().collect();
    let states = votes(app, &without.change, &all, "approve").await;
    assert!(states.iter().all(|s| s == "authorize"), "{required} CAB members are not enough: {states:?}");
    let waiting = app.change(&without.change).await;
    assert_eq!(
        (waiting["approval"]["approvals"].as_u64(), &waiting["approval"]["manager_needed"]),
        (Some(required as u64), &json!(true))
    );
    assert_eq!(votes(app, &without.change, &[&without.manager], "approve").await, ["scheduled"]);
    assert_eq!(
        decided_rule(app, &without.change).await,
        json!({ "approvals": required, "manager_needed": true })
    );

    let with = app.new_change().risk(answers).in_state(ChangeState::Authorize).await;
    let mut voters = vec![&with.manager];
    voters.extend(&cab[..required - 1]);
    let states = votes(app, &with.change, &voters, "approve").await;
    let mut expected = vec!["authorize"; required - 1];
    expected.push("scheduled");
    assert_eq!(states, expected, "the change manager and {} CAB members", required - 1);
}

async fn a_high_risk_change_needs_three_approvals_one_of_them_a_change_managers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    the_rule_holds(&app, high_risk(), "high", 3).await;
}

async fn a_very_high_risk_change_needs_four_approvals_one_of_them_a_change_managers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    the_rule_holds(&app, very_high_risk(), "very_high", 4).await;
}

async fn without_veto_a_rejection_does_not_end_the_change(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.approval.veto = false).await;
    let cab = members(&app, 3).await;
    let approved = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    assert_eq!(votes(&app, &approved.change, &[&cab[0]], "reject").await, ["authorize"]);
    assert_eq!(
        votes(&app, &approved.change, &[&cab[1], &cab[2]], "approve").await,
        ["authorize", "scheduled"]
    );
    let decisions: Vec<Value> = app.change(&approved.change).await["approval"]["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["decision"].clone())
        .collect();
    assert_eq!(
        decisions,
        [json!("reject"), json!("approve"), json!("approve")],
        "the rejection stays on record"
    );

    // Rejected once as many reject as the rule needs approvals (two for medium risk).
    let rejected = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let states = votes(&app, &rejected.change, &[&cab[0], &cab[1]], "reject").await;
    assert_eq!(states, ["authorize", "rejected"]);
}
