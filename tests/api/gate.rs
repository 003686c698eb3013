//! The deployment gate (`GET /api/v1/changes/{id}/gate`): open only while a change is
//! approved and now lies in its window, or it is being implemented; every answer says why.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use chrono::{DateTime, Utc};
use endring::domain::change::ChangeState;
use reqwest::{Method, StatusCode};

on_both_backends!(
    the_gate_answers_for_every_state_with_a_reason,
    the_gate_opens_in_the_window_and_shuts_around_it,
    the_gate_is_refused_without_a_token_and_for_an_unknown_change,
);

async fn the_gate_answers_for_every_state_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let expected = [
        (ChangeState::Draft, false, "not_approved"),
        (ChangeState::Assess, false, "not_approved"),
        (ChangeState::Authorize, false, "not_approved"),
        (ChangeState::Scheduled, false, "before_window"),
        (ChangeState::Implement, true, "implementing"),
        (ChangeState::Review, false, "finished"),
        (ChangeState::Closed, false, "finished"),
        (ChangeState::Rejected, false, "finished"),
        (ChangeState::Cancelled, false, "finished"),
    ];
    for (state, allowed, code) in expected {
        let staged = app.change_in(state).await;
        let reference = staged.change["ref"].as_str().unwrap();
        let gate = app.get(&format!("/api/v1/changes/{reference}/gate"), &staged.requester).await;
        assert_eq!(
            (gate["allowed"].as_bool(), gate["code"].as_str()),
            (Some(allowed), Some(code)),
            "{state}: {gate}"
        );
        assert_eq!(gate["state"], state.as_str());
        assert!(gate["reason"].as_str().is_some_and(|r| r.len() > 20), "a sentence for the log: {gate}");
    }
}

async fn the_gate_opens_in_the_window_and_shuts_around_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staged = app.change_in(ChangeState::Scheduled).await;
    let reference = staged.change["ref"].as_str().unwrap().to_owned();
    let gate = app.get(&format!("/api/v1/changes/{reference}/gate"), &staged.implementer).await;
    let start: DateTime<Utc> = gate["window"]["start"].as_str().unwrap().parse().unwrap();
    let end: DateTime<Utc> = gate["window"]["end"].as_str().unwrap().parse().unwrap();
    assert!(gate["reason"].as_str().unwrap().contains("opens at"), "{gate}");
    let minute = chrono::TimeDelta::minutes(1);
    let path = format!("/api/v1/changes/{reference}/gate");
    // A minute before the window opens: shut. A minute after: open.
    app.ctx.clock.advance(start - app.ctx.clock.now() - minute);
    assert_eq!(app.get(&path, &staged.implementer).await["allowed"], false);
    app.ctx.clock.advance(minute * 2);
    let open = app.get(&path, &staged.implementer).await;
    assert_eq!((open["allowed"].as_bool(), open["code"].as_str()), (Some(true), Some("in_window")), "{open}");
    // A minute before it shuts: open; a minute after: shut, and the reason says to reschedule.
    app.ctx.clock.advance(end - app.ctx.clock.now() - minute);
    assert_eq!(app.get(&path, &staged.implementer).await["allowed"], true);
    app.ctx.clock.advance(minute * 2);
    let late = app.get(&path, &staged.implementer).await;
    assert_eq!(
        (late["allowed"].as_bool(), late["code"].as_str()),
        (Some(false), Some("after_window")),
        "{late}"
    );
    assert!(late["reason"].as_str().unwrap().contains("reschedule"), "{late}");
}

async fn the_gate_is_refused_without_a_token_and_for_an_unknown_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staged = app.change_in(ChangeState::Scheduled).await;
    let reference = staged.change["ref"].as_str().unwrap();
    let (status, _) = app.call(Method::GET, &format!("/api/v1/changes/{reference}/gate"), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) =
        app.call(Method::GET, "/api/v1/changes/CHG-999999/gate", Some(&staged.requester), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
