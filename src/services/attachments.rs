//! Files attached to a change (test reports, vendor notes): anyone who may read a change
//! may attach one and download them. Stored in the database, so every instance serves
//! every file; the type is read from the content (`domain::attachment`). Each upload is one
//! transaction with one audit event.

use super::audit::{record, Event};
use super::changes::load;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::attachments::{self as repo, Attachment, NewAttachment};
use crate::domain::attachment::{content_type, FileName};
use crate::domain::caller::Caller;
use crate::domain::ids::ChangeId;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// An attachment as listed on the change and in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i32,
    /// The file name as uploaded (without folders).
    pub name: String,
    /// The media type read from the content; the download is served with it.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex: to check a download against.
    pub sha256: String,
    pub uploaded_by: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Where the API serves its content.
    pub href: String,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        AttachmentView {
            href: format!("/api/v1/changes/{}/attachments/{}", a.change_id.reference(), a.id),
            id: a.id,
            name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_by: a.uploader,
            at: a.at,
        }
    }
}

/// A file as received: its name as the client gave it and its bytes (already read within
/// the size limit by the web layer, which says `TooLarge` past it).
pub struct Upload {
    pub name: String,
    pub content: Vec<u8>,
}

/// Attaches `upload` to change `id`.
pub fn attach(ctx: &Ctx, caller: &Caller, id: ChangeId, upload: Upload) -> ServiceResult<AttachmentView> {
    let max = ctx.config.attachment_max_bytes();
    if upload.content.len() > max {
        return Err(ServiceError::TooLarge { max_mb: ctx.config.attachment_max_mb });
    }
    let name = FileName::parse(&upload.name).map_err(|m| ServiceError::invalid("file", m))?;
    let kind = content_type(&name, &upload.content).map_err(|m| ServiceError::invalid("file", m))?;
    let sha256 = hex::encode(Sha256::digest(&upload.content));
    let now = ctx.clock.now();
    let stored = ctx.db.write(|conn| -> ServiceResult<i32> {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        ctx.require(caller, Permission::Attach, &Object::change(&change))?;
        let new = NewAttachment {
            change: id,
            uploader: caller.id,
            file_name: name.as_str(),
            content_type: kind,
            sha256: &sha256,
            content: &upload.content,
            at: now,
        };
        let attachment_id = repo::insert(conn, &new)?;
        let event = Event {
            change: Some(&change),
            actor: Some(caller.id),
            action: "attach",
            from: Some(change.state),
            to: Some(change.state),
            payload: json!({
                "attachment_id": attachment_id,
                "name": name.as_str(),
                "content_type": kind,
                "size": upload.content.len(),
                "sha256": sha256,
            }),
        };
        record(conn, event, now)?;
        Ok(attachment_id)
    })?;
    Ok(AttachmentView::from(Attachment {
        id: stored,
        change_id: id,
        file_name: name.as_str().to_owned(),
        content_type: kind.to_owned(),
        size: upload.content.len() as i64,
        sha256,
        uploader: caller.name.clone(),
        at: now,
    }))
}

/// The attachments of change `id`, oldest first.
pub fn list(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<Vec<AttachmentView>> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        Ok(repo::of_change(conn, id)?.into_iter().map(AttachmentView::from).collect())
    })
}

/// Attachment `attachment` of change `id`, with its content.
pub fn download(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    attachment: i32,
) -> ServiceResult<(AttachmentView, Vec<u8>)> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        let (found, content) = repo::with_content(conn, id, attachment)?.ok_or_else(|| {
            ServiceError::NotFound(format!("no attachment {attachment} on {}", id.reference()))
        })?;
        Ok((AttachmentView::from(found), content))
    })
}
