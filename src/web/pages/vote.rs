//! `/vote/{token}`: the Approve and Reject links of an email. GET only shows what the link
//! would do (mail scanners open links); the POST from that page decides. The token is the
//! credential, bound to one voter, change, round and decision, so the form carries no
//! session CSRF token.

use super::html;
use crate::domain::caller::Caller;
use crate::domain::text::Text;
use crate::i18n::Lang;
use crate::services::email_votes::{self, Access, Decided, Link};
use crate::services::Ctx;
use crate::web::session::{self, page_run, PageError, Visitor};
use crate::web::views::vote as view;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

fn refused(lang: Lang, link: &Link) -> HttpResponse {
    let (status, key) = match link {
        Link::Unknown => (StatusCode::NOT_FOUND, "vote-link-unknown"),
        Link::Used => (StatusCode::GONE, "vote-link-used"),
        Link::Expired => (StatusCode::GONE, "vote-link-expired"),
        Link::Superseded | Link::Valid { .. } => (StatusCode::CONFLICT, "vote-link-superseded"),
    };
    html(status, view::message(lang, &lang.t(key), true))
}

fn reader_language(visitor: &Visitor, link: &Link) -> Lang {
    match link {
        Link::Valid { voter, .. } => voter.language.as_deref().and_then(Lang::parse).unwrap_or(visitor.lang),
        _ => visitor.lang,
    }
}

pub async fn confirm(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    token: web::Path<String>,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let raw = token.into_inner();
    let signed_in = signed_in(&ctx, &session, visitor.lang).await?;
    let lookup = raw.clone();
    let link = page_run(ctx.clone(), visitor.lang, move |ctx| email_votes::inspect(ctx, &lookup)).await?;
    let lang = reader_language(&visitor, &link);
    let Link::Valid { decision, change, voter, on_behalf_of } = &link else {
        return Ok(refused(lang, &link));
    };
    let zone =
        voter.timezone.as_deref().and_then(|z| z.parse().ok()).unwrap_or_else(|| ctx.config.time_zone());
    let may_decide = email_votes::access(&ctx, voter.id, signed_in.as_ref()) == Access::Allowed;
    let on_behalf_of = on_behalf_of.as_deref();
    let veto = ctx.config.approval.veto;
    let confirm =
        view::Confirm { raw: &raw, decision: *decision, change, voter, on_behalf_of, zone, may_decide, veto };
    Ok(html(StatusCode::OK, view::confirm(lang, &confirm)))
}

/// Decides from the confirmation page's form (`comment`; it carries no session, so no
/// CSRF token: the link is the credential). A body whose fields are not UTF-8 is 400, a
/// comment with a refused character 422 naming it; neither decides anything.
pub async fn decide(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    let Some(fields) = crate::web::session::form_pairs(&body) else {
        return Ok(html(
            StatusCode::BAD_REQUEST,
            view::message(lang, &lang.t("error-form-unreadable"), false),
        ));
    };
    let typed =
        fields.into_iter().find(|(name, _)| name == "comment").map(|(_, value)| value).unwrap_or_default();
    let comment = match Text::parse(&typed) {
        Ok(comment) => comment,
        Err(found) => {
            let detail = lang.t_with("error-form", &[("message", crate::i18n::arg(found.to_string()))]);
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, view::message(lang, &detail, false)));
        }
    };
    let raw = token.into_inner();
    let signed_in = signed_in(&ctx, &session, lang).await?;
    let link = raw.clone();
    let outcome =
        crate::web::run(ctx, move |ctx| email_votes::decide(ctx, &link, comment, signed_in.as_ref())).await;
    match outcome {
        Ok(Decided::Denied(Access::SignIn)) => Ok(super::see_other(&format!("/sign-in?next=/vote/{raw}"))),
        Ok(Decided::Denied(_)) => {
            Ok(html(StatusCode::FORBIDDEN, view::message(lang, &lang.t("vote-link-other-user"), false)))
        }
        Ok(Decided::Voted(change)) => Ok(html(StatusCode::OK, view::voted(lang, &change))),
        Ok(Decided::Refused(link)) => Ok(refused(lang, &link)),
        Err(error) => {
            let message = crate::web::messages::describe(lang, &error);
            Ok(html(actix_web::ResponseError::status_code(&error), view::message(lang, &message, false)))
        }
    }
}

/// Who the browser is signed in as, if anyone (a lapsed session counts as no one).
async fn signed_in(ctx: &web::Data<Ctx>, session: &Session, lang: Lang) -> Result<Option<Caller>, PageError> {
    session::signed_in_caller(ctx.clone(), session)
        .await
        .map(|found| found.map(|(caller, _)| caller))
        .map_err(|error| PageError::Service { error, lang })
}
