//! Turning submitted HTML forms into service inputs, and change views back into form
//! values. Times typed in a form are wall-clock times in the viewer's zone.

use crate::domain::approval::VoteDecision;
use crate::domain::caller::Caller;
use crate::domain::change::{ChangeType, ClosureCode};
use crate::domain::ids::ChangeId;
use crate::domain::ids::{CiId, TemplateId, UserId};
use crate::domain::validation::{FieldErrors, Message};
use crate::services::change_view::ChangeView;
use crate::services::changes::{ChangePatch, NewChange};
use crate::services::lifecycle::{
    AssessInput, AssessOutcomeInput, CancelInput, CommentInput, CompleteInput, Force, RescheduleInput,
    ReviewInput,
};
use crate::services::voting::{self, VoteInput};
use crate::services::{lifecycle, risk, Ctx, ServiceResult};
use crate::web::session::Form;
use crate::web::views::changes::FormValues;
use crate::web::views::components::local_input_value;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Which of the two occurrences of a repeated wall-clock time (the hour the clocks go back
/// in October) a person meant; asked for on the form when the time they typed is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Not said (yet): a repeated time is then a question back, never a guess.
    Unsaid,
    /// The first, still on summer time.
    Earlier,
    /// The second, after the clocks went back.
    Later,
}

impl Fold {
    /// The answer of the `<field>_fold` radio group the form shows for a repeated time.
    pub fn of(form: &Form, field: &str) -> Fold {
        Fold::named(form.get(&format!("{field}_fold")))
    }

    pub fn named(answer: &str) -> Fold {
        match answer {
            "earlier" => Fold::Earlier,
            "later" => Fold::Later,
            _ => Fold::Unsaid,
        }
    }
}

/// A wall-clock time as people type it: the `datetime-local` input's `2026-12-10T18:00`,
/// ISO with a space, Norwegian `10.12.2026 18:00` or `10.12.2026 kl. 18:00`, or English
/// `10 Dec 2026, 18:00`.
pub fn typed_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    // "kl." / "kl" between date and time, and English's comma, are only words.
    let plain = text.replace(" kl. ", " ").replace(" kl ", " ").replace(", ", " ").replace(',', " ");
    const FORMATS: [&str; 7] = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M",
        "%d.%m.%Y %H.%M",
        "%d %b %Y %H:%M",
        "%d/%m/%Y %H:%M",
    ];
    FORMATS.iter().find_map(|format| NaiveDateTime::parse_from_str(&plain, format).ok())
}

/// A day as people type it: `2026-12-10`, `10.12.2026`, `10 Dec 2026`, `10/12/2026`.
pub fn typed_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    ["%Y-%m-%d", "%d.%m.%Y", "%d %b %Y", "%d/%m/%Y"]
        .iter()
        .find_map(|format| chrono::NaiveDate::parse_from_str(text, format).ok())
}

/// A typed wall-clock time in `zone` to UTC. A time skipped by a DST change is an error;
/// a time that occurs twice is a question back unless `fold` says which was meant.
pub fn parse_local(zone: Tz, text: &str, fold: Fold) -> Result<Option<DateTime<Utc>>, Message> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let naive = typed_datetime(text).ok_or_else(|| Message::new("msg-local-time-format"))?;
    match (zone.from_local_datetime(&naive), fold) {
        (LocalResult::Single(local), _) => Ok(Some(local.with_timezone(&Utc))),
        (LocalResult::Ambiguous(first, _), Fold::Earlier) => Ok(Some(first.with_timezone(&Utc))),
        (LocalResult::Ambiguous(_, second), Fold::Later) => Ok(Some(second.with_timezone(&Utc))),
        (LocalResult::Ambiguous(..), Fold::Unsaid) => Err(Message::new("msg-local-time-twice")
            .arg("time", naive.format("%H:%M").to_string())
            .arg("zone", zone.name())),
        (LocalResult::None, _) => Err(Message::new("msg-local-time-skipped")
            .arg("time", naive.format("%H:%M").to_string())
            .arg("zone", zone.name())),
    }
}

/// The wall-clock time typed in a form's `field` (with its `<field>_fold` answer), in `zone`.
pub fn local_field(form: &Form, zone: Tz, field: &str) -> Result<Option<DateTime<Utc>>, Message> {
    parse_local(zone, form.get(field), Fold::of(form, field))
}

fn optional_id(errors: &mut FieldErrors, form: &Form, field: &str) -> Option<i32> {
    let text = form.get(field);
    if text.is_empty() {
        return None;
    }
    errors.check(field, text.parse::<i32>().map_err(|_| Message::new("msg-choice")))
}

/// The CI ids of a form's `ci_ids` checkboxes; a value that is no id is a field error.
pub fn ci_ids(form: &Form, errors: &mut FieldErrors) -> Vec<CiId> {
    form.all("ci_ids")
        .into_iter()
        .filter_map(|id| {
            errors.check("ci_ids", id.parse::<i32>().map(CiId).map_err(|_| Message::new("msg-choice")))
        })
        .collect()
}

/// What the change form carries: the change with its risk answers, and the values as typed.
pub struct ChangeForm {
    pub change: NewChange,
    pub values: FormValues,
}

/// A change form that could not be accepted: its errors and the values to show again.
pub struct Rejected {
    pub errors: Vec<crate::domain::validation::FieldError>,
    pub values: FormValues,
}

/// Parses the change form; field errors come back with the values to show again.
pub fn change_form(form: &Form, zone: Tz) -> Result<ChangeForm, Box<Rejected>> {
    // A free slot chosen on the edit form replaces the typed times.
    let slot = match form.get("slot") {
        "" => Ok(None),
        chosen => chosen
            .split_once('/')
            .and_then(|(start, end)| {
                let start = DateTime::parse_from_rfc3339(start).ok()?.with_timezone(&Utc);
                Some((start, DateTime::parse_from_rfc3339(end).ok()?.with_timezone(&Utc)))
            })
            .map(Some)
            .ok_or_else(|| Message::new("msg-choice")),
    };
    let typed = |name: &str, end: bool| match slot {
        Ok(Some((start, finish))) => {
            crate::web::views::components::local_input_value(zone, Some(if end { finish } else { start }))
        }
        _ => form.get(name).to_owned(),
    };
    let fold = |name: &str, end: bool| match slot {
        Ok(Some((start, finish))) => fold_of(zone, Some(if end { finish } else { start })),
        _ => form.get(&format!("{name}_fold")).to_owned(),
    };
    let values = FormValues {
        title: form.get("title").to_owned(),
        change_type: form.get("type").to_owned(),
        template_id: form.get("template_id").to_owned(),
        description: form.get("description").to_owned(),
        justification: form.get("justification").to_owned(),
        ci_ids: form.all("ci_ids").into_iter().map(str::to_owned).collect(),
        planned_start: typed("planned_start", false),
        planned_end: typed("planned_end", true),
        implementer_id: form.get("implementer_id").to_owned(),
        planned_start_fold: fold("planned_start", false),
        planned_end_fold: fold("planned_end", true),
        implementation_plan: form.get("implementation_plan").to_owned(),
        backout_plan: form.get("backout_plan").to_owned(),
        test_plan: form.get("test_plan").to_owned(),
        answers: crate::domain::risk::QUESTIONS
            .iter()
            .filter_map(|q| {
                let answer = form.get(&format!("answers.{}", q.key));
                (!answer.is_empty()).then(|| (q.key.to_owned(), answer.to_owned()))
            })
            .collect(),
        version: form.get("version").to_owned(),
    };
    let mut errors = FieldErrors::default();
    for refused in form.invalid() {
        errors.add(refused.field, refused.message);
    }
    errors.check("slot", slot.clone());
    let change_type = errors.check("type", values.change_type.parse::<ChangeType>());
    let template_id = optional_id(&mut errors, form, "template_id").map(TemplateId);
    let implementer_id = optional_id(&mut errors, form, "implementer_id").map(UserId);
    let planned_start = errors
        .check(
            "planned_start",
            parse_local(zone, &values.planned_start, Fold::named(&values.planned_start_fold)),
        )
        .flatten();
    let planned_end = errors
        .check("planned_end", parse_local(zone, &values.planned_end, Fold::named(&values.planned_end_fold)))
        .flatten();
    let ci_ids = ci_ids(form, &mut errors);
    // Checked here too, so a change is never filed and then refused for its answers.
    if let Err(invalid) =
        crate::domain::risk::RiskAnswers::parse(values.answers.iter().map(|(q, a)| (q.as_str(), a.as_str())))
    {
        for error in invalid {
            errors.add(error.field, error.message);
        }
    }
    let answers: BTreeMap<String, String> = values.answers.iter().cloned().collect();
    match errors.finish(|| ()) {
        Err(errors) => Err(Box::new(Rejected { errors, values })),
        Ok(()) => Ok(ChangeForm {
            change: NewChange {
                title: form.text("title"),
                description: form.text("description"),
                justification: form.text("justification"),
                change_type,
                ci_ids,
                planned_start,
                planned_end,
                implementation_plan: form.text("implementation_plan"),
                backout_plan: form.text("backout_plan"),
                test_plan: form.text("test_plan"),
                implementer_id,
                template_id,
                answers,
            },
            values,
        }),
    }
}

/// An edit replaces every field the form shows.
pub fn as_patch(change: NewChange) -> ChangePatch {
    ChangePatch {
        title: Some(change.title),
        description: Some(change.description),
        justification: Some(change.justification),
        change_type: change.change_type,
        ci_ids: Some(change.ci_ids),
        planned_start: Some(change.planned_start),
        planned_end: Some(change.planned_end),
        implementation_plan: Some(change.implementation_plan),
        backout_plan: Some(change.backout_plan),
        test_plan: Some(change.test_plan),
        implementer_id: Some(change.implementer_id),
        template_id: Some(change.template_id),
        answers: Some(change.answers).filter(|a| !a.is_empty()),
    }
}

pub use crate::web::views::components::fold_of;

/// The form's values for an existing change.
pub fn values_of(change: &ChangeView, zone: Tz) -> FormValues {
    FormValues {
        title: change.title.clone(),
        change_type: change.change_type.to_string(),
        template_id: change.template_id.map(|t| t.to_string()).unwrap_or_default(),
        description: change.description.clone(),
        justification: change.justification.clone(),
        ci_ids: change.ci_ids.iter().map(|c| c.to_string()).collect(),
        planned_start: local_input_value(zone, change.planned_start),
        planned_end: local_input_value(zone, change.planned_end),
        planned_start_fold: fold_of(zone, change.planned_start),
        planned_end_fold: fold_of(zone, change.planned_end),
        implementer_id: change.implementer_id.map(|u| u.to_string()).unwrap_or_default(),
        implementation_plan: change.implementation_plan.clone(),
        backout_plan: change.backout_plan.clone(),
        test_plan: change.test_plan.clone(),
        answers: change.risk.answers.iter().map(|(q, a)| (q.clone(), a.clone())).collect(),
        version: change.version.to_string(),
    }
}

/// A lifecycle action posted from the change page.
pub enum ActionForm {
    Risk(BTreeMap<String, String>),
    Submit(Force),
    Assess(AssessInput),
    Vote(VoteInput),
    Return(CommentInput),
    Reschedule(RescheduleInput),
    Start,
    Complete(CompleteInput),
    Review(ReviewInput),
    Cancel(CancelInput),
}

impl ActionForm {
    /// Takes the action through the same service the API calls.
    pub fn perform(self, ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<ChangeView> {
        match self {
            ActionForm::Risk(answers) => {
                risk::answer(ctx, caller, id, answers)?;
                crate::services::changes::get(ctx, caller, id)
            }
            ActionForm::Submit(body) => lifecycle::submit(ctx, caller, id, body),
            ActionForm::Assess(body) => lifecycle::assess(ctx, caller, id, body),
            ActionForm::Vote(body) => voting::vote(ctx, caller, id, body),
            ActionForm::Return(body) => lifecycle::return_to_draft(ctx, caller, id, body),
            ActionForm::Reschedule(body) => lifecycle::reschedule(ctx, caller, id, body),
            ActionForm::Start => lifecycle::start(ctx, caller, id),
            ActionForm::Complete(body) => lifecycle::complete(ctx, caller, id, body),
            ActionForm::Review(body) => lifecycle::review(ctx, caller, id, body),
            ActionForm::Cancel(body) => lifecycle::cancel(ctx, caller, id, body),
        }
    }

    /// The member a vote is cast for, as their delegate.
    pub fn on_behalf_of(&self) -> Option<i32> {
        match self {
            ActionForm::Vote(VoteInput { on_behalf_of, .. }) => *on_behalf_of,
            _ => None,
        }
    }

    /// The locale key that says what this action did (`done-vote-reject`).
    pub fn done_key(&self) -> &'static str {
        match self {
            ActionForm::Risk(_) => "done-risk",
            ActionForm::Submit(_) => "done-submit",
            ActionForm::Assess(AssessInput { outcome: AssessOutcomeInput::Return, .. }) => {
                "done-assess-return"
            }
            ActionForm::Assess(_) => "done-assess-authorize",
            ActionForm::Vote(VoteInput { decision: VoteDecision::Reject, .. }) => "done-vote-reject",
            ActionForm::Vote(_) => "done-vote-approve",
            ActionForm::Return(_) => "done-return",
            ActionForm::Reschedule(_) => "done-reschedule",
            ActionForm::Start => "done-start",
            ActionForm::Complete(_) => "done-complete",
            ActionForm::Review(_) => "done-review",
            ActionForm::Cancel(_) => "done-cancel",
        }
    }
}

/// Parses the form of `action`; `None` for an unknown action.
pub fn action_form(
    action: &str,
    form: &Form,
    zone: Tz,
) -> Result<Option<ActionForm>, Vec<crate::domain::validation::FieldError>> {
    let mut errors = FieldErrors::default();
    let text = |name: &str| form.text(name);
    let reason = || Some(text("reason")).filter(|r| !r.is_empty());
    let parsed = match action {
        "submit" => ActionForm::Submit(Force { force: form.has("force"), reason: reason() }),
        "assess" => {
            let outcome = match form.get("outcome") {
                "return" => AssessOutcomeInput::Return,
                _ => AssessOutcomeInput::Authorize,
            };
            let risk_level = match form.get("risk_level") {
                "" => None,
                level => errors.check("risk_level", level.parse()),
            };
            ActionForm::Assess(AssessInput {
                outcome,
                comment: text("comment"),
                risk_level,
                force: form.has("force"),
                reason: reason(),
            })
        }
        "votes" => {
            let decision = errors.check("decision", form.get("decision").parse::<VoteDecision>());
            ActionForm::Vote(VoteInput {
                decision: decision.unwrap_or(VoteDecision::Approve),
                comment: text("comment"),
                force: form.has("force"),
                reason: reason(),
                on_behalf_of: match form.get("on_behalf_of") {
                    "" => None,
                    id => errors
                        .check("on_behalf_of", id.parse::<i32>().map_err(|_| Message::new("msg-choice"))),
                },
            })
        }
        "return" => ActionForm::Return(CommentInput { comment: text("comment") }),
        "reschedule" => {
            let start = errors.check("planned_start", local_field(form, zone, "planned_start")).flatten();
            let end = errors.check("planned_end", local_field(form, zone, "planned_end")).flatten();
            match (start, end) {
                (Some(planned_start), Some(planned_end)) => ActionForm::Reschedule(RescheduleInput {
                    planned_start,
                    planned_end,
                    force: form.has("force"),
                    reason: reason(),
                }),
                _ => {
                    errors.add("planned_start", Message::new("msg-new-window"));
                    return Err(errors.finish(|| ()).err().unwrap_or_default());
                }
            }
        }
        "start" => ActionForm::Start,
        "complete" => {
            let code = errors.check("closure_code", form.get("closure_code").parse::<ClosureCode>());
            ActionForm::Complete(CompleteInput {
                closure_code: code.unwrap_or(ClosureCode::Successful),
                notes: text("notes"),
            })
        }
        "risk" => ActionForm::Risk(
            crate::domain::risk::QUESTIONS
                .iter()
                .filter_map(|q| {
                    let answer = form.get(&format!("answers.{}", q.key));
                    (!answer.is_empty()).then(|| (q.key.to_owned(), answer.to_owned()))
                })
                .collect(),
        ),
        "review" => ActionForm::Review(ReviewInput { review: text("review") }),
        "cancel" => ActionForm::Cancel(CancelInput { reason: text("reason") }),
        _ => return Ok(None),
    };
    errors.finish(|| Some(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Oslo;

    #[test]
    fn local_times_follow_daylight_saving_time() {
        let winter = parse_local(Oslo, "2026-12-01T18:00", Fold::Unsaid).unwrap().unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-12-01T17:00:00+00:00");
        let summer = parse_local(Oslo, "2026-06-01T18:00", Fold::Unsaid).unwrap().unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-06-01T16:00:00+00:00");
        assert_eq!(local_input_value(Oslo, Some(summer)), "2026-06-01T18:00");
    }

    #[test]
    fn a_skipped_hour_is_an_error_and_a_repeated_one_is_asked_about() {
        let err = parse_local(Oslo, "2026-03-29T02:30", Fold::Later).unwrap_err();
        assert_eq!(err.key, "msg-local-time-skipped");
        let unsaid = parse_local(Oslo, "2026-10-25T02:30", Fold::Unsaid).unwrap_err();
        assert_eq!(unsaid.key, "msg-local-time-twice");
        let first = parse_local(Oslo, "2026-10-25T02:30", Fold::Earlier).unwrap().unwrap();
        assert_eq!(first.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        let second = parse_local(Oslo, "25.10.2026 kl. 02:30", Fold::Later).unwrap().unwrap();
        assert_eq!(second.to_rfc3339(), "2026-10-25T01:30:00+00:00");
        assert_eq!(parse_local(Oslo, "", Fold::Unsaid).unwrap(), None);
        assert!(parse_local(Oslo, "tomorrow", Fold::Unsaid).is_err());
    }

    #[test]
    fn times_are_read_as_people_type_them_in_both_languages() {
        let meant = NaiveDateTime::parse_from_str("2026-12-10T18:00", "%Y-%m-%dT%H:%M").unwrap();
        for typed in [
            "2026-12-10T18:00",
            "2026-12-10 18:00",
            "10.12.2026 18:00",
            "10.12.2026 kl. 18:00",
            "10.12.2026 kl 18.00",
            " 10 Dec 2026, 18:00 ",
            "10 dec 2026 18:00",
            "10/12/2026 18:00",
        ] {
            assert_eq!(typed_datetime(typed), Some(meant), "{typed:?}");
        }
        for bad in ["10.13.2026 18:00", "2026-12-10", "18:00", "10.12.2026 25:00"] {
            assert_eq!(typed_datetime(bad), None, "{bad:?}");
        }
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        for typed in ["2026-12-10", "10.12.2026", "10 Dec 2026", "10/12/2026"] {
            assert_eq!(typed_date(typed), Some(day), "{typed:?}");
        }
    }
}
