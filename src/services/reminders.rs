//! Reminders, each queued exactly once (SPEC §7): the implementer a day before a planned
//! start, change managers when a change in implementation is past its planned end, and
//! voters who have not voted a day before the CAB's cut-off.

use super::notices::queue;
use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::{changes, reminders, users, votes};
use crate::domain::change::ChangeState;
use crate::domain::role::Role;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Most changes one round looks at for each kind of reminder.
const LIMIT: i64 = 500;

/// The next CAB cut-off after `now`: the working day before the weekly meeting (Tuesday
/// 10:00), at 12:00, in `zone` — so Monday 12:00.
pub fn next_cutoff(now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&zone).date_naive();
    let days_to_monday =
        (7 + Weekday::Mon.num_days_from_monday() as i64 - local.weekday().num_days_from_monday() as i64) % 7;
    (0..2)
        .map(|week| local + Duration::days(days_to_monday + 7 * week))
        .filter_map(|day| {
            zone.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0)?)).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .find(|cutoff| *cutoff > now)
        .unwrap_or(now + Duration::days(7))
}

/// Queues the reminders that are due now; returns how many notices it queued.
pub fn queue_due(ctx: &Ctx) -> ServiceResult<usize> {
    let now = ctx.clock.now();
    let zone = ctx.config.time_zone();
    ctx.db.write(|conn| -> ServiceResult<usize> {
        let mut queued = 0;
        // A day before the planned start, to the implementer.
        for change in changes::starting_between(conn, now, now + Duration::days(1), LIMIT)? {
            let (Some(start), Some(implementer)) = (change.planned_start, change.implementer_id) else {
                continue;
            };
            if reminders::first_time(conn, &format!("start:{}:{}", change.id, start.timestamp()), now)? {
                let people = users::callers(conn, &[implementer])?;
                queue(conn, "reminder_start", &change, &people, None, now)?;
                queued += people.len();
            }
        }
        // Past the planned end and not completed, to the change managers.
        let overdue = changes::overdue(conn, now, LIMIT)?;
        if !overdue.is_empty() {
            let managers = users::holding_any(conn, &[Role::ChangeManager])?;
            for change in &overdue {
                let end = change.planned_end.map_or(0, |e| e.timestamp());
                if reminders::first_time(conn, &format!("overdue:{}:{end}", change.id), now)? {
                    queue(conn, "reminder_overdue", change, &managers, None, now)?;
                    queued += managers.len();
                }
            }
        }
        // A day before the cut-off, to eligible voters who have not voted in this round.
        let cutoff = next_cutoff(now, zone);
        if cutoff - now <= Duration::days(1) {
            let filter = changes::ListFilter { states: vec![ChangeState::Authorize], ..Default::default() };
            let waiting = changes::list(conn, &filter, LIMIT, 0)?.0;
            let ids: Vec<_> = waiting.iter().map(|c| c.id).collect();
            let voted: BTreeSet<_> = votes::voters_of(conn, &ids)?.into_iter().collect();
            let candidates = users::holding_any(conn, &[Role::CabMember, Role::ChangeManager])?;
            for change in &waiting {
                let object = Object::change(change);
                for voter in candidates.iter().filter(|v| ctx.authz.allows(v, Permission::Vote, &object)) {
                    if voted.contains(&(change.id, change.decision_round, voter.id)) {
                        continue;
                    }
                    let key = format!(
                        "vote:{}:{}:{}:{}",
                        change.id,
                        change.decision_round,
                        voter.id,
                        cutoff.timestamp()
                    );
                    if reminders::first_time(conn, &key, now)? {
                        queue(conn, "reminder_vote", change, std::slice::from_ref(voter), None, now)?;
                        queued += 1;
                    }
                }
            }
        }
        Ok(queued)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_monday_noon_in_oslo() {
        let zone = chrono_tz::Europe::Oslo;
        let thursday = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        assert_eq!(next_cutoff(thursday, zone).to_rfc3339(), "2026-12-07T11:00:00+00:00");
        let monday_afternoon = Utc.with_ymd_and_hms(2026, 12, 7, 13, 0, 0).unwrap();
        assert_eq!(next_cutoff(monday_afternoon, zone).to_rfc3339(), "2026-12-14T11:00:00+00:00");
        let summer_monday = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
        assert_eq!(next_cutoff(summer_monday, zone).to_rfc3339(), "2026-06-01T10:00:00+00:00");
    }
}
