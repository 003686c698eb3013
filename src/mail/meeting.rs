//! A CAB meeting's emails: the agenda at the cut-off (with a calendar invitation for the
//! meeting), the cancellation (CANCEL of that invitation) and the minutes, each rendered
//! in the reader's language and zone from the `MeetingNotice` in the outbox row.

use super::invitation::{calendar, Booking, Method};
use super::notice::Rendered;
use crate::domain::meeting::{AgendaSection, MeetingMail, MeetingNotice, LENGTH};
use crate::i18n::{arg, factor_text, meeting_title, Lang};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html, DOCTYPE};

/// What the attached invitation asks the calendar to do, if one is attached.
pub fn method(mail: MeetingMail) -> Option<Method> {
    match mail {
        MeetingMail::Agenda => Some(Method::Request),
        MeetingMail::Cancelled => Some(Method::Cancel),
        MeetingMail::Minutes => None,
    }
}

fn when(lang: Lang, zone: Tz, at: DateTime<Utc>) -> String {
    lang.datetime(zone, at)
}

/// One line per agenda item or decision, as `(text, detail)`.
fn lines(mail: MeetingMail, notice: &MeetingNotice, lang: Lang, zone: Tz) -> Vec<(String, Vec<String>)> {
    match mail {
        MeetingMail::Agenda => {
            let mut sections: Vec<(String, Vec<String>)> = Vec::new();
            for section in AgendaSection::ALL {
                let items: Vec<String> = notice
                    .items
                    .iter()
                    .filter(|i| i.section == *section)
                    .map(|i| {
                        let mut line = format!(
                            "{} {} · {}",
                            i.reference,
                            i.title,
                            lang.t(&format!("risk-{}", i.risk_level))
                        );
                        if let Some(start) = i.planned_start {
                            line.push_str(&format!(" · {}", when(lang, zone, start)));
                        }
                        if let Some((approvals, required)) = i.approvals {
                            let count = lang.t_with(
                                "agenda-approvals",
                                &[("approvals", arg(approvals)), ("required", arg(required))],
                            );
                            line.push_str(&format!(" · {}: {count}", lang.t("agenda-approval")));
                        }
                        let factors: Vec<String> = i
                            .factors
                            .iter()
                            .map(|(key, detail, points)| {
                                format!("{} (+{points})", factor_text(lang, key, detail))
                            })
                            .collect();
                        if !factors.is_empty() {
                            line.push_str(&format!(" · {}", factors.join("; ")));
                        }
                        for (kind, with) in &i.conflicts {
                            line.push_str(&format!(" · {}: {with}", lang.t(&format!("conflict-{kind}"))));
                        }
                        line
                    })
                    .collect();
                if !items.is_empty() {
                    sections.push((lang.t(&format!("agenda-{section}")), items));
                }
            }
            sections
        }
        MeetingMail::Cancelled => Vec::new(),
        MeetingMail::Minutes => {
            let mut present = notice.attendees.clone();
            present.extend(notice.stand_ins.iter().map(|(delegate, member)| {
                lang.t_with("on-behalf", &[("delegate", arg(delegate)), ("member", arg(member))])
            }));
            let attendees = (lang.t("meeting-attendees"), vec![present.join(", ")]);
            let decisions = notice
                .decisions
                .iter()
                .map(|d| {
                    let outcome = lang.t(&format!("meeting-decided-{}", d.outcome));
                    match d.comment.is_empty() {
                        true => format!("{} {}: {outcome}", d.reference, d.title),
                        false => format!("{} {}: {outcome} — {}", d.reference, d.title, d.comment),
                    }
                })
                .collect();
            vec![attendees, (lang.t("meeting-minutes"), decisions)]
        }
    }
}

/// The meeting's email for one reader.
pub fn render(mail: MeetingMail, notice: &MeetingNotice, lang: Lang, zone: Tz, base_url: &str) -> Rendered {
    let title = meeting_title(lang, zone, notice.kind, &notice.title, notice.starts_at);
    let link = format!("{}/cab/meetings/{}", base_url.trim_end_matches('/'), notice.meeting_id);
    let subject = lang.t_with(&format!("mail-subject-{mail}"), &[("title", arg(&title))]);
    let mut intro = lang.t(&format!("mail-intro-{mail}"));
    if let Some(member) = &notice.on_behalf_of {
        intro = format!("{} {intro}", lang.t_with("mail-as-delegate", &[("name", arg(member))]));
    }
    let reason = notice.reason.as_deref().filter(|r| !r.is_empty());
    let parts = lines(mail, notice, lang, zone);
    let nothing = mail == MeetingMail::Agenda && parts.is_empty();
    let mut text = format!("{intro}\n\n{title}\n");
    if mail == MeetingMail::Agenda {
        text.push_str(&format!("{}: {}\n", lang.t("meeting-cutoff"), when(lang, zone, notice.cutoff_at)));
    }
    if let Some(reason) = reason {
        text.push_str(&format!("{}: {reason}\n", lang.t("meeting-cancel-reason")));
    }
    for (heading, items) in &parts {
        text.push_str(&format!("\n{heading}\n"));
        for item in items {
            text.push_str(&format!("- {item}\n"));
        }
    }
    if nothing {
        text.push_str(&format!("\n{}\n", lang.t("agenda-nothing")));
    }
    text.push_str(&format!("\n{}: {link}\n", lang.t("mail-open-meeting")));
    let html = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (subject) } }
            body {
                p { (intro) }
                h1 { (title) }
                @if mail == MeetingMail::Agenda {
                    p { (lang.t("meeting-cutoff")) ": " (when(lang, zone, notice.cutoff_at)) }
                }
                @if let Some(reason) = reason { p { (lang.t("meeting-cancel-reason")) ": " (reason) } }
                @for (heading, items) in &parts {
                    h2 { (heading) }
                    ul { @for item in items { li { (item) } } }
                }
                @if nothing { p { (lang.t("agenda-nothing")) } }
                p { a href=(link) { (lang.t("mail-open-meeting")) } }
            }
        }
    };
    Rendered { subject, text, html: html.into_string() }
}

/// The calendar invitation for the meeting itself: the same UID as in the calendar feeds,
/// UTC times, CANCEL when it is cancelled.
pub fn invitation(
    method: Method,
    notice: &MeetingNotice,
    summary: &str,
    host: &str,
    (organizer, attendee): (&str, &str),
    link: &str,
    now: DateTime<Utc>,
) -> String {
    let booking = Booking {
        uid: format!("cab-meeting-{}@{host}", notice.meeting_id),
        // A cancellation supersedes the request.
        sequence: u32::from(method == Method::Cancel),
        start: notice.starts_at,
        end: notice.starts_at + LENGTH,
        summary: summary.to_owned(),
        link,
        parties: (organizer, attendee),
    };
    calendar(method, &booking, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::meeting::{DecisionOutcome, MeetingKind, NoticeDecision, NoticeItem};
    use crate::domain::risk::RiskLevel;
    use chrono::TimeZone;

    fn notice() -> MeetingNotice {
        // Tuesday after the autumn DST change: 10:00 CET is 09:00 UTC.
        let starts_at = Utc.with_ymd_and_hms(2026, 10, 27, 9, 0, 0).unwrap();
        MeetingNotice {
            meeting_id: 7,
            kind: MeetingKind::Regular,
            title: String::new(),
            starts_at,
            cutoff_at: starts_at - chrono::Duration::hours(22),
            reason: None,
            items: vec![
                NoticeItem {
                    section: AgendaSection::Late,
                    reference: "CHG-000002".into(),
                    title: "Late <one>".into(),
                    risk_level: RiskLevel::Low,
                    planned_start: None,
                    approvals: Some((0, 1)),
                    conflicts: Vec::new(),
                    factors: Vec::new(),
                },
                NoticeItem {
                    section: AgendaSection::ForDecision,
                    reference: "CHG-000001".into(),
                    title: "Upgrade archive".into(),
                    risk_level: RiskLevel::High,
                    planned_start: Some(starts_at + chrono::Duration::days(2)),
                    approvals: Some((1, 3)),
                    conflicts: vec![(crate::domain::schedule::ConflictKind::Blackout, "Payroll run".into())],
                    factors: vec![("tested".into(), "partly".into(), 2)],
                },
            ],
            decisions: vec![NoticeDecision {
                reference: "CHG-000001".into(),
                title: "Upgrade archive".into(),
                outcome: DecisionOutcome::Reject,
                comment: "Payroll run".into(),
            }],
            attendees: vec!["Kari".into(), "Ola".into()],
            stand_ins: vec![("Kari".into(), "Per".into())],
            on_behalf_of: None,
        }
    }

    #[test]
    fn the_agenda_lists_its_sections_in_order_in_the_readers_language_and_zone() {
        let en =
            render(MeetingMail::Agenda, &notice(), Lang::En, chrono_tz::Europe::Oslo, "https://e.example/");
        assert!(en.subject.contains("27 Oct 2026, 10:00"), "{}", en.subject);
        let decision = en.text.find("CHG-000001").unwrap();
        let late = en.text.find("CHG-000002").unwrap();
        assert!(decision < late, "for decision before late:\n{}", en.text);
        assert!(en.text.contains("1 of 3"), "{}", en.text);
        assert!(en.text.contains("Payroll run"), "the item's conflicts: {}", en.text);
        assert!(en.text.contains("(+2)"), "and its risk factors: {}", en.text);
        assert!(en.text.contains("https://e.example/cab/meetings/7"));
        assert!(en.html.contains("Late &lt;one&gt;"), "escaped");
        let nb = render(MeetingMail::Agenda, &notice(), Lang::Nb, chrono_tz::UTC, "https://e.example");
        assert!(nb.subject.contains("27.10.2026 kl. 09:00"), "{}", nb.subject);
        assert_ne!(nb.text, en.text);
    }

    #[test]
    fn the_minutes_name_the_attendees_and_each_decision_with_its_comment() {
        let minutes = render(MeetingMail::Minutes, &notice(), Lang::En, chrono_tz::UTC, "https://e.example");
        assert!(minutes.text.contains("Kari, Ola, Kari for Per"), "{}", minutes.text);
        assert!(
            minutes.text.contains("CHG-000001 Upgrade archive: Rejected — Payroll run"),
            "{}",
            minutes.text
        );
    }

    #[test]
    fn the_invitation_and_its_cancellation_share_the_uid_and_parse() {
        let now = Utc.with_ymd_and_hms(2026, 10, 26, 11, 0, 0).unwrap();
        let request = invitation(
            Method::Request,
            &notice(),
            "CAB",
            "e.example",
            ("cab@e.example", "k@e.example"),
            "https://e.example/cab/meetings/7",
            now,
        );
        let cancel = invitation(
            Method::Cancel,
            &notice(),
            "CAB",
            "e.example",
            ("cab@e.example", "k@e.example"),
            "https://e.example/cab/meetings/7",
            now,
        );
        for (text, method, status) in [(&request, "REQUEST", "CONFIRMED"), (&cancel, "CANCEL", "CANCELLED")] {
            let parsed: Vec<_> = ical::IcalParser::new(text.as_bytes()).collect();
            assert_eq!(parsed.len(), 1, "{text}");
            let calendar = parsed.into_iter().next().unwrap().unwrap();
            let value = |props: &[ical::property::Property], name: &str| {
                props.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).unwrap_or_default()
            };
            assert_eq!(value(&calendar.properties, "METHOD"), method);
            let event = &calendar.events[0];
            assert_eq!(value(&event.properties, "UID"), "cab-meeting-7@e.example");
            assert_eq!(value(&event.properties, "STATUS"), status);
            assert_eq!(
                value(&event.properties, "DTSTART"),
                "20261027T090000Z",
                "10:00 in Oslo, after DST ended"
            );
            assert_eq!(value(&event.properties, "DTEND"), "20261027T100000Z");
        }
    }
}
