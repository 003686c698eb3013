//! Delegation of a vote (SPEC §5): a range of whole days in the service's zone, kept as
//! the instants it starts and ends so that "in force" is one comparison.

use super::validation::Message;
use super::workdays::local_instant;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// The longest delegation: a year. Longer absences are a change of membership.
pub const MAX_DAYS: i64 = 366;

/// Days `from` to `until`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl DayRange {
    /// A range that starts no earlier than `today` is not needed: a delegation may start
    /// today or later, ends on or after it starts, and lasts at most `MAX_DAYS`.
    pub fn new(
        from: NaiveDate,
        until: NaiveDate,
        today: NaiveDate,
    ) -> Result<DayRange, (&'static str, Message)> {
        if from < today {
            return Err(("from", Message::new("msg-delegation-past")));
        }
        if until < from {
            return Err(("until", Message::new("msg-delegation-order")));
        }
        if (until - from).num_days() >= MAX_DAYS {
            return Err(("until", Message::new("msg-delegation-too-long").arg("days", MAX_DAYS)));
        }
        Ok(DayRange { from, until })
    }

    /// `[start of from, start of the day after until)` in `zone`.
    pub fn instants(self, zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let midnight = NaiveTime::MIN;
        Some((
            local_instant(zone, self.from, midnight)?,
            local_instant(zone, self.until + Duration::days(1), midnight)?,
        ))
    }

    /// The days of `[start, end)` in `zone` (the inverse of `instants`).
    pub fn of(zone: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> DayRange {
        let from = start.with_timezone(&zone).date_naive();
        let until = (end - Duration::seconds(1)).with_timezone(&zone).date_naive();
        DayRange { from, until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_range_is_whole_local_days_across_dst() {
        let zone = chrono_tz::Europe::Oslo;
        // The last Sunday of March 2027 is 28 March: a 23-hour day.
        let range = DayRange::new(day(2027, 3, 28), day(2027, 3, 28), day(2027, 3, 1)).unwrap();
        let (start, end) = range.instants(zone).unwrap();
        assert_eq!((end - start).num_hours(), 23);
        assert_eq!(start.to_rfc3339(), "2027-03-27T23:00:00+00:00");
        assert_eq!(DayRange::of(zone, start, end), range);
    }

    #[test]
    fn refused_ranges_name_their_field() {
        let today = day(2026, 11, 30);
        assert_eq!(DayRange::new(day(2026, 11, 29), day(2026, 12, 1), today).unwrap_err().0, "from");
        assert_eq!(DayRange::new(day(2026, 12, 2), day(2026, 12, 1), today).unwrap_err().0, "until");
        assert_eq!(DayRange::new(today, today + Duration::days(MAX_DAYS), today).unwrap_err().0, "until");
        assert!(DayRange::new(today, today + Duration::days(MAX_DAYS - 1), today).is_ok());
    }

    proptest! {
        #[test]
        fn days_and_instants_round_trip(offset in 0i64..3000, length in 0i64..MAX_DAYS) {
            let today = day(2026, 1, 1);
            let from = today + Duration::days(offset);
            let range = DayRange::new(from, from + Duration::days(length), today).unwrap();
            let (start, end) = range.instants(chrono_tz::Europe::Oslo).unwrap();
            prop_assert!(start < end);
            prop_assert_eq!(DayRange::of(chrono_tz::Europe::Oslo, start, end), range);
        }
    }
}
