//! Languages: Norwegian Bokmål and English, for pages and emails. Every visible string
//! comes from the Fluent files in `locales/` (compiled in); a test checks that both files define every key the
//! code uses.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Nb,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Nb, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The first language of an `Accept-Language` header we speak (`no`, `nn` and `nb-NO`
    /// count as Bokmål); Bokmål when none does, as the service's users are Norwegian.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let mut ranked: Vec<(f32, &str)> = accept_language
            .unwrap_or_default()
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                (!tag.is_empty()).then_some((quality, tag))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked
            .into_iter()
            .find_map(|(_, tag)| {
                match tag.split('-').next().unwrap_or_default().to_ascii_lowercase().as_str() {
                    "nb" | "no" | "nn" => Some(Lang::Nb),
                    "en" => Some(Lang::En),
                    _ => None,
                }
            })
            .unwrap_or(Lang::Nb)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Nb => fluent_templates::langid!("nb"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The text of `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }

    /// A service's message (a key with arguments) in this language.
    pub fn message(self, message: &crate::domain::validation::Message) -> String {
        use crate::domain::validation::Word;
        let mut args: Vec<(&'static str, FluentValue<'static>)> =
            message.args.iter().map(|(k, v)| (*k, arg(v))).collect();
        for (name, word) in &message.words {
            let text = match word {
                Word::Time(at, zone) => self.datetime(*zone, *at),
                Word::Date(day) => self.date(*day),
                Word::Key(key) => self.t(key),
            };
            args.push((*name, arg(text)));
        }
        self.t_with(message.key, &args)
    }

    /// The text of `key`, if the files define it.
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.id(), key)
    }

    /// The text of `key` with named arguments.
    pub fn t_with(self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), v.clone())).collect();
        LOCALES.lookup_with_args(&self.id(), key, &args)
    }
}

/// A string argument for `t_with`.
pub fn arg(value: impl ToString) -> FluentValue<'static> {
    FluentValue::from(value.to_string())
}

/// A number argument for `t_with`: plural rules (`[one]`, `*[other]`) select on it.
pub fn num(value: i64) -> FluentValue<'static> {
    FluentValue::from(value)
}

impl Lang {
    /// A day as the language writes it: `10.12.2026`, `10 Dec 2026`.
    pub fn date(self, day: chrono::NaiveDate) -> String {
        match self {
            Lang::Nb => day.format("%d.%m.%Y").to_string(),
            Lang::En => day.format("%-d %b %Y").to_string(),
        }
    }

    /// A moment as the language writes it, on the wall clock of `zone`:
    /// `10.12.2026 kl. 18:00`, `10 Dec 2026, 18:00`.
    pub fn datetime(self, zone: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
        let local = at.with_timezone(&zone);
        match self {
            Lang::Nb => local.format("%d.%m.%Y kl. %H:%M").to_string(),
            Lang::En => local.format("%-d %b %Y, %H:%M").to_string(),
        }
    }

    /// A decimal number with the language's decimal mark (`2.5` / `2,5`).
    pub fn decimal(self, value: f64, places: usize) -> String {
        let text = format!("{value:.places$}");
        match self {
            Lang::Nb => text.replace('.', ","),
            Lang::En => text,
        }
    }
}

/// A risk factor in words: the question and the answer given, or the computed factor.
pub fn factor_text(lang: Lang, key: &str, detail: &str) -> String {
    if crate::domain::risk::QUESTIONS.iter().any(|q| q.key == key) {
        format!("{} — {}", lang.t(&format!("question-{key}")), lang.t(&format!("answer-{key}-{detail}")))
    } else {
        lang.t(&format!("factor-{key}"))
    }
}

/// A CAB meeting's name: "CAB meeting 01.12.2026 10:00", or an extra meeting's subject
/// with its time, in `zone`.
pub fn meeting_title(
    lang: Lang,
    zone: chrono_tz::Tz,
    kind: crate::domain::meeting::MeetingKind,
    title: &str,
    starts_at: chrono::DateTime<chrono::Utc>,
) -> String {
    let when = lang.datetime(zone, starts_at);
    match kind {
        crate::domain::meeting::MeetingKind::Regular => {
            lang.t_with("meeting-title-regular", &[("when", arg(when))])
        }
        crate::domain::meeting::MeetingKind::Extra => {
            lang.t_with("meeting-title-extra", &[("title", arg(title)), ("when", arg(when))])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(file: &str) -> BTreeSet<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(file);
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim().to_owned()))
            .filter(|key| !key.is_empty() && !key.starts_with('#') && !key.starts_with('.'))
            .collect()
    }

    /// Every key passed to `t`, `t_with` or `Message::new` as a literal, found by reading the source.
    fn used_keys() -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for marker in [".t(\"", ".t_with(\"", "Message::new(\""] {
                        for piece in text.split(marker).skip(1) {
                            if let Some((key, _)) = piece.split_once('"') {
                                used.insert(key.to_owned());
                            }
                        }
                    }
                }
            }
        }
        used
    }

    #[test]
    fn both_languages_define_the_same_keys() {
        assert_eq!(keys("en/main.ftl"), keys("nb/main.ftl"));
    }

    #[test]
    fn every_key_the_code_uses_is_defined() {
        let defined = keys("en/main.ftl");
        let missing: Vec<_> = used_keys().into_iter().filter(|k| !defined.contains(k)).collect();
        assert!(missing.is_empty(), "keys used but not in locales/: {missing:?}");
    }

    /// Every action a change's trail can hold has words on the timeline (`event-<action>`):
    /// the names the services record, found by reading them.
    #[test]
    fn every_event_on_a_change_has_words() {
        let defined = keys("en/main.ftl");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let mut actions = BTreeSet::new();
        for entry in std::fs::read_dir(root).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for marker in ["event_action: Some(\"", "action: \"", "Permission::"] {
                for piece in text.split(marker).skip(1) {
                    // `perform(ctx, caller, id, Permission::Start, "start", …)`: the name after the permission.
                    let piece = match marker {
                        "Permission::" => match piece.split_once(", \"") {
                            Some((permission, rest)) if permission.chars().all(char::is_alphanumeric) => rest,
                            _ => continue,
                        },
                        _ => piece,
                    };
                    if let Some((name, _)) = piece.split_once('"') {
                        actions.insert(name.to_owned());
                    }
                }
            }
        }
        // Always recorded under the outcome's own name (defer, return, decide).
        actions.remove("meeting_decision");
        assert!(actions.contains("start") && actions.contains("defer"), "the scan finds them: {actions:?}");
        let missing: Vec<_> = actions.iter().filter(|a| !defined.contains(&format!("event-{a}"))).collect();
        assert!(missing.is_empty(), "events without words on the timeline: {missing:?}");
    }

    /// Keys made from enum values (`state-draft`, `answer-tested-yes`…) exist too.
    #[test]
    fn every_value_shown_by_name_has_a_text() {
        use crate::domain::change::{ChangeState, ChangeType, ClosureCode};
        use crate::domain::lifecycle::ActionKind;
        use crate::domain::risk::{RiskLevel, QUESTIONS};
        use crate::domain::schedule::ConflictKind;
        let mut wanted: Vec<String> = Vec::new();
        wanted.extend(ChangeState::ALL.iter().map(|s| format!("state-{s}")));
        wanted.extend(ChangeType::ALL.iter().map(|t| format!("type-{t}")));
        wanted.extend(RiskLevel::ALL.iter().map(|l| format!("risk-{l}")));
        wanted.extend(ClosureCode::ALL.iter().map(|c| format!("closure-{c}")));
        wanted.extend(ConflictKind::ALL.iter().map(|k| format!("conflict-{k}")));
        wanted.extend(ActionKind::ALL.iter().map(|a| format!("event-{a}")));
        wanted.extend((1..=4).map(|c| format!("criticality-{c}")));
        wanted.extend((1..=12).map(|m| format!("month-{m}")));
        use crate::mail::notice::NoticeKind;
        // A decision's subject says which: approved, rejected or returned.
        wanted.extend(
            NoticeKind::ALL
                .iter()
                .filter(|k| **k != NoticeKind::Decided)
                .map(|k| format!("mail-subject-{k}")),
        );
        wanted.extend(["scheduled", "rejected", "draft"].map(|to| format!("mail-subject-decided-{to}")));
        // Every email says why its reader gets it.
        wanted.extend(NoticeKind::ALL.iter().map(|k| format!("mail-why-{k}")));
        for mail in crate::domain::meeting::MeetingMail::ALL {
            wanted.extend([format!("mail-subject-{mail}"), format!("mail-intro-{mail}")]);
        }
        wanted.extend(
            NoticeKind::ALL.iter().filter(|k| **k != NoticeKind::Decided).map(|k| format!("mail-intro-{k}")),
        );
        wanted.extend(["scheduled", "rejected", "draft"].map(|s| format!("mail-decided-{s}")));
        wanted.extend(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| format!("weekday-full-{d}")));
        wanted.extend(crate::domain::role::Role::ALL.iter().map(|r| format!("role-{r}")));
        wanted.extend(crate::authz::Permission::ALL.iter().map(|p| format!("forbidden-{p}")));
        wanted.extend(crate::domain::workdays::Holiday::ALL.iter().map(|h| format!("holiday-{h}")));
        wanted.extend(crate::domain::meeting::AgendaSection::ALL.iter().map(|s| format!("agenda-{s}")));
        wanted.extend(crate::domain::meeting::MeetingState::ALL.iter().map(|s| format!("meeting-state-{s}")));
        wanted.extend(
            crate::domain::meeting::DecisionOutcome::ALL.iter().map(|o| format!("meeting-outcome-{o}")),
        );
        wanted.extend(ActionKind::ALL.iter().map(|a| format!("verb-{a}")));
        wanted.extend(
            ["decision-approve", "decision-reject", "event-create", "event-decide"].map(String::from),
        );
        wanted.extend(
            ["ci_criticality", "recent_failure", "short_notice", "outside_maintenance"]
                .map(|f| format!("factor-{f}")),
        );
        wanted.extend(
            ["my-changes", "to-assess", "awaiting-vote", "my-work", "upcoming-week"]
                .map(|h| format!("home-{h}")),
        );
        for question in QUESTIONS {
            wanted.push(format!("question-{}", question.key));
            wanted.extend(question.answers.iter().map(|(a, _)| format!("answer-{}-{a}", question.key)));
        }
        let defined = keys("en/main.ftl");
        let missing: Vec<_> = wanted.into_iter().filter(|k| !defined.contains(k)).collect();
        assert!(missing.is_empty(), "no text for {missing:?}");
    }

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        assert_eq!(Lang::negotiate(Some("en-GB,en;q=0.9,nb;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de-DE,nb-NO;q=0.7,en;q=0.5")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("en;q=0.4, no;q=0.9")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::Nb);
        assert_eq!(Lang::negotiate(None), Lang::Nb);
    }

    #[test]
    fn plurals_select_on_numbers() {
        assert_eq!(Lang::En.t_with("list-total", &[("count", num(1))]), "One change");
        assert_eq!(Lang::Nb.t_with("list-total", &[("count", num(3))]), "3 endringer");
        assert_eq!(Lang::Nb.decimal(2.25, 1), "2,2");
    }

    #[test]
    fn texts_come_in_both_languages() {
        assert_eq!(Lang::En.t("nav-changes"), "Changes");
        assert_eq!(Lang::Nb.t("nav-changes"), "Endringer");
    }
}
