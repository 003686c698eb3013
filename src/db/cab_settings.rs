//! The CAB meeting settings saved on the admin page (one row at most).

use super::changes::to_naive;
use super::schema::cab_settings as cs;
use super::DbConn;
use crate::config::CabConfig;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

pub fn get(conn: &mut DbConn) -> QueryResult<Option<CabConfig>> {
    let row: Option<(String, String, String, String, String)> = cs::table
        .find(1)
        .select((cs::meeting_day, cs::meeting_time, cs::cutoff_time, cs::on_holiday, cs::zone))
        .first(conn)
        .optional()?;
    Ok(row.map(|(meeting_day, meeting_time, cutoff_time, on_holiday, zone)| CabConfig {
        meeting_day,
        meeting_time,
        cutoff_time,
        on_holiday,
        zone: Some(zone),
    }))
}

/// Saves the settings in place of any saved before.
pub fn put(
    conn: &mut DbConn,
    settings: &CabConfig,
    zone: &str,
    by: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::delete(cs::table).execute(conn)?;
    diesel::insert_into(cs::table)
        .values((
            cs::id.eq(1),
            cs::meeting_day.eq(&settings.meeting_day),
            cs::meeting_time.eq(&settings.meeting_time),
            cs::cutoff_time.eq(&settings.cutoff_time),
            cs::on_holiday.eq(&settings.on_holiday),
            cs::zone.eq(zone),
            cs::updated_by.eq(by),
            cs::updated_at.eq(to_naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}
