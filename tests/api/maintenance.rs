//! Maintenance windows: managed per CI, a window outside them is a warning and a risk
//! point, never a refusal.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{page, post_form, sign_in};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    admins_and_change_managers_keep_the_maintenance_windows_of_cis,
    a_window_outside_maintenance_is_a_warning_and_a_risk_point_not_a_refusal,
    the_admin_page_adds_and_removes_maintenance_windows,
    free_slots_lie_in_the_maintenance_windows_around_what_is_booked_and_can_be_taken,
);

async fn admins_and_change_managers_keep_the_maintenance_windows_of_cis(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let manager = app.user("mona", &[Role::ChangeManager]).await;
    let ci = app.ci("Archive", 3).await;
    let tuesday = json!({ "ci_id": ci, "weekday": "Tuesday", "starts": "18:00", "ends": "22:00" });
    let (status, _) = app.post_status("/api/v1/maintenance-windows", &requester, tuesday.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let added = app.post("/api/v1/maintenance-windows", &manager, tuesday).await;
    assert_eq!(
        (added["weekday"].as_str(), added["starts"].as_str(), added["zone"].as_str()),
        (Some("tuesday"), Some("18:00"), Some("Europe/Oslo"))
    );
    for (field, body) in [
        ("weekday", json!({ "ci_id": ci, "weekday": "someday", "starts": "18:00", "ends": "22:00" })),
        ("starts", json!({ "ci_id": ci, "weekday": "monday", "starts": "6 pm", "ends": "22:00" })),
        (
            "zone",
            json!({ "ci_id": ci, "weekday": "monday", "starts": "18:00", "ends": "22:00", "zone": "Mars/Olympus" }),
        ),
        ("ci_id", json!({ "ci_id": 9999, "weekday": "monday", "starts": "18:00", "ends": "22:00" })),
    ] {
        let (status, problem) = app.post_status("/api/v1/maintenance-windows", &manager, body).await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field))
        );
    }
    let listed = app.get("/api/v1/maintenance-windows", &requester).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "everyone may read them");
    let path = format!("/api/v1/maintenance-windows/{}", added["id"]);
    let (status, _) = app.call(Method::DELETE, &path, Some(&manager), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::DELETE, &path, Some(&manager), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The next `weekday` at `h:m` in Oslo, at least `after` from `now`.
fn next(now: DateTime<Utc>, weekday: Weekday, h: u32, m: u32, after: Duration) -> DateTime<Utc> {
    let oslo = chrono_tz::Europe::Oslo;
    let mut day = (now + after).with_timezone(&oslo).date_naive();
    while day.weekday() != weekday {
        day = day.succ_opt().unwrap();
    }
    oslo.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
        .earliest()
        .unwrap()
        .to_utc()
}

fn kinds(change: &Value) -> Vec<String> {
    change["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap().to_owned()).collect()
}

fn factors(change: &Value) -> Vec<String> {
    change["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_window_outside_maintenance_is_a_warning_and_a_risk_point_not_a_refusal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ci = app.ci("Archive", 3).await;
    app.post(
        "/api/v1/maintenance-windows",
        &app.admin,
        json!({ "ci_id": ci, "weekday": "tuesday", "starts": "18:00", "ends": "22:00" }),
    )
    .await;
    let now = app.ctx.clock.now();
    let inside = next(now, Weekday::Tue, 19, 0, Duration::days(10));
    let outside = next(now, Weekday::Wed, 19, 0, Duration::days(10));

    let good = app.new_change().on_ci(ci).starting_at(inside).in_state(ChangeState::Assess).await.change;
    let good = app.change(&good).await;
    assert!(!kinds(&good).contains(&"outside_maintenance".to_owned()), "{}", good["conflicts"]);
    assert!(!factors(&good).contains(&"outside_maintenance".to_owned()));

    let staged = app.new_change().on_ci(ci).starting_at(outside).in_state(ChangeState::Assess).await;
    let bad = app.change(&staged.change).await;
    let warning = bad["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "outside_maintenance")
        .expect("the warning");
    assert_eq!((&warning["ci_ids"], warning["title"].as_str()), (&json!([ci]), Some("Archive")), "which CI");
    assert!(factors(&bad).contains(&"outside_maintenance".to_owned()), "{}", bad["risk"]);
    assert_eq!(bad["risk"]["score"].as_i64().unwrap(), good["risk"]["score"].as_i64().unwrap() + 1);

    // Scheduled inside, then moved outside: a warning only, so the move goes through.
    let scheduled = app
        .new_change()
        .on_ci(ci)
        .starting_at(inside + Duration::days(7))
        .in_state(ChangeState::Scheduled)
        .await;
    let moved = json!({ "planned_start": outside + Duration::days(7), "planned_end": outside + Duration::days(7) + Duration::hours(1) });
    let (status, body) = app.act(&scheduled.change, "reschedule", &app.admin, moved).await;
    assert_eq!(status, StatusCode::OK, "a maintenance warning never refuses: {body}");
    assert!(kinds(&body).contains(&"outside_maintenance".to_owned()));
}

async fn the_admin_page_adds_and_removes_maintenance_windows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ci = app.ci("Archive", 3).await;
    let manager = app.user("mona", &[Role::ChangeManager]).await;
    let client = sign_in(&app, &manager).await;
    let (status, _) = page(&client, &app, "/admin/maintenance").await;
    assert_eq!(status, StatusCode::OK, "change managers keep maintenance windows");
    let ci_text = ci.to_string();
    let fields =
        [("ci_id", ci_text.as_str()), ("weekday", "saturday"), ("starts", "22:00"), ("ends", "04:00")];
    let (status, location) = post_form(&client, &app, "/admin/maintenance", &fields).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/maintenance"));
    let (_, html) = page(&client, &app, "/admin/maintenance").await;
    assert!(html.contains("22:00") && html.contains("04:00") && html.contains("Archive"));
    let bad = [("ci_id", ci_text.as_str()), ("weekday", "saturday"), ("starts", "late"), ("ends", "04:00")];
    let (status, html) = post_form(&client, &app, "/admin/maintenance", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"late\""), "what was typed is kept");
    let member = app.user("cato", &[Role::CabMember]).await;
    let (status, _) = page(&sign_in(&app, &member).await, &app, "/admin/maintenance").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn free_slots_lie_in_the_maintenance_windows_around_what_is_booked_and_can_be_taken(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ci = app.ci("Archive", 3).await;
    app.post(
        "/api/v1/maintenance-windows",
        &app.admin,
        json!({ "ci_id": ci, "weekday": "tuesday", "starts": "18:00", "ends": "22:00" }),
    )
    .await;
    let now = app.ctx.clock.now();
    let first_tuesday = next(now, Weekday::Tue, 18, 0, Duration::days(10));
    // Booked: the first Tuesday evening's first hour.
    let booked = app.new_change().on_ci(ci).starting_at(first_tuesday).in_state(ChangeState::Scheduled).await;
    assert_eq!(booked.change["planned_start"], json!(first_tuesday));
    let moving = app
        .new_change()
        .on_ci(ci)
        .starting_at(first_tuesday + Duration::days(1))
        .in_state(ChangeState::Scheduled)
        .await;
    let path = format!(
        "/api/v1/changes/{}/slots?count=3&after={}",
        moving.change["id"],
        (first_tuesday - Duration::days(1)).to_rfc3339()
    );
    let slots = app.get(&path.replace('+', "%2B"), &app.admin).await;
    let starts: Vec<DateTime<Utc>> = slots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_value(s["planned_start"].clone()).unwrap())
        .collect();
    // Both changes last two hours: 20:00–22:00 is all that is left of the first evening;
    // then the next Tuesday's from 18:00, a quarter of an hour apart.
    let second_tuesday = next(first_tuesday + Duration::days(1), Weekday::Tue, 18, 0, Duration::zero());
    let expected =
        [first_tuesday + Duration::hours(2), second_tuesday, second_tuesday + Duration::minutes(15)];
    assert_eq!(starts, expected);
    for start in &starts {
        let local = start.with_timezone(&chrono_tz::Europe::Oslo);
        assert_eq!(local.weekday(), Weekday::Tue);
    }
    // The change page offers them; taking one moves the change there.
    let client = sign_in(&app, &app.admin).await;
    let change_path = format!("/changes/{}", moving.change["ref"].as_str().unwrap());
    let (_, html) = page(&client, &app, &change_path).await;
    assert!(html.contains("form class=\"slot\""), "the slots are offered");
    let first = &slots[0];
    let start: DateTime<Utc> = serde_json::from_value(first["planned_start"].clone()).unwrap();
    let end: DateTime<Utc> = serde_json::from_value(first["planned_end"].clone()).unwrap();
    let local =
        |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::Oslo).format("%Y-%m-%dT%H:%M").to_string();
    let form =
        [("csrf", crate::pages::csrf(&html)), ("planned_start", local(start)), ("planned_end", local(end))];
    let response =
        client.post(format!("{}{change_path}/reschedule", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let moved = app.change(&moving.change).await;
    assert_eq!((moved["planned_start"].clone(), moved["planned_end"].clone()), (json!(start), json!(end)));
}
