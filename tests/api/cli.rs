//! The command line, run as the built binary against a fresh database.

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

on_both_backends!(
    the_command_line_migrates_adds_users_lists_roles_and_verifies,
    serve_on_an_empty_database_prints_the_first_admin,
    audit_verify_exits_non_zero_on_a_broken_chain,
);

#[test]
fn serve_on_postgresql_refuses_to_start_without_a_shared_session_key() {
    // Nothing listens on port 1: the refusal comes before any connection is tried.
    let output = Command::new(env!("CARGO_BIN_EXE_endring"))
        .args(["serve"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env_remove("ENDRING_SESSION_KEY")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run endring");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(err.contains("ENDRING_SESSION_KEY") && !err.contains("cannot connect"), "{err}");
}

/// Four commands started together on a new SQLite file (the crash script adds its users
/// so) all succeed: the first turns the file to WAL while the others wait for it, and
/// migrating takes turns. Twenty rounds; before the wait, about one round in twenty had a
/// command fail with "database is locked".
#[test]
fn commands_started_together_on_a_new_sqlite_file_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let url = format!("sqlite://{}", dir.path().join(format!("new-{round}.db")).display());
        let children: Vec<_> = (0..4)
            .map(|n| {
                Command::new(env!("CARGO_BIN_EXE_endring"))
                    .args(["user", "add", "--email", &format!("u{n}@test.endring.no"), "--name", "U"])
                    .args(["--role", "cab_member", "--password=correct horse battery staple"])
                    .env("DATABASE_URL", &url)
                    .env("RUST_LOG", "warn")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run endring")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "round {round}: {err}");
        }
    }
}

fn endring(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_endring"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run endring");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn the_command_line_migrates_adds_users_lists_roles_and_verifies(backend: Backend) {
    let db = TestDb::create(&backend);
    let (ok, out, err) = endring(&db, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));
    let add = [
        "user",
        "add",
        "--email",
        "Kari@Example.no",
        "--name",
        "Kari",
        "--role",
        "cab_member",
        "--role",
        "change_manager",
    ];
    let (ok, out, err) = endring(&db, &add);
    assert!(ok, "{err}");
    assert!(out.contains("password: "), "a generated password is printed when none is given: {out}");
    let (ok, _, err) = endring(&db, &add);
    assert!(!ok && err.contains("exists already"), "{err}");
    let (ok, _, err) =
        endring(&db, &["user", "add", "--email", "x@example.no", "--name", "X", "--role", "boss"]);
    assert!(!ok && err.contains("change_manager"), "an unknown role names the known ones: {err}");
    let (ok, _, err) =
        endring(&db, &["user", "add", "--email", "y@example.no", "--name", "Y", "--password", "short"]);
    assert!(!ok && err.contains("password: must be at least 12 characters"), "{err}");
    let (ok, out, _) = endring(&db, &["user", "roles"]);
    assert!(ok);
    let line =
        out.lines().find(|l| l.starts_with("kari@example.no")).expect("kari listed, email lower-cased");
    assert!(line.ends_with("requester, cab_member, change_manager"), "{line}");
    let (ok, out, err) = endring(&db, &["user", "roles", "--email", "kari@example.no", "--role", "manager"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "kari@example.no now holds: requester, manager");
    let (ok, _, err) = endring(&db, &["user", "roles", "--email", "nobody@example.no", "--role", "admin"]);
    assert!(!ok && err.contains("there is no user nobody@example.no"), "{err}");
    let (ok, out, err) = endring(&db, &["audit", "verify"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("OK: 2 audit events"), "{out}");
}

async fn serve_on_an_empty_database_prints_the_first_admin(backend: Backend) {
    let db = TestDb::create(&backend);
    let mail = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_endring"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db.url)
        .env("ENDRING_MAIL_DIR", mail.path())
        .env("ENDRING_SESSION_KEY", crate::processes::SHARED_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("listens on");
        printed.push(line);
        if done {
            break;
        }
    }
    let password = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .map(str::trim)
        .expect("password printed")
        .to_owned();
    let token = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .json(&serde_json::json!({ "email": "admin@localhost.localdomain", "password": password }))
        .send()
        .await
        .unwrap();
    let status = token.status();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "the printed password signs the admin in: {printed:?}");
}

async fn audit_verify_exits_non_zero_on_a_broken_chain(backend: Backend) {
    let db = TestDb::create(&backend);
    for login in ["kari", "olav", "rita"] {
        let email = format!("{login}@example.no");
        let (ok, _, err) = endring(&db, &["user", "add", "--email", &email, "--name", login]);
        assert!(ok, "{err}");
    }
    let (ok, out, err) = endring(&db, &["audit", "verify"]);
    assert!(ok && out.starts_with("OK: 3 audit events"), "{out}{err}");

    // The database itself refuses to change or remove an event.
    let refused = db.try_execute("UPDATE audit_events SET payload = '{}' WHERE seq = 2").unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");
    let refused = db.try_execute("DELETE FROM audit_events WHERE seq = 2").unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");

    // Rewritten past the application by someone who drops the triggers: olav's event
    // says mallory.
    db.allow_audit_tampering();
    let altered = db.execute(
        "UPDATE audit_events SET payload = replace(payload, 'olav@example.no', 'mallory@example.no') WHERE seq = 2",
    );
    assert_eq!(altered, 1);
    let (ok, out, err) = endring(&db, &["audit", "verify"]);
    assert!(!ok, "a broken chain must fail the command: {out}");
    assert!(!out.contains("OK"), "{out}");
    assert!(err.contains("BROKEN after 1 good events: event 2 was altered after it was written"), "{err}");

    // Put back, the chain verifies again; a removed event breaks it the same way.
    db.execute("UPDATE audit_events SET payload = replace(payload, 'mallory@example.no', 'olav@example.no') WHERE seq = 2");
    assert!(endring(&db, &["audit", "verify"]).0, "the original content verifies");
    db.execute("DELETE FROM audit_events WHERE seq = 2");
    let (ok, _, err) = endring(&db, &["audit", "verify"]);
    assert!(!ok && err.contains("event 2 is missing (the next event is 3)"), "{err}");
}
