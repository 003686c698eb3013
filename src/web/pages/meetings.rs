//! `/cab/meetings/{id}`: a CAB meeting and its agenda, printable, and as Markdown.

use super::html;
use crate::domain::ids::UserId;
use crate::domain::meeting::DecisionOutcome;
use crate::services::{meetings, Ctx};
use crate::web::session::{page_run, Form, PageError, Viewer};
use crate::web::views::{meetings as view, page};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

pub async fn show(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    meeting_page(ctx, &viewer, id.into_inner(), None).await
}

/// The meeting page, with what was refused (and its status) when a form was.
async fn meeting_page(
    ctx: web::Data<Ctx>,
    viewer: &Viewer,
    id: i32,
    refused: Option<(StatusCode, String)>,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let runs = viewer.may(crate::authz::Permission::ManageMeetings);
    let (detail, people) = page_run(ctx, viewer.lang, move |ctx| {
        let people = if runs { meetings::attendance_choices(ctx, &caller)? } else { Vec::new() };
        Ok((meetings::detail(ctx, &caller, id)?, people))
    })
    .await?;
    let title = view::title(viewer.lang, viewer.zone, &detail.meeting);
    let (status, message) = match refused {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let chair = view::Chair { runs, people: &people, refused: message.as_deref() };
    Ok(html(status, page(viewer, &title, view::page(viewer, &detail, &chair))))
}

/// Runs one meeting action from a form; back to the meeting, or the refusal on it.
async fn act(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: i32,
    work: impl FnOnce(
            &Ctx,
            &crate::domain::caller::Caller,
        ) -> crate::services::ServiceResult<meetings::MeetingDetail>
        + Send
        + 'static,
) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    match crate::web::run(ctx.clone(), move |ctx| work(ctx, &caller)).await {
        Ok(_) => Ok(super::see_other(&format!("/cab/meetings/{id}"))),
        Err(error) => {
            let refused = super::Refusal::message(error, viewer.lang)?;
            meeting_page(ctx, &viewer, id, Some(refused)).await
        }
    }
}

pub async fn open(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let attendees = form.all("attendees").iter().filter_map(|a| a.parse().ok()).map(UserId).collect();
    act(ctx, viewer, id, move |ctx, caller| {
        meetings::open(ctx, caller, id, meetings::OpenMeeting { attendees })
    })
    .await
}

pub async fn decide(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    // No outcome (never a default one): the decision is refused, not guessed.
    let Ok(outcome) = form.get("outcome").parse::<DecisionOutcome>() else {
        return act(ctx, viewer, id, |ctx, caller| {
            meetings::require_chair(ctx, caller)?;
            let choose = crate::domain::validation::Message::new("msg-choice");
            Err(crate::services::ServiceError::invalid("outcome", choose))
        })
        .await;
    };
    let change_id = crate::domain::ids::ChangeId(form.get("change_id").parse().unwrap_or(0));
    let input = meetings::DecisionInput {
        change_id,
        outcome,
        comment: form.text("comment"),
        force: false,
        reason: None,
    };
    act(ctx, viewer, id, move |ctx, caller| meetings::record_decision(ctx, caller, id, input)).await
}

pub async fn close(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
    _csrf_checked: Form,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    act(ctx, viewer, id, move |ctx, caller| meetings::close(ctx, caller, id)).await
}

pub async fn markdown(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let (id, caller) = (id.into_inner(), viewer.caller.clone());
    let detail = page_run(ctx, viewer.lang, move |ctx| meetings::detail(ctx, &caller, id)).await?;
    let file =
        format!("cab-agenda-{}.md", detail.meeting.starts_at.with_timezone(&viewer.zone).format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(view::markdown(viewer.lang, viewer.zone, &detail)))
}
