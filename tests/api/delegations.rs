//! Delegation (SPEC §5): a member names a delegate for a range of days; during it the
//! delegate receives the member's vote emails and votes for them; segregation of duties
//! holds for both; no chains; an ended delegation stops at once.

use crate::helpers::{medium_risk, Backend, TestApp, User};
use crate::on_both_backends;
use crate::pages::{page, sign_in};
use chrono::Duration;
use endring::config::Config;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use endring::mail::transport::Transport;
use endring::mail::worker::deliver_due;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_delegate_votes_for_an_absent_member_and_the_two_ballots_count_apart,
    naming_a_delegate_is_refused_with_the_field_that_is_wrong,
    segregation_of_duties_holds_for_the_member_and_the_delegate_and_there_are_no_chains,
    an_ended_or_expired_delegation_stops_at_once,
    a_delegate_receives_the_members_vote_email_and_its_link_votes_for_the_member,
    in_a_meeting_an_attending_delegate_carries_the_absent_members_ballot,
);

fn today(app: &TestApp) -> chrono::NaiveDate {
    app.ctx.clock.now().with_timezone(&chrono_tz::Europe::Oslo).date_naive()
}

/// `member` names `delegate` from today for `days` more days.
async fn delegate(app: &TestApp, member: &User, delegate: &User, days: i64) -> Value {
    let from = today(app);
    let body = json!({ "delegate": delegate.id, "from": from, "until": from + Duration::days(days) });
    app.post("/api/v1/delegations", member, body).await
}

async fn vote(app: &TestApp, change: &Value, who: &User, body: Value) -> (StatusCode, Value) {
    app.act(change, "votes", who, body).await
}

async fn a_delegate_votes_for_an_absent_member_and_the_two_ballots_count_apart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ola, kari) = (app.user("ola", &[Role::CabMember]).await, app.user("kari", &[Role::CabMember]).await);
    let made = delegate(&app, &ola, &kari, 6).await;
    assert_eq!(
        (made["principal"]["name"].as_str(), made["delegate"]["name"].as_str(), made["active"].as_bool()),
        (Some("ola"), Some("kari"), Some(true))
    );
    assert_eq!(made["until"], json!(today(&app) + Duration::days(6)), "the last day is included");
    let listed = app.get("/api/v1/delegations", &kari).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "the delegate sees it too");

    // Medium risk: two approvals. Kari's vote for Ola and her own are two ballots.
    let staged = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let change = &staged.change;
    let (status, after) = vote(&app, change, &kari, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let browser = sign_in(&app, &kari).await;
    let (_, queue) = page(&browser, &app, "/cab").await;
    assert!(queue.contains("name=\"on_behalf_of\""), "after her own vote the queue still offers Ola's");
    let for_ola = json!({ "decision": "approve", "on_behalf_of": ola.id });
    let (status, after) = vote(&app, change, &kari, for_ola).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let ballot = &after["approval"]["votes"][1];
    assert_eq!(
        (ballot["voter"]["name"].as_str(), ballot["cast_by"]["name"].as_str()),
        (Some("ola"), Some("kari")),
        "the ballot is Ola's, cast by Kari"
    );
    assert_eq!(after["state"], "scheduled", "her own vote and Ola's are two ballots");

    // Ola's own vote stands: his delegate does not overwrite it.
    let other = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let own = json!({ "decision": "approve", "comment": "Checked with the supplier" });
    assert_eq!(vote(&app, &other.change, &ola, own).await.0, StatusCode::OK);
    let for_ola = json!({ "decision": "reject", "comment": "I would not", "on_behalf_of": ola.id });
    let (status, problem) = vote(&app, &other.change, &kari, for_ola).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let stored = app.change(&other.change).await;
    assert_eq!(
        (stored["state"].as_str(), stored["approval"]["votes"].as_array().unwrap().len()),
        (Some("authorize"), 1),
        "his own approval stands, nothing recorded for him by her"
    );
    let events = app.get(&format!("/api/v1/changes/{}/events", change["id"]), &app.admin).await;
    let for_ola = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "vote" && e["payload"]["on_behalf_of"].is_object())
        .expect("the first vote is an event of its own");
    assert_eq!(for_ola["payload"]["on_behalf_of"]["name"], "ola", "the trail says for whom: {for_ola}");
    assert_eq!(for_ola["actor"], "kari", "{for_ola}");

    // The page shows "kari for ola".
    let browser = sign_in(&app, &app.admin).await;
    let (_, page) = page(&browser, &app, &format!("/changes/{}", change["ref"].as_str().unwrap())).await;
    assert!(page.contains("kari for ola"), "the votes table names both");
    let timeline = page.split("ol class=\"timeline\"").nth(1).unwrap_or_default();
    assert!(timeline.contains("kari for ola"), "and the timeline");
}

async fn naming_a_delegate_is_refused_with_the_field_that_is_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ola = app.user("ola", &[Role::CabMember]).await;
    let kari = app.user("kari", &[Role::CabMember]).await;
    let rita = app.user("rita", &[]).await;
    let day = today(&app);
    let refused = |body: Value, who: User| {
        let app = &app;
        async move { app.post_status("/api/v1/delegations", &who, body).await }
    };
    let field = |problem: &Value| problem["errors"][0]["field"].as_str().map(str::to_owned);
    let cases = [
        (json!({ "delegate": ola.id, "from": day, "until": day }), "delegate"),
        (json!({ "delegate": kari.id, "from": day - Duration::days(1), "until": day }), "from"),
        (json!({ "delegate": kari.id, "from": day + Duration::days(2), "until": day }), "until"),
        (json!({ "delegate": kari.id, "from": day, "until": day + Duration::days(400) }), "until"),
        (json!({ "delegate": 999_999, "from": day, "until": day }), "delegate"),
    ];
    for (body, wanted) in cases {
        let (status, problem) = refused(body.clone(), ola.clone()).await;
        assert_eq!(
            (status, field(&problem).as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(wanted)),
            "{body}"
        );
    }
    let (status, problem) =
        refused(json!({ "delegate": kari.id, "from": "2026-02-30", "until": day }), ola.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an impossible date: {problem}");
    assert!(problem.to_string().contains("from"), "{problem}");

    // A requester has no vote to delegate; nobody names a delegate for someone else but admins.
    let (status, _) = refused(json!({ "delegate": kari.id, "from": day, "until": day }), rita.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let for_ola = json!({ "principal": ola.id, "delegate": rita.id, "from": day, "until": day });
    assert_eq!(refused(for_ola.clone(), kari.clone()).await.0, StatusCode::FORBIDDEN);
    let made = app.post("/api/v1/delegations", &app.admin, for_ola).await;
    assert_eq!(
        (made["principal"]["name"].as_str(), made["delegate"]["name"].as_str()),
        (Some("ola"), Some("rita"))
    );
    let for_rita = json!({ "principal": rita.id, "delegate": kari.id, "from": day, "until": day });
    let to_the_admin = json!({ "principal": kari.id, "delegate": app.admin.id, "from": day, "until": day });
    let (status, problem) = refused(to_the_admin, app.admin.clone()).await;
    assert_eq!(
        (status, field(&problem).as_deref()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("delegate")),
        "an admin does not name themselves to gather a member's ballot"
    );
    let (status, problem) = refused(for_rita, app.admin.clone()).await;
    assert_eq!((status, field(&problem).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("principal")));

    // One delegation at a time: an overlapping one names the one in the way.
    let overlapping = json!({ "delegate": kari.id, "from": day, "until": day + Duration::days(3) });
    let (status, problem) = refused(overlapping, ola.clone()).await;
    assert_eq!((status, field(&problem).as_deref()), (StatusCode::CONFLICT, Some("from")), "{problem}");
    let later =
        json!({ "delegate": kari.id, "from": day + Duration::days(1), "until": day + Duration::days(3) });
    assert_eq!(refused(later, ola.clone()).await.0, StatusCode::CREATED, "the next days are free");
}

async fn segregation_of_duties_holds_for_the_member_and_the_delegate_and_there_are_no_chains(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let ola = app.user("ola", &[Role::CabMember]).await;
    let kari = app.user("kari", &[Role::CabMember]).await;
    let per = app.user("per", &[Role::CabMember, Role::Implementer]).await;
    // The requester is Ola's delegate: she cannot vote for him on her own change.
    let rita = app.user("rita", &[]).await;
    delegate(&app, &ola, &rita, 3).await;
    let hers =
        app.new_change().requested_by(&rita).risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let (status, _) =
        vote(&app, &hers.change, &rita, json!({ "decision": "approve", "on_behalf_of": ola.id })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the delegate requested it");

    // Kari is Per's delegate; Per implements the change: nobody votes for him on it.
    delegate(&app, &per, &kari, 3).await;
    let his =
        app.new_change().implemented_by(&per).risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let (status, _) =
        vote(&app, &his.change, &kari, json!({ "decision": "approve", "on_behalf_of": per.id })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the member implements it");

    // No chains: Kari names Ola her delegate; Ola does not vote for Per through her.
    delegate(&app, &kari, &ola, 3).await;
    let staged = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let (status, problem) =
        vote(&app, &staged.change, &ola, json!({ "decision": "approve", "on_behalf_of": per.id })).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("on_behalf_of"))
    );
    let (status, _) =
        vote(&app, &staged.change, &ola, json!({ "decision": "approve", "on_behalf_of": kari.id })).await;
    assert_eq!(status, StatusCode::OK, "for Kari, who named him, he may");
    assert!(app.change(&staged.change).await["approval"]["votes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["voter"]["name"] != "per"));
}

async fn an_ended_or_expired_delegation_stops_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ola = app.user("ola", &[Role::CabMember]).await;
    let kari = app.user("kari", &[Role::CabMember]).await;
    let made = delegate(&app, &ola, &kari, 0).await;
    let staged = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let for_ola = json!({ "decision": "approve", "on_behalf_of": ola.id });

    // Ended by Ola (not by Kari): refused at once.
    let path = format!("/api/v1/delegations/{}", made["id"]);
    let (status, _) = app.call(reqwest::Method::DELETE, &path, Some(&kari), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the delegate does not end it");
    let (status, _) = app.call(reqwest::Method::DELETE, &path, Some(&ola), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(reqwest::Method::DELETE, &path, Some(&ola), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "ended once");
    let (status, _) = vote(&app, &staged.change, &kari, for_ola.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Expired: the range was today only; tomorrow it is over.
    delegate(&app, &ola, &kari, 0).await;
    let tomorrow =
        app.ctx.clock.now().with_timezone(&chrono_tz::Europe::Oslo).date_naive() + Duration::days(1);
    let midnight =
        endring::domain::workdays::local_instant(chrono_tz::Europe::Oslo, tomorrow, chrono::NaiveTime::MIN)
            .unwrap();
    app.ctx.clock.advance(midnight - app.ctx.clock.now() - Duration::seconds(1));
    let browser = sign_in(&app, &kari).await;
    let (_, queue) = page(&browser, &app, "/cab").await;
    assert!(queue.contains("name=\"on_behalf_of\""), "a second before midnight Kari still votes for Ola");
    app.ctx.clock.advance(Duration::seconds(1));
    let (status, _) = vote(&app, &staged.change, &kari, for_ola).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "at midnight it is over");
    let (_, queue) = page(&browser, &app, "/cab").await;
    assert!(!queue.contains("name=\"on_behalf_of\""));
    assert_eq!(app.get("/api/v1/delegations", &kari).await, json!([]), "ended ones are no longer listed");
}

async fn a_delegate_receives_the_members_vote_email_and_its_link_votes_for_the_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ola = app.user("ola", &[Role::CabMember]).await;
    // Dina is a member herself, and Ola's delegate: her own links and his are apart.
    let deputy = app.user("dina", &[Role::CabMember]).await;
    delegate(&app, &ola, &deputy, 2).await;
    let staged = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let folder = tempfile::tempdir().unwrap();
    let files =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    deliver_due(&app.ctx, &files).await.unwrap();
    let mails: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap().replace("=\r\n", "").replace("=\n", ""))
        .filter(|text| text.contains(&format!("To: {}", deputy.email)))
        .collect();
    assert_eq!(mails.len(), 2, "her own vote email and Ola's");
    let marked = |m: &String| m.contains("stedfortreder for ola");
    let for_ola = mails.iter().find(|m| marked(m)).expect("the email says for whom (Bokmål by default)");
    let own = mails.iter().find(|m| !marked(m)).unwrap();
    let paths = |mail: &str| -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for piece in mail.split("/vote/").skip(1) {
            let token: String = piece.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if token.len() == 64 && !found.contains(&format!("/vote/{token}")) {
                found.push(format!("/vote/{token}"));
            }
        }
        found
    };
    let (links, own_links) = (paths(for_ola), paths(own));
    assert_eq!((links.len(), own_links.len()), (2, 2), "an Approve and a Reject link in each");

    let client = reqwest::Client::new();
    let page = client.get(format!("{}{}", app.address, links[0])).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("dina for ola"), "the confirmation names both");
    let posted = client
        .post(format!("{}{}", app.address, links[0]))
        .form(&[("comment", "For Ola, who is away")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let votes = app.change(&staged.change).await["approval"]["votes"].clone();
    assert_eq!(
        (votes[0]["voter"]["name"].as_str(), votes[0]["cast_by"]["name"].as_str()),
        (Some("ola"), Some("dina"))
    );
    // Her own links are not spent by the vote for Ola: her own approval is the second ballot.
    let own_vote = client
        .post(format!("{}{}", app.address, own_links[0]))
        .form(&[("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(own_vote.status(), 200);
    assert_eq!(app.change(&staged.change).await["state"], "scheduled", "Ola's ballot and hers");
}

async fn in_a_meeting_an_attending_delegate_carries_the_absent_members_ballot(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chair = app.user("mona", &[Role::ChangeManager]).await;
    let ola = app.user("ola", &[Role::CabMember]).await;
    let kari = app.user("kari", &[Role::CabMember]).await;
    let staged = app
        .new_change()
        .risk(medium_risk())
        .starting_in(Duration::days(20))
        .in_state(ChangeState::Authorize)
        .await;
    let now = app.ctx.clock.now();
    let meeting = json!({ "title": "CAB", "starts_at": now + Duration::hours(2), "cutoff_at": now + Duration::hours(1) });
    let approve = json!({ "change_id": staged.change["id"], "outcome": "approve" });

    // Kari alone is one ballot of the two needed.
    let first = app.post("/api/v1/cab/meetings", &chair, meeting.clone()).await;
    let base = format!("/api/v1/cab/meetings/{}", first["id"]);
    app.post(&format!("{base}/open"), &chair, json!({ "attendees": [kari.id] })).await;
    let (status, _) = app.post_status(&format!("{base}/decisions"), &chair, approve.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "one ballot is too few");
    app.post(&format!("{base}/close"), &chair, json!({})).await;

    // As Ola's delegate she carries his ballot too: two.
    delegate(&app, &ola, &kari, 1).await;
    let second = app.post("/api/v1/cab/meetings", &chair, meeting).await;
    let base = format!("/api/v1/cab/meetings/{}", second["id"]);
    app.post(&format!("{base}/open"), &chair, json!({ "attendees": [kari.id] })).await;
    app.post(&format!("{base}/decisions"), &chair, approve).await;
    let after = app.change(&staged.change).await;
    assert_eq!(after["state"], "scheduled");
    let voters: Vec<(&str, Option<&str>)> = after["approval"]["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["voter"]["name"].as_str().unwrap(), v["cast_by"]["name"].as_str()))
        .collect();
    assert_eq!(voters, [("kari", None), ("ola", Some("kari"))]);
    // The record says who stood in for whom, on the page and in the minutes' Markdown,
    // also once the delegation is over.
    app.ctx.clock.advance(Duration::days(3));
    let detail = app.get(&base, &chair).await;
    assert_eq!(
        (
            detail["stand_ins"][0]["delegate"]["name"].as_str(),
            detail["stand_ins"][0]["member"]["name"].as_str()
        ),
        (Some("kari"), Some("ola"))
    );
    let browser = sign_in(&app, &chair).await;
    let (_, markdown) = page(&browser, &app, &format!("/cab/meetings/{}/agenda.md", second["id"])).await;
    assert!(markdown.contains("kari for ola"), "{markdown}");
}
