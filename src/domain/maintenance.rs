//! Maintenance windows (SPEC §2, §6): weekly periods in a time zone in which a CI's
//! changes should run, e.g. Tuesdays 18:00–22:00 Europe/Oslo. A planned window outside
//! them is a warning and a risk factor, not a block. A period that ends at or before its
//! start runs past midnight into the next day.

use super::change::Window;
use super::ids::CiId;
use super::workdays::local_instant;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

/// One weekly period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekly {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub zone: Tz,
}

impl Weekly {
    /// The occurrence that begins on the local date `day`, as instants (a local time that
    /// DST skips counts from the first instant after the gap).
    fn occurrence(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if day.weekday() != self.weekday {
            return None;
        }
        let end_day = if self.end <= self.start { day.succ_opt()? } else { day };
        Some((local_instant(self.zone, day, self.start)?, local_instant(self.zone, end_day, self.end)?))
    }

    /// Whether one occurrence holds all of `window`.
    pub fn covers(&self, window: &Window) -> bool {
        let local_start = window.start().with_timezone(&self.zone).date_naive();
        // The occurrence that holds the start began that day or, overnight, the day before.
        [local_start, local_start.pred_opt().unwrap_or(local_start)]
            .into_iter()
            .filter_map(|day| self.occurrence(day))
            .any(|(start, end)| start <= window.start() && window.end() <= end)
    }
}

/// The CIs of `ci_ids` that have maintenance windows of which none holds `window`.
pub fn outside(window: &Window, ci_ids: &BTreeSet<CiId>, windows: &BTreeMap<CiId, Vec<Weekly>>) -> Vec<CiId> {
    ci_ids
        .iter()
        .filter(|ci| windows.get(ci).is_some_and(|ws| !ws.is_empty() && !ws.iter().any(|w| w.covers(window))))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use chrono_tz::Europe::Oslo;
    use proptest::prelude::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> Window {
        Window::new(start, end).unwrap()
    }

    const TUESDAY_EVENING: Weekly = Weekly {
        weekday: Weekday::Tue,
        start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        zone: Oslo,
    };

    #[test]
    fn a_window_inside_tuesday_evening_is_covered_in_winter_and_summer() {
        // 1 December 2026 (CET, UTC+1) and 2 June 2026 (CEST, UTC+2), both Tuesdays.
        assert!(TUESDAY_EVENING.covers(&window(utc(2026, 12, 1, 17, 0), utc(2026, 12, 1, 21, 0))));
        assert!(!TUESDAY_EVENING.covers(&window(utc(2026, 12, 1, 16, 59), utc(2026, 12, 1, 18, 0))));
        assert!(!TUESDAY_EVENING.covers(&window(utc(2026, 12, 1, 20, 0), utc(2026, 12, 1, 21, 1))));
        assert!(TUESDAY_EVENING.covers(&window(utc(2026, 6, 2, 16, 0), utc(2026, 6, 2, 20, 0))));
        assert!(
            !TUESDAY_EVENING.covers(&window(utc(2026, 6, 2, 17, 0), utc(2026, 6, 2, 21, 0))),
            "21:00 UTC is 23:00"
        );
        assert!(
            !TUESDAY_EVENING.covers(&window(utc(2026, 12, 2, 17, 0), utc(2026, 12, 2, 18, 0))),
            "a Wednesday"
        );
    }

    #[test]
    fn an_overnight_window_runs_into_the_next_day_across_dst() {
        // Saturday 22:00 to 04:00, over the night the clocks go back (25 October 2026).
        let saturday_night = Weekly { weekday: Weekday::Sat, start: hm(22, 0), end: hm(4, 0), zone: Oslo };
        // 22:00 CEST is 20:00 UTC; 04:00 CET on Sunday is 03:00 UTC: seven hours long.
        assert!(saturday_night.covers(&window(utc(2026, 10, 24, 20, 0), utc(2026, 10, 25, 3, 0))));
        assert!(!saturday_night.covers(&window(utc(2026, 10, 24, 20, 0), utc(2026, 10, 25, 3, 1))));
        // A window 01:00–04:00 local on the night the clocks go forward (29 March 2026).
        let spring = Weekly { weekday: Weekday::Sun, start: hm(1, 0), end: hm(4, 0), zone: Oslo };
        assert!(spring.covers(&window(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0))), "two real hours");
        assert!(!spring.covers(&window(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 1))));
    }

    #[test]
    fn only_cis_with_windows_can_be_outside_them() {
        let (archive, website) = (CiId(1), CiId(2));
        let windows = BTreeMap::from([(archive, vec![TUESDAY_EVENING])]);
        let cis = BTreeSet::from([archive, website]);
        let wednesday = window(utc(2026, 12, 2, 17, 0), utc(2026, 12, 2, 18, 0));
        assert_eq!(outside(&wednesday, &cis, &windows), [archive]);
        let tuesday = window(utc(2026, 12, 1, 17, 0), utc(2026, 12, 1, 18, 0));
        assert!(outside(&tuesday, &cis, &windows).is_empty());
    }

    proptest! {
        #[test]
        fn covered_means_inside_one_occurrence_minute_by_minute(start in 0i64..(60 * 24 * 21), len in 1i64..(60 * 8)) {
            let from = utc(2026, 10, 12, 0, 0) + Duration::minutes(start);
            let planned = window(from, from + Duration::minutes(len));
            let saturday_night = Weekly { weekday: Weekday::Sat, start: hm(22, 0), end: hm(4, 0), zone: Oslo };
            for rule in [TUESDAY_EVENING, saturday_night] {
                // Every minute of the window lies in the same occurrence, found by brute force.
                let occurrences: Vec<_> = (0..30)
                    .filter_map(|d| rule.occurrence(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap() + Duration::days(d)))
                    .collect();
                let naive = occurrences.iter().any(|(s, e)| *s <= planned.start() && planned.end() <= *e);
                prop_assert_eq!(rule.covers(&planned), naive);
            }
        }
    }
}
