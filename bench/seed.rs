//! Bulk seeding for the benchmarks (`api.rs`, `load.rs`): CIs, changes spread over the
//! days from 1 January 2024, one CI each, sixty implementers in turn, and a hash-chained
//! audit trail, written with plain multi-row INSERTs (the services would take hours at
//! this size).

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use endring::domain::audit::EventContent;
use endring::domain::role::Role;
use endring::services::{self, Ctx};

/// How densely the seeded changes lie: per day, and per CI.
pub const CHANGES_PER_DAY: i64 = 70;
pub const CHANGES_PER_CI: i64 = 50;
pub const STATES: [&str; 9] =
    ["draft", "assess", "authorize", "scheduled", "implement", "review", "closed", "rejected", "cancelled"];

#[derive(Clone, Copy)]
pub struct Scale {
    pub changes: i64,
    pub events: i64,
}

/// People who implement the seeded changes, in turn (users 2 to 61: a municipality's IT
/// department; one implementer for everything would make every window clash).
pub const IMPLEMENTERS: i64 = 60;

/// The password of the seeded change manager `bench@example.no` (user 1, the requester of
/// every seeded change).
pub const PASSWORD: &str = "bench-password-123";

/// Bulk-loads the tables with plain multi-row INSERTs (the services would take hours at
/// this size) and returns a bearer token of a change manager.
/// Change `i` (from 0) is in state `state_of(i)`.
pub fn seed(ctx: &Ctx, scale: Scale, state_of: impl Fn(i64) -> &'static str) -> anyhow::Result<String> {
    let password = PASSWORD.to_owned();
    let roles = [Role::ChangeManager, Role::Admin].into_iter().collect();
    let user = services::users::NewUser {
        email: "bench@example.no".into(),
        name: "Bench".into(),
        roles,
        password: password.clone(),
    };
    services::users::add(ctx, None, user).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = ctx.db.conn()?;
    let cis = (scale.changes / CHANGES_PER_CI).max(1);
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap().naive_utc();
    let at = |t: NaiveDateTime| t.format("'%Y-%m-%d %H:%M:%S'").to_string();
    conn.batch_execute("BEGIN")?;
    // The implementers are users 2 to IMPLEMENTERS + 1 (the bench user is 1).
    insert_rows(&mut conn, "users (email, name, password_hash, created_at)", IMPLEMENTERS, |i| {
        format!("('implementer{i}@example.no', 'Implementer {i}', '!', {})", at(start))
    })?;
    insert_rows(&mut conn, "user_roles (user_id, role)", IMPLEMENTERS, |i| {
        format!("({}, 'implementer')", i + 2)
    })?;
    insert_rows(&mut conn, "cis (name, kind, criticality, owner_email)", cis, |i| {
        format!("('CI {i}', 'application', {}, 'owner@example.no')", 1 + i % 4)
    })?;
    insert_rows(
        &mut conn,
        "changes (title, title_search, description, justification, change_type, state, requester_id, implementer_id, \
         planned_start, planned_end, implementation_plan, backout_plan, test_plan, risk_factors, version, created_at, updated_at)",
        scale.changes,
        |i| {
            let planned = start + Duration::minutes(i * 24 * 60 / CHANGES_PER_DAY);
            // One change in a thousand has a rare word in its description (not its title),
            // one in ten a word in a tenth of them.
            let title = format!("Routine change {i}");
            let rare = if i % 1000 == 7 { " The vendor calls it haystack-needle." } else { "" };
            let common = if i % 10 == 3 { " Patch Tuesday bundle." } else { "" };
            let description = format!("Maintenance of CI {} by the usual runbook.{rare}{common}", 1 + (i % cis));
            format!(
                "('{title}', '{}', '{description}', 'j', '{}', '{}', 1, {}, {}, {}, 'p', 'b', 't', '[]', 1, {}, {})",
                title.to_lowercase(),
                ["normal", "standard", "emergency"][(i % 10).min(2) as usize],
                state_of(i),
                2 + i % IMPLEMENTERS,
                at(planned),
                at(planned + Duration::hours(2)),
                at(planned),
                at(planned),
            )
        },
    )?;
    insert_rows(&mut conn, "change_cis (change_id, ci_id)", scale.changes, |i| {
        format!("({}, {})", i + 1, 1 + (i % cis))
    })?;
    let (last_seq, mut prev) = endring::db::audit::head(&mut conn)?;
    let first_seq = last_seq + 1;
    let per_change = (scale.events / scale.changes).max(1);
    let mut rows = Vec::with_capacity(1000);
    for n in 0..scale.events {
        let seq = first_seq + n;
        let change_id = (n / per_change) % scale.changes + 1;
        let created_at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(n);
        let content = EventContent {
            seq,
            change_id: Some(change_id as i32),
            actor_id: Some(1),
            action: "edit",
            from_state: Some("draft"),
            to_state: Some("draft"),
            payload: "{}",
            created_at,
        };
        let hash = content.hash(&prev);
        rows.push(format!(
            "({seq}, {change_id}, 1, 'edit', 'draft', 'draft', '{{}}', {}, '{prev}', '{hash}')",
            at(created_at.naive_utc())
        ));
        prev = hash;
        if rows.len() == 1000 || n + 1 == scale.events {
            conn.batch_execute(&format!(
                "INSERT INTO audit_events (seq, change_id, actor_id, action, from_state, to_state, payload, created_at, prev_hash, hash) VALUES {}",
                rows.join(",")
            ))?;
            rows.clear();
        }
    }
    conn.batch_execute(&format!(
        "UPDATE audit_head SET last_seq = {}, last_hash = '{prev}' WHERE id = 1; COMMIT;",
        first_seq + scale.events - 1
    ))?;
    // What autovacuum would have done by now in production (PostgreSQL); statistics (both).
    let maintenance = if matches!(*conn, endring::db::DbConn::Pg(_)) { "VACUUM ANALYZE" } else { "ANALYZE" };
    conn.batch_execute(maintenance)?;
    drop(conn);
    let issued = services::auth::issue_token(ctx, "bench@example.no", &password, "bench")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(issued.token)
}

pub fn insert_rows(
    conn: &mut endring::db::Conn,
    table: &str,
    count: i64,
    row: impl Fn(i64) -> String,
) -> anyhow::Result<()> {
    let mut done = 0;
    while done < count {
        let end = (done + 1000).min(count);
        let values: Vec<String> = (done..end).map(&row).collect();
        conn.batch_execute(&format!("INSERT INTO {table} VALUES {}", values.join(",")))?;
        done = end;
    }
    Ok(())
}
