//! CAB meetings (SPEC §2): the regular ones planned ahead from the `[cab]` settings on the
//! working-day calendar, extra ones (an ECAB) added and meetings cancelled by change
//! managers (audited), and each meeting's agenda worked out from the changes.

use super::audit::{record, Event};
use super::changes::{summaries, ChangeSummary};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::meetings::{self as repo, NewMeeting};
use crate::db::{changes, votes, DbConn};
use crate::domain::approval::Progress;
use crate::domain::caller::Caller;
use crate::domain::change::{plausible, Change};
use crate::domain::ids::{ChangeId, UserId};
use crate::domain::meeting::{
    self, AgendaSection, Candidate, DecisionOutcome, Meeting, MeetingKind, MeetingMail, MeetingNotice,
    MeetingState, NoticeDecision, NoticeItem, Span,
};
use crate::domain::risk::Factor;
use crate::domain::text::Text;
use crate::domain::validation::{required_text, FieldErrors, Message};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far ahead regular meetings are planned.
pub const PLAN_WEEKS: i64 = 8;
/// Most changes one agenda section is made from.
const AGENDA_LIMIT: i64 = 200;
/// How far back the first meeting's agenda looks for emergencies and failures to note.
const FIRST_LOOK_BACK: Duration = Duration::days(7);

/// A meeting as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: i32,
    pub kind: MeetingKind,
    pub state: MeetingState,
    /// The extra meeting's subject (empty for a regular one).
    pub title: String,
    pub starts_at: DateTime<Utc>,
    /// Changes that went to the CAB after this are on the agenda as late.
    pub cutoff_at: DateTime<Utc>,
    pub cancel_reason: Option<String>,
}

impl From<Meeting> for MeetingView {
    fn from(m: Meeting) -> Self {
        MeetingView {
            id: m.id,
            kind: m.kind,
            state: m.state,
            title: m.title,
            starts_at: m.starts_at,
            cutoff_at: m.cutoff_at,
            cancel_reason: m.cancel_reason,
        }
    }
}

/// One change on the agenda.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgendaItem {
    pub change: ChangeSummary,
    /// What the risk score is made of.
    pub risk_factors: Vec<Factor>,
    /// For changes waiting for the CAB: approvals so far against the rule.
    pub approval: Option<Progress>,
    /// What its window clashes with (changes on the same CIs, the implementer's other
    /// work, freezes) and maintenance-window warnings.
    pub conflicts: Vec<crate::domain::schedule::Conflict>,
}

/// One section of the agenda.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgendaPart {
    pub section: AgendaSection,
    pub items: Vec<AgendaItem>,
}

/// One decision of the CAB in a meeting: a line of the minutes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub change_id: ChangeId,
    #[serde(rename = "ref")]
    pub reference: String,
    pub outcome: DecisionOutcome,
    pub comment: String,
    pub decided_by: UserId,
    pub decided_at: DateTime<Utc>,
}

/// A meeting with its agenda, and once opened its attendees and decisions (the minutes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    pub meeting: MeetingView,
    pub agenda: Vec<AgendaPart>,
    pub attendees: Vec<super::change_view::Person>,
    /// Attending delegates standing in for absent members.
    pub stand_ins: Vec<StandIn>,
    pub decisions: Vec<DecisionView>,
}

/// An attending delegate standing in for an absent member.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StandIn {
    pub member: super::change_view::Person,
    pub delegate: super::change_view::Person,
}

/// Plans the regular meetings of the next weeks that are not planned yet; returns how
/// many it added. Reads first and writes only when a meeting is missing.
pub fn plan_ahead(ctx: &Ctx) -> ServiceResult<usize> {
    let now = ctx.clock.now();
    let horizon = now + Duration::weeks(PLAN_WEEKS + 1);
    let missing = ctx.db.read(|conn| -> ServiceResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
        let (rule, zone) = super::cab_settings::rule(ctx, conn)?;
        let upcoming = schedule(conn, &rule, zone, now)?;
        let planned = repo::between(conn, now - Duration::weeks(1), horizon, 100)?;
        Ok(upcoming.into_iter().filter(|(start, _)| !week_has_regular(&planned, zone, *start)).collect())
    })?;
    if missing.is_empty() {
        return Ok(0);
    }
    ctx.db.write(|conn| -> ServiceResult<usize> {
        // Another instance may have planned them meanwhile.
        let (_, zone) = super::cab_settings::rule(ctx, conn)?;
        let planned = repo::between(conn, now - Duration::weeks(1), horizon, 100)?;
        let mut added = 0;
        for (starts_at, cutoff_at) in missing {
            if week_has_regular(&planned, zone, starts_at) {
                continue;
            }
            let new =
                NewMeeting { kind: MeetingKind::Regular, title: "", starts_at, cutoff_at, created_by: None };
            let id = repo::insert(conn, &new, now)?;
            let payload =
                serde_json::json!({ "meeting_id": id, "starts_at": starts_at, "cutoff_at": cutoff_at });
            record(conn, Event::general(None, "plan_meeting", payload), now)?;
            added += 1;
        }
        Ok(added)
    })
}

/// The regular meetings `rule` plans over the next weeks: `(start, cut-off)`.
pub(crate) fn schedule(
    conn: &mut DbConn,
    rule: &crate::domain::cab::MeetingRule,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let today = now.with_timezone(&zone).date_naive();
    let calendar =
        super::workdays::calendar(conn, today - Duration::days(7), today + Duration::weeks(PLAN_WEEKS + 1))?;
    Ok(rule.upcoming(now, PLAN_WEEKS, zone, &calendar))
}

/// Whether the week of `start` (in `zone`) has a regular meeting already — held, planned
/// or cancelled: one regular meeting a week, and a cancelled one is not planned again.
fn week_has_regular(meetings: &[Meeting], zone: chrono_tz::Tz, start: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    let week = start.with_timezone(&zone).iso_week();
    meetings
        .iter()
        .any(|m| m.kind == MeetingKind::Regular && m.starts_at.with_timezone(&zone).iso_week() == week)
}

/// Meetings starting in `[from, to)`, earliest first.
pub fn list(
    ctx: &Ctx,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ServiceResult<Vec<MeetingView>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    let meetings = ctx.db.query(|conn| repo::between(conn, from, to, 200))?;
    Ok(meetings.into_iter().map(MeetingView::from).collect())
}

/// One meeting with its agenda.
pub fn detail(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<MeetingDetail> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    ctx.db.read(|conn| {
        let meeting = repo::find(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))?;
        with_agenda(ctx, conn, meeting)
    })
}

/// The next meeting that is planned or open, with its agenda (the CAB queue shows it
/// first).
pub fn next(ctx: &Ctx, caller: &Caller) -> ServiceResult<Option<MeetingDetail>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.read(|conn| {
        // A meeting is "next" until a few hours after it began, so one under way stays.
        let upcoming =
            repo::between(conn, now - Duration::hours(4), now + Duration::weeks(PLAN_WEEKS + 1), 50)?;
        match upcoming.into_iter().find(|m| matches!(m.state, MeetingState::Planned | MeetingState::Open)) {
            Some(meeting) => with_agenda(ctx, conn, meeting).map(Some),
            None => Ok(None),
        }
    })
}

/// The agenda of a coming or running meeting, section by section.
fn agenda_of(ctx: &Ctx, conn: &mut DbConn, meeting: &Meeting) -> ServiceResult<Vec<AgendaPart>> {
    let previous = repo::previous(conn, meeting.starts_at)?.map(|m| m.starts_at);
    let since = previous.unwrap_or(meeting.starts_at - FIRST_LOOK_BACK);
    let span = Span { previous: Some(since), cutoff: meeting.cutoff_at, start: meeting.starts_at };
    let found = changes::agenda_candidates(conn, since, meeting.starts_at, AGENDA_LIMIT)?;
    let candidates: Vec<Candidate> = found.iter().map(candidate).collect();
    let sections = meeting::agenda(&candidates, &span);
    let ids: Vec<ChangeId> = sections.iter().flat_map(|(_, ids)| ids.iter().copied()).collect();
    let by_id: BTreeMap<ChangeId, Change> =
        found.into_iter().filter(|c| ids.contains(&c.id)).map(|c| (c.id, c)).collect();
    let ballots = votes::ballots_of(conn, &ids)?;
    // Conflicts matter for what the CAB decides: the changes waiting for it.
    let on_agenda: Vec<Change> = by_id
        .values()
        .filter(|c| c.state == crate::domain::change::ChangeState::Authorize)
        .cloned()
        .collect();
    let mut conflicts = super::change_view::conflicts_of_many(conn, &on_agenda)?;
    let mut agenda = Vec::new();
    for (section, ids) in sections {
        let changes: Vec<Change> = ids.iter().filter_map(|id| by_id.get(id).cloned()).collect();
        let progress: Vec<Option<Progress>> = changes
            .iter()
            .map(|c| {
                (section == AgendaSection::ForDecision || section == AgendaSection::Late).then(|| {
                    let round: Vec<_> = ballots
                        .iter()
                        .filter(|(id, r, _)| *id == c.id && *r == c.decision_round)
                        .map(|(_, _, b)| *b)
                        .collect();
                    super::queue::progress_of(ctx, c, &round)
                })
            })
            .collect();
        let factors: Vec<Vec<Factor>> = changes.iter().map(|c| c.risk.factors.clone()).collect();
        let clashes: Vec<Vec<crate::domain::schedule::Conflict>> =
            changes.iter().map(|c| conflicts.remove(&c.id).unwrap_or_default()).collect();
        let items = summaries(conn, changes)?
            .into_iter()
            .zip(factors.into_iter().zip(progress).zip(clashes))
            .map(|(change, ((risk_factors, approval), conflicts))| AgendaItem {
                change,
                risk_factors,
                approval,
                conflicts,
            })
            .collect();
        agenda.push(AgendaPart { section, items });
    }
    Ok(agenda)
}

fn with_agenda(ctx: &Ctx, conn: &mut DbConn, meeting: Meeting) -> ServiceResult<MeetingDetail> {
    // The agenda is worked out from the changes as they are now, which says what a
    // coming or running meeting takes; a closed or cancelled meeting's record is its
    // minutes, not today's changes.
    let agenda = match meeting.state {
        MeetingState::Planned | MeetingState::Open => agenda_of(ctx, conn, &meeting)?,
        MeetingState::Closed | MeetingState::Cancelled => Vec::new(),
    };
    let present: Vec<UserId> = repo::attendees(conn, meeting.id)?.into_iter().map(UserId).collect();
    let stand_in_rows = repo::stand_ins(conn, meeting.id)?;
    let mut people = present.clone();
    people.extend(stand_in_rows.iter().map(|(member, _)| UserId(*member)));
    let names = crate::db::users::names(conn, &people)?;
    let person =
        |id: UserId| super::change_view::Person::named(id, names.get(&id).cloned().unwrap_or_default());
    // Who attended, deactivated since or not (marked).
    let attendees =
        crate::db::users::accounts(conn, &present)?.iter().map(super::change_view::Person::from).collect();
    let stand_ins = stand_in_rows
        .iter()
        .map(|(member, delegate)| StandIn {
            member: person(UserId(*member)),
            delegate: person(UserId(*delegate)),
        })
        .collect();
    let decisions = repo::decisions(conn, meeting.id)?
        .into_iter()
        .filter_map(|(change, outcome, comment, by, at)| {
            Some(DecisionView {
                change_id: ChangeId(change),
                reference: ChangeId(change).reference(),
                outcome: outcome.parse().ok()?,
                comment,
                decided_by: UserId(by),
                decided_at: crate::db::changes::to_utc(at),
            })
        })
        .collect();
    Ok(MeetingDetail { meeting: meeting.into(), agenda, attendees, stand_ins, decisions })
}

/// Body of `POST /api/v1/cab/meetings/{id}/open`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenMeeting {
    /// Who attends (the chair may be among them).
    pub attendees: Vec<UserId>,
}

/// Opens a planned meeting with its attendees (change managers; audited).
pub fn open(ctx: &Ctx, caller: &Caller, id: i32, input: OpenMeeting) -> ServiceResult<MeetingDetail> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let mut present: Vec<i32> = input.attendees.iter().map(|u| u.0).collect();
        present.sort_unstable();
        present.dedup();
        let known = crate::db::users::callers(conn, &present.iter().map(|u| UserId(*u)).collect::<Vec<_>>())?;
        if known.len() != present.len() || present.is_empty() {
            return Err(ServiceError::invalid("attendees", Message::new("msg-attendees")));
        }
        if !repo::open(conn, id, &present, now)? {
            let state = repo::find(conn, id)?.map(|m| m.state.as_str()).unwrap_or("unknown");
            return Err(ServiceError::Conflict(
                Message::new("msg-meeting-not-planned-open").arg("state", state),
            ));
        }
        // An attending delegate stands in for the absent member who named them, for the
        // whole meeting (the delegations in force as it opens).
        let ids: Vec<UserId> = present.iter().map(|u| UserId(*u)).collect();
        let mut stand_ins = Vec::new();
        for (member, delegate) in super::delegations::principals_of_any(conn, &ids, now)? {
            if !present.contains(&member.id.0) {
                repo::add_stand_in(conn, id, member.id.0, delegate.0)?;
                stand_ins.push(serde_json::json!({ "member": { "id": member.id, "name": member.name }, "delegate": delegate }));
            }
        }
        let payload = serde_json::json!({ "meeting_id": id, "attendees": present, "stand_ins": stand_ins });
        record(conn, Event::general(Some(caller.id), "open_meeting", payload), now)?;
        Ok(())
    })?;
    detail(ctx, caller, id)
}

/// Body of `POST /api/v1/cab/meetings/{id}/decisions`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub change_id: ChangeId,
    pub outcome: DecisionOutcome,
    /// Needed to reject or return.
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<5000>)]
    pub comment: Text,
    /// Approve into a freeze anyway (with `reason`).
    #[serde(default)]
    pub force: bool,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<20000>)]
    pub reason: Option<Text>,
}

/// Records the CAB's decision on an agenda item of an open meeting (its chair).
/// Refuses anyone who may not run CAB meetings (what a decision form with no outcome asks
/// first: who may not decide is told so, before being told what is missing).
pub fn require_chair(ctx: &Ctx, caller: &Caller) -> ServiceResult<()> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())
}

pub fn record_decision(
    ctx: &Ctx,
    caller: &Caller,
    id: i32,
    input: DecisionInput,
) -> ServiceResult<MeetingDetail> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())?;
    let (meeting, attendees) = ctx.db.read(|conn| -> ServiceResult<_> {
        let meeting = repo::find(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))?;
        let present: Vec<UserId> = repo::attendees(conn, id)?.into_iter().map(UserId).collect();
        let attendees = crate::db::users::callers(conn, &present)?;
        let stand_ins = repo::stand_ins(conn, id)?;
        let members: Vec<UserId> = stand_ins.iter().map(|(m, _)| UserId(*m)).collect();
        let members =
            if members.is_empty() { Vec::new() } else { crate::db::users::callers(conn, &members)? };
        let stand_ins: Vec<(Caller, UserId)> = stand_ins
            .iter()
            .filter_map(|(m, d)| Some((members.iter().find(|c| c.id.0 == *m)?.clone(), UserId(*d))))
            .collect();
        Ok((meeting, (attendees, stand_ins)))
    })?;
    if meeting.state != MeetingState::Open {
        return Err(ServiceError::Conflict(Message::new("msg-meeting-not-open").word(
            "state",
            crate::domain::validation::Word::Key(format!("meeting-state-{}", meeting.state.as_str())),
        )));
    }
    super::lifecycle::check_reason(input.reason.as_ref())?;
    let comment = crate::domain::validation::optional_text(&input.comment, 5000)
        .map_err(|m| ServiceError::invalid("comment", m))?;
    let force = super::lifecycle::Force { force: input.force, reason: input.reason };
    super::voting::decide_in_meeting(
        ctx,
        caller,
        input.change_id,
        id,
        super::voting::Present { attendees: &attendees.0, stand_ins: &attendees.1 },
        input.outcome,
        comment,
        force,
    )?;
    detail(ctx, caller, id)
}

/// Closes an open meeting: its decisions are the minutes (change managers; audited).
pub fn close(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<MeetingDetail> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())?;
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        if !repo::close(conn, id, now)? {
            let meeting = repo::find(conn, id)?
                .ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))?;
            let state =
                crate::domain::validation::Word::Key(format!("meeting-state-{}", meeting.state.as_str()));
            return Err(ServiceError::Conflict(Message::new("msg-meeting-not-open").word("state", state)));
        }
        let meeting = repo::find(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))?;
        let decisions = repo::decisions(conn, id)?;
        let decided = decisions.len();
        // The minutes go to the attendees.
        let present: Vec<UserId> = repo::attendees(conn, id)?.into_iter().map(UserId).collect();
        let attendees = crate::db::users::callers(conn, &present)?;
        let ids: Vec<ChangeId> = decisions.iter().map(|d| ChangeId(d.0)).collect();
        let titles = changes::titles(conn, &ids)?;
        let mut notice = notice_of(&meeting, &[]);
        notice.attendees = attendees.iter().map(|a| a.name.clone()).collect();
        let stand_ins = repo::stand_ins(conn, id)?;
        let named = crate::db::users::names(
            conn,
            &stand_ins.iter().flat_map(|(m, d)| [UserId(*m), UserId(*d)]).collect::<Vec<_>>(),
        )?;
        for (member, delegate) in &stand_ins {
            let name = |u: i32| named.get(&UserId(u)).cloned().unwrap_or_default();
            notice.stand_ins.push((name(*delegate), name(*member)));
        }
        notice.decisions = decisions
            .iter()
            .filter_map(|(change, outcome, comment, _, _)| {
                Some(NoticeDecision {
                    reference: ChangeId(*change).reference(),
                    title: titles.get(&ChangeId(*change)).cloned().unwrap_or_default(),
                    outcome: outcome.parse().ok()?,
                    comment: comment.clone(),
                })
            })
            .collect();
        let to: Vec<(Caller, Option<String>)> = attendees.into_iter().map(|a| (a, None)).collect();
        queue_mail(conn, MeetingMail::Minutes, &notice, &to, now)?;
        let payload = serde_json::json!({ "meeting_id": id, "decisions": decided });
        record(conn, Event::general(Some(caller.id), "close_meeting", payload), now)?;
        Ok(())
    })?;
    detail(ctx, caller, id)
}

fn candidate(change: &Change) -> Candidate {
    Candidate {
        id: change.id,
        state: change.state,
        change_type: change.change_type,
        risk_score: change.risk.score,
        planned_start: change.planned_start,
        authorized_at: change.authorized_at,
        decided_at: change.decided_at,
        closure_code: change.closure_code,
        actual_end: change.actual_end,
    }
}

/// Body of `POST /api/v1/cab/meetings`: an extra meeting (an ECAB).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExtraMeeting {
    /// What it is about, e.g. "ECAB: payroll outage".
    #[schema(schema_with = crate::domain::schema::required::<200>)]
    pub title: Text,
    pub starts_at: DateTime<Utc>,
    /// Default: the start (everything waiting by then is for decision).
    pub cutoff_at: Option<DateTime<Utc>>,
}

/// Adds an extra meeting (change managers; audited).
pub fn add_extra(ctx: &Ctx, caller: &Caller, input: NewExtraMeeting) -> ServiceResult<MeetingView> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())?;
    let now = ctx.clock.now();
    let mut errors = FieldErrors::default();
    let title = errors.check("title", required_text(&input.title, 200));
    let starts_at = errors.check("starts_at", plausible(input.starts_at));
    if starts_at.is_some_and(|s| s <= now) {
        errors.add("starts_at", Message::new("msg-meeting-in-past"));
    }
    let given_cutoff = input.cutoff_at.and_then(|cutoff| errors.check("cutoff_at", plausible(cutoff)));
    let cutoff_at = given_cutoff.or(starts_at).unwrap_or(input.starts_at);
    if cutoff_at > starts_at.unwrap_or(input.starts_at) {
        errors.add("cutoff_at", Message::new("msg-cutoff-after-start"));
    }
    let title = errors.finish(|| title.unwrap_or_default())?;
    // As checked: to the microsecond, as both databases store it.
    let starts_at = starts_at.unwrap_or(input.starts_at);
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        let new = NewMeeting {
            kind: MeetingKind::Extra,
            title: &title,
            starts_at,
            cutoff_at,
            created_by: Some(caller.id.0),
        };
        let id = repo::insert(conn, &new, now)?;
        let payload = serde_json::json!({ "meeting_id": id, "title": title, "starts_at": starts_at });
        record(conn, Event::general(Some(caller.id), "add_meeting", payload), now)?;
        Ok(id)
    })?;
    let meeting = ctx.db.query(|conn| repo::find(conn, id))?;
    meeting.map(MeetingView::from).ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))
}

/// Body of `POST /api/v1/cab/meetings/{id}/cancel`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelMeeting {
    #[schema(schema_with = crate::domain::schema::required::<2000>)]
    pub reason: Text,
}

/// Cancels a planned meeting with a reason (change managers; audited).
pub fn cancel(ctx: &Ctx, caller: &Caller, id: i32, input: CancelMeeting) -> ServiceResult<MeetingView> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())?;
    let reason = required_text(&input.reason, 2000).map_err(|m| ServiceError::invalid("reason", m))?;
    let now = ctx.clock.now();
    let people = ctx.db.read(|conn| -> ServiceResult<_> {
        let starts_at = repo::find(conn, id)?.map_or(now, |m| m.starts_at);
        Ok(members_and_delegates(ctx, conn, now, starts_at)?)
    })?;
    ctx.db.write(|conn| -> ServiceResult<()> {
        let meeting = repo::find(conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))?;
        if !repo::cancel(conn, id, &reason)? {
            let state = meeting.state.as_str();
            return Err(ServiceError::Conflict(Message::new("msg-meeting-not-planned").arg("state", state)));
        }
        // The members (and their delegates) hear of it, with a CANCEL for their calendars.
        let mut notice = notice_of(&meeting, &[]);
        notice.reason = Some(reason.clone());
        let sent = queue_mail(conn, MeetingMail::Cancelled, &notice, &people, now)?;
        let payload = serde_json::json!({ "meeting_id": id, "starts_at": meeting.starts_at, "reason": reason, "notified": sent });
        record(conn, Event::general(Some(caller.id), "cancel_meeting", payload), now)?;
        Ok(())
    })?;
    let meeting = ctx.db.query(|conn| repo::find(conn, id))?;
    meeting.map(MeetingView::from).ok_or_else(|| ServiceError::NotFound(format!("there is no meeting {id}")))
}

/// The people who may be recorded as attending: those who may vote.
pub fn attendance_choices(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<super::change_view::Person>> {
    ctx.require(caller, Permission::ManageMeetings, &Object::none())?;
    let now = ctx.clock.now();
    let people = ctx.db.query(|conn| -> diesel::QueryResult<Vec<Caller>> {
        let mut people = super::who_may(conn, &ctx.authz, Permission::Vote, &Object::none())?;
        // A delegate who is no voter may attend to stand in for a member.
        for (_, delegate) in super::delegations::delegates_of(conn, &people.clone(), now)? {
            if !people.iter().any(|p| p.id == delegate.id) {
                people.push(delegate);
            }
        }
        Ok(people)
    })?;
    Ok(people.iter().map(super::change_view::Person::from).collect())
}

/// A meeting's email facts; `agenda` fills its items.
fn notice_of(meeting: &Meeting, agenda: &[AgendaPart]) -> MeetingNotice {
    MeetingNotice {
        meeting_id: meeting.id,
        kind: meeting.kind,
        title: meeting.title.clone(),
        starts_at: meeting.starts_at,
        cutoff_at: meeting.cutoff_at,
        reason: None,
        items: agenda
            .iter()
            .flat_map(|part| {
                part.items.iter().map(|item| NoticeItem {
                    section: part.section,
                    reference: item.change.reference.clone(),
                    title: item.change.title.clone(),
                    risk_level: item.change.risk_level,
                    planned_start: item.change.planned_start,
                    approvals: item.approval.map(|p| (p.approvals, p.required)),
                    factors: item
                        .risk_factors
                        .iter()
                        .map(|f| (f.key.clone(), f.detail.clone(), f.points))
                        .collect(),
                    conflicts: item
                        .conflicts
                        .iter()
                        .map(|c| {
                            let with = c.change_ref.as_deref().map(|r| format!("{r} ")).unwrap_or_default();
                            (c.kind, format!("{with}{}", c.title))
                        })
                        .collect(),
                })
            })
            .collect(),
        decisions: Vec::new(),
        attendees: Vec::new(),
        stand_ins: Vec::new(),
        on_behalf_of: None,
    }
}

/// Those who may vote, and the delegates named by them in force at some time from `now`
/// to the meeting's start (with the member's name): who receives a meeting's agenda and
/// its cancellation.
fn members_and_delegates(
    ctx: &Ctx,
    conn: &mut DbConn,
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
) -> diesel::QueryResult<Vec<(Caller, Option<String>)>> {
    let members = super::who_may(conn, &ctx.authz, Permission::Vote, &Object::none())?;
    let delegated = super::delegations::delegates_during(conn, &members, now, starts_at.max(now))?;
    let mut people: Vec<(Caller, Option<String>)> = members.into_iter().map(|m| (m, None)).collect();
    people.extend(delegated.into_iter().map(|(member, delegate)| (delegate, Some(member.name))));
    Ok(people)
}

/// Queues `mail` about a meeting to each of `people`; returns how many.
fn queue_mail(
    conn: &mut DbConn,
    mail: MeetingMail,
    notice: &MeetingNotice,
    people: &[(Caller, Option<String>)],
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    for (person, member) in people {
        let notice = MeetingNotice { on_behalf_of: member.clone(), ..notice.clone() };
        let payload = serde_json::to_string(&notice)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        let row = crate::db::outbox::NewNotice {
            kind: mail.as_str(),
            change_id: None,
            recipient_id: Some(person.id.0),
            recipient_email: &person.email,
            payload: &payload,
        };
        crate::db::outbox::insert(conn, &row, now)?;
    }
    Ok(people.len())
}

/// Sends the agenda of each planned meeting whose cut-off has passed, once, to the members
/// and their delegates, with the meeting as a calendar invitation; returns how many emails
/// it queued. The agenda is worked out in a read transaction; the write only marks the
/// meeting (another instance may have been first) and queues the emails.
pub fn send_agendas(ctx: &Ctx) -> ServiceResult<usize> {
    let now = ctx.clock.now();
    let due = ctx.db.query(|conn| repo::agenda_due(conn, now))?;
    let mut queued = 0;
    for meeting in due {
        let id = meeting.id;
        let (notice, people) = ctx.db.read(|conn| -> ServiceResult<_> {
            let detail = with_agenda(ctx, conn, meeting.clone())?;
            Ok((
                notice_of(&meeting, &detail.agenda),
                members_and_delegates(ctx, conn, now, meeting.starts_at)?,
            ))
        })?;
        queued += ctx.db.write(|conn| -> ServiceResult<usize> {
            if !repo::mark_agenda_sent(conn, id, now)? {
                return Ok(0);
            }
            let sent = queue_mail(conn, MeetingMail::Agenda, &notice, &people, now)?;
            let payload =
                serde_json::json!({ "meeting_id": id, "items": notice.items.len(), "recipients": sent });
            record(conn, Event::general(None, "send_agenda", payload), now)?;
            Ok(sent)
        })?;
    }
    Ok(queued)
}
