//! The read model of a change as the API returns it, assembled in a fixed number of
//! queries; and the two derived facts several services need: conflicts and risk facts.

use super::reference::CiView;
use super::ServiceResult;
use crate::config::Config;
use crate::db::cis;
use crate::db::{blackouts, changes, users, votes, DbConn};
use crate::domain::approval::{decide, latest_per_voter, Outcome, Progress, VoteDecision};
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState, ChangeType, ClosureCode};
use crate::domain::ids::{ChangeId, CiId, UserId};
use crate::domain::risk::{Factor, RiskFacts, RiskLevel};
use crate::domain::schedule::{self, Conflict, Planned};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Most booked changes or blackouts considered around one window.
const NEIGHBOURS_LIMIT: i64 = 500;

/// Where an imported change came from: the tool, its id and state there, and its
/// original dates and people as the file named them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Imported {
    /// `endring`, `itop` or `glpi`.
    pub source: String,
    pub original_id: String,
    pub original_state: String,
    pub original_requester: String,
    pub original_implementer: String,
    pub original_created_at: Option<DateTime<Utc>>,
    pub original_closed_at: Option<DateTime<Utc>>,
    /// The import that brought it (its audit events name it).
    pub import_id: String,
}

impl From<crate::db::imports::Origin> for Imported {
    fn from(o: crate::db::imports::Origin) -> Self {
        Imported {
            source: o.source,
            original_id: o.original_id,
            original_state: o.original_state,
            original_requester: o.original_requester,
            original_implementer: o.original_implementer,
            original_created_at: o.original_created_at.map(crate::db::changes::to_utc),
            original_closed_at: o.original_closed_at.map(crate::db::changes::to_utc),
            import_id: o.import_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub email: String,
    /// The account is deactivated (their history stays, with this mark).
    #[serde(default)]
    pub deactivated: bool,
}

impl Person {
    /// Someone known by id and name (a vote's voter, an attendee).
    pub fn named(id: UserId, name: String) -> Person {
        Person { id, name, email: String::new(), deactivated: false }
    }
}

impl From<&Caller> for Person {
    fn from(c: &Caller) -> Self {
        Person { id: c.id, name: c.name.clone(), email: c.email.clone(), deactivated: false }
    }
}

impl From<&users::Account> for Person {
    fn from(a: &users::Account) -> Self {
        Person { id: a.id, name: a.name.clone(), email: a.email.clone(), deactivated: !a.active }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskView {
    pub score: u32,
    pub level: RiskLevel,
    pub factors: Vec<Factor>,
    /// Set when a change manager overrode the computed level.
    pub override_reason: Option<String>,
    /// The questionnaire answers given so far.
    pub answers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteView {
    pub voter: Person,
    pub decision: VoteDecision,
    pub comment: String,
    pub round: i32,
    pub as_manager: bool,
    pub at: DateTime<Utc>,
    /// The delegate who cast this vote for the voter.
    pub cast_by: Option<Person>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    /// Approvals the rule needs.
    pub required: u32,
    /// Approvals counted in the current round.
    pub approvals: u32,
    /// A change manager's approval is still missing.
    pub manager_needed: bool,
    /// The current decision round.
    pub round: i32,
    /// Every vote, all rounds, oldest first.
    pub votes: Vec<VoteView>,
}

/// A change as read (SPEC §9).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub id: ChangeId,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub justification: String,
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub requester: Person,
    pub implementer: Option<Person>,
    pub implementer_id: Option<UserId>,
    pub template_id: Option<crate::domain::ids::TemplateId>,
    /// The version of the template it was made from (it keeps that one).
    pub template_version: Option<i32>,
    pub ci_ids: Vec<CiId>,
    pub cis: Vec<CiView>,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub risk: RiskView,
    pub approval: ApprovalView,
    pub conflicts: Vec<Conflict>,
    /// The service desk's incidents and problems it was raised from, and the incidents
    /// it caused.
    pub incidents: Vec<super::incidents::IncidentLink>,
    /// What employees are told about it (a change that affects users, once scheduled).
    pub message: Option<super::system_messages::MessageView>,
    pub closure_code: Option<ClosureCode>,
    pub closure_notes: Option<String>,
    pub review: Option<String>,
    /// Where it came from, when it was brought in by `endring import`.
    pub imported: Option<Imported>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Builds the full view of one change.
pub fn build(
    conn: &mut DbConn,
    config: &Config,
    change: Change,
    now: DateTime<Utc>,
) -> ServiceResult<ChangeView> {
    let cis: Vec<CiView> = cis::of_change(conn, change.id)?.into_iter().map(CiView::from).collect();
    let ci_list: Vec<CiId> = cis.iter().map(|ci| ci.id).collect();
    let ci_ids: BTreeSet<CiId> = ci_list.iter().copied().collect();
    let mut people_ids = vec![change.requester_id];
    people_ids.extend(change.implementer_id);
    let all_votes = votes::of_change(conn, change.id)?;
    // Requester, implementer and voters, active or not (a deactivated one is marked).
    people_ids.extend(all_votes.iter().map(|v| v.voter_id));
    let people = users::accounts(conn, &people_ids)?;
    let person = |id: UserId| people.iter().find(|p| p.id == id).map(Person::from);
    let deactivated = |id: UserId| people.iter().any(|p| p.id == id && !p.active);
    let ballots: Vec<_> =
        all_votes.iter().filter(|v| v.round == change.decision_round).map(|v| v.ballot()).collect();
    let rule = config.approval.rule_for(change.change_type, change.risk.level);
    let progress = match decide(rule, config.approval.veto, &ballots) {
        Outcome::Pending(progress) => progress,
        Outcome::Approved | Outcome::Rejected => Progress {
            approvals: latest_per_voter(&ballots)
                .iter()
                .filter(|b| b.decision == VoteDecision::Approve)
                .count() as u32,
            required: rule.approvals,
            manager_needed: false,
        },
    };
    let answers = changes::risk_answers(conn, change.id)?.into_iter().collect();
    let incidents = super::incidents::views(config, crate::db::incidents::of_change(conn, change.id)?);
    let message = super::system_messages::of_change(conn, change.id, now)?;
    let imported = crate::db::imports::origin_of(conn, change.id)?.map(Imported::from);
    let conflicts = if shows_conflicts(change.state) {
        match change.window() {
            Some(window) => conflicts_for(
                conn,
                &Planned { id: Some(change.id), window, ci_ids, implementer: change.implementer_id },
            )?,
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let requester = person(change.requester_id).unwrap_or(Person::named(change.requester_id, String::new()));
    Ok(ChangeView {
        id: change.id,
        reference: change.id.reference(),
        implementer: change.implementer_id.and_then(person),
        requester,
        implementer_id: change.implementer_id,
        template_id: change.template_id,
        template_version: change.template_version,
        ci_ids: ci_list,
        cis,
        risk: RiskView {
            score: change.risk.score,
            level: change.risk.level,
            factors: change.risk.factors,
            override_reason: change.risk_override_reason,
            answers,
        },
        approval: ApprovalView {
            required: progress.required,
            approvals: progress.approvals,
            manager_needed: progress.manager_needed,
            round: change.decision_round,
            votes: all_votes
                .into_iter()
                .map(|v| VoteView {
                    voter: Person {
                        deactivated: deactivated(v.voter_id),
                        ..Person::named(v.voter_id, v.voter_name)
                    },
                    decision: v.decision,
                    comment: v.comment,
                    round: v.round,
                    as_manager: v.as_manager,
                    at: v.created_at,
                    cast_by: v.cast_by.map(|(id, name)| Person::named(id, name)),
                })
                .collect(),
        },
        conflicts,
        incidents,
        message,
        title: change.title,
        description: change.description,
        justification: change.justification,
        change_type: change.change_type,
        state: change.state,
        planned_start: change.planned_start,
        planned_end: change.planned_end,
        actual_start: change.actual_start,
        actual_end: change.actual_end,
        implementation_plan: change.implementation_plan,
        backout_plan: change.backout_plan,
        test_plan: change.test_plan,
        imported,
        closure_code: change.closure_code,
        closure_notes: change.closure_notes,
        review: change.review,
        submitted_at: change.submitted_at,
        version: change.version,
        created_at: change.created_at,
        updated_at: change.updated_at,
    })
}

/// Conflicts matter until implementation is over.
fn shows_conflicts(state: ChangeState) -> bool {
    matches!(
        state,
        ChangeState::Draft
            | ChangeState::Assess
            | ChangeState::Authorize
            | ChangeState::Scheduled
            | ChangeState::Implement
    )
}

/// Every conflict of a planned window: the windows held on its CIs or by its implementer
/// (two statements), the freezes, and its CIs' maintenance windows.
pub fn conflicts_for(conn: &mut DbConn, planned: &Planned) -> ServiceResult<Vec<Conflict>> {
    let (start, end) = (planned.window.start(), planned.window.end());
    let booked = changes::holding_touching(
        conn,
        (start, end),
        (&planned.ci_ids, planned.implementer),
        NEIGHBOURS_LIMIT,
    )?;
    let freezes = blackouts::overlapping(conn, start, end, NEIGHBOURS_LIMIT)?;
    let mut found = schedule::conflicts(planned, &booked, &freezes);
    let outside = super::maintenance::cis_outside(conn, &planned.window, &planned.ci_ids)?;
    if !outside.is_empty() {
        let names: BTreeMap<CiId, String> =
            cis::by_ids(conn, &outside)?.into_iter().map(|ci| (CiId(ci.id), ci.name)).collect();
        found.push(outside_maintenance(planned, outside, &names));
    }
    Ok(found)
}

/// The freezes a planned window falls in (the blackout conflicts `conflicts_for` finds),
/// without reading the other changes' windows.
pub fn freezes_for(conn: &mut DbConn, planned: &Planned) -> ServiceResult<Vec<Conflict>> {
    let freezes =
        blackouts::overlapping(conn, planned.window.start(), planned.window.end(), NEIGHBOURS_LIMIT)?;
    Ok(schedule::conflicts(planned, &[], &freezes))
}

/// The warning that `outside` (CIs of `planned`) have maintenance windows that do not
/// hold it.
fn outside_maintenance(planned: &Planned, outside: Vec<CiId>, names: &BTreeMap<CiId, String>) -> Conflict {
    let title: Vec<&str> = outside.iter().filter_map(|ci| names.get(ci).map(String::as_str)).collect();
    schedule::Conflict {
        kind: schedule::ConflictKind::OutsideMaintenance,
        change_id: None,
        change_ref: None,
        blackout_id: None,
        title: title.join(", "),
        starts_at: planned.window.start(),
        ends_at: planned.window.end(),
        ci_ids: outside,
    }
}

/// Most bookings and freezes looked at for a whole agenda.
const AGENDA_NEIGHBOURS: i64 = 5000;

/// The conflicts of several changes at once (an agenda), as `conflicts_for` finds them
/// for each, in a fixed number of queries over the span their windows cover.
pub fn conflicts_of_many(
    conn: &mut DbConn,
    list: &[Change],
) -> ServiceResult<BTreeMap<ChangeId, Vec<Conflict>>> {
    let windows: Vec<(&Change, crate::domain::change::Window)> =
        list.iter().filter_map(|c| Some((c, c.window()?))).collect();
    let start = windows.iter().map(|(_, w)| w.start()).min();
    let end = windows.iter().map(|(_, w)| w.end()).max();
    let (Some(start), Some(end)) = (start, end) else { return Ok(BTreeMap::new()) };
    let ids: Vec<ChangeId> = windows.iter().map(|(c, _)| c.id).collect();
    let mut ci_map = changes::ci_ids_of(conn, &ids)?;
    let all_cis: BTreeSet<CiId> = ci_map.values().flatten().copied().collect();
    let booked =
        schedule::ByStart::new(changes::holding_in_window(conn, (start, end), &all_cis, AGENDA_NEIGHBOURS)?);
    let freezes = blackouts::overlapping(conn, start, end, AGENDA_NEIGHBOURS)?;
    let rules = super::maintenance::rules_of(conn, &all_cis)?;
    let list_of_cis: Vec<CiId> = all_cis.iter().copied().collect();
    let names: BTreeMap<CiId, String> =
        cis::by_ids(conn, &list_of_cis)?.into_iter().map(|ci| (CiId(ci.id), ci.name)).collect();
    Ok(windows
        .into_iter()
        .map(|(change, window)| {
            let ci_ids = ci_map.remove(&change.id).unwrap_or_default();
            let planned = Planned { id: Some(change.id), window, ci_ids, implementer: change.implementer_id };
            let mut found = schedule::conflicts(&planned, booked.near(&planned.window), &freezes);
            let outside = crate::domain::maintenance::outside(&planned.window, &planned.ci_ids, &rules);
            if !outside.is_empty() {
                found.push(outside_maintenance(&planned, outside, &names));
            }
            (change.id, found)
        })
        .collect())
}

/// What the system knows about a change's risk beyond the answers, as of `at`.
pub fn risk_facts(
    conn: &mut DbConn,
    config: &Config,
    change: &Change,
    ci_ids: &BTreeSet<CiId>,
    at: DateTime<Utc>,
) -> ServiceResult<RiskFacts> {
    let ci_list: Vec<CiId> = ci_ids.iter().copied().collect();
    let most_critical_ci = cis::by_ids(conn, &ci_list)?.iter().map(|c| c.criticality).min();
    // A change on these CIs that failed, was backed out or caused an incident.
    let since = at - chrono::Duration::days(180);
    let recent_failure_on_ci = !ci_ids.is_empty()
        && (changes::failed_on_cis_since(conn, ci_ids, since)?
            || crate::db::incidents::caused_on_cis_since(conn, ci_ids, since)?);
    let zone = config.time_zone();
    let working_days_notice = match change.planned_start {
        Some(start) => {
            let (from, to) = (at.with_timezone(&zone).date_naive(), start.with_timezone(&zone).date_naive());
            Some(super::workdays::calendar(conn, from, to)?.between(from, to))
        }
        None => None,
    };
    let outside_maintenance = match change.window() {
        Some(window) => !super::maintenance::cis_outside(conn, &window, ci_ids)?.is_empty(),
        None => false,
    };
    Ok(RiskFacts { most_critical_ci, recent_failure_on_ci, working_days_notice, outside_maintenance })
}
