//! What a request costs the database, in statements (`Db::statements`, BEGIN and COMMIT
//! counted): a fixed number whatever the data holds, and authentication in one.

use crate::helpers::{high_risk, medium_risk, Backend, TestApp, User};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    a_bearer_token_and_its_owners_roles_are_read_in_one_statement,
    reading_one_change_costs_a_fixed_number_of_statements_however_many_votes_bookings_and_freezes,
);

/// The statements the pool runs to lend a connection: on PostgreSQL it checks the
/// connection first (`SELECT 1`: the server may have closed it), on SQLite nothing.
fn checks(backend: &Backend) -> u64 {
    match backend {
        Backend::Sqlite => 0,
        Backend::Postgres { .. } => 1,
    }
}

/// The statements `GET path` ran, with its answer.
async fn costs(app: &TestApp, path: &str, user: &User) -> (u64, Value) {
    let before = app.ctx.db.statements();
    let (status, body) = app.call(Method::GET, path, Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    (app.ctx.db.statements() - before, body)
}

async fn a_bearer_token_and_its_owners_roles_are_read_in_one_statement(backend: Backend) {
    let check = checks(&backend);
    let app = TestApp::spawn(backend).await;
    let member = app.user("mona", &[Role::CabMember, Role::Implementer]).await;
    // The first use records the token's last use (at most once a minute): a write of its own.
    app.get("/api/v1/me", &member).await;
    let (statements, me) = costs(&app, "/api/v1/me", &member).await;
    let mut roles: Vec<&str> = me["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["cab_member", "implementer", "requester"], "{me}");
    assert_eq!(statements, check + 1, "the token, its user and their roles in one statement, no transaction");

    // A user with no stored role (only the implicit requester) is found by the same statement.
    let plain = app.user("pia", &[]).await;
    app.get("/api/v1/me", &plain).await;
    let (statements, me) = costs(&app, "/api/v1/me", &plain).await;
    assert_eq!(me["roles"], json!(["requester"]));
    assert_eq!(statements, check + 1);
}

/// The statements of `GET /api/v1/changes/{id}` of a change with a system message, and
/// bookings and a freeze beside it, besides the pool's checks (two connections lent):
/// authentication (1), then one read transaction: BEGIN, the change, its CIs, its votes,
/// its people, its risk answers, its incidents, its system message, the message's
/// updates, where it was imported from, the windows on its CIs (with those CIs, in one
/// statement), its implementer's windows, the freezes, the freezes' CIs, its CIs'
/// maintenance windows, COMMIT. With no freeze near it, the CIs of none are not asked for.
/// (`RUST_LOG=endring::sql=trace` lists them.)
const GET_ONE_CHANGE: u64 = 17;

async fn reading_one_change_costs_a_fixed_number_of_statements_however_many_votes_bookings_and_freezes(
    backend: Backend,
) {
    // Two connections lent: one to authenticate, one for the view.
    let get_one_change = GET_ONE_CHANGE + 2 * checks(&backend);
    let app = TestApp::spawn(backend).await;
    // Scheduled alone, affecting users (so with a system message, as the others below).
    let lone = app.new_change().risk(medium_risk()).in_state(ChangeState::Scheduled).await;
    // As alone, with more votes (high risk needs more approvals).
    let voted = app.new_change().risk(high_risk()).in_state(ChangeState::Scheduled).await;

    // A change with more of everything: high risk (more votes), and changes booked on its
    // CI by its implementer in the same hours.
    let ci = app.ci("Lønnssystem", 1).await;
    let implementer = app.user("ivan", &[Role::Implementer]).await;
    let start = app.ctx.clock.now() + chrono::Duration::days(12);
    let book = |hours: i64| {
        app.new_change()
            .on_ci(ci)
            .implemented_by(&implementer)
            .starting_at(start + chrono::Duration::hours(hours))
            .in_state(ChangeState::Scheduled)
    };
    book(0).await;
    let busy = app
        .new_change()
        .on_ci(ci)
        .implemented_by(&implementer)
        .risk(high_risk())
        .starting_at(start)
        .in_state(ChangeState::Scheduled)
        .await;
    let path = |staged: &crate::builder::Staged| format!("/api/v1/changes/{}", staged.change["id"]);
    // Each booking clashes twice (the CI, the implementer), each freeze once.
    let conflicts = |view: &Value, kind: &str| {
        view["conflicts"].as_array().unwrap().iter().filter(|c| c["kind"] == kind).count()
    };
    let votes = |view: &Value| view["approval"]["votes"].as_array().unwrap().len();

    // Each token was used just now: no last-use write in what is counted.
    let (lone_cost, lone_view) = costs(&app, &path(&lone), &app.admin).await;
    assert_eq!(lone_view["conflicts"], json!([]), "{lone_view}");
    let (voted_cost, voted_view) = costs(&app, &path(&voted), &app.admin).await;
    assert!(
        votes(&voted_view) > votes(&lone_view),
        "{} votes against {}",
        votes(&voted_view),
        votes(&lone_view)
    );
    assert_eq!(voted_view["conflicts"], json!([]), "{voted_view}");
    assert_eq!(voted_cost, lone_cost, "the statements grew with the votes");
    let (booked_cost, booked_view) = costs(&app, &path(&busy), &app.admin).await;
    assert_eq!(conflicts(&booked_view, "shared_ci"), 1, "{booked_view}");
    assert_eq!(conflicts(&booked_view, "implementer_busy"), 1, "{booked_view}");
    // Its own window is among those read, so their CIs are read for one booking or none.
    assert_eq!(booked_cost, lone_cost, "the statements grew with a booking");

    // Three bookings more: the same statements.
    for hours in [0, 1, -1] {
        book(hours).await;
    }
    let (cost, view) = costs(&app, &path(&busy), &app.admin).await;
    assert_eq!(conflicts(&view, "shared_ci"), 4, "{view}");
    assert_eq!(cost, booked_cost, "the statements grew with the bookings");

    // Two freezes over its window: their CIs in one statement more.
    for (title, from, to) in [("Lønnskjøring", -1, 5), ("Revisjon", 0, 1)] {
        let freeze = json!({
            "title": title, "ci_ids": [ci],
            "starts_at": start + chrono::Duration::hours(from), "ends_at": start + chrono::Duration::hours(to),
        });
        app.post("/api/v1/blackouts", &app.admin, freeze).await;
    }
    let (cost, view) = costs(&app, &path(&busy), &app.admin).await;
    assert_eq!(conflicts(&view, "blackout"), 2, "{view}");
    assert_eq!(
        cost, get_one_change,
        "the statements grew with the freezes (lone {lone_cost}, booked {booked_cost})"
    );
    assert_eq!(lone_cost, get_one_change - 1, "with no freeze near it, the CIs of none are not read");
}
