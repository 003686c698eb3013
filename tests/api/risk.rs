//! Risk through the database (SPEC §4): the computed factors a change gets from its CIs,
//! the history of changes on them and the notice given; the change manager's override.

use crate::helpers::{low_risk, medium_risk, Backend, TestApp, User};
use crate::on_both_backends;
use chrono::{Datelike, Duration, TimeZone, Utc, Weekday};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    critical_cis_add_three_or_one_point_and_are_listed_as_factors,
    less_than_three_working_days_notice_adds_two_points,
    failed_and_backed_out_changes_need_notes_and_raise_the_risk_on_their_cis_for_180_days,
    a_change_manager_overrides_the_risk_level_only_with_a_reason_and_the_rule_follows,
);

/// The factors of a change as stored: `(key, points)`, in the order listed.
async fn factors(app: &TestApp, change: &Value) -> Vec<(String, u64)> {
    let stored = app.change(change).await;
    stored["risk"]["factors"]
        .as_array()
        .expect("risk factors")
        .iter()
        .map(|f| (f["key"].as_str().unwrap().to_owned(), f["points"].as_u64().unwrap()))
        .collect()
}

/// The computed factors of a change (the answered questions left out).
async fn computed(app: &TestApp, change: &Value) -> Vec<(String, u64)> {
    let questions = ["users_affected", "tested", "backout", "complexity", "downtime"];
    factors(app, change).await.into_iter().filter(|(key, _)| !questions.contains(&key.as_str())).collect()
}

fn factor(key: &str, points: u64) -> (String, u64) {
    (key.to_owned(), points)
}

/// A draft on `cis` starting at `start`, its questionnaire answered with `answers`.
async fn answered(app: &TestApp, people: &(User, User), cis: &[i64], start: chrono::DateTime<Utc>) -> Value {
    let change = app.draft_of("normal", &people.0, &people.1, cis, start).await;
    app.answer_risk(&change, &people.0, low_risk()).await;
    change
}

async fn critical_cis_add_three_or_one_point_and_are_listed_as_factors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let people = (app.user("rita", &[]).await, app.user("ivar", &[Role::Implementer]).await);
    let payroll = app.ci("Payroll", 1).await;
    let website = app.ci("Website", 2).await;
    let printers = app.ci("Printers", 3).await;
    let kiosk = app.ci("Kiosk", 4).await;
    let start = app.ctx.clock.now() + Duration::days(14);
    let cases = [
        (vec![payroll], vec![factor("ci_criticality", 3)]),
        (vec![website], vec![factor("ci_criticality", 1)]),
        (vec![website, payroll], vec![factor("ci_criticality", 3)]),
        (vec![printers, kiosk], vec![]),
    ];
    for (cis, expected) in cases {
        let change = answered(&app, &people, &cis, start).await;
        assert_eq!(computed(&app, &change).await, expected, "CIs {cis:?}");
        let points: u64 = expected.iter().map(|(_, p)| p).sum();
        assert_eq!(app.change(&change).await["risk"]["score"].as_u64(), Some(points), "low answers weigh 0");
    }

    // Through submission to the CAB: medium answers (6), a criticality-1 CI (+3) and a
    // start today (+2) make 11, a high risk that needs three approvals.
    let soon = app.draft_of("normal", &people.0, &people.1, &[payroll], app.ctx.clock.now()).await;
    app.answer_risk(&soon, &people.0, medium_risk()).await;
    app.act(&soon, "submit", &people.0, json!({})).await;
    let (_, assessed) = app.act(&soon, "assess", &app.admin, json!({ "outcome": "authorize" })).await;
    assert_eq!(
        (assessed["risk"]["score"].as_u64(), assessed["risk"]["level"].as_str()),
        (Some(11), Some("high")),
        "{assessed}"
    );
    assert_eq!(assessed["approval"]["required"], 3);
    assert_eq!(computed(&app, &soon).await, [factor("ci_criticality", 3), factor("short_notice", 2)]);
}

/// The `n`th working day (Monday to Friday) after today in Oslo, at 12:00 there.
fn working_days_ahead(now: chrono::DateTime<Utc>, n: usize) -> chrono::DateTime<Utc> {
    let oslo = chrono_tz::Europe::Oslo;
    let mut day = now.with_timezone(&oslo).date_naive();
    let mut counted = 0;
    while counted < n {
        day = day.succ_opt().unwrap();
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            counted += 1;
        }
    }
    let noon = day.and_hms_opt(12, 0, 0).unwrap();
    oslo.from_local_datetime(&noon).unwrap().with_timezone(&Utc)
}

async fn less_than_three_working_days_notice_adds_two_points(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let people = (app.user("rita", &[]).await, app.user("ivar", &[Role::Implementer]).await);
    let ci = app.ci("Printers", 3).await;
    let now = app.ctx.clock.now();
    let two_days = answered(&app, &people, &[ci], working_days_ahead(now, 2)).await;
    let three_days = answered(&app, &people, &[ci], working_days_ahead(now, 3)).await;
    assert_eq!(computed(&app, &two_days).await, [factor("short_notice", 2)]);
    assert_eq!(computed(&app, &three_days).await, []);

    // The notice counts from submission, not from answering: submitted a day ahead, it is short.
    let late = answered(&app, &people, &[ci], now + Duration::days(10)).await;
    let timely = answered(&app, &people, &[ci], now + Duration::days(17)).await;
    assert_eq!(computed(&app, &late).await, []);
    app.ctx.clock.advance(Duration::days(9));
    for change in [&late, &timely] {
        let (status, submitted) = app.act(change, "submit", &people.0, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{submitted}");
    }
    assert_eq!(computed(&app, &late).await, [factor("short_notice", 2)]);
    assert_eq!(app.change(&late).await["risk"]["score"], 2);
    // Nor from a later reassessment: submitted eight days ahead, adjusted the day before, in time.
    app.ctx.clock.advance(Duration::days(7));
    let path = format!("/api/v1/changes/{}/risk", timely["id"]);
    let answers = json!({ "answers": { "downtime": "under_1h" } });
    let (status, adjusted) = app.call(reqwest::Method::PUT, &path, Some(&app.admin), Some(answers)).await;
    assert_eq!(status, StatusCode::OK, "{adjusted}");
    assert_eq!(computed(&app, &timely).await, []);
    assert_eq!(app.change(&timely).await["risk"]["score"], 2, "the adjusted answer alone");
}

async fn failed_and_backed_out_changes_need_notes_and_raise_the_risk_on_their_cis_for_180_days(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let failed = app.change_in(ChangeState::Implement).await;
    let people = (failed.requester.clone(), failed.implementer.clone());
    // A draft on the same CI, filed before the failure, is scored at its submission.
    let early = answered(&app, &people, &[failed.ci], app.ctx.clock.now() + Duration::days(60)).await;
    assert_eq!(computed(&app, &early).await, []);

    for code in ["failed", "backed_out", "successful_with_issues"] {
        let mut change = match code {
            "failed" => failed.clone(),
            _ => {
                app.new_change()
                    .requested_by(&people.0)
                    .implemented_by(&people.1)
                    .in_state(ChangeState::Implement)
                    .await
            }
        };
        let (status, problem) = app
            .act(
                &change.change,
                "complete",
                &change.implementer,
                json!({ "closure_code": code, "notes": " " }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{code} without notes: {problem}");
        assert_eq!(problem["errors"][0]["field"], "notes");
        assert_eq!(app.change(&change.change).await["state"], "implement", "nothing changed");
        let notes = format!("{code}: the database migration timed out");
        let (status, completed) = app
            .act(
                &change.change,
                "complete",
                &change.implementer,
                json!({ "closure_code": code, "notes": notes }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{completed}");
        change.change = completed;
        change.reach(&app, ChangeState::Closed).await;
        let stored = app.change(&change.change).await;
        assert_eq!(
            (stored["state"].as_str(), stored["closure_code"].as_str(), stored["closure_notes"].as_str()),
            (Some("closed"), Some(code), Some(notes.as_str()))
        );
        let next = answered(&app, &people, &[change.ci], app.ctx.clock.now() + Duration::days(10)).await;
        let expected = match code {
            "successful_with_issues" => vec![],
            _ => vec![factor("recent_failure", 2)],
        };
        assert_eq!(computed(&app, &next).await, expected, "a change after one that closed {code}");
    }
    let (status, _) = app.act(&early, "submit", &people.0, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(computed(&app, &early).await, [factor("recent_failure", 2)], "scored when submitted");

    // The history counts for 180 days after the failed change ended.
    let ended: chrono::DateTime<Utc> =
        serde_json::from_value(app.change(&failed.change).await["actual_end"].clone()).unwrap();
    app.ctx.clock.advance(ended + Duration::days(179) - app.ctx.clock.now());
    let within = answered(&app, &people, &[failed.ci], app.ctx.clock.now() + Duration::days(10)).await;
    assert_eq!(computed(&app, &within).await, [factor("recent_failure", 2)]);
    app.ctx.clock.advance(Duration::days(2));
    let after = answered(&app, &people, &[failed.ci], app.ctx.clock.now() + Duration::days(10)).await;
    assert_eq!(computed(&app, &after).await, []);
}

async fn a_change_manager_overrides_the_risk_level_only_with_a_reason_and_the_rule_follows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut staged = app.change_in(ChangeState::Assess).await;
    let change = staged.change.clone();
    assert_eq!(change["risk"]["level"], "low");
    let before = app.change(&change).await["version"].clone();
    for reason in [json!(null), json!("  ")] {
        let body = json!({ "outcome": "authorize", "risk_level": "very_high", "reason": reason });
        let (status, problem) = app.act(&change, "assess", &staged.manager, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "reason");
    }
    let unchanged = app.change(&change).await;
    assert_eq!(
        (unchanged["state"].as_str(), unchanged["risk"]["level"].as_str(), &unchanged["version"]),
        (Some("assess"), Some("low"), &before)
    );

    let reason = "Payroll runs the same night";
    let body = json!({ "outcome": "authorize", "risk_level": "very_high", "reason": reason });
    let (status, assessed) = app.act(&change, "assess", &staged.manager, body).await;
    assert_eq!(status, StatusCode::OK, "{assessed}");
    let stored = app.change(&change).await;
    assert_eq!(stored["state"], "authorize");
    assert_eq!(
        (stored["risk"]["level"].as_str(), stored["risk"]["override_reason"].as_str()),
        (Some("very_high"), Some(reason))
    );
    assert_eq!(stored["risk"]["score"], 0, "the score stays what the answers gave");
    assert_eq!(
        (stored["approval"]["required"].as_u64(), &stored["approval"]["manager_needed"]),
        (Some(4), &json!(true))
    );
    let events = app.get(&format!("/api/v1/changes/{}/events", change["id"]), &app.admin).await;
    let assess =
        events.as_array().unwrap().iter().find(|e| e["action"] == "assess").expect("an assess event");
    assert_eq!(
        assess["payload"]["risk_override"],
        json!({ "from": "low", "to": "very_high", "reason": reason })
    );

    // The very_high rule now decides: the change manager and three CAB members.
    staged.change = stored;
    staged.reach(&app, ChangeState::Scheduled).await;
    let votes = staged.change["approval"]["votes"].as_array().unwrap().len();
    assert_eq!((votes, staged.voters.len()), (4, 3), "four approvals, one of them the change manager's");
}
