//! The working-day calendar of the whole service: Monday to Friday, less the Norwegian
//! public holidays of any year, less the extra closed days an admin adds (say, the
//! municipality's Christmas closure). Everything that counts working days uses it: the
//! risk factor for short notice and the CAB cut-off.

use super::text_enum::text_enum;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;

text_enum! {
    /// A Norwegian public holiday (helligdag or lovfestet høytidsdag).
    pub enum Holiday {
        NewYearsDay = "new_years_day",
        MaundyThursday = "maundy_thursday",
        GoodFriday = "good_friday",
        EasterSunday = "easter_sunday",
        EasterMonday = "easter_monday",
        LabourDay = "labour_day",
        ConstitutionDay = "constitution_day",
        AscensionDay = "ascension_day",
        WhitSunday = "whit_sunday",
        WhitMonday = "whit_monday",
        ChristmasDay = "christmas_day",
        BoxingDay = "boxing_day",
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm of Meeus,
/// Jones and Butcher); `None` outside the dates chrono can hold.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let (b, c) = (year.div_euclid(100), year.rem_euclid(100));
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// The Norwegian public holidays of `year`, in date order.
pub fn norwegian_holidays(year: i32) -> Vec<(NaiveDate, Holiday)> {
    let fixed = |month, day, holiday| NaiveDate::from_ymd_opt(year, month, day).map(|d| (d, holiday));
    let mut days: Vec<(NaiveDate, Holiday)> = [
        fixed(1, 1, Holiday::NewYearsDay),
        fixed(5, 1, Holiday::LabourDay),
        fixed(5, 17, Holiday::ConstitutionDay),
        fixed(12, 25, Holiday::ChristmasDay),
        fixed(12, 26, Holiday::BoxingDay),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(easter) = easter_sunday(year) {
        for (offset, holiday) in [
            (-3, Holiday::MaundyThursday),
            (-2, Holiday::GoodFriday),
            (0, Holiday::EasterSunday),
            (1, Holiday::EasterMonday),
            (39, Holiday::AscensionDay),
            (49, Holiday::WhitSunday),
            (50, Holiday::WhitMonday),
        ] {
            days.push((easter + Duration::days(offset), holiday));
        }
    }
    days.sort();
    days
}

/// The public holiday on `date`, if it is one.
pub fn holiday_on(date: NaiveDate) -> Option<Holiday> {
    norwegian_holidays(date.year()).into_iter().find(|(d, _)| *d == date).map(|(_, h)| h)
}

/// Which days are working days: weekdays that are neither public holidays nor closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingDays {
    closed: BTreeSet<NaiveDate>,
}

impl WorkingDays {
    /// The calendar with the admin's extra closed days (only those in the period a
    /// question is about need to be given).
    pub fn with_closed(closed: impl IntoIterator<Item = NaiveDate>) -> WorkingDays {
        WorkingDays { closed: closed.into_iter().collect() }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.closed.contains(&date)
            && holiday_on(date).is_none()
    }

    /// Working days `d` with `from < d <= to` (negative when `to` is before `from`).
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.between(to, from);
        }
        let weekdays = weekdays_between(from, to);
        let off: BTreeSet<NaiveDate> = (from.year()..=to.year())
            .flat_map(norwegian_holidays)
            .map(|(d, _)| d)
            .chain(self.closed.iter().copied())
            .filter(|d| *d > from && *d <= to && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        weekdays - off.len() as i64
    }

    /// The last working day before `date`.
    pub fn previous(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date.pred_opt().unwrap_or(date);
        // A run of closed days is at most a few weeks long; a year's bound keeps this finite.
        for _ in 0..366 {
            if self.is_working_day(day) {
                return day;
            }
            day = day.pred_opt().unwrap_or(day);
        }
        day
    }

    /// `date` when it is a working day, else the next one.
    pub fn this_or_next(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        for _ in 0..366 {
            if self.is_working_day(day) {
                return day;
            }
            day = day.succ_opt().unwrap_or(day);
        }
        day
    }
}

/// Monday–Friday dates `d` with `from < d <= to`, for `from <= to`.
fn weekdays_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let days = (to - from).num_days();
    let full_weeks = days / 7;
    let mut count = full_weeks * 5;
    let mut date = from + Duration::days(full_weeks * 7);
    while date < to {
        date = date.succ_opt().unwrap_or(date);
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            count += 1;
        }
    }
    count
}

/// A local date and time in `zone` as an instant; a time skipped by DST means the first
/// after it, and a time that occurs twice the first of them.
pub fn local_instant(zone: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let naive = day.and_time(time);
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(naive + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Easter by Oudin's algorithm (1940), written independently of the one above.
    fn easter_oudin(year: i32) -> NaiveDate {
        let century = year / 100;
        let golden = year % 19;
        let k = (century - 17) / 25;
        let mut i = century - century / 4 - (century - k) / 3 + 19 * golden + 15;
        i %= 30;
        i -= (i / 28) * (1 - (i / 28) * (29 / (i + 1)) * ((21 - golden) / 11));
        let mut j = year + year / 4 + i + 2 - century + century / 4;
        j %= 7;
        let l = i - j;
        let month = 3 + (l + 40) / 44;
        let day = l + 28 - 31 * (month / 4);
        date(year, month as u32, day as u32)
    }

    #[test]
    fn easter_agrees_with_an_independent_computation_from_1900_to_2200() {
        for year in 1900..=2200 {
            assert_eq!(easter_sunday(year), Some(easter_oudin(year)), "{year}");
        }
    }

    #[test]
    fn easter_on_known_dates() {
        for (year, month, day) in [
            (1961, 4, 2),
            (2000, 4, 23),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(year), Some(date(year, month, day)), "{year}");
        }
    }

    #[test]
    fn the_norwegian_holidays_of_known_years() {
        let days = |year| {
            norwegian_holidays(year)
                .into_iter()
                .map(|(d, _)| d.format("%m-%d").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            days(2024),
            [
                "01-01", "03-28", "03-29", "03-31", "04-01", "05-01", "05-09", "05-17", "05-19", "05-20",
                "12-25", "12-26"
            ]
        );
        assert_eq!(
            days(2025),
            [
                "01-01", "04-17", "04-18", "04-20", "04-21", "05-01", "05-17", "05-29", "06-08", "06-09",
                "12-25", "12-26"
            ]
        );
        assert_eq!(
            days(2026),
            [
                "01-01", "04-02", "04-03", "04-05", "04-06", "05-01", "05-14", "05-17", "05-24", "05-25",
                "12-25", "12-26"
            ]
        );
        assert_eq!(holiday_on(date(2026, 5, 14)), Some(Holiday::AscensionDay));
        assert_eq!(holiday_on(date(2026, 5, 15)), None);
    }

    #[test]
    fn working_days_skip_weekends_holidays_and_closed_days() {
        let calendar = WorkingDays::with_closed([date(2026, 12, 28), date(2026, 12, 29)]);
        let friday = date(2026, 11, 27);
        let tuesday = date(2026, 12, 1);
        assert_eq!(calendar.between(friday, tuesday), 2);
        assert_eq!(calendar.between(tuesday, friday), -2);
        assert_eq!(calendar.between(friday, friday), 0);
        // Before Easter 2026: Wednesday 1 April to Tuesday 7 April holds only Tuesday.
        assert_eq!(calendar.between(date(2026, 4, 1), date(2026, 4, 7)), 1);
        // Christmas week with the municipality's closure: only 30 and 31 December work.
        assert_eq!(calendar.between(date(2026, 12, 24), date(2026, 12, 31)), 2);
        assert!(!calendar.is_working_day(date(2026, 5, 14)), "Ascension Day");
        assert_eq!(
            calendar.previous(date(2026, 4, 7)),
            date(2026, 4, 1),
            "Easter Monday and the days before"
        );
        assert_eq!(calendar.this_or_next(date(2026, 12, 25)), date(2026, 12, 30));
    }

    proptest! {
        #[test]
        fn working_days_match_a_day_by_day_count(start in 0i64..6000, len in 0i64..500, closed in proptest::collection::vec(0i64..600, 0..5)) {
            let from = date(2020, 1, 1) + Duration::days(start);
            let to = from + Duration::days(len);
            let calendar = WorkingDays::with_closed(closed.iter().map(|c| from + Duration::days(*c)));
            let naive = (1..=len).map(|d| from + Duration::days(d)).filter(|d| calendar.is_working_day(*d)).count() as i64;
            prop_assert_eq!(calendar.between(from, to), naive);
            prop_assert_eq!(calendar.between(to, from), -naive);
        }

        #[test]
        fn previous_and_next_land_on_the_nearest_working_days(start in 0i64..6000) {
            let day = date(2020, 1, 1) + Duration::days(start);
            let calendar = WorkingDays::default();
            let before = calendar.previous(day);
            prop_assert!(before < day && calendar.is_working_day(before));
            prop_assert_eq!(calendar.between(before, day - Duration::days(1)), 0);
            let after = calendar.this_or_next(day);
            prop_assert!(after >= day && calendar.is_working_day(after));
            prop_assert!((day.iter_days().take_while(|d| *d < after)).all(|d| !calendar.is_working_day(d)));
        }
    }
}
