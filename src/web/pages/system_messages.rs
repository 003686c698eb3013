//! System messages: the page and feed anyone may read (`/messages`, `/messages.atom`),
//! and the forms that write them, posted from the desk's page or a change's page.

use super::see_other;
use crate::domain::caller::Caller;
use crate::domain::ids::ChangeId;
use crate::i18n::Lang;
use crate::services::changes::Expected;
use crate::services::system_messages::{
    self as messages, MessageEdit, MessageTexts, NewDisruption, NewUpdate,
};
use crate::services::{Ctx, ServiceError, ServiceResult};
use crate::web::extract::Query;
use crate::web::pages::desk::DeskRefusal;
use crate::web::pages::Refusal;
use crate::web::session::{reader_language, signed_in_caller, Form, PageError, Viewer};
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The reader, when the messages need one signed in (else `None`: anyone reads).
async fn reader(ctx: &web::Data<Ctx>, session: &Session) -> Result<Option<Caller>, ServiceError> {
    match ctx.config.messages_require_sign_in {
        true => Ok(signed_in_caller(ctx.clone(), session).await?.map(|(caller, _)| caller)),
        false => Ok(None),
    }
}

/// `/messages`: what is happening now, what is coming, what ended in the last 30 days.
pub async fn public(
    ctx: web::Data<Ctx>,
    req: HttpRequest,
    session: Session,
    query: Query<LangQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = reader_language(&req, query.lang.as_deref());
    let caller = reader(&ctx, &session).await.map_err(|error| PageError::Service { error, lang })?;
    if ctx.config.messages_require_sign_in && caller.is_none() {
        return Ok(see_other("/sign-in?next=%2Fmessages"));
    }
    let cache = crate::web::api::system_messages::cache_control(&ctx);
    let zone = ctx.config.time_zone();
    let rendered = published(ctx, caller, ("page", lang), move |shown| {
        crate::web::views::system_messages::public_page(lang, zone, shown).into_string()
    })
    .await
    .map_err(|error| PageError::Service { error, lang })?;
    Ok(answer(&req, rendered, cache, "text/html; charset=utf-8"))
}

/// The page or feed `key` names: from memory while fresh (no trip to the blocking pool),
/// else read (and rendered, when its tag moved) on the blocking pool.
async fn published(
    ctx: web::Data<Ctx>,
    caller: Option<Caller>,
    key: (&'static str, Lang),
    render: impl FnOnce(&[messages::MessageView]) -> String + Send + 'static,
) -> Result<(String, std::sync::Arc<str>), ServiceError> {
    messages::may_read(&ctx, caller.as_ref())?;
    if let Some(fresh) = ctx.published.fresh(&ctx, key) {
        return Ok(fresh);
    }
    crate::web::run(ctx, move |ctx| ctx.published.refresh(ctx, caller.as_ref(), key, render)).await
}

/// 304 when the client holds `tag`, else the body.
fn answer(
    req: &HttpRequest,
    (tag, body): (String, std::sync::Arc<str>),
    cache: &str,
    content_type: &'static str,
) -> HttpResponse {
    if crate::web::etag_matches(req, &tag) {
        return crate::web::tagged(HttpResponse::NotModified(), &tag, cache).finish();
    }
    crate::web::tagged(HttpResponse::Ok(), &tag, cache).content_type(content_type).body(body.to_string())
}

/// `/messages.atom`: the same messages as an Atom feed.
pub async fn atom(
    ctx: web::Data<Ctx>,
    req: HttpRequest,
    session: Session,
    query: Query<LangQuery>,
) -> HttpResponse {
    let lang = reader_language(&req, query.lang.as_deref());
    let cache = crate::web::api::system_messages::cache_control(&ctx);
    let zone = ctx.config.time_zone();
    let base = ctx.config.base_url.trim_end_matches('/').to_owned();
    let caller = match reader(&ctx, &session).await {
        Ok(caller) => caller,
        Err(error) => return actix_web::ResponseError::error_response(&error),
    };
    let render = move |shown: &[messages::MessageView]| {
        crate::web::views::system_messages::atom(lang, zone, shown, &base)
    };
    match published(ctx, caller, ("atom", lang), render).await {
        Ok(rendered) => answer(&req, rendered, cache, "application/atom+xml; charset=utf-8"),
        Err(error) => actix_web::ResponseError::error_response(&error),
    }
}

/// Where a message form returns to: the change page it was posted from, or the desk's.
enum Back {
    Change(ChangeId),
    Desk,
}

impl Back {
    fn of(form: &Form) -> Back {
        form.get("back").strip_prefix("/changes/").and_then(ChangeId::parse).map_or(Back::Desk, Back::Change)
    }

    fn location(&self, anchor: &str) -> String {
        match self {
            Back::Change(id) => format!("/changes/{}#message", id.reference()),
            Back::Desk => format!("/desk#{anchor}"),
        }
    }
}

/// Runs one message form's service call: on success the confirmation and back where it
/// came from; on a refusal that page again, with what was typed into `action`'s form.
async fn message_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    (action, form): (String, &Form),
    work: impl FnOnce(&Ctx, &Caller) -> ServiceResult<messages::MessageView> + Send + 'static,
    done: &str,
) -> Result<HttpResponse, PageError> {
    let back = Back::of(form);
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| work(ctx, &caller)).await {
        Ok(message) => {
            let title = message.title(viewer.lang).to_owned();
            viewer.confirm(viewer.lang.t_with(done, &[("title", crate::i18n::arg(title))]));
            Ok(see_other(&back.location(&format!("message-{}", message.id))))
        }
        Err(error) => match back {
            Back::Change(id) => super::changes::refused(ctx, &viewer, id, error, (&action, form)).await,
            Back::Desk => {
                let (status, message) = Refusal::message(error, viewer.lang)?;
                let refusal = DeskRefusal { status, message, action, typed: form.typed() };
                super::desk::render(ctx, &viewer, "", Some(refusal)).await
            }
        },
    }
}

/// Publishes a disruption from the desk's page.
pub async fn report(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let input = NewDisruption {
        texts: MessageTexts {
            title_nb: form.text("title_nb"),
            body_nb: form.text("body_nb"),
            title_en: form.text("title_en"),
            body_en: form.text("body_en"),
        },
        starts_at: None,
        ends_at: None,
    };
    let work = move |ctx: &Ctx, caller: &Caller| messages::report(ctx, caller, input);
    message_form(ctx, viewer, ("new-message".to_owned(), &form), work, "done-message-reported").await
}

fn message_id(viewer: &Viewer, segment: &str) -> Result<i32, PageError> {
    segment.parse().map_err(|_| PageError::Service {
        error: ServiceError::NotFound(format!("`{segment}` is not a system message's number")),
        lang: viewer.lang,
    })
}

/// Rewrites a message's texts (its fields are named `m<id>-…`, one form per message).
pub async fn edit(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let id = message_id(&viewer, &id)?;
    let field = |name: &str| form.text(&format!("m{id}-{name}"));
    let input = MessageEdit {
        texts: MessageTexts {
            title_nb: field("title_nb"),
            body_nb: field("body_nb"),
            title_en: field("title_en"),
            body_en: field("body_en"),
        },
        ends_at: None,
    };
    let version = form.get("version").parse().map_or(Expected::Missing, Expected::Version);
    // The page has no field for a disruption's expected end: `ends_at: None` keeps it.
    let work = move |ctx: &Ctx, caller: &Caller| messages::edit(ctx, caller, id, version, input);
    message_form(ctx, viewer, (format!("message-{id}"), &form), work, "done-message-saved").await
}

/// Publishes a change's draft message.
pub async fn publish(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let id = message_id(&viewer, &id)?;
    let work = move |ctx: &Ctx, caller: &Caller| messages::publish(ctx, caller, id);
    message_form(ctx, viewer, (format!("message-{id}-publish"), &form), work, "done-message-published").await
}

/// Posts an update (and resolves a disruption when its box is ticked).
pub async fn post_update(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let id = message_id(&viewer, &id)?;
    let input = NewUpdate {
        text_nb: form.text(&format!("m{id}-text_nb")),
        text_en: form.text(&format!("m{id}-text_en")),
        resolve: !form.get(&format!("m{id}-resolve")).is_empty(),
    };
    let done = if input.resolve { "done-message-resolved" } else { "done-message-updated" };
    let work = move |ctx: &Ctx, caller: &Caller| messages::post_update(ctx, caller, id, input);
    message_form(ctx, viewer, (format!("message-{id}-update"), &form), work, done).await
}
