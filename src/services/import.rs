//! `endring import changes|cis`: rows of another tool's CSV export, read by the command
//! line, checked and written here in batches, each batch one transaction with an audit
//! event per change naming the import. A row that cannot be imported is reported with its
//! line and why, and the rest go on; a batch that fails to write stops the import, and
//! running it again skips what was imported (by the original id, or the CI's name).

use super::audit::{record, record_many, Event};
use super::{Ctx, ServiceError, ServiceResult};
use crate::db::imports::{self as repo, NewOrigin};
use crate::db::{cis, DbConn};
use crate::domain::change::{plausible, Change, ChangeState, Window};
use crate::domain::ids::{ChangeId, CiId, UserId};
use crate::domain::import::{self as map, Columns, Field, Source, TimeError};
use crate::domain::risk::{Assessment, RiskLevel};
use crate::domain::text::Text;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// One data row of the file: where it starts, and its cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A row left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    /// The row's original id (or CI name), when it has one.
    pub id: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub import_id: String,
    pub source: Option<Source>,
    /// Data rows read.
    pub read: usize,
    /// Written (or, on a dry run, that would be).
    pub imported: usize,
    /// Left alone: imported by an earlier run (same original id), or a CI already there.
    pub already: usize,
    /// Imported to be assessed: scheduled or under way in the file, but without a window.
    pub to_assess: usize,
    pub rejected: Vec<Rejected>,
}

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// None: read from the headers.
    pub source: Option<Source>,
    pub dry_run: bool,
    /// Who a change's requester is when the file names no user of Endring (an email).
    pub requester: Option<String>,
    /// A new CI's owner when the file names none (an email).
    pub owner: Option<String>,
    /// The file's name, for the audit trail.
    pub file: String,
}

/// The longest texts a row may bring (the limits of the forms).
const TITLE_MAX: usize = 200;
const TEXT_MAX: usize = 20_000;

/// People by email and by name (lower case), for matching the names a file gives.
struct Directory {
    by_email: HashMap<String, i32>,
    by_name: HashMap<String, Option<i32>>,
}

impl Directory {
    fn load(conn: &mut DbConn) -> diesel::QueryResult<Directory> {
        let mut directory = Directory { by_email: HashMap::new(), by_name: HashMap::new() };
        for (id, email, name) in repo::people(conn)? {
            directory.by_email.insert(email.to_lowercase(), id);
            // A name two people share matches neither.
            directory
                .by_name
                .entry(name.to_lowercase())
                .and_modify(|found| *found = None)
                .or_insert(Some(id));
        }
        Ok(directory)
    }

    fn find(&self, who: &str) -> Option<i32> {
        let who = who.trim().to_lowercase();
        self.by_email.get(&who).copied().or_else(|| self.by_name.get(&who).copied().flatten())
    }
}

/// A change import under way.
pub struct ChangeImport {
    source: Source,
    columns: Columns,
    options: Options,
    zone: chrono_tz::Tz,
    people: Directory,
    fallback: Option<i32>,
    cis: HashMap<String, i32>,
    report: Report,
    /// Original ids seen in this file (a repeated one is rejected).
    seen: HashSet<String>,
}

/// A new import's id: when it began, and four random bytes.
fn import_id(now: DateTime<Utc>) -> String {
    format!("import-{}-{}", now.format("%Y%m%dT%H%M%SZ"), &super::auth::random_token()[..8])
}

/// The source: as asked, or as the headers show; refused when neither says.
fn source_of(options: &Options, headers: &[&str]) -> ServiceResult<Source> {
    options.source.or_else(|| map::detect(headers)).ok_or_else(|| {
        ServiceError::BadRequest(
            "the headers are not Endring's, iTop's or GLPI's: name the source with --format endring|itop|glpi".into(),
        )
    })
}

/// Refuses a header row without the columns the import cannot do without.
fn require_columns(columns: &Columns, required: &[Field], headers: &[&str]) -> ServiceResult<()> {
    let missing: Vec<String> = required
        .iter()
        .filter(|f| !columns.has(**f))
        .map(|f| {
            let names = map::HEADERS.iter().find(|(h, _)| h == f).map_or(&[][..], |(_, n)| n);
            format!("{f} (one of: {})", names.join(", "))
        })
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(ServiceError::BadRequest(format!(
            "the file has no column for {}; its headers are: {}",
            missing.join("; "),
            headers.join(", ")
        ))),
    }
}

/// A person named by email, who must be a user.
fn named_user(conn: &mut DbConn, email: Option<&str>, what: &str) -> ServiceResult<Option<i32>> {
    let Some(email) = email else { return Ok(None) };
    let people = Directory::load(conn)?;
    people
        .find(email)
        .map(Some)
        .ok_or_else(|| ServiceError::BadRequest(format!("{what} {email} is not a user of Endring")))
}

impl ChangeImport {
    /// Reads the header row and what rows will be matched against.
    pub fn begin(ctx: &Ctx, headers: &[&str], options: Options) -> ServiceResult<ChangeImport> {
        let source = source_of(&options, headers)?;
        let columns = Columns::find(headers, map::CHANGE_FIELDS, source);
        require_columns(&columns, map::CHANGE_REQUIRED, headers)?;
        let (people, cis, fallback) = ctx.db.read(|conn| -> ServiceResult<_> {
            let fallback = named_user(conn, options.requester.as_deref(), "--requester")?;
            let cis = repo::ci_names(conn)?.into_iter().map(|(id, name)| (name.to_lowercase(), id)).collect();
            Ok((Directory::load(conn)?, cis, fallback))
        })?;
        let report =
            Report { import_id: import_id(ctx.clock.now()), source: Some(source), ..Report::default() };
        Ok(ChangeImport {
            source,
            columns,
            zone: ctx.config.time_zone(),
            options,
            people,
            fallback,
            cis,
            report,
            seen: HashSet::new(),
        })
    }

    /// Checks a batch of rows and writes those that pass in one transaction (nothing on a
    /// dry run). An error here is the database's: the batch is not written, and what
    /// earlier batches wrote stays.
    pub fn batch(&mut self, ctx: &Ctx, rows: &[Row]) -> ServiceResult<()> {
        self.report.read += rows.len();
        let mut checked = Vec::new();
        for row in rows {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            let id = self.columns.get(&cells, Field::Id).to_owned();
            match self.check(ctx, &cells) {
                Err(reason) => self.report.rejected.push(Rejected { line: row.line, id, reason }),
                Ok(_) if !self.seen.insert(id.clone()) => self.report.rejected.push(Rejected {
                    line: row.line,
                    id,
                    reason: "the same id is on an earlier line".into(),
                }),
                Ok(change) => checked.push((row, id, change)),
            }
        }
        let source = self.source.as_str();
        let done: HashSet<String> = {
            let ids: Vec<&str> = checked.iter().map(|(_, id, _)| id.as_str()).collect();
            ctx.db.query(|conn| repo::already(conn, source, &ids))?.into_iter().collect()
        };
        self.report.already += checked.iter().filter(|(_, id, _)| done.contains(id)).count();
        checked.retain(|(_, id, _)| !done.contains(id));
        // Counted once written (or, on a dry run, checked).
        let (imported, to_assess) = (checked.len(), checked.iter().filter(|(_, _, c)| c.to_assess).count());
        if self.options.dry_run || checked.is_empty() {
            self.report.imported += imported;
            self.report.to_assess += to_assess;
            return Ok(());
        }
        let now = ctx.clock.now();
        let import_id = self.report.import_id.clone();
        let file = self.options.file.clone();
        ctx.db.write(|conn| -> ServiceResult<()> {
            let rows: Vec<_> = checked
                .iter()
                .map(|(row, id, imported)| {
                    let origin = NewOrigin {
                        import_id: &import_id,
                        source,
                        original_id: id,
                        original_state: &imported.original_state,
                        original_requester: &imported.original_requester,
                        original_implementer: &imported.original_implementer,
                        original_created_at: imported.created_at,
                        original_closed_at: imported.closed_at,
                        line: i32::try_from(row.line).unwrap_or(i32::MAX),
                    };
                    (imported.change.clone(), imported.ci_ids.iter().copied().collect(), origin)
                })
                .collect();
            let ids = repo::insert_changes(conn, &rows)?;
            let changes: Vec<Change> = rows
                .into_iter()
                .zip(&ids)
                .map(|((mut change, _, _), id)| {
                    change.id = *id;
                    change
                })
                .collect();
            let events: Vec<Event<'_>> = changes
                .iter()
                .zip(&checked)
                .map(|(change, (row, id, imported))| Event {
                    change: Some(change),
                    actor: None,
                    action: "import",
                    from: None,
                    to: Some(change.state),
                    payload: json!({
                        "import": import_id, "source": source, "original_id": id,
                        "original_state": imported.original_state, "line": row.line, "file": file, "no_window": imported.to_assess,
                    }),
                })
                .collect();
            record_many(conn, &events, now)?;
            Ok(())
        })?;
        self.report.imported += imported;
        self.report.to_assess += to_assess;
        Ok(())
    }

    /// One row as a change, or why not.
    fn check(&self, ctx: &Ctx, cells: &[&str]) -> Result<Checked, String> {
        let get = |field| self.columns.get(cells, field);
        let text = |field, max: usize, required: bool| -> Result<String, String> {
            let value = Text::parse(get(field)).map_err(|_| format!("{field} holds a control character"))?;
            let value = value.as_str().trim().to_owned();
            if required && value.is_empty() {
                return Err(format!("{field} is empty"));
            }
            if value.chars().count() > max {
                return Err(format!("{field} is longer than {max} characters"));
            }
            Ok(value)
        };
        // Every time as the forms take one: a plausible year, microseconds at most.
        let when = |field| -> Result<Option<DateTime<Utc>>, String> {
            let at = map::time(get(field), self.zone).map_err(|e| match e {
                TimeError::Unreadable => format!("{field} `{}` is not a date and time", get(field)),
                TimeError::Skipped => {
                    format!("{field} `{}` does not exist in {} (the clocks skip it)", get(field), self.zone)
                }
            })?;
            at.map(|at| plausible(at).map_err(|e| format!("{field} `{}` {e}", get(field)))).transpose()
        };
        text(Field::Id, 100, true)?;
        let title = text(Field::Title, TITLE_MAX, true)?;
        let state_text = get(Field::State);
        let state = map::state(self.source, state_text).ok_or_else(|| {
            format!(
                "unknown state `{state_text}` (the states of {} are: {})",
                self.source,
                map::known_states(self.source)
            )
        })?;
        let change_type = map::change_type(get(Field::Type))
            .ok_or_else(|| format!("unknown change type `{}`", get(Field::Type)))?;
        let level = map::risk(get(Field::Risk))
            .ok_or_else(|| format!("unknown risk level `{}`", get(Field::Risk)))?;
        let closure_code = map::closure(get(Field::ClosureCode))
            .map_err(|_| format!("unknown closure code `{}`", get(Field::ClosureCode)))?;
        if closure_code.is_some() && !matches!(state, ChangeState::Review | ChangeState::Closed) {
            return Err(format!(
                "a closure code belongs to a change in review or closed, not one that is {state}"
            ));
        }
        let original_requester = text(Field::Requester, 300, false)?;
        let requester = self.people.find(&original_requester).or(self.fallback).ok_or_else(|| match original_requester.is_empty() {
            true => "no requester: give one in the file, or --requester".to_owned(),
            false => format!("the requester `{original_requester}` is no user of Endring (add them, or give --requester)"),
        })?;
        let original_implementer = text(Field::Implementer, 300, false)?;
        let implementer = self.people.find(&original_implementer);
        let mut ci_ids = std::collections::BTreeSet::new();
        for name in map::names(&text(Field::Cis, TEXT_MAX, false)?) {
            let id = self
                .cis
                .get(&name.to_lowercase())
                .ok_or_else(|| format!("unknown CI `{name}` (import the CIs first)"))?;
            ci_ids.insert(CiId(*id));
        }
        let (planned_start, planned_end) = (when(Field::PlannedStart)?, when(Field::PlannedEnd)?);
        match (planned_start, planned_end) {
            (Some(start), Some(end)) => {
                Window::planned(start, end).map_err(|e| format!("the planned window: {e}"))?;
            }
            (None, None) => {}
            _ => return Err("a planned window needs both its start and its end".into()),
        }
        // On the calendar only with a window: one the file gives none waits for a change
        // manager to assess (and plan) it; its state there is kept.
        let to_assess = state.holds_window() && planned_start.is_none();
        let state = if to_assess { ChangeState::Assess } else { state };
        let (actual_start, actual_end) = (when(Field::ActualStart)?, when(Field::ActualEnd)?);
        if let (Some(start), Some(end)) = (actual_start, actual_end) {
            if end <= start {
                return Err("the actual end is not after the actual start".into());
            }
        }
        let created_at = when(Field::CreatedAt)?;
        let closed_at = when(Field::ClosedAt)?;
        let now = ctx.clock.now();
        let decided_at = when(Field::DecidedAt)?;
        let change = Change {
            id: ChangeId(0),
            title,
            description: text(Field::Description, TEXT_MAX, false)?,
            justification: String::new(),
            change_type,
            state,
            requester_id: UserId(requester),
            implementer_id: implementer.map(UserId),
            template_id: None,
            template_version: None,
            planned_start,
            planned_end,
            actual_start,
            // A finished change without its end: it ended when it was closed.
            actual_end: actual_end.or(if matches!(state, ChangeState::Review | ChangeState::Closed) {
                closed_at
            } else {
                None
            }),
            implementation_plan: text(Field::ImplementationPlan, TEXT_MAX, false)?,
            backout_plan: text(Field::BackoutPlan, TEXT_MAX, false)?,
            test_plan: text(Field::TestPlan, TEXT_MAX, false)?,
            risk: Assessment { score: level_score(level), level, factors: Vec::new() },
            risk_override_reason: None,
            closure_code,
            closure_notes: None,
            review: None,
            decision_round: 1,
            // Only what the file says: a made-up time would skew the reports' lead times.
            submitted_at: created_at.filter(|_| state != ChangeState::Draft),
            decided_at,
            version: 1,
            created_at: created_at.unwrap_or(now),
            updated_at: closed_at.or(created_at).unwrap_or(now),
            // One waiting for the CAB waits from its import (reminders count from then).
            authorized_at: (state == ChangeState::Authorize).then_some(now),
        };
        Ok(Checked {
            to_assess,
            change,
            ci_ids,
            original_state: state_text.to_owned(),
            original_requester,
            original_implementer,
            created_at,
            closed_at,
        })
    }

    /// What it did so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Records the import as a whole (not on a dry run) and gives the report.
    pub fn finish(self, ctx: &Ctx) -> ServiceResult<Report> {
        finish(ctx, "import_changes", &self.options, self.report)
    }
}

/// A row that passed, and what it said.
struct Checked {
    /// Put to assessment for want of a window (see `check`).
    to_assess: bool,
    change: Change,
    ci_ids: std::collections::BTreeSet<CiId>,
    original_state: String,
    original_requester: String,
    original_implementer: String,
    created_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

/// The score an imported level stands for: the lowest score of that level.
fn level_score(level: RiskLevel) -> u32 {
    match level {
        RiskLevel::Low => 0,
        RiskLevel::Medium => 5,
        RiskLevel::High => 10,
        RiskLevel::VeryHigh => 15,
    }
}

fn finish(ctx: &Ctx, action: &'static str, options: &Options, report: Report) -> ServiceResult<Report> {
    if options.dry_run {
        return Ok(report);
    }
    let now = ctx.clock.now();
    ctx.db.write(|conn| -> ServiceResult<()> {
        let payload = json!({
            "import": report.import_id,
            "source": report.source,
            "file": options.file,
            "read": report.read,
            "imported": report.imported,
            "already": report.already,
            "rejected": report.rejected.len(),
        });
        record(conn, Event::general(None, action, payload), now)?;
        Ok(())
    })?;
    Ok(report)
}

/// A CI import under way.
pub struct CiImport {
    columns: Columns,
    options: Options,
    owner: Option<String>,
    names: HashSet<String>,
    report: Report,
}

impl CiImport {
    pub fn begin(ctx: &Ctx, headers: &[&str], options: Options) -> ServiceResult<CiImport> {
        let source = source_of(&options, headers)?;
        let columns = Columns::find(headers, map::CI_FIELDS, source);
        require_columns(&columns, map::CI_REQUIRED, headers)?;
        let owner =
            match &options.owner {
                Some(email) => Some(super::users::parse_email(email).map_err(|_| {
                    ServiceError::BadRequest(format!("--owner {email} is not an email address"))
                })?),
                None => None,
            };
        let names = ctx.db.query(repo::ci_names)?.into_iter().map(|(_, name)| name.to_lowercase()).collect();
        let report =
            Report { import_id: import_id(ctx.clock.now()), source: Some(source), ..Report::default() };
        Ok(CiImport { columns, options, owner, names, report })
    }

    /// Checks a batch and writes what passes in one transaction, an audit event each.
    pub fn batch(&mut self, ctx: &Ctx, rows: &[Row]) -> ServiceResult<()> {
        self.report.read += rows.len();
        let mut checked = Vec::new();
        for row in rows {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            let name = self.columns.get(&cells, Field::Name).to_owned();
            match self.check(&cells) {
                Err(reason) => self.report.rejected.push(Rejected { line: row.line, id: name, reason }),
                Ok(_) if self.names.contains(&name.to_lowercase()) => self.report.already += 1,
                Ok(ci) => {
                    self.names.insert(name.to_lowercase());
                    checked.push((row.line, ci));
                }
            }
        }
        let imported = checked.len();
        if self.options.dry_run || checked.is_empty() {
            self.report.imported += imported;
            return Ok(());
        }
        let now = ctx.clock.now();
        let (import_id, file) = (self.report.import_id.clone(), self.options.file.clone());
        ctx.db.write(|conn| -> ServiceResult<()> {
            for (line, (name, kind, criticality, owner)) in &checked {
                let ci = cis::insert(conn, name, kind, *criticality, owner)?;
                let payload = json!({ "ci_id": ci.id, "name": ci.name, "criticality": ci.criticality, "import": import_id, "file": file, "line": line });
                record(conn, Event::general(None, "create_ci", payload), now)?;
            }
            Ok(())
        })?;
        self.report.imported += imported;
        Ok(())
    }

    /// One row as `(name, kind, criticality, owner email)`, or why not.
    fn check(&self, cells: &[&str]) -> Result<(String, String, i32, String), String> {
        let get = |field| self.columns.get(cells, field);
        let plain = |field: Field, max: usize| -> Result<String, String> {
            let value = get(field);
            if value.chars().any(char::is_control) {
                return Err(format!("{field} holds a control character"));
            }
            if value.chars().count() > max {
                return Err(format!("{field} is longer than {max} characters"));
            }
            Ok(value.to_owned())
        };
        let name = plain(Field::Name, 200)?;
        if name.is_empty() {
            return Err("no name".into());
        }
        let kind = match plain(Field::Kind, 100)? {
            kind if kind.is_empty() => "other".to_owned(),
            kind => kind.to_lowercase(),
        };
        let criticality = map::criticality(get(Field::Criticality)).ok_or_else(|| {
            format!("criticality `{}` is not 1–4, high, medium or low", get(Field::Criticality))
        })?;
        let owner = match get(Field::Owner) {
            "" => self.owner.clone().ok_or("no owner: give one in the file, or --owner")?,
            email => super::users::parse_email(email)
                .map_err(|_| format!("the owner `{email}` is not an email address"))?,
        };
        Ok((name, kind, criticality, owner))
    }

    /// What it did so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    pub fn finish(self, ctx: &Ctx) -> ServiceResult<Report> {
        finish(ctx, "import_cis", &self.options, self.report)
    }
}
