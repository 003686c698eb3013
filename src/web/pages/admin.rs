//! `/admin`: users and their roles, configuration items, standard change templates and
//! blackout windows. Every form goes through the same services (and policy) as the API.

use super::forms::{ci_ids, parse_local};
use super::{html, see_other, Refusal};
use crate::domain::role::Role;
use crate::domain::text::Text;
use crate::domain::validation::{FieldError, FieldErrors, Message};
use crate::services::admin::{self, Section};
use crate::services::reference::{self, NewBlackout, NewCi, NewTemplate};
use crate::services::users::{self, NewUser};
use crate::services::{Ctx, ServiceResult};
use crate::web::extract::Query;
use crate::web::session::{page_run, Form, PageError, Viewer};
use crate::web::views::admin as view;
use crate::web::views::components::Errors;
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn index(ctx: web::Data<Ctx>, viewer: Viewer) -> HttpResponse {
    let sections = admin::sections(&ctx, &viewer.caller);
    html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-admin"), view::index(&viewer, &sections)))
}

/// Shows an admin page; a form's field errors are shown with it (422).
async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    section: Section,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    show_found(ctx, viewer, section, (status, errors), String::new()).await
}

async fn show_found(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    section: Section,
    (status, errors): (StatusCode, Vec<FieldError>),
    search: String,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let searched = search.clone();
    let listing =
        page_run(ctx, viewer.lang, move |ctx| admin::listing(ctx, &caller, section, &searched)).await?;
    let title = viewer.lang.t(view::title_key(section));
    let errors = Errors::new(viewer.lang, errors);
    Ok(html(status, page(&viewer, &title, view::section(&viewer, section, &listing, &search, &errors))))
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
    let text = search.into_inner().q.map(String::from).unwrap_or_default();
    show_found(ctx, viewer, Section::Users, (StatusCode::OK, Vec::new()), text).await
}

pub async fn notices_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Notices, Vec::new()).await
}

pub async fn retry_notice(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _form: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    submit(ctx, viewer, Section::Notices, move |ctx, caller| crate::services::outbox::retry(ctx, caller, id))
        .await
}

pub async fn cis_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Cis, Vec::new()).await
}

pub async fn templates_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Templates, Vec::new()).await
}

pub async fn blackouts_page(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    show(ctx, viewer, Section::Blackouts, Vec::new()).await
}

/// Runs a form's service; on field errors shows the section again with them.
async fn submit<F>(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    section: view::Section,
    work: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(&Ctx, &crate::domain::caller::Caller) -> ServiceResult<()> + Send + 'static,
{
    let caller = viewer.caller.clone();
    let lang = viewer.lang;
    match crate::web::run(ctx.clone(), move |ctx| work(ctx, &caller)).await {
        Ok(()) => Ok(see_other(view::path(section))),
        Err(error) => {
            let (status, errors) = Refusal::fields_or_page(error, lang)?;
            show_found(ctx, viewer, section, (status, errors), String::new()).await
        }
    }
}

fn roles(form: &Form) -> std::collections::BTreeSet<Role> {
    form.all("roles").into_iter().filter_map(|r| r.parse().ok()).collect()
}

pub async fn add_user(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let input = NewUser {
        email: form.get("email").to_owned(),
        name: form.get("name").to_owned(),
        roles: roles(&form),
        password: form.get("password").to_owned(),
    };
    submit(ctx, viewer, Section::Users, move |ctx, caller| users::add(ctx, Some(caller), input).map(|_| ()))
        .await
}

pub async fn set_roles(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let (email, held) = (form.get("email").to_owned(), roles(&form));
    submit(ctx, viewer, Section::Users, move |ctx, caller| {
        users::set_roles(ctx, Some(caller), &email, held).map(|_| ())
    })
    .await
}

pub async fn add_ci(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let input = NewCi {
        name: form.text("name"),
        kind: form.text("kind"),
        criticality: form.get("criticality").parse().unwrap_or(0),
        owner_email: form.text("owner_email"),
    };
    submit(ctx, viewer, Section::Cis, move |ctx, caller| reference::create_ci(ctx, caller, input).map(|_| ()))
        .await
}

pub async fn add_template(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let mut errors = FieldErrors::default();
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
        return show(ctx, viewer, Section::Templates, errors).await;
    }
    submit(ctx, viewer, Section::Templates, move |ctx, caller| {
        reference::create_template(ctx, caller, input).map(|_| ())
    })
    .await
}

pub async fn add_blackout(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let mut errors = FieldErrors::default();
    let starts_at = errors.check("starts_at", parse_local(viewer.zone, form.get("starts_at"))).flatten();
    let ends_at = errors.check("ends_at", parse_local(viewer.zone, form.get("ends_at"))).flatten();
    if starts_at.is_none() || ends_at.is_none() {
        errors.add("starts_at", Message::new("msg-blackout-period"));
    }
    let ci_ids = ci_ids(&form, &mut errors);
    let title = form.text("title");
    let input = match (errors.finish(|| ()), starts_at, ends_at) {
        (Ok(()), Some(starts_at), Some(ends_at)) => NewBlackout { title, starts_at, ends_at, ci_ids },
        (finished, _, _) => {
            let errors = finished.err().unwrap_or_default();
            return show(ctx, viewer, Section::Blackouts, errors).await;
        }
    };
    submit(ctx, viewer, Section::Blackouts, move |ctx, caller| {
        reference::create_blackout(ctx, caller, input).map(|_| ())
    })
    .await
}
