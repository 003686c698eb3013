//! Signing in (with the identity provider or a password) and out, and setting a new
//! password by an emailed link.

use super::{html, safe_next, see_other};
use crate::domain::text::Text;
use crate::i18n::{arg, Lang};
use crate::services::{accounts, oidc, sessions, Ctx, ServiceError};
use crate::web::extract::Query;
use crate::web::oidc::{Callback, Failure, Oidc};
use crate::web::run;
use crate::web::session::{self, Form, PageError, Visitor};
use crate::web::views::auth::{forgot_page, reset_page, sign_in_page, Offer};
use crate::web::views::components::Errors;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Next {
    next: Option<Text>,
    lang: Option<String>,
    /// `password` after a password was set by a reset link.
    done: Option<String>,
}

/// What the sign-in page offers under this configuration.
fn offer<'a>(ctx: &'a Ctx, notice: Option<&'a str>) -> Offer<'a> {
    Offer {
        provider: ctx.config.oidc_issuer.as_ref().map(|_| ctx.config.oidc_display_name.as_str()),
        passwords: ctx.config.password_sign_in,
        notice,
    }
}

fn page(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    next: &str,
    email: &str,
    problem: Option<&str>,
) -> HttpResponse {
    html(status, sign_in_page(visitor, &offer(ctx, None), next, email, problem))
}

pub async fn form(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    query: Query<Next>,
    session: Session,
) -> HttpResponse {
    let mut visitor = visitor;
    if let Some(lang) = query.lang.as_deref().and_then(Lang::parse) {
        session::choose_language(&session, lang);
        visitor.lang = lang;
    }
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    let notice = (query.done.as_deref() == Some("password")).then(|| visitor.lang.t("sign-in-password-set"));
    html(StatusCode::OK, sign_in_page(&visitor, &offer(&ctx, notice.as_deref()), next, "", None))
}

pub async fn submit(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    form: Form,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    let email = form.get("email").to_owned();
    let password = form.get("password").to_owned();
    let next = safe_next(form.get("next")).to_owned();
    if !ctx.config.password_allowed(email.trim()) {
        let provider = arg(&ctx.config.oidc_display_name);
        let message = lang.t_with("sign-in-passwords-off", &[("provider", provider)]);
        return Ok(page(&ctx, &visitor, StatusCode::FORBIDDEN, &next, &email, Some(&message)));
    }
    let client = session::client(&req);
    let previous = session::current_token(&session);
    let attempt = email.clone();
    let signed_in = run(ctx.clone(), move |ctx| {
        sessions::sign_in_with_password(ctx, &attempt, &password, &client, previous.as_deref())
    });
    match signed_in.await {
        Ok((token, device)) => {
            session::adopt(&session, token).map_err(|error| PageError::Service { error, lang })?;
            let mut response = see_other(&next);
            if let Some(cookie) = session::device_cookie(&req, &device) {
                response.add_cookie(&cookie).map_err(|e| PageError::Service {
                    error: ServiceError::Internal(anyhow::anyhow!("setting the device cookie: {e}")),
                    lang,
                })?;
            }
            Ok(response)
        }
        Err(ServiceError::Unauthenticated(_)) => {
            let message = lang.t("sign-in-failed");
            Ok(page(&ctx, &visitor, StatusCode::UNAUTHORIZED, &next, &email, Some(&message)))
        }
        Err(ServiceError::TooManyAttempts { retry_after_secs }) => {
            let message = lang.t_with("sign-in-too-many", &[("seconds", arg(retry_after_secs))]);
            let mut response =
                page(&ctx, &visitor, StatusCode::TOO_MANY_REQUESTS, &next, &email, Some(&message));
            response.headers_mut().insert(actix_web::http::header::RETRY_AFTER, retry_after_secs.into());
            Ok(response)
        }
        Err(error) => Err(PageError::Service { error, lang }),
    }
}

/// Signs out: the session ends in the database (every copy of the cookie with it); a
/// session made by the identity provider also ends there, when it offers an end-session
/// endpoint.
pub async fn sign_out(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    _csrf_checked: Form,
    session: Session,
    provider: Option<web::Data<Oidc>>,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    let id_token =
        session::sign_out(ctx, &session).await.map_err(|error| PageError::Service { error, lang })?;
    if let (Some(id_token), Some(provider)) = (id_token, provider) {
        if let Some(there) = provider.end_session_url(&id_token).await {
            return Ok(see_other(&there));
        }
    }
    Ok(see_other("/sign-in"))
}

/// `GET /sign-in/oidc`: to the identity provider.
pub async fn oidc_start(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    query: Query<Next>,
    session: Session,
    provider: Option<web::Data<Oidc>>,
) -> HttpResponse {
    let next = safe_next(query.next.as_deref().unwrap_or("/")).to_owned();
    let Some(provider) = provider else {
        return page(&ctx, &visitor, StatusCode::NOT_FOUND, &next, "", None);
    };
    match provider.start(&session, &next, ctx.clock.now().timestamp()).await {
        Ok(there) => see_other(&there),
        Err(failure) => failed(&ctx, &visitor, &next, failure),
    }
}

/// `GET /sign-in/oidc/callback`: back from the identity provider.
pub async fn oidc_callback(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    query: Query<Callback>,
    session: Session,
    req: HttpRequest,
    provider: Option<web::Data<Oidc>>,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    let Some(provider) = provider else {
        return Ok(page(&ctx, &visitor, StatusCode::NOT_FOUND, "/", "", None));
    };
    let (identity, id_token, next) =
        match provider.finish(&session, &query, ctx.clock.now().timestamp()).await {
            Ok(found) => found,
            Err(failure) => return Ok(failed(&ctx, &visitor, "/", failure)),
        };
    let client = session::client(&req);
    let previous = session::current_token(&session);
    let signed_in =
        run(ctx.clone(), move |ctx| oidc::sign_in(ctx, &identity, &client, &id_token, previous.as_deref()))
            .await;
    match signed_in {
        Ok((token, _)) => {
            session::adopt(&session, token).map_err(|error| PageError::Service { error, lang })?;
            Ok(see_other(safe_next(&next)))
        }
        Err(ServiceError::Conflict(message)) => {
            let text = lang.message(&message);
            Ok(page(&ctx, &visitor, StatusCode::FORBIDDEN, "/", "", Some(&text)))
        }
        Err(error) => Err(PageError::Service { error, lang }),
    }
}

/// The sign-in page saying why signing in with the provider failed (the cause logged).
fn failed(ctx: &Ctx, visitor: &Visitor, next: &str, failure: Failure) -> HttpResponse {
    let lang = visitor.lang;
    let provider = arg(&ctx.config.oidc_display_name);
    let (status, message) = match failure {
        Failure::State => (StatusCode::BAD_REQUEST, lang.t("sign-in-oidc-state")),
        Failure::Provider(reason) => (
            StatusCode::UNAUTHORIZED,
            lang.t_with("sign-in-oidc-provider", &[("provider", provider), ("reason", arg(reason))]),
        ),
        Failure::NoEmail => {
            (StatusCode::FORBIDDEN, lang.t_with("sign-in-oidc-no-email", &[("provider", provider)]))
        }
        Failure::Token(cause) => {
            tracing::warn!(error = %cause, "a sign-in with the identity provider was refused");
            (StatusCode::UNAUTHORIZED, lang.t_with("sign-in-oidc-failed", &[("provider", provider)]))
        }
        Failure::Unreachable(cause) => {
            tracing::error!(error = %cause, "the identity provider could not be reached");
            (StatusCode::BAD_GATEWAY, lang.t_with("sign-in-oidc-failed", &[("provider", provider)]))
        }
    };
    page(ctx, visitor, status, next, "", Some(&message))
}

pub async fn forgot_form(visitor: Visitor) -> HttpResponse {
    html(StatusCode::OK, forgot_page(&visitor, false, &Errors::new(visitor.lang, Vec::new()), ""))
}

/// Asks for a reset link: the same answer whether or not the address has an account.
pub async fn forgot(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    let email = form.get("email").to_owned();
    let address = crate::web::client_address(&req);
    let asked = email.clone();
    match run(ctx.clone(), move |ctx| accounts::request_reset(ctx, &asked, &address)).await {
        Ok(()) => Ok(html(StatusCode::OK, forgot_page(&visitor, true, &Errors::new(lang, Vec::new()), ""))),
        Err(ServiceError::Invalid(errors)) => Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            forgot_page(&visitor, false, &Errors::new(lang, errors), &email),
        )),
        Err(error) => Err(PageError::Service { error, lang }),
    }
}

pub async fn reset_form(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let lookup = token.clone();
    let email = session::page_run(ctx, visitor.lang, move |ctx| accounts::reset_target(ctx, &lookup)).await?;
    let status = if email.is_some() { StatusCode::OK } else { StatusCode::GONE };
    let errors = Errors::new(visitor.lang, Vec::new());
    Ok(html(status, reset_page(&visitor, &token, email.as_deref(), &errors)))
}

/// Sets the new password; to the sign-in page, which says so.
pub async fn reset(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    token: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    let token = token.into_inner();
    let (new, confirm) = (form.get("new_password").to_owned(), form.get("confirm_password").to_owned());
    let used = token.clone();
    match run(ctx.clone(), move |ctx| accounts::complete_reset(ctx, &used, &new, &confirm)).await {
        Ok(_) => Ok(see_other("/sign-in?done=password")),
        Err(ServiceError::Invalid(errors)) => {
            let lookup = token.clone();
            let email = run(ctx, move |ctx| accounts::reset_target(ctx, &lookup))
                .await
                .map_err(|error| PageError::Service { error, lang })?;
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                reset_page(&visitor, &token, email.as_deref(), &Errors::new(lang, errors)),
            ))
        }
        Err(ServiceError::Conflict(_)) => {
            Ok(html(StatusCode::GONE, reset_page(&visitor, &token, None, &Errors::new(lang, Vec::new()))))
        }
        Err(error) => Err(PageError::Service { error, lang }),
    }
}
