//! Whole journeys of a change: normal, emergency and standard, return and veto.

use crate::helpers::{low_risk, medium_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use endring::services::audit::Verification;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    a_normal_change_goes_from_draft_to_closed,
    an_emergency_change_skips_assessment_needs_the_ecab_may_start_early_and_is_reviewed,
    a_standard_change_skips_the_cab_and_closes_when_successful,
    returning_a_change_starts_an_empty_voting_round,
    one_rejection_vetoes_a_change,
    a_clash_is_found_behind_hundreds_of_windows_that_touch_nothing_of_the_change,
    a_window_longer_than_a_day_that_began_days_before_still_clashes_and_is_on_the_calendar,
    a_booked_window_on_a_ci_clashes_where_its_change_is_now_whoever_moved_it,
);

/// The changes `draft` clashes with on a CI.
async fn clashes(app: &TestApp, draft: &serde_json::Value) -> Vec<i64> {
    let conflicts = app.change(draft).await["conflicts"].clone();
    conflicts
        .as_array()
        .expect("conflicts")
        .iter()
        .filter(|c| c["kind"] == "shared_ci")
        .map(|c| c["change_id"].as_i64().unwrap())
        .collect()
}

/// The windows booked on a CI are read from copies beside the change's CIs
/// (`change_cis`, kept by the triggers of migration 2026-12-02-000032). Whatever writes
/// the change (the services, an import, SQL by hand), a clash follows its window, its
/// state and its CIs: found where it is now, not where it was.
async fn a_booked_window_on_a_ci_clashes_where_its_change_is_now_whoever_moved_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let ci = app.ci("Archive", 3).await;
    let elsewhere = app.ci("Printers", 4).await;
    let start = app.ctx.clock.now() + chrono::Duration::days(10);
    let booked = app
        .new_change()
        .on_ci(ci)
        .starting_at(start + chrono::Duration::minutes(30))
        .in_state(ChangeState::Scheduled)
        .await;
    let booked_id = booked.change["id"].as_i64().unwrap();
    let draft = app.draft_of("normal", &requester, &implementer, &[ci], start).await;
    assert_eq!(clashes(&app, &draft).await, vec![booked_id], "scheduled through the services");

    // Moved a day on, by hand: no clash; moved back: the clash again.
    let at = |t: chrono::DateTime<chrono::Utc>| t.naive_utc().format("'%Y-%m-%d %H:%M:%S'").to_string();
    let move_to = |from: chrono::DateTime<chrono::Utc>| {
        format!(
            "UPDATE changes SET planned_start = {}, planned_end = {} WHERE id = {booked_id}",
            at(from),
            at(from + chrono::Duration::hours(2))
        )
    };
    app.db.execute(&move_to(start + chrono::Duration::days(1)));
    assert_eq!(clashes(&app, &draft).await, Vec::<i64>::new(), "moved away");
    app.db.execute(&move_to(start + chrono::Duration::minutes(30)));
    assert_eq!(clashes(&app, &draft).await, vec![booked_id], "moved back");
    // Ending before the draft begins, then (its end alone moved) an hour into it.
    app.db.execute(&move_to(start - chrono::Duration::hours(3)));
    assert_eq!(clashes(&app, &draft).await, Vec::<i64>::new(), "over before");
    app.db.execute(&format!(
        "UPDATE changes SET planned_end = {} WHERE id = {booked_id}",
        at(start + chrono::Duration::hours(1))
    ));
    assert_eq!(clashes(&app, &draft).await, vec![booked_id], "its end moved alone");

    // On another CI only, then on both again.
    app.db.execute(&format!("DELETE FROM change_cis WHERE change_id = {booked_id}"));
    app.db.execute(&format!("INSERT INTO change_cis (change_id, ci_id) VALUES ({booked_id}, {elsewhere})"));
    assert_eq!(clashes(&app, &draft).await, Vec::<i64>::new(), "on another CI");
    app.db.execute(&format!("INSERT INTO change_cis (change_id, ci_id) VALUES ({booked_id}, {ci})"));
    assert_eq!(clashes(&app, &draft).await, vec![booked_id], "linked to the CI again");
    // On both: the clash names the one CI the two share.
    let conflicts = app.change(&draft).await["conflicts"].clone();
    let shared: Vec<&serde_json::Value> =
        conflicts.as_array().unwrap().iter().filter(|c| c["kind"] == "shared_ci").collect();
    assert_eq!(shared[0]["ci_ids"], json!([ci]), "{conflicts}");

    // Every state: the window is held (and clashes) exactly in the states that hold one.
    for state in ChangeState::ALL {
        app.db.execute(&format!("UPDATE changes SET state = '{}' WHERE id = {booked_id}", state.as_str()));
        let held = app.db.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM change_cis WHERE change_id = {booked_id} AND holds"
        ));
        assert_eq!(held, if state.holds_window() { 2 } else { 0 }, "{state:?}");
        let expected = if state.holds_window() { vec![booked_id] } else { Vec::new() };
        assert_eq!(clashes(&app, &draft).await, expected, "{state:?}");
    }
}

/// A window may last up to `MAX_WINDOW_DAYS`: what overlaps a period is looked for that
/// far back (`db::changes::overlapping`). Windows that began days before, or just over a
/// day before, clash and are on the calendar; one that ended before the period is not.
async fn a_window_longer_than_a_day_that_began_days_before_still_clashes_and_is_on_the_calendar(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let other = app.user("other", &[Role::Implementer]).await;
    let ci = app.ci("Datasenter", 2).await;
    let elsewhere = app.ci("Skrivere", 4).await;
    let start = app.ctx.clock.now() + chrono::Duration::days(10);
    let at = |t: chrono::DateTime<chrono::Utc>| t.naive_utc().format("'%Y-%m-%d %H:%M:%S'").to_string();
    let now = at(app.ctx.clock.now());
    let minutes = chrono::Duration::minutes;
    // (title, implementer, CI, began, ended): on the CI for five days; by the implementer
    // for just over a day, elsewhere; on the CI, a day long, over a minute before.
    let windows = [
        ("Flytting", other.id, ci, start - chrono::Duration::days(4), start + chrono::Duration::days(1)),
        ("Oppgradering", implementer.id, elsewhere, start - minutes(25 * 60 + 15), start + minutes(15)),
        ("Ferdig", other.id, ci, start - minutes(25 * 60), start - minutes(1)),
    ];
    for (title, who, on, began, ended) in &windows {
        app.db.execute(&format!(
            "INSERT INTO changes (title, title_search, description, justification, change_type, state, requester_id, \
             implementer_id, planned_start, planned_end, implementation_plan, backout_plan, test_plan, risk_factors, \
             version, created_at, updated_at) VALUES ('{title}', '{}', 'd', 'j', 'normal', 'scheduled', {}, {who}, {}, {}, \
             'p', 'b', 't', '[]', 1, {now}, {now})",
            title.to_lowercase(),
            requester.id,
            at(*began),
            at(*ended),
        ));
        app.db.execute(&format!(
            "INSERT INTO change_cis (change_id, ci_id) SELECT id, {on} FROM changes WHERE title = '{title}'"
        ));
    }
    let id_of = |title: &str| {
        app.db.count(&format!("SELECT CAST(id AS BIGINT) AS n FROM changes WHERE title = '{title}'"))
    };

    let draft = app.draft_of("normal", &requester, &implementer, &[ci], start).await;
    let conflicts = app.change(&draft).await["conflicts"].clone();
    let mut found: Vec<(&str, i64)> = conflicts
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| (c["kind"].as_str().unwrap_or_default(), c["change_id"].as_i64().unwrap_or_default()))
        .collect();
    found.sort();
    let mut expected = vec![("implementer_busy", id_of("Oppgradering")), ("shared_ci", id_of("Flytting"))];
    expected.sort();
    assert_eq!(found, expected, "{conflicts}");

    // The calendar of the draft's two hours shows both long windows, not the ended one.
    let period = format!(
        "from={}&to={}",
        start.format("%Y-%m-%dT%H:%M:%SZ"),
        (start + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let calendar = app.get(&format!("/api/v1/calendar?{period}"), &requester).await;
    let mut titles: Vec<&str> =
        calendar["changes"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    titles.sort();
    assert_eq!(titles, vec!["Flytting", "Oppgradering"], "{calendar}");
}

/// The conflicts of a change are looked for among the windows on its CIs and of its
/// implementer, not among every window of the month: a clash that comes after six
/// hundred unrelated windows (more than are read at once) is still found.
async fn a_clash_is_found_behind_hundreds_of_windows_that_touch_nothing_of_the_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let busy = app.user("busy", &[Role::Implementer]).await;
    let ci = app.ci("Archive", 3).await;
    let elsewhere = app.ci("Printers", 4).await;
    let start = app.ctx.clock.now() + chrono::Duration::days(10);
    let clash = app
        .new_change()
        .on_ci(ci)
        .starting_at(start + chrono::Duration::minutes(30))
        .in_state(ChangeState::Scheduled)
        .await;
    let at = |t: chrono::DateTime<chrono::Utc>| t.naive_utc().format("'%Y-%m-%d %H:%M:%S'").to_string();
    let now = at(app.ctx.clock.now());
    let rows: Vec<String> = (0..600)
        .map(|i| {
            format!(
                "('Unrelated {i}', 'unrelated {i}', 'd', 'j', 'normal', 'scheduled', {}, {}, {}, {}, 'p', 'b', 't', '[]', 1, {now}, {now})",
                requester.id,
                busy.id,
                at(start - chrono::Duration::minutes(601 - i)),
                at(start + chrono::Duration::hours(1)),
            )
        })
        .collect();
    app.db.execute(&format!(
        "INSERT INTO changes (title, title_search, description, justification, change_type, state, requester_id, \
         implementer_id, planned_start, planned_end, implementation_plan, backout_plan, test_plan, risk_factors, \
         version, created_at, updated_at) VALUES {}",
        rows.join(",")
    ));
    app.db.execute(&format!(
        "INSERT INTO change_cis (change_id, ci_id) SELECT id, {elsewhere} FROM changes WHERE title LIKE 'Unrelated %'"
    ));

    let draft = app.draft_of("normal", &requester, &implementer, &[ci], start).await;
    let conflicts = app.change(&draft).await["conflicts"].clone();
    let found: Vec<(&str, i64)> = conflicts
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| (c["kind"].as_str().unwrap_or_default(), c["change_id"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(found, vec![("shared_ci", clash.change["id"].as_i64().unwrap())], "{conflicts}");
}

async fn a_normal_change_goes_from_draft_to_closed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let manager = app.user("manager", &[Role::ChangeManager]).await;
    let member = app.user("member", &[Role::CabMember]).await;
    let ci = app.ci("Archive", 3).await;

    let change = app.draft(&requester, &implementer, ci, 3).await;
    assert_eq!(change["state"], "draft");
    assert_eq!(change["ref"], format!("CHG-{:06}", change["id"].as_i64().unwrap()));
    let risk = app.answer_risk(&change, &requester, low_risk()).await;
    assert_eq!(risk["level"], "low", "{risk}");

    let (status, submitted) = app.act(&change, "submit", &requester, json!({})).await;
    assert_eq!((status, submitted["state"].as_str()), (StatusCode::OK, Some("assess")));
    let (_, assessed) =
        app.act(&change, "assess", &manager, json!({ "outcome": "authorize", "comment": "fine" })).await;
    assert_eq!(assessed["state"], "authorize");
    assert_eq!(assessed["approval"]["required"], 1);
    assert_eq!(assessed["approval"]["manager_needed"], true);

    // A CAB member's approval is not enough for a low-risk change: a change manager's is needed.
    let (_, after_member) = app.act(&change, "votes", &member, json!({ "decision": "approve" })).await;
    assert_eq!(after_member["state"], "authorize");
    assert_eq!(after_member["approval"]["approvals"], 1);
    let (_, approved) =
        app.act(&change, "votes", &manager, json!({ "decision": "approve", "comment": "ok" })).await;
    assert_eq!(approved["state"], "scheduled");

    // Starting before the window opens is refused; once it opens, the implementer starts.
    let (status, early) = app.act(&change, "start", &implementer, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");
    app.ctx.clock.advance(chrono::Duration::days(3) + chrono::Duration::minutes(1));
    let (_, started) = app.act(&change, "start", &implementer, json!({})).await;
    assert_eq!(started["state"], "implement");
    assert!(started["actual_start"].is_string());
    let (_, completed) = app
        .act(&change, "complete", &implementer, json!({ "closure_code": "successful", "notes": "" }))
        .await;
    assert_eq!(completed["state"], "review");
    let (status, _) = app.act(&change, "review", &manager, json!({ "review": "  " })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, closed) = app.act(&change, "review", &manager, json!({ "review": "Went as planned." })).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["review"], "Went as planned.");

    let actions = app.event_actions(&change).await;
    assert_eq!(
        actions,
        ["create", "risk", "submit", "assess", "vote", "vote", "decide", "start", "complete", "review"]
    );
    let kinds: Vec<String> = app.notices(&change).await.into_iter().map(|(kind, _)| kind).collect();
    for kind in ["submitted", "authorize_request", "approved"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} notice in {kinds:?}");
    }
    // One event, one email per person: the approval that scheduled it is one notice.
    assert!(!kinds.iter().any(|k| k == "decided" || k == "scheduled"), "{kinds:?}");
    assert!(matches!(app.verify_audit().await, Verification::Intact { .. }));
}

async fn an_emergency_change_skips_assessment_needs_the_ecab_may_start_early_and_is_reviewed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let manager = app.user("manager", &[Role::ChangeManager]).await;
    let members = [app.user("m1", &[Role::CabMember]).await, app.user("m2", &[Role::CabMember]).await];
    let ci = app.ci("Firewall", 1).await;
    let draft = app.draft(&requester, &implementer, ci, 1).await;
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/changes/{}", draft["id"]),
            Some(&requester),
            Some(json!({ "type": "emergency" })),
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, _, change) = app
        .call_with(
            reqwest::Method::PATCH,
            &format!("/api/v1/changes/{}", draft["id"]),
            Some(&requester),
            Some(json!({ "type": "emergency" })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    app.answer_risk(&change, &requester, low_risk()).await;
    let (_, submitted) = app.act(&change, "submit", &requester, json!({})).await;
    assert_eq!(submitted["state"], "authorize", "emergency changes skip assessment");
    assert_eq!(submitted["approval"]["required"], 2);

    let (_, one) = app.act(&change, "votes", &members[0], json!({ "decision": "approve" })).await;
    let (_, two) = app.act(&change, "votes", &members[1], json!({ "decision": "approve" })).await;
    assert_eq!((one["state"].as_str(), two["state"].as_str()), (Some("authorize"), Some("authorize")));
    assert_eq!(two["approval"]["manager_needed"], true);
    let (_, approved) = app.act(&change, "votes", &manager, json!({ "decision": "approve" })).await;
    assert_eq!(approved["state"], "scheduled");
    let (status, started) = app.act(&change, "start", &implementer, json!({})).await;
    assert_eq!(
        (status, started["state"].as_str()),
        (StatusCode::OK, Some("implement")),
        "an emergency change starts before its window"
    );
    let time = |field: &str| -> chrono::DateTime<chrono::Utc> {
        serde_json::from_value(started[field].clone()).expect(field)
    };
    assert!(time("actual_start") < time("planned_start"), "{started}");

    // Even a successful emergency change is reviewed afterwards (SPEC §2).
    let (_, completed) =
        app.act(&change, "complete", &implementer, json!({ "closure_code": "successful" })).await;
    assert_eq!(completed["state"], "review");
    let (status, problem) = app.act(&change, "review", &manager, json!({ "review": "" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "review");
    let review = "Patched within the hour; the vendor's advisory is now on the watch list.";
    let (status, closed) = app.act(&change, "review", &manager, json!({ "review": review })).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let stored = app.change(&change).await;
    assert_eq!((stored["state"].as_str(), stored["review"].as_str()), (Some("closed"), Some(review)));
    assert_eq!(
        app.event_actions(&change).await,
        ["create", "edit", "risk", "submit", "vote", "vote", "vote", "decide", "start", "complete", "review"],
        "no assessment; the ECAB's three votes, the last deciding"
    );
}

async fn a_standard_change_skips_the_cab_and_closes_when_successful(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[Role::Implementer]).await;
    let manager = app.user("manager", &[Role::ChangeManager]).await;
    let ci = app.ci("Printers", 4).await;
    let template = app
        .post("/api/v1/templates", &manager, json!({
            "name": "Restart print spooler", "implementation_plan": "Restart the service", "backout_plan": "None needed",
            "test_plan": "Print a test page", "max_duration_minutes": 30, "ci_ids": [ci],
        }))
        .await;
    let start = app.ctx.clock.now() + chrono::Duration::hours(1);
    let new = |minutes: i64| {
        json!({
            "title": "Restart spooler", "template_id": template["id"], "implementer_id": requester.id,
            "planned_start": start, "planned_end": start + chrono::Duration::minutes(minutes),
        })
    };
    let too_long = app.post("/api/v1/changes", &requester, new(90)).await;
    assert_eq!(too_long["type"], "standard");
    assert_eq!(too_long["ci_ids"], json!([ci]), "the template's CIs are taken");
    let (status, refused) = app.act(&too_long, "submit", &requester, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["errors"][0]["field"], "planned_end");

    let change = app.post("/api/v1/changes", &requester, new(20)).await;
    let (status, scheduled) = app.act(&change, "submit", &requester, json!({})).await;
    assert_eq!((status, scheduled["state"].as_str()), (StatusCode::OK, Some("scheduled")), "{scheduled}");

    // A second one in the same window on the same CI conflicts; a change manager may force it.
    let clash = app.post("/api/v1/changes", &requester, new(20)).await;
    let (status, conflict) = app.act(&clash, "submit", &requester, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let kinds: Vec<&str> =
        conflict["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"shared_ci") && kinds.contains(&"implementer_busy"), "{conflict}");
    assert_eq!(app.change(&clash).await["state"], "draft", "nothing changed");

    app.ctx.clock.advance(chrono::Duration::hours(1));
    app.act(&change, "start", &requester, json!({})).await;
    let (_, closed) = app.act(&change, "complete", &requester, json!({ "closure_code": "successful" })).await;
    assert_eq!(closed["state"], "closed", "a successful standard change needs no review");
}

async fn returning_a_change_starts_an_empty_voting_round(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("member", &[Role::CabMember]).await;
    let staged = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let (change, manager) = (&staged.change, &staged.manager);
    let (_, voted) = app.act(change, "votes", &member, json!({ "decision": "approve" })).await;
    assert_eq!(voted["approval"]["approvals"], 1);

    let (status, _) = app.act(change, "return", manager, json!({ "comment": "" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "returning needs a comment");
    let (_, returned) =
        app.act(change, "return", manager, json!({ "comment": "Add the supplier's contact" })).await;
    assert_eq!(returned["state"], "draft");
    assert_eq!(returned["approval"]["round"], 2);
    assert_eq!(returned["approval"]["approvals"], 0);
    assert_eq!(
        returned["approval"]["votes"].as_array().unwrap().len(),
        1,
        "the first round's vote stays in history"
    );
    let decided = app.recipients(change, "decided").await;
    assert_eq!(decided.len(), 2, "requester and implementer hear of the return: {decided:?}");
}

async fn one_rejection_vetoes_a_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("member", &[Role::CabMember]).await;
    let staged = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let (change, manager) = (&staged.change, &staged.manager);
    app.act(change, "votes", manager, json!({ "decision": "approve" })).await;
    let (status, _) = app.act(change, "votes", &member, json!({ "decision": "reject" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a rejection needs a reason");
    let (_, rejected) = app
        .act(change, "votes", &member, json!({ "decision": "reject", "comment": "No backout tested" }))
        .await;
    assert_eq!(rejected["state"], "rejected");
    let (status, _) = app.act(change, "votes", manager, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "a decided change takes no more votes");
}
