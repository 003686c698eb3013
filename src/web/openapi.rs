//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::api::{changes, meta, reference};
use super::problem::Problem;
use actix_web::web;
use utoipa::openapi::content::Content;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Endring", description = "Change advisory board (CAB) approval service"),
    paths(
        meta::healthz, meta::token, meta::tokens, meta::create_token, meta::revoke_token, meta::me,
        changes::list, changes::create, changes::get, changes::edit, changes::risk,
        changes::submit, changes::assess, changes::return_to_draft, changes::reschedule,
        changes::start, changes::complete, changes::review, changes::cancel, changes::vote, changes::events, changes::slots,
        changes::gate, changes::notes, changes::add_note, changes::copy, changes::delete,
        changes::attachments, changes::attach, changes::attachment,
        changes::link_incident, changes::unlink_incident,
        reference::calendar, reference::desk, reference::report, reference::changes_csv, super::api::outbox::failed, super::api::outbox::retry, reference::list_cis, reference::create_ci, reference::list_templates,
        reference::create_template, reference::list_blackouts, reference::create_blackout,
        reference::update_ci, reference::retire_ci, reference::update_template, reference::retire_template,
        reference::update_blackout, reference::retire_blackout, super::api::maintenance::update,
        reference::template_versions, reference::candidates, reference::accept_candidate, reference::dismiss_candidate,
        super::api::meetings::list, super::api::meetings::add, super::api::meetings::get, super::api::meetings::cancel,
        super::api::meetings::open, super::api::meetings::decision, super::api::meetings::close,
        super::api::meetings::settings, super::api::meetings::save_settings,
        super::api::maintenance::list, super::api::maintenance::add, super::api::maintenance::remove,
        super::api::delegations::list, super::api::delegations::create, super::api::delegations::revoke,
        super::api::users::list, super::api::users::deactivate, super::api::users::reactivate,
        super::api::users::password_reset,
        super::api::workdays::days_off, super::api::workdays::close_day, super::api::workdays::reopen_day,
        super::api::system_messages::list, super::api::system_messages::report, super::api::system_messages::get,
        super::api::system_messages::edit, super::api::system_messages::publish, super::api::system_messages::post_update,
        super::api::webhooks::list, super::api::webhooks::create, super::api::webhooks::get, super::api::webhooks::update,
        super::api::webhooks::delete, super::api::webhooks::deliveries, super::api::webhooks::test,
        super::api::webhooks::retry,
    ),
    components(schemas(crate::services::changes::Sort)),
    modifiers(&BearerAuth, &ProblemResponses)
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

/// Every error is `application/problem+json`. Every operation may answer 400 (malformed
/// request) and 500; a signed-in one 401 and 403 (a token's scopes may refuse any of
/// them); one about a record 404; one with a JSON body 413, 415 and 422; one with query
/// parameters 422. Stated once here rather than on each handler. An operation that names
/// no security is public, and says so (`security: []`).
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem_name = <Problem as utoipa::ToSchema>::name();
        let problem = || Content::new(Some(RefOr::Ref(Ref::from_schema_name(problem_name.clone()))));
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let has_body = operation.request_body.is_some();
                let json_body = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                if operation.security.is_none() {
                    operation.security = Some(Vec::new());
                }
                let has_query =
                    operation.parameters.iter().flatten().any(|p| p.parameter_in == ParameterIn::Query);
                let applies = [
                    ("400", "malformed request", true),
                    ("401", "not signed in", secured),
                    ("403", "refused: the caller's roles or the token's scopes do not allow it", secured),
                    ("404", "no such change or record", path.contains('{')),
                    ("413", "the body is larger than the 256 KiB this API accepts", json_body),
                    ("415", "the body is not application/json", json_body),
                    ("422", "invalid fields; `errors` lists them", has_body || has_query),
                    ("500", "internal error", true),
                ];
                let responses = &mut operation.responses.responses;
                for (status, description, _) in applies.into_iter().filter(|(_, _, applies)| *applies) {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(Response::new(description)));
                }
                for (status, response) in responses.iter_mut() {
                    if let (true, RefOr::T(response)) = (status.as_str() >= "400", response) {
                        response.content.clear();
                        response.content.insert("application/problem+json".to_owned(), problem());
                    }
                }
            }
        }
    }
}

/// `GET /api/v1/openapi.json`, with this installation's address as its server.
pub async fn document(ctx: web::Data<crate::services::Ctx>) -> web::Json<utoipa::openapi::OpenApi> {
    let mut document = ApiDoc::openapi();
    let base = ctx.config.base_url.trim_end_matches('/');
    document.servers = Some(vec![utoipa::openapi::server::Server::new(base)]);
    web::Json(document)
}
