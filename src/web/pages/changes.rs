//! `/changes`: the list, the form to file or edit one, one change and its actions.

use super::forms::{action_form, as_patch, change_form, values_of, Rejected};
use super::{html, see_other, Refusal};
use crate::domain::ids::ChangeId;
use crate::domain::text::Text;
use crate::domain::validation::{FieldError, Message};
use crate::services::changes::Expected;
use crate::services::changes::Search;
use crate::services::reference::FormChoices;
use crate::services::{changes, reference, Ctx, ServiceError};
use crate::web::extract::Query;
use crate::web::session::{page_run, Form, PageError, TypedForm, Viewer};
use crate::web::views::changes::{self as view, Choices, FormValues};
use crate::web::views::components::Errors;
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

fn change_id(viewer: &Viewer, segment: &str) -> Result<ChangeId, PageError> {
    crate::web::api::change_id(segment).map_err(|error| PageError::Service { error, lang: viewer.lang })
}

/// The change list's filters, as they stand in the URL (so a view can be bookmarked).
/// Every value arrives as text: a value that does not parse is shown back with an error
/// and filters nothing.
#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    pub q: Option<Text>,
    pub state: Option<String>,
    #[serde(rename = "type")]
    pub change_type: Option<String>,
    pub risk: Option<String>,
    pub ci: Option<String>,
    pub requester: Option<Text>,
    pub implementer: Option<String>,
    pub from: Option<Text>,
    pub to: Option<Text>,
    pub mine: Option<String>,
    pub awaiting: Option<String>,
    pub sort: Option<String>,
    page: Option<i64>,
}

impl ListQuery {
    /// The query string for these filters with `sort` and `page` replaced.
    pub fn link(&self, sort: Option<&str>, page: Option<i64>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let text = |v: &Option<Text>| v.as_ref().map(|t| t.as_str().to_owned());
        for (name, value) in [
            ("q", text(&self.q)),
            ("state", self.state.clone()),
            ("type", self.change_type.clone()),
            ("risk", self.risk.clone()),
            ("ci", self.ci.clone()),
            ("requester", text(&self.requester)),
            ("implementer", self.implementer.clone()),
            ("from", text(&self.from)),
            ("to", text(&self.to)),
            ("mine", self.mine.clone()),
            ("awaiting", self.awaiting.clone()),
            ("sort", sort.map(str::to_owned).or_else(|| self.sort.clone())),
            ("page", page.map(|p| p.to_string())),
        ] {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                pairs.push((name, value));
            }
        }
        format!("/changes?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

/// Rows on one page of the change list.
const PAGE_SIZE: i64 = 50;

pub async fn list(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    query: Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    fn parse<T: std::str::FromStr>(value: &Option<String>) -> Option<T> {
        value.as_deref().filter(|v| !v.is_empty()).and_then(|v| v.parse().ok())
    }
    // A typed day: the window overlaps it from its start (`from`) or up to its end (`to`),
    // on the viewer's wall clock.
    let mut date_errors = Vec::new();
    let mut day = |field: &'static str, value: &Option<Text>, days: i64| {
        let text = value.as_ref().map(|t| t.trim().to_owned()).unwrap_or_default();
        if text.is_empty() {
            return None;
        }
        match super::forms::typed_date(&text) {
            Some(date) => {
                Some(crate::web::views::calendar::start_of(viewer.zone, date + chrono::Duration::days(days)))
            }
            None => {
                date_errors.push(FieldError::new(field, Message::new("msg-date-format")));
                None
            }
        }
    };
    let from = day("from", &query.from, 0);
    let to = day("to", &query.to, 1);
    let search = Search {
        states: parse(&query.state).into_iter().collect(),
        change_type: parse(&query.change_type),
        risk: parse(&query.risk),
        ci: query.ci.as_deref().and_then(|c| c.parse().ok()).map(crate::domain::ids::CiId),
        requester_email: query.requester.as_ref().map(|r| r.as_str().to_owned()),
        implementer: query
            .implementer
            .as_deref()
            .and_then(|c| c.parse().ok())
            .map(crate::domain::ids::UserId),
        from,
        to,
        text: query.q.clone(),
        mine: query.mine.is_some(),
        awaiting: query.awaiting.is_some(),
        sort: parse(&query.sort).unwrap_or_default(),
        ..Search::default()
    };
    let caller = viewer.caller.clone();
    let page_number = query.page.unwrap_or(1).clamp(1, 100_000);
    let offset = (page_number - 1) * PAGE_SIZE;
    let (found, choices) = page_run(ctx, viewer.lang, move |ctx| {
        let found = changes::list(ctx, &caller, &search, PAGE_SIZE, offset)?;
        Ok((found, reference::form_choices(ctx, &caller)?))
    })
    .await?;
    let total = found.shown_total();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let paging = view::Paging { page: page_number, pages, total, more: found.total_capped };
    let body = view::list(&viewer, &found, &query, &choices, &date_errors, &paging);
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
    slots: &[crate::services::slots::Slot],
) -> maud::Markup {
    let implementers = implementer_choices(choices);
    let shown =
        Choices { cis: &choices.cis, templates: &choices.templates, implementers: &implementers, slots };
    page(viewer, title, view::form(viewer, action, values, &shown, errors))
}

pub async fn new(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let choices = page_run(ctx, viewer.lang, move |ctx| reference::form_choices(ctx, &caller)).await?;
    let values = FormValues { change_type: "normal".into(), ..FormValues::default() };
    let title = viewer.lang.t("nav-new-change");
    Ok(html(
        StatusCode::OK,
        form_page(&viewer, &title, "/changes/new", &values, &choices, &Errors::default(), &[]),
    ))
}

/// The change form again, with what the person typed and what was wrong (422/409).
async fn form_again(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    title: &str,
    action: &str,
    (status, errors, values): (StatusCode, Vec<crate::domain::validation::FieldError>, FormValues),
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    // What the form named is offered again, even a CI or template retired meanwhile.
    let ci_ids: Vec<crate::domain::ids::CiId> =
        values.ci_ids.iter().filter_map(|id| id.parse().ok()).map(crate::domain::ids::CiId).collect();
    let template = values.template_id.parse().ok().map(crate::domain::ids::TemplateId);
    let choices = page_run(ctx, viewer.lang, move |ctx| {
        reference::form_choices_keeping(ctx, &caller, &ci_ids, template)
    })
    .await?;
    let page = form_page(viewer, title, action, &values, &choices, &Errors::new(viewer.lang, errors), &[]);
    Ok(html(status, page))
}

/// Saves the change form through `save` (one service call, which answers the change's
/// reference) and goes to the change; on field errors, the form again with everything as
/// typed.
async fn save_form<F>(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: &Form,
    (title, action, done): (&str, &str, &'static str),
    editing: Option<ChangeId>,
    save: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(
            &Ctx,
            &crate::domain::caller::Caller,
            crate::services::changes::NewChange,
        ) -> crate::services::ServiceResult<crate::services::change_view::ChangeView>
        + Send
        + 'static,
{
    let parsed = match change_form(form, viewer.zone) {
        Ok(parsed) => parsed,
        Err(rejected) => {
            // Who may not edit the change (or a change no longer a draft) is told that,
            // not what the form lacks.
            if let Some(id) = editing {
                let caller = viewer.caller.clone();
                page_run(ctx.clone(), viewer.lang, move |ctx| changes::check_editable(ctx, &caller, id))
                    .await?;
            }
            let Rejected { errors, values } = *rejected;
            let refused = (StatusCode::UNPROCESSABLE_ENTITY, errors, values);
            return form_again(ctx, &viewer, title, action, refused).await;
        }
    };
    let caller = viewer.caller.clone();
    let change = parsed.change;
    let mut values = parsed.values;
    match crate::web::run(ctx.clone(), move |ctx| save(ctx, &caller, change)).await {
        Ok(saved) => {
            viewer.confirm(confirmation(&viewer, (done, None), &saved));
            Ok(see_other(&format!("/changes/{}", saved.reference)))
        }
        // Someone saved the draft meanwhile: everything typed is shown again, and saving
        // once more (knowingly) replaces their version.
        Err(ServiceError::VersionMismatch { current, .. }) => {
            values.version = current.to_string();
            let stale = vec![FieldError::new("version", Message::new("msg-stale-version"))];
            form_again(ctx, &viewer, title, action, (StatusCode::PRECONDITION_FAILED, stale, values)).await
        }
        Err(error) => {
            let (status, errors) = Refusal::fields_or_page(error, viewer.lang)?;
            form_again(ctx, &viewer, title, action, (status, errors, values)).await
        }
    }
}

/// Files the change with its risk answers.
pub async fn create(ctx: web::Data<Ctx>, viewer: Viewer, form: TypedForm) -> Result<HttpResponse, PageError> {
    let form = form.0;
    let title = viewer.lang.t("nav-new-change");
    save_form(ctx, viewer, &form, (&title, "/changes/new", "done-created"), None, |ctx, caller, change| {
        changes::create(ctx, caller, change)
    })
    .await
}

pub async fn edit_form(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = change_id(&viewer, &id)?;
    let caller = viewer.caller.clone();
    let (detail, choices, slots) = page_run(ctx, viewer.lang, move |ctx| {
        changes::check_editable(ctx, &caller, id)?;
        let detail = changes::detail(ctx, &caller, id)?;
        // Free windows of the change's length, offered beside the typed times.
        // (Only for a change with a window: a draft without one has no length to fit.)
        let has_window = detail.view.planned_start.is_some() && detail.view.planned_end.is_some();
        let slots = match detail.actions.contains(&crate::domain::lifecycle::ActionKind::Edit) && has_window {
            true => crate::services::slots::for_change(ctx, &caller, id, 3, None)?,
            false => Vec::new(),
        };
        let choices =
            reference::form_choices_keeping(ctx, &caller, &detail.view.ci_ids, detail.view.template_id)?;
        Ok((detail, choices, slots))
    })
    .await?;
    let values = values_of(&detail.view, viewer.zone);
    let title = viewer.lang.t_with("edit-title", &[("ref", crate::i18n::arg(&detail.view.reference))]);
    let action = format!("/changes/{}/edit", detail.view.reference);
    Ok(html(
        StatusCode::OK,
        form_page(&viewer, &title, &action, &values, &choices, &Errors::default(), &slots),
    ))
}

/// Saves the edited draft with its risk answers.
pub async fn edit(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: TypedForm,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    let id = change_id(&viewer, &id)?;
    let title = viewer.lang.t_with("edit-title", &[("ref", crate::i18n::arg(id.reference()))]);
    let action = format!("/changes/{}/edit", id.reference());
    let expected = form.get("version").parse().map_or(Expected::Missing, Expected::Version);
    save_form(ctx, viewer, &form, (&title, &action, "done-edited"), Some(id), move |ctx, caller, change| {
        changes::edit(ctx, caller, id, expected, as_patch(change))
    })
    .await
}

async fn show_detail(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    id: ChangeId,
    refusal: Option<Refused>,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let detail = page_run(ctx, viewer.lang, move |ctx| changes::detail(ctx, &caller, id)).await?;
    let title = format!("{} {}", detail.view.reference, detail.view.title);
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    let shown =
        refusal.as_ref().map(|r| (r.message.as_str(), view::Typed { action: &r.action, values: &r.typed }));
    let body = view::detail(viewer, &detail, shown);
    Ok(html(status, page(viewer, &title, body)))
}

/// An action refused: the status, why in the viewer's words, and what they typed into it.
struct Refused {
    status: StatusCode,
    message: String,
    action: String,
    typed: Vec<(String, String)>,
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
            let error = ServiceError::NotFound(format!("no action {action}"));
            return Err(PageError::Service { error, lang: viewer.lang });
        }
        Err(errors) => {
            // Who may not take the action is told that, not what the form lacks.
            if let Some(permission) = action_permission(&action, &form) {
                let caller = viewer.caller.clone();
                let may = move |ctx: &Ctx| changes::check_may(ctx, &caller, id, permission);
                if let Err(error) = crate::web::run(ctx.clone(), may).await {
                    return refused(ctx, &viewer, id, error, (&action, &form)).await;
                }
            }
            return refused(ctx, &viewer, id, ServiceError::Invalid(errors), (&action, &form)).await;
        }
    };
    let caller = viewer.caller.clone();
    let done = (parsed.done_key(), parsed.on_behalf_of());
    // A vote cast from the CAB queue goes back to the queue.
    let back = match form.get("back") {
        "/cab" => "/cab".to_owned(),
        _ => format!("/changes/{}", id.reference()),
    };
    match crate::web::run(ctx.clone(), move |ctx| parsed.perform(ctx, &caller, id)).await {
        Ok(view) => {
            viewer.confirm(confirmation(&viewer, done, &view));
            Ok(see_other(&back))
        }
        Err(error) => refused(ctx, &viewer, id, error, (&action, &form)).await,
    }
}

/// The permission the lifecycle form `action` needs (a delegate's vote: `vote_for`).
fn action_permission(action: &str, form: &Form) -> Option<crate::authz::Permission> {
    use crate::authz::Permission as P;
    Some(match action {
        "submit" => P::Submit,
        "assess" => P::Assess,
        "votes" if !form.get("on_behalf_of").is_empty() => P::VoteFor,
        "votes" => P::Vote,
        "return" => P::Return,
        "reschedule" => P::Reschedule,
        "start" => P::Start,
        "complete" => P::Complete,
        "risk" => P::Risk,
        "review" => P::Review,
        "cancel" => P::Cancel,
        _ => return None,
    })
}

/// What a form did to a change (`done`, a `done-…` key) and what happens next from the
/// state it left the change in, in the viewer's words: "CHG-000051 is submitted. A change
/// manager will assess it; you will get an email."
fn confirmation(
    viewer: &Viewer,
    (done, on_behalf_of): (&str, Option<i32>),
    change: &crate::services::change_view::ChangeView,
) -> String {
    let lang = viewer.lang;
    let when = change.planned_start.map(|at| lang.datetime(viewer.zone, at)).unwrap_or_default();
    let code = change.closure_code.map(|c| lang.t(&format!("closure-{c}"))).unwrap_or_default();
    let args = [
        ("ref", crate::i18n::arg(&change.reference)),
        ("when", crate::i18n::arg(when)),
        ("code", crate::i18n::arg(code)),
        ("level", crate::i18n::arg(lang.t(&format!("risk-{}", change.risk.level)))),
        ("approvals", crate::i18n::num(i64::from(change.approval.approvals))),
        ("required", crate::i18n::num(i64::from(change.approval.required))),
    ];
    // A vote cast for a member says so: "You approved CHG-000051 for Ola Nordmann."
    let for_member = on_behalf_of.and_then(|member| {
        change.approval.votes.iter().find(|v| v.voter.id.0 == member).map(|v| v.voter.name.clone())
    });
    let what = match for_member {
        Some(member) => {
            let mut args = args.to_vec();
            args.push(("name", crate::i18n::arg(member)));
            lang.t_with(&format!("{done}-for"), &args)
        }
        None => lang.t_with(done, &args),
    };
    let next = lang.t_with(&format!("next-{}", change.state), &args);
    format!("{what} {next}")
}

/// The change page again with why the action was refused, and what was typed into it.
pub(super) async fn refused(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    id: ChangeId,
    error: ServiceError,
    (action, form): (&str, &Form),
) -> Result<HttpResponse, PageError> {
    let (status, message) = Refusal::message(error, viewer.lang)?;
    let refused = Refused { status, message, action: action.to_owned(), typed: form.typed() };
    show_detail(ctx, viewer, id, Some(refused)).await
}

/// A change-page form beside the lifecycle (note, copy, delete): one service call; on
/// success the confirmation (`landed` gives it and where to go), on a refusal the change
/// page again with what was typed into `action`'s form.
async fn work_form<T: Send + 'static>(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    segment: &str,
    (action, form): (&str, &Form),
    work: impl FnOnce(&Ctx, &crate::domain::caller::Caller, ChangeId) -> crate::services::ServiceResult<T>
        + Send
        + 'static,
    landed: impl FnOnce(&Viewer, ChangeId, T) -> (String, String),
) -> Result<HttpResponse, PageError> {
    let id = change_id(&viewer, segment)?;
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| work(ctx, &caller, id)).await {
        Ok(done) => {
            let (message, location) = landed(&viewer, id, done);
            viewer.confirm(message);
            Ok(see_other(&location))
        }
        Err(error) => refused(ctx, &viewer, id, error, (action, form)).await,
    }
}

/// Adds a work note from the change page; a refusal shows the page with the note as typed.
pub async fn add_note(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let input = crate::services::work::NewNote { body: form.text("body") };
    let work = move |ctx: &Ctx, caller: &_, id| crate::services::work::add_note(ctx, caller, id, input);
    work_form(ctx, viewer, &id, ("notes", &form), work, |viewer, id, _| {
        let message = viewer.lang.t_with("done-note", &[("ref", crate::i18n::arg(id.reference()))]);
        (message, format!("/changes/{}#timeline", id.reference()))
    })
    .await
}

/// Copies the change into a new draft and opens it for editing (its window first).
pub async fn copy(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    work_form(ctx, viewer, &id, ("copy", &form), crate::services::work::copy, |viewer, id, copy| {
        let args =
            [("ref", crate::i18n::arg(&copy.reference)), ("original", crate::i18n::arg(id.reference()))];
        (viewer.lang.t_with("done-copy", &args), format!("/changes/{}/edit", copy.reference))
    })
    .await
}

/// Deletes a draft that was never submitted; the requester lands on their start page.
pub async fn delete(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    work_form(ctx, viewer, &id, ("delete", &form), crate::services::work::delete_draft, |viewer, id, ()| {
        (viewer.lang.t_with("done-delete", &[("ref", crate::i18n::arg(id.reference()))]), "/".to_owned())
    })
    .await
}

/// Attaches the uploaded file (a `multipart/form-data` form with the CSRF token and
/// `file`); a refusal (too large, a type not accepted, no file) shows the change page with
/// the reason at the upload form.
pub async fn attach(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    mut parts: actix_multipart::Multipart,
) -> Result<HttpResponse, PageError> {
    use crate::services::attachments::{self, Upload};
    use crate::web::files::read_limited;
    use futures_util::stream::StreamExt;
    let id = change_id(&viewer, &id)?;
    let (max, max_mb) = (ctx.config.attachment_max_bytes(), ctx.config.attachment_max_mb);
    let csrf_refused = || PageError::Csrf { lang: viewer.lang };
    // The form's CSRF token comes first (it is the form's first field): nothing else is
    // read for a request without it.
    let first = parts.next().await.and_then(Result::ok).ok_or_else(csrf_refused)?;
    if first.name() != Some("csrf") {
        return Err(csrf_refused());
    }
    let csrf = read_limited(first, 256, 0).await.map_err(|_| csrf_refused())?;
    if !viewer.csrf_matches(&csrf) {
        return Err(csrf_refused());
    }
    let mut upload = None;
    while let Some(part) = parts.next().await {
        // Past the token, a part that cannot be read (a file name with control characters
        // or bytes that are not UTF-8 in its header) is the request's fault: 400, said so.
        let part = part.map_err(|e| PageError::Service {
            error: ServiceError::BadRequest(format!("the upload could not be read: {e}")),
            lang: viewer.lang,
        })?;
        match part.name() {
            Some("file") => {
                let name = part.content_disposition().and_then(|d| d.get_filename()).unwrap_or("").to_owned();
                let read = read_limited(part, max, max_mb).await;
                let too_large = read.is_err();
                upload = Some(read.map(|content| Upload { name, content }));
                // Past the limit nothing more is read: the refusal goes out now.
                if too_large {
                    break;
                }
            }
            // Anything else is dropped, and counts against nothing (at most a little).
            _ => {
                if read_limited(part, 1024, 0).await.is_err() {
                    break;
                }
            }
        }
    }
    let caller = viewer.caller.clone();
    let outcome = match upload {
        Some(Ok(upload)) if !(upload.name.is_empty() && upload.content.is_empty()) => {
            crate::web::run(ctx.clone(), move |ctx| attachments::attach(ctx, &caller, id, upload)).await
        }
        Some(Err(error)) => Err(error),
        // No file part, or the empty, nameless one of a form sent without choosing a file.
        _ => Err(ServiceError::invalid("file", Message::new("msg-attachment-none"))),
    };
    match outcome {
        Ok(file) => {
            let args = [("ref", crate::i18n::arg(id.reference())), ("name", crate::i18n::arg(&file.name))];
            viewer.confirm(viewer.lang.t_with("done-attach", &args));
            Ok(see_other(&format!("/changes/{}#attachments", id.reference())))
        }
        Err(error) => {
            let (status, message) = Refusal::message(error, viewer.lang)?;
            let refused = Refused { status, message, action: "attachments".to_owned(), typed: Vec::new() };
            show_detail(ctx, &viewer, id, Some(refused)).await
        }
    }
}

/// One attached file, as a download.
pub async fn attachment(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, PageError> {
    let (segment, attachment) = path.into_inner();
    let id = change_id(&viewer, &segment)?;
    let caller = viewer.caller.clone();
    let (file, content) = page_run(ctx, viewer.lang, move |ctx| {
        crate::services::attachments::download(ctx, &caller, id, attachment)
    })
    .await?;
    Ok(crate::web::files::download(&file, content))
}

/// Links a service-desk record from the change page; a refusal shows the page with what
/// was typed.
pub async fn link_incident(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    use crate::services::incidents;
    let relation = form.get("relation").parse::<crate::domain::incident::Relation>();
    let incident = form.text("incident");
    let shown = incident.as_str().trim().to_uppercase();
    let work = move |ctx: &Ctx, caller: &_, id| {
        let relation = relation.map_err(|e| ServiceError::invalid("relation", e))?;
        incidents::link(ctx, caller, id, incidents::NewLink { incident, relation })
    };
    work_form(ctx, viewer, &id, ("incidents", &form), work, move |viewer, id, _| {
        let args = [("id", crate::i18n::arg(shown)), ("ref", crate::i18n::arg(id.reference()))];
        (viewer.lang.t_with("done-incident-link", &args), format!("/changes/{}#incidents", id.reference()))
    })
    .await
}

/// Removes a link to a service-desk record from the change page.
pub async fn unlink_incident(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    path: web::Path<(String, String, String)>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    use crate::services::incidents;
    let (segment, relation, incident) = path.into_inner();
    let relation = relation.parse::<crate::domain::incident::Relation>();
    let shown = incident.trim().to_uppercase();
    let work = move |ctx: &Ctx, caller: &_, id| {
        let relation = relation.map_err(|e| ServiceError::invalid("relation", e))?;
        incidents::unlink(ctx, caller, id, &incident, relation)
    };
    work_form(ctx, viewer, &segment, ("incidents", &form), work, move |viewer, id, _| {
        let args = [("id", crate::i18n::arg(shown)), ("ref", crate::i18n::arg(id.reference()))];
        (viewer.lang.t_with("done-incident-unlink", &args), format!("/changes/{}#incidents", id.reference()))
    })
    .await
}
