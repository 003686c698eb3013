//! The tamper-evident audit chain (SPEC §2): each event's hash covers the previous
//! event's hash and the event's own canonical content.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// The hash that precedes the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of an event that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContent<'a> {
    pub seq: i64,
    pub change_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    /// Canonical JSON, stored exactly as hashed.
    pub payload: &'a str,
    pub created_at: DateTime<Utc>,
}

impl EventContent<'_> {
    /// One line per field, fixed order, explicit `-` for absent values: unambiguous and
    /// independent of any JSON library's formatting.
    fn canonical(&self) -> String {
        fn opt<T: ToString>(value: Option<T>) -> String {
            value.map_or_else(|| "-".to_owned(), |v| v.to_string())
        }
        format!(
            "seq:{}\nchange:{}\nactor:{}\naction:{}\nfrom:{}\nto:{}\nat:{}\npayload:{}",
            self.seq,
            opt(self.change_id),
            opt(self.actor_id),
            self.action,
            opt(self.from_state),
            opt(self.to_state),
            self.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.payload,
        )
    }

    /// SHA-256 (hex) of the previous hash and this content.
    pub fn hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Where a chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The event does not point at the hash of the event before it.
    WrongLink { seq: i64 },
    /// The event's content does not match its stored hash.
    Altered { seq: i64 },
    /// Sequence numbers jump: an event was removed.
    Gap { expected: i64, found: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::WrongLink { seq } => {
                write!(f, "event {seq} does not link to the event before it")
            }
            Break::Altered { seq } => write!(f, "event {seq} was altered after it was written"),
            Break::Gap { expected, found } => {
                write!(f, "event {expected} is missing (the next event is {found})")
            }
        }
    }
}

/// Checks events one by one in sequence order, carrying the state between calls so a
/// chain of any length can be streamed through it.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier { next_seq: 1, prev_hash: GENESIS_HASH.to_owned() }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, content: &EventContent<'_>, prev_hash: &str, hash: &str) -> Result<(), Break> {
        if content.seq != self.next_seq {
            return Err(Break::Gap { expected: self.next_seq, found: content.seq });
        }
        if prev_hash != self.prev_hash {
            return Err(Break::WrongLink { seq: content.seq });
        }
        if content.hash(prev_hash) != hash {
            return Err(Break::Altered { seq: content.seq });
        }
        self.next_seq += 1;
        self.prev_hash = hash.to_owned();
        Ok(())
    }

    /// How many events were verified.
    pub fn verified(&self) -> i64 {
        self.next_seq - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(seq: i64, payload: &str) -> EventContent<'_> {
        EventContent {
            seq,
            change_id: Some(1),
            actor_id: Some(2),
            action: "submit",
            from_state: Some("draft"),
            to_state: Some("assess"),
            payload,
            created_at: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        }
    }

    fn chain(n: i64) -> Vec<(EventContent<'static>, String, String)> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let e = event(seq, "{}");
                let hash = e.hash(&prev);
                let row = (e, prev.clone(), hash.clone());
                prev = hash;
                row
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut verifier = ChainVerifier::default();
        for (e, prev, hash) in chain(5) {
            verifier.check(&e, &prev, &hash).unwrap();
        }
        assert_eq!(verifier.verified(), 5);
    }

    #[test]
    fn an_altered_payload_is_found() {
        let mut rows = chain(3);
        rows[1].0.payload = r#"{"comment":"changed"}"#;
        let mut verifier = ChainVerifier::default();
        let result: Result<Vec<()>, Break> = rows.iter().map(|(e, p, h)| verifier.check(e, p, h)).collect();
        assert_eq!(result, Err(Break::Altered { seq: 2 }));
    }

    #[test]
    fn a_removed_event_is_found() {
        let rows = chain(3);
        let mut verifier = ChainVerifier::default();
        verifier.check(&rows[0].0, &rows[0].1, &rows[0].2).unwrap();
        assert_eq!(
            verifier.check(&rows[2].0, &rows[2].1, &rows[2].2),
            Err(Break::Gap { expected: 2, found: 3 })
        );
    }

    #[test]
    fn a_rehashed_event_breaks_the_next_link() {
        let mut rows = chain(3);
        rows[1].0.payload = "{\"x\":1}";
        rows[1].2 = rows[1].0.hash(&rows[1].1);
        let mut verifier = ChainVerifier::default();
        verifier.check(&rows[0].0, &rows[0].1, &rows[0].2).unwrap();
        verifier.check(&rows[1].0, &rows[1].1, &rows[1].2).unwrap();
        assert_eq!(verifier.check(&rows[2].0, &rows[2].1, &rows[2].2), Err(Break::WrongLink { seq: 3 }));
    }
}
