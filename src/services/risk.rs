//! The risk questionnaire: storing answers and (re)computing the assessment.

use super::audit::{record, Event};
use super::change_view::risk_facts;
use super::changes::load;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::config::Config;
use crate::db::{changes, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::Change;
use crate::domain::ids::ChangeId;
use crate::domain::lifecycle::{transition, Action};
use crate::domain::risk::{assess, Assessment, RiskAnswers};
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
    let ci_ids = changes::ci_ids_of(conn, &[change.id])?.remove(&change.id).unwrap_or_default();
    let facts = risk_facts(conn, config, change, &ci_ids, change.submitted_at.unwrap_or(at))?;
    change.risk = assess(&answers, facts);
    Ok(answers)
}

pub fn answer(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    raw: BTreeMap<String, String>,
) -> ServiceResult<Assessment> {
    let answers = RiskAnswers::parse(raw.iter().map(|(q, a)| (q.as_str(), a.as_str())))?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let mut change = load(conn, id)?;
        ctx.require(caller, Permission::Risk, &Object::change(&change))?;
        transition(change.state, change.change_type, Action::Risk)?;
        changes::set_risk_answers(conn, id, answers.iter())?;
        recompute(conn, &ctx.config, &mut change, now)?;
        change.risk_override_reason = None;
        change.version += 1;
        change.updated_at = now;
        changes::save(conn, &change)?;
        let payload = serde_json::json!({
            "answers": answers.iter().collect::<BTreeMap<_, _>>(),
            "score": change.risk.score,
            "level": change.risk.level,
        });
        let event = Event {
            change: Some(&change),
            actor: Some(caller.id),
            action: "risk",
            from: Some(change.state),
            to: Some(change.state),
            payload,
        };
        record(conn, event, now)?;
        Ok(change.risk)
    })
}
