//! Which reminders have been queued, so each is queued once.

use super::changes::to_naive;
use super::schema::reminders;
use super::DbConn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Records `key`; false if it was recorded before. Run inside `Db::write`.
pub fn first_time(conn: &mut DbConn, key: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let seen: bool = diesel::select(diesel::dsl::exists(reminders::table.find(key))).get_result(conn)?;
    if !seen {
        diesel::insert_into(reminders::table)
            .values((reminders::key.eq(key), reminders::created_at.eq(to_naive(now))))
            .execute(conn)?;
    }
    Ok(!seen)
}
