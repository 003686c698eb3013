//! Risk scoring (SPEC §4): the questionnaire, the computed factors and the level.

use super::text_enum::text_enum;
use super::validation::{FieldError, Message};
use serde::Serialize;
use std::collections::BTreeMap;

text_enum! {
    /// Risk levels, from the score: 0–4 low, 5–9 medium, 10–14 high, 15+ very high.
    pub enum RiskLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
        VeryHigh = "very_high",
    }
}

impl RiskLevel {
    pub fn from_score(score: u32) -> Self {
        match score {
            0..=4 => RiskLevel::Low,
            5..=9 => RiskLevel::Medium,
            10..=14 => RiskLevel::High,
            _ => RiskLevel::VeryHigh,
        }
    }
}

/// One question of the questionnaire with its answers and their weights.
#[derive(Debug)]
pub struct Question {
    pub key: &'static str,
    pub text: &'static str,
    pub answers: &'static [(&'static str, u32)],
}

/// The default questionnaire of SPEC §4.
pub const QUESTIONS: &[Question] = &[
    Question {
        key: "users_affected",
        text: "How many users are affected?",
        answers: &[("none", 0), ("under_50", 1), ("under_500", 2), ("over_500", 3), ("everyone", 4)],
    },
    Question {
        key: "tested",
        text: "Was the change tested in a test environment?",
        answers: &[("yes", 0), ("partly", 2), ("no", 4)],
    },
    Question {
        key: "backout",
        text: "Is there a tested backout plan?",
        answers: &[("yes", 0), ("untested", 2), ("no", 4)],
    },
    Question {
        key: "complexity",
        text: "How complex is the change?",
        answers: &[("low", 0), ("medium", 2), ("high", 4)],
    },
    Question {
        key: "downtime",
        text: "Expected downtime?",
        answers: &[("none", 0), ("under_1h", 2), ("over_1h", 4)],
    },
];

/// Answers that name known questions and known answers only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskAnswers(BTreeMap<&'static str, &'static str>);

impl RiskAnswers {
    /// Parses `{question: answer}`; every unknown question or answer is a field error.
    pub fn parse<'a>(raw: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, Vec<FieldError>> {
        let mut answers = BTreeMap::new();
        let mut errors = Vec::new();
        for (key, answer) in raw {
            let field = format!("answers.{key}");
            match QUESTIONS.iter().find(|q| q.key == key) {
                None => errors.push(FieldError::new(field, Message::new("msg-not-a-question"))),
                Some(question) => match question.answers.iter().find(|(a, _)| *a == answer) {
                    Some((known, _)) => {
                        answers.insert(question.key, *known);
                    }
                    None => {
                        let allowed: Vec<_> = question.answers.iter().map(|(a, _)| *a).collect();
                        errors.push(FieldError::new(
                            field,
                            Message::new("msg-unknown-value")
                                .arg("given", answer)
                                .arg("known", allowed.join(", ")),
                        ));
                    }
                },
            }
        }
        if errors.is_empty() {
            Ok(RiskAnswers(answers))
        } else {
            Err(errors)
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }

    /// The answer given to `question`, if any.
    pub fn get(&self, question: &str) -> Option<&'static str> {
        self.0.get(question).copied()
    }

    /// Questions not answered yet, in questionnaire order.
    pub fn missing(&self) -> Vec<&'static str> {
        QUESTIONS.iter().map(|q| q.key).filter(|k| !self.0.contains_key(k)).collect()
    }

    fn weight(&self, question: &Question) -> Option<u32> {
        let answer = self.0.get(question.key)?;
        question.answers.iter().find(|(a, _)| a == answer).map(|(_, w)| *w)
    }
}

/// What the system knows about a change beyond the answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskFacts {
    /// The most critical affected CI (1 is most critical), if any CI is affected.
    pub most_critical_ci: Option<i32>,
    /// A change on one of the same CIs failed or was backed out in the last 180 days.
    pub recent_failure_on_ci: bool,
    /// Working days between submission (or now) and the planned start, if planned.
    pub working_days_notice: Option<i64>,
    /// The planned window lies outside an affected CI's maintenance windows.
    pub outside_maintenance: bool,
}

/// One contribution to the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Factor {
    /// The question key, or the computed factor's name.
    pub key: String,
    /// The answer given, or a short description of the computed factor.
    pub detail: String,
    pub points: u32,
}

/// Score, level and the factors that produced them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub score: u32,
    pub level: RiskLevel,
    pub factors: Vec<Factor>,
}

/// Scores the answers plus the computed factors of SPEC §4.
pub fn assess(answers: &RiskAnswers, facts: RiskFacts) -> Assessment {
    let mut factors: Vec<Factor> = QUESTIONS
        .iter()
        .filter_map(|q| {
            let points = answers.weight(q)?;
            Some(Factor { key: q.key.into(), detail: answers.0[q.key].into(), points })
        })
        .collect();
    let mut computed = |key: &str, detail: &str, points: u32| {
        factors.push(Factor { key: key.into(), detail: detail.into(), points })
    };
    match facts.most_critical_ci {
        Some(1) => computed("ci_criticality", "an affected CI has criticality 1", 3),
        Some(2) => computed("ci_criticality", "an affected CI has criticality 2", 1),
        _ => {}
    }
    if facts.recent_failure_on_ci {
        computed(
            "recent_failure",
            "a change on an affected CI failed, was backed out or caused an incident in the last 180 days",
            2,
        );
    }
    if facts.working_days_notice.is_some_and(|days| days < 3) {
        computed("short_notice", "less than 3 working days before the planned start", 2);
    }
    if facts.outside_maintenance {
        computed("outside_maintenance", "outside the maintenance windows of an affected CI", 1);
    }
    let score = factors.iter().map(|f| f.points).sum();
    Assessment { score, level: RiskLevel::from_score(score), factors }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> RiskAnswers {
        RiskAnswers::parse(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn levels_follow_the_score_bands() {
        let bands = [
            (0, "low"),
            (4, "low"),
            (5, "medium"),
            (9, "medium"),
            (10, "high"),
            (14, "high"),
            (15, "very_high"),
            (27, "very_high"),
        ];
        for (score, level) in bands {
            assert_eq!(RiskLevel::from_score(score).as_str(), level, "{score}");
        }
    }

    #[test]
    fn the_score_adds_answers_and_computed_factors() {
        let a = answers(&[
            ("users_affected", "everyone"),
            ("tested", "partly"),
            ("backout", "yes"),
            ("complexity", "high"),
            ("downtime", "under_1h"),
        ]);
        let facts = RiskFacts {
            most_critical_ci: Some(1),
            recent_failure_on_ci: true,
            working_days_notice: Some(2),
            outside_maintenance: true,
        };
        let result = assess(&a, facts);
        assert_eq!(result.score, 4 + 2 + 4 + 2 + 3 + 2 + 2 + 1);
        assert_eq!(result.level, RiskLevel::VeryHigh);
        let keys: Vec<_> = result.factors.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "users_affected",
                "tested",
                "backout",
                "complexity",
                "downtime",
                "ci_criticality",
                "recent_failure",
                "short_notice",
                "outside_maintenance"
            ]
        );
    }

    #[test]
    fn criticality_two_adds_one_and_three_or_four_add_nothing() {
        let none = RiskAnswers::default();
        let score = |c| assess(&none, RiskFacts { most_critical_ci: Some(c), ..Default::default() }).score;
        assert_eq!((score(1), score(2), score(3), score(4)), (3, 1, 0, 0));
    }

    #[test]
    fn unknown_questions_and_answers_are_named() {
        let errors = RiskAnswers::parse([("tested", "maybe"), ("colour", "blue")]).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].message.args[1], ("known", "yes, partly, no".to_owned()), "{errors:?}");
        assert_eq!(errors[1].field, "answers.colour");
    }
}
