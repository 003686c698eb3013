//! Two real `endring serve` processes on one database behave as one system.

use crate::helpers::{medium_risk, Backend, TestApp};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The session key every instance of a test shares (as production instances must).
pub const SHARED_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

on_both_backends!(votes_raced_through_two_server_processes_decide_once);

/// A child `endring serve`, killed when dropped.
struct ServerProcess {
    child: Child,
    address: String,
}

impl ServerProcess {
    async fn start(database_url: &str, mail_dir: &std::path::Path) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_endring"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("ENDRING_MAIL_DIR", mail_dir)
            .env("ENDRING_SESSION_KEY", SHARED_KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start endring serve");
        let server = ServerProcess { child, address: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = reqwest::get(format!("{}/healthz", server.address)).await {
                if response.status() == StatusCode::OK {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("endring serve did not become healthy at {}", server.address);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn votes_raced_through_two_server_processes_decide_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let members = [app.user("m1", &[Role::CabMember]).await, app.user("m2", &[Role::CabMember]).await];
    let staged = app.new_change().risk(medium_risk()).in_state(ChangeState::Authorize).await;
    let (change, manager) = (&staged.change, &staged.manager);

    let mail = tempfile::tempdir().unwrap();
    let (one, two) = tokio::join!(
        ServerProcess::start(&app.db.url, mail.path()),
        ServerProcess::start(&app.db.url, mail.path())
    );
    let vote = |server: &ServerProcess, token: &str| {
        let request = app
            .client
            .post(format!("{}/api/v1/changes/{}/votes", server.address, change["id"]))
            .bearer_auth(token)
            .json(&json!({ "decision": "approve" }));
        async move { request.send().await.expect("vote").status() }
    };
    // A manager's approval first; then two members race for the second on two processes.
    assert_eq!(vote(&one, &manager.token).await, StatusCode::OK, "tokens are valid on every instance");
    let (a, b) = tokio::join!(vote(&one, &members[0].token), vote(&two, &members[1].token));
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);

    let current = app.change(change).await;
    assert_eq!(current["state"], "scheduled");
    let decides = app.event_actions(change).await.into_iter().filter(|a| a == "decide").count();
    assert_eq!(decides, 1);
    let approved = app.recipients(change, "approved").await.len();
    assert_eq!(approved, 2, "one approval notice each for requester and implementer");
}
