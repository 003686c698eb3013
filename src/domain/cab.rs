//! When the CAB meets: a weekly meeting on a weekday and time in the service's zone, with
//! a cut-off at a time on the working day before it (SPEC §2). A meeting day that is not
//! a working day moves to the next working day, or the meeting is skipped that week.

use super::workdays::local_instant;
use super::workdays::WorkingDays;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

/// What happens to a meeting whose day is a public holiday or a closed day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnHoliday {
    NextWorkingDay,
    Skip,
}

/// The recurring meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingRule {
    pub weekday: Weekday,
    pub time: NaiveTime,
    /// The cut-off's time, on the working day before the meeting.
    pub cutoff: NaiveTime,
    pub on_holiday: OnHoliday,
}

impl Default for MeetingRule {
    /// Tuesday 10:00, cut-off 12:00 the working day before, moved to the next working day
    /// on a holiday.
    fn default() -> Self {
        MeetingRule {
            weekday: Weekday::Tue,
            time: NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
            cutoff: NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default(),
            on_holiday: OnHoliday::NextWorkingDay,
        }
    }
}

/// One week's meeting: its day and the day of its cut-off (local dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub day: NaiveDate,
    pub cutoff_day: NaiveDate,
}

impl MeetingRule {
    /// The meeting of the week that starts on `monday`, if there is one.
    pub fn in_week(&self, monday: NaiveDate, calendar: &WorkingDays) -> Option<Planned> {
        let regular = monday + Duration::days(i64::from(self.weekday.num_days_from_monday()));
        let day = match (calendar.is_working_day(regular), self.on_holiday) {
            (true, _) => regular,
            (false, OnHoliday::NextWorkingDay) => calendar.this_or_next(regular),
            (false, OnHoliday::Skip) => return None,
        };
        Some(Planned { day, cutoff_day: calendar.previous(day) })
    }

    /// The meetings of the `weeks` weeks from the one `now` is in, as instants: `(start,
    /// cut-off)`, the ones starting after `now` only.
    pub fn upcoming(
        &self,
        now: DateTime<Utc>,
        weeks: i64,
        zone: Tz,
        calendar: &WorkingDays,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let today = now.with_timezone(&zone).date_naive();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        (0..weeks)
            .filter_map(|week| self.in_week(monday + Duration::weeks(week), calendar))
            .filter_map(|planned| {
                Some((
                    local_instant(zone, planned.day, self.time)?,
                    local_instant(zone, planned.cutoff_day, self.cutoff)?,
                ))
            })
            .filter(|(start, _)| *start > now)
            .collect()
    }

    /// The first cut-off after `now`, as an instant (looking at most five weeks ahead).
    pub fn next_cutoff(&self, now: DateTime<Utc>, zone: Tz, calendar: &WorkingDays) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&zone).date_naive();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        (0..6)
            .filter_map(|week| self.in_week(monday + Duration::weeks(week), calendar))
            .filter_map(|planned| local_instant(zone, planned.cutoff_day, self.cutoff))
            .find(|cutoff| *cutoff > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Oslo;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn the_default_cutoff_is_noon_the_working_day_before_tuesday() {
        let rule = MeetingRule::default();
        let calendar = WorkingDays::default();
        let thursday = at(2026, 12, 3, 9);
        assert_eq!(
            rule.next_cutoff(thursday, Oslo, &calendar),
            Some(at(2026, 12, 7, 11)),
            "Monday 12:00 CET"
        );
        let monday_afternoon = at(2026, 12, 7, 13);
        assert_eq!(rule.next_cutoff(monday_afternoon, Oslo, &calendar), Some(at(2026, 12, 14, 11)));
        let summer = at(2026, 6, 1, 8);
        assert_eq!(rule.next_cutoff(summer, Oslo, &calendar), Some(at(2026, 6, 1, 10)), "12:00 CEST");
    }

    #[test]
    fn the_next_eight_weeks_of_meetings_skip_what_has_begun() {
        let rule = MeetingRule::default();
        let tuesday_noon = at(2026, 12, 1, 11);
        let meetings = rule.upcoming(tuesday_noon, 8, Oslo, &WorkingDays::default());
        assert_eq!(meetings.len(), 7, "this week's meeting has begun");
        assert_eq!(meetings[0], (at(2026, 12, 8, 9), at(2026, 12, 7, 11)));
        // Christmas Day 2026 is a Friday: the Tuesday meeting of 29 December stays.
        assert!(meetings.iter().any(|(start, _)| *start == at(2026, 12, 29, 9)));
    }

    #[test]
    fn a_holiday_moves_the_meeting_and_its_cutoff() {
        let rule = MeetingRule::default();
        let calendar = WorkingDays::default();
        // Easter 2026: Monday 6 April is a holiday, so Tuesday's cut-off is Wednesday 1 April.
        let easter_week = rule.in_week(NaiveDate::from_ymd_opt(2026, 4, 6).unwrap(), &calendar).unwrap();
        assert_eq!(easter_week.day, NaiveDate::from_ymd_opt(2026, 4, 7).unwrap());
        assert_eq!(easter_week.cutoff_day, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        // Christmas 2029 falls on a Tuesday: the meeting moves to Thursday 27 December.
        let christmas = rule.in_week(NaiveDate::from_ymd_opt(2029, 12, 24).unwrap(), &calendar).unwrap();
        assert_eq!(christmas.day, NaiveDate::from_ymd_opt(2029, 12, 27).unwrap());
        assert_eq!(christmas.cutoff_day, NaiveDate::from_ymd_opt(2029, 12, 24).unwrap());
        let skipping = MeetingRule { on_holiday: OnHoliday::Skip, ..rule };
        assert_eq!(skipping.in_week(NaiveDate::from_ymd_opt(2029, 12, 24).unwrap(), &calendar), None);
        // An admin's closed day counts like a holiday.
        let closed = WorkingDays::with_closed([NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()]);
        let week = rule.in_week(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), &closed).unwrap();
        assert_eq!(
            week.cutoff_day,
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            "Friday before the closed Monday"
        );
    }
}
