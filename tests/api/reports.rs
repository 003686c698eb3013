//! The figures of SPEC §10 and the CSV export.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use chrono::{Datelike, Duration};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    the_report_counts_what_happened_in_the_period,
    the_report_figures_match_a_hand_computed_fixture,
    the_csv_for_excel_reads_as_the_reader_writes_and_the_plain_one_as_a_program_reads
);

async fn the_report_counts_what_happened_in_the_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let implementer = app.user("ivar", &[Role::Implementer]).await;
    let manager = app.user("nora", &[Role::Manager]).await;
    let ci = app.ci("Archive", 3).await;
    let mut done = app
        .new_change()
        .requested_by(&requester)
        .implemented_by(&implementer)
        .on_ci(ci)
        .starting_in(Duration::days(3))
        .in_state(ChangeState::Authorize)
        .await;
    app.ctx.clock.advance(Duration::hours(2));
    done.reach(&app, ChangeState::Review).await;
    app.post(
        "/api/v1/changes",
        &requester,
        json!({ "title": "Urgent, fix \"now\"", "type": "emergency", "ci_ids": [ci] }),
    )
    .await;

    let summary = app.get("/api/v1/reports/summary", &manager).await;
    assert_eq!(summary["created"], 2);
    assert_eq!(summary["emergency_ratio"], 0.5);
    assert_eq!((summary["completed"].as_i64(), summary["successful"].as_i64()), (Some(1), Some(1)));
    assert_eq!(summary["success_rate"], 1.0);
    assert_eq!(summary["failed_or_backed_out"], 0);
    assert!(summary["median_lead_time_hours"].as_f64().unwrap() >= 2.0, "{summary}");
    let voters = summary["approval_time_by_voter"].as_array().unwrap();
    assert_eq!(voters.len(), 1);
    assert!(
        (voters[0]["median_hours"].as_f64().unwrap() - 2.0).abs() < 0.01,
        "two hours from authorize to the vote"
    );
    assert_eq!(summary["changes_per_ci"], json!([{ "name": "Archive", "count": 2 }]));
    assert_eq!(summary["upcoming_per_week"].as_array().unwrap().len(), 8);

    let (status, _) = app.call(Method::GET, "/api/v1/reports/summary", Some(&requester), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "reports are for managers, change managers and admins");
}

/// A fixture whose figures are worked out by hand below. Before the period: an emergency
/// change on Archive that failed (it must count nowhere). In the period, all by rita and
/// ivar, approved by the admin (and cato where a second approval is needed):
///
/// | change | type      | CI      | decided after submission | ends as                      |
/// |--------|-----------|---------|--------------------------|------------------------------|
/// | c1     | normal    | Archive | 1 h                      | closed, successful           |
/// | c2     | normal    | Archive | 3 h                      | review, failed               |
/// | c3     | normal    | Website | 5 h                      | closed, backed_out           |
/// | c4     | emergency | Website | 2 h (admin, then cato)   | closed, successful_with_issues |
/// | c5     | normal    | Website | at once                  | scheduled, 20 days ahead     |
/// | c6     | normal    | Archive | —                        | draft                        |
/// | c7     | emergency | Archive | —                        | cancelled                    |
/// | c8     | normal    | Archive | at once (cato rejects)   | rejected                     |
async fn the_report_figures_match_a_hand_computed_fixture(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[]).await;
    let ivar = app.user("ivar", &[Role::Implementer]).await;
    let cato = app.user("cato", &[Role::CabMember]).await;
    let nora = app.user("nora", &[Role::Manager]).await;
    let archive = app.ci("Archive", 3).await;
    let website = app.ci("Website", 3).await;
    let change = |ci: i64| {
        app.new_change()
            .requested_by(&rita)
            .implemented_by(&ivar)
            .voters(std::slice::from_ref(&cato))
            .on_ci(ci)
    };
    change(archive).emergency().closed_as("failed", "Rolled forward").in_state(ChangeState::Review).await;
    app.ctx.clock.advance(Duration::days(1));

    let from = app.ctx.clock.now();
    let mut decided = Vec::new();
    for (ci, emergency, hours, (code, notes)) in [
        (archive, false, 1, ("successful", "")),
        (archive, false, 3, ("failed", "Sign-in broke")),
        (website, false, 5, ("backed_out", "Too slow")),
        (website, true, 2, ("successful_with_issues", "One warning")),
    ] {
        let builder = change(ci).closed_as(code, notes);
        let builder = if emergency { builder.emergency() } else { builder };
        let mut staged = builder.in_state(ChangeState::Authorize).await;
        app.ctx.clock.advance(Duration::hours(hours));
        staged.reach(&app, ChangeState::Scheduled).await;
        decided.push(staged);
    }
    // The emergency change starts at once; the others when their windows open, in order.
    for (staged, state) in decided.iter_mut().rev().zip([
        ChangeState::Closed,
        ChangeState::Closed,
        ChangeState::Review,
        ChangeState::Closed,
    ]) {
        staged.reach(&app, state).await;
    }
    let upcoming = change(website).starting_in(Duration::days(20)).in_state(ChangeState::Scheduled).await;
    change(archive).in_state(ChangeState::Draft).await;
    change(archive).emergency().in_state(ChangeState::Cancelled).await;
    change(archive).in_state(ChangeState::Rejected).await;
    let to = app.ctx.clock.now() + Duration::minutes(1);

    let period = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let summary =
        app.get(&format!("/api/v1/reports/summary?from={}&to={}", period(from), period(to)), &nora).await;
    let mut by_type_and_state: Vec<(String, String, i64)> = summary["by_type_and_state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().into(),
                c["state"].as_str().unwrap().into(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    by_type_and_state.sort();
    let count = |t: &str, s: &str, n: i64| (t.to_owned(), s.to_owned(), n);
    assert_eq!(
        by_type_and_state,
        [
            count("emergency", "cancelled", 1),
            count("emergency", "closed", 1),
            count("normal", "closed", 2),
            count("normal", "draft", 1),
            count("normal", "rejected", 1),
            count("normal", "review", 1),
            count("normal", "scheduled", 1),
        ]
    );
    assert_eq!(summary["created"], 8);
    assert_eq!(summary["emergency_ratio"], 0.25, "2 of 8");
    assert_eq!((summary["completed"].as_i64(), summary["successful"].as_i64()), (Some(4), Some(2)));
    assert_eq!(summary["success_rate"], 0.5, "successful and successful_with_issues of 4");
    assert_eq!(summary["failed_or_backed_out"], 2);
    // Lead times 0 (c5), 0 (c8), 1, 2, 3, 5 hours: the median is 1.5.
    let close = |value: &serde_json::Value, expected: f64| (value.as_f64().unwrap() - expected).abs() < 0.01;
    assert!(close(&summary["median_lead_time_hours"], 1.5), "{summary}");
    // The admin voted after 1, 3, 5, 2 and 0 hours (median 2); cato after 2 (c4) and 0 (c8).
    let voters = summary["approval_time_by_voter"].as_array().unwrap();
    let times: Vec<(&str, u64)> =
        voters.iter().map(|v| (v["voter"].as_str().unwrap(), v["votes"].as_u64().unwrap())).collect();
    assert_eq!(times, [("admin", 5), ("cato", 2)]);
    assert!(close(&voters[0]["median_hours"], 2.0) && close(&voters[1]["median_hours"], 1.0), "{voters:?}");
    assert_eq!(
        summary["changes_per_ci"],
        json!([{ "name": "Archive", "count": 5 }, { "name": "Website", "count": 3 }])
    );
    // c5 alone is ahead, in the week (Monday to Sunday, Oslo) of its planned start.
    let oslo = chrono_tz::Europe::Oslo;
    let monday = |t: chrono::DateTime<chrono::Utc>| {
        let day = t.with_timezone(&oslo).date_naive();
        day - Duration::days(day.weekday().num_days_from_monday().into())
    };
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(upcoming.change["planned_start"].clone()).unwrap();
    let weeks: Vec<(String, i64)> = summary["upcoming_per_week"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["week_start"].as_str().unwrap().to_owned(), w["count"].as_i64().unwrap()))
        .collect();
    let this_week = monday(app.ctx.clock.now());
    let expected: Vec<(String, i64)> = (0..8)
        .map(|w| this_week + Duration::weeks(w))
        .map(|week| (week.to_string(), i64::from(week == monday(start))))
        .collect();
    assert_eq!(weeks, expected);
}

async fn the_csv_for_excel_reads_as_the_reader_writes_and_the_plain_one_as_a_program_reads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("nora", &[Role::Manager]).await;
    let staged = app.change_in(ChangeState::Scheduled).await;
    let reference = staged.change["ref"].as_str().unwrap().to_owned();
    let start: chrono::DateTime<chrono::Utc> =
        staged.change["planned_start"].as_str().unwrap().parse().unwrap();
    let oslo = start.with_timezone(&chrono_tz::Europe::Oslo);

    // The reports page's link, for a Bokmål reader: BOM, semicolons, Norwegian words and
    // local times that Excel reads as times.
    let browser = crate::pages::sign_in(&app, &manager).await;
    let response = browser.get(format!("{}/reports/changes.csv", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("\u{feff}Referanse;Tittel;Type;Status"), "{}", &text[..text.len().min(200)]);
    let row = text.lines().find(|l| l.starts_with(&reference)).expect("the change's row");
    assert!(row.contains(";Planlagt;"), "{row}");
    assert!(row.contains(&oslo.format("%d.%m.%Y %H:%M").to_string()), "local time: {row}");
    assert!(!row.contains(&start.to_rfc3339()), "no RFC 3339 UTC time: {row}");

    // The plain one, on the page and in the API: commas, codes, UTC.
    let plain =
        browser.get(format!("{}/reports/changes.csv?format=plain", app.address)).send().await.unwrap();
    let plain = plain.text().await.unwrap();
    let (status, api) = app.call(Method::GET, "/api/v1/reports/changes.csv", Some(&manager), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.as_str().unwrap(), plain, "the API's CSV is the plain one");
    assert!(plain.starts_with("ref,title,type,state,"), "{plain}");
    let row = plain.lines().find(|l| l.starts_with(&reference)).expect("the change's row");
    assert!(row.contains(",scheduled,"), "{row}");
    assert!(row.contains(&start.to_rfc3339()), "{row}");
}
