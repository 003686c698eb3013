//! A change in any lifecycle state, reached through the API as people would reach it:
//! `app.change_in(ChangeState::Scheduled)` or, with choices,
//! `app.new_change().risk(medium_risk()).emergency().in_state(ChangeState::Implement)`.
//! Tests go on from there; `Staged::reach` takes the same change further.

use crate::helpers::{low_risk, TestApp, User};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A change and the people it was taken through its lifecycle with.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The change as the last action answered it.
    pub change: Value,
    pub requester: User,
    pub implementer: User,
    /// The change manager who assesses, approves first and reviews.
    pub manager: User,
    /// CAB members: those given to the builder, then those made as the rule needed them.
    pub voters: Vec<User>,
    pub ci: i64,
    closure: (String, String),
    serial: usize,
}

/// Choices for a change before it is staged; anything not chosen gets a default.
pub struct ChangeBuilder<'a> {
    app: &'a TestApp,
    change_type: &'static str,
    risk: Value,
    start: Start,
    ci: Option<i64>,
    requester: Option<User>,
    implementer: Option<User>,
    manager: Option<User>,
    voters: Vec<User>,
    closure: (String, String),
}

/// When the planned window opens.
enum Start {
    In(chrono::Duration),
    At(chrono::DateTime<chrono::Utc>),
}

impl TestApp {
    /// A builder for a change of new people (requester, implementer) on a new CI of
    /// criticality 3, low risk, planned ten days ahead for two hours; the admin is its
    /// change manager.
    pub fn new_change(&self) -> ChangeBuilder<'_> {
        ChangeBuilder {
            app: self,
            change_type: "normal",
            risk: low_risk(),
            start: Start::In(chrono::Duration::days(10)),
            ci: None,
            requester: None,
            implementer: None,
            manager: None,
            voters: Vec::new(),
            closure: ("successful".into(), String::new()),
        }
    }

    /// A change with the builder's defaults, taken to `state`.
    pub async fn change_in(&self, state: ChangeState) -> Staged {
        self.new_change().in_state(state).await
    }

    /// A standard-change candidate (SPEC §4): five changes on a new CI closed as
    /// successful by one team (`requester`, `implementer`, `voter` approving); its id.
    pub async fn candidate(&self, requester: &User, implementer: &User, voter: &User) -> String {
        let ci = self.ci("Candidate CI", 3).await;
        for _ in 0..5 {
            self.new_change()
                .on_ci(ci)
                .requested_by(requester)
                .implemented_by(implementer)
                .voters(std::slice::from_ref(voter))
                .closed_as("successful", "")
                .in_state(ChangeState::Closed)
                .await;
        }
        let found = self.get("/api/v1/templates/candidates", &self.admin).await;
        found[0]["id"].as_str().expect("a candidate").to_owned()
    }

    /// A number no other fixture of this database has had.
    pub(crate) fn next_serial(&self) -> usize {
        self.serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

impl<'a> ChangeBuilder<'a> {
    /// Questionnaire answers (default `low_risk()`).
    pub fn risk(mut self, answers: Value) -> Self {
        self.risk = answers;
        self
    }

    /// An emergency change (ECAB; it skips assessment and may start early).
    pub fn emergency(mut self) -> Self {
        self.change_type = "emergency";
        self
    }

    /// Planned to start this long from now (default ten days).
    pub fn starting_in(mut self, span: chrono::Duration) -> Self {
        self.start = Start::In(span);
        self
    }

    pub fn starting_at(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.start = Start::At(at);
        self
    }

    pub fn on_ci(mut self, ci: i64) -> Self {
        self.ci = Some(ci);
        self
    }

    pub fn requested_by(mut self, requester: &User) -> Self {
        self.requester = Some(requester.clone());
        self
    }

    pub fn implemented_by(mut self, implementer: &User) -> Self {
        self.implementer = Some(implementer.clone());
        self
    }

    /// The change manager who assesses, approves and reviews (default the admin).
    pub fn managed_by(mut self, manager: &User) -> Self {
        self.manager = Some(manager.clone());
        self
    }

    /// CAB members to vote, in order, before new ones are made.
    pub fn voters(mut self, voters: &[User]) -> Self {
        self.voters = voters.to_vec();
        self
    }

    /// How implementation ends (default `successful`, no notes).
    pub fn closed_as(mut self, code: &str, notes: &str) -> Self {
        self.closure = (code.to_owned(), notes.to_owned());
        self
    }

    /// Files the change, answers its questionnaire and takes it to `state`.
    pub async fn in_state(self, state: ChangeState) -> Staged {
        let app = self.app;
        let serial = app.next_serial();
        let suffix = if serial == 0 { String::new() } else { serial.to_string() };
        let requester = match self.requester {
            Some(user) => user,
            None => app.user(&format!("rita{suffix}"), &[]).await,
        };
        let implementer = match self.implementer {
            Some(user) => user,
            None => app.user(&format!("ivar{suffix}"), &[Role::Implementer]).await,
        };
        let ci = match self.ci {
            Some(ci) => ci,
            None => app.ci(&format!("Archive{suffix}"), 3).await,
        };
        let start = match self.start {
            Start::In(span) => app.ctx.clock.now() + span,
            Start::At(at) => at,
        };
        let change = app.draft_of(self.change_type, &requester, &implementer, &[ci], start).await;
        let answered = app.answer_risk(&change, &requester, self.risk).await;
        assert!(answered["level"].is_string(), "{answered}");
        let mut staged = Staged {
            change: app.change(&change).await,
            requester,
            implementer,
            manager: self.manager.unwrap_or_else(|| app.admin.clone()),
            voters: self.voters,
            ci,
            closure: self.closure,
            serial,
        };
        staged.reach(app, state).await;
        staged
    }
}

impl Staged {
    pub fn state(&self) -> ChangeState {
        let text = self.change["state"].as_str().unwrap_or_default();
        text.parse().unwrap_or_else(|_| panic!("a change without a known state: {}", self.change))
    }

    /// Takes the change on to `target` by the usual path: submit, assess, votes (the
    /// change manager first, then CAB members until the rule decides), start (moving the
    /// clock to the planned start unless it is an emergency), complete, review. Rejected
    /// and cancelled are reached from any state before them.
    pub async fn reach(&mut self, app: &TestApp, target: ChangeState) {
        use ChangeState::*;
        let path = [Draft, Assess, Authorize, Scheduled, Implement, Review, Closed];
        let step = |state| path.iter().position(|s| *s == state);
        while self.state() != target {
            if let (Some(now), Some(wanted)) = (step(self.state()), step(target)) {
                assert!(wanted > now, "a change in {} cannot go back to {target}", self.state());
            }
            let (actor, action, body) = match (self.state(), target) {
                (Draft | Assess | Authorize | Scheduled, Cancelled) => {
                    (self.requester.clone(), "cancel", json!({ "reason": "No longer needed" }))
                }
                (Draft, _) => (self.requester.clone(), "submit", json!({})),
                (Assess, _) => (self.manager.clone(), "assess", json!({ "outcome": "authorize" })),
                (Authorize, Rejected) => {
                    let voter = self.next_voter(app).await;
                    (voter, "votes", json!({ "decision": "reject", "comment": "Not now" }))
                }
                (Authorize, _) => (self.next_approver(app).await, "votes", json!({ "decision": "approve" })),
                (Scheduled, _) => {
                    self.open_window(app);
                    (self.implementer.clone(), "start", json!({}))
                }
                (Implement, _) => {
                    let (code, notes) = &self.closure;
                    (self.implementer.clone(), "complete", json!({ "closure_code": code, "notes": notes }))
                }
                (Review, _) => (self.manager.clone(), "review", json!({ "review": "Went as planned." })),
                (from, to) => panic!("a change in {from} cannot reach {to}"),
            };
            let (status, answer) = app.act(&self.change, action, &actor, body).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{action} by {} on the way to {target}: {answer}",
                actor.email
            );
            self.change = answer;
        }
    }

    /// The change manager if they have not voted in this round, else the next CAB member.
    async fn next_approver(&mut self, app: &TestApp) -> User {
        match self.has_voted(&self.manager) {
            false => self.manager.clone(),
            true => self.next_voter(app).await,
        }
    }

    /// The next CAB member who has not voted in this round, made when there is none.
    async fn next_voter(&mut self, app: &TestApp) -> User {
        match self.voters.iter().find(|v| !self.has_voted(v)) {
            Some(member) => member.clone(),
            None => self.new_voter(app).await,
        }
    }

    fn has_voted(&self, user: &User) -> bool {
        let approval = &self.change["approval"];
        approval["votes"].as_array().is_some_and(|votes| {
            votes.iter().any(|v| v["round"] == approval["round"] && v["voter"]["id"] == user.id)
        })
    }

    async fn new_voter(&mut self, app: &TestApp) -> User {
        let member =
            app.user(&format!("cato{}-{}", self.serial, self.voters.len() + 1), &[Role::CabMember]).await;
        self.voters.push(member.clone());
        member
    }

    /// Moves the clock to the planned start, unless it is an emergency change or there already.
    fn open_window(&self, app: &TestApp) {
        if self.change["type"] == "emergency" {
            return;
        }
        let start: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(self.change["planned_start"].clone()).expect("a planned start");
        let wait = start - app.ctx.clock.now();
        if wait > chrono::Duration::zero() {
            app.ctx.clock.advance(wait + chrono::Duration::minutes(1));
        }
    }
}
