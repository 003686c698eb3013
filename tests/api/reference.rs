//! Reference data, the calendar, list filters, and conflicts shown on a change.

use crate::helpers::{low_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    blackouts_and_booked_changes_show_as_conflicts_and_on_the_calendar,
    the_change_list_filters_and_pages,
    reference_data_is_validated_and_unique,
    reference_data_is_edited_and_retired_never_lost,
    the_admin_pages_edit_and_retire_in_place,
);

async fn blackouts_and_booked_changes_show_as_conflicts_and_on_the_calendar(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let ci = app.ci("Archive", 3).await;
    let other_ci = app.ci("Website", 3).await;
    let now = app.ctx.clock.now();
    let freeze = app
        .post("/api/v1/blackouts", &app.admin, json!({
            "title": "Christmas freeze", "starts_at": now + chrono::Duration::days(9), "ends_at": now + chrono::Duration::days(12), "ci_ids": [],
        }))
        .await;
    let (status, problem) = app
        .post_status(
            "/api/v1/blackouts",
            &app.admin,
            json!({ "title": "Backwards", "starts_at": now, "ends_at": now - chrono::Duration::hours(1) }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let change = app.draft(&requester, &implementer, ci, 10).await;
    assert_eq!(change["conflicts"][0]["kind"], "blackout");
    assert_eq!(change["conflicts"][0]["blackout_id"], freeze["id"]);
    let elsewhere = app.draft(&requester, &implementer, other_ci, 20).await;
    assert_eq!(elsewhere["conflicts"], json!([]));

    // A window in a freeze goes to the CAB only when a change manager forces it, with a reason.
    app.answer_risk(&change, &requester, low_risk()).await;
    app.act(&change, "submit", &requester, json!({})).await;
    let (status, refused) = app.act(&change, "assess", &app.admin, json!({ "outcome": "authorize" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["conflicts"][0]["kind"], "blackout");
    assert_eq!(app.change(&change).await["state"], "assess");
    let forced = json!({ "outcome": "authorize", "force": true, "reason": "Security fix cannot wait" });
    let (status, authorized) = app.act(&change, "assess", &app.admin, forced).await;
    assert_eq!((status, authorized["state"].as_str()), (StatusCode::OK, Some("authorize")), "{authorized}");

    // Schedule `change` (the freeze still holds, so the deciding approval is forced too);
    // a later draft on the same CI in the same window lists it.
    let approve = json!({ "decision": "approve", "force": true, "reason": "Security fix cannot wait" });
    let (_, scheduled) = app.act(&change, "votes", &app.admin, approve).await;
    assert_eq!(scheduled["state"], "scheduled");
    let later = app.draft(&requester, &app.admin, ci, 10).await;
    let kinds: Vec<&str> =
        later["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["shared_ci", "blackout"]);
    assert_eq!(later["conflicts"][0]["change_ref"], change["ref"]);

    // Rescheduling into the freeze is refused; a change manager may force it with a reason.
    let start = now + chrono::Duration::days(11);
    let window = json!({ "planned_start": start, "planned_end": start + chrono::Duration::hours(1) });
    let (status, refused) = app.act(&change, "reschedule", &app.admin, window.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["conflicts"][0]["kind"], "blackout");
    let mut forced = window.clone();
    forced["force"] = json!(true);
    let (status, _) = app.act(&change, "reschedule", &app.admin, forced.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "forcing needs a reason");
    forced["reason"] = json!("Vendor only available then");
    let (status, moved) = app.act(&change, "reschedule", &app.admin, forced).await;
    assert_eq!(status, StatusCode::OK, "{moved}");

    let calendar = app
        .get(
            &format!(
                "/api/v1/calendar?from={}&to={}",
                (now).to_rfc3339().replace('+', "%2B"),
                (now + chrono::Duration::days(30)).to_rfc3339().replace('+', "%2B")
            ),
            &requester,
        )
        .await;
    let refs: Vec<&str> =
        calendar["changes"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(refs, [change["ref"].as_str().unwrap()], "drafts are not on the calendar");
    assert_eq!(calendar["blackouts"][0]["title"], "Christmas freeze");
    let (status, _) = app
        .call(
            reqwest::Method::GET,
            "/api/v1/calendar?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z",
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a calendar spans at most a year");
}

async fn the_change_list_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    let other = app.user("other", &[]).await;
    let implementer = app.user("implementer", &[Role::Implementer]).await;
    let archive = app.ci("Archive", 3).await;
    let web = app.ci("Website", 3).await;
    for i in 0..5 {
        app.draft(&requester, &implementer, archive, 10 + i).await;
    }
    let emergency = app
        .post(
            "/api/v1/changes",
            &other,
            json!({ "title": "URGENT Patch the Website", "type": "emergency", "ci_ids": [web] }),
        )
        .await;
    let page = app.get("/api/v1/changes?limit=2&offset=1", &requester).await;
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["id"].as_i64(), Some(emergency["id"].as_i64().unwrap() - 1), "newest first");
    let by_type = app.get("/api/v1/changes?type=emergency", &requester).await;
    assert_eq!(by_type["total"], 1);
    let by_ci = app.get(&format!("/api/v1/changes?ci={archive}"), &requester).await;
    assert_eq!(by_ci["total"], 5);
    let search = app.get("/api/v1/changes?q=urgent%20patch", &requester).await;
    assert_eq!(search["items"][0]["ref"], emergency["ref"], "search ignores case on both backends");
    let mine = app.get("/api/v1/changes?mine=true", &other).await;
    assert_eq!(mine["total"], 1);
    let percent = app.get("/api/v1/changes?q=%25", &requester).await;
    assert_eq!(percent["total"], 0, "% is a character, not a wildcard");
}

async fn reference_data_is_validated_and_unique(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("requester", &[]).await;
    app.ci("Archive", 1).await;
    let (status, _) = app
        .post_status(
            "/api/v1/cis",
            &app.admin,
            json!({ "name": "Archive", "kind": "app", "criticality": 2, "owner_email": "a@b.no" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = app
        .post_status(
            "/api/v1/cis",
            &app.admin,
            json!({ "name": "", "kind": "app", "criticality": 7, "owner_email": "nobody" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");
    let cis = app.get("/api/v1/cis", &requester).await;
    assert_eq!(cis.as_array().unwrap().len(), 1);
    let (status, _) = app
        .post_status("/api/v1/templates", &requester, json!({ "name": "T", "implementation_plan": "a", "backout_plan": "b", "test_plan": "c", "max_duration_minutes": 10 }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "requesters do not make templates");
    let templates = app.get("/api/v1/templates", &requester).await;
    assert_eq!(templates, json!([]));
}

fn conflict_kinds(change: &serde_json::Value) -> Vec<String> {
    change["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap().to_owned()).collect()
}

async fn reference_data_is_edited_and_retired_never_lost(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("mona", &[Role::ChangeManager]).await;
    let ci = app.ci("Archive", 3).await;
    let other = app.ci("Website", 3).await;
    let put = |path: String, who: &crate::helpers::User, body: serde_json::Value| {
        let (app, who) = (&app, who.clone());
        async move { app.call(reqwest::Method::PUT, &path, Some(&who), Some(body)).await }
    };
    // A CI: renamed by an admin (not by a change manager), never onto another's name.
    let renamed = json!({ "name": "Archive (Noark 5)", "kind": "service", "criticality": 2, "owner_email": "arkiv@example.no" });
    let (status, _) = put(format!("/api/v1/cis/{ci}"), &manager, renamed.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, saved) = put(format!("/api/v1/cis/{ci}"), &app.admin, renamed).await;
    assert_eq!(
        (status, saved["name"].as_str(), saved["criticality"].as_i64()),
        (StatusCode::OK, Some("Archive (Noark 5)"), Some(2))
    );
    let clash =
        json!({ "name": "Website", "kind": "service", "criticality": 2, "owner_email": "arkiv@example.no" });
    let (status, problem) = put(format!("/api/v1/cis/{ci}"), &app.admin, clash).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::CONFLICT, Some("name")),
        "{problem}"
    );
    let (status, _) = put(
        "/api/v1/cis/999999".into(),
        &app.admin,
        json!({ "name": "X", "kind": "k", "criticality": 2, "owner_email": "a@b.no" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Retired: the change that names it keeps it; nothing new may name it.
    let staged = app.new_change().on_ci(ci).in_state(endring::domain::change::ChangeState::Draft).await;
    let (status, _) = app.post_status(&format!("/api/v1/cis/{ci}/retire"), &app.admin, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.post_status(&format!("/api/v1/cis/{ci}/retire"), &app.admin, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "retired once");
    assert_eq!(app.change(&staged.change).await["cis"][0]["name"], "Archive (Noark 5)");
    // The draft that names it can still be edited (it keeps its CI; nothing new takes it).
    let path = format!("/api/v1/changes/{}", staged.change["id"]);
    let title = json!({ "title": "Patch the archive" });
    let version = format!("\"{}\"", app.change(&staged.change).await["version"]);
    let if_match = [("If-Match", version.as_str())];
    let (status, _, edited) =
        app.call_with(reqwest::Method::PATCH, &path, Some(&staged.requester), Some(title), &if_match).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let listed = app.get("/api/v1/cis", &app.admin).await;
    let archive = listed.as_array().unwrap().iter().find(|c| c["id"] == ci).unwrap();
    assert_eq!(archive["retired"], true, "still listed, marked retired");
    let blackout = json!({ "title": "Freeze", "starts_at": app.ctx.clock.now() + chrono::Duration::days(1), "ends_at": app.ctx.clock.now() + chrono::Duration::days(2), "ci_ids": [ci] });
    let (status, problem) = app.post_status("/api/v1/blackouts", &manager, blackout).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ci_ids")),
        "{problem}"
    );

    // A template: changed, then retired; no new standard change starts from it.
    let template = app.post("/api/v1/templates", &manager, json!({
        "name": "Restart web", "implementation_plan": "Restart", "backout_plan": "Start again", "test_plan": "Open it",
        "max_duration_minutes": 30, "ci_ids": [other],
    })).await;
    let (status, saved) = put(format!("/api/v1/templates/{}", template["id"]), &manager, json!({
        "name": "Restart the website", "implementation_plan": "Restart both nodes", "backout_plan": "Start again", "test_plan": "Open it",
        "max_duration_minutes": 45, "ci_ids": [other],
    })).await;
    assert_eq!((status, saved["max_duration_minutes"].as_i64()), (StatusCode::OK, Some(45)), "{saved}");
    let (status, _) =
        app.post_status(&format!("/api/v1/templates/{}/retire", template["id"]), &manager, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let requester = staged.requester.clone();
    let start = app.ctx.clock.now() + chrono::Duration::days(5);
    let standard = json!({
        "title": "Restart", "description": "d", "justification": "j", "type": "standard", "template_id": template["id"],
        "ci_ids": [other], "planned_start": start, "planned_end": start + chrono::Duration::minutes(30),
    });
    let (status, problem) = app.post_status("/api/v1/changes", &requester, standard).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("template_id")),
        "{problem}"
    );

    // A blackout: moved onto a change's window it conflicts; retired, it no longer does.
    // At ten in the morning, so that its window never crosses midnight (the maintenance
    // window below is one day's).
    let ten_days = (app.ctx.clock.now() + chrono::Duration::days(10)).with_timezone(&chrono_tz::Europe::Oslo);
    let morning = chrono::TimeZone::from_local_datetime(
        &chrono_tz::Europe::Oslo,
        &ten_days.date_naive().and_hms_opt(10, 0, 0).unwrap(),
    )
    .single()
    .unwrap()
    .with_timezone(&chrono::Utc);
    let booked = app
        .new_change()
        .on_ci(other)
        .starting_at(morning)
        .in_state(endring::domain::change::ChangeState::Draft)
        .await;
    let window_start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(booked.change["planned_start"].clone()).unwrap();
    let freeze = app.post("/api/v1/blackouts", &manager, json!({ "title": "Payroll", "starts_at": window_start - chrono::Duration::days(5), "ends_at": window_start - chrono::Duration::days(4) })).await;
    assert!(!conflict_kinds(&app.change(&booked.change).await).contains(&"blackout".to_owned()));
    let moved = json!({ "title": "Payroll run", "starts_at": window_start - chrono::Duration::hours(1), "ends_at": window_start + chrono::Duration::hours(1) });
    let (status, _) = put(format!("/api/v1/blackouts/{}", freeze["id"]), &manager, moved).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        conflict_kinds(&app.change(&booked.change).await).contains(&"blackout".to_owned()),
        "the moved freeze covers it"
    );
    let (status, _) =
        app.post_status(&format!("/api/v1/blackouts/{}/retire", freeze["id"]), &manager, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !conflict_kinds(&app.change(&booked.change).await).contains(&"blackout".to_owned()),
        "retired, it freezes nothing"
    );
    let (status, _) = put(format!("/api/v1/blackouts/{}", freeze["id"]), &manager, json!({ "title": "Again", "starts_at": window_start, "ends_at": window_start + chrono::Duration::hours(1) })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a retired blackout is not edited back to life");

    // A maintenance window's rule changed: the change is now outside it.
    let local = window_start.with_timezone(&chrono_tz::Europe::Oslo);
    let weekday = local.format("%A").to_string().to_lowercase();
    let rule = |starts: &str, ends: &str| json!({ "ci_id": other, "weekday": weekday, "starts": starts, "ends": ends });
    let window = app.post("/api/v1/maintenance-windows", &manager, rule("00:00", "23:59")).await;
    assert!(!conflict_kinds(&app.change(&booked.change).await).contains(&"outside_maintenance".to_owned()));
    let elsewhere = json!({ "ci_id": other, "weekday": if weekday == "monday" { "friday" } else { "monday" }, "starts": "18:00", "ends": "22:00" });
    let (status, _) = put(format!("/api/v1/maintenance-windows/{}", window["id"]), &manager, elsewhere).await;
    assert_eq!(status, StatusCode::OK);
    assert!(conflict_kinds(&app.change(&booked.change).await).contains(&"outside_maintenance".to_owned()));

    // The history keeps what each was.
    let audit = app.ctx.clone();
    let events: Vec<(String, serde_json::Value)> = actix_web::rt::task::spawn_blocking(move || {
        audit.db.query(|conn| endring::db::audit::batch_after(conn, 0, 10_000)).unwrap()
    })
    .await
    .unwrap()
    .into_iter()
    .map(|e| (e.action, serde_json::from_str(&e.payload).unwrap()))
    .collect();
    let actions: Vec<&str> = events.iter().map(|(action, _)| action.as_str()).collect();
    for action in [
        "update_ci",
        "retire_ci",
        "update_template",
        "retire_template",
        "update_blackout",
        "retire_blackout",
        "update_maintenance_window",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let update = events.iter().find(|(a, _)| a == "update_ci").unwrap();
    assert_eq!(
        (update.1["before"]["name"].as_str(), update.1["after"]["name"].as_str()),
        (Some("Archive"), Some("Archive (Noark 5)"))
    );
}

async fn the_admin_pages_edit_and_retire_in_place(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ci = app.ci("Archive", 3).await;
    let browser = crate::pages::sign_in(&app, &app.admin).await;
    let (status, html) = crate::pages::page(&browser, &app, &format!("/admin/cis?edit={ci}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("action=\"/admin/cis/{ci}\"")), "the form edits the CI");
    assert!(html.contains("value=\"Archive\""), "filled in with the CI as it is");
    let csrf = crate::pages::csrf(&html);
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let (browser, app, csrf) = (&browser, &app, csrf.clone());
        async move {
            let mut form = vec![("csrf", csrf)];
            form.extend(fields);
            browser.post(format!("{}{path}", app.address)).form(&form).send().await.unwrap()
        }
    };
    let fields = |name: &str, email: &str| {
        vec![
            ("name", name.to_owned()),
            ("kind", "service".to_owned()),
            ("criticality", "1".to_owned()),
            ("owner_email", email.to_owned()),
        ]
    };
    // A refusal keeps the edit form and what was typed.
    let refused = post(format!("/admin/cis/{ci}"), fields("Archive 2", "not an address")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"/admin/cis/{ci}\"")) && html.contains("value=\"Archive 2\""),
        "still editing, typed kept"
    );
    let saved = post(format!("/admin/cis/{ci}"), fields("Archive 2", "arkiv@example.no")).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let listed = app.get("/api/v1/cis", &app.admin).await;
    assert_eq!((listed[0]["name"].as_str(), listed[0]["criticality"].as_i64()), (Some("Archive 2"), Some(1)));
    let retired = post(format!("/admin/cis/{ci}/retire"), Vec::new()).await;
    assert_eq!(retired.status(), StatusCode::SEE_OTHER);
    let (_, html) = crate::pages::page(&browser, &app, "/admin/cis").await;
    assert!(html.contains("Retired") || html.contains("Faset ut"), "marked retired in the list");
    assert_eq!(app.get("/api/v1/cis", &app.admin).await[0]["retired"], true);
}
