//! The figures of SPEC §10 over a period, and the changes of a period as CSV.

use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::reports as repo;
use crate::domain::caller::Caller;
use crate::domain::change::{ChangeState, ChangeType, ClosureCode};
use crate::domain::validation::Message;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Longest period one report covers.
pub const MAX_DAYS: i64 = 731;
/// Weeks ahead the "upcoming" figure covers.
pub const UPCOMING_WEEKS: i64 = 8;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Count {
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoterTime {
    pub voter: String,
    pub votes: usize,
    /// Median hours from the change entering `authorize` to this voter's vote.
    pub median_hours: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Named {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Week {
    /// The Monday the week starts on (in the service's time zone).
    pub week_start: NaiveDate,
    pub count: i64,
}

/// The KPIs of a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Changes created in the period, by type and state.
    pub by_type_and_state: Vec<Count>,
    pub created: i64,
    /// Changes whose implementation ended in the period.
    pub completed: i64,
    /// Of those, `successful` or `successful_with_issues`.
    pub successful: i64,
    /// successful ÷ completed; null when nothing was completed.
    pub success_rate: Option<f64>,
    pub failed_or_backed_out: i64,
    /// Of the completed changes not failed or backed out, those named as the cause of an
    /// incident.
    pub caused_incidents: i64,
    /// (failed or backed out + caused an incident) ÷ completed; null when nothing was
    /// completed.
    pub change_failure_rate: Option<f64>,
    /// emergency ÷ created; null when nothing was created.
    pub emergency_ratio: Option<f64>,
    /// Median hours from submission to the CAB's decision, for changes decided in the period.
    pub median_lead_time_hours: Option<f64>,
    pub approval_time_by_voter: Vec<VoterTime>,
    /// The 20 CIs with most changes created in the period.
    pub changes_per_ci: Vec<Named>,
    /// Scheduled changes in each of the next weeks, from now.
    pub upcoming_per_week: Vec<Week>,
}

/// The middle value (mean of the two middle ones for an even count).
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

fn hours(span: Duration) -> f64 {
    span.num_seconds() as f64 / 3600.0
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn check_period(from: DateTime<Utc>, to: DateTime<Utc>) -> ServiceResult<()> {
    if to <= from {
        return Err(ServiceError::invalid("to", Message::new("msg-to-after-from")));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(ServiceError::invalid("to", Message::new("msg-period-too-long").arg("days", MAX_DAYS)));
    }
    Ok(())
}

/// The KPIs of `[from, to)`; weeks begin on Monday in `zone` (the reader's).
pub fn summary(
    ctx: &Ctx,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> ServiceResult<Summary> {
    ctx.require(caller, Permission::ReadReports, &Object::none())?;
    check_period(from, to)?;
    let now = ctx.clock.now();
    ctx.db.read(|conn| {
        let by_type_and_state: Vec<Count> = repo::created_by_type_and_state(conn, from, to)?
            .into_iter()
            .filter_map(|(t, s, count)| {
                Some(Count { change_type: t.parse().ok()?, state: s.parse().ok()?, count })
            })
            .collect();
        let created = by_type_and_state.iter().map(|c| c.count).sum();
        let emergency = by_type_and_state
            .iter()
            .filter(|c| c.change_type == ChangeType::Emergency)
            .map(|c| c.count)
            .sum();
        let closures: Vec<(Option<ClosureCode>, i64)> = repo::completed_by_closure_code(conn, from, to)?
            .into_iter()
            .map(|(c, n)| (c.and_then(|c| c.parse().ok()), n))
            .collect();
        let completed = closures.iter().map(|(_, n)| n).sum();
        let count_of = |wanted: &[ClosureCode]| {
            closures.iter().filter(|(c, _)| c.is_some_and(|c| wanted.contains(&c))).map(|(_, n)| n).sum()
        };
        let successful = count_of(&[ClosureCode::Successful, ClosureCode::SuccessfulWithIssues]);
        let failed_or_backed_out = count_of(&[ClosureCode::Failed, ClosureCode::BackedOut]);
        let caused_incidents = crate::db::incidents::caused_among_successful(conn, from, to)?;
        let lead_times = repo::decisions(conn, from, to)?.into_iter().map(|(s, d)| hours(d - s)).collect();
        let mut by_voter: BTreeMap<i32, (String, Vec<f64>)> = BTreeMap::new();
        for vote in repo::votes_cast(conn, from, to)? {
            let entry = by_voter.entry(vote.voter_id).or_insert_with(|| (vote.voter.clone(), Vec::new()));
            entry.1.push(hours(vote.voted_at - vote.authorized_at));
        }
        let approval_time_by_voter = by_voter
            .into_values()
            .filter_map(|(voter, times)| {
                Some(VoterTime { voter, votes: times.len(), median_hours: median(times)? })
            })
            .collect();
        let changes_per_ci = repo::per_ci(conn, from, to, 20)?
            .into_iter()
            .map(|(name, count)| Named { name, count })
            .collect();
        let this_monday = {
            let today = now.with_timezone(&zone).date_naive();
            today - Duration::days(today.weekday().num_days_from_monday().into())
        };
        let mut weeks: BTreeMap<NaiveDate, i64> =
            (0..UPCOMING_WEEKS).map(|w| (this_monday + Duration::weeks(w), 0)).collect();
        for start in repo::scheduled_starts(conn, now, now + Duration::weeks(UPCOMING_WEEKS))? {
            let day = start.with_timezone(&zone).date_naive();
            let monday = day - Duration::days(day.weekday().num_days_from_monday().into());
            if let Some(count) = weeks.get_mut(&monday) {
                *count += 1;
            }
        }
        Ok(Summary {
            from,
            to,
            by_type_and_state,
            created,
            completed,
            successful,
            success_rate: ratio(successful, completed),
            failed_or_backed_out,
            caused_incidents,
            change_failure_rate: ratio(failed_or_backed_out + caused_incidents, completed),
            emergency_ratio: ratio(emergency, created),
            median_lead_time_hours: median(lead_times),
            approval_time_by_voter,
            changes_per_ci,
            upcoming_per_week: weeks
                .into_iter()
                .map(|(week_start, count)| Week { week_start, count })
                .collect(),
        })
    })
}

/// Most rows one CSV export holds.
pub const CSV_LIMIT: i64 = 20_000;

/// Which CSV: the plain one for programs, or one a spreadsheet opens in the reader's
/// language.
#[derive(Debug, Clone, Copy)]
pub enum CsvFormat {
    /// Comma-separated, English codes (`normal`, `scheduled`), RFC 3339 UTC times.
    Plain,
    /// For Excel: a UTF-8 byte-order mark, `;` between cells for Bokmål readers (`,` for
    /// English), headers and values in the reader's words, local times Excel reads as
    /// times (`10.12.2026 18:00`; English `2026-12-10 18:00`).
    Spreadsheet { lang: crate::i18n::Lang, zone: chrono_tz::Tz },
}

/// The changes created in the period as CSV (RFC 4180), oldest first.
pub fn changes_csv(
    ctx: &Ctx,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    format: CsvFormat,
) -> ServiceResult<String> {
    use crate::i18n::Lang;
    ctx.require(caller, Permission::ReadReports, &Object::none())?;
    check_period(from, to)?;
    let rows = ctx.db.query(|conn| crate::db::changes::created_between(conn, from, to, CSV_LIMIT))?;
    let (mut out, separator) = match format {
        CsvFormat::Plain => (String::new(), ','),
        CsvFormat::Spreadsheet { lang: Lang::Nb, .. } => ("\u{feff}".to_owned(), ';'),
        CsvFormat::Spreadsheet { lang: Lang::En, .. } => ("\u{feff}".to_owned(), ','),
    };
    let headers: Vec<String> = match format {
        CsvFormat::Plain => {
            "ref,title,type,state,risk_level,risk_score,planned_start,planned_end,closure_code,created_at"
                .split(',')
                .map(str::to_owned)
                .collect()
        }
        CsvFormat::Spreadsheet { lang, .. } => [
            "field-ref",
            "field-title",
            "field-type",
            "field-state",
            "field-risk",
            "report-csv-score",
            "field-planned-start",
            "field-planned-end",
            "field-closure-code",
            "report-csv-created",
        ]
        .iter()
        .map(|key| lang.t(key))
        .collect(),
    };
    let line = |out: &mut String, cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|cell| csv_cell(cell, separator)).collect();
        out.push_str(&cells.join(&separator.to_string()));
        out.push_str("\r\n");
    };
    line(&mut out, &headers);
    let time = |at: Option<DateTime<Utc>>| match (format, at) {
        (_, None) => String::new(),
        (CsvFormat::Plain, Some(at)) => at.to_rfc3339(),
        (CsvFormat::Spreadsheet { lang: Lang::Nb, zone }, Some(at)) => {
            at.with_timezone(&zone).format("%d.%m.%Y %H:%M").to_string()
        }
        (CsvFormat::Spreadsheet { lang: Lang::En, zone }, Some(at)) => {
            at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
        }
    };
    let word = |prefix: &str, code: &str| match format {
        CsvFormat::Plain => code.to_owned(),
        CsvFormat::Spreadsheet { lang, .. } => lang.t(&format!("{prefix}-{code}")),
    };
    for c in rows {
        let cells = [
            c.id.reference(),
            c.title.clone(),
            word("type", c.change_type.as_str()),
            word("state", c.state.as_str()),
            word("risk", c.risk.level.as_str()),
            c.risk.score.to_string(),
            time(c.planned_start),
            time(c.planned_end),
            c.closure_code.map(|code| word("closure", code.as_str())).unwrap_or_default(),
            time(Some(c.created_at)),
        ];
        line(&mut out, &cells);
    }
    Ok(out)
}

/// Quotes a cell when it holds the separator, a quote or a line break; cells that a
/// spreadsheet would run as a formula are prefixed with `'`.
fn csv_cell(text: &str, separator: char) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([separator, '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_empty_lists() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain", ','), "plain");
        assert_eq!(csv_cell("a, b", ','), "\"a, b\"");
        assert_eq!(csv_cell("a, b", ';'), "a, b");
        assert_eq!(csv_cell("a; b", ';'), "\"a; b\"");
        assert_eq!(csv_cell("say \"hi\"", ','), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)", ','), "'=SUM(A1)");
    }
}
