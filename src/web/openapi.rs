//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::api::{changes, meta, reference};
use super::problem::Problem;
use actix_web::web;
use utoipa::openapi::content::Content;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
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
    modifiers(&BearerAuth, &ProblemResponses, &OptionalBodies, &FlatBodies, &CrossFieldRules, &PlausibleYears)
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

/// A body with `#[serde(flatten)]` fields is generated as `allOf` of its parts, each
/// closed (`additionalProperties: false`) on its own, which no object can satisfy and which
/// says nothing of the body's real shape. Stated instead as the one closed object serde
/// reads: the parts' properties and required fields together.
struct FlatBodies;

impl Modify for FlatBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else { return };
        let object_named = |name: &str| match components.schemas.get(name) {
            Some(RefOr::T(Schema::Object(object))) => Some(object.clone()),
            _ => None,
        };
        let mut flattened = Vec::new();
        for (name, schema) in &components.schemas {
            let RefOr::T(Schema::AllOf(all_of)) = schema else { continue };
            let mut merged = utoipa::openapi::schema::Object::new();
            for part in &all_of.items {
                let part = match part {
                    RefOr::Ref(reference) => reference.ref_location.rsplit('/').next().and_then(object_named),
                    RefOr::T(Schema::Object(object)) => Some(object.clone()),
                    RefOr::T(_) => None,
                };
                let Some(part) = part else { continue };
                merged.properties.extend(part.properties);
                merged.required.extend(part.required);
                merged.description = merged.description.or(part.description);
            }
            merged.schema_type = utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::Type::Object);
            merged.description = all_of.description.clone().or(merged.description);
            merged.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            flattened.push((name.clone(), merged));
        }
        for (name, merged) in flattened {
            components.schemas.insert(name, RefOr::T(Schema::Object(merged)));
        }
        // A part that nothing names any more (its fields now stand in the bodies) goes.
        let document = serde_json::to_string(&*openapi).unwrap_or_default();
        let Some(components) = openapi.components.as_mut() else { return };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !document.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// A body that may be left out (read as `{}`) is generated from `Option<T>` as "`null` or
/// T", though `null` is not what leaving it out means: the body is stated as not required,
/// and T.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let Some(body) = operation.request_body.as_mut() else { continue };
                if body.required == Some(utoipa::openapi::Required::True) {
                    continue;
                }
                for content in body.content.values_mut() {
                    let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else { continue };
                    let mut kinds = one_of.items.iter().filter(|item| !is_null(item));
                    if let (Some(only), None) = (kinds.next(), kinds.next()) {
                        content.schema = Some(only.clone());
                    }
                }
            }
        }
    }
}

/// Every time and date the API reads lies in the years 2000–2199 (`change::plausible`; a
/// year 1 or 99999 is a typing slip, not a plan), and every one it writes too: each
/// `date-time` and `date` in the document, in bodies and parameters, says so by a pattern.
struct PlausibleYears;

impl Modify for PlausibleYears {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.schemas.values_mut().for_each(plausible_years);
        }
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    parameter.schema.iter_mut().for_each(plausible_years);
                }
                for content in operation.request_body.iter_mut().flat_map(|body| body.content.values_mut()) {
                    content.schema.iter_mut().for_each(plausible_years);
                }
            }
        }
    }
}

fn plausible_years(schema: &mut RefOr<Schema>) {
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, SchemaFormat};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            let dated = matches!(
                object.format,
                Some(SchemaFormat::KnownFormat(KnownFormat::DateTime | KnownFormat::Date))
            );
            if dated && object.pattern.is_none() {
                object.pattern = Some(crate::domain::schema::YEARS_PATTERN.to_owned());
            }
            object.properties.values_mut().for_each(plausible_years);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                plausible_years(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(plausible_years),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(plausible_years),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(plausible_years),
        _ => {}
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object))
        if object.schema_type == utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::Type::Null))
}

/// Rules between fields that JSON Schema can state (`if`/`then`), the server enforcing
/// each (422): a rejection, a return and an unsuccessful end say why; an English body
/// needs an English title. utoipa's schema model has no `if`/`then`, so they are written
/// through its extension map, which serializes its keys as they are. Rules that depend on
/// stored state (a forced window needs a reason only when it conflicts; an overridden risk
/// level only when it differs from the computed one) are left to the 422 and its message.
struct CrossFieldRules;

impl Modify for CrossFieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use serde_json::json;
        let Some(components) = openapi.components.as_mut() else { return };
        let said = || json!({ "type": "string", "minLength": 1, "pattern": crate::domain::schema::required_pattern() });
        let when = |field: &str, condition: serde_json::Value| json!({ "properties": { field: condition }, "required": [field] });
        let then = |field: &str| json!({ "properties": { field: said() }, "required": [field] });
        let rules = [
            ("VoteInput", when("decision", json!({ "const": "reject" })), then("comment")),
            ("AssessInput", when("outcome", json!({ "const": "return" })), then("comment")),
            ("DecisionInput", when("outcome", json!({ "enum": ["reject", "return"] })), then("comment")),
            (
                "CompleteInput",
                when("closure_code", json!({ "not": { "const": "successful" } })),
                then("notes"),
            ),
            ("NewDisruption", when("body_en", said()), then("title_en")),
            ("MessageEdit", when("body_en", said()), then("title_en")),
        ];
        for (name, condition, consequence) in rules {
            // Each is present (a test reads them all from the served document).
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) else { continue };
            let extensions = object.extensions.get_or_insert_with(Default::default);
            extensions.insert("if".to_owned(), condition);
            extensions.insert("then".to_owned(), consequence);
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

#[cfg(test)]
mod tests {
    use super::ApiDoc;
    use serde_json::{json, Value};
    use utoipa::OpenApi;

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    fn schema<'a>(document: &'a Value, name: &str) -> &'a Value {
        &document["components"]["schemas"][name]
    }

    #[test]
    fn rules_between_fields_are_stated() {
        let document = document();
        for (name, field, value, needed) in [
            ("VoteInput", "decision", json!({ "const": "reject" }), "comment"),
            ("AssessInput", "outcome", json!({ "const": "return" }), "comment"),
            ("DecisionInput", "outcome", json!({ "enum": ["reject", "return"] }), "comment"),
            ("CompleteInput", "closure_code", json!({ "not": { "const": "successful" } }), "notes"),
        ] {
            let body = schema(&document, name);
            assert_eq!(body["if"]["properties"][field], value, "{name}");
            assert_eq!(body["then"]["required"], json!([needed]), "{name}");
            assert_eq!(body["then"]["properties"][needed]["minLength"], 1, "{name}");
        }
        for name in ["NewDisruption", "MessageEdit"] {
            assert_eq!(schema(&document, name)["then"]["required"], json!(["title_en"]), "{name}");
        }
    }

    #[test]
    fn flattened_bodies_are_one_closed_object() {
        let document = document();
        for (name, own) in [("NewDisruption", "starts_at"), ("MessageEdit", "ends_at")] {
            let body = schema(&document, name);
            assert!(body["allOf"].is_null(), "{name}: {body}");
            assert_eq!(body["additionalProperties"], false, "{name}");
            for field in ["title_nb", "body_nb", "title_en", "body_en", own] {
                assert!(body["properties"][field].is_object(), "{name} lacks {field}");
            }
            assert_eq!(body["required"], json!(["title_nb", "body_nb"]), "{name}");
        }
        assert!(schema(&document, "MessageTexts").is_null(), "the part no body names is gone");
    }

    #[test]
    fn bodies_that_may_be_left_out_are_not_required_and_not_null() {
        let document = document();
        for path in [
            "/api/v1/changes/{id}/submit",
            "/api/v1/changes/{id}/start",
            "/api/v1/templates/candidates/{id}/accept",
        ] {
            let body = &document["paths"][path]["post"]["requestBody"];
            assert_ne!(body["required"], true, "{path}");
            let content = &body["content"]["application/json"]["schema"];
            assert!(content["$ref"].is_string(), "{path}: {content}");
        }
        assert_eq!(document["paths"]["/api/v1/changes/{id}/assess"]["post"]["requestBody"]["required"], true);
    }

    #[test]
    fn every_time_and_date_states_the_years() {
        fn walk(value: &Value, at: &str, found: &mut usize) {
            match value {
                Value::Object(map) => {
                    if matches!(map.get("format").and_then(Value::as_str), Some("date-time" | "date")) {
                        *found += 1;
                        assert_eq!(
                            map.get("pattern").and_then(Value::as_str),
                            Some(crate::domain::schema::YEARS_PATTERN),
                            "{at}"
                        );
                    }
                    map.iter().for_each(|(key, value)| walk(value, &format!("{at}/{key}"), found));
                }
                Value::Array(items) => items.iter().for_each(|value| walk(value, at, found)),
                _ => {}
            }
        }
        let mut found = 0;
        walk(&document(), "", &mut found);
        assert!(found > 30, "times and dates found: {found}");
    }
}
