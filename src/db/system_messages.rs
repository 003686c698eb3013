//! System messages and their updates.

use super::changes::{parse_text, to_naive, to_utc};
use super::schema::{system_message_updates, system_messages, users};
use super::within::any_of;
use super::DbConn;
use crate::domain::ids::{ChangeId, UserId};
use crate::domain::system_message::MessageStatus;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::BTreeMap;

thread_local! {
    /// Whether this thread's write wrote system messages (`Db` counts it when the write
    /// ends: `Db::message_writes`).
    static WRITTEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread wrote system messages since it was last asked.
pub(super) fn take_written() -> bool {
    WRITTEN.with(|written| written.replace(false))
}

fn written() {
    WRITTEN.with(|written| written.set(true));
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i32,
    /// The change it tells about; `None` for a disruption.
    pub change_id: Option<ChangeId>,
    pub status: MessageStatus,
    pub title_nb: String,
    pub body_nb: String,
    pub title_en: Option<String>,
    pub body_en: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// When employees could first see it; `None` while it is a draft.
    pub published_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who wrote it; `None` when it was made from its change.
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Queryable, Selectable, AsChangeset)]
#[diesel(table_name = system_messages, treat_none_as_null = true)]
struct Row {
    id: i32,
    change_id: Option<i32>,
    status: String,
    title_nb: String,
    body_nb: String,
    title_en: Option<String>,
    body_en: Option<String>,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    published_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    created_by: Option<i32>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl Row {
    fn from(m: &Message) -> Row {
        Row {
            id: m.id,
            change_id: m.change_id.map(|c| c.0),
            status: m.status.as_str().to_owned(),
            title_nb: m.title_nb.clone(),
            body_nb: m.body_nb.clone(),
            title_en: m.title_en.clone(),
            body_en: m.body_en.clone(),
            starts_at: m.starts_at.map(to_naive),
            ends_at: m.ends_at.map(to_naive),
            published_at: m.published_at.map(to_naive),
            closed_at: m.closed_at.map(to_naive),
            created_by: m.created_by.map(|u| u.0),
            created_at: to_naive(m.created_at),
            updated_at: to_naive(m.updated_at),
            version: m.version,
        }
    }

    fn into_message(self) -> QueryResult<Message> {
        Ok(Message {
            id: self.id,
            change_id: self.change_id.map(ChangeId),
            status: parse_text(&self.status)?,
            title_nb: self.title_nb,
            body_nb: self.body_nb,
            title_en: self.title_en,
            body_en: self.body_en,
            starts_at: self.starts_at.map(to_utc),
            ends_at: self.ends_at.map(to_utc),
            published_at: self.published_at.map(to_utc),
            closed_at: self.closed_at.map(to_utc),
            created_by: self.created_by.map(UserId),
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
            version: self.version,
        })
    }
}

fn messages(rows: Vec<Row>) -> QueryResult<Vec<Message>> {
    rows.into_iter().map(Row::into_message).collect()
}

/// Stores a new message (its `id` is ignored); the id it was given.
pub fn insert(conn: &mut DbConn, message: &Message) -> QueryResult<i32> {
    written();
    let row = Row::from(message);
    diesel::insert_into(system_messages::table)
        .values((
            system_messages::change_id.eq(row.change_id),
            system_messages::status.eq(&row.status),
            system_messages::title_nb.eq(&row.title_nb),
            system_messages::body_nb.eq(&row.body_nb),
            system_messages::title_en.eq(&row.title_en),
            system_messages::body_en.eq(&row.body_en),
            system_messages::starts_at.eq(row.starts_at),
            system_messages::ends_at.eq(row.ends_at),
            system_messages::published_at.eq(row.published_at),
            system_messages::closed_at.eq(row.closed_at),
            system_messages::created_by.eq(row.created_by),
            system_messages::created_at.eq(row.created_at),
            system_messages::updated_at.eq(row.updated_at),
            system_messages::version.eq(row.version),
        ))
        .returning(system_messages::id)
        .get_result(conn)
}

/// Saves `message`, whose `version` is one past the stored one; whether the stored one
/// was still that (else someone saved in between and nothing is written).
pub fn save(conn: &mut DbConn, message: &Message) -> QueryResult<bool> {
    written();
    let updated = diesel::update(
        system_messages::table
            .filter(system_messages::id.eq(message.id))
            .filter(system_messages::version.eq(message.version - 1)),
    )
    .set(Row::from(message))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Message>> {
    system_messages::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_message)
        .transpose()
}

/// The message of `change`, if it has one.
pub fn of_change(conn: &mut DbConn, change: ChangeId) -> QueryResult<Option<Message>> {
    system_messages::table
        .filter(system_messages::change_id.eq(change.0))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_message)
        .transpose()
}

/// Published messages still open, by when they start, and those closed since `since`,
/// the latest first (by the `closed_at` index: what is shown, never the whole history).
/// At most `limit` of each.
pub fn shown(conn: &mut DbConn, since: DateTime<Utc>, limit: i64) -> QueryResult<Vec<Message>> {
    let mut rows = system_messages::table
        .filter(system_messages::closed_at.is_null())
        .filter(system_messages::published_at.is_not_null())
        .order((system_messages::starts_at.asc(), system_messages::id.asc()))
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    rows.extend(
        system_messages::table
            .filter(system_messages::closed_at.ge(to_naive(since)))
            .filter(system_messages::published_at.is_not_null())
            .order((system_messages::closed_at.desc(), system_messages::id.desc()))
            .limit(limit)
            .select(Row::as_select())
            .load(conn)?,
    );
    messages(rows)
}

/// What the shown messages look like now, without reading them: the last time one of
/// them changed, how many there are, the sum of their versions (every save raises one,
/// whatever the clocks of several instances say), and how many planned ones have reached
/// their start (which moves them from "coming" to "now"). Equal stamps, equal pages.
pub fn shown_stamp(
    conn: &mut DbConn,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<(Option<NaiveDateTime>, i64, Option<i64>, i64)> {
    use diesel::dsl::{count_star, max, sum};
    let shown = || {
        system_messages::table
            .filter(system_messages::closed_at.is_null().or(system_messages::closed_at.ge(to_naive(since))))
            .filter(system_messages::published_at.is_not_null())
    };
    let (last, count, versions): (Option<NaiveDateTime>, i64, Option<i64>) = shown()
        .select((max(system_messages::updated_at), count_star(), sum(system_messages::version)))
        .first(conn)?;
    let begun: i64 = shown()
        .filter(system_messages::status.eq(MessageStatus::Planned.as_str()))
        .filter(system_messages::starts_at.le(to_naive(now)))
        .count()
        .get_result(conn)?;
    Ok((last, count, versions, begun))
}

/// Messages not yet over, drafts too, by when they start. At most `limit`.
pub fn open(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Message>> {
    let rows = system_messages::table
        .filter(system_messages::closed_at.is_null())
        .order((system_messages::starts_at.asc(), system_messages::id.asc()))
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    messages(rows)
}

/// An update as stored, with its author's name (`None`: it followed the change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub message_id: i32,
    pub status: MessageStatus,
    pub text_nb: String,
    pub text_en: Option<String>,
    pub author: Option<String>,
    pub at: DateTime<Utc>,
}

pub fn add_update(
    conn: &mut DbConn,
    message_id: i32,
    (status, text_nb, text_en): (MessageStatus, &str, Option<&str>),
    author: Option<UserId>,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    written();
    diesel::insert_into(system_message_updates::table)
        .values((
            system_message_updates::message_id.eq(message_id),
            system_message_updates::status.eq(status.as_str()),
            system_message_updates::text_nb.eq(text_nb),
            system_message_updates::text_en.eq(text_en),
            system_message_updates::author_id.eq(author.map(|a| a.0)),
            system_message_updates::created_at.eq(to_naive(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The updates of each of `ids`, oldest first, in one query.
pub fn updates_of(conn: &mut DbConn, ids: &[i32]) -> QueryResult<BTreeMap<i32, Vec<Update>>> {
    type Raw = (i32, String, String, Option<String>, Option<String>, NaiveDateTime);
    let rows: Vec<Raw> = system_message_updates::table
        .left_join(users::table.on(users::id.nullable().eq(system_message_updates::author_id)))
        .filter(any_of(system_message_updates::message_id, ids.iter().copied()))
        .order((system_message_updates::message_id.asc(), system_message_updates::id.asc()))
        .select((
            system_message_updates::message_id,
            system_message_updates::status,
            system_message_updates::text_nb,
            system_message_updates::text_en,
            users::name.nullable(),
            system_message_updates::created_at,
        ))
        .load(conn)?;
    let mut map: BTreeMap<i32, Vec<Update>> = BTreeMap::new();
    for (message_id, status, text_nb, text_en, author, at) in rows {
        map.entry(message_id).or_default().push(Update {
            message_id,
            status: parse_text(&status)?,
            text_nb,
            text_en,
            author,
            at: to_utc(at),
        });
    }
    Ok(map)
}
