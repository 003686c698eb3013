//! The risk questionnaire: storing answers and (re)computing the assessment.

use super::change_view::{risk_facts, RiskView};
use super::lifecycle::{perform, Applied};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::Permission;
use crate::config::Config;
use crate::db::{changes, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::Change;
use crate::domain::ids::ChangeId;
use crate::domain::lifecycle::{transition, Action};
use crate::domain::risk::{assess, RiskAnswers};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Recomputes `change.risk` from its stored answers as of `at`.
pub fn recompute(
    conn: &mut DbConn,
    config: &Config,
    change: &mut Change,
    at: DateTime<Utc>,
) -> ServiceResult<RiskAnswers> {
    let stored = changes::risk_answers(conn, change.id)?;
    let answers = RiskAnswers::parse(stored.iter().map(|(q, a)| (q.as_str(), a.as_str()))).map_err(|_| {
        ServiceError::Internal(anyhow::anyhow!(
            "stored risk answers of {} are invalid",
            change.id.reference()
        ))
    })?;
    let ci_ids = changes::ci_ids_of_one(conn, change.id)?;
    let facts = risk_facts(conn, config, change, &ci_ids, change.submitted_at.unwrap_or(at))?;
    change.risk = assess(&answers, facts);
    // A level a change manager set by hand no longer applies to a new assessment.
    change.risk_override_reason = None;
    Ok(answers)
}

/// Stores the questionnaire answers and returns the recomputed risk.
pub fn answer(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    raw: BTreeMap<String, String>,
) -> ServiceResult<RiskView> {
    let answers = RiskAnswers::parse(raw.iter().map(|(q, a)| (q.as_str(), a.as_str())))?;
    let view = perform(ctx, caller, id, Permission::Risk, "risk", |conn, change, now| {
        transition(change.state, change.change_type, Action::Risk)?;
        changes::set_risk_answers(conn, id, answers.iter())?;
        recompute(conn, &ctx.config, change, now)?;
        Ok(Applied::with(serde_json::json!({
            "answers": answers.iter().collect::<BTreeMap<_, _>>(),
            "score": change.risk.score,
            "level": change.risk.level,
        })))
    })?;
    Ok(view.risk)
}
