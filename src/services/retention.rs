//! Forgetting what is no longer needed: notices sent, webhook deliveries ended, vote links, API tokens, web
//! sessions and password reset links expired more than `retention_days` ago, and reminders queued that long ago about a change that
//! has moved on (while it has not, its reminder is kept, so it is never sent twice). The
//! audit trail keeps the record of every event; these are working rows. What to delete is
//! found outside the write lock and deleted in batches, each a short write of its own.

use super::{Ctx, ServiceResult};
use crate::db::{outbox, password_resets, reminders, sessions, users, vote_tokens, webhooks, DbConn};
use chrono::{DateTime, Duration, Utc};

/// Rows one batch deletes.
const BATCH: i64 = 1000;

/// How many rows of each kind a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub notices: usize,
    pub vote_links: usize,
    pub reminders: usize,
    pub api_tokens: usize,
    pub sessions: usize,
    pub reset_links: usize,
    pub webhook_deliveries: usize,
}

/// Deletes the working rows older than the retention period.
pub fn purge(ctx: &Ctx) -> ServiceResult<Purged> {
    let before = ctx.clock.now() - Duration::days(ctx.config.retention_days);
    Ok(Purged {
        notices: in_batches(ctx, before, outbox::sent_before, outbox::delete)?,
        vote_links: in_batches(ctx, before, vote_tokens::expired_before, vote_tokens::delete)?,
        reminders: in_batches(ctx, before, reminders::purgeable, reminders::delete)?,
        api_tokens: in_batches(ctx, before, users::tokens_expired_before, users::delete_tokens)?,
        sessions: in_batches(ctx, before, sessions::expired_before, sessions::delete_ids)?,
        reset_links: in_batches(ctx, before, password_resets::expired_before, password_resets::delete_ids)?,
        webhook_deliveries: in_batches(ctx, before, webhooks::ended_before, webhooks::delete_deliveries)?,
    })
}

type Find = fn(&mut DbConn, DateTime<Utc>, i64) -> diesel::QueryResult<Vec<i32>>;
type Delete = fn(&mut DbConn, &[i32]) -> diesel::QueryResult<usize>;

/// Finds a batch outside the write lock and deletes it in a short write of its own, until
/// a batch comes back short; nothing to delete, no write.
fn in_batches(ctx: &Ctx, before: DateTime<Utc>, find: Find, delete: Delete) -> ServiceResult<usize> {
    let mut total = 0;
    loop {
        let ids = ctx.db.query(|conn| find(conn, before, BATCH))?;
        if !ids.is_empty() {
            total += ctx.db.write(|conn| -> ServiceResult<usize> { Ok(delete(conn, &ids)?) })?;
        }
        if ids.len() < BATCH as usize {
            return Ok(total);
        }
    }
}
