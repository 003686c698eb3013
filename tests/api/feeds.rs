//! Calendar feeds: made and revoked on the profile page, read by calendar clients with
//! the token alone, parsed here with an independent iCalendar parser.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{csrf, page, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::StatusCode;

on_both_backends!(
    a_personal_feed_shows_ones_own_changes_and_meetings_and_answers_304_when_unchanged,
    a_feed_of_one_ci_holds_the_changes_on_it_and_a_personal_feed_the_changes_one_voted_on,
);

/// Makes a feed on the profile page; returns its address.
async fn make_feed(app: &TestApp, client: &reqwest::Client, scope: &str) -> (StatusCode, String) {
    let (_, html) = page(client, app, "/profile").await;
    let form = [("csrf", csrf(&html)), ("name", "Outlook".to_owned()), ("scope", scope.to_owned())];
    let response = client.post(format!("{}/profile/feeds", app.address)).form(&form).send().await.unwrap();
    let status = response.status();
    let html = response.text().await.unwrap();
    let address = html
        .split("<code class=\"feed-address\">")
        .nth(1)
        .map(|rest| rest.split('<').next().unwrap().replace("&amp;", "&"))
        .unwrap_or_default();
    (status, address)
}

/// `(UID, STATUS)` of every event of an iCalendar text.
fn events(text: &str) -> Vec<(String, String)> {
    let mut reader = ical::IcalParser::new(text.as_bytes());
    let calendar = reader.next().expect("a calendar").expect("it parses");
    calendar
        .events
        .iter()
        .map(|event| {
            let value = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            (value("UID"), value("STATUS"))
        })
        .collect()
}

async fn a_personal_feed_shows_ones_own_changes_and_meetings_and_answers_304_when_unchanged(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[Role::CabMember]).await;
    let mine = app.new_change().requested_by(&rita).in_state(ChangeState::Scheduled).await;
    let cancelled = app.new_change().requested_by(&rita).in_state(ChangeState::Cancelled).await;
    let theirs = app.change_in(ChangeState::Scheduled).await;
    let ecab =
        serde_json::json!({ "title": "ECAB", "starts_at": app.ctx.clock.now() + chrono::Duration::days(2) });
    let meeting = app.post("/api/v1/cab/meetings", &app.admin, ecab).await;

    let client = sign_in(&app, &rita).await;
    let (status, _) = make_feed(&app, &client, "all").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a requester does not follow every change");
    let (status, address) = make_feed(&app, &client, "personal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(address.contains("/calendar.ics?token="), "the address is shown once: {address}");
    let (_, again) = page(&client, &app, "/profile").await;
    assert!(!again.contains(address.split("token=").nth(1).unwrap()), "and never again");

    let feed_path =
        address.split_once("/calendar.ics").map(|(_, rest)| format!("/calendar.ics{rest}")).unwrap();
    let anonymous = reqwest::Client::new();
    let response = anonymous.get(format!("{}{feed_path}", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    let found = events(&text);
    let uid = |staged: &crate::builder::Staged| {
        format!("change-{}@{}", staged.change["ref"].as_str().unwrap(), app.ctx.uid_domain())
    };
    assert!(found.contains(&(uid(&mine), "CONFIRMED".to_owned())), "{found:?}");
    assert!(found.contains(&(uid(&cancelled), "CANCELLED".to_owned())), "cancelled changes say so");
    assert!(!found.iter().any(|(u, _)| *u == uid(&theirs)), "not someone else's change");
    assert!(
        found.iter().any(|(u, _)| *u == format!("cab-meeting-{}@{}", meeting["id"], app.ctx.uid_domain())),
        "the CAB meeting, for a voter"
    );

    let unchanged = anonymous
        .get(format!("{}{feed_path}", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let (status, _) = page(&anonymous, &app, "/calendar.ics?token=nonsense").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Revoked: the address stops working.
    let (_, html) = page(&client, &app, "/profile").await;
    let revoke = html.split("action=\"/profile/feeds/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = [("csrf", csrf(&html))];
    let response =
        client.post(format!("{}/profile/feeds/{revoke}", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let gone = anonymous.get(format!("{}{feed_path}", app.address)).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    let manager = app.user("nora", &[Role::Manager]).await;
    let (status, address) = make_feed(&app, &sign_in(&app, &manager).await, "all").await;
    assert_eq!(status, StatusCode::OK);
    let path = address.split_once("/calendar.ics").map(|(_, rest)| format!("/calendar.ics{rest}")).unwrap();
    let text = anonymous.get(format!("{}{path}", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(events(&text).iter().any(|(u, _)| *u == uid(&theirs)), "a manager's feed shows every change");
    assert!(
        events(&text)
            .iter()
            .any(|(u, _)| *u == format!("cab-meeting-{}@{}", meeting["id"], app.ctx.uid_domain())),
        "and the CAB meetings, though a manager does not vote"
    );
}

/// Makes a feed of one CI on the profile page; returns its address.
async fn make_ci_feed(app: &TestApp, client: &reqwest::Client, ci: &str) -> (StatusCode, String) {
    let (_, html) = page(client, app, "/profile").await;
    let form = [
        ("csrf", csrf(&html)),
        ("name", "Archive".to_owned()),
        ("scope", "ci".to_owned()),
        ("ci_id", ci.to_owned()),
    ];
    let response = client.post(format!("{}/profile/feeds", app.address)).form(&form).send().await.unwrap();
    let status = response.status();
    let html = response.text().await.unwrap();
    let address = html
        .split("<code class=\"feed-address\">")
        .nth(1)
        .map(|rest| rest.split('<').next().unwrap().replace("&amp;", "&"))
        .unwrap_or_default();
    (status, address)
}

async fn read_feed(app: &TestApp, address: &str) -> Vec<(String, String)> {
    let path = address.split_once("/calendar.ics").map(|(_, rest)| format!("/calendar.ics{rest}")).unwrap();
    let text = reqwest::get(format!("{}{path}", app.address)).await.unwrap().text().await.unwrap();
    events(&text)
}

async fn a_feed_of_one_ci_holds_the_changes_on_it_and_a_personal_feed_the_changes_one_voted_on(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let reader = app.user("frida", &[]).await;
    let archive = app.ci("Archive", 2).await;
    let on_archive = app.new_change().on_ci(archive).in_state(ChangeState::Scheduled).await;
    let elsewhere = app.change_in(ChangeState::Scheduled).await;
    let draft = app.new_change().on_ci(archive).in_state(ChangeState::Draft).await;
    let browser = sign_in(&app, &reader).await;
    let (status, _) = make_ci_feed(&app, &browser, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a CI's feed needs its CI");
    let (status, address) = make_ci_feed(&app, &browser, &archive.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let uids: Vec<String> = read_feed(&app, &address).await.into_iter().map(|(uid, _)| uid).collect();
    let uid = |change: &serde_json::Value| format!("change-{}", change["ref"].as_str().unwrap());
    assert!(uids.iter().any(|u| u.starts_with(&uid(&on_archive.change))), "{uids:?}");
    assert!(!uids.iter().any(|u| u.starts_with(&uid(&elsewhere.change))), "only the CI's changes");
    assert!(!uids.iter().any(|u| u.starts_with(&uid(&draft.change))), "no drafts");
    assert!(!uids.iter().any(|u| u.starts_with("cab-meeting")), "no meetings in a CI's feed");

    // Kari votes for Ola as his delegate: the change is in her personal feed.
    let ola = app.user("ola", &[Role::CabMember]).await;
    let kari = app.user("kari", &[]).await;
    let today = app.ctx.clock.now().with_timezone(&chrono_tz::Europe::Oslo).date_naive();
    app.post(
        "/api/v1/delegations",
        &ola,
        serde_json::json!({ "delegate": kari.id, "from": today, "until": today }),
    )
    .await;
    let waiting = app.new_change().risk(crate::helpers::medium_risk()).in_state(ChangeState::Authorize).await;
    let (status, _) = app
        .act(
            &waiting.change,
            "votes",
            &kari,
            serde_json::json!({ "decision": "approve", "on_behalf_of": ola.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let kari_browser = sign_in(&app, &kari).await;
    let (_, address) = make_feed(&app, &kari_browser, "personal").await;
    let uids: Vec<String> = read_feed(&app, &address).await.into_iter().map(|(uid, _)| uid).collect();
    assert!(uids.iter().any(|u| u.starts_with(&uid(&waiting.change))), "voted on as delegate: {uids:?}");
}
