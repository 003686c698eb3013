//! Notices that could not be delivered: listed for admins, and put back in the queue.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::outbox::{self as repo, Failed};
use crate::domain::caller::Caller;
use crate::domain::validation::Message;

/// Most failed notices one list shows.
pub const LIST_LIMIT: i64 = 200;

pub fn failed(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<Failed>> {
    ctx.require(caller, Permission::ManageNotices, &Object::none())?;
    Ok(ctx.db.query(|conn| repo::failed(conn, LIST_LIMIT))?)
}

/// Queues a failed notice again (audited).
pub fn retry(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageNotices, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        if !repo::retry(conn, id, now)? {
            return Err(match repo::exists(conn, id)? {
                true => ServiceError::Conflict(Message::new("msg-notice-not-failed").arg("id", id)),
                false => ServiceError::NotFound(format!("there is no notice {id}")),
            });
        }
        let payload = serde_json::json!({ "notice_id": id });
        record(
            conn,
            Event {
                change: None,
                actor: Some(caller.id),
                action: "retry_notice",
                from: None,
                to: None,
                payload,
            },
            now,
        )?;
        Ok(())
    })
}
