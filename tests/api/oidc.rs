//! Signing in with an OpenID Connect provider: a real one (`tests/oidc/provider.mjs`, on
//! the certified `oidc-provider` package) started on loopback for each test, and a browser
//! (reqwest with a cookie store, following redirects by hand). A good sign-in makes the
//! user just in time with the roles their groups give; a group removed takes its role
//! away at the next sign-in; tokens with the wrong audience, issuer, nonce or signature,
//! or expired, a forged state, a replayed code, an unknown domain and a deactivated
//! account are refused without a session; signing out ends the provider's session too.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{browser, csrf};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

on_both_backends!(
    a_person_signs_in_with_the_provider_and_lands_with_the_roles_their_groups_give,
    a_group_removed_in_the_directory_takes_its_role_away_at_the_next_sign_in,
    tokens_with_the_wrong_audience_issuer_nonce_or_signature_or_expired_are_refused,
    a_forged_state_and_a_replayed_code_are_refused,
    an_account_linked_to_another_identity_or_kept_for_emergencies_is_not_taken_over,
    an_unknown_domain_and_a_deactivated_account_are_refused,
    signing_out_ends_the_session_at_the_provider_too,
    with_passwords_off_only_break_glass_accounts_use_one,
);

/// The test provider, stopped when dropped (and, should the test process die, when its
/// stdin pipe closes).
struct Provider {
    child: Child,
    issuer: String,
    http: Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs the provider's packages once per test process, if they are missing.
fn install() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        if std::path::Path::new(dir).join("node_modules/oidc-provider").exists() {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent", "--prefix", dir])
            .status()
            .expect("run npm ci for tests/oidc");
        assert!(status.success(), "npm ci --prefix tests/oidc failed");
    });
}

impl Provider {
    /// Starts a provider, or None (the test is skipped, and says so) when Node.js is not
    /// installed — except under CI, where that fails the test.
    async fn start(test: &str) -> Option<Provider> {
        if Command::new("node").arg("--version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "{test}: CI is set but node is not installed");
            eprintln!("SKIPPED {test}: node (Node.js) is not installed; the OpenID provider needs it");
            return None;
        }
        let started = actix_web::rt::task::spawn_blocking(|| {
            install();
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/provider.mjs");
            let mut child = Command::new("node")
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the test OpenID provider");
            let mut line = String::new();
            let stdout = child.stdout.take().expect("stdout");
            std::io::BufReader::new(stdout).read_line(&mut line).expect("the provider's first line");
            let issuer: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            (child, issuer["issuer"].as_str().expect("issuer").to_owned())
        })
        .await
        .expect("join");
        Some(Provider { child: started.0, issuer: started.1, http: Client::new() })
    }

    /// Registers a client whose redirect is `base`'s callback: its id and secret.
    async fn register(&self, base: &str) -> (String, String) {
        let body = json!({
            "redirect_uris": [format!("{base}/sign-in/oidc/callback")],
            "post_logout_redirect_uris": [format!("{base}/sign-in")],
            "grant_types": ["authorization_code"], "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        });
        let made: Value = self
            .http
            .post(format!("{}/reg", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (made["client_id"].as_str().unwrap().to_owned(), made["client_secret"].as_str().unwrap().to_owned())
    }

    async fn account(&self, sub: &str, email: &str, groups: &[&str]) {
        let body = json!({ "email": email, "name": format!("{sub} Nordmann"), "groups": groups });
        let put = self.http.put(format!("{}/__test/accounts/{sub}", self.issuer)).json(&body).send().await;
        assert_eq!(put.unwrap().status(), StatusCode::NO_CONTENT);
    }

    async fn fault(&self, kind: &str) {
        let set =
            self.http.post(format!("{}/__test/fault", self.issuer)).json(&json!({ "kind": kind })).send();
        assert_eq!(set.await.unwrap().status(), StatusCode::NO_CONTENT);
    }
}

/// Endring with the provider configured (groups mapped to roles, one allowed domain).
async fn endring(
    backend: Backend,
    provider: &Provider,
    tweak: impl FnOnce(&mut endring::config::Config),
) -> TestApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (id, secret) = provider.register(&base).await;
    let issuer = provider.issuer.clone();
    TestApp::spawn_on(backend, listener, move |config| {
        config.base_url = base;
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(id);
        config.oidc_client_secret = Some(secret);
        config.oidc_display_name = "Kommune-ID".into();
        config.oidc_scopes = vec!["email".into(), "profile".into(), "groups".into()];
        config.oidc_allowed_domains = vec!["kommune.no".into(), "test.endring.no".into()];
        config.oidc_roles = [
            (endring::domain::role::Role::CabMember, vec!["grp-cab".to_owned()]),
            (endring::domain::role::Role::ChangeManager, vec!["grp-change-managers".to_owned()]),
        ]
        .into_iter()
        .collect();
        tweak(config);
    })
    .await
}

/// A redirect's target, made absolute against `base`.
fn location(response: &reqwest::Response, base: &str) -> String {
    let to = response.headers()["location"].to_str().unwrap();
    if to.starts_with("http") {
        to.to_owned()
    } else {
        format!("{base}{to}")
    }
}

/// Walks a browser from Endring's "Sign in with" button through the provider's sign-in
/// (as `login`, when it asks) to the callback address it sends the browser back to — not
/// yet followed, so a test may replay or tamper with it.
async fn to_callback(app: &TestApp, provider: &Provider, browser: &Client, login: &str) -> String {
    let start = browser.get(format!("{}/sign-in/oidc?next=/profile", app.address)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER, "to the provider");
    let mut at = location(&start, &app.address);
    assert!(at.starts_with(&provider.issuer), "{at}");
    assert!(
        at.contains("code_challenge_method=S256") && at.contains("nonce=") && at.contains("state="),
        "{at}"
    );
    for _ in 0..10 {
        if at.starts_with(&app.address) {
            return at;
        }
        let response = browser.get(&at).send().await.unwrap();
        if response.status() == StatusCode::OK {
            // The provider's sign-in form.
            let form = format!("{at}/login");
            let posted = browser.post(&form).form(&[("login", login)]).send().await.unwrap();
            assert_eq!(posted.status(), StatusCode::SEE_OTHER, "the provider takes {login}");
            at = location(&posted, &provider.issuer);
        } else {
            assert!(response.status().is_redirection(), "{at}: {}", response.status());
            at = location(&response, &provider.issuer);
        }
    }
    panic!("never came back to Endring")
}

/// Signs `login` in through the provider; the callback's answer.
async fn sign_in_as(app: &TestApp, provider: &Provider, browser: &Client, login: &str) -> reqwest::Response {
    let back = to_callback(app, provider, browser, login).await;
    browser.get(back).send().await.unwrap()
}

/// Whether `browser` is signed in at Endring (the home page answers, not the sign-in).
async fn signed_in(app: &TestApp, browser: &Client) -> bool {
    browser.get(format!("{}/", app.address)).send().await.unwrap().status() == StatusCode::OK
}

fn roles_of(app: &TestApp, email: &str) -> Vec<String> {
    let count = |role: &str| {
        app.db.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM user_roles r JOIN users u ON u.id = r.user_id \
             WHERE u.email = '{email}' AND r.role = '{role}'"
        ))
    };
    ["cab_member", "change_manager", "admin"]
        .iter()
        .filter(|r| count(r) == 1)
        .map(|r| r.to_string())
        .collect()
}

async fn a_person_signs_in_with_the_provider_and_lands_with_the_roles_their_groups_give(backend: Backend) {
    let Some(provider) = Provider::start("oidc_good_sign_in").await else { return };
    let app = endring(backend, &provider, |_| {}).await;
    provider.account("kari", "kari@kommune.no", &["grp-cab", "grp-unmapped"]).await;

    let page = browser().get(format!("{}/sign-in", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in with Kommune-ID") || page.contains("Logg inn med Kommune-ID"), "{page}");

    let browser = browser();
    let landed = sign_in_as(&app, &provider, &browser, "kari").await;
    assert_eq!(landed.status(), StatusCode::SEE_OTHER);
    assert_eq!(landed.headers()["location"], "/profile", "back to where the sign-in began");
    assert!(signed_in(&app, &browser).await);
    let profile = browser.get(format!("{}/profile", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains("kari Nordmann"), "the name the provider gave");

    // Made just in time: no password, linked to the provider's subject, a CAB member.
    let no_password = app.db.count(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE email = 'kari@kommune.no' \
         AND password_hash = '' AND oidc_subject IS NOT NULL",
    );
    assert_eq!(no_password, 1);
    assert_eq!(roles_of(&app, "kari@kommune.no"), ["cab_member"]);
    let audited = app.db.count(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'oidc_sign_in' \
         AND payload LIKE '%grp-unmapped%' AND payload LIKE '%\"created\":true%'",
    );
    assert_eq!(audited, 1, "the sign-in is audited with the groups seen");
    let session = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sessions WHERE method = 'oidc'");
    assert_eq!(session, 1);
    assert!(matches!(app.verify_audit().await, endring::services::audit::Verification::Intact { .. }));
}

async fn a_group_removed_in_the_directory_takes_its_role_away_at_the_next_sign_in(backend: Backend) {
    let Some(provider) = Provider::start("oidc_groups").await else { return };
    let app = endring(backend, &provider, |_| {}).await;
    provider.account("per", "per@kommune.no", &["grp-cab"]).await;
    assert_eq!(sign_in_as(&app, &provider, &browser(), "per").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(roles_of(&app, "per@kommune.no"), ["cab_member"]);

    // An admin gives Per a role the mapping does not govern: it stays.
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let roles = [endring::domain::role::Role::CabMember, endring::domain::role::Role::Admin]
            .into_iter()
            .collect();
        endring::services::users::set_roles(&ctx, None, "per@kommune.no", roles)
    })
    .await
    .unwrap()
    .unwrap();

    // In the directory: out of the CAB group, into the change managers'.
    provider.account("per", "per@kommune.no", &["grp-change-managers"]).await;
    assert_eq!(sign_in_as(&app, &provider, &browser(), "per").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(roles_of(&app, "per@kommune.no"), ["change_manager", "admin"]);
    let removed = app.db.count(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'oidc_sign_in' \
         AND payload LIKE '%\"roles_removed\":[\"cab_member\"]%'",
    );
    assert_eq!(removed, 1, "the removal is in the trail");
    let users =
        app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE email = 'per@kommune.no'");
    assert_eq!(users, 1, "the same account both times");
}

async fn tokens_with_the_wrong_audience_issuer_nonce_or_signature_or_expired_are_refused(backend: Backend) {
    let Some(provider) = Provider::start("oidc_bad_tokens").await else { return };
    let app = endring(backend, &provider, |_| {}).await;
    provider.account("eva", "eva@kommune.no", &["grp-cab"]).await;
    for fault in ["wrong_audience", "expired", "wrong_nonce", "wrong_issuer", "bad_signature"] {
        let browser = browser();
        let back = to_callback(&app, &provider, &browser, "eva").await;
        provider.fault(fault).await;
        let refused = browser.get(back).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{fault}");
        let page = refused.text().await.unwrap();
        assert!(page.contains("Kommune-ID") && page.contains("role=\"alert\""), "{fault}: {page}");
        assert!(!signed_in(&app, &browser).await, "{fault}: no session");
    }
    let made = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE email = 'eva@kommune.no'");
    assert_eq!(made, 0, "no account from a refused token");
    // The same person, with a good token, gets in.
    let browser = browser();
    assert_eq!(sign_in_as(&app, &provider, &browser, "eva").await.status(), StatusCode::SEE_OTHER);
    assert!(signed_in(&app, &browser).await);
}

async fn a_forged_state_and_a_replayed_code_are_refused(backend: Backend) {
    let Some(provider) = Provider::start("oidc_state_and_replay").await else { return };
    let app = endring(backend, &provider, |_| {}).await;
    provider.account("ola", "ola@kommune.no", &[]).await;

    // A state this browser did not start with.
    let browser_a = browser();
    let back = to_callback(&app, &provider, &browser_a, "ola").await;
    let state = back.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let forged = back.replace(&format!("state={state}"), "state=forged");
    let refused = browser_a.get(&forged).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(!signed_in(&app, &browser_a).await);
    // The state was used up by that attempt: the genuine callback now fails too.
    assert_eq!(browser_a.get(&back).send().await.unwrap().status(), StatusCode::BAD_REQUEST);

    // A code used once, replayed with the very cookie the browser had before its callback
    // (so the state and PKCE verifier match): only the code's reuse differs, and the
    // provider refuses it.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser_b = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let good = to_callback(&app, &provider, &browser_b, "ola").await;
    let at: reqwest::Url = app.address.parse().unwrap();
    use reqwest::cookie::CookieStore;
    let before = jar.cookies(&at).expect("the browser's cookies");
    assert_eq!(browser_b.get(&good).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let replayer = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let replayed = replayer.get(&good).header("cookie", before.clone()).send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED, "the provider refuses a used code");
    let home = replayer.get(format!("{}/", app.address)).header("cookie", before).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER, "no session from the replay");
    // And the first browser's callback, replayed as is, finds no sign-in under way.
    assert_eq!(browser_b.get(&good).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    let sessions = app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sessions WHERE method = 'oidc'");
    assert_eq!(sessions, 1, "the one good sign-in");
}

async fn an_account_linked_to_another_identity_or_kept_for_emergencies_is_not_taken_over(backend: Backend) {
    let Some(provider) = Provider::start("oidc_no_takeover").await else { return };
    let app = endring(backend, &provider, |config| {
        config.break_glass_accounts = vec!["admin@test.endring.no".into()];
    })
    .await;
    provider.account("kari", "kari@kommune.no", &["grp-change-managers"]).await;
    assert_eq!(sign_in_as(&app, &provider, &browser(), "kari").await.status(), StatusCode::SEE_OTHER);
    // Another identity at the provider with the same address (a guest, a recycled one).
    provider.account("kari-guest", "kari@kommune.no", &[]).await;
    let guest = browser();
    let refused = sign_in_as(&app, &provider, &guest, "kari-guest").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!signed_in(&app, &guest).await);
    let linked = app.db.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE email = 'kari@kommune.no' AND oidc_subject = '{}|kari'",
        provider.issuer
    ));
    assert_eq!(linked, 1, "still Kari's, with her roles: {:?}", roles_of(&app, "kari@kommune.no"));
    // A directory identity with the break-glass account's address.
    provider.account("mallory", "admin@test.endring.no", &[]).await;
    let mallory = browser();
    assert_eq!(sign_in_as(&app, &provider, &mallory, "mallory").await.status(), StatusCode::FORBIDDEN);
    let untouched =
        app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE email = 'admin@test.endring.no' AND oidc_subject IS NULL");
    assert_eq!(untouched, 1);
    assert_eq!(roles_of(&app, "admin@test.endring.no"), ["change_manager", "admin"]);
}

async fn an_unknown_domain_and_a_deactivated_account_are_refused(backend: Backend) {
    let Some(provider) = Provider::start("oidc_domain_and_deactivated").await else { return };
    let app = endring(backend, &provider, |_| {}).await;
    provider.account("eve", "eve@elsewhere.example", &["grp-change-managers"]).await;
    let browser_e = browser();
    let refused = sign_in_as(&app, &provider, &browser_e, "eve").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("eve@elsewhere.example"));
    assert!(!signed_in(&app, &browser_e).await);
    let made =
        app.db.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE email = 'eve@elsewhere.example'");
    assert_eq!(made, 0);

    provider.account("lise", "lise@kommune.no", &["grp-cab"]).await;
    let browser_l = browser();
    assert_eq!(sign_in_as(&app, &provider, &browser_l, "lise").await.status(), StatusCode::SEE_OTHER);
    let id = app.db.count("SELECT CAST(id AS BIGINT) AS n FROM users WHERE email = 'lise@kommune.no'");
    let (status, _) = app.post_status(&format!("/api/v1/users/{id}/deactivate"), &app.admin, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!signed_in(&app, &browser_l).await, "her session ended at once");
    let again = sign_in_as(&app, &provider, &browser(), "lise").await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN, "the provider vouches, Endring refuses");
}

async fn signing_out_ends_the_session_at_the_provider_too(backend: Backend) {
    let Some(provider) = Provider::start("oidc_sign_out").await else { return };
    let app = endring(backend, &provider, |_| {}).await;
    provider.account("siri", "siri@kommune.no", &[]).await;
    let browser = browser();
    assert_eq!(sign_in_as(&app, &provider, &browser, "siri").await.status(), StatusCode::SEE_OTHER);
    let home = browser.get(format!("{}/", app.address)).send().await.unwrap().text().await.unwrap();
    let out = browser
        .post(format!("{}/sign-out", app.address))
        .form(&[("csrf", csrf(&home))])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let there = location(&out, &app.address);
    // The pages' policy lets a form lead to this site and the provider, nowhere else.
    let policy = out.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains(&format!("form-action 'self' {};", provider.issuer)), "{policy}");
    assert!(there.starts_with(&format!("{}/session/end", provider.issuer)), "{there}");
    assert!(there.contains("id_token_hint=") && there.contains("post_logout_redirect_uri="), "{there}");
    assert!(!signed_in(&app, &browser).await, "signed out of Endring");
    // The provider's own sign-out form, posted as its page's script would, leads back.
    let form = browser.get(&there).send().await.unwrap().text().await.unwrap();
    let action = form.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let xsrf = form.split("name=\"xsrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let action = if action.starts_with("http") { action } else { format!("{}{action}", provider.issuer) };
    let done =
        browser.post(&action).form(&[("xsrf", xsrf.as_str()), ("logout", "yes")]).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done, &app.address), format!("{}/sign-in", app.address));
    // The next sign-in asks for the person again (the provider's session ended).
    let start = browser.get(format!("{}/sign-in/oidc", app.address)).send().await.unwrap();
    let auth = browser.get(location(&start, &app.address)).send().await.unwrap();
    let interaction = browser.get(location(&auth, &provider.issuer)).send().await.unwrap();
    assert_eq!(interaction.status(), StatusCode::OK, "the provider's sign-in form again");
}

async fn with_passwords_off_only_break_glass_accounts_use_one(backend: Backend) {
    let Some(provider) = Provider::start("oidc_passwords_off").await else { return };
    let app = endring(backend, &provider, |config| {
        config.password_sign_in = false;
        config.break_glass_accounts = vec!["admin@test.endring.no".into()];
    })
    .await;
    // The admin (break-glass) got an API token with a password when the app started.
    let (status, _) = app.call(reqwest::Method::GET, "/api/v1/me", Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    // Someone else's password is refused, on the page and for a token, with words saying why.
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let input = endring::services::users::NewUser {
            email: "tor@kommune.no".into(),
            name: "Tor".into(),
            roles: Default::default(),
            password: "correct horse battery staple".into(),
        };
        endring::services::users::add(&ctx, None, input)
    })
    .await
    .unwrap()
    .unwrap();
    let token = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({ "email": "tor@kommune.no", "password": "correct horse battery staple" })),
        )
        .await;
    assert_eq!(token.0, StatusCode::UNAUTHORIZED, "{token:?}");
    assert!(token.1["detail"].as_str().unwrap().contains("identity provider"), "{token:?}");
    let browser = browser();
    let page = browser.get(format!("{}/sign-in", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<details"), "the password form is folded away for break-glass use");
    let refused = browser
        .post(format!("{}/sign-in", app.address))
        .form(&[
            ("csrf", csrf(&page)),
            ("email", "tor@kommune.no".into()),
            ("password", "correct horse battery staple".into()),
            ("next", "/".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("Kommune-ID"));
    assert!(!signed_in(&app, &browser).await);
}
