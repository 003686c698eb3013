//! CAB meetings: planned ahead from the settings, extra ones and cancellations, and the
//! agenda each one builds itself.

use crate::helpers::{medium_risk, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{page, sign_in};
use chrono::{Datelike, Duration};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    the_next_eight_weeks_of_meetings_are_planned_once_on_the_meeting_day,
    change_managers_add_extra_meetings_and_cancel_planned_ones_with_a_reason,
    the_agenda_holds_what_waits_by_the_cutoff_then_the_late_and_what_to_note,
    the_cab_queue_leads_with_the_next_meeting_and_its_agenda_prints_and_downloads,
    the_next_planned_meetings_cutoff_sets_when_voters_are_reminded,
    in_a_meeting_the_attendees_ballots_decide_through_the_rule_and_the_minutes_keep_it,
    a_change_manager_runs_a_meeting_on_its_page_from_opening_to_minutes,
    at_the_cutoff_members_and_delegates_get_the_agenda_once_with_the_meeting_invitation,
    closing_a_meeting_emails_its_minutes_to_the_attendees,
    each_agenda_item_shows_its_conflicts_on_the_page_in_markdown_and_by_email,
    the_meeting_settings_are_changed_on_the_admin_page_and_the_coming_meetings_follow,
);

async fn plan(app: &TestApp) -> usize {
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || endring::services::meetings::plan_ahead(&ctx).unwrap())
        .await
        .unwrap()
}

async fn the_next_eight_weeks_of_meetings_are_planned_once_on_the_meeting_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let planned = plan(&app).await;
    assert!((7..=8).contains(&planned), "eight weeks, less this week's if it has begun: {planned}");
    assert_eq!(plan(&app).await, 0, "planning again adds nothing");
    let meetings = app.get("/api/v1/cab/meetings", &app.admin).await;
    let meetings = meetings.as_array().unwrap();
    assert_eq!(meetings.len(), planned);
    let oslo = chrono_tz::Europe::Oslo;
    for meeting in meetings {
        assert_eq!((meeting["kind"].as_str(), meeting["state"].as_str()), (Some("regular"), Some("planned")));
        let starts: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(meeting["starts_at"].clone()).unwrap();
        let cutoff: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(meeting["cutoff_at"].clone()).unwrap();
        let local = starts.with_timezone(&oslo);
        // Tuesday 10:00, or later that week when Tuesday is a holiday.
        assert_eq!(local.format("%H:%M").to_string(), "10:00");
        let day = local.date_naive();
        let tuesday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()) - 1);
        assert!(
            day == tuesday || endring::domain::workdays::holiday_on(tuesday).is_some(),
            "{day} is the meeting day"
        );
        assert_eq!(cutoff.with_timezone(&oslo).format("%H:%M").to_string(), "12:00");
        assert!(cutoff < starts && starts - cutoff < Duration::days(8));
    }
}

async fn change_managers_add_extra_meetings_and_cancel_planned_ones_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let manager = app.user("mona", &[Role::ChangeManager]).await;
    let starts = app.ctx.clock.now() + Duration::hours(3);
    let ecab = json!({ "title": "ECAB: payroll outage", "starts_at": starts });
    let (status, _) = app.post_status("/api/v1/cab/meetings", &member, ecab.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let meeting = app.post("/api/v1/cab/meetings", &manager, ecab).await;
    assert_eq!(
        (meeting["kind"].as_str(), meeting["title"].as_str()),
        (Some("extra"), Some("ECAB: payroll outage"))
    );
    assert_eq!(meeting["cutoff_at"], meeting["starts_at"], "everything waiting by its start is for decision");
    let past = json!({ "title": "Too late", "starts_at": app.ctx.clock.now() - Duration::hours(1) });
    let (status, problem) = app.post_status("/api/v1/cab/meetings", &manager, past).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("starts_at"))
    );

    let cancel = format!("/api/v1/cab/meetings/{}/cancel", meeting["id"]);
    let (status, problem) = app.post_status(&cancel, &manager, json!({ "reason": " " })).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let cancelled = app.post(&cancel, &manager, json!({ "reason": "Resolved without a change" })).await;
    assert_eq!(
        (cancelled["state"].as_str(), cancelled["cancel_reason"].as_str()),
        (Some("cancelled"), Some("Resolved without a change"))
    );
    let (status, _) = app.post_status(&cancel, &manager, json!({ "reason": "Again" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "a cancelled meeting is not cancelled twice");
}

/// The references in one section of a meeting's agenda.
fn section<'a>(detail: &'a Value, name: &str) -> Vec<&'a str> {
    let part = detail["agenda"].as_array().unwrap().iter().find(|p| p["section"] == name).expect(name);
    part["items"].as_array().unwrap().iter().map(|i| i["change"]["ref"].as_str().unwrap()).collect()
}

async fn the_agenda_holds_what_waits_by_the_cutoff_then_the_late_and_what_to_note(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("mona", &[Role::ChangeManager]).await;
    let now = app.ctx.clock.now();
    let meeting = app
        .post(
            "/api/v1/cab/meetings",
            &manager,
            json!({ "title": "Extra CAB", "starts_at": now + Duration::hours(6), "cutoff_at": now + Duration::hours(2) }),
        )
        .await;
    // Waiting by the cut-off: a medium and a very high risk change; the higher first.
    let medium = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let very_high = json!({ "users_affected": "everyone", "tested": "no", "backout": "no", "complexity": "high", "downtime": "over_1h" });
    let high = app
        .new_change()
        .risk(very_high)
        .starting_in(Duration::days(30))
        .in_state(ChangeState::Authorize)
        .await;
    app.act(&medium.change, "votes", &manager, json!({ "decision": "approve" })).await;
    let emergency = app.new_change().emergency().in_state(ChangeState::Implement).await;
    let review = app.change_in(ChangeState::Review).await;
    app.change_in(ChangeState::Scheduled).await;
    // After the cut-off: late.
    app.ctx.clock.advance(Duration::hours(3));
    let late = app.new_change().starting_in(Duration::days(20)).in_state(ChangeState::Authorize).await;

    let detail = app.get(&format!("/api/v1/cab/meetings/{}", meeting["id"]), &app.admin).await;
    let r = |staged: &crate::builder::Staged| staged.change["ref"].as_str().unwrap().to_owned();
    assert_eq!(section(&detail, "for_decision"), [r(&high), r(&medium)], "{detail}");
    assert_eq!(section(&detail, "late"), [r(&late)]);
    assert_eq!(section(&detail, "emergencies_to_note"), [r(&emergency)]);
    assert_eq!(section(&detail, "in_review"), [r(&review)]);
    assert!(section(&detail, "failed_to_note").is_empty());
    let medium_item = &detail["agenda"][0]["items"][1];
    assert_eq!(
        (medium_item["approval"]["approvals"].as_i64(), medium_item["approval"]["required"].as_i64()),
        (Some(1), Some(2))
    );
    assert!(
        !detail["agenda"][0]["items"][0]["risk_factors"].as_array().unwrap().is_empty(),
        "the factors show"
    );
}

async fn the_cab_queue_leads_with_the_next_meeting_and_its_agenda_prints_and_downloads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    plan(&app).await;
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let reference = waiting.change["ref"].as_str().unwrap().to_owned();
    let member = app.user("cato", &[Role::CabMember]).await;
    let client = sign_in(&app, &member).await;
    let (status, queue) = page(&client, &app, "/cab").await;
    assert_eq!(status, StatusCode::OK);
    let next = queue.find("id=\"next-meeting\"").expect("the next meeting comes first");
    assert!(next < queue.find(&reference).unwrap_or(usize::MAX));
    let link =
        queue[next..].split("href=\"/cab/meetings/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let (status, agenda) = page(&client, &app, &format!("/cab/meetings/{link}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(agenda.contains(&reference) && agenda.contains("id=\"agenda-for_decision\""));
    let response = client.get(format!("{}/cab/meetings/{link}/agenda.md", app.address)).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/markdown; charset=utf-8");
    let markdown = response.text().await.unwrap();
    assert!(markdown.starts_with("# CAB") && markdown.contains(&format!("**{reference}**")), "{markdown}");
    let (status, _) = page(&client, &app, "/cab/meetings/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_next_planned_meetings_cutoff_sets_when_voters_are_reminded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Tuesday noon, after the week's meeting: the settings' next cut-off is six days away.
    let oslo = chrono_tz::Europe::Oslo;
    let mut day = app.ctx.clock.now().with_timezone(&oslo).date_naive() + Duration::days(1);
    while day.weekday() != chrono::Weekday::Tue {
        day = day.succ_opt().unwrap();
    }
    let noon =
        chrono::TimeZone::from_local_datetime(&oslo, &day.and_hms_opt(12, 0, 0).unwrap()).unwrap().to_utc();
    app.ctx.clock.advance(noon - app.ctx.clock.now());
    let member = app.user("cato", &[Role::CabMember]).await;
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    reminded_now(&app).await;
    assert_eq!(
        app.notices(&waiting.change).await.iter().filter(|(kind, _)| kind == "reminder_vote").count(),
        0,
        "nobody is reminded six days ahead"
    );
    let reminded = |app: &TestApp| {
        let ctx = app.ctx.clone();
        actix_web::rt::task::spawn_blocking(move || endring::services::reminders::queue_due(&ctx).unwrap())
    };
    let vote_reminders = |notices: Vec<(String, String)>| {
        notices.iter().filter(|(kind, to)| kind == "reminder_vote" && *to == member.email).count()
    };
    // An ECAB in six hours, its cut-off in five, right after the vote request: no reminder
    // within hours of the request itself.
    let now = app.ctx.clock.now();
    let first = json!({ "title": "ECAB", "starts_at": now + Duration::hours(6), "cutoff_at": now + Duration::hours(5) });
    app.post("/api/v1/cab/meetings", &app.admin, first).await;
    reminded(&app).await.unwrap();
    assert_eq!(vote_reminders(app.notices(&waiting.change).await), 0, "not right after the request");
    // Half a day later, another ECAB in six hours, its cut-off in five: the CAB is reminded now.
    app.ctx.clock.advance(endring::services::reminders::QUIET_AFTER_REQUEST + Duration::hours(1));
    let now = app.ctx.clock.now();
    let ecab = json!({ "title": "ECAB", "starts_at": now + Duration::hours(6), "cutoff_at": now + Duration::hours(5) });
    app.post("/api/v1/cab/meetings", &app.admin, ecab).await;
    reminded(&app).await.unwrap();
    assert_eq!(vote_reminders(app.notices(&waiting.change).await), 1, "reminded before the ECAB's cut-off");
    reminded(&app).await.unwrap();
    assert_eq!(vote_reminders(app.notices(&waiting.change).await), 1, "once");
}

async fn reminded_now(app: &TestApp) {
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || endring::services::reminders::queue_due(&ctx).unwrap())
        .await
        .unwrap();
}

async fn in_a_meeting_the_attendees_ballots_decide_through_the_rule_and_the_minutes_keep_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    let (cato, cara) =
        (app.user("cato", &[Role::CabMember]).await, app.user("cara", &[Role::CabMember]).await);
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let other = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(21))
        .in_state(ChangeState::Authorize)
        .await;
    let now = app.ctx.clock.now();
    let meeting = |title: &str| json!({ "title": title, "starts_at": now + Duration::hours(2), "cutoff_at": now + Duration::hours(1) });
    let first = app.post("/api/v1/cab/meetings", &chair, meeting("First")).await;
    let base = format!("/api/v1/cab/meetings/{}", first["id"]);

    // The requester attends, but does not count: one ballot is too few for two approvals.
    let attendees = json!({ "attendees": [cato.id, waiting.requester.id] });
    let (status, _) = app.post_status(&format!("{base}/open"), &cato, attendees.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only a change manager runs a meeting");
    let opened = app.post(&format!("{base}/open"), &chair, attendees.clone()).await;
    assert_eq!(
        (opened["meeting"]["state"].as_str(), opened["attendees"].as_array().unwrap().len()),
        (Some("open"), 2)
    );
    let (status, _) = app.post_status(&format!("{base}/open"), &chair, attendees).await;
    assert_eq!(status, StatusCode::CONFLICT, "a meeting opens once");
    let approve = json!({ "change_id": waiting.change["id"], "outcome": "approve" });
    let (status, refused) = app.post_status(&format!("{base}/decisions"), &chair, approve.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("1 of 2"), "the reason: {refused}");
    let stored = app.change(&waiting.change).await;
    assert_eq!(
        (stored["state"].as_str(), stored["approval"]["approvals"].as_i64()),
        (Some("authorize"), Some(0)),
        "nothing recorded"
    );
    let defer = json!({ "change_id": waiting.change["id"], "outcome": "defer" });
    app.post(&format!("{base}/decisions"), &chair, defer).await;
    let closed = app.post(&format!("{base}/close"), &chair, json!({})).await;
    assert_eq!(closed["meeting"]["state"], "closed");
    assert_eq!(closed["decisions"][0]["outcome"], "defer", "the minutes keep the decision");
    assert_eq!(closed["agenda"], json!([]), "a closed meeting's record is its minutes, not today's changes");
    let (status, _) = app.post_status(&format!("{base}/decisions"), &chair, approve).await;
    assert_eq!(status, StatusCode::CONFLICT, "a closed meeting decides nothing");

    // Enough attendees: the rule approves one change; another is rejected with a reason.
    let second = app.post("/api/v1/cab/meetings", &chair, meeting("Second")).await;
    let base = format!("/api/v1/cab/meetings/{}", second["id"]);
    app.post(&format!("{base}/open"), &chair, json!({ "attendees": [cato.id, cara.id, chair.id] })).await;
    let approve = json!({ "change_id": waiting.change["id"], "outcome": "approve" });
    let minutes = app.post(&format!("{base}/decisions"), &chair, approve).await;
    assert_eq!(minutes["decisions"][0]["outcome"], "approve");
    assert_eq!(app.change(&waiting.change).await["state"], "scheduled");
    let reject = json!({ "change_id": other.change["id"], "outcome": "reject" });
    let (status, problem) = app.post_status(&format!("{base}/decisions"), &chair, reject).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("comment"))
    );
    let reject = json!({ "change_id": other.change["id"], "outcome": "reject", "comment": "Too close to the payroll run" });
    app.post(&format!("{base}/decisions"), &chair, reject).await;
    assert_eq!(app.change(&other.change).await["state"], "rejected");
    let events = app.get(&format!("/api/v1/changes/{}/events", waiting.change["id"]), &app.admin).await;
    let decided = events.as_array().unwrap().iter().rev().find(|e| e["action"] == "decide").expect("decided");
    assert_eq!(decided["payload"]["meeting_id"], second["id"], "the event names the meeting");
    assert_eq!(decided["payload"]["attendees"].as_array().unwrap().len(), 3, "and the attendees");
}

async fn a_change_manager_runs_a_meeting_on_its_page_from_opening_to_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    let (cato, cara) =
        (app.user("cato", &[Role::CabMember]).await, app.user("cara", &[Role::CabMember]).await);
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let reference = waiting.change["ref"].as_str().unwrap().to_owned();
    let now = app.ctx.clock.now();
    let meeting = app
        .post(
            "/api/v1/cab/meetings",
            &chair,
            json!({ "title": "Weekly", "starts_at": now + Duration::hours(2) }),
        )
        .await;
    let path = format!("/cab/meetings/{}", meeting["id"]);
    let client = sign_in(&app, &chair).await;
    let (_, html) = page(&client, &app, &path).await;
    assert!(html.contains("name=\"attendees\""), "the chair chooses who attends");
    let token = crate::pages::csrf(&html);
    let form =
        [("csrf", token.clone()), ("attendees", cato.id.to_string()), ("attendees", cara.id.to_string())];
    let response = client.post(format!("{}{path}/open", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client, &app, &path).await;
    assert!(html.contains("form class=\"decision\"") && html.contains("cato") && html.contains("cara"));
    // Enter in the comment never decides: a form without an outcome is refused.
    let change_id = waiting.change["id"].to_string();
    let bare = [("csrf", token.clone()), ("change_id", change_id.clone()), ("comment", "Fine".into())];
    let response = client.post(format!("{}{path}/decide", app.address)).form(&bare).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.change(&waiting.change).await["state"], "authorize");
    let approve = [
        ("csrf", token.clone()),
        ("change_id", change_id),
        ("comment", "Fine".into()),
        ("outcome", "approve".into()),
    ];
    let response = client.post(format!("{}{path}/decide", app.address)).form(&approve).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.change(&waiting.change).await["state"], "scheduled");
    let response =
        client.post(format!("{}{path}/close", app.address)).form(&[("csrf", token)]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client, &app, &path).await;
    assert!(html.contains("id=\"minutes\"") && html.contains(&reference), "the minutes");
    let markdown =
        client.get(format!("{}{path}/agenda.md", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(markdown.contains(&format!("1. **{reference}**")), "the minutes in Markdown: {markdown}");
}

/// The `.eml` files a delivery wrote, quoted-printable soft breaks undone.
fn emails(folder: &std::path::Path) -> Vec<String> {
    let mut all: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap().replace("=\r\n", "").replace("=\n", ""))
        .collect();
    all.sort();
    all
}

async fn deliver(app: &TestApp) -> Vec<String> {
    let folder = tempfile::tempdir().unwrap();
    let config = endring::config::Config { mail_dir: folder.path().to_owned(), ..Default::default() };
    let files = endring::mail::transport::Transport::from_config(&config).unwrap();
    endring::mail::worker::deliver_due(&app.ctx, &files).await.unwrap();
    emails(folder.path())
}

async fn send_agendas(app: &TestApp) -> usize {
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || endring::services::meetings::send_agendas(&ctx).unwrap())
        .await
        .unwrap()
}

/// The body of `name` in the iCalendar part of `email`, parsed by an independent parser.
fn invitation(email: &str) -> ical::parser::ical::component::IcalCalendar {
    let start = email.find("BEGIN:VCALENDAR").expect("an invitation");
    let end = email.find("END:VCALENDAR").unwrap() + "END:VCALENDAR".len();
    let text = email[start..end].replace("\r\n", "\n");
    ical::IcalParser::new(text.as_bytes()).next().unwrap().unwrap()
}

fn property(props: &[ical::property::Property], name: &str) -> String {
    props.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).unwrap_or_default()
}

async fn at_the_cutoff_members_and_delegates_get_the_agenda_once_with_the_meeting_invitation(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    let ola = app.user("ola", &[Role::CabMember]).await;
    let deputy = app.user("dina", &[]).await;
    let today = app.ctx.clock.now().with_timezone(&chrono_tz::Europe::Oslo).date_naive();
    app.post(
        "/api/v1/delegations",
        &ola,
        json!({ "delegate": deputy.id, "from": today, "until": today + Duration::days(3) }),
    )
    .await;
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    deliver(&app).await; // the vote requests
    let now = app.ctx.clock.now();
    let meeting = json!({ "title": "ECAB", "starts_at": now + Duration::hours(3), "cutoff_at": now + Duration::hours(1) });
    let meeting = app.post("/api/v1/cab/meetings", &chair, meeting).await;

    assert_eq!(send_agendas(&app).await, 0, "nothing before the cut-off");
    app.ctx.clock.advance(Duration::hours(1));
    let sent = send_agendas(&app).await;
    assert_eq!(send_agendas(&app).await, 0, "once");
    let mails = deliver(&app).await;
    let agendas: Vec<&String> = mails.iter().filter(|m| m.contains("Subject: Sakliste")).collect();
    assert_eq!(agendas.len(), sent, "every queued agenda is delivered");
    // Voters: the admin, the chair and Ola; and Ola's delegate.
    for person in [&app.admin, &chair, &ola, &deputy] {
        assert!(
            agendas.iter().any(|m| m.contains(&format!("To: {}", person.email))),
            "{} has it",
            person.email
        );
    }
    assert!(
        !mails.iter().any(|m| m.contains(&format!("To: {}", waiting.requester.email))),
        "not the requester"
    );
    let to_ola = agendas.iter().find(|m| m.contains(&format!("To: {}", ola.email))).unwrap();
    assert!(to_ola.contains(waiting.change["ref"].as_str().unwrap()), "the agenda holds the change");
    assert!(to_ola.contains("Til beslutning"), "in its section, in Bokmål");
    let to_deputy = agendas.iter().find(|m| m.contains(&format!("To: {}", deputy.email))).unwrap();
    assert!(to_deputy.contains("stedfortreder for ola"), "the delegate's copy says for whom");
    let calendar = invitation(to_ola);
    assert_eq!(property(&calendar.properties, "METHOD"), "REQUEST");
    let event = &calendar.events[0];
    let uid = property(&event.properties, "UID");
    // The same event as in Ola's calendar feed.
    let ctx = app.ctx.clone();
    let ola_caller = ctx
        .db
        .query(|conn| endring::db::users::caller(conn, endring::domain::ids::UserId(ola.id)))
        .unwrap()
        .unwrap();
    let (_, token) = endring::services::feeds::create(
        &ctx,
        &ola_caller,
        endring::services::feeds::FeedScope::Personal,
        None,
        &endring::domain::text::Text::literal("Mine"),
    )
    .unwrap();
    let feed = app
        .client
        .get(format!("{}/calendar.ics?token={token}", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed = ical::IcalParser::new(feed.as_bytes()).next().unwrap().unwrap();
    let in_feed: Vec<String> = feed.events.iter().map(|e| property(&e.properties, "UID")).collect();
    assert!(
        uid.starts_with(&format!("cab-meeting-{}@", meeting["id"])) && in_feed.contains(&uid),
        "{uid} in {in_feed:?}"
    );
    let starts: chrono::DateTime<chrono::Utc> = serde_json::from_value(meeting["starts_at"].clone()).unwrap();
    assert_eq!(property(&event.properties, "DTSTART"), starts.format("%Y%m%dT%H%M%SZ").to_string());

    // Cancelled: the members get a CANCEL of the same event, with the reason.
    let cancel = format!("/api/v1/cab/meetings/{}/cancel", meeting["id"]);
    app.post(&cancel, &chair, json!({ "reason": "Nothing urgent after all" })).await;
    let mails = deliver(&app).await;
    let to_ola = mails.iter().find(|m| m.contains(&format!("To: {}", ola.email))).expect("Ola hears of it");
    assert!(to_ola.contains("Subject: Avlyst") && to_ola.contains("Nothing urgent after all"), "{to_ola}");
    let calendar = invitation(to_ola);
    assert_eq!(property(&calendar.properties, "METHOD"), "CANCEL");
    assert_eq!(property(&calendar.events[0].properties, "UID"), uid);
    assert_eq!(property(&calendar.events[0].properties, "STATUS"), "CANCELLED");
}

async fn closing_a_meeting_emails_its_minutes_to_the_attendees(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    let (cato, cara) =
        (app.user("cato", &[Role::CabMember]).await, app.user("cara", &[Role::CabMember]).await);
    let absent = app.user("aksel", &[Role::CabMember]).await;
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    deliver(&app).await;
    let now = app.ctx.clock.now();
    let meeting = json!({ "title": "Extra", "starts_at": now + Duration::hours(2), "cutoff_at": now + Duration::hours(1) });
    let meeting = app.post("/api/v1/cab/meetings", &chair, meeting).await;
    let base = format!("/api/v1/cab/meetings/{}", meeting["id"]);
    app.post(&format!("{base}/open"), &chair, json!({ "attendees": [cato.id, cara.id, chair.id] })).await;
    let reject = json!({ "change_id": waiting.change["id"], "outcome": "reject", "comment": "Clashes with the payroll run" });
    app.post(&format!("{base}/decisions"), &chair, reject).await;
    deliver(&app).await; // the decision's own notices
    app.post(&format!("{base}/close"), &chair, json!({})).await;
    let mails = deliver(&app).await;
    let minutes: Vec<&String> = mails.iter().filter(|m| m.contains("Subject: Referat")).collect();
    assert_eq!(minutes.len(), 3, "one to each attendee");
    assert!(!minutes.iter().any(|m| m.contains(&format!("To: {}", absent.email))), "not to those absent");
    let one = minutes[0];
    let line = format!(
        "{} {}: Avvis",
        waiting.change["ref"].as_str().unwrap(),
        waiting.change["title"].as_str().unwrap()
    );
    assert!(
        one.contains(&line) && one.contains("Clashes with the payroll run"),
        "the decision and why:\n{one}"
    );
    assert!(one.contains("cato") && one.contains("cara"), "who attended");
    assert!(!one.contains("BEGIN:VCALENDAR"), "minutes carry no invitation");
}

async fn each_agenda_item_shows_its_conflicts_on_the_page_in_markdown_and_by_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    let waiting = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let calm = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(40))
        .in_state(ChangeState::Authorize)
        .await;
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(waiting.change["planned_start"].clone()).unwrap();
    let freeze = json!({ "title": "Payroll run", "starts_at": start - Duration::hours(1), "ends_at": start + Duration::hours(1) });
    app.post("/api/v1/blackouts", &chair, freeze).await;
    let now = app.ctx.clock.now();
    let meeting = json!({ "title": "CAB", "starts_at": now + Duration::hours(3), "cutoff_at": now + Duration::hours(2) });
    let meeting = app.post("/api/v1/cab/meetings", &chair, meeting).await;
    let path = format!("/api/v1/cab/meetings/{}", meeting["id"]);
    let detail = app.get(&path, &chair).await;
    let items = detail["agenda"][0]["items"].as_array().unwrap();
    let item = |change: &Value| items.iter().find(|i| i["change"]["id"] == change["id"]).unwrap().clone();
    let kinds = |item: Value| -> Vec<String> {
        item["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(kinds(item(&waiting.change)), ["blackout"]);
    assert!(kinds(item(&calm.change)).is_empty());
    let client = sign_in(&app, &chair).await;
    let (_, html) = page(&client, &app, &format!("/cab/meetings/{}", meeting["id"])).await;
    assert!(html.contains("Payroll run"), "the page names the freeze");
    let (_, markdown) = page(&client, &app, &format!("/cab/meetings/{}/agenda.md", meeting["id"])).await;
    assert!(markdown.contains("Payroll run"), "{markdown}");
    deliver(&app).await;
    app.ctx.clock.advance(Duration::hours(2));
    send_agendas(&app).await;
    let mails = deliver(&app).await;
    let agenda = mails.iter().find(|m| m.contains(&format!("To: {}", chair.email))).unwrap();
    assert!(agenda.contains("Payroll run"), "the emailed agenda too");
}

async fn the_meeting_settings_are_changed_on_the_admin_page_and_the_coming_meetings_follow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    plan(&app).await;
    // The first meeting's agenda goes out at its cut-off: that meeting stays as it is.
    let first = app.get("/api/v1/cab/meetings", &chair).await[0].clone();
    let cutoff: chrono::DateTime<chrono::Utc> = serde_json::from_value(first["cutoff_at"].clone()).unwrap();
    app.ctx.clock.advance(cutoff - app.ctx.clock.now() + Duration::minutes(1));
    send_agendas(&app).await;

    let wednesday = json!({ "meeting_day": "wednesday", "meeting_time": "13:00", "cutoff_time": "09:00", "on_holiday": "skip", "zone": "Europe/Oslo" });
    let put = |who: &crate::helpers::User, body: Value| {
        let (app, who) = (&app, who.clone());
        async move { app.call(reqwest::Method::PUT, "/api/v1/cab/settings", Some(&who), Some(body)).await }
    };
    assert_eq!(put(&member, wednesday.clone()).await.0, StatusCode::FORBIDDEN);
    for (field, value) in [("meeting_time", "25:00"), ("zone", "Mars/Base"), ("meeting_day", "sunday")] {
        let mut wrong = wednesday.clone();
        wrong[field] = json!(value);
        let (status, problem) = put(&chair, wrong).await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{problem}"
        );
    }
    let (status, saved) = put(&chair, wednesday.clone()).await;
    assert_eq!((status, saved["meeting_day"].as_str()), (StatusCode::OK, Some("wednesday")), "{saved}");
    assert_eq!(app.get("/api/v1/cab/settings", &app.admin).await, saved);
    let ids = |list: Value| -> Vec<i64> {
        list.as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect()
    };
    let before = ids(app.get("/api/v1/cab/meetings", &chair).await);
    put(&chair, wednesday).await;
    assert_eq!(
        ids(app.get("/api/v1/cab/meetings", &chair).await),
        before,
        "the same settings keep the meetings"
    );
    let (status, _) = put(&chair, json!({ "meeting_day": "friday" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "every setting is given, none reset to a default");

    let meetings = app.get("/api/v1/cab/meetings", &chair).await;
    let oslo = chrono_tz::Europe::Oslo;
    let regular: Vec<&Value> =
        meetings.as_array().unwrap().iter().filter(|m| m["kind"] == "regular").collect();
    assert_eq!(regular[0]["id"], first["id"], "the meeting whose agenda went out is kept");
    let weeks: Vec<chrono::IsoWeek> = regular
        .iter()
        .map(|m| {
            let starts: chrono::DateTime<chrono::Utc> =
                serde_json::from_value(m["starts_at"].clone()).unwrap();
            chrono::Datelike::iso_week(&starts.with_timezone(&chrono_tz::Europe::Oslo))
        })
        .collect();
    let mut distinct = weeks.clone();
    distinct.dedup();
    assert_eq!(distinct, weeks, "one regular meeting a week");
    assert!(regular.len() >= 7, "{meetings}");
    for meeting in &regular[1..] {
        let starts: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(meeting["starts_at"].clone()).unwrap();
        let local = starts.with_timezone(&oslo);
        assert_eq!(local.format("%A %H:%M").to_string(), "Wednesday 13:00", "{meeting}");
        let cutoff: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(meeting["cutoff_at"].clone()).unwrap();
        assert_eq!(cutoff.with_timezone(&oslo).format("%H:%M").to_string(), "09:00");
    }

    // The admin page shows the settings in force and saves them.
    let client = sign_in(&app, &app.admin).await;
    let (status, html) = page(&client, &app, "/admin/cab").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"13:00\""), "the form holds the settings in force");
    let (status, _) = crate::pages::post_form(
        &client,
        &app,
        "/admin/cab",
        &[
            ("meeting_day", "thursday"),
            ("meeting_time", "09:30"),
            ("cutoff_time", "12:00"),
            ("on_holiday", "next_working_day"),
            ("zone", "Europe/Oslo"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/api/v1/cab/settings", &app.admin).await["meeting_day"], "thursday");
    let events = app.get("/api/v1/cab/meetings", &chair).await;
    assert!(events.as_array().unwrap().iter().filter(|m| m["kind"] == "regular").skip(1).all(|m| {
        let starts: chrono::DateTime<chrono::Utc> = serde_json::from_value(m["starts_at"].clone()).unwrap();
        starts.with_timezone(&oslo).format("%H:%M").to_string() == "09:30"
    }));
}
