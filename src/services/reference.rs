//! Reference data: configuration items, standard change templates, blackout windows.

use super::audit::{record, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::cis::{self, Ci};
use crate::db::{blackouts, templates, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::Window;
use crate::domain::ids::{CiId, TemplateId};
use crate::domain::text::Text;
use crate::domain::validation::{optional_text, required_text, FieldErrors, Message};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most rows a reference list returns.
pub const LIST_LIMIT: i64 = 500;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCi {
    #[schema(schema_with = crate::domain::schema::required::<200>)]
    pub name: Text,
    #[schema(schema_with = crate::domain::schema::required::<100>)]
    pub kind: Text,
    /// 1 (most critical) to 4.
    #[schema(minimum = 1, maximum = 4)]
    pub criticality: i32,
    #[schema(schema_with = crate::domain::schema::email)]
    pub owner_email: Text,
}

/// A configuration item as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CiView {
    pub id: CiId,
    pub name: String,
    pub kind: String,
    /// 1 (most critical) to 4.
    pub criticality: i32,
    pub owner_email: String,
    /// Kept for the changes that name it; offered and accepted for nothing new.
    pub retired: bool,
}

impl From<Ci> for CiView {
    fn from(ci: Ci) -> Self {
        CiView {
            id: CiId(ci.id),
            name: ci.name,
            kind: ci.kind,
            criticality: ci.criticality,
            owner_email: ci.owner_email,
            retired: ci.retired_at.is_some(),
        }
    }
}

pub fn list_cis(ctx: &Ctx, caller: &Caller, offset: i64) -> ServiceResult<Vec<CiView>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    let rows = ctx.db.query(|conn| cis::list(conn, LIST_LIMIT, offset.max(0)))?;
    Ok(rows.into_iter().map(CiView::from).collect())
}

/// A CI's fields, checked: `(name, kind, owner email)`.
fn ci_fields(input: &NewCi) -> ServiceResult<(String, String, String)> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", required_text(&input.name, 200));
    let kind = errors.check("kind", required_text(&input.kind, 100));
    let email = errors.check("owner_email", crate::services::users::parse_email(&input.owner_email));
    if !(1..=4).contains(&input.criticality) {
        errors.add("criticality", Message::new("msg-criticality"));
    }
    Ok(errors.finish(|| (name.unwrap_or_default(), kind.unwrap_or_default(), email.unwrap_or_default()))?)
}

fn ci_taken(name: &str) -> ServiceError {
    ServiceError::Taken { field: "name", message: Message::new("msg-ci-exists").arg("name", name) }
}

/// The CIs in use (not retired), by name: what forms offer.
pub fn active_cis(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<CiView>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    Ok(ctx.db.query(|conn| cis::list_active(conn, LIST_LIMIT))?.into_iter().map(CiView::from).collect())
}

pub fn create_ci(ctx: &Ctx, caller: &Caller, input: NewCi) -> ServiceResult<CiView> {
    ctx.require(caller, Permission::ManageCis, &Object::none())?;
    let (name, kind, email) = ci_fields(&input)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        if cis::exists_named(conn, &name)? {
            return Err(ci_taken(&name));
        }
        let ci = cis::insert(conn, &name, &kind, input.criticality, &email)?;
        let payload = serde_json::json!({ "ci_id": ci.id, "name": ci.name, "criticality": ci.criticality });
        record(conn, Event::general(Some(caller.id), "create_ci", payload), now)?;
        Ok(CiView::from(ci))
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    #[schema(schema_with = crate::domain::schema::required::<200>)]
    pub name: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<20000>)]
    pub description: Text,
    #[schema(schema_with = crate::domain::schema::required::<20000>)]
    pub implementation_plan: Text,
    #[schema(schema_with = crate::domain::schema::required::<20000>)]
    pub backout_plan: Text,
    #[schema(schema_with = crate::domain::schema::required::<20000>)]
    pub test_plan: Text,
    #[schema(minimum = 1, maximum = 10080)]
    pub max_duration_minutes: i32,
    #[serde(default)]
    /// At most 100 (`reference::MAX_CIS`; the same CI named twice counts once).
    #[schema(max_items = 100)]
    pub ci_ids: Vec<CiId>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub id: TemplateId,
    pub name: String,
    pub description: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub max_duration_minutes: i32,
    pub ci_ids: Vec<CiId>,
    /// Starts no new changes.
    pub retired: bool,
    /// Each save makes a new version: new changes use the latest, a change keeps the
    /// version it was made from.
    pub version: i32,
}

impl From<templates::Template> for TemplateView {
    fn from(t: templates::Template) -> Self {
        TemplateView {
            id: t.id,
            name: t.name,
            description: t.description,
            implementation_plan: t.implementation_plan,
            backout_plan: t.backout_plan,
            test_plan: t.test_plan,
            max_duration_minutes: t.max_duration_minutes,
            ci_ids: t.ci_ids.into_iter().collect(),
            retired: t.retired,
            version: t.version,
        }
    }
}

pub fn list_templates(ctx: &Ctx, caller: &Caller, offset: i64) -> ServiceResult<Vec<TemplateView>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    let list = ctx.db.query(|conn| templates::list(conn, LIST_LIMIT, offset.max(0)))?;
    Ok(list.into_iter().map(TemplateView::from).collect())
}

/// Most CIs one change, template or blackout may name.
pub const MAX_CIS: usize = 100;

/// Records a field error for each of `ids` that names no CI or a retired one, or when there
/// are too many.
pub fn check_cis(conn: &mut DbConn, ids: &BTreeSet<CiId>, errors: &mut FieldErrors) -> ServiceResult<()> {
    check_cis_keeping(conn, ids, &BTreeSet::new(), errors)
}

/// As `check_cis`, but the retired CIs among `kept` (those the record named already) may
/// stay: retiring a CI does not make the changes that name it uneditable.
pub fn check_cis_keeping(
    conn: &mut DbConn,
    ids: &BTreeSet<CiId>,
    kept: &BTreeSet<CiId>,
    errors: &mut FieldErrors,
) -> ServiceResult<()> {
    if ids.len() > MAX_CIS {
        errors.add("ci_ids", Message::new("msg-too-many-cis").arg("max", MAX_CIS));
        return Ok(());
    }
    let list: Vec<CiId> = ids.iter().copied().collect();
    let found = cis::by_ids(conn, &list)?;
    let known: BTreeSet<CiId> = found.iter().map(|c| CiId(c.id)).collect();
    for missing in ids.difference(&known) {
        errors.add("ci_ids", Message::new("msg-no-ci").arg("id", missing));
    }
    for retired in found.iter().filter(|c| c.retired_at.is_some() && !kept.contains(&CiId(c.id))) {
        errors.add("ci_ids", Message::new("msg-ci-retired").arg("name", &retired.name));
    }
    Ok(())
}

/// A template's fields, checked (its CIs must exist and be in use).
fn template_fields(
    conn: &mut DbConn,
    caller: &Caller,
    input: &NewTemplate,
    now: DateTime<Utc>,
) -> ServiceResult<templates::Template> {
    {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", required_text(&input.name, 200));
        let description = errors.check("description", optional_text(&input.description, 20_000));
        let implementation =
            errors.check("implementation_plan", required_text(&input.implementation_plan, 20_000));
        let backout = errors.check("backout_plan", required_text(&input.backout_plan, 20_000));
        let test = errors.check("test_plan", required_text(&input.test_plan, 20_000));
        if !(1..=7 * 24 * 60).contains(&input.max_duration_minutes) {
            errors.add("max_duration_minutes", Message::new("msg-max-duration"));
        }
        let ci_ids: BTreeSet<CiId> = input.ci_ids.iter().copied().collect();
        check_cis(conn, &ci_ids, &mut errors)?;
        let template = errors.finish(|| templates::Template {
            id: TemplateId(0),
            name: name.unwrap_or_default(),
            description: description.unwrap_or_default(),
            implementation_plan: implementation.unwrap_or_default(),
            backout_plan: backout.unwrap_or_default(),
            test_plan: test.unwrap_or_default(),
            max_duration_minutes: input.max_duration_minutes,
            ci_ids,
            created_by: caller.id,
            created_at: now,
            retired: false,
            version: 1,
        })?;
        Ok(template)
    }
}

pub fn create_template(ctx: &Ctx, caller: &Caller, input: NewTemplate) -> ServiceResult<TemplateView> {
    ctx.require(caller, Permission::ManageTemplates, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let template = insert_template(conn, caller, &input, now)?;
        let payload = serde_json::json!({ "template_id": template.id, "name": template.name });
        record(conn, Event::general(Some(caller.id), "create_template", payload), now)?;
        Ok(TemplateView::from(template))
    })
}

/// Checks and stores a new template (its first version) inside the caller's
/// transaction; the caller records the event.
pub(crate) fn insert_template(
    conn: &mut DbConn,
    caller: &Caller,
    input: &NewTemplate,
    now: DateTime<Utc>,
) -> ServiceResult<templates::Template> {
    let template = template_fields(conn, caller, input, now)?;
    if templates::exists_named(conn, &template.name)? {
        let message = Message::new("msg-template-exists").arg("name", &template.name);
        return Err(ServiceError::Taken { field: "name", message });
    }
    let id = templates::insert(conn, &template)?;
    Ok(templates::Template { id, ..template })
}

/// Every version of a template, oldest first: what each said, who saved it and when.
pub fn template_versions(
    ctx: &Ctx,
    caller: &Caller,
    id: TemplateId,
) -> ServiceResult<Vec<TemplateVersionView>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    let versions = ctx.db.query(|conn| templates::versions(conn, id))?;
    if versions.is_empty() {
        return Err(no_template(id));
    }
    Ok(versions
        .into_iter()
        .map(|t| TemplateVersionView {
            saved_by: t.created_by,
            saved_at: t.created_at,
            template: TemplateView::from(t),
        })
        .collect())
}

/// One version of a template as it was saved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateVersionView {
    #[serde(flatten)]
    pub template: TemplateView,
    pub saved_by: crate::domain::ids::UserId,
    pub saved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlackout {
    #[schema(schema_with = crate::domain::schema::required::<200>)]
    pub title: Text,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Empty: a global freeze.
    #[serde(default)]
    /// At most 100 (`reference::MAX_CIS`; the same CI named twice counts once).
    #[schema(max_items = 100)]
    pub ci_ids: Vec<CiId>,
}

/// A booked change a new or moved blackout covers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Covered {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlackoutView {
    pub id: i32,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub ci_ids: Vec<CiId>,
    /// When it was just created or moved: the booked (scheduled or in implementation)
    /// changes it newly covers; their requesters and implementers get an email.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Covered>,
}

impl From<crate::domain::schedule::Freeze> for BlackoutView {
    fn from(f: crate::domain::schedule::Freeze) -> Self {
        BlackoutView {
            id: f.id,
            title: f.title,
            starts_at: f.window.start(),
            ends_at: f.window.end(),
            ci_ids: f.ci_ids.into_iter().collect(),
            covers: Vec::new(),
        }
    }
}

/// Most booked changes one blackout is checked against (and announced to).
const COVERED_LIMIT: i64 = 500;

/// The booked changes (scheduled or in implementation) whose windows `window` overlaps,
/// on one of `ci_ids` (any, for a global freeze).
fn covered(
    conn: &mut DbConn,
    window: Window,
    ci_ids: &BTreeSet<CiId>,
) -> ServiceResult<Vec<crate::domain::change::Change>> {
    use crate::domain::change::ChangeState;
    let states = [ChangeState::Scheduled, ChangeState::Implement];
    let period = (window.start(), window.end());
    Ok(match ci_ids.is_empty() {
        // A global freeze covers every booked change in it.
        true => crate::db::changes::in_window(conn, &states, period.0, period.1, COVERED_LIMIT)?,
        false => crate::db::changes::in_window_on_cis(conn, &states, period, ci_ids, COVERED_LIMIT)?,
    })
}

/// Emails the requester and implementer of each of `changes` that blackout `title`
/// (`window`) now covers them, and lists them for the one who set it.
fn announce_covered(
    conn: &mut DbConn,
    title: &str,
    window: Window,
    changes: &[crate::domain::change::Change],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Covered>> {
    let mut people: Vec<_> =
        changes.iter().flat_map(|c| std::iter::once(c.requester_id).chain(c.implementer_id)).collect();
    people.sort();
    people.dedup();
    let known = crate::db::users::callers(conn, &people)?;
    for change in changes {
        let recipients: Vec<Caller> = known
            .iter()
            .filter(|p| p.id == change.requester_id || Some(p.id) == change.implementer_id)
            .cloned()
            .collect();
        super::notices::queue_blackout(
            conn,
            change,
            &recipients,
            (title, window.start(), window.end()),
            now,
        )?;
    }
    Ok(changes
        .iter()
        .map(|c| Covered {
            reference: c.id.reference(),
            title: c.title.clone(),
            planned_start: c.planned_start,
            planned_end: c.planned_end,
        })
        .collect())
}

pub fn list_blackouts(
    ctx: &Ctx,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ServiceResult<Vec<BlackoutView>> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    let list = ctx.db.query(|conn| blackouts::overlapping(conn, from, to, LIST_LIMIT))?;
    Ok(list.into_iter().map(BlackoutView::from).collect())
}

/// A blackout's fields, checked: `(title, window, CIs)`.
fn blackout_fields(
    conn: &mut DbConn,
    input: &NewBlackout,
) -> ServiceResult<(String, Window, BTreeSet<CiId>)> {
    let mut errors = FieldErrors::default();
    let title = errors.check("title", required_text(&input.title, 200));
    let window = errors.check("ends_at", Window::period(input.starts_at, input.ends_at));
    let ci_ids: BTreeSet<CiId> = input.ci_ids.iter().copied().collect();
    check_cis(conn, &ci_ids, &mut errors)?;
    errors.finish(|| ())?;
    match (title, window) {
        (Some(title), Some(window)) => Ok((title, window, ci_ids)),
        _ => Err(ServiceError::Internal(anyhow::anyhow!("validated blackout fields missing"))),
    }
}

pub fn create_blackout(ctx: &Ctx, caller: &Caller, input: NewBlackout) -> ServiceResult<BlackoutView> {
    ctx.require(caller, Permission::ManageBlackouts, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let (title, window, ci_ids) = blackout_fields(conn, &input)?;
        let id = blackouts::insert(conn, &title, window, &ci_ids, caller.id, now)?;
        let changes = covered(conn, window, &ci_ids)?;
        let covers = announce_covered(conn, &title, window, &changes, now)?;
        let refs: Vec<&str> = covers.iter().map(|c| c.reference.as_str()).collect();
        let payload = serde_json::json!({ "blackout_id": id, "title": title, "starts_at": window.start(), "ends_at": window.end(), "covers": refs });
        record(conn, Event::general(Some(caller.id), "create_blackout", payload), now)?;
        Ok(BlackoutView { id, title, starts_at: window.start(), ends_at: window.end(), ci_ids: ci_ids.into_iter().collect(), covers })
    })
}

/// What the change form offers to choose from, read in one transaction.
pub struct FormChoices {
    pub cis: Vec<CiView>,
    pub templates: Vec<TemplateView>,
    pub implementers: Vec<Caller>,
}

/// The form's choices plus the CIs and template a change already names, even retired
/// (so editing it does not silently drop them).
pub fn form_choices_keeping(
    ctx: &Ctx,
    caller: &Caller,
    ci_ids: &[CiId],
    template: Option<TemplateId>,
) -> ServiceResult<FormChoices> {
    let mut choices = form_choices(ctx, caller)?;
    let missing: Vec<CiId> =
        ci_ids.iter().copied().filter(|id| !choices.cis.iter().any(|c| c.id == *id)).collect();
    if !missing.is_empty() {
        let named = ctx.db.query(|conn| cis::by_ids(conn, &missing))?;
        choices.cis.extend(named.into_iter().map(CiView::from));
    }
    if let Some(id) = template.filter(|id| !choices.templates.iter().any(|t| t.id == *id)) {
        if let Some(found) = ctx.db.query(|conn| templates::find(conn, id))? {
            choices.templates.push(TemplateView::from(found));
        }
    }
    Ok(choices)
}

pub fn form_choices(ctx: &Ctx, caller: &Caller) -> ServiceResult<FormChoices> {
    ctx.require(caller, Permission::ReadReference, &Object::none())?;
    ctx.db.read(|conn| {
        Ok(FormChoices {
            cis: cis::list_active(conn, LIST_LIMIT)?.into_iter().map(CiView::from).collect(),
            templates: templates::list_active(conn, LIST_LIMIT)?
                .into_iter()
                .map(TemplateView::from)
                .collect(),
            implementers: super::who_may(conn, &ctx.authz, Permission::BeImplementer, &Object::none())?,
        })
    })
}

/// Saves a CI's fields (admins; audited). Changes that name it keep naming it.
pub fn update_ci(ctx: &Ctx, caller: &Caller, id: CiId, input: NewCi) -> ServiceResult<CiView> {
    ctx.require(caller, Permission::ManageCis, &Object::none())?;
    let (name, kind, owner_email) = ci_fields(&input)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let before = cis::find(conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("there is no CI {}", id.0)))?;
        if cis::exists_named_other(conn, &name, id.0)? {
            return Err(ci_taken(&name));
        }
        let ci = Ci { name, kind, criticality: input.criticality, owner_email, ..before.clone() };
        cis::update(conn, &ci)?;
        let payload = serde_json::json!({ "ci_id": id, "before": CiView::from(before), "after": CiView::from(ci.clone()) });
        record(conn, Event::general(Some(caller.id), "update_ci", payload), now)?;
        Ok(CiView::from(ci))
    })
}

/// Retires a CI (admins; audited): offered and accepted for nothing new from now on.
pub fn retire_ci(ctx: &Ctx, caller: &Caller, id: CiId) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageCis, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let ci =
            cis::find(conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("there is no CI {}", id.0)))?;
        if !cis::retire(conn, id, now)? {
            return Err(ServiceError::Conflict(Message::new("msg-already-retired").arg("name", &ci.name)));
        }
        record(
            conn,
            Event::general(Some(caller.id), "retire_ci", serde_json::json!({ "ci_id": id, "name": ci.name })),
            now,
        )?;
        Ok(())
    })
}

fn no_template(id: TemplateId) -> ServiceError {
    ServiceError::NotFound(format!("there is no template {}", id.0))
}

/// Saves a template (admins, change managers; audited). Changes made from it keep what
/// they copied.
pub fn update_template(
    ctx: &Ctx,
    caller: &Caller,
    id: TemplateId,
    input: NewTemplate,
) -> ServiceResult<TemplateView> {
    ctx.require(caller, Permission::ManageTemplates, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let before = templates::find(conn, id)?.ok_or_else(|| no_template(id))?;
        let fields = template_fields(conn, caller, &input, now)?;
        if templates::exists_named_other(conn, &fields.name, id)? {
            let message = Message::new("msg-template-exists").arg("name", &fields.name);
            return Err(ServiceError::Taken { field: "name", message });
        }
        let template = templates::Template {
            id,
            created_by: before.created_by,
            created_at: before.created_at,
            retired: before.retired,
            version: before.version,
            ..fields
        };
        let unchanged = templates::Template { version: before.version, ..before.clone() } == template;
        if unchanged {
            return Ok(TemplateView::from(template));
        }
        // A new version: new changes use it; changes made from an earlier one keep theirs.
        let template = templates::Template { version: before.version + 1, ..template };
        templates::update(conn, &template, (caller.id, now))?;
        let payload = serde_json::json!({ "template_id": id, "version": template.version, "before": TemplateView::from(before), "after": TemplateView::from(template.clone()) });
        record(conn, Event::general(Some(caller.id), "update_template", payload), now)?;
        Ok(TemplateView::from(template))
    })
}

/// Retires a template (admins, change managers; audited): it starts no new changes.
pub fn retire_template(ctx: &Ctx, caller: &Caller, id: TemplateId) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageTemplates, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let template = templates::find(conn, id)?.ok_or_else(|| no_template(id))?;
        if !templates::retire(conn, id, now)? {
            return Err(ServiceError::Conflict(
                Message::new("msg-already-retired").arg("name", &template.name),
            ));
        }
        let payload = serde_json::json!({ "template_id": id, "name": template.name });
        record(conn, Event::general(Some(caller.id), "retire_template", payload), now)?;
        Ok(())
    })
}

fn no_blackout(id: i32) -> ServiceError {
    ServiceError::NotFound(format!("there is no blackout {id} in force"))
}

/// Moves or renames a blackout in force (admins, change managers; audited). Changes
/// already scheduled are not re-checked; the calendar shows the new conflicts.
pub fn update_blackout(
    ctx: &Ctx,
    caller: &Caller,
    id: i32,
    input: NewBlackout,
) -> ServiceResult<BlackoutView> {
    ctx.require(caller, Permission::ManageBlackouts, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let before = blackouts::find(conn, id)?.ok_or_else(|| no_blackout(id))?;
        let (title, window, ci_ids) = blackout_fields(conn, &input)?;
        let already: BTreeSet<_> =
            covered(conn, before.window, &before.ci_ids)?.into_iter().map(|c| c.id).collect();
        blackouts::update(conn, id, &title, window, &ci_ids)?;
        // Only the changes it covers now and did not before hear of it.
        let newly: Vec<_> =
            covered(conn, window, &ci_ids)?.into_iter().filter(|c| !already.contains(&c.id)).collect();
        let covers = announce_covered(conn, &title, window, &newly, now)?;
        let after = BlackoutView {
            id,
            title,
            starts_at: window.start(),
            ends_at: window.end(),
            ci_ids: ci_ids.into_iter().collect(),
            covers,
        };
        let payload =
            serde_json::json!({ "blackout_id": id, "before": BlackoutView::from(before), "after": after });
        record(conn, Event::general(Some(caller.id), "update_blackout", payload), now)?;
        Ok(after)
    })
}

/// Retires a blackout (admins, change managers; audited): it freezes nothing from now on.
pub fn retire_blackout(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageBlackouts, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let freeze = blackouts::find(conn, id)?.ok_or_else(|| no_blackout(id))?;
        blackouts::retire(conn, id, now)?;
        let payload = serde_json::json!({ "blackout_id": id, "title": freeze.title });
        record(conn, Event::general(Some(caller.id), "retire_blackout", payload), now)?;
        Ok(())
    })
}
