//! Reminders are queued when due, and exactly once.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use serde_json::json;

on_both_backends!(
    reminders_are_queued_once_when_due,
    voters_who_have_not_voted_are_reminded_before_the_cutoff
);

async fn queued(app: &TestApp) -> usize {
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || endring::services::reminders::queue_due(&ctx))
        .await
        .unwrap()
        .unwrap()
}

async fn reminders_are_queued_once_when_due(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staged =
        app.new_change().starting_in(chrono::Duration::days(3)).in_state(ChangeState::Scheduled).await;
    let (change, implementer) = (staged.change, staged.implementer);

    // Three days out, and still 26 hours out: nothing is queued.
    let scheduling = app.notices(&change).await;
    for (wait, when) in [(0, "three days before the start"), (46, "26 hours before the start")] {
        app.ctx.clock.advance(chrono::Duration::hours(wait));
        queued(&app).await;
        assert_eq!(app.notices(&change).await, scheduling, "{when}");
    }
    // Within a day of the start: the implementer, once.
    app.ctx.clock.advance(chrono::Duration::hours(3));
    queued(&app).await;
    queued(&app).await;
    assert_eq!(app.recipients(&change, "reminder_start").await, vec![implementer.email.clone()]);

    // Started, then past the planned end (two hours): the change managers, once.
    app.ctx.clock.advance(chrono::Duration::hours(23));
    app.act(&change, "start", &implementer, json!({})).await;
    assert!(app.recipients(&change, "reminder_overdue").await.is_empty());
    app.ctx.clock.advance(chrono::Duration::hours(3));
    queued(&app).await;
    queued(&app).await;
    assert_eq!(app.recipients(&change, "reminder_overdue").await, vec![app.admin.email.clone()]);
}

async fn voters_who_have_not_voted_are_reminded_before_the_cutoff(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let voted = app.user("cecilie", &[Role::CabMember]).await;
    let change = app
        .new_change()
        .risk(crate::helpers::medium_risk())
        .starting_in(chrono::Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await
        .change;
    app.act(&change, "votes", &voted, json!({ "decision": "approve" })).await;
    // (No reminder comes within hours of the request: see the ECAB case in meetings.rs.)
    app.ctx.clock.advance(endring::services::reminders::QUIET_AFTER_REQUEST + chrono::Duration::hours(1));

    let ctx = app.ctx.clone();
    let now = app.ctx.clock.now();
    let cutoff =
        actix_web::rt::task::spawn_blocking(move || endring::services::reminders::cutoff_after(&ctx, now))
            .await
            .unwrap()
            .unwrap()
            .expect("a cut-off within five weeks");
    let wait = cutoff - app.ctx.clock.now() - chrono::Duration::minutes(30);
    if wait > chrono::Duration::zero() {
        app.ctx.clock.advance(wait);
    }
    queued(&app).await;
    queued(&app).await;
    let mut reminded = app.recipients(&change, "reminder_vote").await;
    reminded.sort();
    let mut expected = vec![app.admin.email.clone(), member.email.clone()];
    expected.sort();
    assert_eq!(
        reminded, expected,
        "the two who have not voted, once each; not the one who did, nor requester or implementer"
    );
}
