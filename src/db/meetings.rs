//! CAB meetings.

use super::changes::{to_naive, to_utc};
use super::schema::{cab_meetings, meeting_attendees, meeting_decisions, meeting_stand_ins};
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

/// Opens a planned meeting with its attendees; false if it was not planned.
pub fn open(conn: &mut DbConn, id: i32, attendees: &[i32], now: DateTime<Utc>) -> QueryResult<bool> {
    let updated = diesel::update(
        cab_meetings::table.find(id).filter(cab_meetings::state.eq(MeetingState::Planned.as_str())),
    )
    .set((cab_meetings::state.eq(MeetingState::Open.as_str()), cab_meetings::opened_at.eq(to_naive(now))))
    .execute(conn)?;
    if updated != 1 {
        return Ok(false);
    }
    for user in attendees {
        diesel::insert_into(meeting_attendees::table)
            .values((meeting_attendees::meeting_id.eq(id), meeting_attendees::user_id.eq(user)))
            .execute(conn)?;
    }
    Ok(true)
}

/// Closes an open meeting; false if it was not open.
pub fn close(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<bool> {
    let updated = diesel::update(
        cab_meetings::table.find(id).filter(cab_meetings::state.eq(MeetingState::Open.as_str())),
    )
    .set((cab_meetings::state.eq(MeetingState::Closed.as_str()), cab_meetings::closed_at.eq(to_naive(now))))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn attendees(conn: &mut DbConn, id: i32) -> QueryResult<Vec<i32>> {
    meeting_attendees::table
        .filter(meeting_attendees::meeting_id.eq(id))
        .order(meeting_attendees::user_id.asc())
        .select(meeting_attendees::user_id)
        .load(conn)
}

/// A decision as recorded: `(change, outcome, comment, decided_by, decided_at)`.
pub type DecisionRow = (i32, String, String, i32, NaiveDateTime);

pub fn record_decision(
    conn: &mut DbConn,
    meeting: i32,
    change: i32,
    outcome: &str,
    comment: &str,
    by: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(meeting_decisions::table)
        .values((
            meeting_decisions::meeting_id.eq(meeting),
            meeting_decisions::change_id.eq(change),
            meeting_decisions::outcome.eq(outcome),
            meeting_decisions::comment.eq(comment),
            meeting_decisions::decided_by.eq(by),
            meeting_decisions::decided_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The decisions of a meeting, in the order they were taken.
pub fn decisions(conn: &mut DbConn, id: i32) -> QueryResult<Vec<DecisionRow>> {
    meeting_decisions::table
        .filter(meeting_decisions::meeting_id.eq(id))
        .order(meeting_decisions::id.asc())
        .select((
            meeting_decisions::change_id,
            meeting_decisions::outcome,
            meeting_decisions::comment,
            meeting_decisions::decided_by,
            meeting_decisions::decided_at,
        ))
        .load(conn)
}

/// Planned meetings whose cut-off has passed by `now`, not yet begun, whose agenda has not
/// been sent.
pub fn agenda_due(conn: &mut DbConn, now: DateTime<Utc>) -> QueryResult<Vec<Meeting>> {
    let now = to_naive(now);
    let rows: Vec<Row> = cab_meetings::table
        .filter(cab_meetings::agenda_sent_at.is_null())
        .filter(cab_meetings::cutoff_at.le(now))
        .filter(cab_meetings::starts_at.gt(now))
        .filter(cab_meetings::state.eq(MeetingState::Planned.as_str()))
        .order(cab_meetings::starts_at.asc())
        .limit(10)
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter().map(meeting).collect()
}

/// Marks the agenda of `id` sent; false when it already was (another instance sent it).
pub fn mark_agenda_sent(conn: &mut DbConn, id: i32, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(cab_meetings::table.find(id).filter(cab_meetings::agenda_sent_at.is_null()))
        .set(cab_meetings::agenda_sent_at.eq(to_naive(now)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Removes the regular meetings after `now` that are still only planned, whose agenda has
/// not gone out and whose start is not among `keep` (before the meetings are planned again
/// by new settings); returns how many. Nothing refers to such a meeting yet.
pub fn drop_unsent_regular(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    keep: &[DateTime<Utc>],
) -> QueryResult<usize> {
    let keep: Vec<NaiveDateTime> = keep.iter().map(|t| to_naive(*t)).collect();
    diesel::delete(
        cab_meetings::table
            .filter(cab_meetings::kind.eq(MeetingKind::Regular.as_str()))
            .filter(cab_meetings::state.eq(MeetingState::Planned.as_str()))
            .filter(cab_meetings::agenda_sent_at.is_null())
            .filter(cab_meetings::starts_at.gt(to_naive(now)))
            .filter(cab_meetings::starts_at.ne_all(keep)),
    )
    .execute(conn)
}

/// Records that `delegate` (attending) stands in for `member` (absent) in meeting `id`.
pub fn add_stand_in(conn: &mut DbConn, id: i32, member: i32, delegate: i32) -> QueryResult<()> {
    diesel::insert_into(meeting_stand_ins::table)
        .values((
            meeting_stand_ins::meeting_id.eq(id),
            meeting_stand_ins::member_id.eq(member),
            meeting_stand_ins::delegate_id.eq(delegate),
        ))
        .execute(conn)?;
    Ok(())
}

/// `(member, delegate)` of each stand-in recorded for meeting `id`.
pub fn stand_ins(conn: &mut DbConn, id: i32) -> QueryResult<Vec<(i32, i32)>> {
    meeting_stand_ins::table
        .filter(meeting_stand_ins::meeting_id.eq(id))
        .order(meeting_stand_ins::member_id.asc())
        .select((meeting_stand_ins::member_id, meeting_stand_ins::delegate_id))
        .load(conn)
}
