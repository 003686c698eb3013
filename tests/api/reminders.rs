//! Reminders are queued when due, and exactly once.

use crate::helpers::{low_risk, Backend, TestApp};
use crate::on_both_backends;
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
    let requester = app.user("rita", &[]).await;
    let implementer = app.user("ivar", &[Role::Implementer]).await;
    let ci = app.ci("Archive", 3).await;
    let change = app.draft(&requester, &implementer, ci, 3).await;
    app.answer_risk(&change, &requester, low_risk()).await;
    app.act(&change, "submit", &requester, json!({})).await;
    app.act(&change, "assess", &app.admin, json!({ "outcome": "authorize" })).await;
    app.act(&change, "votes", &app.admin, json!({ "decision": "approve" })).await;

    // Three days out: nothing yet. Within a day of the start: the implementer, once.
    let before = queued(&app).await;
    app.ctx.clock.advance(chrono::Duration::days(2) + chrono::Duration::hours(1));
    let notices = |kind: &'static str| {
        let app = &app;
        let change = &change;
        async move {
            app.notices(change)
                .await
                .into_iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, to)| to)
                .collect::<Vec<_>>()
        }
    };
    queued(&app).await;
    queued(&app).await;
    assert_eq!(notices("reminder_start").await, vec![implementer.email.clone()], "queued before: {before}");

    // Started, then past the planned end (two hours): the change managers, once.
    app.ctx.clock.advance(chrono::Duration::hours(23));
    app.act(&change, "start", &implementer, json!({})).await;
    assert!(notices("reminder_overdue").await.is_empty());
    app.ctx.clock.advance(chrono::Duration::hours(3));
    queued(&app).await;
    queued(&app).await;
    assert_eq!(notices("reminder_overdue").await, vec![app.admin.email.clone()]);
}

async fn voters_who_have_not_voted_are_reminded_before_the_cutoff(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("rita", &[]).await;
    let implementer = app.user("ivar", &[Role::Implementer]).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let voted = app.user("cecilie", &[Role::CabMember]).await;
    let ci = app.ci("Archive", 3).await;
    let change = app.draft(&requester, &implementer, ci, 20).await;
    app.answer_risk(&change, &requester, crate::helpers::medium_risk()).await;
    app.act(&change, "submit", &requester, json!({})).await;
    app.act(&change, "assess", &app.admin, json!({ "outcome": "authorize" })).await;
    app.act(&change, "votes", &voted, json!({ "decision": "approve" })).await;

    let cutoff = endring::services::reminders::next_cutoff(app.ctx.clock.now(), chrono_tz::Europe::Oslo);
    let wait = cutoff - app.ctx.clock.now() - chrono::Duration::minutes(30);
    if wait > chrono::Duration::zero() {
        app.ctx.clock.advance(wait);
    }
    queued(&app).await;
    queued(&app).await;
    let mut reminded: Vec<String> = app
        .notices(&change)
        .await
        .into_iter()
        .filter(|(k, _)| k == "reminder_vote")
        .map(|(_, to)| to)
        .collect();
    reminded.sort();
    let mut expected = vec![app.admin.email.clone(), member.email.clone()];
    expected.sort();
    assert_eq!(
        reminded, expected,
        "the two who have not voted, once each; not the one who did, nor requester or implementer"
    );
}
