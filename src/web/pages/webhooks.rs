//! `/admin/webhooks/{id}`: one webhook subscription's settings, test event and delivery
//! log (the list and the add form are an admin section). Every form is one service call, as in the API.

use super::{html, see_other, Refusal};
use crate::domain::validation::FieldError;
use crate::domain::webhook::EventType;
use crate::services::webhooks::{self as service, WebhookEdit};
use crate::services::Ctx;
use crate::web::session::{page_run, Form, PageError, TypedForm, Viewer};
use crate::web::views::components::Errors;
use crate::web::views::page;
use crate::web::views::webhooks as view;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// One subscription's page, with its settings form as sent and its errors.
async fn show_detail(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: i32,
    status: StatusCode,
    errors: Vec<FieldError>,
    typed: Vec<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let (hook, log) = page_run(ctx, viewer.lang, move |ctx| {
        Ok((service::get(ctx, &caller, id)?, service::deliveries(ctx, &caller, id)?))
    })
    .await?;
    let errors = Errors::new(viewer.lang, errors);
    let title = viewer.lang.t_with("webhook-title", &[("url", crate::i18n::arg(&hook.url))]);
    let body = view::detail(&viewer, &hook, &log, &view::Typed { errors: &errors, values: &typed });
    Ok(html(status, page(&viewer, &title, body)))
}

pub async fn detail_page(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    show_detail(ctx, viewer, id.into_inner(), StatusCode::OK, Vec::new(), Vec::new()).await
}

pub(super) fn events(form: &Form) -> Vec<EventType> {
    form.all("events").iter().filter_map(|e| e.parse().ok()).collect()
}

/// The optional secret as typed (empty: none).
fn secret(form: &Form) -> Option<String> {
    Some(form.get("secret").to_owned()).filter(|s| !s.is_empty())
}

/// Saves a subscription's address, event types and (if typed) a new secret.
pub async fn save(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    let (id, form) = (id.into_inner(), form.0);
    if !form.invalid().is_empty() {
        return show_detail(ctx, viewer, id, StatusCode::UNPROCESSABLE_ENTITY, form.invalid(), form.typed())
            .await;
    }
    let edit = WebhookEdit {
        url: Some(form.get("url").to_owned()),
        secret: secret(&form),
        events: Some(events(&form)),
        active: None,
    };
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| service::update(ctx, &caller, id, edit)).await {
        Ok(_) => {
            viewer.confirm(viewer.lang.t("webhook-saved"));
            Ok(see_other(&format!("/admin/webhooks/{id}")))
        }
        Err(error) => {
            let (status, errors) = Refusal::fields_or_page(error, viewer.lang)?;
            show_detail(ctx, viewer, id, status, errors, form.typed()).await
        }
    }
}

/// Pauses or resumes a subscription.
async fn set_active(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: i32,
    active: bool,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let edit = WebhookEdit { active: Some(active), ..WebhookEdit::default() };
    page_run(ctx, viewer.lang, move |ctx| service::update(ctx, &caller, id, edit)).await?;
    viewer.confirm(viewer.lang.t(if active { "webhook-resumed" } else { "webhook-paused-done" }));
    Ok(see_other(&format!("/admin/webhooks/{id}")))
}

pub async fn pause(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    set_active(ctx, viewer, id.into_inner(), false).await
}

pub async fn resume(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    set_active(ctx, viewer, id.into_inner(), true).await
}

/// Sends a test event now and says what the receiver answered.
pub async fn test(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let lang = viewer.lang;
    let delivery = crate::web::api::webhooks::send_test(&ctx, viewer.caller.clone(), id)
        .await
        .map_err(|error| PageError::Service { error, lang })?;
    let said = match (delivery.status.as_str(), delivery.response_code, &delivery.error) {
        ("delivered", code, _) => {
            lang.t_with("webhook-test-delivered", &[("code", crate::i18n::arg(code.unwrap_or(0)))])
        }
        (_, _, error) => {
            let when = delivery
                .next_attempt_at
                .map_or_else(|| lang.t("webhook-not-retried"), |at| lang.datetime(viewer.zone, at));
            lang.t_with(
                "webhook-test-failed",
                &[
                    (
                        "error",
                        crate::i18n::arg(error.as_deref().map_or("–".to_owned(), |e| view::failure(lang, e))),
                    ),
                    ("when", crate::i18n::arg(when)),
                ],
            )
        }
    };
    viewer.confirm(said);
    Ok(see_other(&format!("/admin/webhooks/{id}#log")))
}

/// Deletes a subscription and its log.
pub async fn delete(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    page_run(ctx, viewer.lang, move |ctx| service::delete(ctx, &caller, id)).await?;
    viewer.confirm(viewer.lang.t("webhook-deleted"));
    Ok(see_other("/admin/webhooks"))
}

/// Puts a failed delivery back in the queue.
pub async fn retry(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    path: web::Path<(i32, i32)>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let ((id, delivery), caller) = (path.into_inner(), viewer.caller.clone());
    match crate::web::run(ctx, move |ctx| service::retry(ctx, &caller, id, delivery)).await {
        Ok(()) => viewer.confirm(viewer.lang.t("webhook-retried")),
        // Already retried (a second click): said on the page, not as an error page.
        Err(error @ crate::services::ServiceError::Conflict(_)) => {
            viewer.confirm(Refusal::message(error, viewer.lang)?.1)
        }
        // Anything else (a refusal above all) is the error page with its status.
        Err(error) => return Err(PageError::Service { error, lang: viewer.lang }),
    }
    Ok(see_other(&format!("/admin/webhooks/{id}#log")))
}
