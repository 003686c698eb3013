//! Working on a change beside its lifecycle: work notes with mentions, copying a change
//! into a new draft, deleting a draft that was never submitted — through the API and the
//! change page, on both backends.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{page, post_form, sign_in};
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    a_note_is_kept_shown_safely_audited_and_mentions_notify_who_may_read,
    a_copy_is_a_new_draft_of_the_caller_linked_to_its_original,
    only_a_draft_never_submitted_is_deleted_by_its_requester_and_then_found_nowhere,
    the_change_list_finds_a_change_by_its_reference_in_any_spelling,
);

async fn a_note_is_kept_shown_safely_audited_and_mentions_notify_who_may_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.user("cato", &[Role::CabMember]).await;
    let staged = app.change_in(ChangeState::Authorize).await;
    let change = &staged.change;
    let path = format!("/api/v1/changes/{}/notes", change["id"]);
    let body = format!(
        "Vendor says **reboot** needed. Ask @{} — and nobody@nowhere.example. <script>alert(1)</script>",
        member.email
    );
    let (status, note) =
        app.call(Method::POST, &path, Some(&staged.requester), Some(json!({ "body": body }))).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["body"], body);

    // Kept and listed; audited as one event with the note.
    let notes = app.get(&path, &member).await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert_eq!(notes[0]["body"], body);
    assert_eq!(app.event_actions(change).await.iter().filter(|a| *a == "note").count(), 1);
    // The mentioned member hears of it; the unknown address and the author do not.
    assert_eq!(app.recipients(change, "mentioned").await, vec![member.email.clone()]);

    // Refusals lose nothing and say why.
    for (bad, field) in [(json!({ "body": "" }), "body"), (json!({ "body": "a\u{0}b" }), "body")] {
        let (status, problem) = app.call(Method::POST, &path, Some(&member), Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem.to_string().contains(field), "{problem}");
    }
    assert_eq!(app.get(&path, &member).await.as_array().unwrap().len(), 1);

    // On the page, in the timeline: the Markdown subset rendered, the script as text.
    let browser = sign_in(&app, &member).await;
    let reference = change["ref"].as_str().unwrap();
    let (_, html) = page(&browser, &app, &format!("/changes/{reference}")).await;
    let timeline = &html[html.find("id=\"timeline\"").unwrap()..];
    assert!(timeline.contains("<strong>reboot</strong>"), "Markdown rendered");
    assert!(timeline.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "HTML shown as text");
    assert!(!timeline.contains("<script>"), "never run");

    // A note from the page: PRG with a confirmation; a refused one keeps nothing lost.
    let form_path = format!("/changes/{reference}/notes");
    let (status, location) = post_form(&browser, &app, &form_path, &[("body", "Tested in staging.")]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, format!("/changes/{reference}#timeline").as_str())
    );
    let (_, html) = page(&browser, &app, &format!("/changes/{reference}")).await;
    assert!(html.contains("Notatet ditt på"), "the confirmation");
    assert!(html.contains("Tested in staging."));
    let (status, html) = post_form(&browser, &app, &form_path, &[("body", "   ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("role=\"alert\""), "says why");
}

async fn a_copy_is_a_new_draft_of_the_caller_linked_to_its_original(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.user("olav", &[]).await;
    let staged = app.change_in(ChangeState::Rejected).await;
    let original = &staged.change;
    let (status, copy) =
        app.call(Method::POST, &format!("/api/v1/changes/{}/copy", original["id"]), Some(&other), None).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], original["id"]);
    assert_eq!(copy["state"], "draft");
    assert_eq!(copy["requester"]["name"], "olav", "the copy is the caller's");
    for field in ["title", "description", "implementation_plan", "backout_plan", "test_plan", "ci_ids"] {
        assert_eq!(copy[field], original[field], "{field} copied");
    }
    assert_eq!(copy["risk"]["answers"], original["risk"]["answers"], "the risk answers too");
    assert!(copy["planned_start"].is_null() && copy["planned_end"].is_null(), "a new window is needed");
    let events = app.get(&format!("/api/v1/changes/{}/events", copy["id"]), &app.admin).await;
    assert_eq!(events[0]["payload"]["copied_from"]["ref"], original["ref"], "linked back");
    assert_eq!(app.change(original).await["state"], "rejected", "the original is untouched");

    // From the page: the copy opens for editing with a confirmation, and links back.
    let browser = sign_in(&app, &staged.requester).await;
    let reference = original["ref"].as_str().unwrap();
    let (status, location) = post_form(&browser, &app, &format!("/changes/{reference}/copy"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("/edit"), "{location}");
    let (_, edit) = page(&browser, &app, &location).await;
    assert!(
        edit.contains(&format!("kopiert fra {reference}")),
        "the edit form (of a draft without a window) says it"
    );
    let (_, shown) = page(&browser, &app, location.trim_end_matches("/edit")).await;
    assert!(shown.contains(&format!("<a href=\"/changes/{reference}\">{reference}</a>")), "a link back");
}

async fn only_a_draft_never_submitted_is_deleted_by_its_requester_and_then_found_nowhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.user("olav", &[Role::ChangeManager]).await;
    let staged = app.change_in(ChangeState::Draft).await;
    let draft = &staged.change;
    let path = format!("/api/v1/changes/{}", draft["id"]);
    let before = app.get("/api/v1/changes", &app.admin).await["total"].as_i64().unwrap();

    let (status, _) = app.call(Method::DELETE, &path, Some(&other), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not someone else's, not even a change manager's");
    // A draft that was submitted once (and returned) is withdrawn, not deleted.
    let returned = app.change_in(ChangeState::Assess).await;
    let (status, _) =
        app.act(&returned.change, "return", &returned.manager, json!({ "comment": "More detail" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/changes/{}", returned.change["id"]),
            Some(&returned.requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    let (status, _) = app.call(Method::DELETE, &path, Some(&staged.requester), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, &path, Some(&app.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "found no more");
    let after = app.get("/api/v1/changes", &app.admin).await["total"].as_i64().unwrap();
    assert_eq!(after, before, "listed no more (one deleted, one added since)");
    let (status, _) = app.call(Method::DELETE, &path, Some(&staged.requester), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleting twice finds nothing");
    assert!(matches!(app.verify_audit().await, endring::services::audit::Verification::Intact { .. }));

    // From the page: the requester's fresh draft offers deletion and lands home with a confirmation.
    let fresh = app.change_in(ChangeState::Draft).await;
    let browser = sign_in(&app, &fresh.requester).await;
    let reference = fresh.change["ref"].as_str().unwrap();
    let (_, html) = page(&browser, &app, &format!("/changes/{reference}")).await;
    assert!(html.contains(&format!("action=\"/changes/{reference}/delete\"")));
    let (status, location) = post_form(&browser, &app, &format!("/changes/{reference}/delete"), &[]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/"));
    let (_, home) = page(&browser, &app, "/").await;
    assert!(home.contains(&format!("{reference} er slettet.")));
}

async fn the_change_list_finds_a_change_by_its_reference_in_any_spelling(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.change_in(ChangeState::Draft).await.change;
    let _second = app.change_in(ChangeState::Draft).await.change;
    let id = first["id"].as_i64().unwrap();
    let reference = first["ref"].as_str().unwrap().to_owned();
    for typed in
        [reference.clone(), reference.to_lowercase(), id.to_string(), format!("CHG-{id}"), format!("#{id}")]
    {
        let found = app.get(&format!("/api/v1/changes?q={}", urlencode(&typed)), &app.admin).await;
        let refs: Vec<&str> =
            found["items"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
        assert_eq!(refs, vec![reference.as_str()], "{typed}");
    }
    // On the page too.
    let browser = sign_in(&app, &app.admin).await;
    let (_, html) = page(&browser, &app, &format!("/changes?q={id}")).await;
    assert!(html.contains(&format!("href=\"/changes/{reference}\"")), "the list links it");
}

fn urlencode(text: &str) -> String {
    text.replace('#', "%23")
}
