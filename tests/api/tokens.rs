//! API tokens with scopes: made by their users (name, scopes, expiry), shown once, stored
//! hashed, last use recorded; a token does what its scopes and its user's roles both allow.

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    each_scope_opens_only_its_routes_and_never_more_than_the_roles,
    tokens_are_listed_without_secrets_revoked_and_never_widened_by_a_token,
    the_profile_page_makes_a_scoped_token_and_shows_it_once,
);

/// Makes a token for `user` with `scopes`; a `User` that calls with it.
async fn token(app: &TestApp, user: &User, name: &str, scopes: &[&str]) -> User {
    let body = json!({ "name": name, "scopes": scopes, "expires_in_days": 30 });
    let (status, made) = app.call(Method::POST, "/api/v1/auth/tokens", Some(user), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["name"], name);
    User { token: made["token"].as_str().unwrap().to_owned(), ..user.clone() }
}

async fn each_scope_opens_only_its_routes_and_never_more_than_the_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("mona", &[Role::CabMember]).await;
    let waiting = app.change_in(ChangeState::Authorize).await;
    let scheduled =
        app.new_change().starting_in(chrono::Duration::minutes(-5)).in_state(ChangeState::Scheduled).await;
    let change = |staged: &crate::builder::Staged| format!("/api/v1/changes/{}", staged.change["id"]);
    let vote = json!({ "decision": "approve", "comment": "Fine" });
    let draft = json!({ "title": "Ny brannmur", "description": "d", "justification": "j", "type": "normal" });

    let read = token(&app, &member, "dashboard", &["read"]).await;
    assert_eq!(app.call(Method::GET, &change(&waiting), Some(&read), None).await.0, StatusCode::OK);
    assert_eq!(
        app.call(Method::GET, &format!("{}/gate", change(&waiting)), Some(&read), None).await.0,
        StatusCode::OK
    );
    let (status, body) = app.call(Method::POST, "/api/v1/changes", Some(&read), Some(draft.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read token cannot write: {body}");
    let voted =
        app.call(Method::POST, &format!("{}/votes", change(&waiting)), Some(&read), Some(vote.clone())).await;
    assert_eq!(voted.0, StatusCode::FORBIDDEN);

    let gate = token(&app, &member, "pipeline", &["gate"]).await;
    assert_eq!(
        app.call(Method::GET, &format!("{}/gate", change(&waiting)), Some(&gate), None).await.0,
        StatusCode::OK
    );
    let voted =
        app.call(Method::POST, &format!("{}/votes", change(&waiting)), Some(&gate), Some(vote.clone())).await;
    assert_eq!(voted.0, StatusCode::FORBIDDEN, "a gate token cannot vote: {}", voted.1);
    // A gate token of the implementer records the start; the same scope is no use to
    // someone whose roles do not let them start it.
    let pipeline = token(&app, &scheduled.implementer, "deploy", &["gate"]).await;
    let stranger = token(&app, &member, "deploy", &["gate"]).await;
    let refused = app
        .call(Method::POST, &format!("{}/start", change(&scheduled)), Some(&stranger), Some(json!({})))
        .await;
    assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
    let started = app
        .call(Method::POST, &format!("{}/start", change(&scheduled)), Some(&pipeline), Some(json!({})))
        .await;
    assert_eq!(started.0, StatusCode::OK, "{}", started.1);
    let edited = app.call(Method::POST, "/api/v1/changes", Some(&pipeline), Some(draft.clone())).await;
    assert_eq!(edited.0, StatusCode::FORBIDDEN, "a gate token cannot file changes");
    let read_back = app.call(Method::GET, &change(&scheduled), Some(&pipeline), None).await;
    assert_eq!(read_back.0, StatusCode::FORBIDDEN, "nor read changes: {}", read_back.1);
    // Nor who votes for whom, which a read token may list.
    let delegations = app.call(Method::GET, "/api/v1/delegations", Some(&pipeline), None).await;
    assert_eq!(delegations.0, StatusCode::FORBIDDEN, "nor delegations: {}", delegations.1);
    let delegations = app.call(Method::GET, "/api/v1/delegations", Some(&read), None).await;
    assert_eq!(delegations.0, StatusCode::OK, "{}", delegations.1);
    let result = json!({ "closure_code": "successful" });
    let completed = app
        .call(Method::POST, &format!("{}/complete", change(&scheduled)), Some(&pipeline), Some(result))
        .await;
    assert_eq!(completed.0, StatusCode::OK, "the pipeline records the result: {}", completed.1);

    let drafted = app.change_in(ChangeState::Draft).await;
    let desk = token(&app, &drafted.requester, "service desk", &["incidents"]).await;
    let link = json!({ "incident": "INC-1", "relation": "raised_from" });
    let (status, body) =
        app.call(Method::POST, &format!("{}/incidents", change(&drafted)), Some(&desk), Some(link)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        app.call(Method::POST, "/api/v1/changes", Some(&desk), Some(draft.clone())).await.0,
        StatusCode::FORBIDDEN
    );

    // `write` is what a person may do, and no more: the member votes, but cannot assess.
    let write = token(&app, &member, "scripts", &["write"]).await;
    let voted =
        app.call(Method::POST, &format!("{}/votes", change(&waiting)), Some(&write), Some(vote)).await;
    assert!(voted.0.is_success(), "{}", voted.1);
    let assessing = app.change_in(ChangeState::Assess).await;
    let assess = json!({ "outcome": "authorize" });
    let assessed =
        app.call(Method::POST, &format!("{}/assess", change(&assessing)), Some(&write), Some(assess)).await;
    assert_eq!(assessed.0, StatusCode::FORBIDDEN, "the roles still decide: {}", assessed.1);
}

async fn tokens_are_listed_without_secrets_revoked_and_never_widened_by_a_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[]).await;
    let gate = token(&app, &rita, "pipeline", &["gate"]).await;
    // Stored hashed: the secret is in no row.
    let plain = app.db.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM api_tokens WHERE token_hash = '{}'",
        gate.token
    ));
    assert_eq!(plain, 0);
    // Used once, it shows its last use; the list never holds a secret.
    app.get("/api/v1/me", &gate).await;
    let listed = app.get("/api/v1/auth/tokens", &rita).await;
    let pipeline =
        listed.as_array().unwrap().iter().find(|t| t["name"] == "pipeline").cloned().expect("listed");
    assert_eq!(pipeline["scopes"], json!(["gate"]));
    assert!(pipeline["last_used_at"].is_string(), "{pipeline}");
    assert!(!listed.to_string().contains(&gate.token), "no secret in the list");
    // A token cannot make a wider one (a gate token makes none); bad requests are named
    // fields.
    let wider = json!({ "name": "more", "scopes": ["write"] });
    let (status, _) = app.call(Method::POST, "/api/v1/auth/tokens", Some(&gate), Some(wider.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let read = token(&app, &rita, "dashboard", &["read"]).await;
    let scripts = token(&app, &rita, "scripts", &["write"]).await;
    // A token made with a token lasts no longer than its maker (30 days here).
    let child = json!({ "name": "child", "scopes": ["read"], "expires_in_days": 366 });
    let (status, made) = app.call(Method::POST, "/api/v1/auth/tokens", Some(&scripts), Some(child)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let made_until: chrono::DateTime<chrono::Utc> = made["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(made_until <= app.ctx.clock.now() + chrono::Duration::days(30), "{made}");
    // Within its maker: `gate` lies inside `write` (a narrower token cannot make any).
    let within = json!({ "name": "deploy", "scopes": ["gate"] });
    let (status, body) = app.call(Method::POST, "/api/v1/auth/tokens", Some(&scripts), Some(within)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let bad = json!({ "name": "", "scopes": [], "expires_in_days": 999 });
    let (status, body) = app.call(Method::POST, "/api/v1/auth/tokens", Some(&rita), Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "scopes", "expires_in_days"], "{body}");
    let unknown = json!({ "name": "x", "scopes": ["everything"] });
    assert_eq!(
        app.call(Method::POST, "/api/v1/auth/tokens", Some(&rita), Some(unknown)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A read token lists, but neither makes nor revokes tokens; no one but an admin
    // revokes someone else's.
    assert_eq!(app.call(Method::GET, "/api/v1/auth/tokens", Some(&read), None).await.0, StatusCode::OK);
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            Some(&read),
            Some(json!({ "name": "r", "scopes": ["read"] })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("token's scopes (read)"), "the scope is named: {body}");
    let gate_id = app
        .get("/api/v1/auth/tokens", &rita)
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "pipeline")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/auth/tokens/{gate_id}"), Some(&read), None).await.0,
        StatusCode::FORBIDDEN
    );
    let odd = app.user("odd", &[]).await;
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/auth/tokens/{gate_id}"), Some(&odd), None).await.0,
        StatusCode::FORBIDDEN
    );
    // Admins see everyone's; others may not ask.
    assert_eq!(
        app.call(Method::GET, "/api/v1/auth/tokens?all=true", Some(&rita), None).await.0,
        StatusCode::FORBIDDEN
    );
    let everyone = app.get("/api/v1/auth/tokens?all=true", &app.admin).await;
    assert!(everyone.as_array().unwrap().iter().any(|t| t["name"] == "pipeline"));
    // Revoked (here by an admin), it works no more.
    let id = pipeline["id"].as_i64().unwrap();
    let revoked =
        app.call(Method::DELETE, &format!("/api/v1/auth/tokens/{id}"), Some(&app.admin), None).await;
    assert_eq!(revoked.0, StatusCode::NO_CONTENT);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&gate), None).await.0, StatusCode::UNAUTHORIZED);
    let _: Value = app.get("/api/v1/me", &rita).await;
}

async fn the_profile_page_makes_a_scoped_token_and_shows_it_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rita = app.user("rita", &[]).await;
    let browser = crate::pages::sign_in(&app, &rita).await;
    let page = browser.get(format!("{}/profile", app.address)).send().await.unwrap().text().await.unwrap();
    let form = [
        ("csrf", crate::pages::csrf(&page)),
        ("token_name", "deploy".to_owned()),
        ("scopes", "gate".to_owned()),
        ("expires_in_days", "30".to_owned()),
    ];
    let made = browser.post(format!("{}/profile/tokens", app.address)).form(&form).send().await.unwrap();
    assert_eq!(made.status(), StatusCode::OK);
    let shown = made.text().await.unwrap();
    let tag = "<code class=\"feed-address\">";
    let at = shown.find(tag).expect("the token, shown") + tag.len();
    let secret: String = shown[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    assert_eq!(secret.len(), 64, "{}", &shown[at..at + 80]);
    let pipeline = User { token: secret.clone(), ..rita.clone() };
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&pipeline), None).await.0, StatusCode::OK);
    let draft = json!({ "title": "t", "description": "d", "justification": "j", "type": "normal" });
    assert_eq!(
        app.call(Method::POST, "/api/v1/changes", Some(&pipeline), Some(draft)).await.0,
        StatusCode::FORBIDDEN
    );
    let again = browser.get(format!("{}/profile", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains(&secret), "shown once");
    assert!(again.contains("deploy"), "listed by name");
    // No scope chosen: the form says so, in the page's words.
    let none = [
        ("csrf", crate::pages::csrf(&again)),
        ("name", "x".to_owned()),
        ("expires_in_days", "30".to_owned()),
    ];
    let refused = browser.post(format!("{}/profile/tokens", app.address)).form(&none).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
