//! The DST nights in Europe/Oslo through the whole stack: a change planned 01:00–04:00 on
//! the last Sunday of March (a 2-hour night) and of October (a 4-hour night) is stored,
//! shown, exported (invitation and feed, read by an independent iCalendar parser) and
//! conflict-checked as the instants it is; a maintenance window 01:00–04:00 holds it.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{page, post_form, sign_in};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use endring::domain::change::ChangeState;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    the_dst_nights_are_stored_shown_exported_and_conflict_checked_as_instants,
    a_repeated_local_time_is_asked_about_and_a_skipped_one_refused_on_the_form,
    a_blackout_starting_in_the_second_repeated_hour_is_saved_again_unchanged
);

fn oslo(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap());
    chrono_tz::Europe::Oslo.from_local_datetime(&local).single().unwrap().with_timezone(&Utc)
}

fn ics_times(text: &str, uid: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for calendar in ical::IcalParser::new(text.as_bytes()) {
        for event in calendar.expect("it parses").events {
            let value = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            if value("UID").starts_with(uid) {
                found.push((value("DTSTART"), value("DTEND")));
            }
        }
    }
    found
}

fn conflict_kinds(change: &Value) -> Vec<String> {
    change["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap().to_owned()).collect()
}

async fn the_dst_nights_are_stored_shown_exported_and_conflict_checked_as_instants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ci = app.ci("Archive", 3).await;
    let window = json!({ "ci_id": ci, "weekday": "sunday", "starts": "01:00", "ends": "04:00", "zone": "Europe/Oslo" });
    app.post("/api/v1/maintenance-windows", &app.admin, window).await;
    let admin_browser = sign_in(&app, &app.admin).await;
    let ctx = app.ctx.clone();
    let admin = ctx
        .db
        .query(|conn| endring::db::users::caller(conn, endring::domain::ids::UserId(app.admin.id)))
        .unwrap()
        .unwrap();
    let (_, token) = endring::services::feeds::create(
        &ctx,
        &admin,
        endring::services::feeds::FeedScope::All,
        None,
        &endring::domain::text::Text::literal("All"),
    )
    .unwrap();
    let nights = [
        // Last Sunday of March 2027: 02:00 CET becomes 03:00 CEST.
        (
            NaiveDate::from_ymd_opt(2027, 3, 28).unwrap(),
            2,
            "title=\"CET\">28.03.2027 kl. 01:00",
            "title=\"CEST\">28.03.2027 kl. 04:00",
            ("20270328T000000Z", "20270328T020000Z"),
        ),
        // Last Sunday of October 2027: 03:00 CEST becomes 02:00 CET.
        (
            NaiveDate::from_ymd_opt(2027, 10, 31).unwrap(),
            4,
            "title=\"CEST\">31.10.2027 kl. 01:00",
            "title=\"CET\">31.10.2027 kl. 04:00",
            ("20271030T230000Z", "20271031T030000Z"),
        ),
    ];
    for (day, hours, shown_start, shown_end, (ics_start, ics_end)) in nights {
        let (start, end) = (oslo(day, 1), oslo(day, 4));
        assert_eq!((end - start).num_hours(), hours);
        let staged = app.new_change().on_ci(ci).starting_at(start).in_state(ChangeState::Scheduled).await;
        let body = json!({ "planned_start": start, "planned_end": end });
        let (status, moved) = app.act(&staged.change, "reschedule", &staged.manager, body).await;
        assert_eq!(status, StatusCode::OK, "{moved}");

        // Stored as the instants.
        let stored = app.change(&staged.change).await;
        let at = |field: &str| serde_json::from_value::<DateTime<Utc>>(stored[field].clone()).unwrap();
        assert_eq!((at("planned_start"), at("planned_end")), (start, end));
        assert!(
            !conflict_kinds(&stored).contains(&"outside_maintenance".to_owned()),
            "the 01:00–04:00 window holds it: {}",
            stored["conflicts"]
        );

        // Shown in local time, the zone that applies at each end named in the time's title.
        let reference = stored["ref"].as_str().unwrap().to_owned();
        let (_, html) = page(&admin_browser, &app, &format!("/changes/{reference}")).await;
        assert!(html.contains(shown_start) && html.contains(shown_end), "{shown_start} – {shown_end}");

        // Exported: the invitation sent for the new window and the calendar feed.
        let folder = tempfile::tempdir().unwrap();
        let config = endring::config::Config { mail_dir: folder.path().to_owned(), ..Default::default() };
        let files = endring::mail::transport::Transport::from_config(&config).unwrap();
        endring::mail::worker::deliver_due(&app.ctx, &files).await.unwrap();
        let mut invitations = Vec::new();
        for entry in std::fs::read_dir(folder.path()).unwrap() {
            let mail = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if let (Some(from), Some(to)) = (mail.find("BEGIN:VCALENDAR"), mail.rfind("END:VCALENDAR")) {
                let ics = mail[from..to + "END:VCALENDAR".len()].replace("=\r\n", "");
                invitations.extend(ics_times(&ics, &format!("change-{reference}")));
            }
        }
        let wanted = (ics_start.to_owned(), ics_end.to_owned());
        assert!(invitations.contains(&wanted), "the rescheduled invitation: {invitations:?}");
        let feed = app
            .client
            .get(format!("{}/calendar.ics?token={token}", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let in_feed = ics_times(&feed, &format!("change-{reference}"));
        // The feed reaches 180 days ahead: the March night is in it, October's not yet.
        if start < app.ctx.clock.now() + endring::services::feeds::AHEAD {
            assert_eq!(in_feed, std::slice::from_ref(&wanted), "the feed's event");
        }

        // Conflict-checked as instants: a change in the night's last local hour clashes, one
        // right after it does not.
        let last_hour = json!({
            "title": "Last hour", "description": "d", "justification": "j", "type": "normal", "ci_ids": [ci],
            "planned_start": end - chrono::Duration::hours(1), "planned_end": end,
        });
        let clash = app.post("/api/v1/changes", &staged.requester, last_hour).await;
        let clash = app.change(&clash).await;
        assert!(conflict_kinds(&clash).contains(&"shared_ci".to_owned()), "{}", clash["conflicts"]);
        let after = json!({
            "title": "After", "description": "d", "justification": "j", "type": "normal", "ci_ids": [ci],
            "planned_start": end, "planned_end": end + chrono::Duration::hours(1),
        });
        let after = app.post("/api/v1/changes", &staged.requester, after).await;
        let after = app.change(&after).await;
        assert!(!conflict_kinds(&after).contains(&"shared_ci".to_owned()), "{}", after["conflicts"]);
    }
}

/// The change form, typed as a Norwegian would, for the night of 31 October 2027 in Oslo.
fn night_form(ci: i64, start: &str, fold: Option<&str>) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("title", "Nattjobb".to_owned()),
        ("type", "normal".to_owned()),
        ("description", "d".to_owned()),
        ("ci_ids", ci.to_string()),
        ("planned_start", start.to_owned()),
        ("planned_end", "31.10.2027 kl. 04:00".to_owned()),
    ];
    if let Some(fold) = fold {
        fields.push(("planned_start_fold", fold.to_owned()));
    }
    fields
}

async fn a_repeated_local_time_is_asked_about_and_a_skipped_one_refused_on_the_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let client = sign_in(&app, &requester).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let (client, app) = (&client, &app);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(client, app, "/changes/new", &fields).await
        }
    };

    // 02:30 happens twice that night: the form asks which, and nothing is filed.
    let (status, html) = post(night_form(ci, "31.10.2027 kl. 02:30", None)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("kommer to ganger den natten"), "the message says why (in Bokmål, the default)");
    assert!(html.contains("name=\"planned_start_fold\" value=\"earlier\""), "the first is offered");
    assert!(html.contains("name=\"planned_start_fold\" value=\"later\""), "the second is offered");
    assert!(html.contains("UTC+02:00") && html.contains("UTC+01:00"), "each named by its offset");
    assert!(html.contains("value=\"31.10.2027 kl. 02:30\""), "what was typed is kept");
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 0);

    // Answered, each means its own instant.
    for (fold, utc) in [("earlier", "2027-10-31T00:30:00Z"), ("later", "2027-10-31T01:30:00Z")] {
        let (status, location) = post(night_form(ci, "31.10.2027 kl. 02:30", Some(fold))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
        let reference = location.rsplit('/').next().unwrap().to_owned();
        let stored = app.get(&format!("/api/v1/changes/{reference}"), &app.admin).await;
        let start: DateTime<Utc> = serde_json::from_value(stored["planned_start"].clone()).unwrap();
        assert_eq!(start, utc.parse::<DateTime<Utc>>().unwrap(), "{fold}");
    }

    // 02:30 does not exist on the last Sunday of March: one clear message.
    let mut spring = night_form(ci, "28.03.2027 kl. 02:30", None);
    spring[5].1 = "28.03.2027 kl. 04:00".to_owned();
    let (status, html) = post(spring).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("finnes ikke den dagen i Europe/Oslo"), "{html}");
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 2);
}

async fn a_blackout_starting_in_the_second_repeated_hour_is_saved_again_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 02:30 the second time that night: 01:30 UTC.
    let start: DateTime<Utc> = "2027-10-31T01:30:00Z".parse().unwrap();
    let body = serde_json::json!({ "title": "Nattfrys", "starts_at": start, "ends_at": start + chrono::Duration::hours(3) });
    let created = app.post("/api/v1/blackouts", &app.admin, body).await;
    let client = sign_in(&app, &app.admin).await;
    let edit = format!("/admin/blackouts?edit={}", created["id"]);
    let (status, html) = crate::pages::page(&client, &app, &edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"starts_at_fold\" value=\"later\" checked"),
        "the form knows which 02:30 it is"
    );
    // Saved as shown: the same instant, not a question back nor the earlier hour.
    let fields = [
        ("title", "Nattfrys"),
        ("starts_at", "2027-10-31T02:30"),
        ("starts_at_fold", "later"),
        ("ends_at", "2027-10-31T04:30"),
    ];
    let path = format!("/admin/blackouts/{}", created["id"]);
    let (status, location) = post_form(&client, &app, &path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let listed =
        app.get("/api/v1/blackouts?from=2027-10-30T00:00:00Z&to=2027-11-01T00:00:00Z", &app.admin).await;
    let stored: DateTime<Utc> = serde_json::from_value(listed[0]["starts_at"].clone()).unwrap();
    assert_eq!(stored, start);
}
