//! The authorization matrix: the change routes of the API and the change page and its
//! forms, asked by eleven role combinations, as the change's requester, its implementer
//! and someone else, in every state; then 51 other routes and forms by each combination.
//!
//! What is expected is written here from SPEC §3 (the "who" column) and §8 and from
//! docs/decisions.md — a table of its own, not a call to casbin — so a policy line that
//! grants or refuses more than the product promises is caught. "Allowed" means the policy
//! let the request through: anything but 401/403 (the lifecycle may still answer 409, the
//! input 422); "refused" means 403. A 5xx is a failure either way. The size is printed and
//! written to `$CARGO_TARGET_TMPDIR/matrix-<backend>.txt` (CI shows it).

use crate::helpers::{low_risk, very_high_risk, Backend, TestApp, User};
use crate::on_both_backends;
use crate::pages::{csrf, page, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

on_both_backends!(
    every_change_route_answers_each_role_relation_and_state_as_the_spec_says,
    every_other_route_answers_each_role_as_the_spec_says,
);

/// The role combinations asked: each role alone (everyone holds `requester`), and the
/// combinations people really hold.
const COMBOS: &[&[Role]] = &[
    &[],
    &[Role::Implementer],
    &[Role::CabMember],
    &[Role::ChangeManager],
    &[Role::Manager],
    &[Role::ServiceDesk],
    &[Role::Admin],
    &[Role::ChangeManager, Role::CabMember],
    &[Role::Implementer, Role::CabMember],
    &[Role::Admin, Role::ChangeManager],
    &[Role::ServiceDesk, Role::Implementer],
];

fn combo_name(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    if names.is_empty() {
        "requester".into()
    } else {
        names.join("+")
    }
}

/// Who the caller is to the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Requester,
    Implementer,
    Other,
}

/// What is asked of one change, through the API or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Read,
    Edit,
    Delete,
    Note,
    Attach,
    Copy,
    LinkRaisedFrom,
    LinkCaused,
    Risk,
    Submit,
    Assess,
    Return,
    Reschedule,
    Start,
    Complete,
    Review,
    Cancel,
    Vote,
}

/// SPEC §3's "who", §8's roles and the decisions, for one change: whether the policy lets
/// `roles` (everyone also holds `requester`) as `relation` ask `ask` in `state`.
fn spec_allows(ask: Ask, roles: &[Role], relation: Relation, state: ChangeState) -> bool {
    let has = |role| roles.contains(&role);
    let manager = has(Role::ChangeManager);
    let own = relation == Relation::Requester;
    let doing = relation == Relation::Implementer;
    // Segregation of duties: not on a change one filed or is to implement.
    let apart = !own && !doing;
    match ask {
        // Every signed-in user reads every change, adds notes and files, copies one.
        Ask::Read | Ask::Note | Ask::Attach | Ask::Copy => true,
        // The requester edits their own draft (a non-draft is the lifecycle's 409).
        Ask::Edit | Ask::Submit => own,
        // A draft never submitted, by its requester.
        Ask::Delete => own && state == ChangeState::Draft,
        // What a change was raised from: its requester, a change manager or the service
        // desk (§8: "incident links"); what it caused: its implementer (as an
        // implementer), a change manager or the service desk.
        Ask::LinkRaisedFrom => own || manager || has(Role::ServiceDesk),
        Ask::LinkCaused => (doing && has(Role::Implementer)) || manager || has(Role::ServiceDesk),
        // The requester while drafting; a change manager in assessment, not on their own.
        Ask::Risk => {
            (own && state == ChangeState::Draft) || (manager && state == ChangeState::Assess && apart)
        }
        Ask::Assess | Ask::Review => manager && apart,
        Ask::Return | Ask::Reschedule => manager,
        Ask::Start | Ask::Complete => manager || (doing && has(Role::Implementer)),
        Ask::Cancel => own || manager,
        Ask::Vote => (has(Role::CabMember) || manager) && apart,
    }
}

/// Whether a successful `ask` may have moved the change out of its state (or deleted it).
fn moves(ask: Ask) -> bool {
    matches!(
        ask,
        Ask::Delete
            | Ask::Submit
            | Ask::Assess
            | Ask::Return
            | Ask::Start
            | Ask::Complete
            | Ask::Review
            | Ask::Cancel
            | Ask::Vote
    )
}

const ASKS: &[Ask] = &[
    Ask::Read,
    Ask::Edit,
    Ask::Note,
    Ask::Attach,
    Ask::Copy,
    Ask::LinkRaisedFrom,
    Ask::LinkCaused,
    Ask::Risk,
    Ask::Submit,
    Ask::Assess,
    Ask::Return,
    Ask::Reschedule,
    Ask::Start,
    Ask::Complete,
    Ask::Review,
    Ask::Vote,
    Ask::Cancel,
    Ask::Delete,
];

/// The people of the matrix: the requester and implementer of every change, someone
/// else, and a browser session of each.
struct Cast {
    requester: User,
    implementer: User,
    other: User,
    /// CAB members who approve (and reject) on the way to a state: made once, since
    /// every new account signs in, and sign-ins from one address are limited.
    voters: Vec<User>,
    browsers: Vec<(Client, String)>,
}

impl Cast {
    fn user(&self, relation: Relation) -> &User {
        match relation {
            Relation::Requester => &self.requester,
            Relation::Implementer => &self.implementer,
            Relation::Other => &self.other,
        }
    }

    fn browser(&self, relation: Relation) -> &(Client, String) {
        &self.browsers[relation as usize]
    }
}

async fn set_roles(app: &TestApp, user: &User, roles: &[Role]) {
    let (ctx, email) = (app.ctx.clone(), user.email.clone());
    let roles: BTreeSet<Role> = roles.iter().copied().collect();
    actix_web::rt::task::spawn_blocking(move || {
        endring::services::users::set_roles(&ctx, None, &email, roles)
    })
    .await
    .expect("join")
    .expect("set roles");
}

/// A change of the cast's requester and implementer in `state`. Changes that must pass
/// `implement` are emergencies (they start before their window, so the clock stays put);
/// the one waiting for the CAB needs four approvals, so one vote rarely decides it.
async fn stage(app: &TestApp, cast: &Cast, state: ChangeState, combo: &[Role], relation: Relation) -> Value {
    // The implementer must be one while the change is taken along.
    set_roles(app, &cast.implementer, &[Role::Implementer]).await;
    let builder = app
        .new_change()
        .requested_by(&cast.requester)
        .implemented_by(&cast.implementer)
        .voters(&cast.voters)
        .starting_in(chrono::Duration::hours(4));
    let builder = match state {
        ChangeState::Authorize => builder.risk(very_high_risk()),
        ChangeState::Implement | ChangeState::Review | ChangeState::Closed => {
            builder.risk(low_risk()).emergency()
        }
        _ => builder.risk(low_risk()),
    };
    let change = builder.in_state(state).await.change;
    if relation == Relation::Implementer {
        set_roles(app, &cast.implementer, combo).await;
    }
    change
}

/// The JSON API request for `ask` on `change`.
fn api_request(ask: Ask, change: &Value) -> (Method, String, Option<Value>) {
    let base = format!("/api/v1/changes/{}", change["id"]);
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(change["planned_start"].clone()).expect("a planned start");
    let post = |tail: &str, body: Value| (Method::POST, format!("{base}/{tail}"), Some(body));
    match ask {
        Ask::Read => (Method::GET, base, None),
        Ask::Edit => (Method::PATCH, base, Some(json!({ "title": "Edited in the matrix" }))),
        Ask::Delete => (Method::DELETE, base, None),
        Ask::Note => post("notes", json!({ "body": "A note from the matrix" })),
        Ask::Attach => (Method::POST, format!("{base}/attachments?name=note.txt"), None),
        Ask::Copy => post("copy", json!({})),
        Ask::LinkRaisedFrom => post("incidents", json!({ "incident": "INC-1", "relation": "raised_from" })),
        Ask::LinkCaused => post("incidents", json!({ "incident": "INC-2", "relation": "caused" })),
        Ask::Risk => (Method::PUT, format!("{base}/risk"), Some(json!({ "answers": low_risk() }))),
        Ask::Submit => post("submit", json!({})),
        Ask::Assess => post("assess", json!({ "outcome": "authorize" })),
        Ask::Return => post("return", json!({ "comment": "More detail, please" })),
        Ask::Reschedule => post(
            "reschedule",
            json!({ "planned_start": start + chrono::Duration::days(1), "planned_end": start + chrono::Duration::days(1) + chrono::Duration::hours(2), "reason": "Moved" }),
        ),
        Ask::Start => post("start", json!({})),
        Ask::Complete => post("complete", json!({ "closure_code": "successful" })),
        Ask::Review => post("review", json!({ "review": "Went as planned" })),
        Ask::Cancel => post("cancel", json!({ "reason": "Not needed" })),
        Ask::Vote => post("votes", json!({ "decision": "approve" })),
    }
}

async fn ask_api(app: &TestApp, user: &User, ask: Ask, change: &Value) -> StatusCode {
    let (method, path, body) = api_request(ask, change);
    let mut request = app.client.request(method, format!("{}{path}", app.address)).bearer_auth(&user.token);
    request = match (ask, body) {
        (Ask::Attach, _) => request.header("content-type", "text/plain").body("Plain text"),
        (_, Some(body)) => request.json(&body),
        (_, None) => request,
    };
    if ask == Ask::Edit {
        request = request.header("if-match", format!("\"{}\"", change["version"]));
    }
    request.send().await.expect("request").status()
}

/// The page request for `ask`, when a page or form asks it: GET for reading (the change
/// page, the edit form), a form post for the rest.
async fn ask_page(app: &TestApp, browser: &(Client, String), ask: Ask, change: &Value) -> Option<StatusCode> {
    let reference = change["ref"].as_str().expect("a reference");
    let base = format!("{}/changes/{reference}", app.address);
    let (client, token) = browser;
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&chrono_tz::Europe::Oslo).format("%Y-%m-%dT%H:%M").to_string()
    };
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(change["planned_start"].clone()).expect("a planned start");
    let moved = start + chrono::Duration::days(1);
    let field = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let (path, fields): (&str, Vec<(String, String)>) = match ask {
        Ask::Read => return Some(client.get(&base).send().await.unwrap().status()),
        Ask::Edit => return Some(client.get(format!("{base}/edit")).send().await.unwrap().status()),
        Ask::Delete => ("delete", vec![]),
        Ask::Note => ("notes", vec![field("body", "A note from the matrix")]),
        Ask::Copy => ("copy", vec![]),
        Ask::LinkRaisedFrom => {
            ("incidents", vec![field("incident", "INC-1"), field("relation", "raised_from")])
        }
        Ask::LinkCaused => ("incidents", vec![field("incident", "INC-2"), field("relation", "caused")]),
        Ask::Risk => (
            "risk",
            low_risk()
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (format!("answers.{k}"), v.as_str().unwrap().to_owned()))
                .collect(),
        ),
        Ask::Submit => ("submit", vec![]),
        Ask::Assess => ("assess", vec![field("outcome", "authorize")]),
        Ask::Return => ("return", vec![field("comment", "More detail, please")]),
        Ask::Reschedule => (
            "reschedule",
            vec![
                ("planned_start".to_owned(), local(moved)),
                ("planned_end".to_owned(), local(moved + chrono::Duration::hours(2))),
                field("reason", "Moved"),
            ],
        ),
        Ask::Start => ("start", vec![]),
        Ask::Complete => ("complete", vec![field("closure_code", "successful")]),
        Ask::Review => ("review", vec![field("review", "Went as planned")]),
        Ask::Cancel => ("cancel", vec![field("reason", "Not needed")]),
        Ask::Vote => ("votes", vec![field("decision", "approve")]),
        // Uploads are multipart forms: the API's upload above stands for them.
        Ask::Attach => return None,
    };
    let mut form = vec![field("csrf", token)];
    form.extend(fields);
    let response = client.post(format!("{base}/{path}")).form(&form).send().await.unwrap();
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
    // A form sent back to the sign-in page was not let through: counted as a 401.
    if location.starts_with("/sign-in") {
        return Some(StatusCode::UNAUTHORIZED);
    }
    Some(response.status())
}

/// One case's outcome against what the spec says, as a line for the report when wrong.
fn judge(status: StatusCode, expected: bool, case: &str) -> Option<String> {
    let refused = status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED;
    let wrong = status.is_server_error()
        || status == StatusCode::NOT_FOUND
        || status == StatusCode::UNAUTHORIZED
        || refused == expected;
    wrong.then(|| {
        let what = match (status.is_server_error(), expected) {
            (true, _) => "server error",
            (false, true) => "unexpected deny",
            (false, false) => "unexpected allow",
        };
        format!("{what}: {case} answered {status}")
    })
}

fn report(backend: &Backend, name: &str, cases: usize, wrong: &[String]) {
    let backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres { .. } => "postgresql",
    };
    let line = format!("authorization matrix ({name}, {backend}): {cases} cases, {} wrong\n", wrong.len());
    print!("{line}");
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("matrix-{name}-{backend}.txt"));
    std::fs::write(file, &line).expect("write the matrix's size");
    assert!(
        wrong.is_empty(),
        "{} of {cases} cases were not as the spec says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

async fn every_change_route_answers_each_role_relation_and_state_as_the_spec_says(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let requester = app.user("matrix-requester", &[]).await;
    let implementer = app.user("matrix-implementer", &[Role::Implementer]).await;
    let other = app.user("matrix-other", &[]).await;
    let mut browsers = Vec::new();
    for user in [&requester, &implementer, &other] {
        let client = sign_in(&app, user).await;
        let (_, html) = page(&client, &app, "/changes/new").await;
        browsers.push((client, csrf(&html)));
    }
    let mut voters = Vec::new();
    for n in 0..3 {
        voters.push(app.user(&format!("matrix-voter-{n}"), &[Role::CabMember]).await);
    }
    let cast = Cast { requester, implementer, other, voters, browsers };
    let mut cases = 0;
    let mut wrong = Vec::new();
    for combo in COMBOS {
        for relation in [Relation::Requester, Relation::Implementer, Relation::Other] {
            let caller = cast.user(relation).clone();
            // The default roles of the cast, then the combination on the one asking.
            set_roles(&app, &cast.requester, &[]).await;
            set_roles(&app, &cast.implementer, &[Role::Implementer]).await;
            set_roles(&app, &cast.other, &[]).await;
            set_roles(&app, &caller, combo).await;
            for &state in ChangeState::ALL {
                let mut change = stage(&app, &cast, state, combo, relation).await;
                for &ask in ASKS {
                    let expected = spec_allows(ask, combo, relation, state);
                    for channel in ["api", "page"] {
                        let status = match channel {
                            "api" => Some(ask_api(&app, &caller, ask, &change).await),
                            _ => ask_page(&app, cast.browser(relation), ask, &change).await,
                        };
                        let Some(status) = status else { continue };
                        cases += 1;
                        let case =
                            format!("{channel} {ask:?} by {} as {relation:?} in {state}", combo_name(combo));
                        wrong.extend(judge(status, expected, &case));
                        // What went through may have moved the change: the next case
                        // needs it where it was.
                        let refused = status == StatusCode::FORBIDDEN;
                        if !refused {
                            let (status, now) = app
                                .call(
                                    Method::GET,
                                    &format!("/api/v1/changes/{}", change["id"]),
                                    Some(&app.admin),
                                    None,
                                )
                                .await;
                            if moves(ask) && (status != StatusCode::OK || now["state"] != change["state"]) {
                                change = stage(&app, &cast, state, combo, relation).await;
                            } else if status == StatusCode::OK {
                                change = now;
                            }
                        }
                    }
                }
            }
        }
    }
    report(&backend, "changes", cases, &wrong);
}

/// Who may use each route that is not one change's, by SPEC §8 and the decisions.
#[derive(Debug, Clone, Copy)]
enum Who {
    Everyone,
    Admin,
    AdminOrChangeManager,
    ChangeManager,
    Reports,
    Messages,
}

impl Who {
    fn allows(self, roles: &[Role]) -> bool {
        let has = |role| roles.contains(&role);
        match self {
            Who::Everyone => true,
            Who::Admin => has(Role::Admin),
            Who::AdminOrChangeManager => has(Role::Admin) || has(Role::ChangeManager),
            Who::ChangeManager => has(Role::ChangeManager),
            // Managers watch the figures (read-only), as do change managers and admins.
            Who::Reports => has(Role::Manager) || has(Role::ChangeManager) || has(Role::Admin),
            // The service desk tells employees what is changing; change managers too.
            Who::Messages => has(Role::ServiceDesk) || has(Role::ChangeManager),
        }
    }
}

async fn every_other_route_answers_each_role_as_the_spec_says(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let ci = app.ci("Matrix CI", 3).await;
    let victim = app.user("matrix-victim", &[]).await;
    let mut cases = 0;
    let mut wrong = Vec::new();
    for (n, combo) in COMBOS.iter().enumerate() {
        let caller = app.user(&format!("matrix-caller-{n}"), combo).await;
        let browser = sign_in(&app, &caller).await;
        let starts = app.ctx.clock.now() + chrono::Duration::days(20 + n as i64);
        let api: Vec<(Method, String, Value, Who)> = vec![
            (Method::GET, "/api/v1/me".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/changes".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/calendar".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/desk".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/cis".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/templates".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/blackouts".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/maintenance-windows".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/calendar/days-off".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/cab/meetings".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/users".into(), Value::Null, Who::Admin),
            (Method::POST, format!("/api/v1/users/{}/password-reset", victim.id), json!({}), Who::Admin),
            (Method::POST, format!("/api/v1/users/{}/deactivate", victim.id), json!({}), Who::Admin),
            (Method::POST, format!("/api/v1/users/{}/reactivate", victim.id), json!({}), Who::Admin),
            (
                Method::POST,
                "/api/v1/cis".into(),
                json!({ "name": format!("CI {n}"), "kind": "application", "criticality": 3, "owner_email": "o@test.endring.no" }),
                Who::Admin,
            ),
            (
                Method::PUT,
                format!("/api/v1/cis/{ci}"),
                json!({ "name": "Matrix CI", "kind": "application", "criticality": 3, "owner_email": "o@test.endring.no" }),
                Who::Admin,
            ),
            (
                Method::POST,
                "/api/v1/templates".into(),
                json!({ "name": format!("Template {n}"), "description": "d", "implementation_plan": "p", "backout_plan": "b", "test_plan": "t", "ci_ids": [ci], "max_duration_minutes": 120 }),
                Who::AdminOrChangeManager,
            ),
            (
                Method::POST,
                "/api/v1/blackouts".into(),
                json!({ "title": format!("Freeze {n}"), "starts_at": starts, "ends_at": starts + chrono::Duration::hours(1) }),
                Who::AdminOrChangeManager,
            ),
            (
                Method::POST,
                "/api/v1/maintenance-windows".into(),
                json!({ "ci_id": ci, "weekday": "Tuesday", "starts": format!("{:02}:00", n % 20), "ends": "23:00" }),
                Who::AdminOrChangeManager,
            ),
            (Method::GET, "/api/v1/templates/candidates".into(), Value::Null, Who::AdminOrChangeManager),
            (Method::GET, "/api/v1/cab/settings".into(), Value::Null, Who::AdminOrChangeManager),
            (
                Method::POST,
                "/api/v1/cab/meetings".into(),
                json!({ "title": format!("ECAB {n}"), "starts_at": starts }),
                Who::ChangeManager,
            ),
            (
                Method::POST,
                "/api/v1/calendar/closed-days".into(),
                json!({ "day": (starts + chrono::Duration::days(40)).date_naive(), "name": "Closed" }),
                Who::Admin,
            ),
            (Method::GET, "/api/v1/outbox/failed".into(), Value::Null, Who::Admin),
            (Method::GET, "/api/v1/webhooks".into(), Value::Null, Who::Admin),
            (
                Method::POST,
                "/api/v1/webhooks".into(),
                json!({ "url": "https://hooks.example.no/endring", "secret": "a-secret-of-enough-length-1234", "events": ["submitted"] }),
                Who::Admin,
            ),
            (Method::GET, "/api/v1/reports/summary".into(), Value::Null, Who::Reports),
            (Method::GET, "/api/v1/reports/changes.csv".into(), Value::Null, Who::Reports),
            (
                Method::POST,
                "/api/v1/messages".into(),
                json!({ "title_nb": "Treg e-post", "body_nb": "Vi ser på det.", "title_en": "Slow e-mail", "body_en": "We are on it." }),
                Who::Messages,
            ),
        ];
        for (method, path, body, who) in api {
            let body = (!body.is_null()).then_some(body);
            let (status, answer) = app.call(method.clone(), &path, Some(&caller), body).await;
            cases += 1;
            let case = format!("{method} {path} by {} ({answer})", combo_name(combo));
            wrong.extend(judge(status, who.allows(combo), &case));
        }
        let pages: &[(&str, Who)] = &[
            ("/", Who::Everyone),
            ("/changes", Who::Everyone),
            ("/changes/new", Who::Everyone),
            ("/calendar", Who::Everyone),
            ("/cab", Who::Everyone),
            ("/desk", Who::Everyone),
            ("/profile", Who::Everyone),
            ("/messages", Who::Everyone),
            ("/admin/users", Who::Admin),
            ("/admin/cis", Who::Admin),
            ("/admin/notices", Who::Admin),
            ("/admin/webhooks", Who::Admin),
            ("/admin/calendar", Who::Admin),
            ("/admin/templates", Who::AdminOrChangeManager),
            ("/admin/blackouts", Who::AdminOrChangeManager),
            ("/admin/maintenance", Who::AdminOrChangeManager),
            ("/admin/cab", Who::AdminOrChangeManager),
            ("/reports", Who::Reports),
            ("/reports/changes.csv", Who::Reports),
        ];
        for (path, who) in pages {
            let (status, _) = page(&browser, &app, path).await;
            cases += 1;
            wrong.extend(judge(status, who.allows(combo), &format!("page {path} by {}", combo_name(combo))));
        }
        // The admin forms that add, as a person would post them.
        let (_, html) = page(&browser, &app, "/changes/new").await;
        let token = csrf(&html);
        type Fields = Vec<(&'static str, String)>;
        let forms: Vec<(&str, Fields, Who)> = vec![
            (
                "/admin/cis",
                vec![
                    ("name", format!("Form CI {n}")),
                    ("kind", "application".into()),
                    ("criticality", "3".into()),
                    ("owner_email", "o@test.endring.no".into()),
                ],
                Who::Admin,
            ),
            (
                "/admin/blackouts",
                vec![
                    ("title", format!("Form freeze {n}")),
                    ("starts_at", "2031-01-10T10:00".into()),
                    ("ends_at", "2031-01-10T12:00".into()),
                ],
                Who::AdminOrChangeManager,
            ),
            (
                "/admin/users/roles",
                vec![("email", victim.email.clone()), ("roles", "requester".into())],
                Who::Admin,
            ),
        ];
        for (path, fields, who) in forms {
            let mut form: Vec<(&str, String)> = vec![("csrf", token.clone())];
            form.extend(fields);
            let status =
                browser.post(format!("{}{path}", app.address)).form(&form).send().await.unwrap().status();
            cases += 1;
            wrong.extend(judge(status, who.allows(combo), &format!("form {path} by {}", combo_name(combo))));
        }
    }
    report(&backend, "routes", cases, &wrong);
}
