//! The authorization matrix: the change routes of the API and the change page and its
//! forms, asked by eleven role combinations, as the change's requester, its implementer
//! and someone else (who may be a member's delegate), in every state; then every other
//! route, page and form by each combination (records of every kind made afresh for each,
//! then edited, retired, deleted, tested, retried, through the API and the admin pages; the
//! caller's own tokens, sessions, feeds and delegations and a CAB member's); then every
//! route the server has, asked by someone not signed in. Each request is named by the
//! route of the server's own tables it reaches, and a route no part of the matrix asks
//! (public ones aside) fails the test: a new route needs its expectation here.
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
    no_route_but_the_public_ones_answers_anyone_not_signed_in,
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
    /// A vote for a member who named the caller their delegate.
    VoteFor,
    /// The change's timeline, its free slots, its deployment gate, its files.
    Events,
    Slots,
    Gate,
    Attachments,
    /// One of its files.
    Download,
    /// Removing an incident link the caller added.
    Unlink,
    /// The change's work notes (the API), its edit form saved (a page).
    Notes,
    SaveEdit,
    /// Rescheduling into the freeze the matrix sets up, forced with a reason.
    ForceReschedule,
    /// Forms that do not parse (a vote that is neither approve nor reject, a reschedule
    /// without times, an unknown closure code): who may not act is told that first.
    BadVoteForm,
    BadRescheduleForm,
    BadCompleteForm,
}

/// The asks only a page makes (the API's edit is `Edit`; a form that does not parse has no
/// JSON twin).
fn page_only(ask: Ask) -> bool {
    matches!(ask, Ask::SaveEdit | Ask::BadVoteForm | Ask::BadRescheduleForm | Ask::BadCompleteForm)
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
        // Every signed-in user reads every change (its timeline, slots, gate and files),
        // adds notes and files, copies one.
        Ask::Read
        | Ask::Note
        | Ask::Attach
        | Ask::Copy
        | Ask::Events
        | Ask::Slots
        | Ask::Gate
        | Ask::Attachments
        | Ask::Download
        | Ask::Notes => true,
        // The requester edits their own draft (a non-draft is the lifecycle's 409).
        Ask::Edit | Ask::SaveEdit | Ask::Submit => own,
        // A draft never submitted, by its requester.
        Ask::Delete => own && state == ChangeState::Draft,
        // What a change was raised from: its requester, a change manager or the service
        // desk (§8: "incident links"); what it caused: its implementer (as an
        // implementer), a change manager or the service desk.
        // Removing one's own link takes what adding it took.
        Ask::LinkRaisedFrom | Ask::Unlink => own || manager || has(Role::ServiceDesk),
        Ask::LinkCaused => (doing && has(Role::Implementer)) || manager || has(Role::ServiceDesk),
        // The requester while drafting; a change manager in assessment, not on their own.
        Ask::Risk => {
            (own && state == ChangeState::Draft) || (manager && state == ChangeState::Assess && apart)
        }
        Ask::Assess | Ask::Review => manager && apart,
        Ask::Return | Ask::Reschedule | Ask::BadRescheduleForm => manager,
        // Forcing a window is a check on the change's owners (not on one's own); only a
        // scheduled change is rescheduled, and in any other state the lifecycle's 409 comes
        // before the window is looked at.
        Ask::ForceReschedule => manager && (apart || state != ChangeState::Scheduled),
        Ask::Start | Ask::Complete | Ask::BadCompleteForm => manager || (doing && has(Role::Implementer)),
        Ask::Cancel => own || manager,
        Ask::Vote | Ask::BadVoteForm => (has(Role::CabMember) || manager) && apart,
        // A delegate may be anyone (§5), held to segregation of duties as the member is.
        Ask::VoteFor => apart,
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
            | Ask::VoteFor
    )
}

const ASKS: &[Ask] = &[
    Ask::Read,
    Ask::Events,
    Ask::Slots,
    Ask::Gate,
    Ask::Edit,
    Ask::SaveEdit,
    Ask::Note,
    Ask::Notes,
    Ask::Attach,
    Ask::Attachments,
    Ask::Download,
    Ask::Copy,
    Ask::LinkRaisedFrom,
    Ask::LinkCaused,
    Ask::Unlink,
    Ask::Risk,
    Ask::Submit,
    Ask::Assess,
    Ask::Return,
    Ask::Reschedule,
    Ask::ForceReschedule,
    Ask::BadRescheduleForm,
    Ask::BadCompleteForm,
    Ask::BadVoteForm,
    Ask::Start,
    Ask::Complete,
    Ask::Review,
    Ask::Vote,
    Ask::VoteFor,
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

/// What some asks name besides the change: the member the caller votes for (who named
/// them their delegate) and a file of the change.
struct CastIds {
    principal: i32,
    attachment: Option<i64>,
    /// A time inside the freeze.
    freeze: chrono::DateTime<chrono::Utc>,
}

/// The JSON API request for `ask` on `change`.
fn api_request(ask: Ask, change: &Value, ids: &CastIds) -> (Method, String, Option<Value>) {
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
        Ask::VoteFor => post("votes", json!({ "decision": "approve", "on_behalf_of": ids.principal })),
        Ask::Events => (Method::GET, format!("{base}/events"), None),
        Ask::Slots => (Method::GET, format!("{base}/slots"), None),
        Ask::Gate => (Method::GET, format!("{base}/gate"), None),
        Ask::Attachments => (Method::GET, format!("{base}/attachments"), None),
        Ask::Download => (Method::GET, format!("{base}/attachments/{}", ids.attachment.unwrap_or(1)), None),
        Ask::Unlink => (Method::DELETE, format!("{base}/incidents/raised_from/INC-7"), None),
        Ask::Notes => (Method::GET, format!("{base}/notes"), None),
        Ask::ForceReschedule => post(
            "reschedule",
            json!({ "planned_start": ids.freeze, "planned_end": ids.freeze + chrono::Duration::hours(2), "force": true, "reason": "Agreed with the owner" }),
        ),
        // Page-only asks (`page_only`): not sent to the API.
        Ask::SaveEdit | Ask::BadVoteForm | Ask::BadRescheduleForm | Ask::BadCompleteForm => {
            unreachable!("{ask:?} is asked on the page only")
        }
    }
}

async fn ask_api(app: &TestApp, user: &User, ask: Ask, change: &Value, ids: &CastIds) -> StatusCode {
    let (method, path, body) = api_request(ask, change, ids);
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

/// The page request for `ask` on `change`, when a page or form asks it (paths without
/// the server's address).
enum PageAsk {
    Get(String),
    Form(String, Vec<(String, String)>),
    /// The change page's upload form (multipart), a text file.
    Upload(String),
}

fn page_request(ask: Ask, change: &Value, cast_ids: &CastIds) -> Option<PageAsk> {
    let reference = change["ref"].as_str().expect("a reference");
    let base = format!("/changes/{reference}");
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&chrono_tz::Europe::Oslo).format("%Y-%m-%dT%H:%M").to_string()
    };
    let start: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(change["planned_start"].clone()).expect("a planned start");
    let moved = start + chrono::Duration::days(1);
    let field = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let (path, fields): (&str, Vec<(String, String)>) = match ask {
        Ask::Read => return Some(PageAsk::Get(base)),
        Ask::Edit => return Some(PageAsk::Get(format!("{base}/edit"))),
        Ask::Attach => return Some(PageAsk::Upload(format!("{base}/attachments"))),
        Ask::Download => {
            let attachment = cast_ids.attachment.unwrap_or(1);
            return Some(PageAsk::Get(format!("{base}/attachments/{attachment}")));
        }
        Ask::Unlink => ("incidents/raised_from/INC-7/remove", vec![]),
        Ask::SaveEdit => ("edit", vec![field("title", "Edited on the page")]),
        Ask::BadVoteForm => ("votes", vec![field("decision", "maybe")]),
        Ask::BadRescheduleForm => ("reschedule", vec![field("reason", "No times given")]),
        Ask::BadCompleteForm => ("complete", vec![field("closure_code", "mostly")]),
        Ask::ForceReschedule => (
            "reschedule",
            vec![
                ("planned_start".to_owned(), local(cast_ids.freeze)),
                ("planned_end".to_owned(), local(cast_ids.freeze + chrono::Duration::hours(2))),
                field("force", "on"),
                field("reason", "Agreed with the owner"),
            ],
        ),
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
        Ask::VoteFor => (
            "votes",
            vec![field("decision", "approve"), field("on_behalf_of", &cast_ids.principal.to_string())],
        ),
        // The API's alone: the timeline, free slots, the deployment gate, the file list.
        Ask::Events | Ask::Slots | Ask::Gate | Ask::Attachments | Ask::Notes => return None,
    };
    Some(PageAsk::Form(format!("{base}/{path}"), fields))
}

async fn ask_page(
    app: &TestApp,
    browser: &(Client, String),
    ask: Ask,
    change: &Value,
    cast_ids: &CastIds,
) -> Option<StatusCode> {
    let (client, token) = browser;
    let response = match page_request(ask, change, cast_ids)? {
        PageAsk::Get(path) => client.get(format!("{}{path}", app.address)).send().await.unwrap(),
        PageAsk::Upload(path) => {
            let file = reqwest::multipart::Part::bytes(b"Plain text".to_vec()).file_name("note.txt");
            let form = reqwest::multipart::Form::new().text("csrf", token.clone()).part("file", file);
            client.post(format!("{}{path}", app.address)).multipart(form).send().await.unwrap()
        }
        PageAsk::Form(path, fields) => {
            let mut form = vec![("csrf".to_owned(), token.clone())];
            form.extend(fields);
            client.post(format!("{}{path}", app.address)).form(&form).send().await.unwrap()
        }
    };
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
    // A form sent back to the sign-in page was not let through: counted as a 401.
    if location.starts_with("/sign-in") {
        return Some(StatusCode::UNAUTHORIZED);
    }
    Some(response.status())
}

/// Every route the server has, as (lower-case method, pattern), from its own route tables.
fn all_routes() -> &'static [(String, String)] {
    static ROUTES: std::sync::LazyLock<Vec<(String, String)>> = std::sync::LazyLock::new(|| {
        endring::web::api_route_table().into_iter().chain(endring::web::page_route_table()).collect()
    });
    &ROUTES
}

/// The route of the server's tables that a request asks: of the patterns with as many
/// segments, the one whose literal segments all match and are the most (`{name}` matches
/// any one segment).
fn route_of(method: &Method, path: &str) -> Option<(String, String)> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let method = method.as_str().to_lowercase();
    all_routes()
        .iter()
        .filter(|(m, _)| *m == method)
        .filter_map(|route| {
            let parts: Vec<&str> = route.1.split('/').collect();
            let matching = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment);
            matching.then(|| (parts.iter().filter(|p| !p.starts_with('{')).count(), route))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, route)| route.clone())
}

/// The routes a test asked, each request named by its route.
#[derive(Default)]
struct Asked(BTreeSet<(String, String)>);

impl Asked {
    fn note(&mut self, method: &Method, path: &str) {
        let route =
            route_of(method, path).unwrap_or_else(|| panic!("no route of the server's is {method} {path}"));
        self.0.insert(route);
    }
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

/// `judge` for a route of `who`: what an admin who does not vote gets for naming their own
/// delegate is exactly the 422 that says so.
fn judge_who(status: StatusCode, who: Who, roles: &[Role], case: &str) -> Option<String> {
    if who == Who::OwnDelegation && roles.contains(&Role::Admin) && !votes(roles) {
        return (status != StatusCode::UNPROCESSABLE_ENTITY)
            .then(|| format!("not refused as one who does not vote: {case} answered {status}"));
    }
    judge(status, who.allows(roles), case)
}

/// A form's answer as the matrix counts it: sent back to the sign-in page is a 401 (the
/// session was lost, which must not pass as an allowed form).
fn form_status(response: &reqwest::Response) -> StatusCode {
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
    if location.starts_with("/sign-in") {
        StatusCode::UNAUTHORIZED
    } else {
        response.status()
    }
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
    // A CAB member for each of the cast who has named them their delegate (a delegate
    // votes only for those who named them, and a member names one at a time).
    let mut principals = Vec::new();
    let today = app.ctx.clock.now().with_timezone(&chrono_tz::Europe::Oslo).date_naive();
    for (n, delegate) in [&requester, &implementer, &other].into_iter().enumerate() {
        let principal = app.user(&format!("matrix-principal-{n}"), &[Role::CabMember]).await;
        let body =
            json!({ "delegate": delegate.id, "from": today, "until": today + chrono::Duration::days(300) });
        app.post("/api/v1/delegations", &principal, body).await;
        principals.push(principal.id);
    }
    // A freeze on every CI, two months on, for the forced reschedule.
    let freeze = app.ctx.clock.now() + chrono::Duration::days(60);
    let blackout = json!({ "title": "Matrix freeze", "starts_at": freeze - chrono::Duration::days(1), "ends_at": freeze + chrono::Duration::days(1) });
    app.post("/api/v1/blackouts", &app.admin, blackout).await;
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
                let mut ids = CastIds { principal: principals[relation as usize], attachment: None, freeze };
                for &ask in ASKS {
                    let expected = spec_allows(ask, combo, relation, state);
                    for channel in ["api", "page"] {
                        let path = format!("/api/v1/changes/{}", change["id"]);
                        match ask {
                            // A file of the change (the caller has just attached one).
                            Ask::Download => {
                                let files = app.get(&format!("{path}/attachments"), &app.admin).await;
                                ids.attachment = files[0]["id"].as_i64();
                            }
                            // The link the caller removes is one they added, when they may.
                            Ask::Unlink => {
                                let link = json!({ "incident": "INC-7", "relation": "raised_from" });
                                app.call(
                                    Method::POST,
                                    &format!("{path}/incidents"),
                                    Some(&caller),
                                    Some(link),
                                )
                                .await;
                            }
                            _ => {}
                        }
                        let status = match channel {
                            "api" if page_only(ask) => None,
                            "api" => Some(ask_api(&app, &caller, ask, &change, &ids).await),
                            _ => ask_page(&app, cast.browser(relation), ask, &change, &ids).await,
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

/// The routes the change matrix asks (the API's and the pages'), read from the requests it
/// makes, for a change that need not exist.
fn change_routes(asked: &mut Asked) {
    let change = json!({ "id": 1, "ref": "CHG-1", "planned_start": "2030-01-01T08:00:00Z" });
    let ids = CastIds { principal: 1, attachment: Some(1), freeze: chrono::Utc::now() };
    for &ask in ASKS.iter().filter(|ask| !page_only(**ask)) {
        let (method, path, _) = api_request(ask, &change, &ids);
        asked.note(&method, &path);
    }
    for &ask in ASKS {
        match page_request(ask, &change, &ids) {
            Some(PageAsk::Get(path)) => asked.note(&Method::GET, &path),
            Some(PageAsk::Form(path, _) | PageAsk::Upload(path)) => asked.note(&Method::POST, &path),
            None => {}
        }
    }
}

/// Who may use each route that is not one change's, by SPEC §8 and the decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Everyone,
    Admin,
    AdminOrChangeManager,
    ChangeManager,
    Reports,
    Messages,
    /// Naming a delegate for oneself (SPEC §5: a CAB member or change manager). An admin
    /// who does not vote may delegate for anyone but has no vote to delegate: 422 on
    /// `principal`, the input's fault, not the policy's.
    OwnDelegation,
    /// No one but the record's owner (asked by someone else).
    Nobody,
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
            Who::OwnDelegation => votes(roles),
            Who::Nobody => false,
        }
    }
}

async fn every_other_route_answers_each_role_as_the_spec_says(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let ci = app.ci("Matrix CI", 3).await;
    let victim = app.user("matrix-victim", &[]).await;
    let setter = app.user("matrix-setter", &[Role::Admin, Role::ChangeManager, Role::ServiceDesk]).await;
    // A CAB member whose tokens, sessions, feeds and delegations the callers are asked to
    // end: someone else's.
    let member = app.user("matrix-member", &[Role::CabMember, Role::Implementer]).await;
    // A notice (the member's reset email; the victim's would go when they are deactivated)
    // for the outbox's retry, failed again for each combination.
    app.post(&format!("/api/v1/users/{}/password-reset", member.id), &setter, json!({})).await;
    let notice = app.db.count("SELECT CAST(MIN(id) AS BIGINT) AS n FROM outbox");
    // A standard-change candidate, accepted: accepting or dismissing it again is a 409 to
    // those the policy lets through.
    let candidate = accepted_candidate(&app, &setter, &victim, &member).await;
    let draft = app.draft(&victim, &setter, ci, 40).await;
    let mut cases = 0;
    let mut wrong = Vec::new();
    let mut asked = Asked::default();
    for (n, combo) in COMBOS.iter().enumerate() {
        let caller = app.user(&format!("matrix-caller-{n}"), combo).await;
        let browser = sign_in(&app, &caller).await;
        let starts = app.ctx.clock.now() + chrono::Duration::days(20 + n as i64);
        app.db.execute(&format!("UPDATE outbox SET status = 'failed', attempts = 7 WHERE id = {notice}"));
        let access = access_records(&app, &setter, &caller, combo, (&member, &victim), n).await;
        let api: Vec<(Method, String, Value, Who)> = vec![
            (Method::GET, "/api/v1/me".into(), Value::Null, Who::Everyone),
            (Method::GET, "/api/v1/changes".into(), Value::Null, Who::Everyone),
            (Method::POST, "/api/v1/changes".into(), json!({ "title": format!("Filed {n}") }), Who::Everyone),
            (Method::POST, format!("/api/v1/outbox/{notice}/retry"), json!({}), Who::Admin),
            (
                Method::POST,
                format!("/api/v1/templates/candidates/{candidate}/accept"),
                json!({}),
                Who::AdminOrChangeManager,
            ),
            (
                Method::POST,
                format!("/api/v1/templates/candidates/{candidate}/dismiss"),
                json!({}),
                Who::AdminOrChangeManager,
            ),
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
        for (method, path, body, who) in api.into_iter().chain(access.api) {
            asked.note(&method, &path);
            let body = (!body.is_null()).then_some(body);
            let (status, answer) = app.call(method.clone(), &path, Some(&caller), body).await;
            cases += 1;
            let case = format!("{method} {path} by {} ({answer})", combo_name(combo));
            wrong.extend(judge_who(status, who, combo, &case));
        }
        // Changes to records that exist, each made afresh for this combination (an allowed
        // retire or delete would otherwise leave the next combination a 404).
        for (method, path, body, who) in records_to_change(&app, &setter, n, ci, starts, &draft).await {
            asked.note(&method, &path);
            let headers: &[(&str, &str)] = if method == Method::PATCH { &[("if-match", "*")] } else { &[] };
            let body = (!body.is_null()).then_some(body);
            let (status, _, answer) =
                app.call_with(method.clone(), &path, Some(&caller), body, headers).await;
            cases += 1;
            let case = format!("{method} {path} by {} ({answer})", combo_name(combo));
            wrong.extend(judge_who(status, who, combo, &case));
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
            asked.note(&Method::GET, path);
            let (status, _) = page(&browser, &app, path).await;
            cases += 1;
            wrong.extend(judge_who(status, *who, combo, &format!("page {path} by {}", combo_name(combo))));
        }
        // The admin forms that add, as a person would post them.
        let (_, html) = page(&browser, &app, "/changes/new").await;
        let token = csrf(&html);
        let mut forms: Vec<(String, Fields, Who)> = vec![
            (
                "/changes/new".into(),
                vec![("title", format!("Filed on the page {n}")), ("ci_ids", ci.to_string())],
                Who::Everyone,
            ),
            (
                "/messages".into(),
                vec![("title_nb", format!("Treg skriver {n}")), ("body_nb", "Vi ser på det.".into())],
                Who::Messages,
            ),
            (format!("/admin/notices/{notice}/retry"), vec![], Who::Admin),
            (format!("/admin/templates/candidates/{candidate}/accept"), vec![], Who::AdminOrChangeManager),
            (format!("/admin/templates/candidates/{candidate}/dismiss"), vec![], Who::AdminOrChangeManager),
            (
                "/admin/cis".into(),
                vec![
                    ("name", format!("Form CI {n}")),
                    ("kind", "application".into()),
                    ("criticality", "3".into()),
                    ("owner_email", "o@test.endring.no".into()),
                ],
                Who::Admin,
            ),
            (
                "/admin/blackouts".into(),
                vec![
                    ("title", format!("Form freeze {n}")),
                    ("starts_at", "2031-01-10T10:00".into()),
                    ("ends_at", "2031-01-10T12:00".into()),
                ],
                Who::AdminOrChangeManager,
            ),
            (
                "/admin/users/roles".into(),
                vec![("email", victim.email.clone()), ("roles", "requester".into())],
                Who::Admin,
            ),
        ];
        forms.extend(access.forms);
        for (path, fields, who) in forms {
            asked.note(&Method::POST, &path);
            let mut form: Vec<(&str, String)> = vec![("csrf", token.clone())];
            form.extend(fields);
            let status = form_status(
                &browser.post(format!("{}{path}", app.address)).form(&form).send().await.unwrap(),
            );
            cases += 1;
            wrong.extend(judge_who(status, who, combo, &format!("form {path} by {}", combo_name(combo))));
        }
        // Every other page form on records made afresh for this combination, posted with
        // only the CSRF token (what a refused caller gets is 403; an allowed one, the form
        // back with what is missing, or the action done), and the pages of one record.
        let (get_pages, posts) = page_forms(&app, &setter, &victim, n, ci, starts).await;
        for (path, who) in get_pages {
            asked.note(&Method::GET, &path);
            let (status, _) = page(&browser, &app, &path).await;
            cases += 1;
            wrong.extend(judge_who(status, who, combo, &format!("page {path} by {}", combo_name(combo))));
        }
        for (path, who) in posts.into_iter().chain(access.posts) {
            asked.note(&Method::POST, &path);
            let response = browser
                .post(format!("{}{path}", app.address))
                .form(&[("csrf", token.as_str())])
                .send()
                .await
                .unwrap();
            let status = form_status(&response);
            cases += 1;
            wrong.extend(judge_who(status, who, combo, &format!("form {path} by {}", combo_name(combo))));
        }
    }
    // Every route has its expectation here or in the change matrix, or is public (asked
    // signed out, below): a route added without one fails this test.
    change_routes(&mut asked);
    let missing: Vec<String> = all_routes()
        .iter()
        .filter(|route| !asked.0.contains(*route))
        .filter(|(method, path)| !PUBLIC.contains(&(method.as_str(), path.as_str())))
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(missing.is_empty(), "routes the matrix has no expectation for:\n{}", missing.join("\n"));
    report(&backend, "routes", cases, &wrong);
}

/// A standard-change candidate of one team (`requester`, `implementer`, `setter`
/// voting), accepted by `setter`: its id.
async fn accepted_candidate(app: &TestApp, setter: &User, requester: &User, implementer: &User) -> String {
    let id = app.candidate(requester, implementer, setter).await;
    app.post(&format!("/api/v1/templates/candidates/{id}/accept"), setter, json!({})).await;
    id
}

/// A form's fields, by name.
type Fields = Vec<(&'static str, String)>;

/// Whether `roles` vote (what naming a delegate for oneself takes, SPEC §5).
fn votes(roles: &[Role]) -> bool {
    roles.contains(&Role::CabMember) || roles.contains(&Role::ChangeManager)
}

/// The access records of the caller and of `member` (a CAB member who is not the caller):
/// API tokens, web sessions, calendar feeds and delegations, made for combination `n`; and
/// what the caller is then asked to do with each, through the API and the profile's forms.
struct Access {
    api: Vec<(Method, String, Value, Who)>,
    posts: Vec<(String, Who)>,
    forms: Vec<(String, Fields, Who)>,
}

/// The id of what `user` made by posting `body` to `path`.
async fn made_id(app: &TestApp, path: &'static str, user: User, body: Value) -> Value {
    app.post(path, &user, body).await["id"].clone()
}

async fn access_records(
    app: &TestApp,
    setter: &User,
    caller: &User,
    roles: &[Role],
    (member, victim): (&User, &User),
    n: usize,
) -> Access {
    let token = |user: &User, name: String| {
        let body = json!({ "name": name, "scopes": ["read"] });
        made_id(app, "/api/v1/auth/tokens", user.clone(), body)
    };
    let (own_token, own_token_page) =
        (token(caller, format!("Own {n}")).await, token(caller, format!("Own page {n}")).await);
    let (their_token, their_token_page) =
        (token(member, format!("Theirs {n}")).await, token(member, format!("Theirs page {n}")).await);
    // Sessions and feeds as a browser and the profile page make them, past the web layer.
    let session = |user: &User, k: usize| {
        app.db.execute(&format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, address, method) \
             VALUES ('matrix-{}-{n}-{k}', {}, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2099-01-01 00:00:00', 'matrix', '127.0.0.1', 'password')",
            user.id, user.id
        ));
        app.db
            .count(&format!("SELECT CAST(MAX(id) AS BIGINT) AS n FROM sessions WHERE user_id = {}", user.id))
    };
    let (own_session, their_session) = (session(caller, 0), session(member, 0));
    let feed = |user: &User| {
        let (ctx, token) = (app.ctx.clone(), user.token.clone());
        async move {
            actix_web::rt::task::spawn_blocking(move || {
                let caller = endring::services::auth::authenticate(&ctx, &token).expect("the user's token");
                let name = endring::domain::text::Text::parse("Matrix feed").unwrap();
                let scope = endring::services::feeds::FeedScope::Personal;
                endring::services::feeds::create(&ctx, &caller, scope, None, &name).expect("a feed").0.id
            })
            .await
            .expect("join")
        }
    };
    let (own_feed, their_feed) = (feed(caller).await, feed(member).await);
    // Delegations, one day each, on days no other of the same member takes.
    let today = app.ctx.clock.now().with_timezone(&chrono_tz::Europe::Oslo).date_naive();
    let day = |k: i64| (today + chrono::Duration::days(k)).to_string();
    // (An admin naming a delegate for someone names someone else: the victim.)
    let delegation = |principal: &User, k: i64| {
        let body =
            json!({ "principal": principal.id, "delegate": victim.id, "from": day(k), "until": day(k) });
        made_id(app, "/api/v1/delegations", setter.clone(), body)
    };
    let theirs_at = 10 + 2 * n as i64;
    let (their_delegation, their_delegation_page) =
        (delegation(member, theirs_at).await, delegation(member, theirs_at + 1).await);
    let new_delegation = |k: i64| json!({ "delegate": setter.id, "from": day(k), "until": day(k) });
    let mut api = vec![
        (Method::GET, "/api/v1/auth/tokens".to_owned(), Value::Null, Who::Everyone),
        (
            Method::POST,
            "/api/v1/auth/tokens".to_owned(),
            json!({ "name": "New", "scopes": ["read"] }),
            Who::Everyone,
        ),
        (Method::DELETE, format!("/api/v1/auth/tokens/{own_token}"), Value::Null, Who::Everyone),
        (Method::DELETE, format!("/api/v1/auth/tokens/{their_token}"), Value::Null, Who::Admin),
        (Method::GET, "/api/v1/delegations".to_owned(), Value::Null, Who::Everyone),
        (Method::POST, "/api/v1/delegations".to_owned(), new_delegation(3), Who::OwnDelegation),
        (
            Method::POST,
            "/api/v1/delegations".to_owned(),
            json!({ "principal": member.id, "delegate": victim.id, "from": day(theirs_at + 200), "until": day(theirs_at + 200) }),
            Who::Admin,
        ),
        (Method::DELETE, format!("/api/v1/delegations/{their_delegation}"), Value::Null, Who::Admin),
    ];
    let mut posts = vec![
        ("/profile".to_owned(), Who::Everyone),
        ("/profile/language".to_owned(), Who::Everyone),
        ("/profile/password".to_owned(), Who::Everyone),
        ("/profile/tokens".to_owned(), Who::Everyone),
        ("/profile/feeds".to_owned(), Who::Everyone),
        (format!("/profile/tokens/{own_token_page}/revoke"), Who::Everyone),
        (format!("/profile/tokens/{their_token_page}/revoke"), Who::Admin),
        (format!("/profile/sessions/{own_session}/end"), Who::Everyone),
        (format!("/profile/sessions/{their_session}/end"), Who::Nobody),
        (format!("/profile/feeds/{own_feed}/revoke"), Who::Everyone),
        (format!("/profile/feeds/{their_feed}/revoke"), Who::Nobody),
        (format!("/profile/delegations/{their_delegation_page}/revoke"), Who::Admin),
        // Last: it ends the session above too.
        ("/profile/sessions/end-others".to_owned(), Who::Everyone),
    ];
    // One's own delegations exist only for those who vote.
    if votes(roles) {
        let (own, own_page) = (delegation(caller, 1).await, delegation(caller, 2).await);
        api.push((Method::DELETE, format!("/api/v1/delegations/{own}"), Value::Null, Who::Everyone));
        posts.push((format!("/profile/delegations/{own_page}/revoke"), Who::Everyone));
    }
    let forms = vec![(
        "/profile/delegations".to_owned(),
        vec![("delegate", setter.id.to_string()), ("from", day(4)), ("until", day(4))],
        Who::OwnDelegation,
    )];
    Access { api, posts, forms }
}

/// How one set of fresh records differs from another made for the same combination (their
/// names, and times that must not meet: a maintenance window or a closed day twice is a 409).
struct FreshSpec {
    label: &'static str,
    freeze_in_days: i64,
    weekday: &'static str,
    starts_minute: &'static str,
    ends: &'static str,
    meeting_in_hours: i64,
    closed_in_days: i64,
}

const MATRIX_RECORDS: FreshSpec = FreshSpec {
    label: "Matrix",
    freeze_in_days: 60,
    weekday: "saturday",
    starts_minute: "00",
    ends: "23:30",
    meeting_in_hours: 2,
    closed_in_days: 70,
};

const PAGE_RECORDS: FreshSpec = FreshSpec {
    label: "Page",
    freeze_in_days: 80,
    weekday: "sunday",
    starts_minute: "15",
    ends: "23:45",
    meeting_in_hours: 3,
    closed_in_days: 200,
};

/// A template, a freeze, a maintenance window, a webhook, a system message, an extra
/// meeting, a CI and a closed day, made by `setter` for combination `n`; with the bodies
/// the freeze and the window were made from, for an edit that changes nothing else.
#[derive(Clone)]
struct Fresh {
    template: Value,
    blackout: Value,
    freeze: Value,
    window: Value,
    window_body: Value,
    webhook: Value,
    message: Value,
    meeting: Value,
    ci: i64,
    day: chrono::NaiveDate,
}

impl Fresh {
    async fn make(
        app: &TestApp,
        setter: &User,
        spec: &FreshSpec,
        n: usize,
        ci: i64,
        starts: chrono::DateTime<chrono::Utc>,
    ) -> Fresh {
        let made =
            |path: &'static str, body: Value| async move { app.post(path, setter, body).await["id"].clone() };
        let label = spec.label;
        let template = made("/api/v1/templates", json!({ "name": format!("{label} template {n}"), "description": "d",
            "implementation_plan": "p", "backout_plan": "b", "test_plan": "t", "ci_ids": [ci], "max_duration_minutes": 60 })).await;
        let freeze = json!({ "title": format!("{label} freeze {n}"),
            "starts_at": starts + chrono::Duration::days(spec.freeze_in_days),
            "ends_at": starts + chrono::Duration::days(spec.freeze_in_days + 1) });
        let blackout = made("/api/v1/blackouts", freeze.clone()).await;
        let window_body = json!({ "ci_id": ci, "weekday": spec.weekday,
            "starts": format!("{n:02}:{}", spec.starts_minute), "ends": spec.ends });
        let window = made("/api/v1/maintenance-windows", window_body.clone()).await;
        let webhook = made(
            "/api/v1/webhooks",
            json!({ "url": format!("https://hooks.example.no/{}/{n}", label.to_lowercase()), "events": ["created"] }),
        )
        .await;
        let message = made(
            "/api/v1/messages",
            json!({ "title_nb": format!("Treg e-post {label} {n}"), "body_nb": "Vi ser på det." }),
        )
        .await;
        let meeting_at = starts + chrono::Duration::hours(spec.meeting_in_hours);
        let meeting = made(
            "/api/v1/cab/meetings",
            json!({ "title": format!("{label} ECAB {n}"), "starts_at": meeting_at }),
        )
        .await;
        let ci = app.ci(&format!("{label} CI to retire {n}"), 4).await;
        let day = (starts + chrono::Duration::days(spec.closed_in_days + n as i64)).date_naive();
        app.post(
            "/api/v1/calendar/closed-days",
            setter,
            json!({ "day": day, "name": format!("{label} closed") }),
        )
        .await;
        Fresh { template, blackout, freeze, window, window_body, webhook, message, meeting, ci, day }
    }
}

/// Records made by `setter` for combination `n`, and what the combination is then asked to
/// do to each: edit, retire, delete, test, and run a meeting.
async fn records_to_change(
    app: &TestApp,
    setter: &User,
    n: usize,
    ci: i64,
    starts: chrono::DateTime<chrono::Utc>,
    draft: &Value,
) -> Vec<(Method, String, Value, Who)> {
    let template_body = json!({ "name": format!("Changed template {n}"), "description": "d", "implementation_plan": "p",
        "backout_plan": "b", "test_plan": "t", "ci_ids": [ci], "max_duration_minutes": 60 });
    let made = Fresh::make(app, setter, &MATRIX_RECORDS, n, ci, starts).await;
    let Fresh {
        template,
        blackout,
        freeze,
        window: maintenance,
        window_body: window,
        webhook,
        message,
        meeting,
        ..
    } = made.clone();
    let (retired_ci, day) = (made.ci, made.day);
    let settings = app.get("/api/v1/cab/settings", setter).await;
    // A test delivery of the webhook, for its retry (a delivery that has not failed is a
    // 409, past the policy).
    app.post(&format!("/api/v1/webhooks/{webhook}/test"), setter, json!({})).await;
    let delivery = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), setter).await[0]["id"].clone();
    vec![
        (Method::GET, format!("/api/v1/templates/{template}/versions"), Value::Null, Who::Everyone),
        (Method::GET, format!("/api/v1/cab/meetings/{meeting}"), Value::Null, Who::Everyone),
        (
            Method::POST,
            format!("/api/v1/webhooks/{webhook}/deliveries/{delivery}/retry"),
            json!({}),
            Who::Admin,
        ),
        (Method::PUT, format!("/api/v1/templates/{template}"), template_body, Who::AdminOrChangeManager),
        (Method::POST, format!("/api/v1/templates/{template}/retire"), json!({}), Who::AdminOrChangeManager),
        (Method::PUT, format!("/api/v1/blackouts/{blackout}"), freeze, Who::AdminOrChangeManager),
        (Method::POST, format!("/api/v1/blackouts/{blackout}/retire"), json!({}), Who::AdminOrChangeManager),
        (
            Method::PUT,
            format!("/api/v1/maintenance-windows/{maintenance}"),
            window,
            Who::AdminOrChangeManager,
        ),
        (
            Method::DELETE,
            format!("/api/v1/maintenance-windows/{maintenance}"),
            Value::Null,
            Who::AdminOrChangeManager,
        ),
        (Method::PUT, "/api/v1/cab/settings".into(), settings, Who::AdminOrChangeManager),
        (Method::POST, format!("/api/v1/cis/{retired_ci}/retire"), json!({}), Who::Admin),
        (Method::DELETE, format!("/api/v1/calendar/closed-days/{day}"), Value::Null, Who::Admin),
        (Method::GET, format!("/api/v1/webhooks/{webhook}"), Value::Null, Who::Admin),
        (Method::PATCH, format!("/api/v1/webhooks/{webhook}"), json!({ "active": false }), Who::Admin),
        (Method::GET, format!("/api/v1/webhooks/{webhook}/deliveries"), Value::Null, Who::Admin),
        (Method::POST, format!("/api/v1/webhooks/{webhook}/test"), json!({}), Who::Admin),
        (Method::DELETE, format!("/api/v1/webhooks/{webhook}"), Value::Null, Who::Admin),
        (
            Method::PATCH,
            format!("/api/v1/messages/{message}"),
            json!({ "title_nb": format!("Treg e-post {n}"), "body_nb": "Fortsatt tregt." }),
            Who::Messages,
        ),
        (
            Method::POST,
            format!("/api/v1/messages/{message}/updates"),
            json!({ "text_nb": "Bedre nå.", "resolve": true }),
            Who::Messages,
        ),
        (Method::POST, format!("/api/v1/messages/{message}/publish"), json!({}), Who::Messages),
        (
            Method::POST,
            format!("/api/v1/cab/meetings/{meeting}/open"),
            json!({ "attendees": [] }),
            Who::ChangeManager,
        ),
        (
            Method::POST,
            format!("/api/v1/cab/meetings/{meeting}/decisions"),
            json!({ "change_id": draft["id"], "outcome": "approve" }),
            Who::ChangeManager,
        ),
        (Method::POST, format!("/api/v1/cab/meetings/{meeting}/close"), json!({}), Who::ChangeManager),
        (
            Method::POST,
            format!("/api/v1/cab/meetings/{meeting}/cancel"),
            json!({ "reason": "Nothing to decide" }),
            Who::ChangeManager,
        ),
    ]
}

/// Pages of single records and the page forms not asked above, on records `setter` makes for
/// combination `n`; the forms that retire or delete come after those that edit.
async fn page_forms(
    app: &TestApp,
    setter: &User,
    victim: &User,
    n: usize,
    ci: i64,
    starts: chrono::DateTime<chrono::Utc>,
) -> (Vec<(String, Who)>, Vec<(String, Who)>) {
    let made = Fresh::make(app, setter, &PAGE_RECORDS, n, ci, starts).await;
    let Fresh { template, blackout, window, webhook, message, meeting, ci: page_ci, day, .. } = made;
    app.post(&format!("/api/v1/webhooks/{webhook}/test"), setter, json!({})).await;
    let delivery = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), setter).await[0]["id"].clone();
    let gets = vec![
        ("/admin".to_owned(), Who::AdminOrChangeManager),
        (format!("/admin/webhooks/{webhook}"), Who::Admin),
        (format!("/cab/meetings/{meeting}"), Who::Everyone),
        (format!("/cab/meetings/{meeting}/agenda.md"), Who::Everyone),
    ];
    let posts = vec![
        ("/admin/users".to_owned(), Who::Admin),
        (format!("/admin/users/{}/password-reset", victim.id), Who::Admin),
        (format!("/admin/users/{}/deactivate", victim.id), Who::Admin),
        (format!("/admin/users/{}/reactivate", victim.id), Who::Admin),
        ("/admin/webhooks".to_owned(), Who::Admin),
        (format!("/admin/webhooks/{webhook}"), Who::Admin),
        (format!("/admin/webhooks/{webhook}/pause"), Who::Admin),
        (format!("/admin/webhooks/{webhook}/resume"), Who::Admin),
        (format!("/admin/webhooks/{webhook}/test"), Who::Admin),
        (format!("/admin/webhooks/{webhook}/deliveries/{delivery}/retry"), Who::Admin),
        ("/admin/cab".to_owned(), Who::AdminOrChangeManager),
        ("/admin/calendar".to_owned(), Who::Admin),
        ("/admin/maintenance".to_owned(), Who::AdminOrChangeManager),
        (format!("/admin/maintenance/{window}"), Who::AdminOrChangeManager),
        (format!("/admin/cis/{page_ci}"), Who::Admin),
        ("/admin/templates".to_owned(), Who::AdminOrChangeManager),
        (format!("/admin/templates/{template}"), Who::AdminOrChangeManager),
        (format!("/admin/blackouts/{blackout}"), Who::AdminOrChangeManager),
        (format!("/messages/{message}"), Who::Messages),
        (format!("/messages/{message}/updates"), Who::Messages),
        (format!("/messages/{message}/publish"), Who::Messages),
        (format!("/cab/meetings/{meeting}/open"), Who::ChangeManager),
        (format!("/cab/meetings/{meeting}/decide"), Who::ChangeManager),
        (format!("/cab/meetings/{meeting}/close"), Who::ChangeManager),
        (format!("/admin/webhooks/{webhook}/delete"), Who::Admin),
        (format!("/admin/calendar/{day}/reopen"), Who::Admin),
        (format!("/admin/maintenance/{window}/remove"), Who::AdminOrChangeManager),
        (format!("/admin/cis/{page_ci}/retire"), Who::Admin),
        (format!("/admin/templates/{template}/retire"), Who::AdminOrChangeManager),
        (format!("/admin/blackouts/{blackout}/retire"), Who::AdminOrChangeManager),
    ];
    (gets, posts)
}

/// What anyone may use without signing in, and why (SPEC §3, §5 and the decisions): the
/// service's health and API description, signing in and what belongs to it, the vote and
/// password links (their token is the credential), the public status page, its feed and
/// its API (open unless `messages_require_sign_in`), a
/// calendar feed (its token is in the address), the style sheet, and `/metrics` (its own
/// token; off here, so 404).
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/auth/token"),
    ("get", "/static/style.css"),
    ("get", "/metrics"),
    ("get", "/sign-in"),
    ("post", "/sign-in"),
    ("post", "/sign-out"),
    ("get", "/sign-in/oidc"),
    ("get", "/sign-in/oidc/callback"),
    ("get", "/sign-in/forgot"),
    ("post", "/sign-in/forgot"),
    ("get", "/sign-in/reset/{token}"),
    ("post", "/sign-in/reset/{token}"),
    ("get", "/vote/{token}"),
    ("post", "/vote/{token}"),
    ("get", "/messages"),
    ("get", "/api/v1/messages"),
    ("get", "/api/v1/messages/{id}"),
    ("get", "/messages.atom"),
    ("get", "/calendar.ics"),
];

/// `path` with its parameters filled in with records that exist (or, for tokens, with a
/// well-formed one that does not).
fn filled(path: &str, change: &str) -> String {
    let mut path = path.to_owned();
    for (name, value) in [
        (
            "{id}",
            if path.starts_with("/api/v1/changes/") || path.starts_with("/changes/") { change } else { "1" },
        ),
        ("{attachment}", "1"),
        ("{relation}", "raised_from"),
        ("{incident}", "INC-1"),
        ("{token}", "0000000000000000000000000000000000000000000000000000000000000000"),
        ("{day}", "2030-01-02"),
        ("{delivery}", "1"),
        ("{kind}", "cis"),
        ("{action}", "submit"),
    ] {
        path = path.replace(name, value);
    }
    path
}

async fn no_route_but_the_public_ones_answers_anyone_not_signed_in(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let requester = app.user("anonymous-matrix-requester", &[]).await;
    let implementer = app.user("anonymous-matrix-implementer", &[Role::Implementer]).await;
    let ci = app.ci("Anonymous matrix CI", 3).await;
    let change = app.draft(&requester, &implementer, ci, 30).await;
    let change = change["ref"].as_str().unwrap().to_owned();
    // Record 1 of the kind a public route reads (a system message), and of one a refused
    // route names (a webhook); other ids name nothing, which a refusal must not depend on.
    let desk = app.user("anonymous-matrix-desk", &[Role::ServiceDesk]).await;
    app.post("/api/v1/messages", &desk, json!({ "title_nb": "Treg e-post", "body_nb": "Vi ser på det." }))
        .await;
    app.post(
        "/api/v1/webhooks",
        &app.admin,
        json!({ "url": "https://hooks.example.no/a", "events": ["created"] }),
    )
    .await;
    // A browser that is not signed in, with the CSRF token the sign-in page gave it, so a
    // form is refused for who sends it and not for a missing token.
    let browser = crate::pages::browser();
    let (_, sign_in_page) = page(&browser, &app, "/sign-in").await;
    let token = csrf(&sign_in_page);
    let mut cases = 0;
    let mut wrong = Vec::new();
    let mut public = 0;
    let routes = endring::web::api_route_table().into_iter().chain(endring::web::page_route_table());
    for (method, path) in routes {
        let url = format!("{}{}", app.address, filled(&path, &change));
        let request = match method.as_str() {
            "get" => browser.get(&url),
            "post" if path.starts_with("/api/") => browser.post(&url).json(&json!({})),
            "post" => browser.post(&url).form(&[("csrf", token.as_str())]),
            "put" => browser.put(&url).json(&json!({})),
            "patch" => browser.patch(&url).header("if-match", "*").json(&json!({})),
            "delete" => browser.delete(&url),
            other => panic!("a method the matrix does not ask: {other}"),
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        cases += 1;
        let case = format!("{} {path} not signed in answered {status}", method.to_uppercase());
        if status.is_server_error() {
            wrong.push(format!("server error: {case}"));
            continue;
        }
        if PUBLIC.contains(&(method.as_str(), path.as_str())) {
            public += 1;
            continue;
        }
        let refused = if path.starts_with("/api/") {
            status == StatusCode::UNAUTHORIZED
        } else {
            status == StatusCode::UNAUTHORIZED
                || status == StatusCode::FORBIDDEN
                || (status == StatusCode::SEE_OTHER && location.is_some_and(|l| l.starts_with("/sign-in")))
        };
        if !refused {
            wrong.push(format!("unexpected allow: {case}"));
        }
    }
    assert_eq!(public, PUBLIC.len(), "every public route is one the server has");
    assert!(cases > 150, "the route tables list every route: {cases}");
    report(&backend, "anonymous", cases, &wrong);
}
