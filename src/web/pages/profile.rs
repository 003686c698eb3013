//! `/profile`: the viewer's language and time zone, and changing their password.

use super::{html, see_other};
use crate::domain::validation::FieldError;
use crate::i18n::Lang;
use crate::services::{users, Ctx};
use crate::web::extract::Query;
use crate::web::session::{self, page_run, Form, PageError, Viewer};
use crate::web::views::components::Errors;
use crate::web::views::page;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

#[derive(serde::Deserialize)]
pub struct Shown {
    /// `password` after a password change.
    changed: Option<String>,
}

pub async fn show(viewer: Viewer, query: Query<Shown>) -> HttpResponse {
    let changed = query.changed.as_deref() == Some("password");
    profile_page(&viewer, changed, Vec::new())
}

fn profile_page(viewer: &Viewer, password_changed: bool, errors: Vec<FieldError>) -> HttpResponse {
    let lang = viewer.lang;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = crate::web::views::profile::profile(viewer, password_changed, &Errors::new(lang, errors));
    html(status, page(viewer, &lang.t("profile-title"), body))
}

/// Changes the viewer's password; this session continues under the new epoch, every other
/// one ends.
pub async fn change_password(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let change = [form.get("current_password"), form.get("new_password"), form.get("confirm_password")]
        .map(str::to_owned);
    let address = crate::web::client_address(&req);
    let caller = viewer.caller.clone();
    let now = ctx.clock.now();
    let changed = crate::web::run(ctx, move |ctx| {
        let [current, new, confirm] = &change;
        users::change_password(ctx, &caller, &users::PasswordChange { current, new, confirm }, &address)
    })
    .await;
    match changed {
        Ok(session_epoch) => {
            let signed_in = crate::services::auth::SignedIn { user: viewer.caller.id, session_epoch };
            session::sign_in(&session, signed_in, now)
                .map_err(|error| PageError::Service { error, lang: viewer.lang })?;
            Ok(see_other("/profile?changed=password#password"))
        }
        Err(error) => {
            let (_, errors) = super::Refusal::fields_or_page(error, viewer.lang)?;
            Ok(profile_page(&viewer, false, errors))
        }
    }
}

pub async fn save(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let language = Some(form.get("language").to_owned()).filter(|l| !l.is_empty());
    let timezone = Some(form.get("timezone").to_owned()).filter(|z| !z.is_empty());
    let caller = viewer.caller.clone();
    page_run(ctx, viewer.lang, move |ctx| {
        users::update_profile(ctx, &caller, language.as_deref(), timezone.as_deref())
    })
    .await?;
    Ok(see_other("/profile"))
}

/// The language switch in the header: keeps the time zone, sets the language.
pub async fn language(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let language = Lang::parse(form.get("language")).map(|l| l.code().to_owned());
    let caller = viewer.caller.clone();
    let zone = caller.timezone.clone();
    page_run(ctx, viewer.lang, move |ctx| {
        users::update_profile(ctx, &caller, language.as_deref(), zone.as_deref())
    })
    .await?;
    let back = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned())))
        .unwrap_or_else(|| "/".to_owned());
    Ok(see_other(super::safe_next(&back)))
}
