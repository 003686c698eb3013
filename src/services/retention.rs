//! Forgetting what is no longer needed: notices sent, vote links expired, reminders queued
//! and API tokens expired more than `retention_days` ago. The audit trail keeps the record
//! of every event; these are working rows. Deleted in small batches, each its own short
//! write, so the purge never holds the write lock for long.

use super::{Ctx, ServiceResult};
use crate::db::{outbox, reminders, users, vote_tokens, DbConn};
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
}

/// Deletes the working rows older than the retention period.
pub fn purge(ctx: &Ctx) -> ServiceResult<Purged> {
    let before = ctx.clock.now() - Duration::days(ctx.config.retention_days);
    Ok(Purged {
        notices: in_batches(ctx, before, outbox::purge_sent)?,
        vote_links: in_batches(ctx, before, vote_tokens::purge_expired)?,
        reminders: in_batches(ctx, before, reminders::purge)?,
        api_tokens: in_batches(ctx, before, users::purge_expired_tokens)?,
    })
}

fn in_batches(
    ctx: &Ctx,
    before: DateTime<Utc>,
    delete: fn(&mut DbConn, DateTime<Utc>, i64) -> diesel::QueryResult<usize>,
) -> ServiceResult<usize> {
    let mut total = 0;
    loop {
        let deleted = ctx.db.write(|conn| -> ServiceResult<usize> { Ok(delete(conn, before, BATCH)?) })?;
        total += deleted;
        if deleted < BATCH as usize {
            return Ok(total);
        }
    }
}
