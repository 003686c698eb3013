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
    the_change_list_searches_descriptions_filters_sorts_and_keeps_it_all_in_the_url,
);

#[actix_web::test]
async fn sqlite_rewrites_a_changes_words_in_the_full_text_index_only_when_its_text_changes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let staged = app.change_in(ChangeState::Draft).await;
    let change = &staged.change;
    // What the FTS5 index has stored: each write to it adds or merges blocks.
    let stored = || {
        app.db.count("SELECT CAST(COUNT(*) * 1000000 + COALESCE(SUM(LENGTH(block)), 0) AS BIGINT) AS n FROM changes_fts_data")
    };
    let found = |word: &'static str| {
        let app = &app;
        async move {
            let page = app.get(&format!("/api/v1/changes?q={word}"), &app.admin).await;
            page["items"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>()
        }
    };
    let before = stored();
    let path = format!("/api/v1/changes/{}", change["id"]);
    let patch = json!({ "title": "Kalibrere tidsserveren", "description": "Chrony på alle noder." });
    let (status, _, body) =
        app.call_with(Method::PATCH, &path, Some(&staged.requester), Some(patch), &[("If-Match", "*")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let edited = stored();
    assert_ne!(edited, before, "an edit of the text rewrites its words");
    assert_eq!(found("tidsserveren").await, vec![change["id"].clone()]);
    assert_eq!(found("chrony").await, vec![change["id"].clone()]);

    // A save that keeps the text (a state change sets every column) leaves the index be.
    let (status, body) = app.act(change, "submit", &staged.requester, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "assess");
    assert_eq!(stored(), edited, "a state change wrote to the full-text index");
    assert_eq!(found("tidsserveren").await, vec![change["id"].clone()], "and it is still found");
}

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

/// Titles and descriptions of three changes, to search.
const TEXTS: [(&str, &str); 3] = [
    ("Oppgradere sakarkivet", "Ny versjon av Public 360; brukerne må logge på igjen etter blåbær-testen."),
    ("Bytte brannmur", "Firewall replacement in the data centre; VPN users are affected for an hour."),
    ("Patch the mail servers", "Exchange cumulative update 23, nothing user-visible in «Postkasse»."),
];

async fn the_change_list_searches_descriptions_filters_sorts_and_keeps_it_all_in_the_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.user("reidun", &[]).await;
    let implementer = app.user("ivo", &[Role::Implementer]).await;
    let other = app.user("pia", &[Role::Implementer]).await;
    let archive = app.ci("Sakarkiv", 3).await;
    let network = app.ci("Brannmur", 4).await;
    let start = chrono::Utc::now() + chrono::Duration::days(20);
    let mut refs = Vec::new();
    for (n, (title, description)) in TEXTS.iter().enumerate() {
        let (who, ci) = if n == 1 { (&other, network) } else { (&implementer, archive) };
        let change_type = if n == 2 { "emergency" } else { "normal" };
        let draft =
            app.draft_of(change_type, &requester, who, &[ci], start + chrono::Duration::days(n as i64)).await;
        let patch = json!({ "title": title, "description": description });
        let path = format!("/api/v1/changes/{}", draft["id"]);
        let (status, _, body) =
            app.call_with(Method::PATCH, &path, Some(&requester), Some(patch), &[("If-Match", "*")]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        refs.push(draft["ref"].as_str().unwrap().to_owned());
    }
    let found = |query: String| {
        let app = &app;
        let requester = &requester;
        async move {
            let page = app.get(&format!("/api/v1/changes?{query}"), requester).await;
            let mut refs: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["ref"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(page["total"].as_i64().unwrap(), refs.len() as i64, "{query}");
            refs.sort();
            refs
        }
    };
    let only = |indexes: &[usize]| indexes.iter().map(|i| refs[*i].clone()).collect::<Vec<_>>();
    // Words of the description, any case, a word's beginning, Norwegian letters, several
    // words all required, punctuation read as a space.
    assert_eq!(found("q=blåbær".into()).await, only(&[0]));
    assert_eq!(found("q=BLÅBÆR-TESTEN".into()).await, only(&[0]));
    assert_eq!(found("q=firew".into()).await, only(&[1]));
    assert_eq!(found("q=users%20affected".into()).await, only(&[1]));
    assert_eq!(found("q=users%20nothing".into()).await, Vec::<String>::new());
    assert_eq!(found("q=user".into()).await, only(&[1, 2]), "user-visible and users");
    assert_eq!(found("q=sakarkivet".into()).await, only(&[0]), "the title too");
    assert_eq!(found("q=postkasse".into()).await, only(&[2]), "« » are not part of a word");
    assert_eq!(
        found("q=%22%2A%28".into()).await,
        Vec::<String>::new(),
        "only punctuation finds nothing, and is no error"
    );
    // Filters: type, risk, CI, requester, implementer, mine.
    assert_eq!(found("type=emergency".into()).await, only(&[2]));
    assert_eq!(found(format!("ci={network}")).await, only(&[1]));
    assert_eq!(found(format!("implementer={}", implementer.id)).await, only(&[0, 2]));
    assert_eq!(found(format!("requester={}", requester.id)).await, only(&[0, 1, 2]));
    assert_eq!(found("mine=true".into()).await, only(&[0, 1, 2]));
    assert_eq!(found("risk=very_high".into()).await, Vec::<String>::new());
    // Drafts wait for their requester's submit; nothing waits for the implementer yet.
    assert_eq!(found("awaiting=true".into()).await, only(&[0, 1, 2]));
    let waiting = app.get("/api/v1/changes?awaiting=true", &implementer).await;
    assert_eq!(waiting["total"], 0, "{waiting}");
    // Sorted by planned start both ways, and by reference.
    let order = |query: &'static str| {
        let app = &app;
        let requester = &requester;
        async move {
            let page = app.get(&format!("/api/v1/changes?{query}"), requester).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["ref"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(order("sort=start-early").await, only(&[0, 1, 2]));
    assert_eq!(order("sort=start-late").await, only(&[2, 1, 0]));
    assert_eq!(order("sort=oldest").await, only(&[0, 1, 2]));
    assert_eq!(order("sort=newest").await, only(&[2, 1, 0]));
    // A bad value is a 422 naming the parameter.
    for (query, field) in [
        ("sort=sideways", "sort"),
        ("risk=huge", "risk"),
        ("implementer=x", "implementer"),
        ("awaiting=maybe", "awaiting"),
    ] {
        let (status, problem) =
            app.call(Method::GET, &format!("/api/v1/changes?{query}"), Some(&requester), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // The page: the same search from the URL, the filters kept in the form and in the
    // links that sort and page, and the sorted column marked.
    let browser = sign_in(&app, &requester).await;
    let (status, html) =
        page(&browser, &app, &format!("/changes?q=firewall&implementer={}&sort=start-late", other.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/changes/{}\"", refs[1])), "found");
    assert!(!html.contains(&format!("href=\"/changes/{}\"", refs[0])), "filtered out");
    assert!(html.contains("value=\"firewall\""), "the search stays in the form");
    assert!(html.contains("aria-sort=\"descending\""), "the sorted column says so");
    assert!(
        html.contains(&format!("/changes?q=firewall&amp;implementer={}&amp;sort=start-early", other.id)),
        "its header sorts the other way, filters kept"
    );
    assert!(html.contains("pia"), "names in the table");
    let (status, html) = page(&browser, &app, "/changes?from=31.02.2026").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("field-error"), "an impossible date is pointed out");
    // Once submitted, the change manager assesses them; a scheduled change waits for its
    // implementer, not for every change manager who could start it.
    let manager = app.user("kaja", &[Role::ChangeManager]).await;
    let first = json!({ "id": refs[0].trim_start_matches("CHG-").parse::<i64>().unwrap() });
    app.answer_risk(&first, &requester, crate::helpers::low_risk()).await;
    let submitted = app.act(&first, "submit", &requester, json!({})).await;
    assert_eq!(submitted.0, StatusCode::OK, "{}", submitted.1);
    let waiting = app.get("/api/v1/changes?awaiting=true", &manager).await;
    let waiting: Vec<&str> =
        waiting["items"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(waiting, vec![refs[0].as_str()], "only the one to assess");
    let scheduled = app.change_in(ChangeState::Scheduled).await;
    let for_implementer = app.get("/api/v1/changes?awaiting=true", &scheduled.implementer).await;
    assert!(
        for_implementer["items"].as_array().unwrap().iter().any(|c| c["ref"] == scheduled.change["ref"]),
        "{for_implementer}"
    );
    let for_manager = app.get("/api/v1/changes?awaiting=true", &manager).await;
    assert!(
        !for_manager["items"].as_array().unwrap().iter().any(|c| c["ref"] == scheduled.change["ref"]),
        "{for_manager}"
    );
}
