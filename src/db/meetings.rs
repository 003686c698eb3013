//! CAB meetings.

use super::changes::{to_naive, to_utc};
use super::schema::cab_meetings;
use super::DbConn;
use crate::domain::meeting::{Meeting, MeetingKind, MeetingState};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

type Row = (i32, String, String, String, NaiveDateTime, NaiveDateTime, Option<String>, NaiveDateTime);

const COLUMNS: (
    cab_meetings::id,
    cab_meetings::kind,
    cab_meetings::state,
    cab_meetings::title,
    cab_meetings::starts_at,
    cab_meetings::cutoff_at,
    cab_meetings::cancel_reason,
    cab_meetings::created_at,
) = (
    cab_meetings::id,
    cab_meetings::kind,
    cab_meetings::state,
    cab_meetings::title,
    cab_meetings::starts_at,
    cab_meetings::cutoff_at,
    cab_meetings::cancel_reason,
    cab_meetings::created_at,
);

fn meeting(row: Row) -> QueryResult<Meeting> {
    let (id, kind, state, title, starts_at, cutoff_at, cancel_reason, created_at) = row;
    let parse =
        |e: crate::domain::text_enum::UnknownValue| diesel::result::Error::DeserializationError(Box::new(e));
    Ok(Meeting {
        id,
        kind: kind.parse().map_err(parse)?,
        state: state.parse().map_err(parse)?,
        title,
        starts_at: to_utc(starts_at),
        cutoff_at: to_utc(cutoff_at),
        cancel_reason,
        created_at: to_utc(created_at),
    })
}

pub struct NewMeeting<'a> {
    pub kind: MeetingKind,
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub cutoff_at: DateTime<Utc>,
    pub created_by: Option<i32>,
}

pub fn insert(conn: &mut DbConn, new: &NewMeeting<'_>, now: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(cab_meetings::table)
        .values((
            cab_meetings::kind.eq(new.kind.as_str()),
            cab_meetings::state.eq(MeetingState::Planned.as_str()),
            cab_meetings::title.eq(new.title),
            cab_meetings::starts_at.eq(to_naive(new.starts_at)),
            cab_meetings::cutoff_at.eq(to_naive(new.cutoff_at)),
            cab_meetings::created_by.eq(new.created_by),
            cab_meetings::created_at.eq(to_naive(now)),
        ))
        .returning(cab_meetings::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Meeting>> {
    cab_meetings::table.find(id).select(COLUMNS).first::<Row>(conn).optional()?.map(meeting).transpose()
}

/// Meetings starting in `[from, to)`, earliest first, at most `limit`.
pub fn between(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Meeting>> {
    let rows: Vec<Row> = cab_meetings::table
        .filter(cab_meetings::starts_at.ge(to_naive(from)))
        .filter(cab_meetings::starts_at.lt(to_naive(to)))
        .order((cab_meetings::starts_at.asc(), cab_meetings::id.asc()))
        .limit(limit)
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter().map(meeting).collect()
}

/// The last meeting held or planned (not cancelled) before `at`.
pub fn previous(conn: &mut DbConn, at: DateTime<Utc>) -> QueryResult<Option<Meeting>> {
    cab_meetings::table
        .filter(cab_meetings::starts_at.lt(to_naive(at)))
        .filter(cab_meetings::state.ne(MeetingState::Cancelled.as_str()))
        .order(cab_meetings::starts_at.desc())
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(meeting)
        .transpose()
}

/// Cancels a planned meeting; false if it was not planned.
pub fn cancel(conn: &mut DbConn, id: i32, reason: &str) -> QueryResult<bool> {
    let updated = diesel::update(
        cab_meetings::table.find(id).filter(cab_meetings::state.eq(MeetingState::Planned.as_str())),
    )
    .set((cab_meetings::state.eq(MeetingState::Cancelled.as_str()), cab_meetings::cancel_reason.eq(reason)))
    .execute(conn)?;
    Ok(updated == 1)
}
