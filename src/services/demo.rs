//! `endring demo`: realistic demo data, made through the same services people use, so
//! every change has its full audit trail and its notices.

use super::changes::{create, NewChange};
use super::lifecycle::{
    self, AssessInput, AssessOutcomeInput, CancelInput, CompleteInput, Force, ReviewInput,
};
use super::maintenance::{self, NewMaintenanceWindow};
use super::reference::{create_ci, NewCi};
use super::users::{add, NewUser};
use super::voting::{vote, VoteInput};
use super::{meetings, workdays};
use super::{Ctx, ServiceError, ServiceResult};
use crate::db::users as user_repo;
use crate::domain::approval::VoteDecision;
use crate::domain::caller::Caller;
use crate::domain::change::{ChangeState, ChangeType, ClosureCode};
use crate::domain::ids::ChangeId;
use crate::domain::role::Role;
use crate::domain::text::Text;
use chrono::Datelike;
use chrono::{Duration, DurationRound, TimeDelta};
use std::collections::BTreeMap;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "endring-demo-2026";

const PEOPLE: &[(&str, &str, &[Role])] = &[
    ("kari.nordmann", "Kari Nordmann", &[Role::ChangeManager]),
    ("ola.hansen", "Ola Hansen", &[Role::ChangeManager, Role::CabMember]),
    ("ingrid.berg", "Ingrid Berg", &[Role::CabMember]),
    ("lars.johansen", "Lars Johansen", &[Role::CabMember]),
    ("sofie.larsen", "Sofie Larsen", &[Role::CabMember]),
    ("anders.olsen", "Anders Olsen", &[Role::Implementer]),
    ("maria.nilsen", "Maria Nilsen", &[Role::Implementer]),
    ("jonas.pedersen", "Jonas Pedersen", &[Role::Implementer, Role::CabMember]),
    ("emma.kristiansen", "Emma Kristiansen", &[]),
    ("henrik.jensen", "Henrik Jensen", &[]),
    ("nora.karlsen", "Nora Karlsen", &[Role::Manager]),
    ("per.admin", "Per Admin", &[Role::Admin]),
];

const CIS: &[(&str, &str, i32)] = &[
    ("Sak- og arkivsystem (Elements)", "application", 1),
    ("Lønnssystem (Visma)", "application", 1),
    ("Skoleportal", "application", 2),
    ("E-post (Exchange Online)", "service", 1),
    ("Kommunens nettside", "application", 2),
    ("Brannmur Rådhuset", "network", 1),
    ("VPN", "network", 2),
    ("Skrivertjeneste", "service", 4),
    ("Byggesaksportal", "application", 3),
    ("Databaseklynge PROD", "infrastructure", 1),
    ("Backup (Veeam)", "infrastructure", 2),
    ("Helseplattform-integrasjon", "integration", 1),
];

const TITLES: &[&str] = &[
    "Upgrade to the latest minor version",
    "Apply security patches",
    "Renew TLS certificate",
    "Move to new storage array",
    "Change firewall rule for supplier access",
    "Enable multi-factor sign-in",
    "Rotate service account passwords",
    "Increase database memory",
    "Replace load balancer configuration",
    "Migrate nightly job to new scheduler",
];

/// Fills the database and returns a summary to print.
pub fn seed(ctx: &Ctx) -> ServiceResult<String> {
    if ctx.db.query(|conn| user_repo::id_by_email(conn, "kari.nordmann@demo.endring.no"))?.is_some() {
        return Err(ServiceError::Conflict(crate::domain::validation::Message::new("msg-demo-exists")));
    }
    let mut people: BTreeMap<&str, Caller> = BTreeMap::new();
    for (login, name, roles) in PEOPLE {
        let email = format!("{login}@demo.endring.no");
        let id = add(
            ctx,
            None,
            NewUser {
                email,
                name: (*name).into(),
                roles: roles.iter().copied().collect(),
                password: DEMO_PASSWORD.into(),
            },
        )?;
        let caller = ctx
            .db
            .query(|conn| user_repo::caller(conn, id))?
            .ok_or_else(|| ServiceError::NotFound("demo user".into()))?;
        people.insert(login, caller);
    }
    let admin = people["per.admin"].clone();
    let mut cis = Vec::new();
    for (name, kind, criticality) in CIS {
        let input = NewCi {
            name: Text::literal(name),
            kind: Text::literal(kind),
            criticality: *criticality,
            owner_email: Text::literal("it-drift@demo.endring.no"),
        };
        cis.push(create_ci(ctx, &admin, input)?.id);
    }
    let requesters = ["emma.kristiansen", "henrik.jensen", "anders.olsen", "maria.nilsen"];
    let implementers = ["anders.olsen", "maria.nilsen", "jonas.pedersen"];
    let voters: Vec<Caller> =
        ["kari.nordmann", "ola.hansen", "ingrid.berg", "lars.johansen", "sofie.larsen", "jonas.pedersen"]
            .iter()
            .map(|l| people[l].clone())
            .collect();
    let manager = people["kari.nordmann"].clone();
    let targets = [
        ChangeState::Draft,
        ChangeState::Assess,
        ChangeState::Authorize,
        ChangeState::Scheduled,
        ChangeState::Scheduled,
        ChangeState::Implement,
        ChangeState::Review,
        ChangeState::Closed,
        ChangeState::Rejected,
        ChangeState::Cancelled,
    ];
    let today = ctx.clock.now().duration_trunc(TimeDelta::hours(1)).unwrap_or_else(|_| ctx.clock.now());
    let mut made: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..50usize {
        let target = targets[i % targets.len()];
        let requester = &people[requesters[i % requesters.len()]];
        let implementer = &people[implementers[i % implementers.len()]];
        // Past windows for changes already carried out; the next weeks for the rest.
        let start = match target {
            ChangeState::Implement => today - Duration::hours(1),
            ChangeState::Review | ChangeState::Closed => today - Duration::days(3 + i as i64 % 20),
            _ => today + Duration::days(2 + (i as i64 * 3) % 40) + Duration::hours(i as i64 % 6),
        };
        let input = NewChange {
            title: Text::parse(&format!("{} – {}", TITLES[i % TITLES.len()], CIS[i % CIS.len()].0))
                .unwrap_or_default(),
            description: Text::literal("Planned as part of the regular maintenance of the service."),
            justification: Text::literal("Keeps the service supported and secure."),
            change_type: Some(if i % 17 == 5 { ChangeType::Emergency } else { ChangeType::Normal }),
            ci_ids: vec![cis[i % cis.len()]],
            planned_start: Some(start),
            planned_end: Some(start + Duration::hours(2)),
            implementation_plan: Text::literal("1. Announce. 2. Apply the change. 3. Verify the service."),
            backout_plan: Text::literal("Restore the snapshot taken before the change."),
            test_plan: Text::literal("Smoke test of sign-in and the main workflows."),
            implementer_id: Some(implementer.id),
            template_id: None,
            answers: BTreeMap::new(),
        };
        let change = create(ctx, requester, input)?;
        let cast = Cast { requester, manager: &manager, voters: &voters };
        advance(ctx, &cast, change.id, change.change_type, target, i)?;
        *made.entry(target.as_str()).or_default() += 1;
    }
    // Added after the changes, so their risk is as it was when they were filed.
    for (ci, weekday, starts, ends) in [
        (0, "tuesday", "18:00", "22:00"),
        (1, "thursday", "17:00", "21:00"),
        (9, "saturday", "22:00", "04:00"),
    ] {
        let window = NewMaintenanceWindow {
            ci_id: cis[ci],
            weekday: weekday.into(),
            starts: starts.into(),
            ends: ends.into(),
            zone: None,
        };
        maintenance::add(ctx, &manager, window)?;
    }
    let year = today.with_timezone(&ctx.config.time_zone()).year();
    for (month, day, name) in
        [(12, 24, "Julaften – IT-kontoret stengt"), (12, 31, "Nyttårsaften – IT-kontoret stengt")]
    {
        if let Some(day) = chrono::NaiveDate::from_ymd_opt(year, month, day) {
            workdays::close(ctx, &admin, workdays::NewClosedDay { day, name: Text::literal(name) })?;
        }
    }
    let planned = meetings::plan_ahead(ctx)?;
    let counts: Vec<String> = made.iter().map(|(state, n)| format!("{n} {state}")).collect();
    Ok(format!(
        "Demo data: {} users (password `{DEMO_PASSWORD}`, e.g. kari.nordmann@demo.endring.no), {} CIs, 50 changes ({}), 3 maintenance windows, 2 closed days, {planned} CAB meetings planned.",
        PEOPLE.len(),
        CIS.len(),
        counts.join(", ")
    ))
}

/// The people who take one demo change through its lifecycle.
struct Cast<'a> {
    requester: &'a Caller,
    manager: &'a Caller,
    voters: &'a [Caller],
}

/// Takes a new draft to `target` the way people would; `i` varies the answers.
fn advance(
    ctx: &Ctx,
    cast: &Cast<'_>,
    id: ChangeId,
    change_type: ChangeType,
    target: ChangeState,
    i: usize,
) -> ServiceResult<()> {
    use ChangeState::*;
    let Cast { requester, manager, voters } = *cast;
    if target == Draft {
        return Ok(());
    }
    // Half the cancelled ones never left the draft; the others are cancelled once scheduled,
    // which withdraws their calendar invitation.
    if target == Cancelled && i % 20 < 10 {
        lifecycle::cancel(ctx, requester, id, CancelInput { reason: Text::literal("No longer needed.") })?;
        return Ok(());
    }
    let answers = [
        ("users_affected", ["under_50", "under_500", "over_500", "everyone"][i % 4]),
        ("tested", ["yes", "partly", "yes"][i % 3]),
        ("backout", ["yes", "untested"][i % 2]),
        ("complexity", ["low", "medium", "high"][i % 3]),
        ("downtime", ["none", "under_1h"][i % 2]),
    ];
    let answers = answers.iter().map(|(q, a)| (q.to_string(), a.to_string())).collect();
    super::risk::answer(ctx, requester, id, answers)?;
    let mut state = lifecycle::submit(ctx, requester, id, Force::default())?.state;
    if target == Assess {
        return Ok(());
    }
    if change_type == ChangeType::Normal {
        let input = AssessInput {
            outcome: AssessOutcomeInput::Authorize,
            comment: Text::literal("Ready for the CAB."),
            risk_level: None,
            force: false,
            reason: None,
        };
        state = lifecycle::assess(ctx, manager, id, input)?.state;
    }
    if target == Authorize {
        return Ok(());
    }
    let decision = if target == Rejected { VoteDecision::Reject } else { VoteDecision::Approve };
    for voter in voters.iter().filter(|v| v.id != requester.id) {
        if state != Authorize {
            break;
        }
        let comment = if decision == VoteDecision::Reject { "The backout plan is not tested." } else { "" };
        match vote(
            ctx,
            voter,
            id,
            VoteInput {
                decision,
                comment: Text::literal(comment),
                force: false,
                reason: None,
                on_behalf_of: None,
            },
        ) {
            Ok(view) => state = view.state,
            // The implementer may not vote on their own change: the next voter will.
            Err(ServiceError::Forbidden(_)) => continue,
            Err(other) => return Err(other),
        }
    }
    if target == Cancelled {
        lifecycle::cancel(
            ctx,
            manager,
            id,
            CancelInput { reason: Text::literal("The supplier postponed the upgrade.") },
        )?;
        return Ok(());
    }
    if target == Scheduled && i % 10 == 4 {
        // Moved a week later, which sends an updated invitation.
        let view = super::changes::get(ctx, manager, id)?;
        if let (Some(start), Some(end)) = (view.planned_start, view.planned_end) {
            let week = Duration::days(7);
            let input = lifecycle::RescheduleInput {
                planned_start: start + week,
                planned_end: end + week,
                force: true,
                reason: Some(Text::literal("Moved to the next maintenance evening.")),
            };
            lifecycle::reschedule(ctx, manager, id, input)?;
        }
    }
    if matches!(target, Scheduled | Rejected | Cancelled) {
        return Ok(());
    }
    lifecycle::start(ctx, manager, id)?;
    if target == Implement {
        return Ok(());
    }
    let code = [
        ClosureCode::Successful,
        ClosureCode::SuccessfulWithIssues,
        ClosureCode::Failed,
        ClosureCode::BackedOut,
    ][i % 4];
    lifecycle::complete(
        ctx,
        manager,
        id,
        CompleteInput { closure_code: code, notes: Text::literal("Carried out as planned; see the log.") },
    )?;
    if target == Review {
        return Ok(());
    }
    lifecycle::review(
        ctx,
        manager,
        id,
        ReviewInput { review: Text::literal("Went as planned. No follow-up.") },
    )?;
    Ok(())
}
