//! Work notes on changes.

use super::changes::{to_naive, to_utc};
use super::schema::{notes, users};
use super::DbConn;
use crate::domain::ids::{ChangeId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A note as stored, with its author's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i32,
    pub author_id: UserId,
    pub author: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

pub fn insert(
    conn: &mut DbConn,
    change: ChangeId,
    author: UserId,
    body: &str,
    at: DateTime<Utc>,
) -> QueryResult<i32> {
    diesel::insert_into(notes::table)
        .values((
            notes::change_id.eq(change.0),
            notes::author_id.eq(author.0),
            notes::body.eq(body),
            notes::created_at.eq(to_naive(at)),
        ))
        .returning(notes::id)
        .get_result(conn)
}

/// The newest `limit` notes on `change`, oldest first (by the `(change_id, id)` index).
pub fn of_change(conn: &mut DbConn, change: ChangeId, limit: i64) -> QueryResult<Vec<Note>> {
    let mut rows: Vec<(i32, i32, String, String, NaiveDateTime)> = notes::table
        .inner_join(users::table)
        .filter(notes::change_id.eq(change.0))
        .order(notes::id.desc())
        .limit(limit)
        .select((notes::id, notes::author_id, users::name, notes::body, notes::created_at))
        .load(conn)?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|(id, author_id, author, body, at)| Note {
            id,
            author_id: UserId(author_id),
            author,
            body,
            at: to_utc(at),
        })
        .collect())
}
