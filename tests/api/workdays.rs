//! The working-day calendar: public holidays computed, closed days an admin adds and
//! removes, and both counted out of the short-notice risk factor.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{page, post_form, sign_in};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use endring::domain::workdays::norwegian_holidays;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    admins_close_and_reopen_days_and_everyone_sees_the_days_off,
    closed_days_and_holidays_count_out_of_the_notice_a_change_gives,
    the_admin_page_lists_holidays_and_closes_a_day,
);

async fn admins_close_and_reopen_days_and_everyone_sees_the_days_off(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let days = app.get("/api/v1/calendar/days-off?year=2026", &requester).await;
    let listed: Vec<&str> = days.as_array().unwrap().iter().map(|d| d["day"].as_str().unwrap()).collect();
    assert!(listed.contains(&"2026-05-14") && listed.contains(&"2026-04-06"), "Ascension Day, Easter Monday");
    assert_eq!(days[0]["holiday"], "new_years_day");

    let closure = json!({ "day": "2026-12-28", "name": "Christmas closure" });
    let (status, _) = app.post_status("/api/v1/calendar/closed-days", &requester, closure.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins close days");
    let closed = app.post("/api/v1/calendar/closed-days", &app.admin, closure.clone()).await;
    assert_eq!(
        (closed["day"].as_str(), closed["name"].as_str()),
        (Some("2026-12-28"), Some("Christmas closure"))
    );
    let (status, problem) = app.post_status("/api/v1/calendar/closed-days", &app.admin, closure).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("day")));
    let (status, problem) = app
        .post_status("/api/v1/calendar/closed-days", &app.admin, json!({ "day": "2026-02-30", "name": "x" }))
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("day"))
    );
    let days = app.get("/api/v1/calendar/days-off?year=2026", &requester).await;
    let closure = days.as_array().unwrap().iter().find(|d| d["day"] == "2026-12-28").expect("listed");
    assert_eq!((closure["name"].as_str(), closure["holiday"].is_null()), (Some("Christmas closure"), true));

    let (status, _) =
        app.call(Method::DELETE, "/api/v1/calendar/closed-days/2026-12-28", Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        app.call(Method::DELETE, "/api/v1/calendar/closed-days/2026-12-28", Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        app.call(Method::GET, "/api/v1/calendar/days-off?year=1850", Some(&requester), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let verified = app.verify_audit().await;
    assert!(matches!(verified, endring::services::audit::Verification::Intact { .. }), "{verified:?}");
}

/// A Tuesday at least a week ahead with no public holiday in the week after it.
fn quiet_tuesday(from: NaiveDate) -> NaiveDate {
    let mut day = from + Duration::days(7);
    loop {
        let holidays: Vec<NaiveDate> =
            (day.year()..=day.year() + 1).flat_map(norwegian_holidays).map(|(d, _)| d).collect();
        let quiet = (0..8).all(|n| !holidays.contains(&(day + Duration::days(n))));
        if day.weekday() == Weekday::Tue && quiet {
            return day;
        }
        day += Duration::days(1);
    }
}

async fn closed_days_and_holidays_count_out_of_the_notice_a_change_gives(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let oslo = chrono_tz::Europe::Oslo;
    let today = app.ctx.clock.now().with_timezone(&oslo).date_naive();
    let tuesday = quiet_tuesday(today);
    let monday = tuesday + Duration::days(6);
    let nine =
        |day: NaiveDate| oslo.from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap()).unwrap().to_utc();
    // Submitted on a Tuesday for the Monday after: Wednesday, Thursday, Friday and Monday
    // are four working days' notice.
    app.ctx.clock.advance(nine(tuesday) - app.ctx.clock.now());
    let short = |change: &serde_json::Value| {
        change["risk"]["factors"].as_array().unwrap().iter().any(|f| f["key"] == "short_notice")
    };
    let four_days = app.new_change().starting_at(nine(monday)).in_state(ChangeState::Assess).await.change;
    assert!(!short(&app.change(&four_days).await), "four working days is notice enough");
    // With Wednesday and Thursday closed, the same notice is two working days.
    for day in [tuesday + Duration::days(1), tuesday + Duration::days(2)] {
        app.post(
            "/api/v1/calendar/closed-days",
            &app.admin,
            json!({ "day": day, "name": "Move to the new town hall" }),
        )
        .await;
    }
    let two_days = app.new_change().starting_at(nine(monday)).in_state(ChangeState::Assess).await.change;
    let stored = app.change(&two_days).await;
    assert!(short(&stored), "closed days are not notice: {}", stored["risk"]);
}

async fn the_admin_page_lists_holidays_and_closes_a_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = sign_in(&app, &app.admin).await;
    let year = app.ctx.clock.now().year();
    let (status, html) = page(&admin, &app, "/admin/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("{year}-05-17")) && html.contains(&format!("{year}-12-25")),
        "the holidays"
    );
    let day = format!("{year}-12-28");
    let (status, location) =
        post_form(&admin, &app, "/admin/calendar", &[("day", &day), ("name", "Christmas closure")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/calendar"));
    let (_, html) = page(&admin, &app, "/admin/calendar").await;
    assert!(html.contains("Christmas closure") && html.contains(&format!("/admin/calendar/{day}/reopen")));
    let (status, html) = post_form(&admin, &app, "/admin/calendar", &[("day", "28.12"), ("name", "x")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"x\""), "what was typed is kept");
    let (_, listed) = page(&admin, &app, "/admin/calendar").await;
    let reopen = format!("{}/admin/calendar/{day}/reopen", app.address);
    let response = admin.post(reopen).form(&[("csrf", crate::pages::csrf(&listed))]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&admin, &app, "/admin/calendar").await;
    assert!(!html.contains("Christmas closure"));
    let member = app.user("cato", &[Role::CabMember]).await;
    let (status, _) = page(&sign_in(&app, &member).await, &app, "/admin/calendar").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
