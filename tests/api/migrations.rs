//! Migrations go up, down and up again on both backends.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(migrations_go_up_down_and_up_again);

async fn migrations_go_up_down_and_up_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ctx = app.ctx.clone();
    let (reverted, applied) = actix_web::rt::task::spawn_blocking(move || {
        let reverted = ctx.db.revert_all().expect("down");
        let applied = ctx.db.migrate().expect("up again");
        (reverted, applied)
    })
    .await
    .unwrap();
    let folder = match app.db.url.starts_with("sqlite") {
        true => "migrations/sqlite",
        false => "migrations/postgres",
    };
    let on_disk =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + folder).unwrap().count();
    assert_eq!(reverted, on_disk, "every migration folder is embedded in the binary");
    assert_eq!(reverted, applied);
    // The schema works again from scratch: users are gone, and a new one can be made.
    let user = app.user("after", &[endring::domain::role::Role::Admin]).await;
    assert!(user.id >= 1);
    let me = app.get("/api/v1/me", &user).await;
    assert_eq!(me["email"], user.email);
}
