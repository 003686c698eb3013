//! The service desk's view: what is changing now and in the next 48 hours, found by a
//! system's name — in the API and on the page, on both backends.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use chrono::Duration;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;

on_both_backends!(the_desk_finds_the_change_behind_a_call_by_the_systems_name);

async fn the_desk_finds_the_change_behind_a_call_by_the_systems_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk = app.user("dina", &[]).await;
    let archive = app.ci("Sak- og arkivsystem", 2).await;
    let website = app.ci("Kommunens nettside", 3).await;
    let soon = app
        .new_change()
        .on_ci(archive)
        .starting_in(Duration::hours(10))
        .emergency()
        .in_state(ChangeState::Scheduled)
        .await;
    let later = app
        .new_change()
        .on_ci(website)
        .starting_in(Duration::hours(20))
        .emergency()
        .in_state(ChangeState::Scheduled)
        .await;
    let next_week = app
        .new_change()
        .on_ci(archive)
        .starting_in(Duration::days(5))
        .emergency()
        .in_state(ChangeState::Scheduled)
        .await;
    let refs = |items: &serde_json::Value| -> Vec<String> {
        items["changes"].as_array().unwrap().iter().map(|i| i["ref"].as_str().unwrap().to_owned()).collect()
    };
    let reference = |s: &crate::builder::Staged| s.change["ref"].as_str().unwrap().to_owned();

    // Everything in the next 48 hours, soonest first; not next week's.
    let all = app.get("/api/v1/desk", &desk).await;
    assert_eq!(refs(&all), vec![reference(&soon), reference(&later)]);
    assert!(!refs(&all).contains(&reference(&next_week)));
    // "The archive system is slow": one search, any case, by the CI's name.
    let found = app.get("/api/v1/desk?q=ARKIV", &desk).await;
    assert_eq!(refs(&found), vec![reference(&soon)]);
    assert_eq!(
        found["changes"][0]["implementer_email"],
        soon.implementer.email.as_str(),
        "how to reach who does it"
    );
    assert_eq!(found["changes"][0]["now"], false);
    assert_eq!(
        refs(&app.get("/api/v1/desk?q=arkiv%20nettside", &desk).await),
        Vec::<String>::new(),
        "every word"
    );

    // Once its window opens it is under way now.
    app.ctx.clock.advance(Duration::hours(11));
    let found = app.get("/api/v1/desk?q=arkiv", &desk).await;
    assert_eq!(found["changes"][0]["now"], true, "{found}");

    // The page, for every signed-in user.
    let browser = crate::pages::sign_in(&app, &desk).await;
    let (status, html) = crate::pages::page(&browser, &app, "/desk?q=arkiv").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("href=\"/changes/{}\"", reference(&soon))), "found on the page");
    assert!(!html.contains(&format!("href=\"/changes/{}\"", reference(&later))), "the other is not");
    assert!(html.contains(&format!("mailto:{}", soon.implementer.email)));
    assert!(html.contains("<strong>Nå</strong>"), "under way now, said in words");

    // The service desk's own home leads with it; a requester's does not.
    let agent = app.user("sigrid", &[Role::ServiceDesk]).await;
    let browser = crate::pages::sign_in(&app, &agent).await;
    let (_, html) = crate::pages::page(&browser, &app, "/").await;
    assert!(html.contains("Endres nå og de neste 48 timene"), "the desk's section");
    let main = &html[html.find("<main").unwrap()..];
    assert!(
        main[main.find("<h2").unwrap()..].starts_with("<h2 id=\"home-desk\""),
        "the first section on the page"
    );
    assert!(html.contains(&format!("href=\"/changes/{}\"", reference(&later))));
    let browser = crate::pages::sign_in(&app, &desk).await;
    let (_, html) = crate::pages::page(&browser, &app, "/").await;
    assert!(!html.contains("Endres nå og de neste 48 timene"));
}
