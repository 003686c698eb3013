//! `/changes`: the list, the form to file or edit one, one change and its actions.

use super::forms::{action_form, as_patch, change_form, values_of, ActionForm, Rejected};
use super::{html, see_other};
use crate::domain::ids::ChangeId;
use crate::domain::text::Text;
use crate::services::changes::Expected;
use crate::services::changes::Search;
use crate::services::reference::FormChoices;
use crate::services::{changes, lifecycle, reference, risk, voting, Ctx, ServiceError};
use crate::web::extract::Query;
use crate::web::session::{page_run, Form, PageError, Viewer};
use crate::web::views::changes::{self as view, Choices, FormValues};
use crate::web::views::components::Errors;
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

fn change_id(viewer: &Viewer, segment: &str) -> Result<ChangeId, PageError> {
    crate::web::api::change_id(segment).map_err(|error| PageError::Service { error, lang: viewer.lang })
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<Text>,
    state: Option<String>,
    page: Option<i64>,
}

/// Rows on one page of the change list.
const PAGE_SIZE: i64 = 50;

pub async fn list(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let text = query.q.clone().unwrap_or_default();
    let state_text = query.state.clone().unwrap_or_default();
    let search = Search {
        states: state_text.parse().into_iter().collect(),
        text: Some(text.clone()),
        ..Search::default()
    };
    let caller = viewer.caller.clone();
    let page_number = query.page.unwrap_or(1).clamp(1, 100_000);
    let offset = (page_number - 1) * PAGE_SIZE;
    let found =
        page_run(ctx, viewer.lang, move |ctx| changes::list(ctx, &caller, &search, PAGE_SIZE, offset))
            .await?;
    let pages = (found.total + PAGE_SIZE - 1) / PAGE_SIZE;
    let paging = view::Paging { page: page_number, pages };
    let body = view::list(&viewer, &found.items, found.total, &text, &state_text, &paging);
    Ok(html(StatusCode::OK, page(&viewer, &viewer.lang.t("nav-changes"), body)))
}

fn implementer_choices(choices: &FormChoices) -> Vec<(String, String)> {
    choices.implementers.iter().map(|u| (u.id.to_string(), u.name.clone())).collect()
}

fn form_page(
    viewer: &Viewer,
    title: &str,
    action: &str,
    values: &FormValues,
    choices: &FormChoices,
    errors: &Errors,
) -> maud::Markup {
    let implementers = implementer_choices(choices);
    let shown = Choices { cis: &choices.cis, templates: &choices.templates, implementers: &implementers };
    page(viewer, title, view::form(viewer, action, values, &shown, errors))
}

pub async fn new(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let choices = page_run(ctx, viewer.lang, move |ctx| reference::form_choices(ctx, &caller)).await?;
    let values = FormValues { change_type: "normal".into(), ..FormValues::default() };
    let title = viewer.lang.t("nav-new-change");
    Ok(html(
        StatusCode::OK,
        form_page(&viewer, &title, "/changes/new", &values, &choices, &Errors::default()),
    ))
}

/// Files the change and stores its risk answers; on field errors, the form again.
pub async fn create(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let parsed = change_form(&form, viewer.zone);
    let caller = viewer.caller.clone();
    let outcome = page_run(ctx.clone(), viewer.lang, move |ctx| {
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(rejected) => return Ok(Err(*rejected)),
        };
        match changes::create(ctx, &caller, parsed.change).map(|created| created.id) {
            Ok(id) => Ok(Ok(id)),
            Err(ServiceError::Invalid(errors)) => Ok(Err(Rejected { errors, values: parsed.values })),
            Err(other) => Err(other),
        }
    })
    .await?;
    match outcome {
        Ok(id) => Ok(see_other(&format!("/changes/{}", id.reference()))),
        Err(Rejected { errors, values }) => {
            let caller = viewer.caller.clone();
            let choices =
                page_run(ctx, viewer.lang, move |ctx| reference::form_choices(ctx, &caller)).await?;
            let title = viewer.lang.t("nav-new-change");
            let page = form_page(
                &viewer,
                &title,
                "/changes/new",
                &values,
                &choices,
                &Errors::new(viewer.lang, errors),
            );
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

pub async fn edit_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = change_id(&viewer, &id)?;
    let caller = viewer.caller.clone();
    let (detail, choices) = page_run(ctx, viewer.lang, move |ctx| {
        Ok((changes::detail(ctx, &caller, id)?, reference::form_choices(ctx, &caller)?))
    })
    .await?;
    let values = values_of(&detail.view, viewer.zone);
    let title = viewer.lang.t_with("edit-title", &[("ref", crate::i18n::arg(&detail.view.reference))]);
    let action = format!("/changes/{}/edit", detail.view.reference);
    Ok(html(StatusCode::OK, form_page(&viewer, &title, &action, &values, &choices, &Errors::default())))
}

pub async fn edit(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let id = change_id(&viewer, &id)?;
    let parsed = change_form(&form, viewer.zone);
    let expected = form.get("version").parse().map_or(Expected::Missing, Expected::Version);
    let caller = viewer.caller.clone();
    let outcome = page_run(ctx.clone(), viewer.lang, move |ctx| {
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(rejected) => return Ok(Err(*rejected)),
        };
        match changes::edit(ctx, &caller, id, expected, as_patch(parsed.change)) {
            Ok(_) => Ok(Ok(())),
            Err(ServiceError::Invalid(errors)) => Ok(Err(Rejected { errors, values: parsed.values })),
            Err(other) => Err(other),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other(&format!("/changes/{}", id.reference()))),
        Err(Rejected { errors, values }) => {
            let caller = viewer.caller.clone();
            let choices =
                page_run(ctx, viewer.lang, move |ctx| reference::form_choices(ctx, &caller)).await?;
            let title = viewer.lang.t_with("edit-title", &[("ref", crate::i18n::arg(id.reference()))]);
            let action = format!("/changes/{}/edit", id.reference());
            let page =
                form_page(&viewer, &title, &action, &values, &choices, &Errors::new(viewer.lang, errors));
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

async fn show_detail(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    id: ChangeId,
    notice: Option<(StatusCode, String)>,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let detail = page_run(ctx, viewer.lang, move |ctx| changes::detail(ctx, &caller, id)).await?;
    let title = format!("{} {}", detail.view.reference, detail.view.title);
    let (status, message) = match notice {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let body = view::detail(viewer, &detail, message.as_deref());
    Ok(html(status, page(viewer, &title, body)))
}

pub async fn detail(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = change_id(&viewer, &id)?;
    show_detail(ctx, &viewer, id, None).await
}

/// A lifecycle action from the change page. Success goes back to the page; a refusal
/// shows the page again with the reason.
pub async fn act(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let (segment, action) = path.into_inner();
    let id = change_id(&viewer, &segment)?;
    let parsed = match action_form(&action, &form, viewer.zone) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            return Err(PageError::Service {
                error: ServiceError::NotFound(format!("no action {action}")),
                lang: viewer.lang,
            })
        }
        Err(errors) => {
            let message = crate::web::messages::describe(viewer.lang, &ServiceError::Invalid(errors));
            return show_detail(ctx, &viewer, id, Some((StatusCode::UNPROCESSABLE_ENTITY, message))).await;
        }
    };
    let caller = viewer.caller.clone();
    let result = crate::web::run(ctx.clone(), move |ctx| match parsed {
        ActionForm::Risk(answers) => risk::answer(ctx, &caller, id, answers).map(|_| ()),
        ActionForm::Submit(body) => lifecycle::submit(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Assess(body) => lifecycle::assess(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Vote(body) => voting::vote(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Return(body) => lifecycle::return_to_draft(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Reschedule(body) => lifecycle::reschedule(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Start => lifecycle::start(ctx, &caller, id).map(|_| ()),
        ActionForm::Complete(body) => lifecycle::complete(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Review(body) => lifecycle::review(ctx, &caller, id, body).map(|_| ()),
        ActionForm::Cancel(body) => lifecycle::cancel(ctx, &caller, id, body).map(|_| ()),
    })
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/changes/{}", id.reference()))),
        Err(ServiceError::Internal(cause)) => {
            Err(PageError::Service { error: ServiceError::Internal(cause), lang: viewer.lang })
        }
        Err(ServiceError::NotFound(message)) => {
            Err(PageError::Service { error: ServiceError::NotFound(message), lang: viewer.lang })
        }
        Err(refused) => {
            let status = actix_web::ResponseError::status_code(&refused);
            let message = crate::web::messages::describe(viewer.lang, &refused);
            show_detail(ctx, &viewer, id, Some((status, message))).await
        }
    }
}
