//! Reminders, each queued exactly once (SPEC §7): the implementer a day before a planned
//! start, change managers when a change in implementation is past its planned end, and
//! voters who have not voted a day before the CAB's cut-off.

use super::notices::{queue, queue_for_delegate};
use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::reminders::{self, Reminder};
use crate::db::{users, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::Change;
use crate::domain::ids::{ChangeId, UserId};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

/// Most changes one round looks at for each kind of reminder.
const LIMIT: i64 = 500;
/// How long after a vote request no reminder about it goes out.
pub const QUIET_AFTER_REQUEST: Duration = Duration::hours(12);

/// The next CAB cut-off after `now`: that of the next planned meeting (regular or
/// extra); before any meeting is planned, the meeting rule of the settings on the
/// service's working-day calendar (holidays and closed days counted out).
pub fn next_cutoff(ctx: &Ctx, conn: &mut DbConn, now: DateTime<Utc>) -> ServiceResult<Option<DateTime<Utc>>> {
    let planned = crate::db::meetings::between(conn, now, now + Duration::weeks(6), 50)?;
    let next_planned = planned
        .iter()
        .filter(|m| m.state == crate::domain::meeting::MeetingState::Planned && m.cutoff_at > now)
        .map(|m| m.cutoff_at)
        .min();
    if next_planned.is_some() {
        return Ok(next_planned);
    }
    let (rule, zone) = super::cab_settings::rule(ctx, conn)?;
    let today = now.with_timezone(&zone).date_naive();
    let calendar = super::workdays::calendar(conn, today - Duration::days(21), today + Duration::days(42))?;
    Ok(rule.next_cutoff(now, zone, &calendar))
}

/// The next cut-off, read in a transaction of its own (for tests and pages).
pub fn cutoff_after(ctx: &Ctx, now: DateTime<Utc>) -> ServiceResult<Option<DateTime<Utc>>> {
    ctx.db.read(|conn| next_cutoff(ctx, conn, now))
}

/// A reminder found due, with the change and the people it goes to.
struct Due {
    reminder: Reminder,
    notice: &'static str,
    change: Change,
    to: Vec<Caller>,
    /// A vote reminder's copy to the member's delegate: `(member, delegate)`.
    copy: Option<(Caller, Caller)>,
}

/// Queues the reminders that are due now; returns how many notices it queued.
///
/// Everything is read and worked out first, in a read transaction: the due reminders are
/// one anti-join per kind against those already queued (and, for votes, two bulk reads).
/// Only when something is due does it take the write lock, check again inside it which of
/// them another instance queued meanwhile, and write the rest.
pub fn queue_due(ctx: &Ctx) -> ServiceResult<usize> {
    let now = ctx.clock.now();
    let due = ctx.db.read(|conn| find_due(ctx, conn, now))?;
    if due.is_empty() {
        return Ok(0);
    }
    ctx.db.write(|conn| -> ServiceResult<usize> {
        let reminders: Vec<Reminder> = due.iter().map(|d| d.reminder).collect();
        let queued_meanwhile = reminders::already_queued(conn, &reminders)?;
        let mut queued = 0;
        for due in due.iter().filter(|d| !queued_meanwhile.contains(&d.reminder)) {
            reminders::record(conn, &due.reminder, now)?;
            if !due.to.is_empty() {
                queue(conn, due.notice, &due.change, &due.to, None, now)?;
                queued += due.to.len();
            }
            if let Some((member, delegate)) = &due.copy {
                queue_for_delegate(conn, due.notice, &due.change, member, delegate, now)?;
                queued += 1;
            }
        }
        Ok(queued)
    })
}

fn find_due(ctx: &Ctx, conn: &mut DbConn, now: DateTime<Utc>) -> ServiceResult<Vec<Due>> {
    let mut due = Vec::new();
    // A day before the planned start, to the implementer.
    let starting = reminders::starts_not_reminded(conn, now, now + Duration::days(1), LIMIT)?;
    let implementers: Vec<UserId> = starting.iter().filter_map(|c| c.implementer_id).collect();
    let people = users::callers(conn, &implementers)?;
    for change in starting {
        let (Some(start), Some(implementer)) = (change.planned_start, change.implementer_id) else {
            continue;
        };
        let to: Vec<Caller> = people.iter().filter(|p| p.id == implementer).cloned().collect();
        let reminder =
            Reminder { kind: "start", change: change.id, round: 0, to: implementer, due_at: start };
        due.push(Due { reminder, notice: "reminder_start", change, to, copy: None });
    }
    // Past the planned end and not completed, to the change managers (who review changes).
    let overdue = reminders::overdue_not_reminded(conn, now, LIMIT)?;
    let reviewers = people_who_may(ctx, conn, Permission::Review, !overdue.is_empty())?;
    for change in overdue {
        let Some(end) = change.planned_end else { continue };
        let object = Object::change(&change);
        let to =
            reviewers.iter().filter(|p| ctx.authz.allows(p, Permission::Review, &object)).cloned().collect();
        let reminder = Reminder { kind: "overdue", change: change.id, round: 0, to: UserId(0), due_at: end };
        due.push(Due { reminder, notice: "reminder_overdue", change, to, copy: None });
    }
    // A day before the cut-off, to eligible voters who have not voted in this round. Each
    // change's voters are looked at once per cut-off and round (a mark with no recipient),
    // so the scan goes through any number of waiting changes, a batch a round.
    if let Some(cutoff) = next_cutoff(ctx, conn, now)?.filter(|cutoff| *cutoff - now <= Duration::days(1)) {
        let waiting = reminders::votes_not_reminded(conn, cutoff, LIMIT)?;
        let ids: Vec<ChangeId> = waiting.iter().map(|c| c.id).collect();
        let voted: BTreeSet<_> = reminders::voted(conn, &ids)?.into_iter().collect();
        let voters = people_who_may(ctx, conn, Permission::Vote, !waiting.is_empty())?;
        let delegated = super::delegations::delegates_of(conn, &voters, now)?;
        for change in waiting {
            // No reminder within hours of the request itself: looked at again next round.
            if change.authorized_at.is_some_and(|at| now - at < QUIET_AFTER_REQUEST) {
                continue;
            }
            let object = Object::change(&change);
            let round = change.decision_round;
            let mark = Reminder { kind: "vote", change: change.id, round, to: UserId(0), due_at: cutoff };
            due.push(Due { reminder: mark, notice: "", change: change.clone(), to: Vec::new(), copy: None });
            for voter in voters.iter().filter(|v| ctx.authz.allows(v, Permission::Vote, &object)) {
                if voted.contains(&(change.id, round, voter.id)) {
                    continue;
                }
                let reminder =
                    Reminder { kind: "vote", change: change.id, round, to: voter.id, due_at: cutoff };
                let copy = delegated
                    .iter()
                    .find(|(member, delegate)| {
                        member.id == voter.id && ctx.authz.allows(delegate, Permission::VoteFor, &object)
                    })
                    .cloned();
                due.push(Due {
                    reminder,
                    notice: "reminder_vote",
                    change: change.clone(),
                    to: vec![voter.clone()],
                    copy,
                });
            }
        }
    }
    Ok(due)
}

/// The holders of the roles the policy grants `permission` to (each checked against the
/// change by the caller), loaded once for a whole scan; nobody when `needed` is false.
fn people_who_may(
    ctx: &Ctx,
    conn: &mut DbConn,
    permission: Permission,
    needed: bool,
) -> ServiceResult<Vec<Caller>> {
    if !needed {
        return Ok(Vec::new());
    }
    Ok(users::holding_any(conn, &ctx.authz.roles_granting(permission))?)
}
