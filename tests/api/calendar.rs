//! The change calendar's filters, in the API and on the page: by CI, type and state.

use crate::builder::Staged;
use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use chrono::{Duration, TimeZone, Utc};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;

on_both_backends!(
    the_calendar_shows_only_the_changes_its_filters_ask_for,
    the_calendar_marks_today_tentative_changes_and_what_a_conflict_is_and_folds_busy_days,
    a_blackout_over_booked_changes_names_them_to_its_creator_and_emails_their_people,
);

struct Day<'a> {
    app: &'a TestApp,
    requester: User,
    implementer: User,
    /// 00:00 in Oslo on the day, ten days ahead.
    midnight: chrono::DateTime<Utc>,
}

impl Day<'_> {
    /// A change on `ci` starting at `hour` (Oslo) that day, taken to `state`.
    async fn change(&self, emergency: bool, ci: i64, hour: i64, state: ChangeState) -> Staged {
        let builder = self
            .app
            .new_change()
            .requested_by(&self.requester)
            .implemented_by(&self.implementer)
            .on_ci(ci)
            .starting_at(self.midnight + Duration::hours(hour));
        match emergency {
            true => builder.emergency().in_state(state).await,
            false => builder.in_state(state).await,
        }
    }
}

fn reference(staged: &Staged) -> String {
    staged.change["ref"].as_str().unwrap().to_owned()
}

async fn the_calendar_shows_only_the_changes_its_filters_ask_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let oslo = chrono_tz::Europe::Oslo;
    let date = (app.ctx.clock.now() + Duration::days(10)).with_timezone(&oslo).date_naive();
    let midnight = oslo.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap();
    let day = Day {
        app: &app,
        requester: app.user("rita", &[]).await,
        implementer: app.user("ivar", &[Role::Implementer]).await,
        midnight: midnight.with_timezone(&Utc),
    };
    let archive = app.ci("Archive", 3).await;
    let website = app.ci("Website", 3).await;
    // One day, four changes; emergency changes start early, so none of this moves the clock.
    let normal_archive = reference(&day.change(false, archive, 8, ChangeState::Scheduled).await);
    let emergency_website = reference(&day.change(true, website, 11, ChangeState::Scheduled).await);
    let emergency_archive = reference(&day.change(true, archive, 14, ChangeState::Implement).await);
    let draft = reference(&day.change(false, website, 17, ChangeState::Draft).await);

    let period = format!(
        "from={}&to={}",
        day.midnight.format("%Y-%m-%dT%H:%M:%SZ"),
        (day.midnight + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let cases = [
        (String::new(), vec![&normal_archive, &emergency_website, &emergency_archive]),
        (format!("&ci={archive}"), vec![&normal_archive, &emergency_archive]),
        ("&type=emergency".to_owned(), vec![&emergency_website, &emergency_archive]),
        ("&type=normal".to_owned(), vec![&normal_archive]),
        ("&state=implement".to_owned(), vec![&emergency_archive]),
        (format!("&ci={website}&type=emergency&state=scheduled"), vec![&emergency_website]),
        (format!("&ci={website}&state=implement"), vec![]),
    ];
    for (filters, expected) in &cases {
        let calendar = app.get(&format!("/api/v1/calendar?{period}{filters}"), &day.requester).await;
        let mut refs: Vec<&str> =
            calendar["changes"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
        refs.sort();
        assert_eq!(refs, *expected, "calendar?{filters}");
    }

    // The page's week view of that day, with the same filters.
    let browser = crate::pages::sign_in(&app, &day.requester).await;
    let all = [&normal_archive, &emergency_website, &emergency_archive, &draft];
    for (filters, expected) in &cases {
        let url = format!("{}/calendar?view=week&date={date}{filters}", app.address);
        let response = browser.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "/calendar?{filters}");
        let html = response.text().await.unwrap();
        for reference in all {
            let link = format!("href=\"/changes/{reference}\"");
            assert_eq!(
                html.contains(&link),
                expected.contains(&reference),
                "{reference} on /calendar?{filters}"
            );
        }
    }
}

async fn the_calendar_marks_today_tentative_changes_and_what_a_conflict_is_and_folds_busy_days(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let oslo = chrono_tz::Europe::Oslo;
    let date = (app.ctx.clock.now() + Duration::days(10)).with_timezone(&oslo).date_naive();
    let midnight = oslo.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap();
    let day = Day {
        app: &app,
        requester: app.user("rita", &[]).await,
        implementer: app.user("ivar", &[Role::Implementer]).await,
        midnight: midnight.with_timezone(&Utc),
    };
    let archive = app.ci("Archive", 3).await;
    let website = app.ci("Website", 3).await;
    let mail = app.ci("Mail", 2).await;
    let booked = reference(&day.change(false, archive, 8, ChangeState::Scheduled).await);
    let emergency = reference(&day.change(true, website, 11, ChangeState::Scheduled).await);
    let other = reference(&day.change(true, mail, 15, ChangeState::Scheduled).await);
    let awaiting = reference(&day.change(false, website, 17, ChangeState::Authorize).await);
    // A freeze on the archive that day: the archive change conflicts with it.
    let freeze = serde_json::json!({
        "title": "Arkivflytting", "ci_ids": [archive],
        "starts_at": day.midnight, "ends_at": day.midnight + Duration::hours(12),
    });
    app.post("/api/v1/blackouts", &app.admin, freeze).await;

    let period = format!(
        "from={}&to={}",
        day.midnight.format("%Y-%m-%dT%H:%M:%SZ"),
        (day.midnight + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let calendar = app.get(&format!("/api/v1/calendar?{period}"), &day.requester).await;
    let entries = calendar["changes"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "awaiting approval is left out unless asked for");
    let entry = |r: &str| entries.iter().find(|e| e["ref"] == r).unwrap().clone();
    assert_eq!(entry(&booked)["conflicts"][0]["kind"], "blackout");
    assert_eq!(entry(&booked)["conflicts"][0]["title"], "Arkivflytting");
    assert_eq!(entry(&emergency)["conflicts"].as_array().unwrap().len(), 0);
    let calendar = app.get(&format!("/api/v1/calendar?{period}&tentative=true"), &day.requester).await;
    let entries = calendar["changes"].as_array().unwrap();
    let tentative: Vec<&str> =
        entries.iter().filter(|e| e["tentative"] == true).map(|e| e["ref"].as_str().unwrap()).collect();
    assert_eq!(tentative, vec![awaiting.as_str()]);

    // The month page: the conflict in words, the fourth change of the day folded into a
    // link to its week, which shows all four on the time grid.
    let browser = crate::pages::sign_in(&app, &day.requester).await;
    let month = format!("/calendar?view=month&date={date}&tentative=on");
    let (status, html) = crate::pages::page(&browser, &app, &month).await;
    assert_eq!(status, 200);
    assert!(html.contains("Frysperiode – Arkivflytting"), "the conflict says what it is");
    assert!(html.contains("+1 flere"), "a busy day collapses");
    let shown = [&booked, &emergency, &other, &awaiting]
        .iter()
        .filter(|r| html.contains(&format!("href=\"/changes/{r}\"")))
        .count();
    assert_eq!(shown, 3, "three on the day");
    let week = format!("/calendar?view=week&date={date}&tentative=on");
    assert!(html.contains(&week.replace('&', "&amp;")), "the fold links to the week");
    let (_, html) = crate::pages::page(&browser, &app, &week).await;
    for r in [&booked, &emergency, &other, &awaiting] {
        assert!(html.contains(&format!("href=\"/changes/{r}\"")), "{r} in the week");
    }
    assert!(
        html.contains("class=\"slot col-") && html.contains(" row-8 rows-2"),
        "the 08:00 change sits at 08:00 for two hours"
    );
    assert!(html.contains("tentative"), "the change awaiting approval is marked");
    // Today is marked.
    let today = app.ctx.clock.now().with_timezone(&oslo).date_naive();
    let (_, html) = crate::pages::page(&browser, &app, &format!("/calendar?view=month&date={today}")).await;
    assert_eq!(html.matches("aria-current=\"date\"").count(), 1, "exactly one day is today");
}

async fn a_blackout_over_booked_changes_names_them_to_its_creator_and_emails_their_people(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let oslo = chrono_tz::Europe::Oslo;
    let date = (app.ctx.clock.now() + Duration::days(10)).with_timezone(&oslo).date_naive();
    let midnight = oslo.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap();
    let day = Day {
        app: &app,
        requester: app.user("rita", &[]).await,
        implementer: app.user("ivar", &[Role::Implementer]).await,
        midnight: midnight.with_timezone(&Utc),
    };
    let archive = app.ci("Archive", 3).await;
    let website = app.ci("Website", 3).await;
    let covered = day.change(false, archive, 8, ChangeState::Scheduled).await;
    let elsewhere = day.change(true, website, 9, ChangeState::Scheduled).await;
    let draft = day.change(false, archive, 10, ChangeState::Draft).await;
    let freeze = serde_json::json!({
        "title": "Arkivflytting", "ci_ids": [archive],
        "starts_at": day.midnight, "ends_at": day.midnight + Duration::hours(12),
    });
    let created = app.post("/api/v1/blackouts", &app.admin, freeze).await;
    let covers: Vec<&str> =
        created["covers"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(covers, vec![reference(&covered).as_str()], "only the booked change on the frozen CI");
    let mut told = app.recipients(&covered.change, "blackout_covers").await;
    told.sort();
    assert_eq!(told, vec![day.implementer.email.clone(), day.requester.email.clone()]);
    assert!(app.recipients(&elsewhere.change, "blackout_covers").await.is_empty());
    assert!(app.recipients(&draft.change, "blackout_covers").await.is_empty());

    // Moved to cover the website too: only the newly covered change hears of it.
    let path = format!("/api/v1/blackouts/{}", created["id"]);
    let moved = serde_json::json!({
        "title": "Arkivflytting", "ci_ids": [archive, website],
        "starts_at": day.midnight, "ends_at": day.midnight + Duration::hours(12),
    });
    let (status, updated) = app.call(reqwest::Method::PUT, &path, Some(&app.admin), Some(moved)).await;
    assert_eq!(status, 200, "{updated}");
    let covers: Vec<&str> =
        updated["covers"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(covers, vec![reference(&elsewhere).as_str()]);
    assert_eq!(app.recipients(&covered.change, "blackout_covers").await.len(), 2, "not told twice");

    // From the admin page: the confirmation names the covered changes.
    let browser = crate::pages::sign_in(&app, &app.admin).await;
    let start = (day.midnight + Duration::hours(7)).with_timezone(&oslo).format("%Y-%m-%dT%H:%M").to_string();
    let end = (day.midnight + Duration::hours(9)).with_timezone(&oslo).format("%Y-%m-%dT%H:%M").to_string();
    let archive_id = archive.to_string();
    let (status, location) = crate::pages::post_form(
        &browser,
        &app,
        "/admin/blackouts",
        &[("title", "Strømbrudd"), ("starts_at", &start), ("ends_at", &end), ("ci_ids", &archive_id)],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = crate::pages::page(&browser, &app, &location).await;
    assert!(
        html.contains(&format!("Frysperioden dekker én planlagt endring: {}", reference(&covered))),
        "{}",
        &html[..html.len().min(3000)]
    );
}
