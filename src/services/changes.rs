//! Filing, editing, reading and listing change requests.

use super::audit::{record, Event};
use super::change_view::{self, ChangeView};
use super::lifecycle::{self, Applied};
use super::reference::check_cis_keeping;
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Authz, Object, Permission};
use crate::db::{changes, templates, users, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::{plausible, Change, ChangeState, ChangeType, Window};
use crate::domain::ids::{ChangeId, CiId, TemplateId, UserId};
use crate::domain::lifecycle::{transition, Action};
use crate::domain::risk::{Assessment, RiskAnswers, RiskLevel};
use crate::domain::text::Text;
use crate::domain::validation::{optional_text, required_text, FieldErrors, Message};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, BTreeSet};

const TITLE_MAX: usize = 200;
const TEXT_MAX: usize = 20_000;

/// A change as written on create (SPEC §9).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChange {
    #[schema(schema_with = crate::domain::schema::required::<TITLE_MAX>)]
    pub title: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<TEXT_MAX>)]
    pub description: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<TEXT_MAX>)]
    pub justification: Text,
    /// `normal` unless a template makes it `standard`.
    #[serde(rename = "type", default)]
    pub change_type: Option<ChangeType>,
    #[serde(default)]
    /// At most 100 (`reference::MAX_CIS`; the same CI named twice counts once).
    #[schema(max_items = 100)]
    pub ci_ids: Vec<CiId>,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<TEXT_MAX>)]
    pub implementation_plan: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<TEXT_MAX>)]
    pub backout_plan: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<TEXT_MAX>)]
    pub test_plan: Text,
    pub implementer_id: Option<UserId>,
    pub template_id: Option<TemplateId>,
    /// The risk questionnaire's answers (as `PUT …/risk` takes them), stored with the
    /// change in the same transaction.
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::risk_answers_object)]
    pub answers: BTreeMap<String, String>,
}

/// Fields to change on a draft; absent fields stay, `null` clears a nullable one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePatch {
    #[schema(schema_with = crate::domain::schema::required_or_null::<TITLE_MAX>)]
    pub title: Option<Text>,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<TEXT_MAX>)]
    pub description: Option<Text>,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<TEXT_MAX>)]
    pub justification: Option<Text>,
    #[serde(rename = "type")]
    pub change_type: Option<ChangeType>,
    /// At most 100 (`reference::MAX_CIS`; the same CI named twice counts once).
    #[schema(max_items = 100)]
    pub ci_ids: Option<Vec<CiId>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub planned_start: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub planned_end: Option<Option<DateTime<Utc>>>,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<TEXT_MAX>)]
    pub implementation_plan: Option<Text>,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<TEXT_MAX>)]
    pub backout_plan: Option<Text>,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<TEXT_MAX>)]
    pub test_plan: Option<Text>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<UserId>)]
    pub implementer_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<TemplateId>)]
    pub template_id: Option<Option<TemplateId>>,
    /// Risk answers to store with the edit (answers not given stay as they were).
    #[schema(schema_with = crate::domain::schema::risk_answers_or_null)]
    pub answers: Option<BTreeMap<String, String>>,
}

/// Distinguishes a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One row of the change list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeSummary {
    pub id: ChangeId,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub requester_id: UserId,
    /// The requester's name.
    pub requester: String,
    pub implementer_id: Option<UserId>,
    /// The implementer's name.
    pub implementer: Option<String>,
    pub risk_score: u32,
    pub risk_level: RiskLevel,
    pub ci_ids: Vec<CiId>,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeSummary>,
    /// How many changes match: exactly, or where counting stopped when `total_capped`.
    pub total: i64,
    /// More than `total` changes match. A list counts 1,000 matches past its offset and
    /// no further (counting every match would cost what the table holds, not the page).
    pub total_capped: bool,
}

impl ChangePage {
    /// The count a page says: `total`, or past the count's stop the thousands below it
    /// ("more than 1000"): true, since more than the stop match, and the same words one
    /// page on (the stop moves with the offset). The pages it makes still reach past the
    /// page shown: the stop is a thousand past its offset.
    pub fn shown_total(&self) -> i64 {
        match self.total_capped {
            true => self.total - self.total % changes::COUNT_AHEAD,
            false => self.total,
        }
    }
}

/// Loads a change or answers 404 with its reference.
pub fn load(conn: &mut DbConn, id: ChangeId) -> ServiceResult<Change> {
    changes::find(conn, id)?
        .ok_or_else(|| ServiceError::NotFound(format!("there is no change {}", id.reference())))
}

/// Parses questionnaire answers given with a change; their errors join the field errors.
fn parse_answers(raw: &BTreeMap<String, String>) -> ServiceResult<RiskAnswers> {
    Ok(RiskAnswers::parse(raw.iter().map(|(q, a)| (q.as_str(), a.as_str())))?)
}

/// Stores `answers` (when any were given) and recomputes the change's risk, as the
/// questionnaire does, after checking the caller may answer it.
fn store_answers(
    ctx: &Ctx,
    conn: &mut DbConn,
    caller: &Caller,
    change: &mut Change,
    answers: &RiskAnswers,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    ctx.require(caller, Permission::Risk, &Object::change(change))?;
    changes::set_risk_answers(conn, change.id, answers.iter())?;
    super::risk::recompute(conn, &ctx.config, change, now)?;
    Ok(())
}

/// Files a change (with its risk answers, when given): one transaction, one event.
pub fn create(ctx: &Ctx, caller: &Caller, input: NewChange) -> ServiceResult<ChangeView> {
    create_with(ctx, caller, input, None)
}

/// Files `input` as a copy of `original`: its first event links back to it.
pub(crate) fn create_copy(
    ctx: &Ctx,
    caller: &Caller,
    input: NewChange,
    original: ChangeId,
) -> ServiceResult<ChangeView> {
    create_with(ctx, caller, input, Some(original))
}

fn create_with(
    ctx: &Ctx,
    caller: &Caller,
    input: NewChange,
    copied_from: Option<ChangeId>,
) -> ServiceResult<ChangeView> {
    ctx.require(caller, Permission::Create, &Object::none())?;
    let answers = parse_answers(&input.answers)?;
    let now = ctx.clock.now();
    // Everything is checked and worked out in a read; the write only inserts (CIs,
    // templates and users are never deleted, so what was checked still holds).
    let (change, ci_ids) = ctx.db.read(|conn| -> ServiceResult<(Change, BTreeSet<CiId>)> {
        let change_type = match (input.template_id, input.change_type) {
            (Some(_), None) => ChangeType::Standard,
            (_, given) => given.unwrap_or(ChangeType::Normal),
        };
        let mut ci_ids: BTreeSet<CiId> = input.ci_ids.iter().copied().collect();
        let mut change = Change {
            id: ChangeId(0),
            title: input.title.into(),
            description: input.description.into(),
            justification: input.justification.into(),
            change_type,
            state: ChangeState::Draft,
            requester_id: caller.id,
            implementer_id: input.implementer_id,
            template_id: input.template_id,
            template_version: None,
            planned_start: input.planned_start,
            planned_end: input.planned_end,
            actual_start: None,
            actual_end: None,
            implementation_plan: input.implementation_plan.into(),
            backout_plan: input.backout_plan.into(),
            test_plan: input.test_plan.into(),
            risk: Assessment { score: 0, level: RiskLevel::Low, factors: Vec::new() },
            risk_override_reason: None,
            closure_code: None,
            closure_notes: None,
            review: None,
            decision_round: 1,
            submitted_at: None,
            decided_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            authorized_at: None,
        };
        validate(conn, &ctx.authz, &mut change, &mut ci_ids, &Kept::default())?;
        if !input.answers.is_empty() {
            ctx.require(caller, Permission::Risk, &Object::change(&change))?;
            let facts = change_view::risk_facts(conn, &ctx.config, &change, &ci_ids, now)?;
            change.risk = crate::domain::risk::assess(&answers, facts);
        }
        Ok((change, ci_ids))
    })?;
    let id = ctx.db.write(|conn| -> ServiceResult<ChangeId> {
        let mut change = change;
        let mut payload = serde_json::json!({ "title": change.title, "type": change.change_type });
        if let Some(original) = copied_from {
            payload["copied_from"] = serde_json::json!({ "id": original, "ref": original.reference() });
        }
        change.id = changes::insert(conn, &change)?;
        if let Some(original) = copied_from {
            crate::db::candidates::record_copy(conn, change.id, original)?;
        }
        changes::set_ci_ids(conn, change.id, &ci_ids)?;
        changes::set_risk_answers(conn, change.id, answers.iter())?;
        if !input.answers.is_empty() {
            payload["answers"] = serde_json::json!(answers.iter().collect::<BTreeMap<_, _>>());
            payload["risk_score"] = serde_json::json!(change.risk.score);
            payload["risk_level"] = serde_json::json!(change.risk.level);
        }
        let event = Event {
            change: Some(&change),
            actor: Some(caller.id),
            action: "create",
            from: None,
            to: Some(ChangeState::Draft),
            payload,
        };
        record(conn, event, now)?;
        Ok(change.id)
    })?;
    get_unchecked(ctx, id)
}

/// Refuses as saving an edit would, before the form is shown: 403 when the policy does
/// not let `caller` edit the change, 409 when its state does not.
/// Refuses `caller` if the policy does not let them `permission` on change `id` (what a
/// lifecycle form that does not parse asks first: who may not act is told so, not what
/// the form lacks).
pub fn check_may(ctx: &Ctx, caller: &Caller, id: ChangeId, permission: Permission) -> ServiceResult<()> {
    let change = ctx.db.read(|conn| load(conn, id))?;
    ctx.require(caller, Permission::Read, &Object::change(&change))?;
    ctx.require(caller, permission, &Object::change(&change))
}

pub fn check_editable(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<()> {
    let change = ctx.db.read(|conn| load(conn, id))?;
    ctx.require(caller, Permission::Edit, &Object::change(&change))?;
    transition(change.state, change.change_type, Action::Edit)?;
    Ok(())
}

/// The view of a change just written by the caller (built after commit, outside the
/// write lock).
pub(crate) fn get_unchecked(ctx: &Ctx, id: ChangeId) -> ServiceResult<ChangeView> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        change_view::build(conn, &ctx.config, change, ctx.clock.now())
    })
}

/// What a change named before an edit: retired CIs and a retired template it already
/// names may stay (nothing new may name them).
#[derive(Debug, Default)]
struct Kept {
    ci_ids: BTreeSet<CiId>,
    template: Option<TemplateId>,
}

/// Checks and normalises the writable fields; every problem is reported at once.
fn validate(
    conn: &mut DbConn,
    authz: &Authz,
    change: &mut Change,
    ci_ids: &mut BTreeSet<CiId>,
    kept: &Kept,
) -> ServiceResult<()> {
    let mut errors = FieldErrors::default();
    if let Some(title) = errors.check("title", required_text(&change.title, TITLE_MAX)) {
        change.title = title;
    }
    for (field, text) in [
        ("description", &mut change.description),
        ("justification", &mut change.justification),
        ("implementation_plan", &mut change.implementation_plan),
        ("backout_plan", &mut change.backout_plan),
        ("test_plan", &mut change.test_plan),
    ] {
        if let Some(clean) = errors.check(field, optional_text(text, TEXT_MAX)) {
            *text = clean;
        }
    }
    let mut plausible_window = true;
    for (field, time) in
        [("planned_start", &mut change.planned_start), ("planned_end", &mut change.planned_end)]
    {
        if let Some(instant) = *time {
            *time = errors.check(field, plausible(instant));
            plausible_window &= time.is_some();
        }
    }
    if let (true, Some(start), Some(end)) = (plausible_window, change.planned_start, change.planned_end) {
        errors.check("planned_end", Window::planned(start, end));
    }
    follow_template(conn, change, ci_ids, kept.template, &mut errors)?;
    check_cis_keeping(conn, ci_ids, &kept.ci_ids, &mut errors)?;
    if let Some(implementer) = change.implementer_id {
        match users::caller(conn, implementer)? {
            None => errors.add("implementer_id", Message::new("msg-no-user").arg("id", implementer)),
            Some(user) if !authz.allows(&user, Permission::BeImplementer, &Object::none()) => {
                errors.add("implementer_id", Message::new("msg-not-implementer").arg("name", &user.name))
            }
            Some(_) => {}
        }
    }
    errors.finish(|| ()).map_err(ServiceError::Invalid)
}

/// A standard change follows a pre-approved template: it takes the template's plans and
/// affects only the template's CIs (all of them when none are named). Other types follow
/// no template. This is what lets a standard change skip the CAB.
fn follow_template(
    conn: &mut DbConn,
    change: &mut Change,
    ci_ids: &mut BTreeSet<CiId>,
    kept: Option<TemplateId>,
    errors: &mut FieldErrors,
) -> ServiceResult<()> {
    let template = match (change.change_type, change.template_id) {
        (ChangeType::Standard, None) => {
            errors.add("template_id", Message::new("msg-standard-needs-template"));
            return Ok(());
        }
        (_, None) => {
            change.template_version = None;
            return Ok(());
        }
        // A change keeps the version of the template it was made from; one newly made
        // from a template (or moved to another) takes its latest.
        (ChangeType::Standard, Some(id)) => {
            let found = match (kept == Some(id), change.template_version) {
                (true, Some(version)) => templates::find_version(conn, id, version)?,
                _ => templates::find(conn, id)?,
            };
            match found {
                Some(template) if template.retired && kept != Some(id) => {
                    errors
                        .add("template_id", Message::new("msg-template-retired").arg("name", &template.name));
                    return Ok(());
                }
                Some(template) => template,
                None => {
                    errors.add("template_id", Message::new("msg-no-template").arg("id", id));
                    return Ok(());
                }
            }
        }
        (other, Some(_)) => {
            errors.add("template_id", Message::new("msg-type-has-no-template").arg("type", other));
            return Ok(());
        }
    };
    change.template_version = Some(template.version);
    for (field, plan, from_template) in [
        ("implementation_plan", &mut change.implementation_plan, &template.implementation_plan),
        ("backout_plan", &mut change.backout_plan, &template.backout_plan),
        ("test_plan", &mut change.test_plan, &template.test_plan),
    ] {
        if plan.is_empty() || plan == from_template {
            plan.clone_from(from_template);
        } else {
            errors.add(field, Message::new("msg-template-plans").arg("template", &template.name));
        }
    }
    if ci_ids.is_empty() {
        ci_ids.clone_from(&template.ci_ids);
    }
    for extra in ci_ids.difference(&template.ci_ids) {
        errors
            .add("ci_ids", Message::new("msg-template-cis").arg("ci", extra).arg("template", &template.name));
    }
    Ok(())
}

/// Reads `If-Match` against the stored version.
pub fn check_version(change: &Change, if_match: Option<i32>) -> ServiceResult<()> {
    match if_match {
        None => Err(ServiceError::VersionRequired),
        Some(given) if given != change.version => {
            Err(ServiceError::VersionMismatch { given, current: change.version })
        }
        Some(_) => Ok(()),
    }
}

/// Which version an edit expects (`If-Match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `If-Match: "3"`
    Version(i32),
    /// `If-Match: *`: whatever the current version is.
    Any,
    /// No `If-Match` header.
    Missing,
}

/// Applies one PATCH field when it was given, and notes its name for the audit event.
fn take<T>(given: Option<T>, name: &'static str, target: &mut T, fields: &mut Vec<&'static str>) {
    if let Some(value) = given {
        *target = value;
        fields.push(name);
    }
}

pub fn edit(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    expected: Expected,
    patch: ChangePatch,
) -> ServiceResult<ChangeView> {
    let answers = patch.answers.as_ref().map(parse_answers).transpose()?;
    lifecycle::perform(ctx, caller, id, Permission::Edit, "edit", |conn, change, now| {
        match expected {
            Expected::Version(given) => check_version(change, Some(given))?,
            Expected::Any => {}
            Expected::Missing => check_version(change, None)?,
        }
        transition(change.state, change.change_type, Action::Edit)?;
        let mut ci_ids = changes::ci_ids_of_one(conn, id)?;
        let kept = Kept { ci_ids: ci_ids.clone(), template: change.template_id };
        let mut fields: Vec<&str> = Vec::new();
        let p = patch;
        let f = &mut fields;
        take(p.title.map(String::from), "title", &mut change.title, f);
        take(p.description.map(String::from), "description", &mut change.description, f);
        take(p.justification.map(String::from), "justification", &mut change.justification, f);
        take(p.change_type, "type", &mut change.change_type, f);
        take(p.ci_ids.map(|ids| ids.into_iter().collect()), "ci_ids", &mut ci_ids, f);
        take(p.planned_start, "planned_start", &mut change.planned_start, f);
        take(p.planned_end, "planned_end", &mut change.planned_end, f);
        take(
            p.implementation_plan.map(String::from),
            "implementation_plan",
            &mut change.implementation_plan,
            f,
        );
        take(p.backout_plan.map(String::from), "backout_plan", &mut change.backout_plan, f);
        take(p.test_plan.map(String::from), "test_plan", &mut change.test_plan, f);
        take(p.implementer_id, "implementer_id", &mut change.implementer_id, f);
        take(p.template_id, "template_id", &mut change.template_id, f);
        validate(conn, &ctx.authz, change, &mut ci_ids, &kept)?;
        changes::set_ci_ids(conn, id, &ci_ids)?;
        let answered = answers.as_ref().filter(|a| a.iter().next().is_some());
        if answered.is_some() {
            fields.push("answers");
        }
        let mut payload = serde_json::json!({ "fields": fields });
        if let Some(answers) = answered {
            store_answers(ctx, conn, caller, change, answers, now)?;
            payload["answers"] = serde_json::json!(answers.iter().collect::<BTreeMap<_, _>>());
            payload["risk_score"] = serde_json::json!(change.risk.score);
            payload["risk_level"] = serde_json::json!(change.risk.level);
        }
        Ok(Applied::with(payload))
    })
}

pub fn get(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<ChangeView> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        change_view::build(conn, &ctx.config, change, ctx.clock.now())
    })
}

pub fn events(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<Vec<super::audit::EventView>> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        super::audit::trail(conn, &change)
    })
}

/// List rows for `items`, with their CIs in one query.
pub fn summaries(conn: &mut DbConn, items: Vec<Change>) -> ServiceResult<Vec<ChangeSummary>> {
    let ids: Vec<ChangeId> = items.iter().map(|c| c.id).collect();
    let mut ci_map = changes::ci_ids_of(conn, &ids)?;
    let mut people: Vec<UserId> = items.iter().map(|c| c.requester_id).collect();
    people.extend(items.iter().filter_map(|c| c.implementer_id));
    people.sort();
    people.dedup();
    let names = users::names(conn, &people)?;
    let name = |id: UserId| names.get(&id).cloned().unwrap_or_default();
    Ok(items
        .into_iter()
        .map(|c| ChangeSummary {
            reference: c.id.reference(),
            requester: name(c.requester_id),
            implementer: c.implementer_id.map(name),
            ci_ids: ci_map.remove(&c.id).unwrap_or_default().into_iter().collect(),
            id: c.id,
            title: c.title,
            change_type: c.change_type,
            state: c.state,
            requester_id: c.requester_id,
            implementer_id: c.implementer_id,
            risk_score: c.risk.score,
            risk_level: c.risk.level,
            planned_start: c.planned_start,
            planned_end: c.planned_end,
            version: c.version,
            updated_at: c.updated_at,
        })
        .collect())
}

/// Everything the change page shows: the change, its trail, and the actions the viewer
/// may take now.
pub struct Detail {
    pub view: ChangeView,
    pub events: Vec<super::audit::EventView>,
    pub actions: Vec<crate::domain::lifecycle::ActionKind>,
    /// The viewer may force a conflicting window (with a reason).
    pub can_force: bool,
    /// Free windows to move the change to, when the viewer may reschedule it.
    pub slots: Vec<super::slots::Slot>,
    /// The members the viewer may vote for, as their delegate.
    pub vote_for: Vec<Caller>,
    /// One rejection rejects the change (the approval settings).
    pub veto: bool,
    /// The viewer could start it but its window has not opened: when it does. `Start` is
    /// then not among `actions`, so the page offers only what would be accepted now.
    pub start_opens: Option<DateTime<Utc>>,
    /// The viewer may add a work note, copy it into a new draft, delete it (a draft of
    /// theirs never submitted).
    pub can_note: bool,
    pub can_copy: bool,
    pub can_delete: bool,
    /// The files attached to it, and whether the viewer may attach one (of at most
    /// `attachment_max_mb` megabytes).
    pub attachments: Vec<super::attachments::AttachmentView>,
    pub can_attach: bool,
    pub attachment_max_mb: u32,
    /// The relations of service-desk records the viewer may link or unlink now.
    pub may_link: Vec<crate::domain::incident::Relation>,
    /// The viewer may edit and publish the change's system message while it is open.
    pub can_manage_message: bool,
}

pub fn detail(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<Detail> {
    ctx.db.read(|conn| {
        let change = load(conn, id)?;
        ctx.require(caller, Permission::Read, &Object::change(&change))?;
        let mut actions = lifecycle::allowed_actions(&ctx.authz, caller, &change);
        let start_opens = match actions.contains(&crate::domain::lifecycle::ActionKind::Start) {
            true => lifecycle::start_opens(&change, ctx.clock.now()),
            false => None,
        };
        if start_opens.is_some() {
            actions.retain(|a| *a != crate::domain::lifecycle::ActionKind::Start);
        }
        let can_force = ctx.authz.allows(caller, Permission::ForceSchedule, &Object::change(&change));
        let events = super::audit::trail(conn, &change)?;
        let slots = match actions.contains(&crate::domain::lifecycle::ActionKind::Reschedule) {
            true if change.window().is_some() => super::slots::free_slots(conn, &change, 3, ctx.clock.now())?,
            _ => Vec::new(),
        };
        let vote_for = super::delegations::may_vote_for(ctx, conn, caller, &change, ctx.clock.now())?;
        let object = Object::change(&change);
        let can_note = ctx.authz.allows(caller, Permission::Note, &object);
        let can_copy = ctx.authz.allows(caller, Permission::Create, &Object::none());
        let can_delete =
            ctx.authz.allows(caller, Permission::Delete, &object) && change.submitted_at.is_none();
        let can_attach = ctx.authz.allows(caller, Permission::Attach, &object);
        let may_link = super::incidents::may_link_now(ctx, caller, &change);
        let can_manage_message = super::system_messages::may_manage(ctx, caller);
        let attachments = crate::db::attachments::of_change(conn, id)?.into_iter().map(Into::into).collect();
        let view = change_view::build(conn, &ctx.config, change, ctx.clock.now())?;
        let veto = ctx.config.approval.veto;
        Ok(Detail {
            view,
            events,
            actions,
            can_force,
            slots,
            vote_for,
            veto,
            start_opens,
            can_note,
            can_copy,
            can_delete,
            attachments,
            can_attach,
            attachment_max_mb: ctx.config.attachment_max_mb,
            may_link,
            can_manage_message,
        })
    })
}

/// Largest page the list returns.
pub const MAX_PAGE: i64 = 200;

crate::domain::text_enum::text_enum! {
    /// How the change list is sorted: by reference (newest or oldest first), by risk, or
    /// by planned start (changes without a window last).
    #[derive(Default)]
    pub enum Sort {
        #[default]
        Newest = "newest",
        Oldest = "oldest",
        RiskHigh = "risk-high",
        RiskLow = "risk-low",
        StartEarly = "start-early",
        StartLate = "start-late",
    }
}

impl Sort {
    fn order(self) -> changes::ListOrder {
        use changes::ListOrder as O;
        match self {
            Sort::Newest => O::Newest,
            Sort::Oldest => O::Oldest,
            Sort::RiskHigh => O::RiskHighest,
            Sort::RiskLow => O::RiskLast,
            Sort::StartEarly => O::StartAscending,
            Sort::StartLate => O::StartDescending,
        }
    }
}

/// What a person asks the change list for (the filters of SPEC §9); every one optional.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Any of these states; empty: every state.
    pub states: Vec<ChangeState>,
    pub change_type: Option<ChangeType>,
    pub risk: Option<crate::domain::risk::RiskLevel>,
    pub ci: Option<CiId>,
    pub requester: Option<UserId>,
    /// Requested by the user with this email address (the list page's field).
    pub requester_email: Option<String>,
    pub implementer: Option<UserId>,
    /// The planned window overlaps `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Words in the title or description (each a word prefix), or a reference.
    pub text: Option<Text>,
    /// Only changes the caller requested or implements.
    pub mine: bool,
    /// Only changes waiting for the caller's next step (`awaits`).
    pub awaiting: bool,
    /// Only changes linked to this service-desk record.
    pub incident: Option<crate::domain::incident::IncidentId>,
    pub sort: Sort,
}

/// Most changes `awaiting` looks through (newest first) for those waiting for the caller.
pub const AWAITING_SCAN: i64 = 1_000;

/// `a` before `b` in `order`, as the database sorts the list.
fn in_order(order: changes::ListOrder, a: &Change, b: &Change) -> std::cmp::Ordering {
    use changes::ListOrder as O;
    use std::cmp::Reverse;
    let start = |c: &Change| (c.planned_start.is_none(), c.planned_start);
    match order {
        O::Newest => b.id.cmp(&a.id),
        O::Oldest => a.id.cmp(&b.id),
        O::RiskFirst => (Reverse(a.risk.score), a.id).cmp(&(Reverse(b.risk.score), b.id)),
        O::RiskHighest => (Reverse(a.risk.score), Reverse(a.id)).cmp(&(Reverse(b.risk.score), Reverse(b.id))),
        O::RiskLast => (a.risk.score, a.id).cmp(&(b.risk.score, b.id)),
        O::Soonest | O::StartAscending => (start(a), a.id).cmp(&(start(b), b.id)),
        O::StartDescending => {
            let key = |c: &Change| (c.planned_start.is_none(), Reverse(c.planned_start), Reverse(c.id));
            key(a).cmp(&key(b))
        }
    }
}

/// Whether `change` waits for `caller`'s next step, as the policy says: submitting their
/// draft, assessing, voting (not yet voted this round), reviewing, and starting or
/// completing work they are the implementer of (a change manager may start anyone's
/// change, but it waits for its implementer, not for every change manager).
fn awaits(ctx: &Ctx, caller: &Caller, change: &Change, voted: bool) -> bool {
    use crate::domain::lifecycle::ActionKind as A;
    let implements = change.implementer_id == Some(caller.id);
    lifecycle::allowed_actions(&ctx.authz, caller, change).iter().any(|action| match action {
        A::Submit | A::Assess | A::Review => true,
        A::Start | A::Complete => implements,
        A::Vote => !voted,
        _ => false,
    })
}

pub fn list(
    ctx: &Ctx,
    caller: &Caller,
    search: &Search,
    limit: i64,
    offset: i64,
) -> ServiceResult<ChangePage> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    let (limit, offset) = (limit.clamp(1, MAX_PAGE), offset.max(0));
    let mut filter = changes::ListFilter {
        states: search.states.clone(),
        change_type: search.change_type,
        risk: search.risk,
        ci: search.ci,
        from: search.from,
        to: search.to,
        query: search.text.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned),
        requester: search.requester,
        implementer: search.implementer,
        involving: search.mine.then_some(caller.id),
        incident: search.incident.clone(),
        order: search.sort.order(),
    };
    ctx.db.read(|conn| {
        if let Some(email) = search.requester_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            match users::id_by_email(conn, &email.to_lowercase())? {
                Some(id) => filter.requester = Some(id),
                None => return Ok(ChangePage { items: Vec::new(), total: 0, total_capped: false }),
            }
        }
        if !search.awaiting {
            let (items, count) = changes::list(conn, &filter, limit, offset)?;
            let items = summaries(conn, items)?;
            return Ok(ChangePage { items, total: count.total, total_capped: count.capped });
        }
        // Waiting for the caller: only states with a next step, the newest `AWAITING_SCAN`
        // of them asked of the policy (one batch query for this round's votes).
        let open = [
            ChangeState::Draft,
            ChangeState::Assess,
            ChangeState::Authorize,
            ChangeState::Scheduled,
            ChangeState::Implement,
            ChangeState::Review,
        ];
        if filter.states.is_empty() {
            filter.states = open.to_vec();
        }
        filter.states.retain(|s| open.contains(s));
        if filter.states.is_empty() {
            return Ok(ChangePage { items: Vec::new(), total: 0, total_capped: false });
        }
        // The newest ones, whatever the order asked for; sorted as asked below.
        let order = filter.order;
        filter.order = changes::ListOrder::Newest;
        let candidates = changes::page(conn, &filter, AWAITING_SCAN, 0)?;
        let ids: Vec<ChangeId> = candidates.iter().map(|c| c.id).collect();
        let cast = crate::db::votes::cast_on(conn, &ids)?;
        let mut waiting: Vec<Change> = candidates
            .into_iter()
            .filter(|c| {
                let voted = cast
                    .iter()
                    .any(|v| v.change == c.id && v.round == c.decision_round && v.ballot.voter == caller.id);
                awaits(ctx, caller, c, voted)
            })
            .collect();
        waiting.sort_by(|a, b| in_order(order, a, b));
        let total = waiting.len() as i64;
        let page = waiting.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok(ChangePage { items: summaries(conn, page)?, total, total_capped: false })
    })
}

/// A window as the gate shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GateWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The deployment gate's answer (SPEC §9): whether a pipeline may deploy now, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GateView {
    #[serde(rename = "ref")]
    pub reference: String,
    pub allowed: bool,
    /// Why, in a sentence for a pipeline's log.
    pub reason: String,
    /// Why, as a code for a program.
    pub code: crate::domain::gate::GateReason,
    pub state: ChangeState,
    /// The planned window (UTC).
    pub window: Option<GateWindow>,
}

/// May a pipeline deploy change `id` now? (Anyone who may read the change may ask.)
pub fn gate(ctx: &Ctx, caller: &Caller, id: ChangeId) -> ServiceResult<GateView> {
    let change = ctx.db.read(|conn| load(conn, id))?;
    ctx.require(caller, Permission::Gate, &Object::change(&change))?;
    let decided = crate::domain::gate::gate(change.state, change.window(), ctx.clock.now());
    Ok(GateView {
        reference: change.id.reference(),
        allowed: decided.allowed,
        reason: decided.explain(),
        code: decided.reason,
        state: change.state,
        window: decided.window.map(|w| GateWindow { start: w.start(), end: w.end() }),
    })
}
