//! Signing in and out.

use super::{html, safe_next, see_other};
use crate::db::sessions::Method;
use crate::domain::text::Text;
use crate::services::{auth, Ctx, ServiceError};
use crate::web::extract::Query;
use crate::web::run;
use crate::web::session::{self, Form, PageError, Visitor};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Next {
    next: Option<Text>,
    lang: Option<String>,
}

pub async fn form(visitor: Visitor, query: Query<Next>, session: Session) -> HttpResponse {
    let mut visitor = visitor;
    if let Some(lang) = query.lang.as_deref().and_then(crate::i18n::Lang::parse) {
        session::choose_language(&session, lang);
        visitor.lang = lang;
    }
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    html(StatusCode::OK, crate::web::views::auth::sign_in_page(&visitor, next, "", None))
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
    let address = crate::web::client_address(&req);
    let attempt = email.clone();
    match run(ctx.clone(), move |ctx| auth::sign_in(ctx, &attempt, &password, &address)).await {
        Ok(signed_in) => {
            session::sign_in(ctx, &session, &req, signed_in.user, Method::Password, None)
                .await
                .map_err(|error| PageError::Service { error, lang })?;
            Ok(see_other(&next))
        }
        Err(ServiceError::Unauthenticated(_)) => {
            let page = crate::web::views::auth::sign_in_page(
                &visitor,
                &next,
                &email,
                Some(&lang.t("sign-in-failed")),
            );
            Ok(html(StatusCode::UNAUTHORIZED, page))
        }
        Err(ServiceError::TooManyAttempts { retry_after_secs }) => {
            let message = lang.t_with("sign-in-too-many", &[("seconds", crate::i18n::arg(retry_after_secs))]);
            let mut response = html(
                StatusCode::TOO_MANY_REQUESTS,
                crate::web::views::auth::sign_in_page(&visitor, &next, &email, Some(&message)),
            );
            response.headers_mut().insert(actix_web::http::header::RETRY_AFTER, retry_after_secs.into());
            Ok(response)
        }
        Err(error) => Err(PageError::Service { error, lang }),
    }
}

pub async fn sign_out(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    _csrf_checked: Form,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    session::sign_out(ctx, &session).await.map_err(|error| PageError::Service { error, lang })?;
    Ok(see_other("/sign-in"))
}
