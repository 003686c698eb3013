//! Standard changes earned from history, and versioned templates: a run of successful
//! repeats is proposed with its evidence, accepted as a template or dismissed; a failure,
//! a caused incident, too few or too old repeats propose nothing; editing a template makes
//! a version new changes use while old ones keep theirs — on both backends.

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use chrono::Duration;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Changes on `ci` carried out and closed, each ending as its `closures` says, all by the
/// same team (one requester, implementer and CAB member, made once per test app: sign-ins
/// are limited per address).
async fn repeats(app: &TestApp, ci: i64, closures: &[&str]) -> Vec<crate::builder::Staged> {
    let requester = team_member(app, "team-requester", &[]).await;
    let implementer = team_member(app, "team-implementer", &[Role::Implementer]).await;
    let member = team_member(app, "team-member", &[Role::CabMember]).await;
    let mut done = Vec::new();
    for closure in closures {
        let notes = if *closure == "successful" { "" } else { "It did not go well." };
        let staged = app
            .new_change()
            .on_ci(ci)
            .requested_by(&requester)
            .implemented_by(&implementer)
            .voters(std::slice::from_ref(&member))
            .closed_as(closure, notes)
            .in_state(ChangeState::Closed)
            .await;
        done.push(staged);
    }
    done
}

/// The user `login` of this test app, made and signed in the first time it is asked for.
async fn team_member(app: &TestApp, login: &str, roles: &[Role]) -> User {
    static TEAMS: std::sync::Mutex<Vec<(String, User)>> = std::sync::Mutex::new(Vec::new());
    let key = format!("{}/{login}", app.address);
    if let Some((_, user)) = TEAMS.lock().unwrap().iter().find(|(k, _)| *k == key) {
        return user.clone();
    }
    let user = app.user(login, roles).await;
    TEAMS.lock().unwrap().push((key, user.clone()));
    user
}

async fn candidates(app: &TestApp, user: &User) -> Vec<Value> {
    app.get("/api/v1/templates/candidates", user).await.as_array().unwrap().clone()
}

on_both_backends!(five_successful_repeats_are_proposed_with_their_evidence_and_accepted_as_a_template);

async fn five_successful_repeats_are_proposed_with_their_evidence_and_accepted_as_a_template(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    let requester = app.user("randi", &[]).await;
    let archive = app.ci("Sak- og arkivsystem", 3).await;
    let mut series = repeats(&app, archive, &["successful"; 4]).await;
    assert!(candidates(&app, &manager).await.is_empty(), "four are too few");
    series.extend(repeats(&app, archive, &["successful"]).await);

    let found = candidates(&app, &manager).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let candidate = &found[0];
    let latest = series.last().unwrap().change["ref"].clone();
    assert_eq!(candidate["id"], latest, "named by its latest change");
    assert_eq!(candidate["cis"], json!(["Sak- og arkivsystem"]));
    assert_eq!(candidate["max_duration_minutes"], 120, "the changes' two-hour windows");
    let evidence: Vec<&Value> = candidate["evidence"].as_array().unwrap().iter().map(|e| &e["ref"]).collect();
    let refs: Vec<&Value> = series.iter().map(|s| &s.change["ref"]).collect();
    assert_eq!(evidence, refs, "every repeat, oldest first");
    let (status, _) = app.call(Method::GET, "/api/v1/templates/candidates", Some(&requester), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "for those who manage templates");

    // The page shows it to the change manager, with its evidence.
    let browser = crate::pages::sign_in(&app, &manager).await;
    let (_, html) = crate::pages::page(&browser, &app, "/admin/templates").await;
    assert!(html.contains("Kandidater fra historikken") && html.contains(latest.as_str().unwrap()), "{html}");

    // Accepted: a template of the latest change, not proposed again.
    let path = format!("/api/v1/templates/candidates/{}/accept", latest.as_str().unwrap());
    let (status, template) = app
        .call(
            Method::POST,
            &path,
            Some(&manager),
            Some(json!({ "name": "Månedlig oppgradering av arkivet" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    assert_eq!(template["version"], 1);
    assert_eq!(template["ci_ids"], json!([archive]));
    assert_eq!(template["implementation_plan"], "Run the installer");
    assert_eq!(template["max_duration_minutes"], 120);
    assert!(candidates(&app, &manager).await.is_empty());
    let (status, answer) = app.call(Method::POST, &path, Some(&manager), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "decided already: {answer}");
    // A sixth repeat of a decided series does not bring it back, nor names a candidate.
    let sixth = repeats(&app, archive, &["successful"]).await;
    assert!(candidates(&app, &manager).await.is_empty());
    let sixth = format!("/api/v1/templates/candidates/{}/accept", sixth[0].change["ref"].as_str().unwrap());
    let (status, _) = app.call(Method::POST, &sixth, Some(&manager), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "it names no candidate");

    // Versions: a standard change made now uses version 1 and keeps it after an edit of
    // the template; one made afterwards uses version 2.
    let id = template["id"].as_i64().unwrap();
    let start = app.ctx.clock.now() + Duration::days(3);
    let standard = json!({
        "title": "Månedlig oppgradering", "description": "", "justification": "Rutine",
        "template_id": id, "planned_start": start, "planned_end": start + Duration::hours(1),
        "implementer_id": series[0].implementer.id,
    });
    let before = app.post("/api/v1/changes", &requester, standard.clone()).await;
    assert_eq!(before["template_version"], 1, "{before}");
    let mut edited = template.clone();
    for field in ["id", "retired", "version"] {
        edited.as_object_mut().unwrap().remove(field);
    }
    edited["implementation_plan"] = json!("Run the installer with the new flags");
    edited["max_duration_minutes"] = json!(30);
    let saved =
        app.call(Method::PUT, &format!("/api/v1/templates/{id}"), Some(&manager), Some(edited.clone())).await;
    assert_eq!(saved.0, StatusCode::OK, "{}", saved.1);
    assert_eq!(saved.1["version"], 2);
    let again = app.call(Method::PUT, &format!("/api/v1/templates/{id}"), Some(&manager), Some(edited)).await;
    assert_eq!(again.1["version"], 2, "saving it unchanged makes no new version");
    let versions = app.get(&format!("/api/v1/templates/{id}/versions"), &manager).await;
    let plans: Vec<&Value> = versions.as_array().unwrap().iter().map(|v| &v["implementation_plan"]).collect();
    assert_eq!(plans, [&json!("Run the installer"), &json!("Run the installer with the new flags")]);
    assert_eq!(versions[1]["saved_by"], manager.id);
    let after = app.post("/api/v1/changes", &requester, standard).await;
    assert_eq!(after["template_version"], 2);
    assert_eq!(after["implementation_plan"], "Run the installer with the new flags");
    // The old change keeps version 1: its plans, and its hour where version 2 allows 30 minutes.
    let (status, submitted) = app.act(&before, "submit", &requester, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    assert_eq!(submitted["state"], "scheduled");
    assert_eq!(submitted["implementation_plan"], "Run the installer");
    let (status, refused) = app.act(&after, "submit", &requester, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an hour is more than version 2 allows: {refused}");
    // A copy of the version-1 change is a new change: made from version 2.
    let copy = app.post(&format!("/api/v1/changes/{}/copy", before["id"]), &requester, json!({})).await;
    assert_eq!(copy["template_version"], 2, "{copy}");
    assert_eq!(copy["implementation_plan"], "Run the installer with the new flags");
}

on_both_backends!(a_failure_a_caused_incident_or_repeats_older_than_a_year_propose_nothing);

async fn a_failure_a_caused_incident_or_repeats_older_than_a_year_propose_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("kari", &[Role::ChangeManager]).await;

    // One backed-out change in the series.
    let first = app.ci("Lønnssystem", 2).await;
    repeats(
        &app,
        first,
        &["successful", "successful", "backed_out", "successful", "successful", "successful"],
    )
    .await;
    assert!(candidates(&app, &manager).await.is_empty(), "one failure in the series");

    // One of them named the cause of an incident.
    let second = app.ci("Skoleportal", 3).await;
    let series = repeats(&app, second, &["successful"; 5]).await;
    assert_eq!(candidates(&app, &manager).await.len(), 1);
    let caused = json!({ "incident": "INC-20431", "relation": "caused" });
    app.post(&format!("/api/v1/changes/{}/incidents", series[1].change["id"]), &manager, caused).await;
    assert!(candidates(&app, &manager).await.is_empty(), "a caused incident");

    // Dismissed: not proposed again.
    let third = app.ci("E-post", 2).await;
    let series = repeats(&app, third, &["successful"; 5]).await;
    let latest = series.last().unwrap().change["ref"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(Method::POST, &format!("/api/v1/templates/candidates/{latest}/dismiss"), Some(&manager), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(candidates(&app, &manager).await.is_empty(), "dismissed");

    // Five successful repeats, but more than a year ago.
    let fourth = app.ci("Intranett", 3).await;
    repeats(&app, fourth, &["successful"; 5]).await;
    assert_eq!(candidates(&app, &manager).await.len(), 1);
    app.ctx.clock.advance(Duration::days(400));
    let manager = app.user("kari-next-year", &[Role::ChangeManager]).await;
    assert!(candidates(&app, &manager).await.is_empty(), "older than 12 months");
}

on_both_backends!(the_change_manager_accepts_a_candidate_on_the_templates_page);

async fn the_change_manager_accepts_a_candidate_on_the_templates_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    let ci = app.ci("Skoleportal", 3).await;
    let series = repeats(&app, ci, &["successful"; 5]).await;
    let latest = series.last().unwrap().change["ref"].as_str().unwrap().to_owned();
    // A template of the same name already exists: refused, the name typed kept.
    let taken = json!({ "name": "Taken", "implementation_plan": "a", "backout_plan": "b", "test_plan": "c", "max_duration_minutes": 30 });
    app.post("/api/v1/templates", &manager, taken).await;
    let browser = crate::pages::sign_in(&app, &manager).await;
    let path = format!("/admin/templates/candidates/{latest}/accept");
    let fields = [("candidate", latest.as_str()), ("candidate_name", "Taken"), ("candidate_max", "90")];
    let (status, html) =
        crate::pages::post_form_from(&browser, &app, "/admin/templates", &path, &fields).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(
        html.contains("role=\"alert\"") && html.contains("value=\"90\""),
        "why, and what was typed: {html}"
    );
    let fields = [
        ("candidate", latest.as_str()),
        ("candidate_name", "Skoleportal – oppdatering"),
        ("candidate_max", "90"),
    ];
    let (status, location) =
        crate::pages::post_form_from(&browser, &app, "/admin/templates", &path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = crate::pages::page(&browser, &app, "/admin/templates").await;
    assert!(html.contains("«Skoleportal – oppdatering» er en standardmal"), "{html}");
    assert!(!html.contains("Kandidater fra historikken"), "none left");
}
