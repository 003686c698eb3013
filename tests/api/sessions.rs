//! Web sessions: the cookie's attributes over HTTP and behind TLS, sessions valid on
//! every instance that shares the key, and sign-in attempts limited per client address.

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use crate::pages::{browser, csrf, sign_in, sign_in_form};
use actix_web::cookie::{Cookie, SameSite};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    the_session_cookie_is_http_only_and_same_site_lax_and_not_secure_over_http,
    behind_tls_the_session_cookie_is_secure_and_host_prefixed,
    a_web_session_is_valid_on_every_instance_sharing_the_session_key,
    repeated_failed_sign_ins_from_one_address_get_429_with_retry_after,
    a_guesser_elsewhere_does_not_lock_the_owner_out,
    guessers_on_many_addresses_do_not_lock_out_a_browser_that_signed_in_before,
    behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit,
    signing_out_ends_every_copy_of_the_cookie,
    sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one,
    the_profile_lists_sessions_and_tokens_and_revokes_a_token,
    a_password_change_ends_every_other_session_and_every_token,
);

/// The session cookie a response sets (there is one; a sign-in also sets the device
/// cookie, which is not a session's).
fn set_cookie(response: &reqwest::Response) -> Cookie<'static> {
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).expect("a cookie"))
        .filter(|c| !c.name().ends_with("endring-device"))
        .collect();
    assert_eq!(cookies.len(), 1, "one session cookie: {cookies:?}");
    cookies.into_iter().next().unwrap()
}

/// Signs in on the form as a browser would, carrying the cookie by hand (a browser does
/// not send a `Secure` cookie over plain HTTP, which the tests speak); the session
/// cookie the sign-in sets.
async fn signed_in_cookie(app: &TestApp, user: &User) -> Cookie<'static> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = client.get(format!("{}/sign-in", app.address)).send().await.unwrap();
    let visitor = set_cookie(&form);
    let fields = sign_in_form(&form.text().await.unwrap(), user);
    let response = client
        .post(format!("{}/sign-in", app.address))
        .header("cookie", visitor.stripped().to_string())
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&response);
    assert_ne!(session.value(), visitor.value(), "signing in renews the session");
    let home =
        client.get(format!("{}/", app.address)).header("cookie", session.stripped().to_string()).send().await;
    assert_eq!(home.unwrap().status(), StatusCode::OK, "the cookie carries the sign-in");
    session
}

async fn the_session_cookie_is_http_only_and_same_site_lax_and_not_secure_over_http(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let cookie = signed_in_cookie(&app, &user).await;
    assert_eq!(cookie.name(), "endring");
    assert_eq!(
        (cookie.http_only(), cookie.same_site(), cookie.secure()),
        (Some(true), Some(SameSite::Lax), None),
        "{cookie}"
    );
    assert_eq!((cookie.path(), cookie.domain()), (Some("/"), None));
    assert_eq!(cookie.max_age(), Some(actix_web::cookie::time::Duration::hours(12)));
}

async fn behind_tls_the_session_cookie_is_secure_and_host_prefixed(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, |config| config.base_url = "https://endring.example.no".into()).await;
    let user = app.user("rita", &[]).await;
    let cookie = signed_in_cookie(&app, &user).await;
    // `__Host-`: Secure, Path=/ and no Domain, so no other host can set or read it.
    assert_eq!(cookie.name(), "__Host-endring");
    assert_eq!(
        (cookie.secure(), cookie.http_only(), cookie.same_site()),
        (Some(true), Some(true), Some(SameSite::Lax)),
        "{cookie}"
    );
    assert_eq!((cookie.path(), cookie.domain()), (Some("/"), None));
}

async fn a_web_session_is_valid_on_every_instance_sharing_the_session_key(backend: Backend) {
    let key = "4f1c0ffee".repeat(8);
    let first = TestApp::spawn_with(backend, |config| config.session_key = Some(key)).await;
    let second = first.second_instance().await;
    let user = first.user("rita", &[]).await;
    let browser = sign_in(&first, &user).await;

    // Cookies are not bound to a port: the same browser goes to the second instance.
    let home = browser.get(format!("{}/", second.address)).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK, "signed in on the second instance too");
    assert!(home.text().await.unwrap().contains("rita"));
    let profile = browser.get(format!("{}/profile", second.address)).send().await.unwrap();
    let token = csrf(&profile.text().await.unwrap());
    let chosen = browser
        .post(format!("{}/profile/language", second.address))
        .form(&[("csrf", token.as_str()), ("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER, "a form posted to the second instance is accepted");
    assert_eq!(first.get("/api/v1/me", &user).await["language"], "en");

    // An instance with another key does not know the session (checked last: it clears the cookie).
    let stranger = first.second_instance_with(|config| config.session_key = Some("5eed".repeat(16))).await;
    let refused = browser.get(format!("{}/", stranger.address)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert!(refused.headers()["location"].to_str().unwrap().starts_with("/sign-in"));
}

async fn repeated_failed_sign_ins_from_one_address_get_429_with_retry_after(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    // Two browsers at the sign-in form, for later (showing the form costs no attempt).
    let mut browsers = Vec::new();
    for _ in 0..2 {
        let client = browser();
        let form = client.get(format!("{}/sign-in", app.address)).send().await.unwrap().text().await.unwrap();
        browsers.push((client, sign_in_form(&form, &user)));
    }
    // Two sign-ins from this address so far (the admin's and rita's) of the 30 a minute
    // (one more every 2 s); each failure below names another email, so no email's own
    // limit is reached.
    let mut first_refusal = None;
    for attempt in 1..=60 {
        let wrong =
            json!({ "email": format!("nobody{attempt}@test.endring.no"), "password": "not the password" });
        let (status, headers, problem) =
            app.call_with(Method::POST, "/api/v1/auth/token", None, Some(wrong), &[]).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = headers["retry-after"].to_str().unwrap().parse().expect("Retry-After in seconds");
            assert!((1..=60).contains(&wait), "Retry-After: {wait}");
            assert_eq!(problem["status"], 429);
            first_refusal = Some(attempt);
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {problem}");
    }
    let first_refusal = first_refusal.expect("no 429 after 60 failed sign-ins from one address");
    assert!(
        first_refusal >= 29,
        "refused after {first_refusal} failures: the address has 30 attempts a minute"
    );

    // The address is refused, whoever signs in and however: rita, with her password, on the
    // form. (Should an attempt have come back in the meantime, the second browser is refused.)
    let mut refused = None;
    for (client, fields) in &browsers {
        let response = client.post(format!("{}/sign-in", app.address)).form(fields).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("the sign-in form refuses the address too");
    assert!(refused.headers().get("retry-after").is_some(), "the page says when to try again");
}

/// Sixty failed sign-ins (twice what one address may try in a minute), each from the
/// client the `X-Forwarded-For` lines name (one client when `spoof`: it names itself
/// anew each time, and a trusted proxy appends its real address); the attempt refused
/// with 429, if any.
async fn sixty_failures(app: &TestApp, spoof: bool) -> Option<usize> {
    for attempt in 1..=60 {
        let wrong = json!({ "email": format!("nobody{attempt}@test.endring.no"), "password": "wrong" });
        let claimed = match spoof {
            true => format!("203.0.113.{attempt}, 198.51.100.1"),
            false => format!("6.6.6.6, 198.51.100.{attempt}"),
        };
        let headers = [("x-forwarded-for", claimed.as_str()), ("forwarded", "for=203.0.113.99")];
        let (status, _, _) =
            app.call_with(Method::POST, "/api/v1/auth/token", None, Some(wrong), &headers).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Some(attempt);
        }
    }
    None
}

/// Behind a trusted reverse proxy each client has its own sign-in limit (the proxy names
/// it last in `X-Forwarded-For`); what a client writes into the header itself, or into
/// `Forwarded`, does not change who it is; from a peer that is not a trusted proxy the
/// header is ignored.
async fn behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(backend: Backend) {
    // The test client connects from 127.0.0.1: a trusted proxy here.
    let behind = TestApp::spawn_with(backend.clone(), |c| c.trusted_proxies = vec!["127.0.0.1".into()]).await;
    assert_eq!(sixty_failures(&behind, false).await, None, "60 clients, one failure each");
    assert!(sixty_failures(&behind, true).await.is_some(), "one client, 60 failures, whatever it claims");
    // Not a trusted proxy: the header is ignored and the peer is the client.
    let direct = TestApp::spawn(backend).await;
    assert!(sixty_failures(&direct, false).await.is_some());
}

/// GETs `path` with `cookie` carried by hand; the status.
async fn status_with(app: &TestApp, cookie: &Cookie<'static>, path: &str) -> StatusCode {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response =
        client.get(format!("{}{path}", app.address)).header("cookie", cookie.stripped().to_string()).send();
    response.await.unwrap().status()
}

/// Posts a form with the CSRF token of `page`, carrying `cookie` by hand.
async fn post_with(app: &TestApp, cookie: &Cookie<'static>, page: &str, action: &str) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let shown = client.get(format!("{}{page}", app.address)).header("cookie", cookie.stripped().to_string());
    let token = csrf(&shown.send().await.unwrap().text().await.unwrap());
    client
        .post(format!("{}{action}", app.address))
        .header("cookie", cookie.stripped().to_string())
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap()
}

async fn signing_out_ends_every_copy_of_the_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let cookie = signed_in_cookie(&app, &user).await;
    // A copy taken earlier (another tab, or a thief) is the same value.
    let copy = cookie.clone();
    let out = post_with(&app, &cookie, "/", "/sign-out").await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_with(&app, &copy, "/").await, StatusCode::SEE_OTHER, "the copied cookie is signed out");
    let rows = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sessions");
    assert_eq!(rows, 0, "the session's row is gone");
}

async fn sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let here = signed_in_cookie(&app, &user).await;
    let laptop = signed_in_cookie(&app, &user).await;
    let phone = signed_in_cookie(&app, &user).await;
    let other = app.user("odd", &[]).await;
    let someone_else = signed_in_cookie(&app, &other).await;

    let done = post_with(&app, &here, "/profile", "/profile/sessions/end-others").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_with(&app, &here, "/profile").await, StatusCode::OK, "this session goes on");
    for (name, cookie) in [("laptop", &laptop), ("phone", &phone)] {
        assert_eq!(status_with(&app, cookie, "/").await, StatusCode::SEE_OTHER, "{name} is signed out");
    }
    assert_eq!(status_with(&app, &someone_else, "/").await, StatusCode::OK, "another user's session stays");
    let events = app
        .db
        .count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'sign_out_everywhere'");
    assert_eq!(events, 1);
}

async fn the_profile_lists_sessions_and_tokens_and_revokes_a_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let cookie = signed_in_cookie(&app, &user).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client
        .get(format!("{}/profile", app.address))
        .header("cookie", cookie.stripped().to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"sessions\""), "{page}");
    assert!(page.contains("127.0.0.1"), "the address of the session is listed");
    // `user.token` is the API token the test user was given: listed with a revoke form.
    let token_id = app
        .db
        .count(&format!("SELECT CAST(MIN(id) AS BIGINT) AS n FROM api_tokens WHERE user_id = {}", user.id));
    let action = format!("/profile/tokens/{token_id}/revoke");
    assert!(page.contains(&action), "the token is listed with a revoke form");
    let me = app.call(Method::GET, "/api/v1/me", Some(&user), None).await;
    assert_eq!(me.0, StatusCode::OK, "the token works before");
    let revoked = post_with(&app, &cookie, "/profile", &action).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let me = app.call(Method::GET, "/api/v1/me", Some(&user), None).await;
    assert_eq!(me.0, StatusCode::UNAUTHORIZED, "the revoked token works no more: {me:?}");
    // Someone else's token is not the viewer's to revoke.
    let other = app.user("odd", &[]).await;
    let theirs = app
        .db
        .count(&format!("SELECT CAST(MAX(id) AS BIGINT) AS n FROM api_tokens WHERE user_id = {}", other.id));
    let refused = post_with(&app, &cookie, "/profile", &format!("/profile/tokens/{theirs}/revoke")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "the policy: only its owner");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&other), None).await.0, StatusCode::OK);
}

async fn a_password_change_ends_every_other_session_and_every_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("rita", &[]).await;
    let here = signed_in_cookie(&app, &user).await;
    let elsewhere = signed_in_cookie(&app, &user).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let shown = client.get(format!("{}/profile", app.address)).header("cookie", here.stripped().to_string());
    let token = csrf(&shown.send().await.unwrap().text().await.unwrap());
    let changed = client
        .post(format!("{}/profile/password", app.address))
        .header("cookie", here.stripped().to_string())
        .form(&[
            ("csrf", token.as_str()),
            ("current_password", "correct horse battery staple"),
            ("new_password", "a much longer new one"),
            ("confirm_password", "a much longer new one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_with(&app, &here, "/profile").await, StatusCode::OK, "the changing session goes on");
    assert_eq!(status_with(&app, &elsewhere, "/").await, StatusCode::SEE_OTHER, "the other one ended");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&user), None).await.0, StatusCode::UNAUTHORIZED);
}

/// Guessing a colleague's password from one's own machine is slowed down, but does not
/// keep the colleague out: their own address has its own allowance.
async fn a_guesser_elsewhere_does_not_lock_the_owner_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.user("kari", &[]).await;
    let attempt = |password: &'static str, address: &'static str| {
        let (ctx, email) = (app.ctx.clone(), owner.email.clone());
        actix_web::rt::task::spawn_blocking(move || {
            endring::services::auth::sign_in(&ctx, &email, password, address, None).map(|_| ())
        })
    };
    let mut refused = None;
    for n in 1..=8 {
        if let Err(endring::services::ServiceError::TooManyAttempts { .. }) =
            attempt("a wrong guess", "10.0.0.66").await.unwrap()
        {
            refused = Some(n);
            break;
        }
    }
    assert_eq!(refused, Some(6), "the guesser is refused after five tries in a minute");
    assert!(
        attempt("correct horse battery staple", "10.0.0.7").await.unwrap().is_ok(),
        "the owner signs in from her own machine"
    );
}

/// Guessers spread over many addresses use up the account's own allowance (30 a minute
/// from everywhere): a browser that signed in to the account before carries a device
/// cookie and is not held to it; a browser without one, or with one made for another
/// account, or with a forged one, is.
async fn guessers_on_many_addresses_do_not_lock_out_a_browser_that_signed_in_before(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.user("kari", &[]).await;
    let colleague = app.user("ola", &[]).await;
    // Signing in sets the device cookie: long-lived, for this service's pages only.
    let knows_owner = browser();
    let page =
        knows_owner.get(format!("{}/sign-in", app.address)).send().await.unwrap().text().await.unwrap();
    let signed_in = knows_owner
        .post(format!("{}/sign-in", app.address))
        .form(&sign_in_form(&page, &owner))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let device = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).ok())
        .find(|c| c.name() == "endring-device")
        .expect("a device cookie");
    assert_eq!(
        (device.http_only(), device.same_site(), device.path()),
        (Some(true), Some(SameSite::Lax), Some("/"))
    );
    assert!(device.max_age().unwrap().whole_days() >= 365, "{device}");
    assert!(!device.value().contains(&owner.email), "encrypted: the email is not readable in it");
    let knows_colleague = sign_in(&app, &colleague).await;
    // A browser that signed in under the password before it was changed.
    let stale = sign_in(&app, &owner).await;
    // The owner changes her password in her own browser, which stays known under the new one.
    let new_password = "a brand new passphrase for Kari";
    let (status, _) = crate::pages::post_form_from(
        &knows_owner,
        &app,
        "/profile",
        "/profile/password",
        &[
            ("current_password", "correct horse battery staple"),
            ("new_password", new_password),
            ("confirm_password", new_password),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the password is changed");

    // Guessers on many addresses, each a few tries, until the account's allowance is gone;
    // done again before each check, which follows at once (the allowance refills one
    // attempt every two seconds).
    let guessers = std::sync::atomic::AtomicUsize::new(0);
    let exhaust = || async {
        for _ in 0..60 {
            let n = guessers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (ctx, email) = (app.ctx.clone(), owner.email.clone());
            let address = format!("10.9.{}.{}", n / 4 / 250, n / 4 % 250);
            let result = actix_web::rt::task::spawn_blocking(move || {
                endring::services::auth::sign_in(&ctx, &email, "a wrong guess", &address, None).map(|_| ())
            })
            .await
            .unwrap();
            if let Err(endring::services::ServiceError::TooManyAttempts { .. }) = result {
                return;
            }
        }
        panic!("sixty guesses from fifteen addresses did not use up the account's allowance");
    };
    let attempt = |client: reqwest::Client, password: &'static str| {
        let address = app.address.clone();
        let email = owner.email.clone();
        async move {
            let page = client.get(format!("{address}/sign-in")).send().await.unwrap().text().await.unwrap();
            let form = [
                ("csrf", csrf(&page)),
                ("email", email),
                ("password", password.into()),
                ("next", "/".into()),
            ];
            client.post(format!("{address}/sign-in")).form(&form).send().await.unwrap().status()
        }
    };
    exhaust().await;
    assert_eq!(
        attempt(browser(), new_password).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a browser unknown to the account waits like the guessers"
    );
    exhaust().await;
    assert_eq!(
        attempt(knows_colleague.clone(), new_password).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a device cookie counts only for the account it was made for"
    );
    exhaust().await;
    assert_eq!(
        attempt(stale.clone(), new_password).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a device cookie made under the old password counts no more"
    );
    // A cookie of the device cookie's name that this service did not make: the owner's
    // own cookie with one character in its middle changed (a byte of the ciphertext, not
    // base64's padding).
    let mut altered = device.value().to_owned();
    let middle = altered.len() / 2;
    let other = if &altered[middle..=middle] == "A" { "B" } else { "A" };
    altered.replace_range(middle..=middle, other);
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("endring-device={altered}; Path=/"), &app.address.parse().unwrap());
    let forged = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    exhaust().await;
    assert_eq!(
        attempt(forged, new_password).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged cookie is not read"
    );
    exhaust().await;
    assert_eq!(
        attempt(knows_owner.clone(), new_password).await,
        StatusCode::SEE_OTHER,
        "the owner's own browser signs in"
    );
    // And changes her password in it, the guessers' allowance used up again.
    exhaust().await;
    let newer = "an even newer passphrase for Kari";
    let (status, _) = crate::pages::post_form_from(
        &knows_owner,
        &app,
        "/profile",
        "/profile/password",
        &[("current_password", new_password), ("new_password", newer), ("confirm_password", newer)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the owner's own browser changes the password");
    exhaust().await;
    assert_eq!(attempt(knows_owner.clone(), newer).await, StatusCode::SEE_OTHER, "under the newer password");
}
