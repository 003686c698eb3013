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
    ("silje.moen", "Silje Moen", &[Role::ServiceDesk]),
    ("per.admin", "Per Admin", &[Role::Admin]),
];

const CIS: &[(&str, &str, i32)] = &[
    ("Sak- og arkivsystem (Elements)", "applikasjon", 1),
    ("Lønnssystem (Visma)", "applikasjon", 1),
    ("Skoleportal", "applikasjon", 2),
    ("E-post (Exchange Online)", "tjeneste", 1),
    ("Kommunens nettside", "applikasjon", 2),
    ("Brannmur Rådhuset", "nettverk", 1),
    ("VPN", "nettverk", 2),
    ("Skrivertjeneste", "tjeneste", 4),
    ("Byggesaksportal", "applikasjon", 3),
    ("Databaseklynge PROD", "infrastruktur", 1),
    ("Backup (Veeam)", "infrastruktur", 2),
    ("Helseplattform-integrasjon", "integrasjon", 1),
];

const TITLES: &[&str] = &[
    "Oppgradere til siste mindre versjon",
    "Installere sikkerhetsoppdateringer",
    "Fornye TLS-sertifikat",
    "Flytte til nytt lagringssystem",
    "Endre brannmurregel for leverandørtilgang",
    "Innføre tofaktorinnlogging",
    "Bytte passord på tjenestekontoer",
    "Øke minnet på databaseserveren",
    "Erstatte oppsettet på lastbalansereren",
    "Flytte nattlig jobb til ny jobbplanlegger",
];

/// What the demo's changes say, in the words a municipality's IT staff write.
const DESCRIPTION: &str =
    "Planlagt som en del av det faste vedlikeholdet av tjenesten. Brukerne varsles på intranettet dagen før.";
const JUSTIFICATION: &str = "Holder tjenesten støttet av leverandøren og sikker.";
const PLAN: &str = "1. Varsle brukerne. 2. Gjennomføre endringen. 3. Kontrollere at tjenesten virker.";
const BACKOUT: &str = "Gjenopprette øyeblikksbildet som tas før endringen.";
const TESTS: &str = "Røyktest av innlogging og de viktigste arbeidsflytene.";

/// How far back the demo's history starts: the two CAB meetings before this week.
const HISTORY: Duration = Duration::days(15);

/// Fills the database and returns a summary to print.
///
/// The demo's clock starts `HISTORY` ago, so that the people, the CIs and two past CAB
/// meetings (with their agendas, decisions and minutes) are made in time order through
/// the same services; it is then brought back to now for the rest.
pub fn seed(ctx: &Ctx) -> ServiceResult<String> {
    if ctx.db.query(|conn| user_repo::id_by_email(conn, "kari.nordmann@demo.endring.no"))?.is_some() {
        return Err(ServiceError::Conflict(crate::domain::validation::Message::new("msg-demo-exists")));
    }
    // The demo queues no email and posts no webhook: what its actions queue is settled,
    // unsent, at the end.
    let before = ctx.db.query(crate::db::outbox::last_id)?;
    let hooks_before = ctx.db.query(crate::db::webhooks::last_id)?;
    ctx.clock.advance(-HISTORY);
    let mut rewound = HISTORY;
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
    let history = past_meetings(ctx, &people, &cis, &voters)?;
    rewound -= history.moved;
    ctx.clock.advance(rewound);
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
            description: Text::literal(DESCRIPTION),
            justification: Text::literal(JUSTIFICATION),
            change_type: Some(if i % 17 == 5 { ChangeType::Emergency } else { ChangeType::Normal }),
            ci_ids: vec![cis[i % cis.len()]],
            planned_start: Some(start),
            planned_end: Some(start + Duration::hours(2)),
            implementation_plan: Text::literal(PLAN),
            backout_plan: Text::literal(BACKOUT),
            test_plan: Text::literal(TESTS),
            implementer_id: Some(implementer.id),
            template_id: None,
            answers: BTreeMap::new(),
        };
        // Filed and submitted three hours to two days before it was decided, so the
        // reports show real lead times; the clock comes back to now after the submission.
        let lead = Duration::hours(3 + (i as i64 * 7) % 45);
        let back_to = ctx.clock.now();
        ctx.clock.advance(-lead);
        let change = create(ctx, requester, input)?;
        let cast = Cast { requester, manager: &manager, voters: &voters };
        advance(ctx, &cast, (change.id, change.change_type), target, i, lead)?;
        let behind = back_to - ctx.clock.now();
        if behind > Duration::zero() {
            ctx.clock.advance(behind);
        }
        *made.entry(target.as_str()).or_default() += 1;
    }
    let cast = Cast { requester: &people["maria.nilsen"], manager: &manager, voters: &voters };
    let repeats = repeated_job(ctx, &cast, (cis[10], &people["jonas.pedersen"]), today)?;
    let messages = system_messages(ctx, &people["silje.moen"])?;
    let templates = standard_templates(ctx, &manager, &cis)?;
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
    let blackouts = municipal_blackouts(ctx, &manager, &cis)?;
    // Sofie is away this week: Jonas votes for her.
    let today = ctx.clock.now().with_timezone(&ctx.config.time_zone()).date_naive();
    let away = super::delegations::DelegationInput {
        principal: None,
        delegate: people["jonas.pedersen"].id.0,
        from: today,
        until: today + Duration::days(6),
    };
    super::delegations::create(ctx, &people["sofie.larsen"], away)?;
    let planned = meetings::plan_ahead(ctx)?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<usize> {
        // Nor does it tell any webhook receiver about its made-up changes.
        crate::db::webhooks::drop_pending_after(conn, hooks_before)?;
        Ok(crate::db::outbox::settle_unsent_after(conn, before, now)?)
    })?;
    let counts: Vec<String> = made.iter().map(|(state, n)| format!("{n} {state}")).collect();
    Ok(format!(
        "Demo data: {} users (password `{DEMO_PASSWORD}`, e.g. kari.nordmann@demo.endring.no), {} CIs, {} changes ({}), {templates} standard templates, 3 maintenance windows, {blackouts} blackouts, {messages} system messages, 2 closed days, {} past CAB meetings with minutes, {planned} CAB meetings planned, 1 delegation.",
        PEOPLE.len(),
        CIS.len(),
        50 + repeats + history.changes,
        counts.join(", "),
        history.meetings,
    ))
}

/// A job done the same way every few weeks, always with success: the backup's monthly
/// restore test, five times. It is proposed as a candidate standard template. How many.
fn repeated_job(
    ctx: &Ctx,
    cast: &Cast<'_>,
    (ci, implementer): (crate::domain::ids::CiId, &Caller),
    today: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<usize> {
    for k in 0..5usize {
        let start = today - Duration::days(3 + 4 * (5 - k as i64)) + Duration::hours(2);
        let input = NewChange {
            title: Text::parse(&format!("Månedlig gjenopprettingstest av backup (runde {})", k + 1)).unwrap_or_default(),
            description: Text::literal("Gjenoppretter en tilfeldig valgt server fra gårsdagens backup til testmiljøet og sjekker at den starter."),
            justification: Text::literal("Revisjonen krever en månedlig prøve på at backupen kan gjenopprettes."),
            change_type: Some(ChangeType::Normal),
            ci_ids: vec![ci],
            planned_start: Some(start),
            planned_end: Some(start + Duration::minutes(90)),
            implementation_plan: Text::literal("1. Velg server. 2. Gjenopprett til testmiljøet. 3. Start og sjekk tjenestene."),
            backout_plan: Text::literal("Slett den gjenopprettede serveren i testmiljøet."),
            test_plan: Text::literal("Tjenestene på den gjenopprettede serveren svarer."),
            implementer_id: Some(implementer.id),
            template_id: None,
            answers: BTreeMap::new(),
        };
        let lead = Duration::hours(30);
        let back_to = ctx.clock.now();
        ctx.clock.advance(-lead);
        let change = create(ctx, cast.requester, input)?;
        // `i` a multiple of four: few users affected, and closed as successful.
        advance(ctx, cast, (change.id, ChangeType::Normal), ChangeState::Closed, 200 + 4 * k, lead)?;
        let behind = back_to - ctx.clock.now();
        if behind > Duration::zero() {
            ctx.clock.advance(behind);
        }
    }
    Ok(5)
}

/// The system messages the desk has published: the drafts of the changes that affect
/// users (all but the last, left for a change manager to read), one disruption resolved
/// two days ago and one going on now. How many are published.
fn system_messages(ctx: &Ctx, desk: &Caller) -> ServiceResult<usize> {
    use super::system_messages::{self as messages, MessageTexts, NewDisruption, NewUpdate};
    let drafts: Vec<i32> =
        messages::open(ctx, desk)?.into_iter().filter(|m| m.published_at.is_none()).map(|m| m.id).collect();
    let mut published = 0;
    for id in drafts.iter().take(drafts.len().saturating_sub(1)) {
        messages::publish(ctx, desk, *id)?;
        published += 1;
    }
    let now = ctx.clock.now();
    let disruption =
        |title: &'static str, body: &'static str, en: (&'static str, &'static str)| NewDisruption {
            texts: MessageTexts {
                title_nb: Text::literal(title),
                body_nb: Text::literal(body),
                title_en: Text::literal(en.0),
                body_en: Text::literal(en.1),
            },
            starts_at: None,
            ends_at: None,
        };
    let update = |nb: &'static str, en: &'static str, resolve| NewUpdate {
        text_nb: Text::literal(nb),
        text_en: Text::literal(en),
        resolve,
    };
    ctx.clock.advance(-Duration::days(2));
    let printing = messages::report(
        ctx,
        desk,
        disruption(
            "Utskrift fungerer ikke på rådhuset",
            "Skriverne i 2. og 3. etasje på rådhuset skriver ikke ut. Bruk skriveren i resepsjonen i mellomtiden.",
            ("Printing does not work at the town hall", "The printers on the 2nd and 3rd floor of the town hall do not print. Use the printer in the reception meanwhile."),
        ),
    )?;
    ctx.clock.advance(Duration::minutes(50));
    messages::post_update(
        ctx,
        desk,
        printing.id,
        update("Feilen er funnet i utskriftsserveren.", "The fault is found in the print server.", false),
    )?;
    ctx.clock.advance(Duration::minutes(40));
    messages::post_update(
        ctx,
        desk,
        printing.id,
        update("Løst: utskrift virker igjen.", "Resolved: printing works again.", true),
    )?;
    ctx.clock.advance(now - ctx.clock.now() - Duration::minutes(35));
    let email = messages::report(
        ctx,
        desk,
        disruption(
            "Treg innlogging på e-post",
            "Mange opplever at det tar lang tid å logge inn på e-post og Teams. Vi feilsøker sammen med leverandøren.",
            ("Slow sign-in to e-mail", "Many find that signing in to e-mail and Teams takes a long time. We are troubleshooting with the supplier."),
        ),
    )?;
    ctx.clock.advance(Duration::minutes(20));
    messages::post_update(
        ctx,
        desk,
        email.id,
        update(
            "Leverandøren har bekreftet feilen; neste oppdatering kl. 14.",
            "The supplier has confirmed the fault; next update at 14:00.",
            false,
        ),
    )?;
    ctx.clock.advance(now - ctx.clock.now());
    Ok(published + 2)
}

/// Two standard change templates (pre-approved routine work, on the web site and the
/// print service); returns how many.
fn standard_templates(ctx: &Ctx, manager: &Caller, cis: &[crate::domain::ids::CiId]) -> ServiceResult<usize> {
    use super::reference::{create_template, NewTemplate};
    let made = [
        (
            "Fornye TLS-sertifikat på kommunens nettside",
            "Nytt sertifikat fra Buypass installeres før det gamle går ut.",
            4,
            60,
        ),
        (
            "Månedlig sikkerhetsoppdatering av skrivertjenesten",
            "Leverandørens månedlige oppdateringer installeres på utskriftsserverne.",
            7,
            120,
        ),
    ]
    .into_iter()
    .map(|(name, description, ci, minutes)| {
        let input = NewTemplate {
            name: Text::literal(name),
            description: Text::literal(description),
            implementation_plan: Text::literal(PLAN),
            backout_plan: Text::literal(BACKOUT),
            test_plan: Text::literal(TESTS),
            max_duration_minutes: minutes,
            ci_ids: vec![cis[ci]],
        };
        create_template(ctx, manager, input)
    })
    .collect::<ServiceResult<Vec<_>>>()?;
    Ok(made.len())
}

/// What the demo's history made, and how far it moved the clock.
struct History {
    meetings: usize,
    changes: usize,
    moved: Duration,
}

/// The two CAB meetings before this week, run as a change manager runs them: changes go
/// to the CAB, the agenda goes out at the cut-off, the chair opens the meeting with who
/// attends, records the decisions and closes it (the minutes).
fn past_meetings(
    ctx: &Ctx,
    people: &BTreeMap<&str, Caller>,
    cis: &[crate::domain::ids::CiId],
    voters: &[Caller],
) -> ServiceResult<History> {
    use crate::domain::meeting::DecisionOutcome::{self, Approve, Defer, Reject, Return};
    let chair = &people["kari.nordmann"];
    let attendees: Vec<crate::domain::ids::UserId> =
        ["kari.nordmann", "ola.hansen", "ingrid.berg", "lars.johansen"]
            .iter()
            .map(|l| people[l].id)
            .collect();
    meetings::plan_ahead(ctx)?;
    let start = ctx.clock.now().duration_trunc(TimeDelta::hours(1)).unwrap_or_else(|_| ctx.clock.now());
    let cast = Cast { requester: &people["emma.kristiansen"], manager: chair, voters };
    let mut waiting = Vec::new();
    for (n, (title, ci)) in [
        ("Bytte kjernesvitsjen på Rådhuset", 5),
        ("Oppgradere skoleportalen før eksamen", 2),
        ("Ny integrasjon mot helseplattformen", 11),
        ("Flytte byggesaksportalen til skyen", 8),
    ]
    .into_iter()
    .enumerate()
    {
        let window = start + Duration::days(25 + n as i64 * 2) + Duration::hours(8);
        let input = NewChange {
            title: Text::literal(title),
            description: Text::literal("Planlagt sammen med leverandøren; se planen i vedlegget."),
            justification: Text::literal("Dagens oppsett mister støtte fra leverandøren neste år."),
            change_type: Some(ChangeType::Normal),
            ci_ids: vec![cis[ci]],
            planned_start: Some(window),
            planned_end: Some(window + Duration::hours(3)),
            implementation_plan: Text::literal(PLAN),
            backout_plan: Text::literal(BACKOUT),
            test_plan: Text::literal(TESTS),
            implementer_id: Some(people["anders.olsen"].id),
            template_id: None,
            answers: BTreeMap::new(),
        };
        let change = create(ctx, cast.requester, input)?;
        advance(ctx, &cast, (change.id, ChangeType::Normal), ChangeState::Authorize, n, Duration::zero())?;
        waiting.push(change.id);
    }
    let agendas: [&[(usize, DecisionOutcome, &str)]; 2] = [
        &[
            (0, Approve, ""),
            (1, Reject, "Ikke i eksamensperioden; kom tilbake med en dato etter eksamen."),
            (2, Defer, ""),
            (3, Return, "Tilbakeføringsplanen må bekreftes av leverandøren."),
        ],
        &[(2, Approve, "Godkjent med integrasjonsteamet i beredskap.")],
    ];
    let mut moved = Duration::zero();
    let mut held = 0;
    for decisions in agendas {
        let Some(next) = meetings::next(ctx, chair)? else { break };
        let id = next.meeting.id;
        // The agenda goes out at the cut-off; the meeting starts.
        let to_cutoff = next.meeting.cutoff_at - ctx.clock.now() + Duration::minutes(1);
        ctx.clock.advance(to_cutoff);
        meetings::send_agendas(ctx)?;
        let to_start = next.meeting.starts_at - ctx.clock.now() + Duration::minutes(2);
        ctx.clock.advance(to_start);
        moved += to_cutoff + to_start;
        meetings::open(ctx, chair, id, meetings::OpenMeeting { attendees: attendees.clone() })?;
        for (item, outcome, comment) in decisions {
            let input = meetings::DecisionInput {
                change_id: waiting[*item],
                outcome: *outcome,
                comment: Text::literal(comment),
                force: false,
                reason: None,
            };
            meetings::record_decision(ctx, chair, id, input)?;
        }
        ctx.clock.advance(Duration::minutes(50));
        moved += Duration::minutes(50);
        meetings::close(ctx, chair, id)?;
        held += 1;
    }
    Ok(History { meetings: held, changes: waiting.len(), moved })
}

/// The freezes a municipality keeps: election day, the monthly payroll runs, the school
/// exam weeks and the Christmas freeze (times in the service's zone).
fn municipal_blackouts(
    ctx: &Ctx,
    manager: &Caller,
    cis: &[crate::domain::ids::CiId],
) -> ServiceResult<usize> {
    use crate::domain::workdays::local_instant;
    let zone = ctx.config.time_zone();
    let today = ctx.clock.now().with_timezone(&zone).date_naive();
    let day = |y: i32, m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(y, m, d);
    let midnight = chrono::NaiveTime::MIN;
    // Elections are on the second Monday of September (odd years: local, even: national
    // every four years); the demo freezes the next one's Sunday and Monday.
    let year = if today.month() >= 9 { today.year() + 1 } else { today.year() };
    let first = day(year, 9, 1).unwrap_or(today);
    let monday = first
        + Duration::days(i64::from((7 - first.weekday().num_days_from_monday()) % 7))
        + Duration::days(7);
    let mut freezes: Vec<(String, chrono::NaiveDate, chrono::NaiveDate, Vec<crate::domain::ids::CiId>)> = vec![
        (
            format!("Valgdagen {year} – all IT frozen"),
            monday - Duration::days(1),
            monday + Duration::days(1),
            Vec::new(),
        ),
        (
            "Eksamensperioden i skolen".to_owned(),
            day(year, 5, 18).unwrap_or(today),
            day(year, 6, 20).unwrap_or(today),
            vec![cis[2]],
        ),
        (
            "Julefrys".to_owned(),
            day(today.year(), 12, 18).unwrap_or(today),
            day(today.year() + 1, 1, 3).unwrap_or(today),
            Vec::new(),
        ),
    ];
    // The payroll runs on the 10th to 12th of each of the next three months.
    for ahead in 1..=3 {
        let month = (today.month0() + ahead) % 12 + 1;
        let year = today.year() + i32::from(today.month0() + ahead >= 12);
        if let Some(from) = day(year, month, 10) {
            freezes.push(("Lønnskjøring".to_owned(), from, from + Duration::days(3), vec![cis[1]]));
        }
    }
    let mut made = 0;
    for (title, from, until, ci_ids) in freezes {
        let (Some(starts_at), Some(ends_at)) =
            (local_instant(zone, from, midnight), local_instant(zone, until, midnight))
        else {
            continue;
        };
        let input = super::reference::NewBlackout {
            title: Text::parse(&title).unwrap_or_default(),
            starts_at,
            ends_at,
            ci_ids,
        };
        super::reference::create_blackout(ctx, manager, input)?;
        made += 1;
    }
    Ok(made)
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
    (id, change_type): (ChangeId, ChangeType),
    target: ChangeState,
    i: usize,
    lead: Duration,
) -> ServiceResult<()> {
    use ChangeState::*;
    let Cast { requester, manager, voters } = *cast;
    if target == Draft {
        return Ok(());
    }
    // Half the cancelled ones never left the draft; the others are cancelled once scheduled,
    // which withdraws their calendar invitation.
    if target == Cancelled && i % 20 < 10 {
        lifecycle::cancel(
            ctx,
            requester,
            id,
            CancelInput { reason: Text::literal("Ikke lenger nødvendig.") },
        )?;
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
    // Assessed and decided `lead` after it was submitted.
    ctx.clock.advance(lead);
    if target == Assess {
        return Ok(());
    }
    if change_type == ChangeType::Normal {
        let input = AssessInput {
            outcome: AssessOutcomeInput::Authorize,
            comment: Text::literal("Klar for CAB."),
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
        let comment =
            if decision == VoteDecision::Reject { "Tilbakeføringsplanen er ikke testet." } else { "" };
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
            CancelInput { reason: Text::literal("Leverandøren utsatte oppgraderingen.") },
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
                reason: Some(Text::literal("Flyttet til neste vedlikeholdskveld.")),
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
        CompleteInput { closure_code: code, notes: Text::literal("Gjennomført som planlagt; se loggen.") },
    )?;
    if target == Review {
        return Ok(());
    }
    lifecycle::review(
        ctx,
        manager,
        id,
        ReviewInput { review: Text::literal("Gikk som planlagt. Ingen oppfølging.") },
    )?;
    Ok(())
}
