//! Files attached to changes: their facts in `attachments` (listed with the change), their
//! bytes in `attachment_contents` (read only to download one).

use super::changes::{to_naive, to_utc};
use super::schema::{attachment_contents, attachments, users};
use super::DbConn;
use crate::domain::ids::{ChangeId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// An attachment as stored, with its uploader's name (not its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i32,
    pub change_id: ChangeId,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploader: String,
    pub at: DateTime<Utc>,
}

/// What an upload stores.
pub struct NewAttachment<'a> {
    pub change: ChangeId,
    pub uploader: UserId,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub at: DateTime<Utc>,
}

pub fn insert(conn: &mut DbConn, new: &NewAttachment) -> QueryResult<i32> {
    let id = diesel::insert_into(attachments::table)
        .values((
            attachments::change_id.eq(new.change.0),
            attachments::uploader_id.eq(new.uploader.0),
            attachments::file_name.eq(new.file_name),
            attachments::content_type.eq(new.content_type),
            attachments::size_bytes.eq(new.content.len() as i64),
            attachments::sha256.eq(new.sha256),
            attachments::created_at.eq(to_naive(new.at)),
        ))
        .returning(attachments::id)
        .get_result(conn)?;
    diesel::insert_into(attachment_contents::table)
        .values((attachment_contents::attachment_id.eq(id), attachment_contents::content.eq(new.content)))
        .execute(conn)?;
    Ok(id)
}

type Row = (i32, i32, String, String, i64, String, String, NaiveDateTime);

fn from_row((id, change_id, file_name, content_type, size, sha256, uploader, at): Row) -> Attachment {
    Attachment {
        id,
        change_id: ChangeId(change_id),
        file_name,
        content_type,
        size,
        sha256,
        uploader,
        at: to_utc(at),
    }
}

const COLUMNS: (
    attachments::id,
    attachments::change_id,
    attachments::file_name,
    attachments::content_type,
    attachments::size_bytes,
    attachments::sha256,
    users::name,
    attachments::created_at,
) = (
    attachments::id,
    attachments::change_id,
    attachments::file_name,
    attachments::content_type,
    attachments::size_bytes,
    attachments::sha256,
    users::name,
    attachments::created_at,
);

/// The attachments of `change`, oldest first (by the `(change_id, id)` index).
pub fn of_change(conn: &mut DbConn, change: ChangeId) -> QueryResult<Vec<Attachment>> {
    let rows: Vec<Row> = attachments::table
        .inner_join(users::table)
        .filter(attachments::change_id.eq(change.0))
        .order(attachments::id.asc())
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Attachment `id` of `change` with its content, if it is one of that change's.
pub fn with_content(
    conn: &mut DbConn,
    change: ChangeId,
    id: i32,
) -> QueryResult<Option<(Attachment, Vec<u8>)>> {
    let found: Option<Row> = attachments::table
        .inner_join(users::table)
        .filter(attachments::id.eq(id).and(attachments::change_id.eq(change.0)))
        .select(COLUMNS)
        .first(conn)
        .optional()?;
    let Some(row) = found else { return Ok(None) };
    let content: Vec<u8> =
        attachment_contents::table.find(id).select(attachment_contents::content).first(conn)?;
    Ok(Some((from_row(row), content)))
}
