//! System messages (driftsmeldinger): a change that affects users gets one whose status
//! follows it; the desk publishes disruptions with updates; anyone reads them on a page,
//! in an Atom feed (read back by an independent parser, feed-rs) and as JSON, cached by
//! ETag — on both backends.

use crate::helpers::{low_risk, Backend, TestApp, User};
use crate::on_both_backends;
use chrono::Duration;
use endring::domain::change::ChangeState;
use endring::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Answers that say the change takes a service down for under an hour.
fn downtime() -> Value {
    json!({ "users_affected": "under_50", "tested": "yes", "backout": "yes", "complexity": "low", "downtime": "under_1h" })
}

/// The published messages as anyone (no sign-in) reads them.
async fn public(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.call(Method::GET, "/api/v1/messages", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["messages"].as_array().unwrap().clone()
}

fn ids(messages: &[Value]) -> Vec<i64> {
    messages.iter().map(|m| m["id"].as_i64().unwrap()).collect()
}

on_both_backends!(a_change_that_affects_users_gets_a_message_whose_status_follows_it);

async fn a_change_that_affects_users_gets_a_message_whose_status_follows_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk = app.user("sigrid", &[Role::ServiceDesk]).await;
    let archive = app.ci("Sak- og arkivsystem", 3).await;
    let mut staged = app
        .new_change()
        .on_ci(archive)
        .risk(downtime())
        .closed_as("backed_out", "Rolled back at 19:10")
        .in_state(ChangeState::Scheduled)
        .await;

    // Scheduled: a draft, prefilled from the change in both languages; nobody sees it yet.
    let message = staged.change["message"].clone();
    assert_eq!(message["status"], "planned", "{message}");
    assert!(message["published_at"].is_null());
    assert_eq!(message["title_nb"], "Planlagt arbeid: Sak- og arkivsystem");
    let body_nb = message["body_nb"].as_str().unwrap();
    assert!(body_nb.contains("Sak- og arkivsystem kan være utilgjengelig"), "{body_nb}");
    assert!(body_nb.contains(" kl. ") && body_nb.contains("Forventet nedetid: Under 1 time"), "{body_nb}");
    assert!(message["body_en"].as_str().unwrap().contains("Expected downtime: Under 1 hour"));
    assert_eq!(message["updates"][0]["status"], "planned");
    assert!(public(&app).await.is_empty(), "a draft is not shown");
    let listed = app.get("/api/v1/desk", &desk).await;
    assert_eq!(listed["messages"][0]["id"], message["id"], "the desk sees the draft it may publish");
    let listed = app.get("/api/v1/desk", &staged.requester).await;
    assert_eq!(listed["messages"], json!([]), "others see published ones only");
    let id = message["id"].as_i64().unwrap();
    let path = format!("/api/v1/messages/{id}");
    let (status, _) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor found by its number without signing in");
    let seen = app.get(&path, &staged.requester).await;
    assert_eq!(seen["id"], message["id"], "those who may read the change read its draft");

    // The desk rewrites it (If-Match required and current) and publishes it; a requester may not.
    let planned_at = message["updates"][0]["text_nb"]
        .as_str()
        .unwrap()
        .trim_start_matches("Arbeidet er planlagt ")
        .trim_end_matches('.')
        .to_owned();
    let rewritten = format!("Sak- og arkivsystemet oppgraderes {planned_at}. Lagre arbeidet ditt først.");
    let texts = json!({ "title_nb": "Arkivet er nede tirsdag kveld", "body_nb": rewritten });
    let (status, answer) = app.call(Method::PATCH, &path, Some(&desk), Some(texts.clone())).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{answer}");
    let (status, _, answer) =
        app.call_with(Method::PATCH, &path, Some(&desk), Some(texts.clone()), &[("If-Match", "\"7\"")]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{answer}");
    let (status, _, answer) = app
        .call_with(
            Method::PATCH,
            &path,
            Some(&staged.requester),
            Some(texts.clone()),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, headers, edited) =
        app.call_with(Method::PATCH, &path, Some(&desk), Some(texts), &[("If-Match", "\"1\"")]).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(headers["etag"], "\"2\"");
    assert!(edited["title_en"].is_null(), "an English text left out is none");
    let (status, _) = app.call(Method::POST, &format!("{path}/publish"), Some(&staged.requester), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let published = app.post(&format!("{path}/publish"), &desk, json!({})).await;
    assert!(published["published_at"].is_string());
    let shown = public(&app).await;
    assert_eq!(ids(&shown), vec![id]);
    assert_eq!(shown[0]["section"], "upcoming");
    assert_eq!(shown[0]["change"], staged.change["ref"]);

    // Rescheduled: the message moves with it and says so.
    let start = app.ctx.clock.now() + Duration::days(12);
    let (status, answer) = app
        .act(
            &staged.change,
            "reschedule",
            &staged.manager,
            json!({ "planned_start": start, "planned_end": start + Duration::hours(2) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    staged.change = answer;
    let moved = &staged.change["message"];
    assert_eq!(moved["starts_at"].as_str().unwrap()[..16], start.to_rfc3339()[..16]);
    let last = moved["updates"].as_array().unwrap().last().unwrap().clone();
    assert!(last["text_nb"].as_str().unwrap().starts_with("Arbeidet er flyttet til "), "{last}");
    let new_time = last["text_nb"]
        .as_str()
        .unwrap()
        .trim_start_matches("Arbeidet er flyttet til ")
        .trim_end_matches('.');
    let body = moved["body_nb"].as_str().unwrap();
    assert!(body.contains(new_time) && !body.contains(&planned_at), "the time in the text moves: {body}");
    assert!(body.ends_with("Lagre arbeidet ditt først."), "the desk's own words stay: {body}");

    // Started: in progress, and now current.
    staged.reach(&app, ChangeState::Implement).await;
    assert_eq!(staged.change["message"]["status"], "in_progress");
    assert_eq!(public(&app).await[0]["section"], "current");
    // Backed out: rolled back, over, and shown for 30 days.
    staged.reach(&app, ChangeState::Review).await;
    let over = &staged.change["message"];
    assert_eq!(over["status"], "rolled_back");
    assert!(over["closed_at"].is_string());
    assert_eq!(public(&app).await[0]["section"], "past");
    let (status, answer) = app
        .call(Method::POST, &format!("{path}/updates"), Some(&desk), Some(json!({ "text_nb": "Mer" })))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a closed message keeps its history: {answer}");
    app.ctx.clock.advance(Duration::days(31));
    assert!(public(&app).await.is_empty(), "gone after 30 days");

    // Each step of the change made one update, and the change's trail has the desk's events.
    let statuses: Vec<&str> =
        over["updates"].as_array().unwrap().iter().map(|u| u["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["planned", "planned", "in_progress", "rolled_back"]);
    let actions = app.event_actions(&staged.change).await;
    assert!(
        actions.contains(&"edit_message".to_owned()) && actions.contains(&"publish_message".to_owned()),
        "{actions:?}"
    );
    assert!(matches!(app.verify_audit().await, endring::services::audit::Verification::Intact { .. }));
}

on_both_backends!(only_changes_that_affect_users_get_one_and_it_ends_as_the_change_does);

async fn only_changes_that_affect_users_get_one_and_it_ends_as_the_change_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let quiet = app.new_change().risk(low_risk()).in_state(ChangeState::Scheduled).await;
    assert!(quiet.change["message"].is_null(), "no downtime, under 50 users: no message");
    let many = json!({ "users_affected": "under_500", "tested": "yes", "backout": "yes", "complexity": "low", "downtime": "none" });
    let mut done = app.new_change().risk(many.clone()).in_state(ChangeState::Scheduled).await;
    assert_eq!(done.change["message"]["status"], "planned", "more than 50 users: a message");
    assert!(
        done.change["message"]["body_nb"].as_str().unwrap().contains("ingen nedetid er ventet"),
        "no downtime said so"
    );
    // Rescheduled before anyone rewrote it: the prefilled text names the new time.
    let start = app.ctx.clock.now() + Duration::days(12);
    let window = json!({ "planned_start": start, "planned_end": start + Duration::hours(2) });
    let (status, answer) = app.act(&done.change, "reschedule", &done.manager, window).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let message = &answer["message"];
    let moved_to = message["updates"][1]["text_nb"].as_str().unwrap();
    let new_time = moved_to.trim_start_matches("Arbeidet er flyttet til ").trim_end_matches('.');
    assert!(message["body_nb"].as_str().unwrap().contains(new_time), "{message}");
    let old_time = message["updates"][0]["text_nb"]
        .as_str()
        .unwrap()
        .trim_start_matches("Arbeidet er planlagt ")
        .trim_end_matches('.');
    assert!(!message["body_nb"].as_str().unwrap().contains(old_time), "{message}");
    done.change = answer;
    done.reach(&app, ChangeState::Review).await;
    assert_eq!(done.change["message"]["status"], "completed");
    let mut cancelled = app.new_change().risk(many).in_state(ChangeState::Scheduled).await;
    cancelled.reach(&app, ChangeState::Cancelled).await;
    assert_eq!(cancelled.change["message"]["status"], "withdrawn");
    assert!(cancelled.change["message"]["closed_at"].is_string());
    // A change's message is not resolved by hand: it follows its change.
    let desk = app.user("sigrid", &[Role::ServiceDesk]).await;
    let open = app.new_change().risk(downtime()).in_state(ChangeState::Scheduled).await;
    let id = open.change["message"]["id"].as_i64().unwrap();
    let (status, answer) = app
        .call(
            Method::POST,
            &format!("/api/v1/messages/{id}/updates"),
            Some(&desk),
            Some(json!({ "text_nb": "Ferdig", "resolve": true })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "resolve");
}

on_both_backends!(the_desk_publishes_a_disruption_updates_and_resolves_it_and_anyone_reads_it);

async fn the_desk_publishes_a_disruption_updates_and_resolves_it_and_anyone_reads_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk = app.user("sigrid", &[Role::ServiceDesk]).await;
    let requester = app.user("rita", &[]).await;
    let disruption = json!({
        "title_nb": "Treg innlogging på e-post",
        "body_nb": "Mange opplever treg innlogging. Vi jobber med saken.",
        "title_en": "Slow e-mail sign-in",
        "body_en": "Many see slow sign-in. We are on it."
    });

    // Refused, and nothing stored: someone who may not; empty or bad texts.
    let (status, _) = app.post_status("/api/v1/messages", &requester, disruption.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) =
        app.post_status("/api/v1/messages", &desk, json!({ "title_nb": " ", "body_nb": "x" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["errors"][0]["field"], "title_nb", "{answer}");
    let (status, answer) =
        app.post_status("/api/v1/messages", &desk, json!({ "title_nb": "Nede\u{0}", "body_nb": "x" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = app
        .post_status(
            "/api/v1/messages",
            &desk,
            json!({ "title_nb": "Nede", "body_nb": "x", "body_en": "Down" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["errors"][0]["field"], "title_en", "English text needs an English title: {answer}");
    assert!(public(&app).await.is_empty());

    let later = app.ctx.clock.now() + Duration::hours(2);
    let (status, answer) = app
        .post_status(
            "/api/v1/messages",
            &desk,
            json!({ "title_nb": "Nede", "body_nb": "x", "starts_at": later }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "planned work is a change: {answer}");
    assert_eq!(answer["errors"][0]["field"], "starts_at");

    // Published at once, current, cached by ETag.
    let mut disruption = disruption;
    disruption["ends_at"] = json!(app.ctx.clock.now() + Duration::hours(1));
    let created = app.post("/api/v1/messages", &desk, disruption).await;
    assert_eq!(created["status"], "ongoing");
    let id = created["id"].as_i64().unwrap();
    let (status, headers, body) = app.call_with(Method::GET, "/api/v1/messages", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messages"][0]["section"], "current");
    assert_eq!(headers["cache-control"], "public, max-age=60");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, body) =
        app.call_with(Method::GET, "/api/v1/messages", None, None, &[("If-None-Match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_null(), "no body when unchanged");

    let (status, _, _) = app
        .call_with(Method::GET, "/api/v1/messages", None, None, &[("If-None-Match", &format!("W/{etag}"))])
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED, "a weak tag from a proxy matches too");
    // Rewriting the texts keeps the expected end unless it is sent.
    let path = format!("/api/v1/messages/{id}");
    let texts = json!({
        "title_nb": "Treg innlogging på e-post og Teams",
        "body_nb": "Mange opplever treg innlogging.",
        "title_en": "Slow e-mail sign-in",
        "body_en": "Many see slow sign-in.",
    });
    let (status, _, edited) =
        app.call_with(Method::PATCH, &path, Some(&desk), Some(texts), &[("If-Match", "*")]).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["ends_at"], created["ends_at"], "left out: kept");
    let cleared = json!({ "title_nb": "Treg innlogging", "body_nb": "Mange opplever treg innlogging.", "ends_at": null });
    let (status, _, edited) =
        app.call_with(Method::PATCH, &path, Some(&desk), Some(cleared), &[("If-Match", "*")]).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert!(edited["ends_at"].is_null(), "null: cleared");
    let texts = json!({
        "title_nb": "Treg innlogging på e-post og Teams",
        "body_nb": "Mange opplever treg innlogging.",
        "title_en": "Slow e-mail sign-in",
        "body_en": "Many see slow sign-in.",
    });
    app.call_with(Method::PATCH, &path, Some(&desk), Some(texts), &[("If-Match", "*")]).await;
    let (_, headers, _) = app.call_with(Method::GET, "/api/v1/messages", None, None, &[]).await;
    let etag = headers["etag"].to_str().unwrap().to_owned();

    // An update changes what is shown, so the ETag; resolving closes it.
    app.post(
        &format!("/api/v1/messages/{id}/updates"),
        &desk,
        json!({ "text_nb": "Feilen er funnet.", "text_en": "The fault is found." }),
    )
    .await;
    let (status, headers, _) =
        app.call_with(Method::GET, "/api/v1/messages", None, None, &[("If-None-Match", &etag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    app.ctx.clock.advance(Duration::hours(3));
    let desk = app.user("sigrid-later", &[Role::ServiceDesk]).await;
    let resolved = app
        .post(
            &format!("/api/v1/messages/{id}/updates"),
            &desk,
            json!({ "text_nb": "Løst.", "resolve": true }),
        )
        .await;
    let ended: chrono::DateTime<chrono::Utc> = serde_json::from_value(resolved["ends_at"].clone()).unwrap();
    let expected: chrono::DateTime<chrono::Utc> = serde_json::from_value(created["ends_at"].clone()).unwrap();
    assert!(
        ended > expected + Duration::hours(1),
        "it ended when it was resolved, later than expected: {ended}"
    );
    assert!((app.ctx.clock.now() - ended).num_seconds() < 5);
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["section"], "past");
    assert_eq!(resolved["updates"].as_array().unwrap().len(), 2);

    // The feed: valid Atom as an independent parser reads it, in the language asked for.
    let feed = app.client.get(format!("{}/messages.atom?lang=en", app.address)).send().await.unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert_eq!(feed.headers()["content-type"], "application/atom+xml; charset=utf-8");
    let bytes = feed.bytes().await.unwrap();
    let parsed = feed_rs::parser::parse(&bytes[..]).expect("the feed parses as Atom");
    assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(parsed.entries.len(), 1);
    let entry = &parsed.entries[0];
    assert_eq!(entry.title.as_ref().unwrap().content, "Resolved: Slow e-mail sign-in");
    assert!(entry.links[0].href.ends_with(&format!("/messages?lang=en#message-{id}")), "{:?}", entry.links);
    let content = entry.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
    assert!(content.contains("The fault is found.") && content.contains("Løst."), "{content}");
    assert!(parsed.updated.is_some() && entry.updated.is_some());

    // The page: no sign-in, in Bokmål, with the feed announced for feed readers.
    let page = app
        .client
        .get(format!("{}/messages", app.address))
        .header("Accept-Language", "nb")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get("set-cookie").is_none(), "a page caches share starts no session");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<link rel="alternate" type="application/atom+xml""#), "{html}");
    assert!(html.contains("Treg innlogging på e-post") && html.contains("Feilen er funnet."));
    let past = &html[html.find("id=\"section-past\"").expect("the ended ones")..];
    assert!(past.contains(&format!("id=\"message-{id}\"")), "listed under the ended ones");
    assert!(!html[..html.find("id=\"section-past\"").unwrap()].contains(&format!("id=\"message-{id}\"")));
}

on_both_backends!(the_messages_can_be_for_signed_in_users_only);

async fn the_messages_can_be_for_signed_in_users_only(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.messages_require_sign_in = true).await;
    let reader = app.user("rita", &[]).await;
    let (status, _) = app.call(Method::GET, "/api/v1/messages", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = app.call_with(Method::GET, "/api/v1/messages", Some(&reader), None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "private, no-cache");
    let page = crate::pages::browser().get(format!("{}/messages", app.address)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/sign-in?next=%2Fmessages");
    let feed = app.client.get(format!("{}/messages.atom", app.address)).send().await.unwrap();
    assert_eq!(feed.status(), StatusCode::UNAUTHORIZED);
    let browser = crate::pages::sign_in(&app, &reader).await;
    let (status, html) = crate::pages::page(&browser, &app, "/messages").await;
    assert_eq!(status, StatusCode::OK, "{html}");
}

on_both_backends!(the_desk_page_lists_open_messages_and_writes_them_keeping_what_was_typed);

async fn the_desk_page_lists_open_messages_and_writes_them_keeping_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk: User = app.user("sigrid", &[Role::ServiceDesk]).await;
    let browser = crate::pages::sign_in(&app, &desk).await;
    let (_, html) = crate::pages::page(&browser, &app, "/desk").await;
    assert!(html.contains("Ingen driftsmeldinger er åpne."), "none yet");

    // Refused: the text is kept and the reason said in words.
    let (status, html) = crate::pages::post_form_from(
        &browser,
        &app,
        "/desk",
        "/messages",
        &[("title_nb", ""), ("body_nb", "Skriveren i 2. etasje")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Skriveren i 2. etasje") && html.contains("Tittel (bokmål)"), "{html}");
    // Published, then updated and resolved from the page.
    let (status, location) = crate::pages::post_form_from(
        &browser,
        &app,
        "/desk",
        "/messages",
        &[("title_nb", "Utskrift virker ikke"), ("body_nb", "Skriveren i 2. etasje")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let id = public(&app).await[0]["id"].as_i64().unwrap();
    assert_eq!(location, format!("/desk#message-{id}"));
    let (_, html) = crate::pages::page(&browser, &app, "/desk").await;
    assert!(html.contains("«Utskrift virker ikke» er publisert"), "the confirmation");
    let resolve = format!("m{id}-resolve");
    let text = format!("m{id}-text_nb");
    let (status, _) = crate::pages::post_form_from(
        &browser,
        &app,
        "/desk",
        &format!("/messages/{id}/updates"),
        &[(&text, "Ny toner satt inn."), (&resolve, "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(public(&app).await[0]["status"], "resolved");
    let (_, html) = crate::pages::page(&browser, &app, "/desk").await;
    assert!(html.contains("Ingen driftsmeldinger er åpne."), "resolved ones leave the desk's list");

    // A requester sees the open ones but no forms.
    app.post("/api/v1/messages", &desk, json!({ "title_nb": "VPN er nede", "body_nb": "Vi ser på det." }))
        .await;
    let requester = app.user("rita", &[]).await;
    let reader = crate::pages::sign_in(&app, &requester).await;
    let (_, html) = crate::pages::page(&reader, &app, "/desk").await;
    assert!(html.contains("VPN er nede"));
    assert!(!html.contains("action=\"/messages\""), "no form to publish");
}

on_both_backends!(the_public_page_is_answered_from_memory_until_a_write_here_or_two_seconds);

/// The public page is kept rendered: a change made behind this instance's back (as
/// another instance would, straight in the database) shows only once two seconds have
/// passed, while a write through this instance shows at once.
async fn the_public_page_is_answered_from_memory_until_a_write_here_or_two_seconds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk = app.user("sigrid", &[Role::ServiceDesk]).await;
    let created = app
        .post("/api/v1/messages", &desk, json!({ "title_nb": "VPN er nede", "body_nb": "Vi ser på det." }))
        .await;
    let id = created["id"].as_i64().expect("a message");
    let page = || async {
        let response = app.client.get(format!("{}/messages?lang=nb", app.address)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (etag, response.text().await.unwrap())
    };
    let (first_tag, html) = page().await;
    assert!(html.contains("VPN er nede"), "{html}");

    // Another instance renames it: this one still answers what it rendered.
    app.db.execute(&format!(
        "UPDATE system_messages SET title_nb = 'VPN virker igjen', version = version + 1 WHERE id = {id}"
    ));
    let (tag, html) = page().await;
    assert!(html.contains("VPN er nede") && !html.contains("VPN virker igjen"), "from memory: {html}");
    assert_eq!(tag, first_tag, "the same body under the same tag");
    app.ctx.clock.advance(Duration::seconds(3));
    let (tag, html) = page().await;
    assert!(html.contains("VPN virker igjen"), "read again after two seconds: {html}");
    assert_ne!(tag, first_tag);

    // A write through this instance shows on the next request.
    let (status, _) = app
        .post_status(
            &format!("/api/v1/messages/{id}/updates"),
            &desk,
            json!({ "text_nb": "Feilen er rettet, alt virker." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = page().await;
    assert!(html.contains("Feilen er rettet, alt virker."), "{html}");
}
