//! An account's life: an admin deactivates (API, page, command line) and reactivates a
//! user; a forgotten local password is reset by an emailed single-use link.

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use crate::pages::{browser, csrf, sign_in};
use endring::config::Config;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use endring::mail::transport::Transport;
use endring::mail::worker::deliver_due;
use reqwest::{Client, Method, StatusCode};
use serde_json::json;

on_both_backends!(
    a_deactivated_user_is_out_everywhere_at_once_and_gets_no_more_notices,
    a_deactivated_implementer_is_flagged_to_change_managers_and_marked_on_the_change,
    only_admins_deactivate_and_not_themselves_and_reactivation_lets_them_back,
    the_admin_page_deactivates_and_sends_a_reset_link,
    a_forgotten_password_is_reset_by_a_single_use_emailed_link,
    asking_for_a_reset_link_tells_no_one_who_has_an_account,
    a_reset_link_expires_after_an_hour_and_an_admin_may_send_one,
);

fn id_of(app: &TestApp, email: &str) -> i64 {
    app.db.count(&format!("SELECT CAST(id AS BIGINT) AS n FROM users WHERE email = '{email}'"))
}

async fn home_status(app: &TestApp, browser: &Client) -> StatusCode {
    browser.get(format!("{}/", app.address)).send().await.unwrap().status()
}

/// Delivers the outbox into a folder; the emails, as text.
async fn deliver(app: &TestApp) -> Vec<String> {
    let folder = tempfile::tempdir().unwrap();
    let transport =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    deliver_due(&app.ctx, &transport).await.unwrap();
    std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

/// The reset link in the email to `email` among `mails` (quoted-printable soft breaks undone).
fn reset_link(mails: &[String], email: &str) -> String {
    let mail = mails.iter().find(|m| m.contains(&format!("To: {email}"))).expect("an email to them");
    let flat = mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let at = flat.find("/sign-in/reset/").expect("a reset link");
    let token: String = flat[at + 15..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    assert_eq!(token.len(), 64, "{flat}");
    format!("/sign-in/reset/{token}")
}

async fn a_deactivated_user_is_out_everywhere_at_once_and_gets_no_more_notices(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.session_key = Some("ab".repeat(40))).await;
    let second = app.second_instance().await;
    let member = app.user("mona", &[Role::CabMember]).await;
    let here = sign_in(&app, &member).await;
    assert_eq!(home_status(&second, &here).await, StatusCode::OK, "signed in on both instances");
    // A notice queued for her and not yet sent.
    let staged = app.change_in(ChangeState::Authorize).await;
    let queued = app.recipients(&staged.change, "authorize_request").await;
    assert!(queued.contains(&member.email), "{queued:?}");

    let (status, body) =
        app.post_status(&format!("/api/v1/users/{}/deactivate", member.id), &app.admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Her cookie and her token stop at the next request, on either instance.
    assert_eq!(home_status(&app, &here).await, StatusCode::SEE_OTHER);
    assert_eq!(home_status(&second, &here).await, StatusCode::SEE_OTHER);
    let (status, _) = second.call(Method::GET, "/api/v1/me", Some(&member), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The queued notice is dropped; the next change asks her nothing.
    let mails = deliver(&app).await;
    assert!(!mails.iter().any(|m| m.contains(&format!("To: {}", member.email))), "no email to her");
    let next = app.change_in(ChangeState::Authorize).await;
    assert!(!app.recipients(&next.change, "authorize_request").await.contains(&member.email));
    // Her history stays: she is still the user she was, marked.
    let users = app.get("/api/v1/users?q=mona", &app.admin).await;
    assert_eq!(users[0]["active"], false, "{users}");
    assert!(users[0]["deactivated_at"].is_string());
    let events = app
        .db
        .count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'deactivate_user'");
    assert_eq!(events, 1);
}

async fn a_deactivated_implementer_is_flagged_to_change_managers_and_marked_on_the_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    let mut voted = app.change_in(ChangeState::Authorize).await;
    let scheduled = app.change_in(ChangeState::Scheduled).await;
    let closed = app.change_in(ChangeState::Closed).await;
    // A CAB member votes on the open change, then leaves.
    let voter = app.user("mona", &[Role::CabMember]).await;
    let reference = voted.change["ref"].as_str().unwrap().to_owned();
    let (status, _) =
        app.act(&voted.change, "votes", &voter, json!({ "decision": "approve", "comment": "ok" })).await;
    assert!(status.is_success(), "{status}");
    voted.change = app.change(&voted.change).await;
    app.post_status(&format!("/api/v1/users/{}/deactivate", voter.id), &app.admin, json!({})).await;
    let shown = app.get(&format!("/api/v1/changes/{reference}"), &manager).await;
    let vote =
        shown["approval"]["votes"].as_array().unwrap().iter().find(|v| v["voter"]["id"] == voter.id).cloned();
    assert_eq!(vote.expect("her vote stays")["voter"]["deactivated"], true);

    // The implementer of the scheduled change (and of the closed one) leaves.
    let implementer = scheduled.implementer.clone();
    let ctx = app.ctx.clone();
    let email = implementer.email.clone();
    let done = actix_web::rt::task::spawn_blocking(move || {
        let id = endring::services::accounts::id_by_email(&ctx, &email)?;
        endring::services::accounts::deactivate(&ctx, None, id)
    })
    .await
    .unwrap()
    .unwrap();
    let scheduled_ref = scheduled.change["ref"].as_str().unwrap().to_owned();
    assert!(done.flagged_changes.contains(&scheduled_ref), "{:?}", done.flagged_changes);
    assert!(
        !done.flagged_changes.contains(&closed.change["ref"].as_str().unwrap().to_owned()),
        "not finished ones"
    );
    let told = app.recipients(&scheduled.change, "implementer_deactivated").await;
    assert!(told.contains(&manager.email), "change managers are told: {told:?}");
    assert!(!told.contains(&implementer.email));
    let api = app.get(&format!("/api/v1/changes/{scheduled_ref}"), &manager).await;
    assert_eq!(api["implementer"]["deactivated"], true, "{api}");
    let browser = sign_in(&app, &manager).await;
    let page = browser.get(format!("{}/changes/{scheduled_ref}", app.address)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("class=\"warning\""), "the change page flags it");
    let mails = deliver(&app).await;
    let flagged =
        mails.iter().find(|m| m.contains(&format!("To: {}", manager.email)) && m.contains(&scheduled_ref));
    assert!(flagged.is_some(), "the change manager's email names the change");
}

async fn only_admins_deactivate_and_not_themselves_and_reactivation_lets_them_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    let rita = app.user("rita", &[]).await;
    let path = format!("/api/v1/users/{}/deactivate", rita.id);
    assert_eq!(app.post_status(&path, &manager, json!({})).await.0, StatusCode::FORBIDDEN);
    let own = format!("/api/v1/users/{}/deactivate", app.admin.id);
    let (status, body) = app.post_status(&own, &app.admin, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(app.post_status(&path, &app.admin, json!({})).await.0, StatusCode::OK);
    assert_eq!(app.post_status(&path, &app.admin, json!({})).await.0, StatusCode::CONFLICT, "already");
    let missing = app.post_status("/api/v1/users/99999/deactivate", &app.admin, json!({})).await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    // Deactivated, she cannot sign in; reactivated, she can, with her old password.
    let token = json!({ "email": rita.email, "password": "correct horse battery staple" });
    let refused = app.call(Method::POST, "/api/v1/auth/token", None, Some(token.clone())).await;
    assert_eq!(refused.0, StatusCode::UNAUTHORIZED);
    let back = format!("/api/v1/users/{}/reactivate", rita.id);
    assert_eq!(app.post_status(&back, &app.admin, json!({})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.call(Method::POST, "/api/v1/auth/token", None, Some(token)).await.0, StatusCode::OK);
    let events = app.db.count(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action IN ('deactivate_user', 'reactivate_user')",
    );
    assert_eq!(events, 2, "one event each, none for the refusals");
}

async fn the_admin_page_deactivates_and_sends_a_reset_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[]).await;
    let rita_browser = sign_in(&app, &rita).await;
    let admin = sign_in(&app, &app.admin).await;
    let page = admin.get(format!("{}/admin/users", app.address)).send().await.unwrap().text().await.unwrap();
    let action = format!("/admin/users/{}/deactivate", rita.id);
    assert!(page.contains(&action), "a deactivate button per user");
    assert!(!page.contains(&format!("/admin/users/{}/deactivate", app.admin.id)), "none for oneself");
    let done =
        admin.post(format!("{}{action}", app.address)).form(&[("csrf", csrf(&page))]).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(home_status(&app, &rita_browser).await, StatusCode::SEE_OTHER, "she is out");
    let after = admin.get(format!("{}/admin/users", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(after.contains(&format!("/admin/users/{}/reactivate", rita.id)));
    assert!(after.contains("role=\"status\""), "the page says what happened");

    let odd = app.user("odd", &[]).await;
    let reset = format!("/admin/users/{}/password-reset", odd.id);
    let sent =
        admin.post(format!("{}{reset}", app.address)).form(&[("csrf", csrf(&after))]).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let mails = deliver(&app).await;
    reset_link(&mails, &odd.email);
}

/// Asks for a reset link on the sign-in page as a browser would; the answer.
async fn ask_reset(app: &TestApp, email: &str) -> (StatusCode, String) {
    let browser = browser();
    let form =
        browser.get(format!("{}/sign-in/forgot", app.address)).send().await.unwrap().text().await.unwrap();
    let answer = browser
        .post(format!("{}/sign-in/forgot", app.address))
        .form(&[("csrf", csrf(&form)), ("email", email.to_owned())])
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

async fn set_password(app: &TestApp, browser: &Client, link: &str, password: &str) -> reqwest::Response {
    let form = browser.get(format!("{}{link}", app.address)).send().await.unwrap();
    let form = form.text().await.unwrap();
    browser
        .post(format!("{}{link}", app.address))
        .form(&[
            ("csrf", csrf(&form)),
            ("new_password", password.into()),
            ("confirm_password", password.into()),
        ])
        .send()
        .await
        .unwrap()
}

async fn token_status(app: &TestApp, user: &User, password: &str) -> StatusCode {
    let body = json!({ "email": user.email, "password": password });
    app.call(Method::POST, "/api/v1/auth/token", None, Some(body)).await.0
}

async fn a_forgotten_password_is_reset_by_a_single_use_emailed_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[]).await;
    let elsewhere = sign_in(&app, &rita).await;
    let (status, _) = ask_reset(&app, &rita.email).await;
    assert_eq!(status, StatusCode::OK);
    let stored = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM password_resets");
    assert_eq!(stored, 0, "no token exists before the email is sent");
    let mails = deliver(&app).await;
    let link = reset_link(&mails, &rita.email);
    let token = link.rsplit('/').next().unwrap();
    let plain = app.db.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM password_resets WHERE token_hash = '{token}'"
    ));
    assert_eq!(plain, 0, "only the token's hash is stored");

    let browser = browser();
    let short = set_password(&app, &browser, &link, "short").await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY, "a refused password keeps the link usable");
    let set = set_password(&app, &browser, &link, "a brand new long password").await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(set.headers()["location"], "/sign-in?done=password");
    // Every other session and every token ended; the old password is gone, the new one works.
    assert_eq!(home_status(&app, &elsewhere).await, StatusCode::SEE_OTHER);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&rita), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(token_status(&app, &rita, "correct horse battery staple").await, StatusCode::UNAUTHORIZED);
    assert_eq!(token_status(&app, &rita, "a brand new long password").await, StatusCode::OK);
    // The link works once.
    let again = browser.get(format!("{}{link}", app.address)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    let events = app.db.count(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action IN ('request_password_reset', 'reset_password')",
    );
    assert_eq!(events, 2);
}

async fn asking_for_a_reset_link_tells_no_one_who_has_an_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[]).await;
    let known = ask_reset(&app, &rita.email).await;
    let unknown = ask_reset(&app, "nobody@test.endring.no").await;
    assert_eq!(known, unknown, "the same answer, word for word");
    let queued =
        app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE kind = 'password_reset'");
    assert_eq!(queued, 1, "an email only for the real account");
    let (status, body) = ask_reset(&app, "not an address").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn a_reset_link_expires_after_an_hour_and_an_admin_may_send_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let odd = app.user("odd", &[]).await;
    let (status, _) =
        app.post_status(&format!("/api/v1/users/{}/password-reset", odd.id), &app.admin, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mails = deliver(&app).await;
    let mail = mails.iter().find(|m| m.contains(&format!("To: {}", odd.email))).unwrap();
    assert!(mail.contains("admin"), "the email says who sent it");
    let link = reset_link(&mails, &odd.email);
    app.ctx.clock.advance(chrono::TimeDelta::minutes(61));
    let browser = browser();
    assert_eq!(
        browser.get(format!("{}{link}", app.address)).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let form = browser.get(format!("{}/sign-in/forgot", app.address)).send().await.unwrap();
    let token = csrf(&form.text().await.unwrap());
    let password = "a brand new long password";
    let late = browser
        .post(format!("{}{link}", app.address))
        .form(&[("csrf", token.as_str()), ("new_password", password), ("confirm_password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::GONE);
    assert_eq!(token_status(&app, &odd, "a brand new long password").await, StatusCode::UNAUTHORIZED);
    // Not for someone else to send, and not for an account without a password.
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    let path = format!("/api/v1/users/{}/password-reset", odd.id);
    assert_eq!(app.post_status(&path, &manager, json!({})).await.0, StatusCode::FORBIDDEN);
    app.db.execute(&format!("UPDATE users SET password_hash = '' WHERE id = {}", odd.id));
    assert_eq!(app.post_status(&path, &app.admin, json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(id_of(&app, &odd.email), i64::from(odd.id));
}
