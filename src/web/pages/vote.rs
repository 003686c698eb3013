//! `/vote/{token}`: the Approve and Reject links of an email. GET only shows what the link
//! would do (mail scanners open links); the POST from that page decides. The token is the
//! credential, bound to one voter, change, round and decision, so the form carries no
//! session CSRF token.

use super::html;
use crate::domain::caller::Caller;
use crate::domain::text::Text;
use crate::i18n::{arg, Lang};
use crate::services::email_votes::{self, Access, Decided, Link};
use crate::services::Ctx;
use crate::web::session::{self, page_run, PageError, Visitor};
use crate::web::views::components::{risk_badge, state_badge, time};
use crate::web::views::plain_page;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html as markup;
use serde::Deserialize;

fn refused(lang: Lang, link: &Link) -> HttpResponse {
    let (status, key) = match link {
        Link::Unknown => (StatusCode::NOT_FOUND, "vote-link-unknown"),
        Link::Used => (StatusCode::GONE, "vote-link-used"),
        Link::Expired => (StatusCode::GONE, "vote-link-expired"),
        Link::Superseded | Link::Valid { .. } => (StatusCode::CONFLICT, "vote-link-superseded"),
    };
    html(
        status,
        plain_page(
            lang,
            &lang.t("vote-link-title"),
            markup! { p role="alert" { (lang.t(key)) } p { a href="/" { (lang.t("error-back-home")) } } },
        ),
    )
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
    let Link::Valid { token, change, voter } = &link else { return Ok(refused(lang, &link)) };
    let zone =
        voter.timezone.as_deref().and_then(|z| z.parse().ok()).unwrap_or_else(|| ctx.config.time_zone());
    let decision = token.decision.as_str();
    let title = lang.t_with(&format!("vote-link-confirm-{decision}"), &[("ref", arg(change.id.reference()))]);
    let body = markup! {
        p { (lang.t_with("vote-link-as", &[("name", arg(&voter.name))])) }
        dl.facts {
            dt { (lang.t("field-title")) } dd { (change.title) }
            dt { (lang.t("field-state")) } dd { (state_badge(lang, change.state)) }
            dt { (lang.t("field-risk")) } dd { (risk_badge(lang, change.risk.level)) }
            @if let (Some(start), Some(end)) = (change.planned_start, change.planned_end) {
                dt { (lang.t("field-window")) } dd { (time(zone, start)) " – " (time(zone, end)) }
            }
        }
        @if email_votes::access(&ctx, voter.id, signed_in.as_ref()) != Access::Allowed {
            p { a href=(format!("/sign-in?next=/vote/{raw}")) { (lang.t("vote-link-sign-in")) } }
        } @else {
        form method="post" action=(format!("/vote/{raw}")) {
            div.field {
                label for="comment" { (lang.t(if decision == "reject" { "vote-link-reason" } else { "field-comment" })) }
                textarea #comment name="comment" rows="3" required[decision == "reject"] {}
            }
            button type="submit" class=[(decision == "reject").then_some("danger")] { (lang.t(&format!("action-{decision}"))) }
        }
        }
        p { a href=(format!("/changes/{}", change.id.reference())) { (lang.t("mail-open")) } }
    };
    Ok(html(StatusCode::OK, plain_page(lang, &title, body)))
}

#[derive(Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    comment: Text,
}

pub async fn decide(
    ctx: web::Data<Ctx>,
    visitor: Visitor,
    token: web::Path<String>,
    form: web::Form<VoteForm>,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let raw = token.into_inner();
    let signed_in = signed_in(&ctx, &session, visitor.lang).await?;
    let comment = form.into_inner().comment;
    let lang = visitor.lang;
    let link = raw.clone();
    let outcome =
        crate::web::run(ctx, move |ctx| email_votes::decide(ctx, &link, comment, signed_in.as_ref())).await;
    match outcome {
        Ok(Decided::Denied(Access::SignIn)) => Ok(super::see_other(&format!("/sign-in?next=/vote/{raw}"))),
        Ok(Decided::Denied(_)) => {
            let body = markup! { p role="alert" { (lang.t("vote-link-other-user")) } };
            Ok(html(StatusCode::FORBIDDEN, plain_page(lang, &lang.t("vote-link-title"), body)))
        }
        Ok(Decided::Voted(view)) => {
            let body = markup! {
                p role="status" { (lang.t("vote-link-thanks")) " " (lang.t_with("vote-link-now", &[("state", arg(lang.t(&format!("state-{}", view.state))))])) }
                p { a href=(format!("/changes/{}", view.reference)) { (lang.t("mail-open")) " " (view.reference) } }
            };
            Ok(html(StatusCode::OK, plain_page(lang, &lang.t("vote-link-title"), body)))
        }
        Ok(Decided::Refused(link)) => Ok(refused(lang, &link)),
        Err(error) => {
            let body = markup! { p role="alert" { (crate::web::messages::describe(lang, &error)) } };
            Ok(html(
                actix_web::ResponseError::status_code(&error),
                plain_page(lang, &lang.t("vote-link-title"), body),
            ))
        }
    }
}

/// Who the browser is signed in as, if anyone (a lapsed session counts as no one).
async fn signed_in(ctx: &web::Data<Ctx>, session: &Session, lang: Lang) -> Result<Option<Caller>, PageError> {
    session::signed_in_caller(ctx.clone(), session).await.map_err(|error| PageError::Service { error, lang })
}
