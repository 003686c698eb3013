//! Snapshots (insta) of one email of each kind in both languages: the subject and the
//! plain-text part as a reader gets them, and the HTML part of the vote request. A change
//! of wording or layout shows up as a diff to review (`cargo insta review`, or delete the
//! `.snap` file and run the tests again); CI fails on a snapshot that does not match.

use super::meeting::render as render_meeting;
use super::notice::{render, BlackoutFacts, Facts, NoticeKind, OnBehalf, Rendered, VoteFacts, VoteLinks};
use crate::domain::change::{ChangeState, ChangeType};
use crate::domain::meeting::{
    AgendaSection, DecisionOutcome, MeetingKind, MeetingMail, MeetingNotice, NoticeDecision, NoticeItem,
};
use crate::domain::risk::RiskLevel;
use crate::domain::schedule::{Conflict, ConflictKind};
use crate::i18n::Lang;
use chrono::{TimeZone, Utc};

const BASE: &str = "https://endring.kommune.no";
const OSLO: chrono_tz::Tz = chrono_tz::Europe::Oslo;

fn facts(to: ChangeState) -> Facts {
    Facts {
        reference: "CHG-000051".into(),
        title: "Oppgradere sakarkivet til Public 360 v23".into(),
        to,
        risk_level: RiskLevel::Medium,
        planned_start: Some(Utc.with_ymd_and_hms(2026, 12, 10, 17, 0, 0).unwrap()),
        planned_end: Some(Utc.with_ymd_and_hms(2026, 12, 10, 19, 0, 0).unwrap()),
        comment: None,
        version: 4,
        round: 1,
        on_behalf_of: None,
        blackout: None,
    }
}

fn vote_links() -> VoteLinks {
    VoteLinks {
        approve: format!("{BASE}/vote/approve-token"),
        reject: format!("{BASE}/vote/reject-token"),
        change: Some(Box::new(VoteFacts {
            change_type: ChangeType::Normal,
            cis: vec!["Sak- og arkivsystem".into(), "Databaseklynge".into()],
            requester: "Rita Innmelder".into(),
            description: "Ny versjon av arkivsystemet. Brukerne må logge på igjen etterpå.".into(),
            factors: vec![("tested".into(), "partly".into(), 2), ("short_notice".into(), String::new(), 2)],
            conflicts: vec![Conflict {
                kind: ConflictKind::SharedCi,
                change_id: None,
                change_ref: Some("CHG-000049".into()),
                blackout_id: None,
                title: "Patche databaseklyngen".into(),
                starts_at: Utc.with_ymd_and_hms(2026, 12, 10, 18, 0, 0).unwrap(),
                ends_at: Utc.with_ymd_and_hms(2026, 12, 10, 20, 0, 0).unwrap(),
                ci_ids: Vec::new(),
            }],
            deadline: Some(Utc.with_ymd_and_hms(2026, 12, 7, 11, 0, 0).unwrap()),
        })),
    }
}

fn shown(mail: &Rendered) -> String {
    assert!(
        !mail.text.contains("Unknown localization key"),
        "every word is in the locale files:\n{}",
        mail.text
    );
    format!("Subject: {}\n\n{}", mail.subject, mail.text)
}

/// Each notice kind with the facts it is sent with.
fn notices() -> Vec<(&'static str, NoticeKind, Facts, Option<VoteLinks>)> {
    let with = |to, comment: Option<&str>| Facts { comment: comment.map(str::to_owned), ..facts(to) };
    let delegate = Facts {
        on_behalf_of: Some(OnBehalf { id: 7, name: "Ola Nordmann".into() }),
        ..facts(ChangeState::Authorize)
    };
    let blackout = Facts {
        blackout: Some(BlackoutFacts {
            title: "Juleferie".into(),
            starts_at: Utc.with_ymd_and_hms(2026, 12, 20, 23, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2027, 1, 3, 23, 0, 0).unwrap(),
        }),
        ..facts(ChangeState::Scheduled)
    };
    vec![
        ("submitted", NoticeKind::Submitted, facts(ChangeState::Assess), None),
        (
            "authorize_request",
            NoticeKind::AuthorizeRequest,
            facts(ChangeState::Authorize),
            Some(vote_links()),
        ),
        ("authorize_request_delegate", NoticeKind::AuthorizeRequest, delegate, Some(vote_links())),
        ("decided_rejected", NoticeKind::Decided, with(ChangeState::Rejected, Some("Ikke i julen.")), None),
        ("decided_returned", NoticeKind::Decided, with(ChangeState::Draft, Some("Mangler testplan.")), None),
        ("approved", NoticeKind::Approved, facts(ChangeState::Scheduled), None),
        ("scheduled", NoticeKind::Scheduled, facts(ChangeState::Scheduled), None),
        (
            "rescheduled",
            NoticeKind::Rescheduled,
            with(ChangeState::Scheduled, Some("Leverandøren er forsinket.")),
            None,
        ),
        (
            "cancelled",
            NoticeKind::Cancelled,
            with(ChangeState::Cancelled, Some("Ikke lenger nødvendig.")),
            None,
        ),
        ("reminder_start", NoticeKind::ReminderStart, facts(ChangeState::Scheduled), None),
        ("reminder_overdue", NoticeKind::ReminderOverdue, facts(ChangeState::Implement), None),
        ("reminder_vote", NoticeKind::ReminderVote, facts(ChangeState::Authorize), Some(vote_links())),
        (
            "mentioned",
            NoticeKind::Mentioned,
            with(ChangeState::Assess, Some("Kari: kan @per@kommune.no se på dette?")),
            None,
        ),
        ("blackout_covers", NoticeKind::BlackoutCovers, blackout, None),
        (
            "implementer_deactivated",
            NoticeKind::ImplementerDeactivated,
            with(ChangeState::Scheduled, Some("Per Hansen <per.hansen@kommune.no>")),
            None,
        ),
    ]
}

#[test]
fn every_notice_kind_in_both_languages() {
    let covered: std::collections::BTreeSet<NoticeKind> =
        notices().iter().map(|(_, kind, _, _)| *kind).collect();
    assert_eq!(covered.len(), NoticeKind::ALL.len(), "a snapshot for every kind");
    for (name, kind, facts, links) in notices() {
        for lang in [Lang::Nb, Lang::En] {
            let mail = render(kind, &facts, lang, OSLO, BASE, links.as_ref());
            insta::assert_snapshot!(format!("notice_{name}_{}", lang.code()), shown(&mail));
        }
    }
}

#[test]
fn the_vote_request_html_in_both_languages() {
    for lang in [Lang::Nb, Lang::En] {
        let mail = render(
            NoticeKind::AuthorizeRequest,
            &facts(ChangeState::Authorize),
            lang,
            OSLO,
            BASE,
            Some(&vote_links()),
        );
        insta::assert_snapshot!(format!("notice_authorize_request_html_{}", lang.code()), mail.html);
    }
}

fn meeting_notice(mail: MeetingMail) -> MeetingNotice {
    let starts_at = Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap();
    MeetingNotice {
        meeting_id: 12,
        kind: MeetingKind::Regular,
        title: String::new(),
        starts_at,
        cutoff_at: Utc.with_ymd_and_hms(2026, 12, 7, 11, 0, 0).unwrap(),
        reason: (mail == MeetingMail::Cancelled).then(|| "Ingen saker til behandling.".into()),
        items: vec![
            NoticeItem {
                section: AgendaSection::ForDecision,
                reference: "CHG-000051".into(),
                title: "Oppgradere sakarkivet".into(),
                risk_level: RiskLevel::Medium,
                planned_start: Some(Utc.with_ymd_and_hms(2026, 12, 10, 17, 0, 0).unwrap()),
                approvals: Some((1, 2)),
                conflicts: vec![(ConflictKind::Blackout, "Juleferie".into())],
                factors: vec![("tested".into(), "partly".into(), 2)],
            },
            NoticeItem {
                section: AgendaSection::EmergenciesToNote,
                reference: "CHG-000047".into(),
                title: "Nødpatch av brannmur".into(),
                risk_level: RiskLevel::High,
                planned_start: None,
                approvals: None,
                conflicts: Vec::new(),
                factors: Vec::new(),
            },
        ],
        decisions: vec![NoticeDecision {
            reference: "CHG-000051".into(),
            title: "Oppgradere sakarkivet".into(),
            outcome: DecisionOutcome::Approve,
            comment: "Godkjent med forbehold om test.".into(),
        }],
        attendees: vec!["Kari Nordmann".into(), "Cato CAB".into()],
        stand_ins: vec![("Cecilie CAB".into(), "Ola Nordmann".into())],
        on_behalf_of: None,
    }
}

#[test]
fn every_meeting_email_in_both_languages() {
    for mail in MeetingMail::ALL {
        for lang in [Lang::Nb, Lang::En] {
            let rendered = render_meeting(*mail, &meeting_notice(*mail), lang, OSLO, BASE);
            insta::assert_snapshot!(format!("{}_{}", mail.as_str(), lang.code()), shown(&rendered));
        }
    }
}
