//! `/admin`: users and their roles, configuration items, standard change templates and
//! blackout windows. Every form goes through the same services (and policy) as the API.

use super::forms::{ci_ids, local_field};
use super::{html, see_other, Refusal};
use crate::domain::ids::{CiId, TemplateId};
use crate::domain::role::Role;
use crate::domain::text::Text;
use crate::domain::validation::{FieldError, FieldErrors, Message};
use crate::services::admin::{self, Section};
use crate::services::reference::{self, NewBlackout, NewCi, NewTemplate};
use crate::services::users::{self, NewUser};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Query;
use crate::web::session::{page_run, Form, PageError, TypedForm, Viewer};
use crate::web::views::admin as view;
use crate::web::views::components::Errors;
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// The sections the viewer may manage; 403 to one who manages none.
pub async fn index(ctx: web::Data<Ctx>, viewer: Viewer) -> HttpResponse {
    let sections = admin::sections(&ctx, &viewer.caller);
    let title = viewer.lang.t("nav-admin");
    match sections.is_empty() {
        true => {
            let body =
                maud::html! { div.errors role="alert" { p { (viewer.lang.t("admin-nothing-yours")) } } };
            html(StatusCode::FORBIDDEN, page(&viewer, &title, body))
        }
        false => html(StatusCode::OK, page(&viewer, &title, view::index(&viewer, &sections))),
    }
}

/// Which admin page a form belongs to: a section, and the item its form edits (none: the
/// add form).
#[derive(Debug, Clone, Copy)]
struct Target {
    section: Section,
    editing: Option<i32>,
}

impl From<Section> for Target {
    fn from(section: Section) -> Self {
        Target { section, editing: None }
    }
}

/// What an admin page shows besides its listing: a form's errors with what was typed
/// (so nothing typed is lost), and the users' search text.
#[derive(Default)]
struct Shown {
    status: Option<StatusCode>,
    errors: Vec<FieldError>,
    typed: Vec<(String, String)>,
    search: String,
    /// Why a form of a list's rows was refused, in words.
    problem: Option<String>,
}

impl Shown {
    /// A form shown again with its errors, what was typed into it (none for the forms
    /// of a list's rows, which the add form must not take up), and the status.
    fn again(status: StatusCode, errors: Vec<FieldError>, typed: Vec<(String, String)>) -> Shown {
        Shown { status: Some(status), errors, typed, search: String::new(), problem: None }
    }
}

async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    target: impl Into<Target>,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let Target { section, editing } = target.into();
    let caller = viewer.caller.clone();
    let searched = shown.search.clone();
    let listing =
        page_run(ctx, viewer.lang, move |ctx| admin::listing(ctx, &caller, section, &searched)).await?;
    let title = viewer.lang.t(view::title_key(section));
    let errors = Errors::new(viewer.lang, shown.errors);
    // An edit form starts from the item as it is; one sent back keeps what was typed.
    let editing = editing.filter(|id| view::editable(section, &listing, *id));
    let typed = match (editing, shown.typed.is_empty()) {
        (Some(id), true) => view::prefill(section, &listing, id, viewer.zone),
        _ => shown.typed,
    };
    let form = view::Typed { errors: &errors, values: &typed, editing, problem: shown.problem.as_deref() };
    let body = view::section(&viewer, section, &listing, &shown.search, &form);
    Ok(html(shown.status.unwrap_or(StatusCode::OK), page(&viewer, &title, body)))
}

/// `?edit=<id>`: the section's form edits that item.
#[derive(serde::Deserialize)]
pub struct Editing {
    edit: Option<i32>,
}

#[derive(serde::Deserialize)]
pub struct Search {
    q: Option<Text>,
}

pub async fn users_page(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    search: Query<Search>,
) -> Result<HttpResponse, PageError> {
    let search = search.into_inner().q.map(String::from).unwrap_or_default();
    show(ctx, viewer, Section::Users, Shown { search, ..Shown::default() }).await
}

pub async fn notices_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Notices, Shown::default()).await
}

pub async fn retry_notice(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    submit(ctx, viewer, Section::Notices, Vec::new(), move |ctx, caller| {
        crate::services::outbox::retry(ctx, caller, id)
    })
    .await
}

pub async fn webhooks_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Webhooks, Shown::default()).await
}

/// Subscribes an address to change events; the confirmation shows its signing secret,
/// this once.
pub async fn add_webhook(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    if !form.invalid().is_empty() {
        return refused_fields(ctx, viewer, Section::Webhooks, &form, form.invalid()).await;
    }
    let new = crate::services::webhooks::NewWebhook {
        url: form.get("url").to_owned(),
        secret: Some(form.get("secret").to_owned()).filter(|s| !s.is_empty()),
        events: form.all("events").iter().filter_map(|e| e.parse().ok()).collect(),
        active: true,
    };
    let (caller, typed) = (viewer.caller.clone(), form.typed());
    match crate::web::run(ctx.clone(), move |ctx| crate::services::webhooks::create(ctx, &caller, new)).await
    {
        Ok(made) => {
            viewer.confirm(
                viewer.lang.t_with("webhook-created", &[("secret", crate::i18n::arg(&made.secret))]),
            );
            Ok(see_other(&format!("/admin/webhooks/{}", made.webhook.id)))
        }
        Err(error) => {
            let (status, errors) = Refusal::fields_or_page(error, viewer.lang)?;
            show(ctx, viewer, Section::Webhooks, Shown::again(status, errors, typed)).await
        }
    }
}

pub async fn cis_page(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<Editing>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Cis, editing: query.edit };
    show(ctx, viewer, target, Shown::default()).await
}

pub async fn templates_page(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<Editing>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Templates, editing: query.edit };
    show(ctx, viewer, target, Shown::default()).await
}

pub async fn blackouts_page(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<Editing>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Blackouts, editing: query.edit };
    show(ctx, viewer, target, Shown::default()).await
}

/// Runs a form's service; on field errors shows the section again with them and with
/// what was typed.
async fn submit<F>(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    target: impl Into<Target>,
    typed: Vec<(String, String)>,
    work: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(&Ctx, &crate::domain::caller::Caller) -> ServiceResult<()> + Send + 'static,
{
    submit_then(ctx, viewer, target, typed, work, |_, ()| ()).await
}

/// As `submit`, with `landed` given what the service returned, before the redirect (to
/// say what it did).
async fn submit_then<T, F>(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    target: impl Into<Target>,
    typed: Vec<(String, String)>,
    work: F,
    landed: impl FnOnce(&Viewer, T),
) -> Result<HttpResponse, PageError>
where
    T: Send + 'static,
    F: FnOnce(&Ctx, &crate::domain::caller::Caller) -> ServiceResult<T> + Send + 'static,
{
    let target = target.into();
    let section = target.section;
    let caller = viewer.caller.clone();
    let lang = viewer.lang;
    match crate::web::run(ctx.clone(), move |ctx| work(ctx, &caller)).await {
        Ok(done) => {
            landed(&viewer, done);
            Ok(see_other(view::path(section)))
        }
        Err(error) => {
            let (status, errors) = Refusal::fields_or_page(error, lang)?;
            show(ctx, viewer, target, Shown::again(status, errors, typed)).await
        }
    }
}

/// The form's own refusals (a control character), before any service runs.
async fn refused_fields(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    target: impl Into<Target>,
    form: &Form,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, target, Shown::again(StatusCode::UNPROCESSABLE_ENTITY, errors, form.typed())).await
}

/// The field errors a form starts with: its fields refused for a control character.
fn refused_characters(form: &Form) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for refused in form.invalid() {
        errors.add(refused.field, refused.message);
    }
    errors
}

fn roles(form: &Form) -> std::collections::BTreeSet<Role> {
    form.all("roles").into_iter().filter_map(|r| r.parse().ok()).collect()
}

pub async fn add_user(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    if !form.invalid().is_empty() {
        return refused_fields(ctx, viewer, Section::Users, &form, form.invalid()).await;
    }
    let input = NewUser {
        email: form.get("email").to_owned(),
        name: form.get("name").to_owned(),
        roles: roles(&form),
        password: form.get("password").to_owned(),
    };
    submit(ctx, viewer, Section::Users, form.typed(), move |ctx, caller| {
        users::add(ctx, Some(caller), input).map(|_| ())
    })
    .await
}

pub async fn set_roles(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let (email, held) = (form.get("email").to_owned(), roles(&form));
    submit(ctx, viewer, Section::Users, Vec::new(), move |ctx, caller| {
        users::set_roles(ctx, Some(caller), &email, held).map(|_| ())
    })
    .await
}

/// Deactivates a user's account (their sessions and tokens end at once).
pub async fn deactivate_user(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = crate::domain::ids::UserId(id.into_inner());
    let work = move |ctx: &Ctx, caller: &crate::domain::caller::Caller| {
        crate::services::accounts::deactivate(ctx, Some(caller), id)
    };
    submit_then(ctx, viewer, Section::Users, Vec::new(), work, |viewer, done| {
        let args = [
            ("email", crate::i18n::arg(&done.email)),
            ("count", crate::i18n::num(done.flagged_changes.len() as i64)),
        ];
        viewer.confirm(viewer.lang.t_with("admin-deactivated", &args));
    })
    .await
}

pub async fn reactivate_user(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = crate::domain::ids::UserId(id.into_inner());
    submit_then(
        ctx,
        viewer,
        Section::Users,
        Vec::new(),
        move |ctx, caller| crate::services::accounts::reactivate(ctx, Some(caller), id),
        |viewer, ()| viewer.confirm(viewer.lang.t("admin-reactivated")),
    )
    .await
}

/// Emails a user a link to set a new password.
pub async fn send_password_reset(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = crate::domain::ids::UserId(id.into_inner());
    submit_then(
        ctx,
        viewer,
        Section::Users,
        Vec::new(),
        move |ctx, caller| crate::services::accounts::send_reset(ctx, caller, id),
        |viewer, email| {
            viewer.confirm(viewer.lang.t_with("admin-reset-sent", &[("email", crate::i18n::arg(email))]))
        },
    )
    .await
}

pub async fn add_ci(ctx: web::Data<Ctx>, viewer: Viewer, form: TypedForm) -> Result<HttpResponse, PageError> {
    ci_form(ctx, viewer, form.0, None).await
}

pub async fn save_ci(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    ci_form(ctx, viewer, form.0, Some(id.into_inner())).await
}

/// Adds a CI, or saves the one `editing` names.
async fn ci_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    editing: Option<i32>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Cis, editing };
    if !form.invalid().is_empty() {
        return refused_fields(ctx, viewer, target, &form, form.invalid()).await;
    }
    let input = NewCi {
        name: form.text("name"),
        kind: form.text("kind"),
        criticality: form.get("criticality").parse().unwrap_or(0),
        owner_email: form.text("owner_email"),
    };
    submit(ctx, viewer, target, form.typed(), move |ctx, caller| match editing {
        None => reference::create_ci(ctx, caller, input).map(|_| ()),
        Some(id) => reference::update_ci(ctx, caller, CiId(id), input).map(|_| ()),
    })
    .await
}

pub async fn add_template(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    template_form(ctx, viewer, form.0, None).await
}

pub async fn save_template(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    template_form(ctx, viewer, form.0, Some(id.into_inner())).await
}

async fn template_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    editing: Option<i32>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Templates, editing };
    let mut errors = refused_characters(&form);
    let input = NewTemplate {
        name: form.text("name"),
        description: form.text("description"),
        implementation_plan: form.text("implementation_plan"),
        backout_plan: form.text("backout_plan"),
        test_plan: form.text("test_plan"),
        max_duration_minutes: form.get("max_duration_minutes").parse().unwrap_or(0),
        ci_ids: ci_ids(&form, &mut errors),
    };
    if let Err(errors) = errors.finish(|| ()) {
        return refused_fields(ctx, viewer, target, &form, errors).await;
    }
    submit(ctx, viewer, target, form.typed(), move |ctx, caller| match editing {
        None => reference::create_template(ctx, caller, input).map(|_| ()),
        Some(id) => reference::update_template(ctx, caller, TemplateId(id), input).map(|_| ()),
    })
    .await
}

pub async fn add_blackout(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    blackout_form(ctx, viewer, form.0, None).await
}

pub async fn save_blackout(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    blackout_form(ctx, viewer, form.0, Some(id.into_inner())).await
}

async fn blackout_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    editing: Option<i32>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Blackouts, editing };
    let mut errors = refused_characters(&form);
    let starts_at = errors.check("starts_at", local_field(&form, viewer.zone, "starts_at")).flatten();
    let ends_at = errors.check("ends_at", local_field(&form, viewer.zone, "ends_at")).flatten();
    if starts_at.is_none() || ends_at.is_none() {
        errors.add("starts_at", Message::new("msg-blackout-period"));
    }
    let ci_ids = ci_ids(&form, &mut errors);
    let title = form.text("title");
    let input = match (errors.finish(|| ()), starts_at, ends_at) {
        (Ok(()), Some(starts_at), Some(ends_at)) => NewBlackout { title, starts_at, ends_at, ci_ids },
        (finished, _, _) => {
            let errors = finished.err().unwrap_or_default();
            return refused_fields(ctx, viewer, target, &form, errors).await;
        }
    };
    let work = move |ctx: &Ctx, caller: &_| match editing {
        None => reference::create_blackout(ctx, caller, input),
        Some(id) => reference::update_blackout(ctx, caller, id, input),
    };
    // The booked changes it covers, named to the one who set it.
    submit_then(ctx, viewer, target, form.typed(), work, |viewer, blackout| {
        if !blackout.covers.is_empty() {
            // The first ten by name (the confirmation travels in the session cookie).
            let mut refs: Vec<String> =
                blackout.covers.iter().take(10).map(|c| c.reference.clone()).collect();
            let more = blackout.covers.len() - refs.len();
            if more > 0 {
                refs.push(viewer.lang.t_with("list-and-more", &[("count", crate::i18n::num(more as i64))]));
            }
            let args = [
                ("count", crate::i18n::num(blackout.covers.len() as i64)),
                ("refs", crate::i18n::arg(refs.join(", "))),
            ];
            viewer.confirm(viewer.lang.t_with("done-blackout-covers", &args));
        }
    })
    .await
}

/// Retires a CI, a template or a blackout (`kind` in the path).
pub async fn retire(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    path: web::Path<(String, i32)>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (kind, id) = path.into_inner();
    let section = match kind.as_str() {
        "cis" => Section::Cis,
        "templates" => Section::Templates,
        "blackouts" => Section::Blackouts,
        _ => {
            let error = crate::services::ServiceError::NotFound(format!("nothing to retire in {kind}"));
            return Err(PageError::Service { error, lang: viewer.lang });
        }
    };
    submit(ctx, viewer, section, Vec::new(), move |ctx, caller| match section {
        Section::Cis => reference::retire_ci(ctx, caller, CiId(id)),
        Section::Templates => reference::retire_template(ctx, caller, TemplateId(id)),
        _ => reference::retire_blackout(ctx, caller, id),
    })
    .await
}

/// Makes a candidate standard template a template; a refusal shows the page again with
/// why, and what was typed into that candidate's form.
pub async fn accept_candidate(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let input = crate::services::candidates::AcceptInput {
        name: form.text("candidate_name"),
        max_duration_minutes: form.get("candidate_max").parse().ok().or(Some(0)),
    };
    let segment = id.into_inner();
    let work = move |ctx: &Ctx, caller: &crate::domain::caller::Caller| {
        let id = crate::web::api::change_id(&segment)?;
        crate::services::candidates::accept(ctx, caller, id, input)
    };
    candidate_form(ctx, viewer, &form, work, |viewer, made: reference::TemplateView| {
        viewer.lang.t_with("done-candidate-accepted", &[("name", crate::i18n::arg(made.name))])
    })
    .await
}

/// Stops proposing a candidate standard template.
pub async fn dismiss_candidate(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let segment = id.into_inner();
    let work = move |ctx: &Ctx, caller: &crate::domain::caller::Caller| {
        let id = crate::web::api::change_id(&segment)?;
        crate::services::candidates::dismiss(ctx, caller, id)
    };
    candidate_form(ctx, viewer, &form, work, |viewer, ()| viewer.lang.t("done-candidate-dismissed")).await
}

async fn candidate_form<T: Send + 'static>(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: &Form,
    work: impl FnOnce(&Ctx, &crate::domain::caller::Caller) -> ServiceResult<T> + Send + 'static,
    done: impl FnOnce(&Viewer, T) -> String,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| work(ctx, &caller)).await {
        Ok(made) => {
            let message = done(&viewer, made);
            viewer.confirm(message);
            Ok(see_other("/admin/templates#candidates"))
        }
        Err(error) => {
            let (status, problem) = Refusal::message(error, viewer.lang)?;
            let shown = Shown {
                status: Some(status),
                typed: form.typed(),
                problem: Some(problem),
                ..Shown::default()
            };
            show(ctx, viewer, Section::Templates, shown).await
        }
    }
}

pub async fn calendar_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Calendar, Shown::default()).await
}

/// Closes a day (its date from a date field, `YYYY-MM-DD`).
pub async fn close_day(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    let mut errors = refused_characters(&form);
    let day = errors.check(
        "day",
        super::forms::typed_date(form.get("day")).ok_or_else(|| Message::new("msg-date-format")),
    );
    let input = match (errors.finish(|| ()), day) {
        (Ok(()), Some(day)) => crate::services::workdays::NewClosedDay { day, name: form.text("name") },
        (finished, _) => {
            let errors = finished.err().unwrap_or_default();
            return refused_fields(ctx, viewer, Section::Calendar, &form, errors).await;
        }
    };
    submit(ctx, viewer, Section::Calendar, form.typed(), move |ctx, caller| {
        crate::services::workdays::close(ctx, caller, input).map(|_| ())
    })
    .await
}

/// Makes a closed day a working day again.
pub async fn reopen_day(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    day: web::Path<chrono::NaiveDate>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let day = day.into_inner();
    submit(ctx, viewer, Section::Calendar, Vec::new(), move |ctx, caller| {
        crate::services::workdays::reopen(ctx, caller, day)
    })
    .await
}

pub async fn maintenance_page(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<Editing>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Maintenance, editing: query.edit };
    show(ctx, viewer, target, Shown::default()).await
}

/// Adds a weekly maintenance window to a CI (in the service's zone).
pub async fn add_window(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    window_form(ctx, viewer, form.0, None).await
}

pub async fn save_window(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    window_form(ctx, viewer, form.0, Some(id.into_inner())).await
}

async fn window_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    editing: Option<i32>,
) -> Result<HttpResponse, PageError> {
    let target = Target { section: Section::Maintenance, editing };
    let mut errors = refused_characters(&form);
    let ci = errors.check("ci_id", form.get("ci_id").parse::<i32>().map_err(|_| Message::new("msg-choice")));
    let input = match (errors.finish(|| ()), ci) {
        (Ok(()), Some(ci)) => crate::services::maintenance::NewMaintenanceWindow {
            ci_id: CiId(ci),
            weekday: form.get("weekday").to_owned(),
            starts: form.get("starts").to_owned(),
            ends: form.get("ends").to_owned(),
            zone: None,
        },
        (finished, _) => {
            let errors = finished.err().unwrap_or_default();
            return refused_fields(ctx, viewer, target, &form, errors).await;
        }
    };
    submit(ctx, viewer, target, form.typed(), move |ctx, caller| match editing {
        None => crate::services::maintenance::add(ctx, caller, input).map(|_| ()),
        Some(id) => crate::services::maintenance::update(ctx, caller, id, input).map(|_| ()),
    })
    .await
}

pub async fn remove_window(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    submit(ctx, viewer, Section::Maintenance, Vec::new(), move |ctx, caller| {
        crate::services::maintenance::remove(ctx, caller, id)
    })
    .await
}

pub async fn cab_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Cab, Shown::default()).await
}

/// Saves the CAB meeting settings; the coming meetings are planned by them.
pub async fn save_cab(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    if !form.invalid().is_empty() {
        return refused_fields(ctx, viewer, Section::Cab, &form, form.invalid()).await;
    }
    let input = crate::config::CabConfig {
        meeting_day: form.get("meeting_day").to_owned(),
        meeting_time: form.get("meeting_time").trim().to_owned(),
        cutoff_time: form.get("cutoff_time").trim().to_owned(),
        on_holiday: form.get("on_holiday").to_owned(),
        zone: Some(form.get("zone").trim().to_owned()),
    };
    submit(ctx, viewer, Section::Cab, form.typed(), move |ctx, caller| {
        crate::services::cab_settings::save(ctx, caller, input).map(|_| ())
    })
    .await
}
