//! `cargo bench --bench domain`: criterion microbenchmarks of the pure domain — the risk
//! score, the approval rule, schedule conflicts, the free-slot search, the holiday
//! calendar — and of the access policy (`Authz::allows`, which every request asks).

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use criterion::{criterion_group, criterion_main, Criterion};
use endring::authz::{Authz, Object, Permission};
use endring::domain::account::Scope;
use endring::domain::approval::{decide, ApprovalPolicy, Ballot, VoteDecision};
use endring::domain::caller::Caller;
use endring::domain::change::{ChangeState, ChangeType, Window};
use endring::domain::ids::{ChangeId, CiId, UserId};
use endring::domain::maintenance::Weekly;
use endring::domain::risk::{assess, RiskAnswers, RiskFacts, QUESTIONS};
use endring::domain::role::Role;
use endring::domain::schedule::{conflicts, Booked, Freeze, Planned};
use endring::domain::slots::{suggest, Search};
use endring::domain::workdays::{norwegian_holidays, WorkingDays};
use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;

fn at(day: u32, hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

fn window(start: chrono::DateTime<Utc>, hours: i64) -> Window {
    Window::new(start, start + Duration::hours(hours)).unwrap()
}

fn cis(ids: &[i32]) -> BTreeSet<CiId> {
    ids.iter().map(|&i| CiId(i)).collect()
}

/// A busy fortnight: 200 changes booked on 50 CIs, a freeze, the planned change on three.
fn calendar() -> (Planned, Vec<Booked>, Vec<Freeze>) {
    let booked = (0..200)
        .map(|i| Booked {
            id: ChangeId(i + 10),
            title: format!("Change {i}"),
            window: window(at(1 + (i as u32 % 14), 8 + (i as u32 % 10)), 2),
            ci_ids: cis(&[i % 50 + 1, (i * 7) % 50 + 1]),
            implementer: Some(UserId(i % 20 + 2)),
        })
        .collect();
    let freezes = vec![Freeze {
        id: 1,
        title: "Year end".into(),
        window: window(at(20, 0), 24 * 10),
        ci_ids: cis(&[]),
    }];
    let planned = Planned {
        id: Some(ChangeId(1)),
        window: window(at(7, 9), 3),
        ci_ids: cis(&[1, 8, 15]),
        implementer: Some(UserId(3)),
    };
    (planned, booked, freezes)
}

fn domain(c: &mut Criterion) {
    let answers =
        RiskAnswers::parse(QUESTIONS.iter().map(|q| (q.key, q.answers[q.answers.len() - 1].0))).unwrap();
    let facts = RiskFacts {
        most_critical_ci: Some(1),
        recent_failure_on_ci: true,
        working_days_notice: Some(2),
        outside_maintenance: false,
    };
    c.bench_function("risk: assess a full questionnaire", |b| {
        b.iter(|| assess(black_box(&answers), black_box(facts)))
    });

    let policy = ApprovalPolicy::default();
    let ballots: Vec<Ballot> = (0..12)
        .map(|i| Ballot {
            voter: UserId(i % 7 + 2),
            as_manager: i == 5,
            decision: if i % 4 == 0 { VoteDecision::Reject } else { VoteDecision::Approve },
            seq: i64::from(i),
        })
        .collect();
    c.bench_function("approval: decide 12 ballots of 7 voters", |b| {
        b.iter(|| {
            decide(
                policy.rule_for(ChangeType::Normal, endring::domain::risk::RiskLevel::High),
                false,
                black_box(&ballots),
            )
        })
    });

    let (planned, booked, freezes) = calendar();
    c.bench_function("schedule: conflicts against 200 booked changes", |b| {
        b.iter(|| conflicts(black_box(&planned), black_box(&booked), black_box(&freezes)))
    });

    let zone: chrono_tz::Tz = "Europe/Oslo".parse().unwrap();
    let weekly = |weekday| Weekly {
        weekday,
        start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
        zone,
    };
    let windows: BTreeMap<CiId, Vec<Weekly>> = [
        (CiId(1), vec![weekly(Weekday::Tue), weekly(Weekday::Thu)]),
        (CiId(8), vec![weekly(Weekday::Tue), weekly(Weekday::Thu), weekly(Weekday::Sat)]),
    ]
    .into_iter()
    .collect();
    let search = Search {
        planned: &planned,
        length: Duration::hours(2),
        after: at(1, 7),
        until: at(31, 0),
        booked: &booked,
        freezes: &freezes,
        windows: &windows,
    };
    c.bench_function("slots: first 5 free slots in a month, 200 booked", |b| {
        b.iter(|| suggest(black_box(&search), 5))
    });

    let days = WorkingDays::with_closed([NaiveDate::from_ymd_opt(2026, 12, 23).unwrap()]);
    let (from, to) =
        (NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 4, 30).unwrap());
    c.bench_function("workdays: working days over five months", |b| {
        b.iter(|| days.between(black_box(from), black_box(to)))
    });
    c.bench_function("workdays: a year's Norwegian holidays", |b| {
        b.iter(|| norwegian_holidays(black_box(2027)))
    });
}

fn policy(c: &mut Criterion) {
    let authz = actix_web::rt::System::new().block_on(Authz::load()).expect("the policy loads");
    let person = |id, roles: &[Role], scopes: Option<&[Scope]>| Caller {
        id: UserId(id),
        email: String::new(),
        name: String::new(),
        roles: roles.iter().copied().chain([Role::Requester]).collect(),
        language: None,
        timezone: None,
        scopes: scopes.map(|s| s.iter().copied().collect()),
        token_expires_at: None,
    };
    let token = person(5, &[Role::CabMember, Role::ChangeManager], Some(&[Scope::Write]));
    let deciding = Object::of(UserId(1), Some(UserId(2)), ChangeState::Authorize);
    c.bench_function("policy: a token may read a change, casbin asked afresh", |b| {
        b.iter(|| authz.allows_afresh(black_box(&token), Permission::Read, black_box(&deciding)))
    });
    c.bench_function("policy: a token may read a change", |b| {
        b.iter(|| authz.allows(black_box(&token), Permission::Read, black_box(&deciding)))
    });
    c.bench_function("policy: a change manager may vote (token)", |b| {
        b.iter(|| authz.allows(black_box(&token), Permission::Vote, black_box(&deciding)))
    });
    let requester = person(9, &[], None);
    c.bench_function("policy: a requester may not assess, casbin asked afresh", |b| {
        b.iter(|| authz.allows_afresh(black_box(&requester), Permission::Assess, black_box(&deciding)))
    });
    c.bench_function("policy: a requester may not assess", |b| {
        b.iter(|| authz.allows(black_box(&requester), Permission::Assess, black_box(&deciding)))
    });
}

criterion_group!(benches, domain, policy);
criterion_main!(benches);
