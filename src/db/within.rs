//! "This column's value is one of these" in a form that stays prepared.
//!
//! diesel writes `eq_any(list)` as `IN (?, ?, …)` on SQLite, one bind a value, so the
//! statement's text changes with the list's length and diesel prepares it afresh on every
//! call (PostgreSQL's `= ANY($1)` is one bind, and cached). Preparing was a fifth of the
//! CPU time of reading one change under load (bench/RESULTS.md). These two do what
//! `eq_any` does with statements that stay in each connection's cache:
//!
//! - `any_of(column, ids)`: a list of ids as one bind: `IN (SELECT value FROM
//!   json_each(?))` on SQLite (a JSON array; SQLite drives the same index lookups from
//!   it as from a list of binds), `= ANY($1)` on PostgreSQL;
//! - `one_of(column, values)`: a few fixed values of one of the domain's text enums
//!   (states, closure codes) written into the statement as literals, so the planner
//!   sees the constants it did before (a bind list would hide them from SQLite's choice
//!   of index).

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

use super::MultiBackend;

/// `column` is one of `ids` (see the module's comment).
pub fn any_of<C>(column: C, ids: impl IntoIterator<Item = i32>) -> AnyOf<C>
where
    C: Expression,
    C::SqlType: IdType,
{
    let ids: Vec<i32> = ids.into_iter().collect();
    let json = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    AnyOf { column, ids, json }
}

/// `column` is one of `values`, written as literals (see the module's comment). Each
/// value must be one of the domain's text-enum names (lowercase letters, digits and `_`;
/// a test holds every state and closure code to it); any other is left out, so nothing a
/// person typed can reach the statement's text.
pub fn one_of<C>(column: C, values: impl IntoIterator<Item = &'static str>) -> OneOf<C>
where
    C: Expression,
    C::SqlType: TextType,
{
    OneOf { column, values: values.into_iter().filter(|v| is_name(v)).collect() }
}

fn is_name(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The SQL types `any_of` compares with its integer ids (what `eq_any` would have checked).
pub trait IdType {}
impl IdType for Integer {}
impl IdType for Nullable<Integer> {}

/// The SQL types `one_of` compares with its names.
pub trait TextType {}
impl TextType for Text {}
impl TextType for Nullable<Text> {}

#[derive(Debug, Clone)]
pub struct AnyOf<C> {
    column: C,
    ids: Vec<i32>,
    json: String,
}

#[derive(Debug, Clone)]
pub struct OneOf<C> {
    column: C,
    values: Vec<&'static str>,
}

impl<C> QueryFragment<Sqlite> for AnyOf<C>
where
    C: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C> QueryFragment<Pg> for AnyOf<C>
where
    C: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Integer>, _>(&self.ids)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<C> QueryFragment<MultiBackend> for AnyOf<C>
where
    C: QueryFragment<Sqlite> + QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

impl<C, DB> QueryFragment<DB> for OneOf<C>
where
    DB: diesel::backend::Backend,
    C: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if self.values.is_empty() {
            // As `eq_any` of nothing: no row.
            out.push_sql("1 = 0");
            return Ok(());
        }
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        for (i, value) in self.values.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql("'");
            out.push_sql(value);
            out.push_sql("'");
        }
        out.push_sql(")");
        Ok(())
    }
}

macro_rules! boolean_expression {
    ($node:ident) => {
        impl<C: Expression> Expression for $node<C> {
            type SqlType = Bool;
        }

        impl<C, GB> ValidGrouping<GB> for $node<C>
        where
            C: ValidGrouping<GB>,
        {
            type IsAggregate = C::IsAggregate;
        }

        impl<C, QS> AppearsOnTable<QS> for $node<C>
        where
            C: AppearsOnTable<QS>,
            Self: Expression,
        {
        }

        impl<C, QS> SelectableExpression<QS> for $node<C>
        where
            C: SelectableExpression<QS>,
            Self: AppearsOnTable<QS>,
        {
        }

        // The text depends on the values' count (`OneOf`) or the backend (`AnyOf`): the
        // statement cache keys them by their SQL, which is safe to cache.
        impl<C> QueryId for $node<C> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
    };
}

boolean_expression!(AnyOf);
boolean_expression!(OneOf);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::changes;
    use diesel::prelude::*;

    #[test]
    fn a_list_of_ids_is_one_bind_on_both_backends() {
        let query = changes::table.filter(any_of(changes::id, [3, 5, 8])).select(changes::id);
        let sqlite = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(sqlite.contains("`changes`.`id` IN (SELECT value FROM json_each(?))"), "{sqlite}");
        assert!(sqlite.contains("[3,5,8]"), "{sqlite}");
        let pg = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(pg.contains(r#""changes"."id" = ANY($1)"#), "{pg}");
    }

    #[test]
    fn only_text_enum_names_are_written_into_the_statement() {
        let query = changes::table
            .filter(one_of(changes::state, ["scheduled", "x') OR 1=1 --", "", "Implement", "implement"]))
            .select(changes::id);
        let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(sql.contains("`changes`.`state` IN ('scheduled', 'implement')"), "{sql}");
        assert!(!sql.contains("1=1") && !sql.contains("Implement"), "{sql}");
        let none = changes::table.filter(one_of(changes::state, [])).select(changes::id);
        let sql = diesel::debug_query::<Sqlite, _>(&none).to_string();
        assert!(sql.contains("WHERE 1 = 0"), "as eq_any of nothing, nothing matches: {sql}");
    }

    #[test]
    fn every_state_and_closure_code_is_a_name_one_of_keeps() {
        use crate::domain::change::{ChangeState, ClosureCode};
        for name in
            ChangeState::ALL.iter().map(|s| s.as_str()).chain(ClosureCode::ALL.iter().map(|c| c.as_str()))
        {
            assert!(is_name(name), "{name} would be left out of a one_of");
        }
    }
}
