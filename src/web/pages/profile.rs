//! `/profile`: the viewer's language and time zone, and changing their password.

use super::{html, see_other};
use crate::domain::validation::{FieldError, Message};
use crate::i18n::Lang;
use crate::services::delegations::{self, DelegationInput};
use crate::services::{auth, feeds, sessions, users, Ctx};
use crate::web::extract::Query;
use crate::web::session::{page_run, Form, PageError, Viewer};
use crate::web::views::components::Errors;
use crate::web::views::page;
use crate::web::views::profile::Typed;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

#[derive(serde::Deserialize)]
pub struct Shown {
    /// `password` after a password change.
    changed: Option<String>,
}

pub async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let changed = query.changed.as_deref() == Some("password");
    let done = match query.changed.as_deref() {
        Some("delegation") => Some("delegation-made"),
        Some("revoked") => Some("delegation-revoked-done"),
        _ => None,
    };
    profile_page(ctx, &viewer, changed, Vec::new(), Made::Nothing, None, done).await
}

/// A secret just made, shown this once on the page (not a redirect, so it is in no
/// browser history but this page's).
enum Made {
    Nothing,
    /// A calendar feed's address.
    Feed(String),
    /// An API token.
    Token(String),
}

/// The profile page; `made` is a secret just made (shown this once).
async fn profile_page(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    password_changed: bool,
    errors: Vec<FieldError>,
    made: Made,
    typed: Option<Typed>,
    done: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let lang = viewer.lang;
    let caller = viewer.caller.clone();
    let current = viewer.session_id;
    let (list, given, choices, cis, signed_in, tokens, password) = page_run(ctx, lang, move |ctx| {
        Ok((
            feeds::list(ctx, &caller)?,
            delegations::list(ctx, &caller)?,
            delegations::choices(ctx, &caller)?,
            crate::services::reference::active_cis(ctx, &caller)?,
            sessions::list(ctx, &caller, current)?,
            auth::tokens(ctx, &caller)?,
            crate::services::accounts::has_password(ctx, &caller)?,
        ))
    })
    .await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let shown = crate::web::views::profile::Feeds {
        feeds: &list,
        new_address: match &made {
            Made::Feed(address) => Some(address.as_str()),
            _ => None,
        },
        may_follow_all: viewer.may(crate::authz::Permission::FollowAll),
        cis: &cis,
    };
    let delegation = crate::web::views::profile::Delegations {
        list: &given,
        choices: &choices,
        typed: typed.as_ref(),
        done,
    };
    let new_token = match &made {
        Made::Token(token) => Some(token.as_str()),
        _ => None,
    };
    let access =
        crate::web::views::profile::Access { sessions: &signed_in, tokens: &tokens, password, new_token };
    let body = crate::web::views::profile::profile(
        viewer,
        password_changed,
        &Errors::new(lang, errors),
        &shown,
        &delegation,
        &access,
    );
    Ok(html(status, page(viewer, &lang.t("profile-title"), body)))
}

/// Makes a calendar feed and shows its address once (the page is not a redirect, so the
/// secret address is in no browser history but this page's).
pub async fn create_feed(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let scope = form.get("scope").parse().unwrap_or(feeds::FeedScope::Personal);
    let ci = form.get("ci_id").parse().ok().map(crate::domain::ids::CiId);
    let name = form.text("name");
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| feeds::create(ctx, &caller, scope, ci, &name)).await {
        Ok((_, token)) => {
            let address = format!("{}/calendar.ics?token={token}", ctx.config.base_url.trim_end_matches('/'));
            profile_page(ctx, &viewer, false, Vec::new(), Made::Feed(address), None, None).await
        }
        Err(error) => {
            let (_, errors) = super::Refusal::fields_or_page(error, viewer.lang)?;
            profile_page(ctx, &viewer, false, errors, Made::Nothing, None, None).await
        }
    }
}

pub async fn revoke_feed(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    page_run(ctx, viewer.lang, move |ctx| feeds::revoke(ctx, &caller, id)).await?;
    Ok(see_other("/profile#feeds"))
}

/// Names a delegate (for oneself, or, for an admin, for a member); a refusal shows the
/// page again with what was typed.
pub async fn create_delegation(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let typed = Typed {
        principal: form.get("principal").to_owned(),
        delegate: form.get("delegate").to_owned(),
        from: form.get("from").to_owned(),
        until: form.get("until").to_owned(),
    };
    let mut errors = Vec::new();
    let mut field = |name: &str, value: &str| -> Option<i32> {
        value.parse().map_err(|_| errors.push(FieldError::new(name, Message::new("msg-choice")))).ok()
    };
    let principal = match typed.principal.as_str() {
        "" => None,
        id => field("principal", id),
    };
    let delegate = field("delegate", &typed.delegate);
    let mut day = |name: &str, value: &str| -> Option<chrono::NaiveDate> {
        super::forms::typed_date(value)
            .ok_or(())
            .map_err(|_| errors.push(FieldError::new(name, Message::new("msg-date-format"))))
            .ok()
    };
    let (from, until) = (day("from", &typed.from), day("until", &typed.until));
    let (Some(delegate), Some(from), Some(until), true) = (delegate, from, until, errors.is_empty()) else {
        return profile_page(ctx, &viewer, false, errors, Made::Nothing, Some(typed), None).await;
    };
    let input = DelegationInput { principal, delegate, from, until };
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| delegations::create(ctx, &caller, input)).await {
        Ok(_) => Ok(see_other("/profile?changed=delegation#delegation")),
        Err(error) => {
            let (_, errors) = super::Refusal::fields_or_page(error, viewer.lang)?;
            profile_page(ctx, &viewer, false, errors, Made::Nothing, Some(typed), None).await
        }
    }
}

pub async fn revoke_delegation(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    page_run(ctx, viewer.lang, move |ctx| delegations::revoke(ctx, &caller, id)).await?;
    Ok(see_other("/profile?changed=revoked#delegation"))
}

/// Changes the viewer's password; this session continues under the new epoch, every other
/// one ends.
pub async fn change_password(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let change = [form.get("current_password"), form.get("new_password"), form.get("confirm_password")]
        .map(str::to_owned);
    let address = crate::web::client_address(&req);
    let known = crate::web::session::client(&req).device;
    let caller = viewer.caller.clone();
    let keep = viewer.session_id;
    let ctx_again = ctx.clone();
    let changed = crate::web::run(ctx, move |ctx| {
        let [current, new, confirm] = &change;
        let change = users::PasswordChange { current, new, confirm };
        users::change_password(ctx, &caller, &change, (&address, known.as_ref()), Some(keep))
    })
    .await;
    match changed {
        Ok(stamp) => {
            // This browser stays known to the account, under the new password.
            let mut response = see_other("/profile?changed=password#password");
            let before = crate::web::session::client(&req).device;
            let device = crate::services::auth::KnownDevice::after_sign_in(
                &viewer.caller.email,
                stamp,
                before.as_ref(),
            );
            if let Some(cookie) = crate::web::session::device_cookie(&req, &device) {
                let _ = response.add_cookie(&cookie);
            }
            Ok(response)
        }
        Err(error) => {
            let (_, errors) = super::Refusal::fields_or_page(error, viewer.lang)?;
            profile_page(ctx_again, &viewer, false, errors, Made::Nothing, None, None).await
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

/// Ends one of the viewer's other sessions (a browser left signed in elsewhere).
pub async fn end_session(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    page_run(ctx, viewer.lang, move |ctx| sessions::end_one(ctx, &caller, id)).await?;
    viewer.confirm(viewer.lang.t("sessions-ended-one"));
    Ok(see_other("/profile#sessions"))
}

/// "Sign out everywhere else": ends every session of the viewer but this one.
pub async fn end_other_sessions(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (caller, keep) = (viewer.caller.clone(), viewer.session_id);
    let ended = page_run(ctx, viewer.lang, move |ctx| sessions::end_others(ctx, &caller, keep)).await?;
    viewer.confirm(viewer.lang.t_with("sessions-ended-others", &[("count", crate::i18n::num(ended as i64))]));
    Ok(see_other("/profile#sessions"))
}

/// Revokes one of the viewer's API tokens.
pub async fn revoke_token(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    page_run(ctx, viewer.lang, move |ctx| auth::revoke_token(ctx, &caller, id)).await?;
    viewer.confirm(viewer.lang.t("token-revoked"));
    Ok(see_other("/profile#sessions"))
}

/// Makes an API token from the profile page and shows it this once.
pub async fn create_token(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let scopes: Vec<crate::domain::account::Scope> =
        form.all("scopes").iter().filter_map(|s| s.parse().ok()).collect();
    // Typed but not a number: 0, which the service refuses by name (empty: the default).
    let days = match form.get("expires_in_days") {
        "" => None,
        typed => Some(typed.parse().unwrap_or(0)),
    };
    let request = auth::TokenRequest { name: form.text("token_name"), scopes, expires_in_days: days };
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| auth::create_token(ctx, &caller, &request)).await {
        Ok(made) => profile_page(ctx, &viewer, false, Vec::new(), Made::Token(made.token), None, None).await,
        Err(error) => {
            let (_, mut errors) = super::Refusal::fields_or_page(error, viewer.lang)?;
            // The form's own name for the field (the feed form has a `name` too).
            for error in errors.iter_mut().filter(|e| e.field == "name") {
                error.field = "token_name".into();
            }
            profile_page(ctx, &viewer, false, errors, Made::Nothing, None, None).await
        }
    }
}
