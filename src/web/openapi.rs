//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::api::{changes, meta, reference};
use actix_web::web;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Endring", description = "Change advisory board (CAB) approval service"),
    paths(
        meta::healthz, meta::token, meta::me,
        changes::list, changes::create, changes::get, changes::edit, changes::risk,
        changes::submit, changes::assess, changes::return_to_draft, changes::reschedule,
        changes::start, changes::complete, changes::review, changes::cancel, changes::vote, changes::events,
        reference::calendar, reference::list_cis, reference::create_ci, reference::list_templates,
        reference::create_template, reference::list_blackouts, reference::create_blackout,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn document() -> web::Json<utoipa::openapi::OpenApi> {
    web::Json(ApiDoc::openapi())
}
