//! Delivering the outbox: `.eml` files without SMTP, a real SMTP conversation with a server
//! on loopback, an outage, and no notice sent twice.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::smtp_sink::{queue_scheduled_notices, smtp_server, smtp_server_gathering, Gathering};
use endring::config::Config;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use endring::mail::transport::Transport;
use endring::mail::worker::{deliver_due, Round};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

on_both_backends!(
    without_smtp_notices_become_eml_files_with_text_and_html,
    an_smtp_outage_delays_notices_and_none_is_sent_twice,
    two_instances_draining_one_outbox_send_each_notice_once,
    failed_notices_are_listed_for_admins_and_can_be_retried,
    a_cab_member_decides_from_the_email,
    a_setting_makes_email_votes_need_the_voter_signed_in,
    a_worker_whose_lease_ran_out_cannot_overwrite_the_new_claim,
    no_vote_request_goes_out_for_a_change_decided_before_it_is_sent,
    a_round_sends_its_batch_over_several_connections_at_once,
);

async fn no_vote_request_goes_out_for_a_change_decided_before_it_is_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut staged = app.change_in(ChangeState::Authorize).await;
    let requests = app.recipients(&staged.change, "authorize_request").await.len();
    assert!(requests >= 1, "vote requests queued: {requests}");
    // Decided through the web before the worker's next round.
    staged.reach(&app, ChangeState::Scheduled).await;
    let folder = tempfile::tempdir().unwrap();
    let transport =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    let round = deliver_due(&app.ctx, &transport).await.unwrap();
    assert_eq!(round.skipped, requests, "every vote request skipped: {round:?}");
    let mails: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), round.sent, "only what was sent became mail");
    assert!(
        !mails.iter().any(|m| m.contains("trenger din stemme")),
        "no request to vote on a decided change"
    );
    assert!(mails.iter().any(|m| m.contains("godkjent og planlagt")), "the decision itself is sent");
    // And the skipped ones are done: the next round has nothing left.
    let again = deliver_due(&app.ctx, &transport).await.unwrap();
    assert_eq!(again, Round::default());
}

async fn a_setting_makes_email_votes_need_the_voter_signed_in(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.vote_links_require_sign_in = true).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let staged = app.change_in(ChangeState::Authorize).await;
    let (change, requester) = (&staged.change, &staged.requester);
    let folder = tempfile::tempdir().unwrap();
    let files =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    deliver_due(&app.ctx, &files).await.unwrap();
    let approve = vote_paths(folder.path(), &member.email).remove(0);
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response =
        anonymous.post(format!("{}{approve}", app.address)).form(&[("comment", "ok")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/sign-in?next={approve}"),
        "through sign-in and back"
    );
    assert_eq!(
        app.change(change).await["approval"]["votes"],
        json!([]),
        "nothing decided without signing in"
    );

    // Signed in as someone else: refused. Signed in as the voter: decided.
    let someone = crate::pages::sign_in(&app, requester).await;
    let refused =
        someone.post(format!("{}{approve}", app.address)).form(&[("comment", "ok")]).send().await.unwrap();
    assert_eq!(refused.status(), 403, "the wrong voter");
    let lapsed = crate::pages::sign_in(&app, &member).await;
    app.ctx.clock.advance(chrono::Duration::hours(13));
    let response =
        lapsed.post(format!("{}{approve}", app.address)).form(&[("comment", "ok")]).send().await.unwrap();
    assert_eq!(response.status(), 303, "a session past its twelve hours is no sign-in");
    let voter = crate::pages::sign_in(&app, &member).await;
    let decided =
        voter.post(format!("{}{approve}", app.address)).form(&[("comment", "ok")]).send().await.unwrap();
    assert_eq!(decided.status(), 200);
    assert_eq!(app.change(change).await["approval"]["votes"].as_array().unwrap().len(), 1);
}

async fn failed_notices_are_listed_for_admins_and_can_be_retried(backend: Backend) {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn(backend).await;
    let requester = app.change_in(ChangeState::Scheduled).await.requester;
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = ctx.db.conn().unwrap();
        diesel::sql_query("UPDATE outbox SET attempts = 7").execute(&mut *conn).unwrap();
    })
    .await
    .unwrap();
    let (down, _) = smtp_to_a_closed_port();
    let round = deliver_due(&app.ctx, &down).await.unwrap();
    // (The vote request is not sent at all: the change was decided before it went out.)
    assert!(round.failed >= 3 && round.sent == 0 && round.skipped == 1, "{round:?}");

    let failed = app.get("/api/v1/outbox/failed", &app.admin).await;
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), round.failed);
    assert!(failed[0]["last_error"].as_str().unwrap().contains("delivery failed"), "{failed:?}");
    let (status, _) = app.call(reqwest::Method::GET, "/api/v1/outbox/failed", Some(&requester), None).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);

    let id = failed[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/outbox/{id}/retry");
    let (status, _) = app.call(reqwest::Method::POST, &path, Some(&app.admin), None).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let (status, problem) = app.call(reqwest::Method::POST, &path, Some(&app.admin), None).await;
    assert_eq!(status, reqwest::StatusCode::CONFLICT, "{problem}");
    let folder = tempfile::tempdir().unwrap();
    let files =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    assert_eq!(deliver_due(&app.ctx, &files).await.unwrap().sent, 1, "the retried notice goes out");
}

async fn two_instances_draining_one_outbox_send_each_notice_once(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = first.second_instance().await;
    for _ in 0..3 {
        first.change_in(ChangeState::Scheduled).await;
    }
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files = |dir: &tempfile::TempDir| {
        Transport::from_config(&Config { mail_dir: dir.path().to_owned(), ..Config::default() }).unwrap()
    };
    let (a, b) = (files(&one), files(&two));
    let mut skipped = 0;
    for _ in 0..10 {
        let (ra, rb) = tokio::join!(deliver_due(&first.ctx, &a), deliver_due(&second.ctx, &b));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        skipped += ra.skipped + rb.skipped;
        if (ra, rb) == (Round::default(), Round::default()) {
            break;
        }
    }
    let rows = stored_notices(&first).await;
    assert!(rows.len() >= 12, "three changes' notices: {rows:?}");
    assert!(rows.iter().all(|(_, status)| status == "sent"), "{rows:?}");
    // The messages written, by the outbox row their Message-ID names: each row once.
    let mut written: Vec<i32> = [one.path(), two.path()]
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|file| {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            let id = text.split("Message-ID: <outbox-").nth(1).expect("an outbox Message-ID");
            id.split('-').next().unwrap().parse().unwrap()
        })
        .collect();
    written.sort();
    let ids: Vec<i32> = rows.iter().map(|(id, _)| *id).collect();
    let mut once = written.clone();
    once.dedup();
    assert_eq!(once, written, "no notice written twice");
    assert!(written.iter().all(|id| ids.contains(id)), "each written one is a row");
    // The vote requests of the (already decided) changes are done without a message.
    assert_eq!(written.len() + skipped, ids.len(), "every notice handled exactly once, by one of the two");
    assert_eq!(skipped, 3, "one vote request per change, none sent");
}

/// The outbox as stored: `(id, status)` of every row, by id.
async fn stored_notices(app: &TestApp) -> Vec<(i32, String)> {
    use diesel::prelude::*;
    use endring::db::schema::outbox;
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        ctx.db.query(|conn| outbox::table.select((outbox::id, outbox::status)).order(outbox::id).load(conn))
    })
    .await
    .unwrap()
    .unwrap()
}

async fn counts(app: &TestApp) -> Vec<(String, i64)> {
    let ctx = app.ctx.clone();
    let mut counts = actix_web::rt::task::spawn_blocking(move || ctx.db.query(endring::db::outbox::counts))
        .await
        .unwrap()
        .unwrap();
    counts.sort();
    counts
}

async fn without_smtp_notices_become_eml_files_with_text_and_html(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    // Message-IDs and calendar UIDs carry the installation's own id: another installation
    // on the same host (here: another database) never makes the same ones.
    let domain = app.ctx.uid_domain();
    let (instance, host) = domain.split_once('.').unwrap();
    assert_eq!((instance.len(), host), (16, "127.0.0.1"), "{domain}");
    assert!(instance.chars().all(|c| c.is_ascii_hexdigit()), "{domain}");
    assert_ne!(TestApp::spawn(backend).await.ctx.uid_domain(), domain, "two installations, two ids");
    // Scheduling queues submitted, authorize and approved notices.
    let change = app.change_in(ChangeState::Scheduled).await.change;
    let folder = tempfile::tempdir().unwrap();
    let transport =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    let round = deliver_due(&app.ctx, &transport).await.unwrap();
    assert!(round.sent >= 3 && round.skipped == 1, "{round:?}");
    assert_eq!((round.retried, round.failed), (0, 0));
    let files: Vec<_> = std::fs::read_dir(folder.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), round.sent);
    let all: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let scheduled = all
        .iter()
        .find(|m| m.contains("To: rita") && m.contains("Subject: CHG-000001 er godkjent og planlagt"))
        .expect("the requester hears it is approved and scheduled, in one email");
    let message_id = format!("@{}>", app.ctx.uid_domain());
    for part in [
        "Message-ID: <outbox-",
        message_id.as_str(),
        "Auto-Submitted: auto-generated",
        "Content-Language: nb",
        "text/plain",
        "text/html",
        "CHG-000001",
    ] {
        assert!(scheduled.contains(part), "{part} missing from:\n{scheduled}");
    }
    assert!(scheduled.contains("text/calendar; method=REQUEST"), "a calendar invitation is attached");
    // The skipped vote request is done too (marked sent, with no message).
    assert_eq!(counts(&app).await, [("sent".to_owned(), (round.sent + round.skipped) as i64)]);
    assert_eq!(deliver_due(&app.ctx, &transport).await.unwrap(), Round::default(), "nothing is sent twice");

    // Moving and then cancelling the change updates and withdraws the invitation.
    let start = app.ctx.clock.now() + chrono::Duration::days(20);
    let window = json!({ "planned_start": start, "planned_end": start + chrono::Duration::hours(1) });
    app.act(&change, "reschedule", &app.admin, window).await;
    app.act(&change, "cancel", &app.admin, json!({ "reason": "Vendor postponed" })).await;
    let later = deliver_due(&app.ctx, &transport).await.unwrap();
    assert_eq!(later.sent, 4, "rescheduled and cancelled, to requester and implementer");
    let all: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(all.iter().filter(|m| m.contains("text/calendar; method=CANCEL")).count(), 2);
    assert_eq!(all.iter().filter(|m| m.contains("text/calendar; method=REQUEST")).count(), 4);
}

/// `count` notices of CHG-000007 being scheduled, to person0@… and on, in the outbox.
async fn queue_notices(app: &TestApp, count: usize) {
    let ctx = app.ctx.clone();
    actix_web::rt::task::spawn_blocking(move || queue_scheduled_notices(&ctx, count, "test.endring.no"))
        .await
        .unwrap()
        .unwrap();
}

/// One after another, each message waited for the server's answers (and a delayed TCP
/// acknowledgement): 1,000 notices took 44 s. The server here answers a message's end
/// only once a second message has arrived (or after a second): sent one at a time, no two
/// ever wait together.
async fn a_round_sends_its_batch_over_several_connections_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    queue_notices(&app, 10).await;
    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let gathering = Gathering::of(2);
    tokio::spawn(smtp_server_gathering(listener, received.clone(), gathering.clone()));
    let config = Config { smtp_url: Some(format!("smtp://127.0.0.1:{port}")), ..Config::default() };
    let transport = Transport::from_config(&config).unwrap();
    let round = deliver_due(&app.ctx, &transport).await.unwrap();
    assert_eq!(round, Round { sent: 10, ..Round::default() });
    assert_eq!(received.lock().unwrap().len(), 10);
    let most = gathering.most.load(std::sync::atomic::Ordering::SeqCst);
    assert!(most >= 2, "at most {most} message(s) waited for the server's answer at once");
    assert_eq!(counts(&app).await, [("sent".to_owned(), 10)]);
}

async fn an_smtp_outage_delays_notices_and_none_is_sent_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 100 notices while the mail server is down.
    queue_notices(&app, 100).await;
    let (transport, port) = smtp_to_a_closed_port();
    let mut first = Round::default();
    loop {
        let round = deliver_due(&app.ctx, &transport).await.unwrap();
        if round == Round::default() {
            break;
        }
        first.retried += round.retried;
        first.sent += round.sent;
    }
    assert_eq!((first.sent, first.retried), (0, 100), "all wait for a retry");
    assert_eq!(
        deliver_due(&app.ctx, &transport).await.unwrap(),
        Round::default(),
        "not before their backoff"
    );

    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(smtp_server(listener, received.clone()));
    app.ctx.clock.advance(chrono::Duration::minutes(1));
    let mut sent = 0;
    for _ in 0..20 {
        sent += deliver_due(&app.ctx, &transport).await.unwrap().sent;
    }
    assert_eq!(sent, 100);
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 100);
    let mut ids: Vec<&str> =
        messages.iter().filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:"))).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100, "each notice once, each with its own Message-ID");
    let one =
        messages.iter().find(|m| m.contains("To: person7@test.endring.no")).expect("a message to person7");
    for part in
        ["Subject: CHG-000007 er planlagt", "text/plain", "text/html", "From: Endring <endring@localhost>"]
    {
        assert!(one.contains(part), "{part} missing from:\n{one}");
    }
    assert_eq!(counts(&app).await, [("sent".to_owned(), 100)]);
}

/// The `/vote/<token>` paths in the emails sent to `recipient` (quoted-printable undone).
pub fn vote_paths(folder: &std::path::Path, recipient: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let text =
            std::fs::read_to_string(entry.unwrap().path()).unwrap().replace("=\r\n", "").replace("=\n", "");
        if !text.contains(&format!("To: {recipient}")) {
            continue;
        }
        for piece in text.split("/vote/").skip(1) {
            let token: String = piece.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if token.len() == 64 && !paths.contains(&format!("/vote/{token}")) {
                paths.push(format!("/vote/{token}"));
            }
        }
    }
    paths
}

async fn a_cab_member_decides_from_the_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let other = app.user("cecilie", &[Role::CabMember]).await;
    let staged = app.new_change().risk(crate::helpers::medium_risk()).in_state(ChangeState::Authorize).await;
    let change = &staged.change;
    let folder = tempfile::tempdir().unwrap();
    let files =
        Transport::from_config(&Config { mail_dir: folder.path().to_owned(), ..Config::default() }).unwrap();
    deliver_due(&app.ctx, &files).await.unwrap();
    let links = vote_paths(folder.path(), &member.email);
    assert_eq!(links.len(), 2, "an Approve and a Reject link: {links:?}");
    // The request carries what a member needs to decide from the email alone.
    let request = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap().replace("=\r\n", ""))
        .find(|m| m.contains(&format!("To: {}", member.email)) && m.contains("trenger din stemme"))
        .expect("the member's vote request");
    let ci = change["cis"][0]["name"].as_str().unwrap();
    let requester = change["requester"]["name"].as_str().unwrap();
    for (what, shown) in [
        ("the type", "Type: Normal"),
        ("the CIs", ci),
        ("the requester", requester),
        ("the risk's factors", "(+"),
        ("the deadline", "Stem innen (CABs frist): "),
        ("the conflicts", "Konflikter: "),
    ] {
        assert!(request.contains(shown), "{what} ({shown}) missing from:\n{request}");
    }
    let (approve, reject) = (&links[0], &links[1]);
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", app.address)).send();

    // Opening the link only asks; twice over, nothing is decided.
    for _ in 0..2 {
        let page = get(approve).await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("cato"), "the page says who votes");
    }
    assert_eq!(app.change(change).await["approval"]["votes"], json!([]));

    let post = |path: &str, comment: &str| {
        client.post(format!("{}{path}", app.address)).form(&[("comment", comment.to_owned())]).send()
    };
    let decided = post(approve, "Fine by me").await.unwrap();
    assert_eq!(decided.status(), 200);
    let votes = app.change(change).await["approval"]["votes"].clone();
    assert_eq!(
        (votes[0]["voter"]["name"].as_str(), votes[0]["decision"].as_str()),
        (Some("cato"), Some("approve"))
    );
    let events = app.get(&format!("/api/v1/changes/{}/events", change["id"]), &app.admin).await;
    assert!(
        events.as_array().unwrap().iter().any(|e| e["payload"]["via"] == "email"),
        "the trail says it came by email"
    );

    assert_eq!(post(approve, "again").await.unwrap().status(), 410, "a link decides once");
    assert_eq!(
        post(reject, "changed my mind").await.unwrap().status(),
        410,
        "the other link of that email is spent too"
    );
    assert_eq!(get(&format!("/vote/{}", "ab".repeat(32))).await.unwrap().status(), 404, "forged");

    // Another voter's links: expired after the link lifetime, superseded once the change is returned.
    let others = vote_paths(folder.path(), &other.email);
    app.ctx.clock.advance(chrono::Duration::days(8));
    assert_eq!(get(&others[0]).await.unwrap().status(), 410, "expired");
    app.ctx.clock.advance(chrono::Duration::days(-8));
    let manager = app.user("kari", &[Role::ChangeManager]).await;
    app.act(change, "return", &manager, json!({ "comment": "More detail, please" })).await;
    assert_eq!(post(&others[0], "").await.unwrap().status(), 409, "superseded by the return");
    assert_eq!(app.change(change).await["approval"]["votes"].as_array().unwrap().len(), 1);
}

async fn a_worker_whose_lease_ran_out_cannot_overwrite_the_new_claim(backend: Backend) {
    use endring::db::outbox;
    let app = TestApp::spawn(backend).await;
    let ctx = app.ctx.clone();
    let statuses = actix_web::rt::task::spawn_blocking(move || {
        ctx.db.write(|conn| -> endring::services::ServiceResult<Vec<(String, i64)>> {
            let now = ctx.clock.now();
            let notice = outbox::NewNotice {
                kind: "scheduled",
                change_id: None,
                recipient_id: None,
                recipient_email: "slow@test.endring.no",
                payload: "{}",
            };
            outbox::insert(conn, &notice, now)?;
            let lease = chrono::Duration::minutes(5);
            let slow = outbox::claim_due(conn, now, now + lease, 10)?;
            let later = now + lease + chrono::Duration::seconds(1);
            let fresh = outbox::claim_due(conn, later, later + lease, 10)?;
            assert_eq!((slow.len(), fresh.len()), (1, 1), "the expired claim is taken over");
            assert_eq!((slow[0].attempts, fresh[0].attempts), (1, 2));
            // The slow worker finally fails; its result must not touch the fresh claim.
            outbox::mark_failed_attempt(conn, slow[0].id, slow[0].attempts, "timeout", None)?;
            let after_slow = outbox::counts(conn)?;
            outbox::mark_sent(conn, fresh[0].id, fresh[0].attempts, later)?;
            let mut after_fresh = outbox::counts(conn)?;
            after_fresh.extend(after_slow);
            Ok(after_fresh)
        })
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        statuses,
        vec![("sent".to_owned(), 1), ("sending".to_owned(), 1)],
        "the slow worker's failure was ignored; the fresh worker's send counted"
    );
}

/// An SMTP transport to a loopback port nothing listens on (yet), and that port.
fn smtp_to_a_closed_port() -> (Transport, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = Config { smtp_url: Some(format!("smtp://127.0.0.1:{port}")), ..Config::default() };
    (Transport::from_config(&config).unwrap(), port)
}
