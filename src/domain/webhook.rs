//! Outbound webhooks' vocabulary: the event types a subscription hears, which a recorded
//! event is, the address a subscription may have, and the signature each delivery
//! carries.

use super::change::ChangeState;
use super::text_enum::text_enum;
use super::validation::Message;
use hmac::{Hmac, Mac};
use sha2::Sha256;

text_enum! {
    /// What a webhook subscription may hear about a change.
    pub enum EventType {
        /// Filed (a new draft, or a copy).
        Created = "created",
        /// Sent on from its draft by its requester.
        Submitted = "submitted",
        /// Approved or rejected (by the CAB's votes or in its meeting).
        Decided = "decided",
        /// Given its window on the calendar: approved, a standard change submitted, or
        /// moved to a new window.
        Scheduled = "scheduled",
        /// Its implementation began.
        Started = "started",
        /// Its implementation ended (with the closure code), before the review.
        Completed = "completed",
        /// Closed by its review.
        Closed = "closed",
        /// Withdrawn.
        Cancelled = "cancelled",
    }
}

/// The event type of a test delivery (the "Send a test event" button); no subscription
/// chooses it.
pub const TEST_EVENT: &str = "test";

/// The event types one recorded event is, from its action and the states it moved the
/// change between (most events are none: a vote that decides nothing, a note). A standard
/// change's submission is also its scheduling, and an approval schedules.
pub fn event_types(action: &str, from: Option<ChangeState>, to: Option<ChangeState>) -> Vec<EventType> {
    use ChangeState as S;
    let mut types = Vec::new();
    if action == "create" {
        types.push(EventType::Created);
    }
    let (Some(from), Some(to)) = (from, to) else { return types };
    let entered = |state: S| to == state && from != state;
    if from == S::Draft && !matches!(to, S::Draft | S::Cancelled) {
        types.push(EventType::Submitted);
    }
    if action == "decide" {
        types.push(EventType::Decided);
    }
    if entered(S::Scheduled) || (action == "reschedule" && to == S::Scheduled) {
        types.push(EventType::Scheduled);
    }
    if entered(S::Implement) {
        types.push(EventType::Started);
    }
    if from == S::Implement && to == S::Review {
        types.push(EventType::Completed);
    }
    if entered(S::Closed) {
        types.push(EventType::Closed);
    }
    if entered(S::Cancelled) {
        types.push(EventType::Cancelled);
    }
    types
}

/// A subscription's event types as stored: their names, space-separated, in order.
pub fn types_text(types: &[EventType]) -> String {
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" ")
}

/// The event types stored as `types_text` wrote them (unknown names skipped).
pub fn parse_types(text: &str) -> Vec<EventType> {
    text.split_whitespace().filter_map(|t| t.parse().ok()).collect()
}

text_enum! {
    /// Why a delivery failed, stored before the details (`timeout: …`), so the log says
    /// it in the reader's language.
    pub enum Failure {
        /// The receiver answered with a status other than 2xx.
        Http = "http",
        /// It answered with a redirect, which is not followed.
        Redirect = "redirect",
        /// It did not answer in time.
        Timeout = "timeout",
        /// It could not be reached.
        Connect = "connect",
        /// The request failed otherwise.
        Request = "request",
        /// The address is no longer allowed (plain http withdrawn for the host).
        Address = "address",
    }
}

impl Failure {
    /// The stored text: the kind, then what the network or the receiver said.
    pub fn with(self, detail: &str) -> String {
        format!("{self}: {detail}")
    }

    /// A stored text's kind and details (no kind for text stored otherwise).
    pub fn read(stored: &str) -> (Option<Failure>, &str) {
        match stored.split_once(": ") {
            Some((kind, detail)) => match kind.parse() {
                Ok(kind) => (Some(kind), detail),
                Err(_) => (None, stored),
            },
            None => (None, stored),
        }
    }
}

/// Longest address a subscription may have.
pub const URL_MAX: usize = 2000;

/// A receiver's address: absolute, `https` (or `http` to a host the operator allows),
/// with a host and without credentials or a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// Reads `text`, allowing plain `http` only to the hosts in `http_hosts`.
    pub fn parse(text: &str, http_hosts: &[String]) -> Result<WebhookUrl, Message> {
        if text.chars().any(char::is_control) {
            return Err(Message::new("msg-webhook-url-invalid"));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(Message::new("msg-required"));
        }
        if text.len() > URL_MAX {
            return Err(Message::new("msg-webhook-url-invalid"));
        }
        let url = url::Url::parse(text).map_err(|_| Message::new("msg-webhook-url-invalid"))?;
        let Some(host) = url.host_str().filter(|h| !h.is_empty()).map(str::to_owned) else {
            return Err(Message::new("msg-webhook-url-invalid"));
        };
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(Message::new("msg-webhook-url-credentials"));
        }
        match url.scheme() {
            "https" => {}
            "http" if http_allowed(&host, http_hosts) => {}
            "http" => return Err(Message::new("msg-webhook-url-http").arg("host", host)),
            _ => return Err(Message::new("msg-webhook-url-invalid")),
        }
        Ok(WebhookUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }
}

/// Whether plain http may go to `host` (compared without brackets and case).
fn http_allowed(host: &str, http_hosts: &[String]) -> bool {
    let bare = |h: &str| h.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let host = bare(host);
    http_hosts.iter().any(|allowed| bare(allowed) == host)
}

/// Shortest and longest secret a subscription may be given.
pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 200;

/// Checks a secret an admin chose: long enough to resist guessing, printable.
pub fn check_secret(secret: &str) -> Result<(), Message> {
    let length = secret.chars().count();
    if !(SECRET_MIN..=SECRET_MAX).contains(&length)
        || secret.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Message::new("msg-webhook-secret")
            .arg("min", SECRET_MIN as i64)
            .arg("max", SECRET_MAX as i64));
    }
    Ok(())
}

/// The `X-Endring-Signature` of `body` sent at unix time `t`: `t=<t>,v1=<hex>`, where hex
/// is the HMAC-SHA256 under `secret` of `"<t>.<body>"` (the scheme Stripe's receivers
/// know: the time is signed too, so a captured delivery cannot be replayed later).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeState as S;

    #[test]
    fn each_step_of_a_change_is_its_event_type() {
        assert_eq!(event_types("create", None, Some(S::Draft)), [EventType::Created]);
        assert_eq!(event_types("submit", Some(S::Draft), Some(S::Assess)), [EventType::Submitted]);
        // A standard change goes straight to the calendar.
        assert_eq!(
            event_types("submit", Some(S::Draft), Some(S::Scheduled)),
            [EventType::Submitted, EventType::Scheduled]
        );
        assert_eq!(
            event_types("decide", Some(S::Authorize), Some(S::Scheduled)),
            [EventType::Decided, EventType::Scheduled]
        );
        assert_eq!(event_types("decide", Some(S::Authorize), Some(S::Rejected)), [EventType::Decided]);
        assert_eq!(event_types("reschedule", Some(S::Scheduled), Some(S::Scheduled)), [EventType::Scheduled]);
        assert_eq!(event_types("start", Some(S::Scheduled), Some(S::Implement)), [EventType::Started]);
        assert_eq!(event_types("complete", Some(S::Implement), Some(S::Review)), [EventType::Completed]);
        assert_eq!(event_types("review", Some(S::Review), Some(S::Closed)), [EventType::Closed]);
        assert_eq!(event_types("cancel", Some(S::Scheduled), Some(S::Cancelled)), [EventType::Cancelled]);
        assert_eq!(event_types("cancel", Some(S::Draft), Some(S::Cancelled)), [EventType::Cancelled]);
    }

    #[test]
    fn events_that_move_nothing_are_no_event_type() {
        assert!(event_types("vote", Some(S::Authorize), Some(S::Authorize)).is_empty());
        assert!(event_types("note", Some(S::Scheduled), Some(S::Scheduled)).is_empty());
        assert!(event_types("assess", Some(S::Assess), Some(S::Authorize)).is_empty());
        assert!(event_types("create_ci", None, None).is_empty());
        assert!(event_types("return", Some(S::Authorize), Some(S::Draft)).is_empty());
    }

    #[test]
    fn types_are_stored_sorted_once_and_read_back() {
        let text = types_text(&[EventType::Closed, EventType::Created, EventType::Closed]);
        assert_eq!(text, "created closed");
        assert_eq!(parse_types(&text), [EventType::Created, EventType::Closed]);
        assert_eq!(parse_types("created bogus"), [EventType::Created]);
    }

    #[test]
    fn addresses_are_https_unless_the_host_is_allowed_plain_http() {
        let none: Vec<String> = Vec::new();
        assert!(WebhookUrl::parse("https://hooks.example.no/endring", &none).is_ok());
        let http = WebhookUrl::parse("http://127.0.0.1:9000/hook", &none).unwrap_err();
        assert_eq!(http.key, "msg-webhook-url-http");
        let allowed = vec!["127.0.0.1".to_owned(), "[::1]".to_owned()];
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", &allowed).is_ok());
        assert!(WebhookUrl::parse("http://[::1]:9000/hook", &allowed).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.2/hook", &allowed).is_err());
        for bad in [
            "",
            "ftp://x.no/",
            "https://",
            "not a url",
            "https://u:p@x.no/",
            "https://x.no/#f",
            "https://x.no/\r",
        ] {
            assert!(WebhookUrl::parse(bad, &allowed).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn failures_are_stored_with_their_kind_and_read_back() {
        let stored = Failure::Timeout.with("operation timed out");
        assert_eq!(stored, "timeout: operation timed out");
        assert_eq!(Failure::read(&stored), (Some(Failure::Timeout), "operation timed out"));
        assert_eq!(Failure::read("something: else"), (None, "something: else"));
    }

    #[test]
    fn secrets_are_long_and_printable() {
        assert!(check_secret("0123456789abcdef").is_ok());
        assert!(check_secret("short").is_err());
        assert!(check_secret("0123456789abcdef\n").is_err());
        assert!(check_secret("0123456789 abcdef").is_err());
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Computed apart with Python's hmac module:
        // hmac.new(b"whsec_test_secret_0123", b'1700000000.{"type":"test"}', sha256).hexdigest()
        assert_eq!(
            signature("whsec_test_secret_0123", 1_700_000_000, r#"{"type":"test"}"#),
            "t=1700000000,v1=e135771ecde7e5143856b065c814ad77a8cf521284426a130eb8ff5bc3e64e19"
        );
        assert_ne!(
            signature("whsec_test_secret_0123", 1_700_000_001, r#"{"type":"test"}"#),
            signature("whsec_test_secret_0123", 1_700_000_000, r#"{"type":"test"}"#)
        );
    }
}
