//! Change requests, their CIs and risk answers.

use super::schema::{change_cis, changes, deleted_changes, risk_answers};
use super::within::{any_of, one_of};
use super::DbConn;
use crate::domain::change::{Change, ChangeState, ChangeType, ClosureCode, Window, MAX_WINDOW_DAYS};
use crate::domain::ids::{ChangeId, CiId, TemplateId, UserId};
use crate::domain::risk::{Assessment, Factor, RiskLevel};
use crate::domain::schedule::Booked;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn to_utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

pub(crate) fn to_naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

/// A stored TEXT that must name an enum value; anything else is a corrupt row.
pub(crate) fn parse_text<T: std::str::FromStr>(text: &str) -> QueryResult<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// A change as stored. Inserted many at once (an import) without its id, and with a
/// `None` as NULL: SQLite has no DEFAULT in a multi-row insert.
#[derive(Queryable, Selectable, Identifiable, AsChangeset, Insertable)]
#[diesel(table_name = changes, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(super) struct ChangeRow {
    #[diesel(skip_insertion)]
    pub(super) id: i32,
    title: String,
    title_search: String,
    description: String,
    justification: String,
    change_type: String,
    state: String,
    requester_id: i32,
    implementer_id: Option<i32>,
    template_id: Option<i32>,
    planned_start: Option<NaiveDateTime>,
    planned_end: Option<NaiveDateTime>,
    actual_start: Option<NaiveDateTime>,
    actual_end: Option<NaiveDateTime>,
    implementation_plan: String,
    backout_plan: String,
    test_plan: String,
    risk_score: i32,
    risk_level: String,
    risk_factors: String,
    risk_override_reason: Option<String>,
    closure_code: Option<String>,
    closure_notes: Option<String>,
    review: Option<String>,
    decision_round: i32,
    submitted_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    authorized_at: Option<NaiveDateTime>,
    template_version: Option<i32>,
}

impl ChangeRow {
    pub(super) fn from_change(c: &Change) -> ChangeRow {
        ChangeRow {
            id: c.id.0,
            title: c.title.clone(),
            title_search: search_key(&c.title),
            description: c.description.clone(),
            justification: c.justification.clone(),
            change_type: c.change_type.as_str().to_owned(),
            state: c.state.as_str().to_owned(),
            requester_id: c.requester_id.0,
            implementer_id: c.implementer_id.map(|u| u.0),
            template_id: c.template_id.map(|t| t.0),
            planned_start: c.planned_start.map(to_naive),
            planned_end: c.planned_end.map(to_naive),
            actual_start: c.actual_start.map(to_naive),
            actual_end: c.actual_end.map(to_naive),
            implementation_plan: c.implementation_plan.clone(),
            backout_plan: c.backout_plan.clone(),
            test_plan: c.test_plan.clone(),
            risk_score: c.risk.score as i32,
            risk_level: c.risk.level.as_str().to_owned(),
            risk_factors: serde_json::to_string(&c.risk.factors).unwrap_or_else(|_| "[]".into()),
            risk_override_reason: c.risk_override_reason.clone(),
            closure_code: c.closure_code.map(|code| code.as_str().to_owned()),
            closure_notes: c.closure_notes.clone(),
            review: c.review.clone(),
            decision_round: c.decision_round,
            submitted_at: c.submitted_at.map(to_naive),
            decided_at: c.decided_at.map(to_naive),
            version: c.version,
            created_at: to_naive(c.created_at),
            updated_at: to_naive(c.updated_at),
            authorized_at: c.authorized_at.map(to_naive),
            template_version: c.template_version,
        }
    }

    pub(super) fn into_change(self) -> QueryResult<Change> {
        let factors: Vec<Factor> = serde_json::from_str(&self.risk_factors)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        Ok(Change {
            id: ChangeId(self.id),
            title: self.title,
            description: self.description,
            justification: self.justification,
            change_type: parse_text::<ChangeType>(&self.change_type)?,
            state: parse_text::<ChangeState>(&self.state)?,
            requester_id: UserId(self.requester_id),
            implementer_id: self.implementer_id.map(UserId),
            template_id: self.template_id.map(TemplateId),
            template_version: self.template_version,
            planned_start: self.planned_start.map(to_utc),
            planned_end: self.planned_end.map(to_utc),
            actual_start: self.actual_start.map(to_utc),
            actual_end: self.actual_end.map(to_utc),
            implementation_plan: self.implementation_plan,
            backout_plan: self.backout_plan,
            test_plan: self.test_plan,
            risk: Assessment {
                score: self.risk_score.max(0) as u32,
                level: parse_text::<RiskLevel>(&self.risk_level)?,
                factors,
            },
            risk_override_reason: self.risk_override_reason,
            closure_code: self.closure_code.as_deref().map(parse_text::<ClosureCode>).transpose()?,
            closure_notes: self.closure_notes,
            review: self.review,
            decision_round: self.decision_round,
            submitted_at: self.submitted_at.map(to_utc),
            decided_at: self.decided_at.map(to_utc),
            version: self.version,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
            authorized_at: self.authorized_at.map(to_utc),
        })
    }
}

/// Lower-cased title for case-insensitive search that behaves alike on both backends.
pub fn search_key(text: &str) -> String {
    text.to_lowercase()
}

/// Inserts a new change (its `id` is ignored) and returns the assigned id.
pub fn insert(conn: &mut DbConn, change: &Change) -> QueryResult<ChangeId> {
    let row = ChangeRow::from_change(change);
    let id: i32 = diesel::insert_into(changes::table)
        .values((
            changes::title.eq(&row.title),
            changes::title_search.eq(&row.title_search),
            changes::description.eq(&row.description),
            changes::justification.eq(&row.justification),
            changes::change_type.eq(&row.change_type),
            changes::state.eq(&row.state),
            changes::requester_id.eq(row.requester_id),
            changes::implementer_id.eq(row.implementer_id),
            changes::template_id.eq(row.template_id),
            changes::template_version.eq(row.template_version),
            changes::planned_start.eq(row.planned_start),
            changes::planned_end.eq(row.planned_end),
            changes::implementation_plan.eq(&row.implementation_plan),
            changes::backout_plan.eq(&row.backout_plan),
            changes::test_plan.eq(&row.test_plan),
            changes::risk_score.eq(row.risk_score),
            changes::risk_level.eq(&row.risk_level),
            changes::risk_factors.eq(&row.risk_factors),
            changes::version.eq(row.version),
            changes::created_at.eq(row.created_at),
            changes::updated_at.eq(row.updated_at),
        ))
        .returning(changes::id)
        .get_result(conn)?;
    Ok(ChangeId(id))
}

/// Rows one insert statement carries (31 parameters each, inside SQLite's limit).
const INSERT_MANY_BATCH: usize = 500;

/// Inserts `many` changes with every field as given (state, dates, closure: an import),
/// in as few statements as the batch size allows; their ids, in the order given (ids
/// are assigned in the order of a statement's rows on both backends).
pub fn insert_many(conn: &mut DbConn, many: &[Change]) -> QueryResult<Vec<ChangeId>> {
    let mut ids = Vec::with_capacity(many.len());
    for chunk in many.chunks(INSERT_MANY_BATCH) {
        let rows: Vec<ChangeRow> = chunk.iter().map(ChangeRow::from_change).collect();
        let mut made: Vec<i32> = match conn {
            DbConn::Sqlite(conn) => {
                diesel::insert_into(changes::table).values(&rows).returning(changes::id).get_results(conn)?
            }
            DbConn::Pg(conn) => {
                diesel::insert_into(changes::table).values(&rows).returning(changes::id).get_results(conn)?
            }
        };
        made.sort_unstable();
        ids.extend(made.into_iter().map(ChangeId));
    }
    Ok(ids)
}

/// Writes every field of `change` if the stored version is still `change.version - 1`.
/// Returns false when someone else saved first.
pub fn save(conn: &mut DbConn, change: &Change) -> QueryResult<bool> {
    let row = ChangeRow::from_change(change);
    let updated = diesel::update(changes::table)
        .filter(changes::id.eq(row.id))
        .filter(changes::version.eq(row.version - 1))
        .set(&row)
        .execute(conn)?;
    Ok(updated == 1)
}

/// Not a deleted draft (an index lookup on `deleted_changes`' key).
pub(crate) fn not_deleted() -> diesel::dsl::not<
    diesel::dsl::exists<
        diesel::dsl::Filter<deleted_changes::table, diesel::dsl::Eq<deleted_changes::change_id, changes::id>>,
    >,
> {
    diesel::dsl::not(diesel::dsl::exists(
        deleted_changes::table.filter(deleted_changes::change_id.eq(changes::id)),
    ))
}

/// Deletes a draft: it is kept (its trail points at it) but found and listed no more.
/// The caller has found it (not deleted yet) in the same transaction.
pub fn mark_deleted(conn: &mut DbConn, id: ChangeId, now: DateTime<Utc>) -> QueryResult<bool> {
    let added = diesel::insert_into(deleted_changes::table)
        .values((deleted_changes::change_id.eq(id.0), deleted_changes::deleted_at.eq(to_naive(now))))
        .execute(conn)?;
    Ok(added == 1)
}

/// The change `id`, unless it is a deleted draft.
pub fn find(conn: &mut DbConn, id: ChangeId) -> QueryResult<Option<Change>> {
    changes::table
        .find(id.0)
        .filter(not_deleted())
        .select(ChangeRow::as_select())
        .first(conn)
        .optional()?
        .map(ChangeRow::into_change)
        .transpose()
}

/// Filters of the change list; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Any of these states; empty: every state.
    pub states: Vec<ChangeState>,
    pub change_type: Option<ChangeType>,
    pub risk: Option<RiskLevel>,
    pub ci: Option<CiId>,
    /// Planned window overlaps `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Words in the title or description (full-text, each word a prefix), or the
    /// change's reference.
    pub query: Option<String>,
    pub requester: Option<UserId>,
    pub implementer: Option<UserId>,
    /// Requested or implemented by this person.
    pub involving: Option<UserId>,
    /// Linked to this service-desk record (raised from it, or caused it).
    pub incident: Option<crate::domain::incident::IncidentId>,
    pub order: ListOrder,
}

/// How a change list is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first (the default).
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Highest risk score first, then oldest (the CAB queue).
    RiskFirst,
    /// Lowest risk score first, then oldest (the `(risk_score, id)` index forwards).
    RiskLast,
    /// Highest risk score first, then newest (the same index backwards).
    RiskHighest,
    /// Soonest planned start first (upcoming work; for changes that all have a window).
    Soonest,
    /// By planned start, earliest first, changes without a window last (both databases).
    StartAscending,
    /// By planned start, latest first, changes without a window last.
    StartDescending,
}

/// The words of a search as the full-text indexes hold them: runs of letters and digits,
/// lower-cased, each once (at most 8).
pub fn search_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if !words.contains(&word) && words.len() < 8 {
            words.push(word);
        }
    }
    words
}

/// The text PostgreSQL's full-text index is built on (`changes_fulltext`), word for word
/// as the migration writes it, so the planner uses the index: title and description with
/// punctuation (ASCII, Latin-1's « » ¿ …, and the general punctuation block's dashes and
/// quotes) read as spaces, as SQLite's FTS5 `unicode61` tokenizer reads it, whatever the
/// database's character locale.
/// `table` is the name the query gives `changes`.
fn pg_document(table: &str) -> String {
    format!(
        "to_tsvector('simple', regexp_replace({table}.title || ' ' || {table}.description, '[!-/:-@[-`{{-~\\u00a0-\\u00bf\\u2000-\\u206f]+', ' ', 'g'))"
    )
}

/// How a list query uses the full-text match on PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// For a page in the list's order: the matching ids first, once (an InitPlan over the
    /// GIN index), so the planner never walks the order computing each row's words.
    Ids,
    /// For a count: the match itself, which the planner answers from the GIN index.
    Rows,
}

/// The full-text match cut to the first `n` matches in id order (newest first when
/// `descending`), read in that order from the index: a first try at a page or a count
/// that would otherwise take every match (`list`, `page`).
#[derive(Clone, Copy)]
struct Narrow {
    n: i64,
    descending: bool,
}

/// Changes whose title or description holds every one of `words` (as a word prefix):
/// FTS5 on SQLite, a `tsvector` GIN index on PostgreSQL; on SQLite only the first
/// `narrow.n` matches in id order when narrowed.
fn full_text(
    words: &[String],
    postgres: bool,
    matching: Matching,
    narrow: Option<Narrow>,
) -> Box<dyn BoxableExpression<changes::table, super::MultiBackend, SqlType = diesel::sql_types::Bool>> {
    use diesel::sql_types::{BigInt, Bool, Text};
    // The words are letters and digits only, so neither query language sees an operator.
    match postgres {
        // Never narrowed (`narrowable`).
        true => {
            let query = words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ");
            let sql = match matching {
                Matching::Ids => format!(
                    "changes.id = ANY(ARRAY(SELECT fts.id FROM changes fts WHERE {} @@ to_tsquery('simple', ",
                    pg_document("fts")
                ),
                Matching::Rows => format!("({} @@ to_tsquery('simple', ", pg_document("changes")),
            };
            let close = if matching == Matching::Ids { ")))" } else { "))" };
            Box::new(diesel::dsl::sql::<Bool>(&sql).bind::<Text, _>(query).sql(close))
        }
        false => {
            let query = words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ");
            let matches = "changes.id IN (SELECT rowid FROM changes_fts WHERE changes_fts MATCH ";
            match narrow {
                Some(narrow) => Box::new(
                    diesel::dsl::sql::<Bool>(matches)
                        .bind::<Text, _>(query)
                        .sql(if narrow.descending {
                            " ORDER BY rowid DESC LIMIT "
                        } else {
                            " ORDER BY rowid LIMIT "
                        })
                        .bind::<BigInt, _>(narrow.n)
                        .sql(")"),
                ),
                None => Box::new(diesel::dsl::sql::<Bool>(matches).bind::<Text, _>(query).sql(")")),
            }
        }
    }
}

/// Whether a list can be read from its newest (or oldest) full-text matches first: words
/// to search for, no reference among them, and the list in id order. `Some(descending)`.
/// SQLite only: FTS5 reads its matches in rowid order as asked, and without it SQLite
/// gathers every match before the first row (PostgreSQL's GIN index gives no order either
/// way, and its planner chooses for itself).
fn narrowable(conn: &DbConn, filter: &ListFilter) -> Option<bool> {
    if matches!(conn, DbConn::Pg(_)) {
        return None;
    }
    let text = filter.query.as_deref()?;
    let by_reference = ChangeId::parse(text.trim().trim_start_matches('#')).is_some();
    if by_reference || search_words(text).is_empty() {
        return None;
    }
    match filter.order {
        ListOrder::Newest => Some(true),
        ListOrder::Oldest => Some(false),
        _ => None,
    }
}

/// Which rows a list query takes, as to deleted drafts.
#[derive(Clone, Copy)]
enum Deleted {
    /// None of them: what every list shows.
    Hidden,
    /// All rows, deleted or not (PostgreSQL's count of what matches, from the match alone).
    Counted,
    /// Only them (few: counted and taken off the count above).
    Only,
}

fn filtered<'a>(
    filter: &'a ListFilter,
    postgres: bool,
    deleted: Deleted,
    narrow: Option<Narrow>,
) -> changes::BoxedQuery<'a, super::MultiBackend> {
    // A deleted draft is in no list.
    let mut query = changes::table.into_boxed();
    let matching = match deleted {
        Deleted::Hidden => Matching::Ids,
        Deleted::Counted | Deleted::Only => Matching::Rows,
    };
    query = match deleted {
        Deleted::Hidden => query.filter(not_deleted()),
        Deleted::Counted => query,
        Deleted::Only => {
            query.filter(changes::id.eq_any(deleted_changes::table.select(deleted_changes::change_id)))
        }
    };
    if !filter.states.is_empty() {
        query = query.filter(one_of(changes::state, filter.states.iter().map(|s| s.as_str())));
    }
    if let Some(ty) = filter.change_type {
        query = query.filter(changes::change_type.eq(ty.as_str()));
    }
    if let Some(level) = filter.risk {
        query = query.filter(changes::risk_level.eq(level.as_str()));
    }
    if let Some(ci) = filter.ci {
        let with_ci = change_cis::table.filter(change_cis::ci_id.eq(ci.0)).select(change_cis::change_id);
        query = query.filter(changes::id.eq_any(with_ci));
    }
    if let Some(from) = filter.from {
        query = query
            .filter(changes::planned_end.gt(to_naive(from)))
            .filter(changes::planned_start.gt(to_naive(earliest_start(from))));
    }
    if let Some(to) = filter.to {
        query = query.filter(changes::planned_start.lt(to_naive(to)));
    }
    if let Some(text) = &filter.query {
        let words = search_words(text);
        // A reference (`CHG-000051`, `chg-51`, `51`, `#51`) finds that change too, by its key.
        let reference = ChangeId::parse(text.trim().trim_start_matches('#'));
        query = match (reference, words.is_empty()) {
            (Some(id), true) => query.filter(changes::id.eq(id.0)),
            (Some(id), false) => {
                query.filter(changes::id.eq(id.0).or(full_text(&words, postgres, matching, None)))
            }
            (None, false) => query.filter(full_text(&words, postgres, matching, narrow)),
            // Nothing to search for (only punctuation): nothing matches.
            (None, true) => query.filter(changes::id.eq(-1)),
        };
    }
    if let Some(requester) = filter.requester {
        query = query.filter(changes::requester_id.eq(requester.0));
    }
    if let Some(implementer) = filter.implementer {
        query = query.filter(changes::implementer_id.eq(implementer.0));
    }
    if let Some(incident) = &filter.incident {
        use super::schema::change_incidents;
        let linked = change_incidents::table
            .filter(change_incidents::incident.eq(incident.as_str()))
            .select(change_incidents::change_id);
        query = query.filter(changes::id.eq_any(linked));
    }
    if let Some(person) = filter.involving {
        query = query.filter(changes::requester_id.eq(person.0).or(changes::implementer_id.eq(person.0)));
    }
    query
}

/// The earliest start of a window that can still reach `from`: windows are at most
/// `MAX_WINDOW_DAYS` long, so the index on `planned_start` bounds the scan on both sides.
fn earliest_start(from: DateTime<Utc>) -> DateTime<Utc> {
    from - chrono::Duration::days(MAX_WINDOW_DAYS)
}

/// How many matches past the page's offset a list counts: beyond that it says "more than"
/// (GitLab's lists stop at 1,000 alike). Counting every match grew with the table: 1.5 ms
/// at 10,000 changes, 9 ms at 1,000,000 (bench/RESULTS.md).
pub const COUNT_AHEAD: i64 = 1_000;

/// How many changes match a list's filter, counted up to `COUNT_AHEAD` past its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchCount {
    /// The matches, or where counting stopped when `capped`.
    pub total: i64,
    /// More than `total` changes match.
    pub capped: bool,
}

/// One page of changes, in the filter's order, and how many match the filter (counted as
/// far as `COUNT_AHEAD` past `offset`).
pub fn list(
    conn: &mut DbConn,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Change>, MatchCount)> {
    let postgres = matches!(conn, DbConn::Pg(_));
    let stop = offset.saturating_add(COUNT_AHEAD);
    let matching = |conn: &mut DbConn, deleted, reach, narrow| -> QueryResult<i64> {
        CountRows(filtered(filter, postgres, deleted, narrow).select(changes::id).limit(reach))
            .get_result(conn)
    };
    let live = match postgres {
        // From the match itself (a bitmap scan of the GIN index), without the per-row
        // check for deleted drafts, less the deleted drafts that match (a handful),
        // counted first so that the capped count reaches `stop` live changes.
        true => {
            let deleted: i64 = filtered(filter, postgres, Deleted::Only, None).count().get_result(conn)?;
            let reach = stop.saturating_add(deleted).saturating_add(1);
            matching(conn, Deleted::Counted, reach, None)? - deleted
        }
        // The live changes, a key lookup each for the deleted drafts (at most `stop + 1`;
        // counting the deleted drafts that match apart would read a word's every match).
        // A common word: `reach` among its newest matches already say "more than"; only
        // otherwise are all its matches read (one change in ten matches 100,000 of a
        // million).
        false => {
            let reach = stop.saturating_add(1);
            let narrow = narrowable(conn, filter).map(|descending| Narrow { n: reach, descending });
            match narrow.map(|narrow| matching(conn, Deleted::Hidden, reach, Some(narrow))).transpose()? {
                Some(reached) if reached == reach => reached,
                _ => matching(conn, Deleted::Hidden, reach, None)?,
            }
        }
    };
    let counted = match live > stop {
        true => MatchCount { total: stop, capped: true },
        false => MatchCount { total: live, capped: false },
    };
    Ok((page(conn, filter, limit, offset)?, counted))
}

/// `SELECT COUNT(*) FROM (query)`: the rows of a query with a `LIMIT`, which `.count()`
/// would count before the limit.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct CountRows<Q>(Q);

impl<Q> diesel::query_builder::Query for CountRows<Q> {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Q, C> RunQueryDsl<C> for CountRows<Q> {}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for CountRows<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") counted");
        Ok(())
    }
}

/// One page of changes, in the filter's order, without counting what matches: for the
/// queue, the desk and "awaiting my vote", which show no total (counting every open
/// change grew with the table: 10 ms of "awaiting my vote" at 100,000 changes, 45 ms at
/// 1,000,000; bench/RESULTS.md).
pub fn page(conn: &mut DbConn, filter: &ListFilter, limit: i64, offset: i64) -> QueryResult<Vec<Change>> {
    // Words, newest (or oldest) first: the page is first looked for among the first
    // matches in that order. A full page found there is the page (the list is in id order,
    // and every match left out comes after them); otherwise every match is read.
    if let Some(descending) = narrowable(conn, filter) {
        let n = offset.saturating_add(limit).saturating_add(COUNT_AHEAD);
        let rows = page_of(conn, filter, limit, offset, Some(Narrow { n, descending }))?;
        if rows.len() as i64 == limit {
            return Ok(rows);
        }
    }
    page_of(conn, filter, limit, offset, None)
}

fn page_of(
    conn: &mut DbConn,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
    narrow: Option<Narrow>,
) -> QueryResult<Vec<Change>> {
    let postgres = matches!(conn, DbConn::Pg(_));
    let query = filtered(filter, postgres, Deleted::Hidden, narrow);
    let no_window = changes::planned_start.is_null();
    let ordered = match filter.order {
        ListOrder::Newest => query.order(changes::id.desc()),
        ListOrder::Oldest => query.order(changes::id.asc()),
        ListOrder::RiskFirst => query.order((changes::risk_score.desc(), changes::id.asc())),
        ListOrder::RiskHighest => query.order((changes::risk_score.desc(), changes::id.desc())),
        ListOrder::RiskLast => query.order((changes::risk_score.asc(), changes::id.asc())),
        ListOrder::Soonest => query.order((changes::planned_start.asc(), changes::id.asc())),
        ListOrder::StartAscending => {
            query.order((no_window, changes::planned_start.asc(), changes::id.asc()))
        }
        ListOrder::StartDescending => {
            query.order((no_window, changes::planned_start.desc(), changes::id.desc()))
        }
    };
    let rows: Vec<ChangeRow> =
        ordered.limit(limit).offset(offset).select(ChangeRow::as_select()).load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// Changes in `states` whose planned window overlaps `[from, to)`, by start: an index
/// range on `planned_start` from both sides (windows are at most `MAX_WINDOW_DAYS`).
fn overlapping<'a>(
    states: &[ChangeState],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> changes::BoxedQuery<'a, super::MultiBackend> {
    changes::table
        .filter(one_of(changes::state, states.iter().map(|s| s.as_str())))
        .filter(changes::planned_start.lt(to_naive(to)))
        .filter(changes::planned_start.gt(to_naive(earliest_start(from))))
        .filter(changes::planned_end.gt(to_naive(from)))
        .order(changes::planned_start.asc())
        .into_boxed()
}

/// The changes holding a window (`ChangeState::holds_window`) on one of `ci_ids` that
/// overlaps `[from, to)`: read from `change_cis_held`, each CI's bookings by start, which
/// the triggers of migration `2026-12-02-000032` keep with the change's window and state.
/// A few rows for each CI, however many changes it has had.
/// (A macro: a boxed subquery is not a fragment of each backend's statement.)
macro_rules! held_on_cis {
    ($ci_ids:expr, $from:expr, $to:expr) => {
        change_cis::table
            .filter(any_of(change_cis::ci_id, $ci_ids))
            .filter(change_cis::holds)
            .filter(change_cis::planned_start.lt(to_naive($to)))
            .filter(change_cis::planned_start.gt(to_naive(earliest_start($from))))
            .filter(change_cis::planned_end.gt(to_naive($from)))
    };
}

/// A window a change holds, read for what a conflict with it names (`Booked`): not the
/// rest of the change (its texts, plans and risk), which the conflicts of a busy month
/// would otherwise decode hundreds of times (bench/RESULTS.md, the CAB queue page's
/// profile).
#[derive(Queryable, Selectable)]
#[diesel(table_name = changes)]
struct HoldingRow {
    id: i32,
    title: String,
    planned_start: Option<NaiveDateTime>,
    planned_end: Option<NaiveDateTime>,
    implementer_id: Option<i32>,
}

impl HoldingRow {
    /// As a booking on `ci_ids` (a change holds a window only with both ends: `CHECK`
    /// and the lifecycle see to it; a row without is no booking).
    fn booked(self, ci_ids: BTreeSet<CiId>) -> Option<Booked> {
        Some(Booked {
            id: ChangeId(self.id),
            title: self.title,
            window: Window::new(to_utc(self.planned_start?), to_utc(self.planned_end?))?,
            ci_ids,
            implementer: self.implementer_id.map(UserId),
        })
    }
}

fn holding_states() -> Vec<ChangeState> {
    ChangeState::ALL.iter().copied().filter(|s| s.holds_window()).collect()
}

/// Of the windows held on one of `ci_ids` that overlap `[from, to)`, the CIs each is on
/// among `ci_ids` (through `change_cis_held`).
fn held_cis(
    conn: &mut DbConn,
    ci_ids: &BTreeSet<CiId>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> QueryResult<BTreeMap<i32, BTreeSet<CiId>>> {
    if ci_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let pairs: Vec<(i32, i32)> = held_on_cis!(ci_ids.iter().map(|c| c.0), from, to)
        .select((change_cis::change_id, change_cis::ci_id))
        .load(conn)?;
    let mut map: BTreeMap<i32, BTreeSet<CiId>> = BTreeMap::new();
    for (change, ci) in pairs {
        map.entry(change).or_default().insert(CiId(ci));
    }
    Ok(map)
}

/// `rows` (windows held overlapping `[from, to)`) as bookings on their CIs among `ci_ids`,
/// read in one statement (`held_cis`).
fn booked_on(
    conn: &mut DbConn,
    rows: Vec<HoldingRow>,
    ci_ids: &BTreeSet<CiId>,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> QueryResult<Vec<Booked>> {
    let mut cis = held_cis(conn, ci_ids, window)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let on = cis.remove(&row.id).unwrap_or_default();
            row.booked(on)
        })
        .collect())
}

/// The windows held (`ChangeState::holds_window`) that overlap `[from, to)`, by start,
/// as bookings on their CIs among `ci_ids`: what their conflicts with changes on those
/// CIs need (a conflict names only the CIs both share).
pub fn holding_in_window(
    conn: &mut DbConn,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    ci_ids: &BTreeSet<CiId>,
    limit: i64,
) -> QueryResult<Vec<Booked>> {
    let rows: Vec<HoldingRow> =
        overlapping(&holding_states(), from, to).limit(limit).select(HoldingRow::as_select()).load(conn)?;
    booked_on(conn, rows, ci_ids, (from, to))
}

/// A change on the calendar: what its entry shows and its conflicts need, read without
/// its texts, plans and risk (a month holds up to 2,000: decoding whole changes was most
/// of the month page's time; bench/RESULTS.md).
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: ChangeId,
    pub title: String,
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub window: Window,
    pub implementer: Option<UserId>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = changes)]
struct EntryRow {
    id: i32,
    title: String,
    change_type: String,
    state: String,
    planned_start: Option<NaiveDateTime>,
    planned_end: Option<NaiveDateTime>,
    implementer_id: Option<i32>,
}

/// As `in_window`, each change as its calendar entry.
pub fn entries_in_window(
    conn: &mut DbConn,
    states: &[ChangeState],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let rows: Vec<EntryRow> =
        overlapping(states, from, to).limit(limit).select(EntryRow::as_select()).load(conn)?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        // The query asks for both ends (`overlapping`).
        let (Some(start), Some(end)) = (row.planned_start, row.planned_end) else { continue };
        let Some(window) = Window::new(to_utc(start), to_utc(end)) else { continue };
        entries.push(Entry {
            id: ChangeId(row.id),
            title: row.title,
            change_type: parse_text(&row.change_type)?,
            state: parse_text(&row.state)?,
            window,
            implementer: row.implementer_id.map(UserId),
        });
    }
    Ok(entries)
}

/// Changes in the given states whose planned window overlaps `[from, to)`, by start.
pub fn in_window(
    conn: &mut DbConn,
    states: &[ChangeState],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let rows: Vec<ChangeRow> =
        overlapping(states, from, to).limit(limit).select(ChangeRow::as_select()).load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// As `in_window`, only the changes on one of `ci_ids` (filtered in the query, so the
/// `limit` counts only those).
pub fn in_window_on_cis(
    conn: &mut DbConn,
    states: &[ChangeState],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    ci_ids: &BTreeSet<CiId>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let raw: Vec<i32> = ci_ids.iter().map(|c| c.0).collect();
    let on_cis = change_cis::table.filter(any_of(change_cis::ci_id, raw)).select(change_cis::change_id);
    let rows: Vec<ChangeRow> = overlapping(states, from, to)
        .filter(changes::id.eq_any(on_cis))
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// The windows held that overlap `[from, to)` and could conflict with a change on
/// `ci_ids` by `implementer`, by start, as bookings on their CIs among `ci_ids` (what a
/// conflict names): those on one of the CIs (with those CIs, in one statement, through
/// `change_cis_held`) or with that implementer (by `(implementer_id, planned_start)`).
/// Two statements, each on its own index: as one with `OR`, SQLite scans every window
/// held in the month around it instead (a busy month holds hundreds, of which a few touch
/// one change).
pub fn holding_touching(
    conn: &mut DbConn,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    (ci_ids, implementer): (&BTreeSet<CiId>, Option<UserId>),
    limit: i64,
) -> QueryResult<Vec<Booked>> {
    let mut on_cis: BTreeMap<i32, (HoldingRow, BTreeSet<CiId>)> = BTreeMap::new();
    if !ci_ids.is_empty() {
        // A row for each CI a booking shares: the first `limit` bookings by start come
        // whole (a booking cut short lies past them, and is cut with them below).
        let pairs = limit.saturating_mul(i64::try_from(ci_ids.len()).unwrap_or(i64::MAX));
        let holding = holding_states();
        let rows: Vec<(HoldingRow, i32)> = held_on_cis!(ci_ids.iter().map(|c| c.0), from, to)
            .inner_join(changes::table)
            // The copy's state, checked against the change's own (what it costs: nothing,
            // the row is read anyway).
            .filter(one_of(changes::state, holding.iter().map(|s| s.as_str())))
            .order((change_cis::planned_start.asc(), change_cis::change_id.asc()))
            .limit(pairs)
            .select((HoldingRow::as_select(), change_cis::ci_id))
            .load(conn)?;
        for (row, ci) in rows {
            on_cis.entry(row.id).or_insert_with(|| (row, BTreeSet::new())).1.insert(CiId(ci));
        }
    }
    let mut found: Vec<Booked> = Vec::new();
    if let Some(implementer) = implementer {
        let rows: Vec<HoldingRow> = overlapping(&holding_states(), from, to)
            .filter(changes::implementer_id.eq(implementer.0))
            .limit(limit)
            .select(HoldingRow::as_select())
            .load(conn)?;
        // One on none of the CIs shares none with the change.
        found.extend(
            rows.into_iter()
                .filter(|row| !on_cis.contains_key(&row.id))
                .filter_map(|row| row.booked(BTreeSet::new())),
        );
    }
    found.extend(on_cis.into_values().filter_map(|(row, cis)| row.booked(cis)));
    found.sort_by_key(|b| (b.window.start(), b.id));
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}

/// The CIs of each of `ids`, in one query.
pub fn ci_ids_of(conn: &mut DbConn, ids: &[ChangeId]) -> QueryResult<BTreeMap<ChangeId, BTreeSet<CiId>>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let raw: Vec<i32> = ids.iter().map(|id| id.0).collect();
    let pairs: Vec<(i32, i32)> = change_cis::table
        .filter(any_of(change_cis::change_id, raw))
        .select((change_cis::change_id, change_cis::ci_id))
        .load(conn)?;
    let mut map: BTreeMap<ChangeId, BTreeSet<CiId>> = ids.iter().map(|id| (*id, BTreeSet::new())).collect();
    for (change, ci) in pairs {
        map.entry(ChangeId(change)).or_default().insert(CiId(ci));
    }
    Ok(map)
}

/// The CIs of one change.
pub fn ci_ids_of_one(conn: &mut DbConn, id: ChangeId) -> QueryResult<BTreeSet<CiId>> {
    Ok(ci_ids_of(conn, &[id])?.remove(&id).unwrap_or_default())
}

/// Replaces the CIs of a change.
pub fn set_ci_ids(conn: &mut DbConn, id: ChangeId, ci_ids: &BTreeSet<CiId>) -> QueryResult<()> {
    diesel::delete(change_cis::table.filter(change_cis::change_id.eq(id.0))).execute(conn)?;
    let rows: Vec<_> =
        ci_ids.iter().map(|ci| (change_cis::change_id.eq(id.0), change_cis::ci_id.eq(ci.0))).collect();
    if !rows.is_empty() {
        super::insert_rows!(conn, change_cis::table, rows)?;
    }
    Ok(())
}

/// Whether a change on one of `ci_ids` closed as failed or backed out since `since`.
pub fn failed_on_cis_since(
    conn: &mut DbConn,
    ci_ids: &BTreeSet<CiId>,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    let raw: Vec<i32> = ci_ids.iter().map(|c| c.0).collect();
    let failures: Vec<&str> =
        ClosureCode::ALL.iter().filter(|c| c.is_failure()).map(|c| c.as_str()).collect();
    let found: Option<i32> = changes::table
        .inner_join(change_cis::table)
        .filter(any_of(change_cis::ci_id, raw))
        .filter(one_of(changes::closure_code, failures))
        .filter(changes::actual_end.ge(to_naive(since)))
        .select(changes::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The stored risk answers of a change, as `(question, answer)`.
pub fn risk_answers(conn: &mut DbConn, id: ChangeId) -> QueryResult<Vec<(String, String)>> {
    risk_answers::table
        .filter(risk_answers::change_id.eq(id.0))
        .select((risk_answers::question, risk_answers::answer))
        .load(conn)
}

/// The stored risk answers of each of `ids`, in one query.
pub fn risk_answers_of(
    conn: &mut DbConn,
    ids: &[ChangeId],
) -> QueryResult<BTreeMap<ChangeId, Vec<(String, String)>>> {
    let raw: Vec<i32> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<(i32, String, String)> = risk_answers::table
        .filter(any_of(risk_answers::change_id, raw))
        .select((risk_answers::change_id, risk_answers::question, risk_answers::answer))
        .load(conn)?;
    let mut map: BTreeMap<ChangeId, Vec<(String, String)>> = BTreeMap::new();
    for (change, question, answer) in rows {
        map.entry(ChangeId(change)).or_default().push((question, answer));
    }
    Ok(map)
}

/// Replaces the risk answers of a change.
pub fn set_risk_answers<'a>(
    conn: &mut DbConn,
    id: ChangeId,
    answers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> QueryResult<()> {
    diesel::delete(risk_answers::table.filter(risk_answers::change_id.eq(id.0))).execute(conn)?;
    let rows: Vec<_> = answers
        .into_iter()
        .map(|(question, answer)| {
            (
                risk_answers::change_id.eq(id.0),
                risk_answers::question.eq(question),
                risk_answers::answer.eq(answer),
            )
        })
        .collect();
    if !rows.is_empty() {
        super::insert_rows!(conn, risk_answers::table, rows)?;
    }
    Ok(())
}

/// Changes created in `[from, to)`, oldest first, at most `limit`.
pub fn created_between(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let rows: Vec<ChangeRow> = changes::table
        .filter(not_deleted())
        .filter(changes::created_at.ge(to_naive(from)))
        .filter(changes::created_at.lt(to_naive(to)))
        .order(changes::created_at.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// What a meeting's agenda is made of: the changes waiting for the CAB or in review, the
/// emergency changes decided in `(since, until]` and the changes that ended failed or
/// backed out then — three index ranges, each at most `limit` long.
pub fn agenda_candidates(
    conn: &mut DbConn,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let waiting: Vec<ChangeRow> = changes::table
        .filter(one_of(changes::state, [ChangeState::Authorize.as_str(), ChangeState::Review.as_str()]))
        .order(changes::id.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let emergencies: Vec<ChangeRow> = changes::table
        .filter(changes::decided_at.gt(to_naive(since)))
        .filter(changes::decided_at.le(to_naive(until)))
        .filter(changes::change_type.eq(ChangeType::Emergency.as_str()))
        .order(changes::decided_at.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let failed: Vec<ChangeRow> = changes::table
        .filter(changes::actual_end.gt(to_naive(since)))
        .filter(changes::actual_end.le(to_naive(until)))
        .filter(one_of(
            changes::closure_code,
            [ClosureCode::Failed.as_str(), ClosureCode::BackedOut.as_str()],
        ))
        .order(changes::actual_end.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let mut seen = std::collections::BTreeSet::new();
    waiting
        .into_iter()
        .chain(emergencies)
        .chain(failed)
        .filter(|row| seen.insert(row.id))
        .map(ChangeRow::into_change)
        .collect()
}

/// Changes holding a window (scheduled or in implementation) in `[from, to)` that share
/// one of `ci_ids` or have `implementer`: all that can conflict with a change on those CIs
/// by that implementer (two index ranges, not every booking of the period), as bookings on
/// their CIs among `ci_ids`.
pub fn holding_near(
    conn: &mut DbConn,
    ci_ids: &BTreeSet<CiId>,
    implementer: Option<UserId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Booked>> {
    let holding = ChangeState::ALL.iter().filter(|s| s.holds_window()).map(|s| s.as_str());
    let on_cis = held_on_cis!(ci_ids.iter().map(|c| c.0), from, to).select(change_cis::change_id);
    let by_implementer = implementer.map_or(-1, |u| u.0);
    let rows: Vec<HoldingRow> = changes::table
        .filter(one_of(changes::state, holding))
        .filter(changes::planned_start.lt(to_naive(to)))
        .filter(changes::planned_start.gt(to_naive(earliest_start(from))))
        .filter(changes::planned_end.gt(to_naive(from)))
        .filter(changes::id.eq_any(on_cis).or(changes::implementer_id.eq(by_implementer)))
        .order(changes::planned_start.asc())
        .limit(limit)
        .select(HoldingRow::as_select())
        .load(conn)?;
    booked_on(conn, rows, ci_ids, (from, to))
}

/// The titles of `ids`, in one query.
pub fn titles(conn: &mut DbConn, ids: &[ChangeId]) -> QueryResult<BTreeMap<ChangeId, String>> {
    let raw: Vec<i32> = ids.iter().map(|c| c.0).collect();
    let rows: Vec<(i32, String)> =
        changes::table.filter(any_of(changes::id, raw)).select((changes::id, changes::title)).load(conn)?;
    Ok(rows.into_iter().map(|(id, title)| (ChangeId(id), title)).collect())
}

/// Up to `limit` changes `user` is still to implement: not in review, not finished
/// (through the `changes_implementer` index).
pub fn pending_of_implementer(conn: &mut DbConn, user: UserId, limit: i64) -> QueryResult<Vec<Change>> {
    let open = ChangeState::ALL
        .iter()
        .filter(|s| !s.is_terminal() && **s != ChangeState::Review)
        .map(|s| s.as_str());
    changes::table
        .filter(changes::implementer_id.eq(user.0))
        .filter(one_of(changes::state, open))
        .filter(not_deleted())
        .order(changes::id.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ChangeRow::into_change)
        .collect()
}
