//! Standard change templates.

use super::changes::{to_naive, to_utc};
use super::schema::{template_cis, template_versions, templates};
use super::within::any_of;
use super::DbConn;
use crate::domain::ids::{CiId, TemplateId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::BTreeSet;

/// A pre-approved recipe for a standard change.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub description: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub max_duration_minutes: i32,
    pub ci_ids: BTreeSet<CiId>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    /// Retired templates start no new changes.
    pub retired: bool,
    /// Each save makes a new version; new changes use the latest, a change keeps the one
    /// it was made from.
    pub version: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = templates)]
struct TemplateRow {
    id: i32,
    name: String,
    description: String,
    implementation_plan: String,
    backout_plan: String,
    test_plan: String,
    max_duration_minutes: i32,
    created_by: i32,
    created_at: NaiveDateTime,
    retired_at: Option<NaiveDateTime>,
    version: i32,
}

pub fn insert(conn: &mut DbConn, t: &Template) -> QueryResult<TemplateId> {
    let id: i32 = diesel::insert_into(templates::table)
        .values((
            templates::name.eq(&t.name),
            templates::description.eq(&t.description),
            templates::implementation_plan.eq(&t.implementation_plan),
            templates::backout_plan.eq(&t.backout_plan),
            templates::test_plan.eq(&t.test_plan),
            templates::max_duration_minutes.eq(t.max_duration_minutes),
            templates::created_by.eq(t.created_by.0),
            templates::created_at.eq(to_naive(t.created_at)),
            templates::version.eq(t.version),
        ))
        .returning(templates::id)
        .get_result(conn)?;
    set_cis(conn, id, &t.ci_ids)?;
    keep_version(conn, &Template { id: TemplateId(id), ..t.clone() })?;
    Ok(TemplateId(id))
}

/// Keeps `t` (its content now, at its version) among its versions.
fn keep_version(conn: &mut DbConn, t: &Template) -> QueryResult<()> {
    let ci_ids: Vec<String> = t.ci_ids.iter().map(|c| c.0.to_string()).collect();
    diesel::insert_into(template_versions::table)
        .values((
            template_versions::template_id.eq(t.id.0),
            template_versions::version.eq(t.version),
            template_versions::name.eq(&t.name),
            template_versions::description.eq(&t.description),
            template_versions::implementation_plan.eq(&t.implementation_plan),
            template_versions::backout_plan.eq(&t.backout_plan),
            template_versions::test_plan.eq(&t.test_plan),
            template_versions::max_duration_minutes.eq(t.max_duration_minutes),
            template_versions::ci_ids.eq(ci_ids.join(",")),
            template_versions::created_by.eq(t.created_by.0),
            template_versions::created_at.eq(to_naive(t.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

type VersionRow = (i32, i32, String, String, String, String, String, i32, String, i32, NaiveDateTime);

fn version_of(row: VersionRow, retired: bool) -> Template {
    let (id, version, name, description, implementation_plan, backout_plan, test_plan, max, cis, by, at) =
        row;
    Template {
        id: TemplateId(id),
        name,
        description,
        implementation_plan,
        backout_plan,
        test_plan,
        max_duration_minutes: max,
        ci_ids: cis.split(',').filter_map(|c| c.parse().ok()).map(CiId).collect(),
        created_by: UserId(by),
        created_at: to_utc(at),
        retired,
        version,
    }
}

/// Every version of template `id`, oldest first (each as it was saved, by whom and when).
pub fn versions(conn: &mut DbConn, id: TemplateId) -> QueryResult<Vec<Template>> {
    let retired = find(conn, id)?.is_some_and(|t| t.retired);
    let rows: Vec<VersionRow> = template_versions::table
        .filter(template_versions::template_id.eq(id.0))
        .order(template_versions::version.asc())
        .select(template_versions::all_columns)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| version_of(r, retired)).collect())
}

/// Version `version` of template `id`, as it was saved.
pub fn find_version(conn: &mut DbConn, id: TemplateId, version: i32) -> QueryResult<Option<Template>> {
    let retired = find(conn, id)?.is_some_and(|t| t.retired);
    let row: Option<VersionRow> = template_versions::table
        .find((id.0, version))
        .select(template_versions::all_columns)
        .first(conn)
        .optional()?;
    Ok(row.map(|r| version_of(r, retired)))
}

fn set_cis(conn: &mut DbConn, id: i32, ci_ids: &BTreeSet<CiId>) -> QueryResult<()> {
    diesel::delete(template_cis::table.filter(template_cis::template_id.eq(id))).execute(conn)?;
    for ci in ci_ids {
        diesel::insert_into(template_cis::table)
            .values((template_cis::template_id.eq(id), template_cis::ci_id.eq(ci.0)))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves a template's fields and CIs as its version `t.version`, kept beside the earlier
/// ones as saved by `by` at `at`; false when there is no such template.
pub fn update(conn: &mut DbConn, t: &Template, (by, at): (UserId, DateTime<Utc>)) -> QueryResult<bool> {
    let changed = diesel::update(templates::table.find(t.id.0))
        .set((
            templates::version.eq(t.version),
            templates::name.eq(&t.name),
            templates::description.eq(&t.description),
            templates::implementation_plan.eq(&t.implementation_plan),
            templates::backout_plan.eq(&t.backout_plan),
            templates::test_plan.eq(&t.test_plan),
            templates::max_duration_minutes.eq(t.max_duration_minutes),
        ))
        .execute(conn)?;
    if changed == 1 {
        set_cis(conn, t.id.0, &t.ci_ids)?;
        keep_version(conn, &Template { created_by: by, created_at: at, ..t.clone() })?;
    }
    Ok(changed == 1)
}

/// Whether another template than `except` is called `name`.
pub fn exists_named_other(conn: &mut DbConn, name: &str, except: TemplateId) -> QueryResult<bool> {
    let others = templates::table.filter(templates::name.eq(name)).filter(templates::id.ne(except.0));
    diesel::select(diesel::dsl::exists(others)).get_result(conn)
}

/// Retires a template; false when it is unknown or already retired.
pub fn retire(conn: &mut DbConn, id: TemplateId, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(templates::table.find(id.0).filter(templates::retired_at.is_null()))
        .set(templates::retired_at.eq(to_naive(now)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The templates not retired (what the change form offers).
pub fn list_active(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Template>> {
    load(conn, templates::table.filter(templates::retired_at.is_null()).into_boxed(), limit, 0)
}

pub fn exists_named(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(templates::table.filter(templates::name.eq(name)))).get_result(conn)
}

pub fn find(conn: &mut DbConn, id: TemplateId) -> QueryResult<Option<Template>> {
    Ok(load(conn, templates::table.filter(templates::id.eq(id.0)).into_boxed(), 1, 0)?.pop())
}

pub fn list(conn: &mut DbConn, limit: i64, offset: i64) -> QueryResult<Vec<Template>> {
    load(conn, templates::table.into_boxed(), limit, offset)
}

fn load(
    conn: &mut DbConn,
    query: templates::BoxedQuery<'_, super::MultiBackend>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Template>> {
    let rows: Vec<TemplateRow> = query
        .order(templates::name.asc())
        .limit(limit)
        .offset(offset)
        .select(TemplateRow::as_select())
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i32, i32)> = template_cis::table
        .filter(any_of(template_cis::template_id, ids))
        .select((template_cis::template_id, template_cis::ci_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Template {
            ci_ids: pairs.iter().filter(|(t, _)| *t == r.id).map(|(_, c)| CiId(*c)).collect(),
            id: TemplateId(r.id),
            name: r.name,
            description: r.description,
            implementation_plan: r.implementation_plan,
            backout_plan: r.backout_plan,
            test_plan: r.test_plan,
            max_duration_minutes: r.max_duration_minutes,
            created_by: UserId(r.created_by),
            created_at: to_utc(r.created_at),
            retired: r.retired_at.is_some(),
            version: r.version,
        })
        .collect())
}
