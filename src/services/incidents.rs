//! Links to the service desk's records: the incidents or problems a change was raised
//! from, and the incidents it caused. Who may is the policy's (`link_raised_from`,
//! `link_caused`); when is the domain's (`domain::incident::may_link`). Each link or
//! unlink is one transaction with one audit event.

use super::audit::{record, Event};
use super::changes::load;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::incidents as repo;
use crate::domain::caller::Caller;
use crate::domain::ids::ChangeId;
use crate::domain::incident::{may_link, IncidentId, Relation};
use crate::domain::text::Text;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Body of `POST /api/v1/changes/{id}/incidents`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// The desk's id, as its tool writes it (`INC-20431`).
    #[schema(schema_with = crate::domain::schema::incident_id)]
    pub incident: Text,
    pub relation: Relation,
}

/// A link as shown on the change and in its JSON.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentLink {
    pub incident: String,
    pub relation: Relation,
    /// The record in the desk's tool, when `incident_url` is set.
    pub url: Option<String>,
    pub added_by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The links of a change, as shown.
pub fn views(config: &crate::config::Config, links: Vec<repo::Link>) -> Vec<IncidentLink> {
    links
        .into_iter()
        .filter_map(|l| {
            Some(IncidentLink {
                url: crate::domain::incident::link_for(config.incident_url.as_deref(), &l.incident),
                relation: l.relation.parse().ok()?,
                incident: l.incident,
                added_by: l.added_by,
                at: l.at,
            })
        })
        .collect()
}

fn permission(relation: Relation) -> Permission {
    match relation {
        Relation::RaisedFrom => Permission::LinkRaisedFrom,
        Relation::Caused => Permission::LinkCaused,
    }
}

/// The relations `caller` may link or unlink on `change` now: the policy's who and the
/// domain's when (what the change page offers).
pub fn may_link_now(ctx: &Ctx, caller: &Caller, change: &crate::domain::change::Change) -> Vec<Relation> {
    let object = Object::change(change);
    let closed = crate::domain::incident::closed_at(change);
    Relation::ALL
        .iter()
        .copied()
        .filter(|r| {
            ctx.authz.allows(caller, permission(*r), &object)
                && may_link(*r, change.state, closed, ctx.clock.now()).is_ok()
        })
        .collect()
}

/// Adds or removes (`add`) the link of `incident` as `relation` on change `id`.
fn change_link(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    (incident, relation): (&str, Relation),
    add: bool,
) -> ServiceResult<super::change_view::ChangeView> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        ctx.require(caller, permission(relation), &Object::change(&change))?;
        // The id, once the policy has let the caller in (who may not link is told that).
        let incident = IncidentId::parse(incident).map_err(|m| ServiceError::invalid("incident", m))?;
        may_link(relation, change.state, crate::domain::incident::closed_at(&change), now)
            .map_err(ServiceError::Conflict)?;
        // A link someone else added is removed only by a change manager: an implementer
        // cannot take the incident a manager recorded off their own change's record.
        if !add {
            let added_by = repo::added_by(conn, id, (&incident, relation))?;
            if added_by.is_some_and(|by| by != caller.id) {
                ctx.require(caller, Permission::UnlinkOthers, &Object::change(&change))?;
            }
        }
        let changed = match add {
            true => repo::insert(conn, id, (&incident, relation), caller.id, now)?,
            false => repo::delete(conn, id, (&incident, relation))?,
        };
        if !changed && !add {
            return Err(ServiceError::NotFound(format!(
                "{} is not linked to {} as {relation}",
                incident.as_str(),
                id.reference()
            )));
        }
        if changed {
            let event = Event {
                change: Some(&change),
                actor: Some(caller.id),
                action: if add { "link_incident" } else { "unlink_incident" },
                from: Some(change.state),
                to: Some(change.state),
                payload: json!({ "incident": incident.as_str(), "relation": relation }),
            };
            record(conn, event, now)?;
        }
        super::change_view::build(conn, &ctx.config, change, ctx.clock.now())
    })
}

/// Links `input.incident` to change `id` (again: nothing new, no second event).
pub fn link(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    input: NewLink,
) -> ServiceResult<super::change_view::ChangeView> {
    change_link(ctx, caller, id, (input.incident.as_str(), input.relation), true)
}

/// Removes the link of `incident` as `relation` from change `id`.
pub fn unlink(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    incident: &str,
    relation: Relation,
) -> ServiceResult<super::change_view::ChangeView> {
    change_link(ctx, caller, id, (incident, relation), false)
}
