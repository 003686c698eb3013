//! The admin's extra closed days (local dates stored as `YYYY-MM-DD`, which sort as dates).

use super::changes::to_naive;
use super::schema::closed_days;
use super::DbConn;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

fn text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The closed days in `[from, to]` with their names, in date order.
pub fn between(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<(NaiveDate, String)>> {
    let rows: Vec<(String, String)> = closed_days::table
        .filter(closed_days::day.ge(text(from)))
        .filter(closed_days::day.le(text(to)))
        .order(closed_days::day.asc())
        .select((closed_days::day, closed_days::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(day, name)| NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok().map(|d| (d, name)))
        .collect())
}

pub fn exists(conn: &mut DbConn, day: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(closed_days::table.find(text(day)))).get_result(conn)
}

pub fn insert(conn: &mut DbConn, day: NaiveDate, name: &str, by: i32, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(closed_days::table)
        .values((
            closed_days::day.eq(text(day)),
            closed_days::name.eq(name),
            closed_days::created_by.eq(by),
            closed_days::created_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes `day`; false if it was not closed.
pub fn delete(conn: &mut DbConn, day: NaiveDate) -> QueryResult<bool> {
    Ok(diesel::delete(closed_days::table.find(text(day))).execute(conn)? == 1)
}
