//! What the detection of candidate standard templates reads (the normal changes whose
//! implementation ended in its window) and the change managers' decisions about them.

use super::changes::{parse_text, to_naive, to_utc};
use super::schema::{candidate_decisions, change_cis, change_copies, change_incidents, changes};
use super::DbConn;
use crate::domain::candidate::Done;
use crate::domain::change::{ChangeType, ClosureCode};
use crate::domain::ids::{ChangeId, CiId, TemplateId, UserId};
use crate::domain::incident::Relation;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The normal changes whose implementation ended since `since`, through the
/// `(change_type, actual_end)` index, as a subquery of their ids.
macro_rules! ended_since {
    ($since:expr) => {
        changes::table
            .filter(changes::actual_end.ge($since))
            .filter(changes::change_type.eq(ChangeType::Normal.as_str()))
            .filter(changes::closure_code.is_not_null())
    };
}

/// Every normal change whose implementation ended since `since`, with its CIs, the change
/// it was first copied from, whether it caused an incident and whether a series holding
/// it was decided: five queries, each in proportion to the changes of the window.
pub fn done_since(conn: &mut DbConn, since: DateTime<Utc>) -> QueryResult<Vec<Done>> {
    let since = to_naive(since);
    type Row =
        (i32, String, Option<String>, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let rows: Vec<Row> = ended_since!(since)
        .select((
            changes::id,
            changes::title,
            changes::closure_code,
            changes::actual_end,
            changes::planned_start,
            changes::planned_end,
        ))
        .load(conn)?;
    let pairs: Vec<(i32, i32)> = change_cis::table
        .filter(change_cis::change_id.eq_any(ended_since!(since).select(changes::id)))
        .select((change_cis::change_id, change_cis::ci_id))
        .load(conn)?;
    let caused: BTreeSet<i32> = change_incidents::table
        .filter(change_incidents::relation.eq(Relation::Caused.as_str()))
        .filter(change_incidents::change_id.eq_any(ended_since!(since).select(changes::id)))
        .select(change_incidents::change_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    let decided: BTreeSet<i32> = candidate_decisions::table
        .filter(candidate_decisions::change_id.eq_any(ended_since!(since).select(changes::id)))
        .select(candidate_decisions::change_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    let sources: BTreeMap<i32, i32> = change_copies::table
        .filter(change_copies::change_id.eq_any(ended_since!(since).select(changes::id)))
        .select((change_copies::change_id, change_copies::source_id))
        .load::<(i32, i32)>(conn)?
        .into_iter()
        .collect();
    let mut cis: BTreeMap<i32, BTreeSet<CiId>> = BTreeMap::new();
    for (change, ci) in pairs {
        cis.entry(change).or_default().insert(CiId(ci));
    }
    let mut done = Vec::with_capacity(rows.len());
    for (id, title, closure, ended, start, end) in rows {
        let (Some(closure), Some(ended)) = (closure, ended) else { continue };
        let minutes = match (start, end) {
            (Some(start), Some(end)) => (end - start).num_minutes(),
            _ => 0,
        };
        done.push(Done {
            id: ChangeId(id),
            title,
            ci_ids: cis.remove(&id).unwrap_or_default(),
            closure: parse_text::<ClosureCode>(&closure)?,
            caused: caused.contains(&id),
            ended: to_utc(ended),
            minutes,
            decided: decided.contains(&id),
            source: ChangeId(sources.get(&id).copied().unwrap_or(id)),
        });
    }
    Ok(done)
}

/// Records that the series of `changes` was accepted (as `template`) or dismissed.
pub fn decide(
    conn: &mut DbConn,
    changes: &[ChangeId],
    (outcome, template): (&str, Option<TemplateId>),
    by: UserId,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    for change in changes {
        diesel::insert_into(candidate_decisions::table)
            .values((
                candidate_decisions::change_id.eq(change.0),
                candidate_decisions::outcome.eq(outcome),
                candidate_decisions::template_id.eq(template.map(|t| t.0)),
                candidate_decisions::decided_by.eq(by.0),
                candidate_decisions::decided_at.eq(to_naive(at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether any of `changes` belongs to a series already decided (checked inside the
/// deciding transaction, which holds the write lock: two managers never both decide).
pub fn any_decided(conn: &mut DbConn, changes: &[ChangeId]) -> QueryResult<bool> {
    let ids: Vec<i32> = changes.iter().map(|c| c.0).collect();
    diesel::select(diesel::dsl::exists(
        candidate_decisions::table.filter(candidate_decisions::change_id.eq_any(ids)),
    ))
    .get_result(conn)
}

/// Records that `change` is a copy of `original`, and of the first change of its line.
pub fn record_copy(conn: &mut DbConn, change: ChangeId, original: ChangeId) -> QueryResult<()> {
    let source: Option<i32> =
        change_copies::table.find(original.0).select(change_copies::source_id).first(conn).optional()?;
    diesel::insert_into(change_copies::table)
        .values((
            change_copies::change_id.eq(change.0),
            change_copies::original_id.eq(original.0),
            change_copies::source_id.eq(source.unwrap_or(original.0)),
        ))
        .execute(conn)?;
    Ok(())
}
