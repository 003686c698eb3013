//! The notice outbox: emails written in the same transaction as the event they announce,
//! claimed and marked by the mail worker.

use super::changes::{to_naive, to_utc};
use super::schema::{outbox, users};
use super::DbConn;
use crate::domain::ids::UserId;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

pub struct NewNotice<'a> {
    pub kind: &'a str,
    pub change_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub recipient_email: &'a str,
    pub payload: &'a str,
}

pub fn insert(conn: &mut DbConn, notice: &NewNotice<'_>, now: DateTime<Utc>) -> QueryResult<()> {
    insert_many(conn, std::slice::from_ref(notice), now)
}

/// Rows one insert statement carries (7 parameters each, well inside SQLite's limit).
const INSERT_BATCH: usize = 1000;

/// Inserts `notices` in as few statements as the batch size allows.
pub fn insert_many(conn: &mut DbConn, notices: &[NewNotice<'_>], now: DateTime<Utc>) -> QueryResult<()> {
    let at = to_naive(now);
    for batch in notices.chunks(INSERT_BATCH) {
        let rows: Vec<_> = batch
            .iter()
            .map(|notice| {
                (
                    outbox::kind.eq(notice.kind),
                    outbox::change_id.eq(notice.change_id),
                    outbox::recipient_id.eq(notice.recipient_id),
                    outbox::recipient_email.eq(notice.recipient_email),
                    outbox::payload.eq(notice.payload),
                    outbox::next_attempt_at.eq(at),
                    outbox::created_at.eq(at),
                )
            })
            .collect();
        super::insert_rows!(conn, outbox::table, rows)?;
    }
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

/// Whether any notice is due at `now` (pending and its time come, or its claim's lease
/// run out): one look at the status index, so an idle worker writes nothing.
pub fn any_due(conn: &mut DbConn, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        outbox::table
            .filter(outbox::status.eq_any(["pending", "sending"]))
            .filter(outbox::next_attempt_at.le(to_naive(now))),
    ))
    .get_result(conn)
}

/// A notice claimed for delivery, with what its recipient reads in.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i32,
    pub change_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub kind: String,
    pub recipient_email: String,
    pub payload: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub language: Option<String>,
    pub timezone: Option<String>,
}

/// Claims up to `limit` due notices: pending ones whose time has come, and ones another
/// worker claimed but did not finish within its lease. Each is marked `sending` until
/// `lease_until`. Run inside `Db::write`, which serialises claimers on every backend.
pub fn claim_due(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    type Row = (
        i32,
        Option<i32>,
        Option<i32>,
        String,
        String,
        String,
        i32,
        NaiveDateTime,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = outbox::table
        .left_join(users::table.on(users::id.nullable().eq(outbox::recipient_id)))
        .filter(outbox::status.eq_any(["pending", "sending"]))
        .filter(outbox::next_attempt_at.le(to_naive(now)))
        .order(outbox::next_attempt_at.asc())
        .limit(limit)
        .select((
            outbox::id,
            outbox::change_id,
            outbox::recipient_id,
            outbox::kind,
            outbox::recipient_email,
            outbox::payload,
            outbox::attempts,
            outbox::created_at,
            users::language.nullable(),
            users::timezone.nullable(),
        ))
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.0).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((
            outbox::status.eq("sending"),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::next_attempt_at.eq(to_naive(lease_until)),
        ))
        .execute(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                change_id,
                recipient_id,
                kind,
                recipient_email,
                payload,
                attempts,
                created_at,
                language,
                timezone,
            )| Claimed {
                id,
                change_id,
                recipient_id,
                kind,
                recipient_email,
                payload,
                attempts: attempts + 1,
                created_at: to_utc(created_at),
                language,
                timezone,
            },
        )
        .collect())
}

/// The row as this worker claimed it: still `sending`, with the attempt it counted. A
/// worker whose lease ran out finds nothing to update, so it cannot undo another's result.
type ClaimedRow = diesel::dsl::Filter<
    diesel::dsl::Filter<diesel::dsl::Find<outbox::table, i32>, diesel::dsl::Eq<outbox::status, &'static str>>,
    diesel::dsl::Eq<outbox::attempts, i32>,
>;

fn claimed_by(id: i32, attempts: i32) -> ClaimedRow {
    outbox::table.find(id).filter(outbox::status.eq("sending")).filter(outbox::attempts.eq(attempts))
}

/// The newest notice's id (0 for none).
pub fn last_id(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(outbox::table.select(diesel::dsl::max(outbox::id)).first::<Option<i32>>(conn)?.unwrap_or(0))
}

/// Marks the pending notices after `after` done without sending them (the demo's: made
/// data, not news for anyone); returns how many.
pub fn settle_unsent_after(conn: &mut DbConn, after: i32, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::id.gt(after)).filter(outbox::status.eq("pending")))
        .set((
            outbox::status.eq("sent"),
            outbox::sent_at.eq(to_naive(now)),
            outbox::last_error.eq(Some("demo data: not sent")),
        ))
        .execute(conn)
}

pub fn mark_sent(conn: &mut DbConn, id: i32, attempts: i32, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(claimed_by(id, attempts))
        .set((
            outbox::status.eq("sent"),
            outbox::sent_at.eq(to_naive(now)),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// After a failed attempt: try again at `retry_at`, or give up (`None`).
pub fn mark_failed_attempt(
    conn: &mut DbConn,
    id: i32,
    attempts: i32,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    match retry_at {
        Some(at) => diesel::update(claimed_by(id, attempts))
            .set((
                outbox::status.eq("pending"),
                outbox::next_attempt_at.eq(to_naive(at)),
                outbox::last_error.eq(error),
            ))
            .execute(conn)?,
        None => diesel::update(claimed_by(id, attempts))
            .set((outbox::status.eq("failed"), outbox::last_error.eq(error)))
            .execute(conn)?,
    };
    Ok(())
}

/// Notices waiting (pending or being sent) and failed: two counts on the status index.
pub fn backlog(conn: &mut DbConn) -> QueryResult<(i64, i64)> {
    let waiting =
        outbox::table.filter(outbox::status.eq_any(["pending", "sending"])).count().get_result(conn)?;
    let failed = outbox::table.filter(outbox::status.eq("failed")).count().get_result(conn)?;
    Ok((waiting, failed))
}

/// `(status, count)` of all notices, for tests and the admin page.
pub fn counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    outbox::table.group_by(outbox::status).select((outbox::status, diesel::dsl::count_star())).load(conn)
}

/// A notice that could not be delivered, as stored.
#[derive(Debug, Clone)]
pub struct Failed {
    pub id: i32,
    pub kind: String,
    pub recipient_email: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Failed notices, newest first, at most `limit`.
pub fn failed(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Failed>> {
    let rows: Vec<(i32, String, String, i32, Option<String>, NaiveDateTime)> = outbox::table
        .filter(outbox::status.eq("failed"))
        .order(outbox::id.desc())
        .limit(limit)
        .select((
            outbox::id,
            outbox::kind,
            outbox::recipient_email,
            outbox::attempts,
            outbox::last_error,
            outbox::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, recipient_email, attempts, last_error, created_at)| Failed {
            id,
            kind,
            recipient_email,
            attempts,
            last_error,
            created_at: to_utc(created_at),
        })
        .collect())
}

/// Puts a failed notice back in the queue with fresh attempts; false if it was not failed.
pub fn retry(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<bool> {
    let updated = diesel::update(outbox::table.find(id).filter(outbox::status.eq("failed")))
        .set((
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

pub fn exists(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(outbox::table.find(id))).get_result(conn)
}

/// Up to `limit` notices sent before `before`.
pub fn sent_before(conn: &mut DbConn, before: DateTime<Utc>, limit: i64) -> QueryResult<Vec<i32>> {
    outbox::table.filter(outbox::sent_at.lt(to_naive(before))).select(outbox::id).limit(limit).load(conn)
}

/// Deletes the notices `ids`; returns how many.
pub fn delete(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::id.eq_any(ids))).execute(conn)
}

/// Drops the notices not sent to `user`, failed ones too (deactivated: they get no more,
/// and a retry must not send one); how many.
pub fn drop_pending_for(conn: &mut DbConn, user: UserId) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::status.ne("sent")).filter(outbox::recipient_id.eq(user.0)))
        .execute(conn)
}
