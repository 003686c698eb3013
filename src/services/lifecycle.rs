//! The lifecycle actions of SPEC §3 other than voting: submit, assess, return,
//! reschedule, start, complete, review, cancel.
//!
//! Each runs through `perform`: load, authorize, apply (the pure transition decides the
//! target state), save with a new version, one audit event, the notices the transition
//! announces — all in one write transaction.

use super::audit::{record, Event};
use super::change_view::{conflicts_for, freezes_for, ChangeView};
use super::changes::load;
use super::{notices, Ctx, ServiceError, ServiceResult};
use crate::authz::{Authz, Object, Permission};
use crate::db::{changes, templates, DbConn};
use crate::domain::approval::Outcome;
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState, ChangeType, ClosureCode, Window};
use crate::domain::ids::ChangeId;
use crate::domain::lifecycle::{transition, Action, ActionKind, AssessOutcome};
use crate::domain::risk::RiskLevel;
use crate::domain::schedule::{Conflict, Planned};
use crate::domain::text::Text;
use crate::domain::validation::{required_text, FieldErrors, Message};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

const NOTE_MAX: usize = 20_000;

/// What an action did, for the audit event and the notices.
pub(crate) struct Applied {
    pub payload: Value,
    /// The comment notices carry (return, reject, cancel…).
    pub comment: Option<String>,
    /// The event's action when it is not the action's own name (a vote that decides).
    pub event_action: Option<&'static str>,
}

impl Applied {
    pub(crate) fn with(payload: Value) -> Self {
        Applied { payload, comment: None, event_action: None }
    }

    pub(crate) fn commented(payload: Value, comment: String) -> Self {
        Applied { payload, comment: Some(comment), event_action: None }
    }
}

/// Runs one lifecycle action on a change; see the module doc.
pub(crate) fn perform(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    permission: Permission,
    action_name: &str,
    apply: impl FnOnce(&mut DbConn, &mut Change, DateTime<Utc>) -> ServiceResult<Applied>,
) -> ServiceResult<ChangeView> {
    let now = ctx.clock.now();
    let id = ctx.db.write(|conn| -> ServiceResult<ChangeId> {
        let mut change = load(conn, id)?;
        ctx.require(caller, permission, &Object::change(&change))?;
        let from = change.state;
        let applied = apply(conn, &mut change, now)?;
        if change.state == ChangeState::Authorize && from != ChangeState::Authorize {
            change.authorized_at = Some(now);
        }
        change.version += 1;
        change.updated_at = now;
        if !changes::save(conn, &change)? {
            return Err(ServiceError::Conflict(Message::new("msg-modified-concurrently")));
        }
        let event = Event {
            change: Some(&change),
            actor: Some(caller.id),
            action: applied.event_action.unwrap_or(action_name),
            from: Some(from),
            to: Some(change.state),
            payload: applied.payload,
        };
        record(conn, event, now)?;
        notices::for_transition(conn, &ctx.authz, &change, from, applied.comment.as_deref(), now)?;
        super::system_messages::follow(conn, &ctx.config, &change, from, now)?;
        Ok(change.id)
    })?;
    // Built after commit: the write lock is held only for writing.
    super::changes::get_unchecked(ctx, id)
}

/// The actions `caller` may take on `change` now: those the lifecycle allows from its
/// state and the policy grants. The web page shows exactly these buttons.
pub fn allowed_actions(authz: &Authz, caller: &Caller, change: &Change) -> Vec<ActionKind> {
    let object = Object::change(change);
    let probes = [
        Action::Edit,
        Action::Risk,
        Action::Submit,
        Action::Assess(AssessOutcome::Authorize),
        Action::Vote(Outcome::Approved),
        Action::Return,
        Action::Reschedule,
        Action::Start,
        Action::Complete(ClosureCode::Successful),
        Action::Review,
        Action::Cancel,
    ];
    probes
        .into_iter()
        .filter(|action| transition(change.state, change.change_type, *action).is_ok())
        .filter(|action| authz.allows(caller, action.kind().into(), &object))
        .map(Action::kind)
        .collect()
}

/// Body of `submit`, `reschedule`: a change manager may force a conflicting window.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Force {
    #[serde(default)]
    pub force: bool,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<NOTE_MAX>)]
    pub reason: Option<Text>,
}

/// Which conflicts refuse a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocking {
    /// Every conflict that can block (a change scheduled directly, or moved).
    Every,
    /// Freezes only: a change going to the CAB, or decided by it, which weighs the rest.
    /// Only the freezes are read then, not the other changes' windows (a vote holds the
    /// write lock while it checks).
    Freezes,
}

/// Refuses a conflicting window unless a change manager forces it with a reason.
pub(crate) fn check_window(
    ctx: &Ctx,
    conn: &mut DbConn,
    caller: &Caller,
    change: &Change,
    force: &Force,
    blocking: Blocking,
) -> ServiceResult<Value> {
    let window = change
        .window()
        .ok_or_else(|| ServiceError::invalid("planned_start", Message::new("msg-window-needed")))?;
    let ci_ids = changes::ci_ids_of_one(conn, change.id)?;
    let planned = Planned { id: Some(change.id), window, ci_ids, implementer: change.implementer_id };
    let found = match blocking {
        Blocking::Every => conflicts_for(conn, &planned)?,
        Blocking::Freezes => freezes_for(conn, &planned)?,
    };
    let conflicts: Vec<Conflict> = found.into_iter().filter(|c| c.kind.blocks()).collect();
    if conflicts.is_empty() {
        return Ok(Value::Null);
    }
    if !force.force {
        return Err(ServiceError::ScheduleConflict(conflicts));
    }
    ctx.require(caller, Permission::ForceSchedule, &Object::change(change))?;
    let reason = required_text(force.reason.as_deref().unwrap_or(""), NOTE_MAX)
        .map_err(|_| ServiceError::invalid("reason", Message::new("msg-force-reason")))?;
    Ok(json!({ "forced": true, "reason": reason, "conflicts": conflicts }))
}

/// Refuses a reason that no text field would take (control characters aside, which
/// `Text` refused already: one longer than a note), whether or not it is needed: a request
/// is not half-read.
pub(crate) fn check_reason(reason: Option<&Text>) -> ServiceResult<()> {
    crate::domain::validation::optional_text(reason.map_or("", |r| r.as_str()), NOTE_MAX)
        .map(|_| ())
        .map_err(|m| ServiceError::invalid("reason", m))
}

pub fn submit(ctx: &Ctx, caller: &Caller, id: ChangeId, force: Force) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Submit, "submit", |conn, change, now| {
        // The reason is read whole (and refused if no field would take it) whether or not
        // it is needed, once the policy has let the caller in.
        check_reason(force.reason.as_ref())?;
        let to = transition(change.state, change.change_type, Action::Submit)?;
        let ci_ids = changes::ci_ids_of_one(conn, change.id)?;
        let mut errors = FieldErrors::default();
        if change.window().is_none() {
            errors.add("planned_start", Message::new("msg-window-needed"));
        }
        if ci_ids.is_empty() {
            errors.add("ci_ids", Message::new("msg-name-cis"));
        }
        for (field, text) in [
            ("implementation_plan", &change.implementation_plan),
            ("backout_plan", &change.backout_plan),
            ("test_plan", &change.test_plan),
        ] {
            if text.trim().is_empty() {
                errors.add(field, Message::new("msg-needed-to-submit"));
            }
        }
        change.submitted_at = Some(now);
        let answers = super::risk::recompute(conn, &ctx.config, change, now)?;
        if change.change_type != ChangeType::Standard {
            for question in answers.missing() {
                errors.add(format!("answers.{question}"), Message::new("msg-answer-questionnaire"));
            }
        }
        let mut payload = json!({ "risk_score": change.risk.score, "risk_level": change.risk.level });
        if change.change_type == ChangeType::Standard {
            // Held to the version of the template it was made from.
            let template = match (change.template_id, change.template_version) {
                (Some(id), Some(version)) => templates::find_version(conn, id, version)?,
                (Some(id), None) => templates::find(conn, id)?,
                (None, _) => None,
            };
            match (template, change.window()) {
                (None, _) => errors.add("template_id", Message::new("msg-standard-needs-template")),
                (Some(t), Some(window))
                    if window.duration() > chrono::Duration::minutes(t.max_duration_minutes.into()) =>
                {
                    errors.add(
                        "planned_end",
                        Message::new("msg-template-max-duration")
                            .arg("template", &t.name)
                            .arg("minutes", t.max_duration_minutes),
                    )
                }
                _ => {}
            }
            if errors.is_empty() {
                payload["schedule"] = check_window(ctx, conn, caller, change, &force, Blocking::Every)?;
            }
        }
        errors.finish(|| ())?;
        change.state = to;
        Ok(Applied::with(payload))
    })
}

/// Body of `assess`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessInput {
    pub outcome: AssessOutcomeInput,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<NOTE_MAX>)]
    pub comment: Text,
    /// Overrides the computed risk level; needs `reason`.
    pub risk_level: Option<RiskLevel>,
    /// Sends a change whose window lies in a blackout to the CAB anyway; needs `reason`.
    #[serde(default)]
    pub force: bool,
    /// Why the risk level is overridden or the blackout forced.
    #[schema(schema_with = crate::domain::schema::optional_or_null::<NOTE_MAX>)]
    pub reason: Option<Text>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessOutcomeInput {
    Authorize,
    Return,
}

pub fn assess(ctx: &Ctx, caller: &Caller, id: ChangeId, input: AssessInput) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Assess, "assess", |conn, change, _| {
        check_reason(input.reason.as_ref())?;
        let outcome = match input.outcome {
            AssessOutcomeInput::Authorize => AssessOutcome::Authorize,
            AssessOutcomeInput::Return => AssessOutcome::Return,
        };
        let to = transition(change.state, change.change_type, Action::Assess(outcome))?;
        let comment = crate::domain::validation::optional_text(&input.comment, NOTE_MAX)
            .map_err(|m| ServiceError::invalid("comment", m))?;
        if outcome == AssessOutcome::Return && comment.is_empty() {
            return Err(ServiceError::invalid("comment", Message::new("msg-return-comment")));
        }
        let mut payload = json!({ "outcome": to, "comment": comment });
        if let Some(level) = input.risk_level.filter(|l| *l != change.risk.level) {
            let reason = required_text(input.reason.as_deref().unwrap_or(""), NOTE_MAX)
                .map_err(|_| ServiceError::invalid("reason", Message::new("msg-override-reason")))?;
            payload["risk_override"] = json!({ "from": change.risk.level, "to": level, "reason": reason });
            change.risk.level = level;
            change.risk_override_reason = Some(reason);
        }
        if to == ChangeState::Authorize {
            // No change goes to the CAB for a window inside a freeze unless forced.
            let force = Force { force: input.force, reason: input.reason.clone() };
            payload["schedule"] = check_window(ctx, conn, caller, change, &force, Blocking::Freezes)?;
        }
        change.state = to;
        Ok(Applied::commented(payload, comment))
    })
}

/// Body of `return`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    #[schema(schema_with = crate::domain::schema::required::<NOTE_MAX>)]
    pub comment: Text,
}

pub fn return_to_draft(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    input: CommentInput,
) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Return, "return", |_, change, _| {
        let to = transition(change.state, change.change_type, Action::Return)?;
        let comment =
            required_text(&input.comment, NOTE_MAX).map_err(|m| ServiceError::invalid("comment", m))?;
        if change.state == ChangeState::Authorize {
            change.decision_round += 1;
        }
        change.state = to;
        Ok(Applied::commented(json!({ "comment": comment }), comment))
    })
}

/// Body of `reschedule`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
    #[serde(default)]
    pub force: bool,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<NOTE_MAX>)]
    pub reason: Option<Text>,
}

pub fn reschedule(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    input: RescheduleInput,
) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Reschedule, "reschedule", |conn, change, _| {
        let to = transition(change.state, change.change_type, Action::Reschedule)?;
        let window = Window::planned(input.planned_start, input.planned_end)
            .map_err(|e| ServiceError::invalid("planned_end", e))?;
        let previous = json!({ "planned_start": change.planned_start, "planned_end": change.planned_end });
        change.planned_start = Some(window.start());
        change.planned_end = Some(window.end());
        // Why it moves, for the timeline (and, when a conflict is forced, the force's reason).
        let reason =
            crate::domain::validation::optional_text(input.reason.as_deref().unwrap_or(""), NOTE_MAX)
                .map_err(|m| ServiceError::invalid("reason", m))?;
        let reason = (!reason.is_empty()).then_some(reason);
        let schedule = check_window(
            ctx,
            conn,
            caller,
            change,
            &Force { force: input.force, reason: input.reason },
            Blocking::Every,
        )?;
        change.state = to;
        Ok(Applied::with(json!({
            "previous": previous, "planned_start": window.start(), "planned_end": window.end(),
            "schedule": schedule, "reason": reason,
        })))
    })
}

/// When a change may be started, if not yet at `now`: its window opens then (an
/// emergency change may start at once).
pub fn start_opens(change: &Change, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    change.planned_start.filter(|s| now < *s && change.change_type != ChangeType::Emergency)
}

pub fn start(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Start, "start", |_, change, now| {
        let to = transition(change.state, change.change_type, Action::Start)?;
        if let Some(planned) = start_opens(change, now) {
            return Err(ServiceError::Conflict(
                Message::new("msg-window-not-open")
                    .word("opens", crate::domain::validation::Word::Time(planned, ctx.config.time_zone())),
            ));
        }
        change.actual_start = Some(now);
        change.state = to;
        Ok(Applied::with(json!({ "actual_start": now })))
    })
}

/// Body of `complete`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    pub closure_code: ClosureCode,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<NOTE_MAX>)]
    pub notes: Text,
}

pub fn complete(ctx: &Ctx, caller: &Caller, id: ChangeId, input: CompleteInput) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Complete, "complete", |_, change, now| {
        let to = transition(change.state, change.change_type, Action::Complete(input.closure_code))?;
        let notes = crate::domain::validation::optional_text(&input.notes, NOTE_MAX)
            .map_err(|m| ServiceError::invalid("notes", m))?;
        if input.closure_code != ClosureCode::Successful && notes.is_empty() {
            return Err(ServiceError::invalid("notes", Message::new("msg-not-successful-notes")));
        }
        change.actual_end = Some(now);
        change.closure_code = Some(input.closure_code);
        change.closure_notes = Some(notes.clone());
        change.state = to;
        Ok(Applied::with(json!({ "closure_code": input.closure_code, "notes": notes, "actual_end": now })))
    })
}

/// Body of `review`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[schema(schema_with = crate::domain::schema::required::<NOTE_MAX>)]
    pub review: Text,
}

pub fn review(ctx: &Ctx, caller: &Caller, id: ChangeId, input: ReviewInput) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Review, "review", |_, change, _| {
        let to = transition(change.state, change.change_type, Action::Review)?;
        let text = required_text(&input.review, NOTE_MAX).map_err(|m| ServiceError::invalid("review", m))?;
        change.review = Some(text.clone());
        change.state = to;
        Ok(Applied::with(json!({ "review": text })))
    })
}

/// Body of `cancel`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    #[schema(schema_with = crate::domain::schema::required::<NOTE_MAX>)]
    pub reason: Text,
}

pub fn cancel(ctx: &Ctx, caller: &Caller, id: ChangeId, input: CancelInput) -> ServiceResult<ChangeView> {
    perform(ctx, caller, id, Permission::Cancel, "cancel", |_, change, _| {
        let to = transition(change.state, change.change_type, Action::Cancel)?;
        let reason =
            required_text(&input.reason, NOTE_MAX).map_err(|m| ServiceError::invalid("reason", m))?;
        change.state = to;
        Ok(Applied::commented(json!({ "reason": reason }), reason))
    })
}
