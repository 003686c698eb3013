//! Files attached to a change: checked by their content, limited in size, kept in the
//! database (so a second instance serves what the first received), served as downloads
//! that are never sniffed — through the API and the change page, on both backends.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{csrf, page, sign_in};
use endring::domain::change::ChangeState;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

on_both_backends!(
    attachments_are_checked_by_content_limited_in_size_and_served_by_every_instance,
    an_upload_from_the_change_page_is_confirmed_and_a_refused_one_says_why_and_stores_nothing,
);

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
const ELF: &[u8] = &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0];

/// POSTs `content` as the file `name` (already URL-encoded) through the API.
async fn upload(
    app: &TestApp,
    change: &serde_json::Value,
    user: &crate::helpers::User,
    name: &str,
    content: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let url = format!("{}/api/v1/changes/{}/attachments?name={name}", app.address, change["id"]);
    let response = app
        .client
        .post(url)
        .bearer_auth(&user.token)
        .header("content-type", "application/octet-stream")
        .body(content)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

async fn attachments_are_checked_by_content_limited_in_size_and_served_by_every_instance(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.attachment_max_mb = 1).await;
    let staged = app.change_in(ChangeState::Assess).await;
    let (change, requester) = (&staged.change, &staged.requester);

    let (status, file) = upload(&app, change, requester, "Testrapport%20%C3%B8.pdf", PDF.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["name"], "Testrapport ø.pdf");
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["size"], PDF.len());
    assert_eq!(file["sha256"], hex::encode(Sha256::digest(PDF)));

    // A second instance on the same database lists and serves it, byte for byte, as a
    // download that is never sniffed or rendered.
    let other = app.second_instance().await;
    let list = other.get(&format!("/api/v1/changes/{}/attachments", change["id"]), &staged.manager).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["uploaded_by"], file["uploaded_by"]);
    let response = other
        .client
        .get(format!("{}{}", other.address, file["href"].as_str().unwrap()))
        .bearer_auth(&staged.manager.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert!(header("content-security-policy").unwrap().contains("sandbox"));
    let disposition = header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''Testrapport%20%C3%B8.pdf"), "{disposition}");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);

    // Refused, each with a reason naming the file, and nothing stored.
    let too_large = vec![b'a'; 1_000_001];
    let (status, problem) = upload(&app, change, requester, "big.log", too_large).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("1 MB"), "{problem}");
    for (name, content, says) in [
        ("tool", ELF.to_vec(), "not a kind of file"),
        ("skjerm.pdf", PNG.to_vec(), "another kind of content than its name says"),
        ("tom.txt", Vec::new(), "is empty"),
        ("a%0Db.txt", b"text".to_vec(), "file name"),
    ] {
        let (status, problem) = upload(&app, change, requester, name, content).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(says), "{name}: {problem}");
    }
    // Text is accepted under any name that claims no other kind; exactly the limit fits.
    let (status, text) = upload(&app, change, requester, "install.log", vec![b'a'; 1_000_000]).await;
    assert_eq!(
        (status, text["content_type"].as_str()),
        (StatusCode::CREATED, Some("text/plain; charset=utf-8"))
    );
    let list = app.get(&format!("/api/v1/changes/{}/attachments", change["id"]), requester).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(app.event_actions(change).await.iter().filter(|a| *a == "attach").count(), 2);

    // Only through the change it belongs to, and only for someone signed in.
    let another = app.change_in(ChangeState::Draft).await;
    let path = format!("/api/v1/changes/{}/attachments/{}", another.change["id"], file["id"]);
    let (status, _) = app.call(Method::GET, &path, Some(requester), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, file["href"].as_str().unwrap(), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn an_upload_from_the_change_page_is_confirmed_and_a_refused_one_says_why_and_stores_nothing(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| c.attachment_max_mb = 1).await;
    let staged = app.change_in(ChangeState::Authorize).await;
    let reference = staged.change["ref"].as_str().unwrap();
    let client = sign_in(&app, &staged.implementer).await;
    let change_page = format!("/changes/{reference}");
    let post = |token: String, name: &'static str, content: Vec<u8>| {
        let form = Form::new().text("csrf", token).part("file", Part::bytes(content).file_name(name));
        client.post(format!("{}/changes/{reference}/attachments", app.address)).multipart(form).send()
    };
    let (_, html) = page(&client, &app, &change_page).await;
    assert!(html.contains("enctype=\"multipart/form-data\""), "the page offers the upload");
    let token = csrf(&html);

    let response = post(token.clone(), "Leverandørnotat.pdf", PDF.to_vec()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], format!("/changes/{reference}#attachments").as_str());
    let (_, html) = page(&client, &app, &change_page).await;
    assert!(html.contains("Leverandørnotat.pdf er lagt ved"), "the confirmation");
    let link = format!("/changes/{reference}/attachments/");
    let start = html.find(&link).expect("a download link");
    let href = &html[start..start + html[start..].find('"').unwrap()];
    let download = client.get(format!("{}{href}", app.address)).send().await.unwrap();
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);

    // Too large, of a refused kind, or no file at all: the page again, saying why.
    for (name, content, status, says) in [
        ("stor.log", vec![b'a'; 1_000_001], StatusCode::PAYLOAD_TOO_LARGE, "større enn de 1 MB"),
        ("verktøy", ELF.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "er ikke en filtype"),
        ("", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "velg en fil"),
    ] {
        let response = post(token.clone(), name, content).await.unwrap();
        assert_eq!(response.status(), status, "{name}");
        let html = response.text().await.unwrap();
        assert!(html.contains(says), "{name}: {}", &html[..html.len().min(2000)]);
        assert!(html.contains("id=\"attachment-error\""), "the upload form marks the error");
    }
    // A stale or missing CSRF token: refused before anything is read into the change.
    let form =
        Form::new().text("csrf", "0".repeat(64)).part("file", Part::bytes(PDF.to_vec()).file_name("x.pdf"));
    let response = client
        .post(format!("{}/changes/{reference}/attachments", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let list =
        app.get(&format!("/api/v1/changes/{}/attachments", staged.change["id"]), &staged.requester).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "only the accepted file");
}
