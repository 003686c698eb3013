//! Typed identifiers, and the human reference of a change (`CHG-000123`).

use std::fmt;

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        #[doc = concat!("Database identifier of ", $what, ".")]
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(ChangeId, "a change request");
id_type!(UserId, "a user");
id_type!(CiId, "a configuration item");
id_type!(TemplateId, "a standard change template");

impl ChangeId {
    /// The reference people use: `CHG-` and at least six digits.
    pub fn reference(self) -> String {
        format!("CHG-{:06}", self.0)
    }

    /// Accepts a plain number (`123`) or a reference (`CHG-000123`, case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let digits = match text.get(..4) {
            Some(prefix) if prefix.eq_ignore_ascii_case("CHG-") => &text[4..],
            _ => text,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i32>().ok().filter(|id| *id > 0).map(ChangeId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip() {
        assert_eq!(ChangeId(123).reference(), "CHG-000123");
        assert_eq!(ChangeId(1_234_567).reference(), "CHG-1234567");
        assert_eq!(ChangeId::parse("CHG-000123"), Some(ChangeId(123)));
        assert_eq!(ChangeId::parse("chg-7"), Some(ChangeId(7)));
        assert_eq!(ChangeId::parse("42"), Some(ChangeId(42)));
    }

    #[test]
    fn malformed_references_are_refused() {
        for text in ["", "CHG-", "CHG-12a", "-5", "0", "CHG-99999999999", "INC-000001"] {
            assert_eq!(ChangeId::parse(text), None, "{text}");
        }
    }
}
