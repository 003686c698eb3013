//! The notice outbox: emails written in the same transaction as the event they announce.
//! Delivering them is the mail worker's job.

use super::changes::to_naive;
use super::schema::outbox;
use super::DbConn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

pub struct NewNotice<'a> {
    pub kind: &'a str,
    pub change_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub recipient_email: &'a str,
    pub payload: &'a str,
}

pub fn insert(conn: &mut DbConn, notice: &NewNotice<'_>, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(notice.kind),
            outbox::change_id.eq(notice.change_id),
            outbox::recipient_id.eq(notice.recipient_id),
            outbox::recipient_email.eq(notice.recipient_email),
            outbox::payload.eq(notice.payload),
            outbox::next_attempt_at.eq(to_naive(now)),
            outbox::created_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// `(kind, recipient_email)` of the notices about a change, oldest first.
pub fn of_change(conn: &mut DbConn, change_id: i32) -> QueryResult<Vec<(String, String)>> {
    outbox::table
        .filter(outbox::change_id.eq(change_id))
        .order(outbox::id.asc())
        .select((outbox::kind, outbox::recipient_email))
        .load(conn)
}
