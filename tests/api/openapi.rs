//! The OpenAPI document describes exactly the routes the server has (read from its route
//! table), each with a description.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(the_openapi_document_covers_every_route);

async fn the_openapi_document_covers_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = reqwest::get(format!("{}/api/v1/openapi.json", app.address)).await.unwrap();
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    // The routes the server really has, from the same list its route table is built from.
    let routes: Vec<(String, String)> = endring::web::api_route_table()
        .into_iter()
        .filter(|(_, path)| path != "/api/v1/openapi.json")
        .collect();
    assert!(routes.len() > 20, "the route table lists the API: {routes:?}");
    for (method, path) in &routes {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is routed but not described");
        assert!(
            operation["summary"].is_string() || operation["description"].is_string(),
            "{method} {path} has no description"
        );
    }
    let mut described: Vec<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .filter(|(m, _)| m != "parameters")
        .collect();
    described.sort();
    let mut routed = routes.clone();
    routed.sort();
    assert_eq!(described, routed, "the document describes exactly the routes that exist");
    assert!(document["components"]["schemas"]["ChangeView"].is_object());
    let states = &document["components"]["schemas"]["ChangeState"]["enum"];
    assert_eq!(states[0], "draft", "enums are documented by the names the API sends: {states}");
    let refused = &document["paths"]["/api/v1/changes/{id}/submit"]["post"]["responses"]["409"]["content"];
    assert!(refused["application/problem+json"].is_object(), "errors are problem documents: {refused}");
}
