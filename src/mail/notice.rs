//! Notices as messages: subject, plain text and HTML, in the recipient's language and time
//! zone, rendered from the outbox row the event wrote.

use crate::domain::change::ChangeState;
use crate::domain::risk::RiskLevel;
use crate::domain::text_enum::text_enum;
use crate::i18n::{arg, Lang};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html, DOCTYPE};
use serde::Deserialize;

text_enum! {
    /// What a notice announces (SPEC §7).
    pub enum NoticeKind {
        Submitted = "submitted",
        AuthorizeRequest = "authorize_request",
        Decided = "decided",
        Scheduled = "scheduled",
        /// Approved by the CAB and so scheduled: one email, with the invitation.
        Approved = "approved",
        Rescheduled = "rescheduled",
        Cancelled = "cancelled",
        ReminderStart = "reminder_start",
        ReminderOverdue = "reminder_overdue",
        ReminderVote = "reminder_vote",
        /// Named by email address in a work note.
        Mentioned = "mentioned",
        /// A blackout set or moved over the change's booked window.
        BlackoutCovers = "blackout_covers",
        /// To change managers: the change's implementer was deactivated.
        ImplementerDeactivated = "implementer_deactivated",
    }
}

/// The facts an outbox row carries (written by `services::notices`).
#[derive(Debug, Clone, Deserialize)]
pub struct Facts {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub to: ChangeState,
    pub risk_level: RiskLevel,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    /// The change's version when the notice was written (the invitation's SEQUENCE).
    #[serde(default)]
    pub version: i32,
    /// The decision round the notice belongs to.
    #[serde(default)]
    pub round: i32,
    /// Sent to a delegate: the member it is for.
    #[serde(default)]
    pub on_behalf_of: Option<OnBehalf>,
    /// A blackout now covering the change's window.
    #[serde(default)]
    pub blackout: Option<BlackoutFacts>,
}

/// The blackout a `blackout_covers` notice is about.
#[derive(Debug, Clone, Deserialize)]
pub struct BlackoutFacts {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The member a delegate receives a notice for.
#[derive(Debug, Clone, Deserialize)]
pub struct OnBehalf {
    pub id: i32,
    pub name: String,
}

/// The Approve and Reject links of one voter's email.
#[derive(Debug, Clone)]
pub struct VoteLinks {
    pub approve: String,
    pub reject: String,
    /// What a voter needs to decide from the email alone.
    pub change: Option<Box<VoteFacts>>,
}

/// The facts of a change waiting for the CAB, as they are when its email goes.
#[derive(Debug, Clone)]
pub struct VoteFacts {
    pub change_type: crate::domain::change::ChangeType,
    pub cis: Vec<String>,
    pub requester: String,
    pub description: String,
    /// `(key, detail, points)` of each factor that adds to the risk.
    pub factors: Vec<(String, String, u32)>,
    pub conflicts: Vec<crate::domain::schedule::Conflict>,
    /// Vote by: the next CAB meeting's cut-off.
    pub deadline: Option<DateTime<Utc>>,
}

impl VoteFacts {
    pub fn of(view: &crate::services::change_view::ChangeView, deadline: Option<DateTime<Utc>>) -> Self {
        VoteFacts {
            change_type: view.change_type,
            cis: view.cis.iter().map(|c| c.name.clone()).collect(),
            requester: view.requester.name.clone(),
            description: view.description.clone(),
            factors: view
                .risk
                .factors
                .iter()
                .filter(|f| f.points > 0)
                .map(|f| (f.key.clone(), f.detail.clone(), f.points))
                .collect(),
            conflicts: view.conflicts.clone(),
            deadline,
        }
    }
}

/// The first `max` characters of `text`, cut at a word, with an ellipsis when cut.
fn summary(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head))
}

/// A notice ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn when(lang: Lang, zone: Tz, at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "–".to_owned(), |t| lang.datetime(zone, t))
}

/// Words `kind` about `facts` for one reader.
pub fn render(
    kind: NoticeKind,
    facts: &Facts,
    lang: Lang,
    zone: Tz,
    base_url: &str,
    links: Option<&VoteLinks>,
) -> Rendered {
    let link = format!("{}/changes/{}", base_url.trim_end_matches('/'), facts.reference);
    // The subject states the outcome: approved, rejected, returned to you, moved, …
    let subject_key = match kind {
        NoticeKind::Decided => format!("mail-subject-decided-{}", facts.to),
        other => format!("mail-subject-{other}"),
    };
    let subject = lang.t_with(&subject_key, &[("ref", arg(&facts.reference)), ("title", arg(&facts.title))]);
    let intro = match kind {
        NoticeKind::Decided => lang.t(&format!("mail-decided-{}", facts.to)),
        other => lang.t(&format!("mail-intro-{other}")),
    };
    let intro = match &facts.on_behalf_of {
        Some(member) => {
            format!("{} {intro}", lang.t_with("mail-as-delegate", &[("name", arg(&member.name))]))
        }
        None => intro,
    };
    let mut details = vec![
        (lang.t("field-title"), facts.title.clone()),
        (lang.t("field-risk"), lang.t(&format!("risk-{}", facts.risk_level))),
        (lang.t("field-planned-start"), when(lang, zone, facts.planned_start)),
        (lang.t("field-planned-end"), when(lang, zone, facts.planned_end)),
    ];
    if let Some(blackout) = &facts.blackout {
        let window = format!(
            "{} – {}",
            lang.datetime(zone, blackout.starts_at),
            lang.datetime(zone, blackout.ends_at)
        );
        details.push((lang.t("mail-blackout"), format!("{} ({window})", blackout.title)));
    }
    // A vote email carries what a member needs to decide without opening the change.
    if let Some(change) = links.and_then(|l| l.change.as_deref()) {
        let factors: Vec<String> = change
            .factors
            .iter()
            .map(|(key, detail, points)| {
                format!("{} (+{points})", crate::i18n::factor_text(lang, key, detail))
            })
            .collect();
        let conflicts: Vec<String> = change
            .conflicts
            .iter()
            .map(|c| {
                let what = lang.t(&format!("conflict-{}", c.kind));
                let other = c.change_ref.as_deref().map(|r| format!("{r} ")).unwrap_or_default();
                format!(
                    "{what}: {other}{} ({} – {})",
                    c.title,
                    lang.datetime(zone, c.starts_at),
                    lang.datetime(zone, c.ends_at)
                )
            })
            .collect();
        details.extend([
            (lang.t("field-type"), lang.t(&format!("type-{}", change.change_type))),
            (lang.t("field-cis"), change.cis.join(", ")),
            (lang.t("field-requester"), change.requester.clone()),
            (lang.t("field-description"), summary(&change.description, 300)),
            (
                lang.t("mail-risk-factors"),
                if factors.is_empty() { lang.t("risk-no-factors") } else { factors.join("; ") },
            ),
            (
                lang.t("section-conflicts"),
                if conflicts.is_empty() { lang.t("conflicts-none") } else { conflicts.join("; ") },
            ),
        ]);
        if let Some(deadline) = change.deadline {
            details.push((lang.t("mail-vote-by"), lang.datetime(zone, deadline)));
        }
    }
    let comment = facts.comment.as_deref().filter(|c| !c.trim().is_empty());
    // A deactivated implementer's notice carries who they were where others carry a comment.
    let comment_label = match kind {
        NoticeKind::ImplementerDeactivated => lang.t("field-implementer"),
        _ => lang.t("field-comment"),
    };
    let mut text = format!("{intro}\n\n");
    for (label, value) in &details {
        text.push_str(&format!("{label}: {value}\n"));
    }
    if let Some(comment) = comment {
        text.push_str(&format!("{comment_label}: {comment}\n"));
    }
    if let Some(links) = links {
        text.push_str(&format!(
            "\n{}: {}\n{}: {}\n",
            lang.t("action-approve"),
            links.approve,
            lang.t("action-reject"),
            links.reject
        ));
    }
    text.push_str(&format!("\n{}: {link}\n", lang.t("mail-open")));
    // Why this reader gets it, last, in both parts.
    let why = lang.t(&format!("mail-why-{kind}"));
    text.push_str(&format!("\n-- \n{why}\n"));
    // Outlook's renderer (Word) honours tables and inline styles only: no stylesheet, no
    // external image, buttons as padded table cells with links.
    const CELL: &str =
        "padding:4px 12px 4px 0;vertical-align:top;font:14px/1.4 Segoe UI,Arial,sans-serif;color:#1b1f24";
    let button = |href: &str, label: String, colour: &str| {
        html! {
            td style=(format!("background:{colour};border-radius:4px;padding:10px 18px")) {
                a href=(href) style="color:#ffffff;text-decoration:none;font:bold 15px Segoe UI,Arial,sans-serif" { (label) }
            }
        }
    };
    let html = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="margin:0;padding:0;background:#f4f5f7" {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7" {
                    tr { td align="center" style="padding:16px" {
                        table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border:1px solid #c9ced6" {
                            tr { td style="background:#0b5394;padding:12px 20px;font:bold 18px Segoe UI,Arial,sans-serif;color:#ffffff" { "Endring" } }
                            tr { td style="padding:20px" {
                                p style="margin:0 0 16px;font:16px/1.5 Segoe UI,Arial,sans-serif;color:#1b1f24" { (intro) }
                                table role="presentation" cellpadding="0" cellspacing="0" {
                                    @for (label, value) in &details {
                                        tr { th scope="row" align="left" style=(format!("{CELL};color:#4a5360")) { (label) } td style=(CELL) { (value) } }
                                    }
                                    @if let Some(comment) = comment {
                                        tr { th scope="row" align="left" style=(format!("{CELL};color:#4a5360")) { (comment_label) } td style=(CELL) { (comment) } }
                                    }
                                }
                                @if let Some(links) = links {
                                    // Approve and Reject apart and distinct (Reject in red), as on the pages.
                                    table role="presentation" cellpadding="0" cellspacing="0" style="margin:20px 0 8px" {
                                        tr {
                                            (button(&links.approve, lang.t("action-approve"), "#0b5394"))
                                            td style="width:40px" { " " }
                                            (button(&links.reject, lang.t("action-reject"), "#a4161a"))
                                        }
                                    }
                                    p style="margin:0 0 16px;font:13px Segoe UI,Arial,sans-serif;color:#4a5360" { (lang.t("mail-vote-confirm-hint")) }
                                }
                                p style="margin:16px 0 0;font:15px Segoe UI,Arial,sans-serif" {
                                    a href=(link) style="color:#0b5394" { (lang.t("mail-open")) " " (facts.reference) }
                                }
                            } }
                            tr { td style="padding:12px 20px;border-top:1px solid #c9ced6;font:12px/1.4 Segoe UI,Arial,sans-serif;color:#4a5360" { (why) } }
                        }
                    } }
                }
            }
        }
    };
    Rendered { subject, text, html: html.into_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> Facts {
        Facts {
            reference: "CHG-000042".into(),
            title: "Upgrade <archive>".into(),
            to: ChangeState::Scheduled,
            risk_level: RiskLevel::High,
            planned_start: Some(Utc.with_ymd_and_hms(2026, 7, 1, 16, 0, 0).unwrap()),
            planned_end: Some(Utc.with_ymd_and_hms(2026, 7, 1, 18, 0, 0).unwrap()),
            comment: Some("OK".into()),
            version: 6,
            round: 1,
            on_behalf_of: None,
            blackout: None,
        }
    }

    #[test]
    fn a_decision_reads_in_the_recipients_language_and_zone() {
        let nb = render(
            NoticeKind::Decided,
            &facts(),
            Lang::Nb,
            chrono_tz::Europe::Oslo,
            "https://endring.example/",
            None,
        );
        assert!(nb.subject.contains("CHG-000042"), "{}", nb.subject);
        assert!(nb.text.contains("01.07.2026 kl. 18:00"), "{}", nb.text);
        assert!(nb.text.contains("https://endring.example/changes/CHG-000042"));
        assert!(nb.html.contains("Upgrade &lt;archive&gt;"), "HTML is escaped");
        let en =
            render(NoticeKind::Decided, &facts(), Lang::En, chrono_tz::UTC, "https://endring.example", None);
        assert_ne!(en.text, nb.text);
        assert!(en.text.contains("1 Jul 2026, 16:00"), "{}", en.text);
    }

    #[test]
    fn a_vote_request_is_a_self_contained_styled_email_with_two_distinct_buttons_and_says_why() {
        let links = VoteLinks {
            approve: "https://endring.example/vote/a1".into(),
            reject: "https://endring.example/vote/r1".into(),
            change: None,
        };
        let mail = render(
            NoticeKind::AuthorizeRequest,
            &facts(),
            Lang::En,
            chrono_tz::Europe::Oslo,
            "https://endring.example",
            Some(&links),
        );
        let html = &mail.html;
        let approve = html.find("href=\"https://endring.example/vote/a1\"").expect("the Approve button");
        let reject = html.find("href=\"https://endring.example/vote/r1\"").expect("the Reject button");
        assert!(approve < reject, "Approve first");
        assert!(html[..reject].rfind("background:#a4161a").is_some_and(|red| red > approve), "Reject in red");
        for external in ["<img", "<link", "<style", "<script", "url("] {
            assert!(!html.contains(external), "{external}: nothing to load, nothing Outlook drops");
        }
        let why = "You get this because you may vote on this change in the CAB";
        assert!(html.contains(why) && mail.text.contains(why), "the footer says why, in both parts");
    }
}
