//! The HTML pages, server side: status, key content, sign-in, CSRF, role-based buttons,
//! language. (The browser suite in tests/e2e drives the same pages in chromium.)

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{redirect, Client, StatusCode};
use serde_json::json;

on_both_backends!(
    every_page_answers_its_viewer,
    pages_need_a_session_and_sign_in_starts_one,
    forms_without_the_session_csrf_token_are_refused,
    the_change_page_shows_exactly_the_actions_the_viewer_may_take,
    pages_speak_the_viewers_language,
    a_change_goes_through_assessment_and_the_cab_on_the_web,
    changing_the_password_ends_every_other_session_and_api_token,
    the_reject_control_says_one_rejection_ends_the_change_when_veto_is_on,
    refusals_name_fields_by_their_label_and_times_as_the_reader_writes_them,
    the_edit_form_and_the_admin_index_are_refused_to_those_who_may_not_use_them,
    the_cab_queue_shows_each_change_and_where_the_viewer_stands_and_a_vote_returns_to_it,
    a_page_asked_with_a_method_it_does_not_take_gets_405_naming_those_it_does,
    an_oversized_form_gets_413_not_a_csrf_refusal_and_stores_nothing,
    a_body_that_stalls_gets_408_and_the_connection_closes,
);

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
}

/// The CSRF token of the first form in `html`.
pub fn csrf(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[start..start + 64].to_owned()
}

/// The sign-in form on `page`, filled in with `user`'s email and password.
pub fn sign_in_form(page: &str, user: &User) -> [(&'static str, String); 4] {
    [
        ("csrf", csrf(page)),
        ("email", user.email.clone()),
        ("password", "correct horse battery staple".into()),
        ("next", "/".into()),
    ]
}

pub async fn sign_in(app: &TestApp, user: &User) -> Client {
    let client = browser();
    let page = client.get(format!("{}/sign-in", app.address)).send().await.unwrap().text().await.unwrap();
    let form = sign_in_form(&page, user);
    let response = client.post(format!("{}/sign-in", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in as {}", user.email);
    client
}

pub async fn page(client: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = client.get(format!("{}{path}", app.address)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

pub async fn post_form(
    client: &Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    post_form_from(client, app, path.rsplit_once('/').map_or("/", |(p, _)| p), path, fields).await
}

/// Posts `fields` to `path` with the CSRF token of the page `from` (where the form is);
/// the status and the redirect's location, or the page answered.
pub async fn post_form_from(
    client: &Client,
    app: &TestApp,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, html) = page(client, app, from).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf(&html))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let response = client.post(format!("{}{path}", app.address)).form(&form).send().await.unwrap();
    let status = response.status();
    let location =
        response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, if location.is_empty() { response.text().await.unwrap() } else { location })
}

/// Each page, for a viewer allowed to see it, and what someone not allowed gets.
async fn every_page_answers_its_viewer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("nora", &[Role::Manager]).await;
    let requester = app.user("rita", &[]).await;
    let ci = app.ci("Archive", 3).await;
    let change = app.draft(&requester, &app.admin, ci, 10).await;
    let reference = change["ref"].as_str().unwrap().to_owned();
    let admin = sign_in(&app, &app.admin).await;
    let pages = [
        ("/", "<h1"),
        ("/changes", &*reference),
        ("/changes/new", "answers-tested-yes"),
        (&*format!("/changes/{reference}"), "id=\"facts\""),
        ("/cab", "<h1"),
        ("/calendar?view=list", "calendar-nav"),
        ("/reports", "svg"),
        ("/admin", "/admin/users"),
        ("/admin/users", "rita@test.endring.no"),
        ("/admin/cis", "Archive"),
        ("/admin/templates", "max_duration_minutes"),
        ("/admin/blackouts", "starts_at"),
        ("/profile", "timezone"),
    ];
    for (path, expected) in pages {
        let (status, html) = page(&admin, &app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(expected), "{path} lacks {expected}");
        assert!(html.contains("class=\"skip\"") && html.contains("<main"), "{path} is in the layout");
    }
    let rita = sign_in(&app, &requester).await;
    let (status, html) = page(&rita, &app, &format!("/changes/{reference}/edit")).await;
    assert_eq!(status, StatusCode::OK, "the requester edits her draft");
    assert!(html.contains("name=\"version\""));
    for path in ["/reports", "/admin", "/admin/users", "/admin/cis", &format!("/changes/{reference}/edit")] {
        if path.ends_with("/edit") {
            // Only its requester edits a draft, not even an admin.
            let (status, html) = page(&admin, &app, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert!(html.contains("role=\"alert\""), "{path} explains the refusal");
            continue;
        }
        let (status, html) = page(&rita, &app, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("role=\"alert\""), "{path} explains the refusal");
    }
    let (_, home) = page(&sign_in(&app, &manager).await, &app, "/").await;
    assert!(
        home.contains("href=\"/reports\"") && !home.contains("href=\"/admin\""),
        "the navigation follows the policy"
    );
}

async fn pages_need_a_session_and_sign_in_starts_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let anonymous = browser();
    let response = anonymous.get(format!("{}/changes?state=draft", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in?next=%2Fchanges%3Fstate%3Ddraft");

    let (_, html) = page(&anonymous, &app, "/sign-in").await;
    let mut wrong = sign_in_form(&html, &user);
    wrong[2].1 = "wrong password".into();
    let response = anonymous.post(format!("{}/sign-in", app.address)).form(&wrong).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("role=\"alert\""));

    let (_, html) = page(&anonymous, &app, "/sign-in").await;
    let mut elsewhere = sign_in_form(&html, &user);
    elsewhere[3].1 = "/\t/evil.example".into();
    let response = anonymous.post(format!("{}/sign-in", app.address)).form(&elsewhere).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/", "never sent to another site after signing in");

    let client = sign_in(&app, &user).await;
    let (status, home) = page(&client, &app, "/").await;
    assert_eq!(status, StatusCode::OK);
    for path in
        ["/reports?to=%2B262143-12-31", "/calendar?date=%2B262143-12-15&view=week", "/changes?page=-4"]
    {
        let (status, _) = page(&client, &app, path).await;
        assert!(status.is_success() || status.is_client_error(), "{path}: {status}");
    }
    assert!(home.contains("rita"), "the home page greets the viewer");
    let cookie = client.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(cookie.status(), StatusCode::OK);

    let (status, location) = post_form(&client, &app, "/sign-out", &[]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/sign-in"));
    let response = client.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed out");
    let (status, html) = page(&browser(), &app, "/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<main"), "errors are pages in the same layout");
}

async fn forms_without_the_session_csrf_token_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let client = sign_in(&app, &user).await;
    let forged = [("csrf", "0".repeat(64)), ("title", "Forged".into()), ("type", "normal".into())];
    let response = client.post(format!("{}/changes/new", app.address)).form(&forged).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let missing = [("title", "No token"), ("type", "normal")];
    let response = client.post(format!("{}/changes/new", app.address)).form(&missing).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let listed = app.get("/api/v1/changes", &app.admin).await;
    assert_eq!(listed["total"], 0, "nothing was created");
}

async fn the_change_page_shows_exactly_the_actions_the_viewer_may_take(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[Role::CabMember]).await;
    let other = app.user("olav", &[]).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let mut staged = app.new_change().requested_by(&requester).in_state(ChangeState::Draft).await;
    let path = format!("/changes/{}", staged.change["ref"].as_str().unwrap());
    let (_, own) = page(&sign_in(&app, &requester).await, &app, &path).await;
    assert!(
        own.contains(&format!("{path}/edit")) && own.contains(&format!("{path}/submit")),
        "the requester edits and submits"
    );
    let (_, theirs) = page(&sign_in(&app, &other).await, &app, &path).await;
    assert!(!theirs.contains(&format!("{path}/edit")) && !theirs.contains(&format!("{path}/submit")));
    assert!(
        !theirs.contains(&format!("{path}/delete")) && theirs.contains(&format!("{path}/copy")),
        "someone else's draft offers only a copy of it"
    );
    assert!(own.contains(&format!("{path}/delete")), "the requester may delete a draft never submitted");
    let facts = own.find("id=\"key-facts\"").expect("key facts");
    assert!(facts < own.find("id=\"actions\"").expect("actions"), "the facts come before the actions");

    // In assessment, one way to send it back: the Return action, not a second button on
    // the assessment form.
    staged.reach(&app, ChangeState::Assess).await;
    let manager = sign_in(&app, &staged.manager).await;
    let (_, assessing) = page(&manager, &app, &path).await;
    assert!(assessing.contains(&format!("action=\"{path}/return\"")), "return to the requester");
    assert!(!assessing.contains("value=\"return\""), "and no second send-back on the assess form");
    assert!(
        assessing.contains("<details class=\"action\" open><summary>Send til CAB"),
        "assessing is the likely next step, open"
    );

    staged.reach(&app, ChangeState::Authorize).await;
    let (_, own) = page(&sign_in(&app, &requester).await, &app, &path).await;
    assert!(!own.contains("value=\"approve\""), "no vote buttons on one's own change");
    let (_, voter) = page(&sign_in(&app, &member).await, &app, &path).await;
    assert!(voter.contains("value=\"approve\"") && voter.contains("value=\"reject\""));

    // Scheduled with its window ahead: no Start button, but when it can be started.
    staged.reach(&app, ChangeState::Scheduled).await;
    let (_, implementing) = page(&sign_in(&app, &staged.implementer).await, &app, &path).await;
    assert!(
        !implementing.contains(&format!("action=\"{path}/start\"")),
        "start is not offered before the window"
    );
    assert!(implementing.contains("Du kan starte den når vinduet åpner:"), "the page says when it opens");

    // A refused reschedule shows the page again with what was typed, its form open.
    let (status, refused) = post_form(
        &manager,
        &app,
        &format!("{path}/reschedule"),
        &[("planned_start", "31.02.2027 10:00"), ("planned_end", "kl 12")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("value=\"31.02.2027 10:00\"") && refused.contains("value=\"kl 12\""),
        "typed values kept"
    );
    assert!(
        refused.contains("<details class=\"action\" open><summary>Flytt"),
        "the refused action is open again"
    );
    assert!(refused.contains("role=\"alert\" tabindex=\"-1\" autofocus"), "the reason gets focus");
}

async fn pages_speak_the_viewers_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let get = |lang: &'static str| {
        let url = format!("{}/sign-in", app.address);
        async move {
            browser().get(url).header("accept-language", lang).send().await.unwrap().text().await.unwrap()
        }
    };
    assert!(get("en-GB,en;q=0.8").await.contains("<html lang=\"en\""));
    assert!(get("nb-NO,nb;q=0.9").await.contains("Logg inn"));
    let user = app.user("rita", &[]).await;
    let client = sign_in(&app, &user).await;
    let (status, _) = post_form(&client, &app, "/profile/language", &[("language", "en")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, home) = page(&client, &app, "/").await;
    assert!(
        home.contains("<html lang=\"en\"") && home.contains("My changes"),
        "the setting wins over the browser"
    );
    let (status, _) = post_form(&client, &app, "/profile/language", &[("language", "nb")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, form) =
        post_form(&client, &app, "/changes/new", &[("title", " "), ("type", "normal")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.contains("må fylles ut"), "field messages come in the viewer's language");
    let me = app.get("/api/v1/me", &user).await;
    assert_eq!(me["language"], "nb", "the API shows the setting too");
}

async fn a_change_goes_through_assessment_and_the_cab_on_the_web(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let implementer = app.user("ivar", &[Role::Implementer]).await;
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    let ci = app.ci("Archive", 3).await;
    let browser = sign_in(&app, &requester).await;
    let start = (app.ctx.clock.now() + chrono::Duration::days(14)).with_timezone(&chrono_tz::Europe::Oslo);
    let (start_text, end_text) =
        (start.format("%Y-%m-%dT18:00").to_string(), start.format("%Y-%m-%dT20:00").to_string());
    let ci_text = ci.to_string();
    let implementer_text = implementer.id.to_string();
    let mut fields = vec![
        ("title", "Upgrade the archive"),
        ("type", "normal"),
        ("ci_ids", ci_text.as_str()),
        ("planned_start", start_text.as_str()),
        ("planned_end", end_text.as_str()),
        ("implementer_id", implementer_text.as_str()),
        ("implementation_plan", "Install"),
        ("backout_plan", "Restore"),
        ("test_plan", "Open a case"),
        ("answers.users_affected", "none"),
        ("answers.tested", "yes"),
        ("answers.backout", "yes"),
        ("answers.complexity", "low"),
    ];
    let (status, html) =
        post_form(&browser, &app, "/changes/new", &[("title", ""), ("type", "normal")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("aria-invalid=\"true\""), "field errors are shown next to the field");
    fields.push(("answers.downtime", "none"));
    let (status, location) = post_form(&browser, &app, "/changes/new", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let change = app.get(&format!("/api/v1/{}", location.trim_start_matches('/')), &app.admin).await;
    // 18:00 on the wall clock in Oslo, whichever of CET or CEST is in force that day.
    let expected = {
        use chrono::TimeZone;
        let local = start.date_naive().and_hms_opt(18, 0, 0).unwrap();
        chrono_tz::Europe::Oslo.from_local_datetime(&local).unwrap().with_timezone(&chrono::Utc)
    };
    assert_eq!(change["planned_start"], json!(expected.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
    assert_eq!(change["risk"]["level"], "low");

    let (status, _) = post_form(&browser, &app, &format!("{location}/submit"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The page it lands on says what happened and what happens next, once.
    let (_, landed) = page(&browser, &app, &location).await;
    let reference = change["ref"].as_str().unwrap();
    assert!(
        landed
            .contains(&format!("{reference} er sendt inn. En endringsleder vurderer den nå; du får e-post.")),
        "the confirmation after submitting"
    );
    assert!(landed.contains("role=\"status\""), "announced to screen readers");
    let (_, reloaded) = page(&browser, &app, &location).await;
    assert!(!reloaded.contains("er sendt inn."), "a reload does not say it again");
    let manager_browser = sign_in(&app, &manager).await;
    let (status, _) = post_form(
        &manager_browser,
        &app,
        &format!("{location}/assess"),
        &[("outcome", "authorize"), ("comment", "")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = post_form(&browser, &app, &format!("{location}/start"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a refusal shows the page again with the reason");
    assert!(html.contains("role=\"alert\""));
    let (status, _) = post_form(
        &manager_browser,
        &app,
        &format!("{location}/votes"),
        &[("decision", "approve"), ("comment", "fine")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = app.get(&format!("/api/v1/{}", location.trim_start_matches('/')), &app.admin).await;
    assert_eq!(after["state"], "scheduled");
    // The timeline names the decision in the vote, and the CAB's.
    let (_, shown) = page(&browser, &app, &location).await;
    let timeline = &shown[shown.find("id=\"timeline\"").unwrap()..];
    assert!(timeline.contains("Godkjent av kari"), "the vote's decision and voter");
    assert!(timeline.contains("Godkjent av CAB"), "the decision it completed");
    assert!(timeline.contains("<blockquote class=\"note\">fine</blockquote>"), "with the comment");
}

async fn changing_the_password_ends_every_other_session_and_api_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let (this_browser, other_browser) = (sign_in(&app, &user).await, sign_in(&app, &user).await);
    let new_password = "a much longer passphrase";
    let attempts = [
        (
            "wrong current",
            ["not my password", new_password, new_password],
            "er ikke det nåværende passordet ditt",
        ),
        ("too short", ["correct horse battery staple", "short", "short"], "må ha minst 12 tegn"),
        (
            "mismatch",
            ["correct horse battery staple", new_password, "something else entirely"],
            "er ikke likt",
        ),
    ];
    for (case, [current, new, confirm], message) in attempts {
        let fields = [("current_password", current), ("new_password", new), ("confirm_password", confirm)];
        let (status, html) = post_form(&this_browser, &app, "/profile/password", &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        assert!(html.contains(message), "{case}: the form says what is wrong");
    }
    assert_eq!(page(&other_browser, &app, "/").await.0, StatusCode::OK, "refused changes end nothing");

    let fields = [
        ("current_password", "correct horse battery staple"),
        ("new_password", new_password),
        ("confirm_password", new_password),
    ];
    let (status, location) = post_form(&this_browser, &app, "/profile/password", &fields).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/profile?changed=password#password"));
    let (status, html) = page(&this_browser, &app, "/profile?changed=password").await;
    assert_eq!(status, StatusCode::OK, "the session that changed it goes on");
    assert!(html.contains("Passordet er byttet"));

    let response = other_browser.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the other session has ended");
    assert!(response.headers()["location"].to_str().unwrap().starts_with("/sign-in"));
    let (status, _) = app.call(reqwest::Method::GET, "/api/v1/changes", Some(&user), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the API token is revoked");
    // Checked on the stored hash: the five sign-in attempts a minute an email has are spent.
    let ctx = app.ctx.clone();
    let id = endring::domain::ids::UserId(user.id);
    let stored = actix_web::rt::task::spawn_blocking(move || {
        ctx.db.query(|conn| endring::db::users::credentials_of(conn, id))
    })
    .await
    .unwrap()
    .unwrap()
    .expect("rita is active");
    let matches = |password| endring::services::auth::password_matches(&stored.password_hash, password);
    assert!(!matches("correct horse battery staple") && matches(new_password), "the hash is the new one's");
}

/// With veto on, Reject says that one rejection ends the change (queue and change page);
/// with veto off it does not.
async fn the_reject_control_says_one_rejection_ends_the_change_when_veto_is_on(backend: Backend) {
    for veto in [true, false] {
        let app = TestApp::spawn_with(backend.clone(), |config| config.approval.veto = veto).await;
        let member = app.user("cato", &[Role::CabMember]).await;
        let staged = app.change_in(ChangeState::Authorize).await;
        let client = sign_in(&app, &member).await;
        let (_, queue) = page(&client, &app, "/cab").await;
        let reference = staged.change["ref"].as_str().unwrap();
        assert_eq!(
            queue.contains(&format!("aria-describedby=\"veto-{reference}\"")),
            veto,
            "queue, veto {veto}"
        );
        let (_, detail) = page(&client, &app, &format!("/changes/{reference}")).await;
        assert_eq!(detail.contains("aria-describedby=\"veto-votes\""), veto, "change page, veto {veto}");
        // Reject in the danger style, apart from Approve, on both pages.
        for html in [&queue, &detail] {
            assert!(
                html.contains("<button class=\"danger\" type=\"submit\" name=\"decision\" value=\"reject\""),
                "reject is a danger button"
            );
            assert!(!html.contains("class=\"danger\" type=\"submit\" name=\"decision\" value=\"approve\""));
        }
    }
}

async fn refusals_name_fields_by_their_label_and_times_as_the_reader_writes_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staged = app.change_in(ChangeState::Scheduled).await;
    let reference = staged.change["ref"].as_str().unwrap().to_owned();
    // Withdrawing without a reason: the summary names the field by its label, in Bokmål.
    let client = sign_in(&app, &staged.requester).await;
    let (_, html) = post_form(&client, &app, "/profile/language", &[("language", "nb")]).await;
    let _ = html;
    let path = format!("/changes/{reference}/cancel");
    let (status, html) =
        post_form_from(&client, &app, &format!("/changes/{reference}"), &path, &[("reason", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Noen felt må rettes – "), "{}", &html[..html.len().min(2000)]);
    assert!(
        html.contains("Grunn til å trekke den tilbake") || html.contains("Begrunnelse"),
        "the field's label"
    );
    assert!(!html.contains("reason:"), "never the JSON key");
    // Starting before the window opens: the time as the reader writes it, never RFC 3339.
    let (status, problem) =
        app.act(&staged.change, "start", &staged.implementer, serde_json::json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("opens at") && !detail.contains("T") && !detail.contains("+00:00"), "{detail}");
    // A reschedule says why on the timeline.
    let manager = sign_in(&app, &staged.manager).await;
    let start = chrono::Utc::now() + chrono::Duration::days(20);
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&chrono_tz::Europe::Oslo).format("%Y-%m-%dT%H:%M").to_string()
    };
    let (status, _) = post_form_from(
        &manager,
        &app,
        &format!("/changes/{reference}"),
        &format!("/changes/{reference}/reschedule"),
        &[
            ("planned_start", &local(start)),
            ("planned_end", &local(start + chrono::Duration::hours(2))),
            ("reason", "The supplier asked for another night"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = page(&manager, &app, &format!("/changes/{reference}")).await;
    assert!(html.contains("The supplier asked for another night"), "the reason on the timeline");
}

async fn the_cab_queue_shows_each_change_and_where_the_viewer_stands_and_a_vote_returns_to_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    // A CAB member who also implements this one: no vote, and the queue says why.
    let implementer = app.user("ivar", &[Role::CabMember, Role::Implementer]).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let staged =
        app.new_change().implemented_by(&implementer).emergency().in_state(ChangeState::Authorize).await;
    let reference = staged.change["ref"].as_str().unwrap().to_owned();
    let ci_name = staged.change["cis"][0]["name"].as_str().expect("the change names its CI").to_owned();

    let implementing = sign_in(&app, &implementer).await;
    let (_, queue) = page(&implementing, &app, "/cab").await;
    assert!(
        queue.contains("Du skal gjennomføre denne endringen og kan ikke stemme over den."),
        "why no vote"
    );
    assert!(!queue.contains(&format!("action=\"/changes/{reference}/votes\"")), "and no vote form");

    let voting = sign_in(&app, &member).await;
    let (_, queue) = page(&voting, &app, "/cab").await;
    let item = &queue[queue.find(&format!("id=\"q-{reference}\"")).expect("the item")..];
    for (what, shown) in [
        ("an emergency stands out", "class=\"queue-item emergency\""),
        ("its type", "Hasteendring"),
        ("its CI", ci_name.as_str()),
        ("the requester", staged.change["requester"]["name"].as_str().unwrap()),
        ("the implementer", "ivar"),
        ("approvals against the rule", "0 av "),
        ("a vote that returns here", "name=\"back\" value=\"/cab\""),
    ] {
        let in_item = if what == "an emergency stands out" { &queue } else { item };
        assert!(in_item.contains(shown), "{what}: {shown}");
    }
    let (status, location) = post_form(
        &voting,
        &app,
        &format!("/changes/{reference}/votes"),
        &[("decision", "approve"), ("comment", "ok"), ("back", "/cab")],
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/cab"), "back to the queue");
    let (_, queue) = page(&voting, &app, "/cab").await;
    assert!(queue.contains(&format!("Du godkjente {reference}.")), "the confirmation");
    assert!(queue.contains("Du godkjente "), "and the member's own vote on the item, with its time");
    // Anything else in `back` is not followed.
    let (_, elsewhere) = post_form(
        &sign_in(&app, &staged.manager).await,
        &app,
        &format!("/changes/{reference}/votes"),
        &[("decision", "approve"), ("back", "https://evil.example/")],
    )
    .await;
    assert_eq!(elsewhere, format!("/changes/{reference}"));
}

async fn the_edit_form_and_the_admin_index_are_refused_to_those_who_may_not_use_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let draft = app.change_in(ChangeState::Draft).await;
    let submitted = app.change_in(ChangeState::Assess).await;
    let edit =
        |staged: &crate::builder::Staged| format!("/changes/{}/edit", staged.change["ref"].as_str().unwrap());
    let requester = sign_in(&app, &draft.requester).await;
    assert_eq!(page(&requester, &app, &edit(&draft)).await.0, StatusCode::OK, "its requester edits a draft");
    let other = sign_in(&app, &draft.implementer).await;
    assert_eq!(page(&other, &app, &edit(&draft)).await.0, StatusCode::FORBIDDEN, "someone else's draft");
    let own_submitted = sign_in(&app, &submitted.requester).await;
    assert_eq!(
        page(&own_submitted, &app, &edit(&submitted)).await.0,
        StatusCode::CONFLICT,
        "no longer a draft"
    );
    // The administration index: to those who administer something, and no one else.
    assert_eq!(page(&requester, &app, "/admin").await.0, StatusCode::FORBIDDEN);
    let manager = sign_in(&app, &draft.manager).await;
    assert_eq!(
        page(&manager, &app, "/admin").await.0,
        StatusCode::OK,
        "change managers manage templates and more"
    );
    let admin = sign_in(&app, &app.admin).await;
    assert_eq!(page(&admin, &app, "/admin").await.0, StatusCode::OK);
}

async fn a_page_asked_with_a_method_it_does_not_take_gets_405_naming_those_it_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = sign_in(&app, &app.admin).await;
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/changes/new", "GET, HEAD, POST"),
        (reqwest::Method::POST, "/calendar", "GET, HEAD"),
        (reqwest::Method::GET, "/sign-out", "POST"),
        (reqwest::Method::PUT, "/admin/webhooks/1", "GET, HEAD, POST"),
    ] {
        let response = client.request(method.clone(), format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let given = response.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(given.as_deref(), Some(allow), "{method} {path}");
        assert!(response.text().await.unwrap().contains("<html"), "a page, not a problem document");
    }
    // HEAD is a GET without the body.
    let head = client.head(format!("{}/calendar", app.address)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.text().await.unwrap().is_empty());
}

async fn an_oversized_form_gets_413_not_a_csrf_refusal_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let client = sign_in(&app, &user).await;
    let (_, html) = page(&client, &app, "/changes/new").await;
    let description = "x".repeat(300 * 1024);
    let form = [("csrf", csrf(&html)), ("title", "Big".into()), ("description", description)];
    let response = client.post(format!("{}/changes/new", app.address)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.unwrap().contains("256 KiB"), "the page names the limit");
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 0, "nothing was created");
}

/// Sends a request head announcing `announced` body bytes, then `sent` of them, and
/// waits: the first line answered, or what the wait ended with.
fn stall(address: &str, head: &str, announced: usize, sent: &str) -> (String, bool) {
    use std::io::{Read, Write};
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
    let request = format!("{head}\r\nHost: {host}\r\nContent-Length: {announced}\r\n\r\n{sent}");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // Read to the end: the server must close the connection after its answer.
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => break false,
        }
    };
    let answer = String::from_utf8_lossy(&answer);
    (answer.lines().next().unwrap_or("nothing").to_owned(), closed)
}

async fn a_body_that_stalls_gets_408_and_the_connection_closes(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.request_body_secs = 1).await;
    let token = app.admin.token.clone();
    let address = app.address.clone();
    let started = std::time::Instant::now();
    let (page, api) = tokio::task::spawn_blocking(move || {
        let page = stall(
            &address,
            "POST /sign-in HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
            1000,
            "csrf=abc",
        );
        let head = format!(
            "POST /api/v1/changes HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}"
        );
        let api = stall(&address, &head, 1000, "{\"title\": ");
        (page, api)
    })
    .await
    .unwrap();
    assert!(page.0.starts_with("HTTP/1.1 408"), "a form that stalls: {page:?}");
    assert!(api.0.starts_with("HTTP/1.1 408"), "JSON that stalls: {api:?}");
    assert!(page.1 && api.1, "the server closes both connections");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "at the deadline, not the reader's");
    assert_eq!(app.get("/api/v1/changes", &app.admin).await["total"], 0, "nothing was created");
}
