//! `/`: the home page, with a section for each of the viewer's roles.

use super::html;
use crate::db::changes::{ListFilter, ListOrder};
use crate::domain::change::ChangeState;
use crate::domain::role::Role;
use crate::services::changes::ChangeSummary;
use crate::services::{queue, Ctx, ServiceResult};
use crate::web::session::{page_run, PageError, Viewer};
use crate::web::views::{changes::table, page};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html as markup;

/// One home section: its heading key and its changes.
type Section = (&'static str, Vec<ChangeSummary>);

pub async fn home(ctx: web::Data<Ctx>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let caller = viewer.caller.clone();
    let sections = page_run(ctx, viewer.lang, move |ctx| -> ServiceResult<Vec<Section>> {
        let me = caller.id;
        let mut sections = vec![(
            "home-my-changes",
            queue::changes(ctx, &caller, ListFilter { requester: Some(me), ..Default::default() })?,
        )];
        if caller.has(Role::ChangeManager) {
            let filter = ListFilter {
                states: vec![ChangeState::Assess],
                order: ListOrder::Soonest,
                ..Default::default()
            };
            sections.push(("home-to-assess", queue::changes(ctx, &caller, filter)?));
        }
        if caller.has(Role::CabMember) || caller.has(Role::ChangeManager) {
            let waiting = queue::cab(ctx, &caller)?
                .into_iter()
                .filter(|i| i.awaiting_viewer)
                .map(|i| i.change)
                .collect();
            sections.push(("home-awaiting-vote", waiting));
        }
        if caller.has(Role::Implementer) {
            let filter = ListFilter {
                implementer: Some(me),
                states: vec![ChangeState::Scheduled, ChangeState::Implement],
                order: ListOrder::Soonest,
                ..Default::default()
            };
            sections.push(("home-my-work", queue::changes(ctx, &caller, filter)?));
        }
        if caller.has(Role::Manager) {
            let now = ctx.clock.now();
            let filter = ListFilter {
                states: vec![ChangeState::Scheduled, ChangeState::Implement],
                from: Some(now),
                to: Some(now + chrono::Duration::days(7)),
                order: ListOrder::Soonest,
                ..Default::default()
            };
            sections.push(("home-upcoming-week", queue::changes(ctx, &caller, filter)?));
        }
        Ok(sections)
    })
    .await?;
    let lang = viewer.lang;
    let body = markup! {
        @for (heading, items) in &sections {
            section aria-labelledby=(heading) {
                h2 #(heading) { (lang.t(heading)) }
                (table(&viewer, items))
            }
        }
    };
    Ok(html(
        StatusCode::OK,
        page(
            &viewer,
            &lang.t_with("home-title", &[("name", crate::web::i18n::arg(&viewer.caller.name))]),
            body,
        ),
    ))
}
