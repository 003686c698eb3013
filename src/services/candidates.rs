//! Standard changes earned from history: the series of successful repeats the domain
//! finds (`domain::candidate`) proposed to change managers with their evidence; accepting
//! one makes a template of its latest change, dismissing one stops proposing it. Each is
//! one transaction with one audit event.

use super::audit::{record, Event};
use super::reference::{insert_template, NewTemplate, TemplateView};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::DbConn;
use crate::db::{candidates as repo, changes, cis};
use crate::domain::caller::Caller;
use crate::domain::candidate::{candidates, Series, WINDOW};
use crate::domain::change::ClosureCode;
use crate::domain::ids::{ChangeId, CiId, TemplateId};
use crate::domain::text::Text;
use crate::domain::validation::Message;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// One change of a candidate's evidence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub ended: DateTime<Utc>,
    pub closure_code: ClosureCode,
}

/// A candidate standard change template and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    /// The candidate, named by its latest change (`CHG-000123`): what accept and dismiss
    /// take.
    pub id: String,
    /// The latest change's title (the template's name unless another is given).
    pub title: String,
    pub ci_ids: Vec<CiId>,
    /// The CIs' names.
    pub cis: Vec<String>,
    /// The longest window of the series, up to the quarter hour.
    pub max_duration_minutes: i64,
    /// The series, oldest first: every one successful, none caused an incident.
    pub evidence: Vec<Evidence>,
}

/// The series of history, read outside any write.
fn series(ctx: &Ctx) -> ServiceResult<Vec<Series>> {
    let now = ctx.clock.now();
    let done = ctx.db.query(|conn| repo::done_since(conn, now - WINDOW))?;
    Ok(candidates(done, now - WINDOW))
}

/// The candidates change managers are proposed now, the longest series first.
pub fn list(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<CandidateView>> {
    ctx.require(caller, Permission::ManageTemplates, &Object::none())?;
    let found = series(ctx)?;
    let all: Vec<CiId> = found.iter().flat_map(|s| s.latest().ci_ids.iter().copied()).collect();
    let names: BTreeMap<CiId, String> =
        ctx.db.query(|conn| cis::by_ids(conn, &all))?.into_iter().map(|c| (CiId(c.id), c.name)).collect();
    Ok(found
        .into_iter()
        .map(|s| {
            let latest = s.latest();
            CandidateView {
                id: latest.id.reference(),
                title: latest.title.clone(),
                ci_ids: latest.ci_ids.iter().copied().collect(),
                cis: latest.ci_ids.iter().filter_map(|c| names.get(c).cloned()).collect(),
                max_duration_minutes: s.max_minutes(),
                evidence: s
                    .changes
                    .iter()
                    .map(|c| Evidence {
                        reference: c.id.reference(),
                        title: c.title.clone(),
                        ended: c.ended,
                        closure_code: c.closure,
                    })
                    .collect(),
            }
        })
        .collect())
}

/// The series candidate `id` names (its latest change), if it is still proposed: 409
/// when it was decided (a second click, a colleague), 404 when it names none.
fn find(ctx: &Ctx, id: ChangeId) -> ServiceResult<Series> {
    if ctx.db.query(|conn| repo::any_decided(conn, &[id]))? {
        return Err(ServiceError::Conflict(Message::new("msg-candidate-decided")));
    }
    series(ctx)?.into_iter().find(|s| s.latest().id == id).ok_or_else(|| {
        ServiceError::NotFound(format!("{} names no candidate standard template now", id.reference()))
    })
}

/// Body of `POST /api/v1/templates/candidates/{id}/accept`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The template's name; the latest change's title when not given.
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<200>)]
    pub name: Text,
    /// The template's longest duration; the series' longest window when not given.
    #[schema(minimum = 1, maximum = 10080)]
    pub max_duration_minutes: Option<i32>,
}

/// Makes a template of candidate `id`: the latest change's description, plans and CIs,
/// the series' longest window. The series is then decided and not proposed again.
pub fn accept(ctx: &Ctx, caller: &Caller, id: ChangeId, input: AcceptInput) -> ServiceResult<TemplateView> {
    decide(ctx, caller, id, ("accepted", "accept_candidate"), |conn, series, now| {
        let latest = changes::find(conn, id)?.ok_or_else(|| ServiceError::NotFound(id.reference()))?;
        let name = match input.name.trim() {
            "" => Text::parse(&latest.title).unwrap_or_default(),
            _ => input.name.clone(),
        };
        let template = NewTemplate {
            name,
            description: Text::parse(&latest.description).unwrap_or_default(),
            implementation_plan: Text::parse(&latest.implementation_plan).unwrap_or_default(),
            backout_plan: Text::parse(&latest.backout_plan).unwrap_or_default(),
            test_plan: Text::parse(&latest.test_plan).unwrap_or_default(),
            max_duration_minutes: input.max_duration_minutes.unwrap_or(series.max_minutes() as i32),
            ci_ids: series.latest().ci_ids.iter().copied().collect(),
        };
        let made = insert_template(conn, caller, &template, now)?;
        let payload = json!({ "template_id": made.id, "name": made.name });
        Ok((Some(made.id), payload, TemplateView::from(made)))
    })
}

/// Stops proposing candidate `id`.
pub fn dismiss(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<()> {
    decide(ctx, caller, id, ("dismissed", "dismiss_candidate"), |_, series, _| {
        Ok((None, json!({ "title": series.latest().title }), ()))
    })
}

/// What a decision about a series makes: the template, if any, the event's payload, and
/// what the caller is answered.
type Made<T> = (Option<TemplateId>, serde_json::Value, T);

/// Decides candidate `id` as `outcome` in one transaction: `make` does what the decision
/// makes; the series is recorded as decided (refused when someone decided first), with
/// one audit event `action` naming the evidence.
fn decide<T>(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    (outcome, action): (&str, &'static str),
    make: impl FnOnce(&mut DbConn, &Series, DateTime<Utc>) -> ServiceResult<Made<T>>,
) -> ServiceResult<T> {
    ctx.require(caller, Permission::ManageTemplates, &Object::none())?;
    let series = find(ctx, id)?;
    let now = ctx.clock.now();
    let evidence: Vec<ChangeId> = series.changes.iter().map(|c| c.id).collect();
    ctx.db.write(|conn| {
        if repo::any_decided(conn, &evidence)? {
            return Err(ServiceError::Conflict(Message::new("msg-candidate-decided")));
        }
        let (template, mut payload, answer) = make(conn, &series, now)?;
        repo::decide(conn, &evidence, (outcome, template), caller.id, now)?;
        payload["evidence"] = json!(evidence.iter().map(|c| c.reference()).collect::<Vec<_>>());
        record(conn, Event::general(Some(caller.id), action, payload), now)?;
        Ok(answer)
    })
}
