//! The change calendar's filters, in the API and on the page: by CI, type and state.

use crate::builder::Staged;
use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use chrono::{Duration, TimeZone, Utc};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;

on_both_backends!(the_calendar_shows_only_the_changes_its_filters_ask_for);

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
