//! The OpenAPI document describes every route of SPEC §9 that exists.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(the_openapi_document_covers_every_route);

const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/changes"),
    ("post", "/api/v1/changes"),
    ("get", "/api/v1/changes/{id}"),
    ("patch", "/api/v1/changes/{id}"),
    ("put", "/api/v1/changes/{id}/risk"),
    ("post", "/api/v1/changes/{id}/submit"),
    ("post", "/api/v1/changes/{id}/assess"),
    ("post", "/api/v1/changes/{id}/return"),
    ("post", "/api/v1/changes/{id}/reschedule"),
    ("post", "/api/v1/changes/{id}/start"),
    ("post", "/api/v1/changes/{id}/complete"),
    ("post", "/api/v1/changes/{id}/review"),
    ("post", "/api/v1/changes/{id}/cancel"),
    ("post", "/api/v1/changes/{id}/votes"),
    ("get", "/api/v1/changes/{id}/events"),
    ("get", "/api/v1/calendar"),
    ("get", "/api/v1/reports/summary"),
    ("get", "/api/v1/outbox/failed"),
    ("post", "/api/v1/outbox/{id}/retry"),
    ("get", "/api/v1/cis"),
    ("post", "/api/v1/cis"),
    ("get", "/api/v1/templates"),
    ("post", "/api/v1/templates"),
    ("get", "/api/v1/blackouts"),
    ("post", "/api/v1/blackouts"),
    ("get", "/healthz"),
];

async fn the_openapi_document_covers_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = reqwest::get(format!("{}/api/v1/openapi.json", app.address)).await.unwrap();
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in ROUTES {
        assert!(document["paths"][path][method].is_object(), "{method} {path} is not described");
    }
    let described: usize =
        document["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(described, ROUTES.len(), "the document describes routes this test does not know");
    assert!(document["components"]["schemas"]["ChangeView"].is_object());
    let states = &document["components"]["schemas"]["ChangeState"]["enum"];
    assert_eq!(states[0], "draft", "enums are documented by the names the API sends: {states}");
    let refused = &document["paths"]["/api/v1/changes/{id}/submit"]["post"]["responses"]["409"]["content"];
    assert!(refused["application/problem+json"].is_object(), "errors are problem documents: {refused}");
}
