//! Working on a change beside its lifecycle: work notes (with mentions by email address),
//! copying a change into a new draft, and deleting a draft that was never submitted. Each
//! is one transaction with one audit event.

use super::audit::{record, Event};
use super::changes::{load, NewChange};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::notes::{self as repo, Note};
use crate::db::{changes as change_repo, users};
use crate::domain::caller::Caller;
use crate::domain::change::ChangeState;
use crate::domain::ids::ChangeId;
use crate::domain::text::Text;
use crate::domain::validation::{required_text, Message};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Longest note, in characters.
pub const NOTE_MAX: usize = 20_000;
/// Most notes a change shows.
pub const NOTES_SHOWN: i64 = 500;

/// Body of `POST /api/v1/changes/{id}/notes`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// The note: plain text with a Markdown subset (emphasis, lists, code, links).
    /// Email addresses in it mention those people, who get an email.
    #[schema(schema_with = crate::domain::schema::required::<NOTE_MAX>)]
    pub body: Text,
}

/// A note as shown and in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoteView {
    pub id: i32,
    pub author: String,
    pub body: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<Note> for NoteView {
    fn from(n: Note) -> Self {
        NoteView { id: n.id, author: n.author, body: n.body, at: n.at }
    }
}

/// The email addresses written in `text` (`kari@kommune.no`, `<kari@kommune.no>`,
/// `@kari@kommune.no`), lower-cased, each once.
pub fn mentioned_addresses(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| c.is_whitespace() || "<>()[],;:\"'".contains(c))
        .map(|word| word.trim_start_matches('@').trim_end_matches(['.', '!', '?']))
        .filter(|word| match word.split_once('@') {
            Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.'),
            None => false,
        })
        .map(str::to_lowercase)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Adds a note to change `id`; everyone it mentions who may read the change gets an email.
pub fn add_note(ctx: &Ctx, caller: &Caller, id: ChangeId, input: NewNote) -> ServiceResult<NoteView> {
    let body = required_text(&input.body, NOTE_MAX).map_err(|m| ServiceError::invalid("body", m))?;
    let now = ctx.clock.now();
    let note_id = ctx.db.write(|conn| -> ServiceResult<i32> {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        ctx.require(caller, Permission::Note, &Object::change(&change))?;
        let mut mentioned = Vec::new();
        for address in mentioned_addresses(&body) {
            let Some(user) = users::id_by_email(conn, &address)? else { continue };
            let Some(person) = users::caller(conn, user)? else { continue };
            // Only people who may read the change hear of it, and never the author.
            if person.id != caller.id && ctx.authz.allows(&person, Permission::Read, &Object::change(&change))
            {
                mentioned.push(person);
            }
        }
        let note_id = repo::insert(conn, id, caller.id, &body, now)?;
        let names: Vec<&str> = mentioned.iter().map(|p| p.name.as_str()).collect();
        let event = Event {
            change: Some(&change),
            actor: Some(caller.id),
            action: "note",
            from: Some(change.state),
            to: Some(change.state),
            payload: json!({ "note_id": note_id, "note": body, "mentions": names }),
        };
        record(conn, event, now)?;
        let comment = format!("{}: {body}", caller.name);
        super::notices::queue(conn, "mentioned", &change, &mentioned, Some(&comment), now)?;
        Ok(note_id)
    })?;
    Ok(NoteView { id: note_id, author: caller.name.clone(), body, at: now })
}

/// The notes on change `id`, oldest first.
pub fn notes(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<Vec<NoteView>> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        Ok(repo::of_change(conn, id, NOTES_SHOWN)?.into_iter().map(NoteView::from).collect())
    })
}

/// Copies change `id` into a new draft of the caller's: the same texts, CIs, template,
/// implementer and risk answers, no window (a repeated job or a second try needs its
/// own), and a link back to the original in the new draft's first event.
pub fn copy(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<super::change_view::ChangeView> {
    let original = ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        super::change_view::build(conn, &ctx.config, change, ctx.clock.now())
    })?;
    let text = |t: &str| Text::parse(t).unwrap_or_default();
    // A standard change's copy is made from its template's latest version, which fills
    // in its plans (the original keeps the version it was made from); its CIs stay.
    let from_template = original.template_id.is_some();
    let plan = |t: &str| if from_template { Text::default() } else { text(t) };
    let input = NewChange {
        title: text(&original.title),
        description: text(&original.description),
        justification: text(&original.justification),
        change_type: Some(original.change_type),
        ci_ids: original.ci_ids.clone(),
        planned_start: None,
        planned_end: None,
        implementation_plan: plan(&original.implementation_plan),
        backout_plan: plan(&original.backout_plan),
        test_plan: plan(&original.test_plan),
        implementer_id: original.implementer_id,
        template_id: original.template_id,
        answers: original.risk.answers.clone().into_iter().collect(),
    };
    super::changes::create_copy(ctx, caller, input, id)
}

/// Deletes change `id`, a draft of the caller's that was never submitted: it is found,
/// listed and counted no more; its trail keeps the deletion.
pub fn delete_draft(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<()> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Delete, &Object::change(&change))?;
        if change.state != ChangeState::Draft || change.submitted_at.is_some() {
            return Err(ServiceError::Conflict(Message::new("msg-delete-submitted")));
        }
        change_repo::mark_deleted(conn, id, now)?;
        let event = Event {
            change: Some(&change),
            actor: Some(caller.id),
            action: "delete",
            from: Some(change.state),
            to: None,
            payload: json!({ "title": change.title }),
        };
        record(conn, event, now)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::mentioned_addresses;

    #[test]
    fn mentions_are_the_addresses_in_the_text() {
        let text = "Ask @Kari.Nordmann@kommune.no (or <per@kommune.no>), not me@localhost; kari.nordmann@kommune.no again.";
        assert_eq!(mentioned_addresses(text), vec!["kari.nordmann@kommune.no", "per@kommune.no"]);
        assert!(mentioned_addresses("no one @ all, a@.b, @x").is_empty());
    }
}
