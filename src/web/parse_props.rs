//! Property tests of what Endring parses itself, fed arbitrary input: form bodies, query
//! strings, the times and dates people type, risk answers, ids, file names, webhook
//! addresses and `If-Match`. None may panic; what is accepted must hold what its type
//! promises. (cargo-fuzz would need a nightly toolchain this project does not require;
//! proptest runs in every `cargo test`.)

use super::api::changes::{ListParams, SlotParams};
use super::api::reference::{CalendarParams, DeskParams, PeriodParams};
use super::extract::parse_query;
use super::pages::forms::{parse_local, typed_date, typed_datetime, Fold};
use crate::domain::attachment::FileName;
use crate::domain::change::plausible;
use crate::domain::ids::ChangeId;
use crate::domain::incident::IncidentId;
use crate::domain::risk::RiskAnswers;
use crate::domain::webhook::WebhookUrl;
use proptest::prelude::*;

/// Text a client could send: any characters, or ASCII with every control and `%`, `&`, `=`.
fn input() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,40}", "[\\x00-\\x7f]{0,40}", "[0-9:T\\-+.Z ]{0,30}", "[%&=+a-z0-9]{0,40}"]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn form_bodies_never_panic_and_what_a_browser_encodes_comes_back(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        pairs in proptest::collection::vec(("\\PC{0,12}", "\\PC{0,24}"), 0..6),
    ) {
        let _ = super::session::form_pairs(&bytes);
        let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let decoded = super::session::form_pairs(encoded.as_bytes()).expect("a browser's encoding");
        prop_assert_eq!(decoded, pairs);
    }

    #[test]
    fn query_strings_never_panic(query in input()) {
        let _ = parse_query::<ListParams>(&query);
        let _ = parse_query::<CalendarParams>(&query);
        let _ = parse_query::<DeskParams>(&query);
        let _ = parse_query::<PeriodParams>(&query);
        let _ = parse_query::<SlotParams>(&query);
    }

    #[test]
    fn typed_times_and_dates_never_panic_and_are_plausible_when_taken(text in input()) {
        let _ = typed_datetime(&text);
        let _ = typed_date(&text);
        for fold in [Fold::Unsaid, Fold::Earlier, Fold::Later] {
            if let Ok(Some(at)) = parse_local(chrono_tz::Europe::Oslo, &text, fold) {
                prop_assert!(plausible(at).is_ok(), "{text:?} became {at}");
            }
        }
    }

    #[test]
    fn risk_answers_never_panic_and_hold_only_known_questions(
        pairs in proptest::collection::vec(("[a-z_]{0,16}|users_affected|tested|backout", "[a-z_0-9]{0,12}|yes|no|none"), 0..8),
    ) {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Ok(answers) = RiskAnswers::parse(borrowed) {
            for (question, answer) in answers.iter() {
                let known = crate::domain::risk::QUESTIONS.iter().find(|q| q.key == question);
                prop_assert!(known.is_some_and(|q| q.answers.iter().any(|(key, _)| *key == answer)), "{question}={answer}");
            }
        }
    }

    #[test]
    fn ids_names_addresses_and_versions_never_panic(text in input()) {
        let _ = ChangeId::parse(&text);
        if let Ok(id) = IncidentId::parse(&text) {
            prop_assert!(!id.as_str().chars().any(char::is_control));
        }
        if let Ok(name) = FileName::parse(&text) {
            prop_assert!(!name.as_str().chars().any(char::is_control) && !name.as_str().contains(['/', '\\']));
        }
        if let Ok(url) = WebhookUrl::parse(&text, &["127.0.0.1".to_owned()]) {
            prop_assert!(url.as_str().starts_with("https://") || url.as_str().starts_with("http://127.0.0.1"));
        }
        if actix_web::http::header::HeaderValue::from_str(&text).is_ok() {
            let req = actix_web::test::TestRequest::default().insert_header(("If-Match", text.as_str()));
            let _ = super::api::changes::if_match(&req.to_http_request());
        }
    }
}
