//! The change calendar: month, week and list views. Entries link to their change; a
//! conflict is marked in words and by style; blackout days are shaded and named.

use super::components::{select, state_badge, time};
use crate::domain::change::ChangeState;
use crate::i18n::{arg, Lang};
use crate::services::calendar::{Calendar, CalendarEntry};
use crate::services::reference::CiView;
use crate::web::session::Viewer;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{html, Markup};

/// Which view of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
    List,
}

impl View {
    pub fn parse(text: &str) -> View {
        match text {
            "week" => View::Week,
            "list" => View::List,
            _ => View::Month,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
            View::List => "list",
        }
    }

    /// The local dates shown for `anchor`: the whole month (from its Monday-week) or the
    /// week, Monday to Sunday.
    pub fn days(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday().into());
        match self {
            View::Week => {
                let first = monday(anchor);
                (first, first + Duration::days(6))
            }
            View::Month | View::List => {
                let first = anchor.with_day(1).unwrap_or(anchor);
                let next = if first.month() == 12 {
                    NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
                };
                let last = next.map_or(first, |n| n - Duration::days(1));
                if self == View::List {
                    (first, last)
                } else {
                    (monday(first), monday(last) + Duration::days(6))
                }
            }
        }
    }

    /// The anchor one step back and forth.
    pub fn neighbours(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            View::Week => (anchor - Duration::days(7), anchor + Duration::days(7)),
            View::Month | View::List => {
                let first = anchor.with_day(1).unwrap_or(anchor);
                let previous = (first - Duration::days(1)).with_day(1).unwrap_or(first);
                let next = (first + Duration::days(32)).with_day(1).unwrap_or(first);
                (previous, next)
            }
        }
    }
}

/// Midnight at the start of `day` in `zone`, in UTC (DST-correct).
pub fn start_of(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
}

/// The instants `day` begins and ends in `zone`, worked out once a day, not once an
/// entry (a month of 2,000 entries asked 84,000 times).
fn day_span(zone: Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of(zone, day), start_of(zone, day + Duration::days(1)))
}

/// Whether `[start, end)` lies partly in the day `span`.
fn touches(span: (DateTime<Utc>, DateTime<Utc>), start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    start < span.1 && end > span.0
}

fn entry(lang: Lang, zone: Tz, item: &CalendarEntry) -> Markup {
    html! {
        li class={ "entry" @if item.conflicted { " conflicted" } @if item.tentative { " tentative" } } {
            a href=(format!("/changes/{}", item.reference)) { (item.reference) " " (item.title) }
            " " (state_badge(lang, item.state))
            @if item.tentative { " " em.tentative { (lang.t("calendar-tentative")) } }
            br;
            span.when { (time(lang, zone, item.planned_start)) " – " (time(lang, zone, item.planned_end)) }
            (conflict_words(lang, item))
        }
    }
}

/// What an entry conflicts with, in words: "Conflict: same configuration item as
/// CHG-000012 Patch the mail servers".
fn conflict_words(lang: Lang, item: &CalendarEntry) -> Markup {
    html! {
        @if item.conflicted {
            br;
            strong.conflict { (lang.t("calendar-conflict")) ": " }
            @for (n, conflict) in item.conflicts.iter().enumerate() {
                @if n > 0 { "; " }
                (lang.t(&format!("conflict-{}", conflict.kind))) " – "
                @if let Some(reference) = &conflict.change_ref { (reference) " " }
                (conflict.title)
            }
        }
    }
}

/// Most entries a day of the month view shows; the rest are "+N more", a link to its week.
const MONTH_DAY_ENTRIES: usize = 3;

/// One day's piece of an entry in the week's time grid: the hours it covers that day
/// (`[start, end)`, 0–24) and its lane among those it overlaps.
struct Piece<'a> {
    item: &'a CalendarEntry,
    day: usize,
    start: u32,
    end: u32,
    lane: usize,
    lanes: usize,
}

/// Lanes in a day column of the week grid: three overlapping changes side by side; a
/// fourth at the same time goes in the list below the grid.
const LANES: usize = 3;

/// The entries of the week laid out on the time grid: clipped to each day they touch,
/// rounded out to whole hours, and given lanes so that overlaps stand side by side.
fn week_pieces<'a>(
    zone: Tz,
    first: NaiveDate,
    items: &'a [CalendarEntry],
) -> (Vec<Piece<'a>>, Vec<&'a CalendarEntry>) {
    let mut pieces = Vec::new();
    let mut crowded = Vec::new();
    for day in 0..7 {
        let date = first + Duration::days(day as i64);
        let (day_start, day_end) = (start_of(zone, date), start_of(zone, date + Duration::days(1)));
        let mut today: Vec<(u32, u32, &CalendarEntry)> = items
            .iter()
            .filter(|c| c.planned_start < day_end && c.planned_end > day_start)
            .map(|c| {
                let start = wall_hour(zone, date, c.planned_start, false).min(23);
                let end = wall_hour(zone, date, c.planned_end, true).max(start + 1).min(24);
                (start, end, c)
            })
            .collect();
        today.sort_by_key(|(start, end, c)| (*start, std::cmp::Reverse(*end), c.id));
        // Greedy lanes: each piece takes the first lane free at its start.
        let mut lane_ends: Vec<u32> = Vec::new();
        let mut placed: Vec<(u32, u32, usize, &CalendarEntry)> = Vec::new();
        for (start, end, item) in today {
            match lane_ends.iter().position(|&busy_until| busy_until <= start) {
                Some(lane) => {
                    lane_ends[lane] = end;
                    placed.push((start, end, lane, item));
                }
                None if lane_ends.len() < LANES => {
                    lane_ends.push(end);
                    placed.push((start, end, lane_ends.len() - 1, item));
                }
                None => {
                    if !crowded.iter().any(|c: &&CalendarEntry| c.id == item.id) {
                        crowded.push(item);
                    }
                }
            }
        }
        // Each piece is as wide as the lanes in use while it runs allow.
        for &(start, end, lane, item) in &placed {
            let lanes = placed
                .iter()
                .filter(|(s, e, _, _)| *s < end && *e > start)
                .map(|(_, _, l, _)| l + 1)
                .max()
                .unwrap_or(1);
            pieces.push(Piece { item, day, start, end, lane, lanes });
        }
    }
    (pieces, crowded)
}

/// The row of `at` on `date`'s grid: its wall-clock hour that day (0 before the day, 24
/// after it), rounded `up` to the next hour when it is not on the hour. By the clock, not
/// by hours since midnight, so the 23- and 25-hour days of the DST changes still put
/// 04:00 on the 04:00 row.
fn wall_hour(zone: Tz, date: NaiveDate, at: DateTime<Utc>, up: bool) -> u32 {
    use chrono::Timelike;
    let local = at.with_timezone(&zone);
    match local.date_naive().cmp(&date) {
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Greater => 24,
        std::cmp::Ordering::Equal => {
            let past = local.minute() > 0 || local.second() > 0;
            local.hour() + u32::from(up && past)
        }
    }
}

/// The week as a time grid: a column per day, a row per hour, each change from its start
/// to its end (placed by classes, as the pages' Content-Security-Policy allows no inline
/// style), overlapping changes side by side.
fn week_grid(
    lang: Lang,
    zone: Tz,
    first: NaiveDate,
    today: NaiveDate,
    data: &Calendar,
    title: &str,
) -> Markup {
    let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let (pieces, crowded) = week_pieces(zone, first, &data.changes);
    html! {
        div.week-grid role="group" aria-label=(title) {
            div.corner {}
            @for (n, day) in weekdays.iter().enumerate() {
                @let date = first + Duration::days(n as i64);
                div class={ "day-head col-" (n * 6 + 2) @if date == today { " today" } } aria-current=[(date == today).then_some("date")] {
                    abbr title=(lang.t(&format!("weekday-full-{day}"))) { (lang.t(&format!("weekday-{day}"))) }
                    " " time datetime=(date.to_string()) { (lang.date(date)) }
                    @if date == today { " " span.today-mark { (lang.t("calendar-today")) } }
                }
            }
            @for hour in 0..24u32 {
                div class=(format!("hour row-{hour}")) { (format!("{hour:02}:00")) }
            }
            @for n in 0..7usize {
                @let date = first + Duration::days(n as i64);
                @let frozen = data.blackouts.iter().any(|b| touches(day_span(zone, date), b.starts_at, b.ends_at));
                div class={ "day-column col-" (n * 6 + 2) @if date == today { " today" } @if frozen { " frozen" } } {}
            }
            @for piece in &pieces {
                @let width = 6 / piece.lanes;
                @let item = piece.item;
                div class={
                    "slot col-" (piece.day * 6 + 2 + piece.lane * width) " span-" (width)
                    " row-" (piece.start) " rows-" (piece.end - piece.start)
                    @if item.conflicted { " conflicted" } @if item.tentative { " tentative" }
                } {
                    a href=(format!("/changes/{}", item.reference)) title=(format!("{} {}", item.reference, item.title)) { (item.reference) " " (item.title) }
                    span.when { " " (time(lang, zone, item.planned_start)) " – " (time(lang, zone, item.planned_end)) }
                    @if item.tentative { " " em { (lang.t("calendar-tentative")) } }
                    (conflict_words(lang, item))
                }
            }
        }
        @if !crowded.is_empty() {
            h2 { (lang.t("calendar-also-this-week")) }
            ul.entries { @for item in crowded { (entry(lang, zone, item)) } }
        }
    }
}

/// The filters in force, and what they offer.
pub struct Filters<'a> {
    pub cis: &'a [CiView],
    pub ci: &'a str,
    pub change_type: &'a str,
    pub state: &'a str,
    /// Changes awaiting assessment or approval are shown, as tentative.
    pub tentative: bool,
    /// The same filters as a query-string tail (`&ci=3&type=normal`) for navigation links.
    pub query: String,
}

/// The calendar page body.
pub fn calendar(
    viewer: &Viewer,
    view: View,
    anchor: NaiveDate,
    days: (NaiveDate, NaiveDate),
    data: &Calendar,
    filters: &Filters<'_>,
    today: NaiveDate,
) -> Markup {
    let lang = viewer.lang;
    let zone = viewer.zone;
    let (previous, next) = view.neighbours(anchor);
    let link = |v: View, date: NaiveDate| format!("/calendar?view={}&date={date}{}", v.code(), filters.query);
    let mut ci_options = vec![(String::new(), lang.t("calendar-any-ci"))];
    ci_options.extend(filters.cis.iter().map(|c| (c.id.to_string(), c.name.clone())));
    let mut type_options = vec![(String::new(), lang.t("calendar-any-type"))];
    type_options.extend(
        crate::domain::change::ChangeType::ALL.iter().map(|t| (t.to_string(), lang.t(&format!("type-{t}")))),
    );
    let mut state_options = vec![(String::new(), lang.t("filter-any-state"))];
    state_options.extend(
        [ChangeState::Scheduled, ChangeState::Implement, ChangeState::Review, ChangeState::Closed]
            .iter()
            .map(|s| (s.to_string(), lang.t(&format!("state-{s}")))),
    );
    let title = match view {
        View::Week => {
            let week = days.0.iso_week();
            lang.t_with("calendar-week-of", &[("week", arg(week.week())), ("year", arg(week.year()))])
        }
        _ => lang.t_with(
            "calendar-month",
            &[("month", arg(lang.t(&format!("month-{}", anchor.month())))), ("year", arg(anchor.year()))],
        ),
    };
    let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    html! {
        form.filters method="get" action="/calendar" {
            input type="hidden" name="view" value=(view.code());
            input type="hidden" name="date" value=(anchor.to_string());
            (select(&lang.t("field-cis"), "ci", &ci_options, filters.ci, None))
            (select(&lang.t("field-type"), "type", &type_options, filters.change_type, None))
            (select(&lang.t("field-state"), "state", &state_options, filters.state, None))
            div.check { input #tentative type="checkbox" name="tentative" value="on" checked[filters.tentative]; label for="tentative" { (lang.t("calendar-show-tentative")) } }
            button type="submit" { (lang.t("filter-apply")) }
        }
        nav.calendar-nav aria-label=(lang.t("calendar-navigation")) {
            a href=(link(view, previous)) { (lang.t("calendar-previous")) } " "
            strong { (title) } " "
            a href=(link(view, next)) { (lang.t("calendar-next")) }
            " | "
            @for other in [View::Month, View::Week, View::List] {
                @if other == view { strong aria-current="page" { (lang.t(&format!("calendar-view-{}", other.code()))) } }
                @else { a href=(link(other, anchor)) { (lang.t(&format!("calendar-view-{}", other.code()))) } }
                " "
            }
        }
        @if !data.blackouts.is_empty() {
            section.blackouts aria-labelledby="blackouts" {
                h2 #blackouts { (lang.t("calendar-blackouts")) }
                ul { @for b in &data.blackouts { li { strong { (b.title) } " " (time(lang, zone, b.starts_at)) " – " (time(lang, zone, b.ends_at)) } } }
            }
        }
        @match view {
            View::List => {
                @if data.changes.is_empty() { p.empty { (lang.t("list-empty")) } }
                @else { ul.entries { @for item in &data.changes { (entry(lang, zone, item)) } } }
            }
            View::Week => { (week_grid(lang, zone, days.0, today, data, &title)) }
            View::Month => {
                table.calendar {
                    caption { (title) }
                    thead { tr { @for day in weekdays { th scope="col" { abbr title=(lang.t(&format!("weekday-full-{day}"))) { (lang.t(&format!("weekday-{day}"))) } } } } }
                    tbody {
                        @let count = (days.1 - days.0).num_days() + 1;
                        @for week in 0..(count / 7) {
                            tr {
                                @for offset in 0..7 {
                                    @let day = days.0 + Duration::days(week * 7 + offset);
                                    @let span = day_span(zone, day);
                                    @let frozen: Vec<&str> = data.blackouts.iter().filter(|b| touches(span, b.starts_at, b.ends_at)).map(|b| b.title.as_str()).collect();
                                    @let on_day: Vec<&CalendarEntry> = data.changes.iter().filter(|c| touches(span, c.planned_start, c.planned_end)).collect();
                                    td class={ "day" @if !frozen.is_empty() { " frozen" } @if day.month() != anchor.month() { " other-month" } @if day == today { " today" } }
                                        aria-current=[(day == today).then_some("date")] {
                                        div.date {
                                            time datetime=(day.to_string()) { (day.format("%d")) }
                                            span.visually-hidden { " " (day.to_string()) }
                                            @if day == today { " " span.today-mark { (lang.t("calendar-today")) } }
                                        }
                                        @for title in &frozen { div.freeze { (lang.t("calendar-freeze")) ": " (title) } }
                                        ul.entries {
                                            @for item in on_day.iter().take(MONTH_DAY_ENTRIES) {
                                                (entry(lang, zone, item))
                                            }
                                        }
                                        @if on_day.len() > MONTH_DAY_ENTRIES {
                                            a.more href=(link(View::Week, day)) {
                                                (lang.t_with("calendar-more", &[("count", crate::i18n::num((on_day.len() - MONTH_DAY_ENTRIES) as i64))]))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_week_grid_rows_follow_the_wall_clock_on_the_dst_days() {
        let oslo = chrono_tz::Europe::Oslo;
        let at = |d: NaiveDate, h: u32, m: u32| {
            oslo.from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap()).earliest().unwrap().with_timezone(&Utc)
        };
        let march = date(2026, 3, 29);
        assert_eq!(wall_hour(oslo, march, at(march, 4, 0), false), 4, "after the skipped hour");
        assert_eq!(wall_hour(oslo, march, at(march, 5, 30), true), 6);
        let october = date(2026, 10, 25);
        assert_eq!(wall_hour(oslo, october, at(october, 4, 0), false), 4, "after the repeated hour");
        assert_eq!(wall_hour(oslo, october, at(october, 23, 0), false), 23);
        assert_eq!(wall_hour(oslo, october, at(date(2026, 10, 26), 0, 0), true), 24, "midnight ends the day");
        assert_eq!(wall_hour(oslo, october, at(date(2026, 10, 24), 22, 0), false), 0, "from the day before");
        let entry = |start, end| CalendarEntry {
            id: crate::domain::ids::ChangeId(1),
            reference: "CHG-000001".into(),
            title: "t".into(),
            change_type: crate::domain::change::ChangeType::Normal,
            state: ChangeState::Scheduled,
            planned_start: start,
            planned_end: end,
            ci_ids: Vec::new(),
            conflicted: false,
            conflicts: Vec::new(),
            tentative: false,
        };
        let late = [entry(at(october, 23, 0), at(date(2026, 10, 26), 1, 0))];
        let (pieces, _) = week_pieces(oslo, date(2026, 10, 19), &late);
        let hours: Vec<(usize, u32, u32)> = pieces.iter().map(|p| (p.day, p.start, p.end)).collect();
        assert_eq!(hours, vec![(6, 23, 24)], "the Sunday's last hour, within the grid");
    }

    #[test]
    fn a_month_view_covers_whole_weeks() {
        let (first, last) = View::Month.days(date(2026, 12, 15));
        assert_eq!((first, last), (date(2026, 11, 30), date(2027, 1, 3)));
        assert_eq!(((last - first).num_days() + 1) % 7, 0);
        assert_eq!(View::List.days(date(2026, 12, 15)), (date(2026, 12, 1), date(2026, 12, 31)));
        assert_eq!(View::Week.days(date(2026, 12, 3)), (date(2026, 11, 30), date(2026, 12, 6)));
    }

    #[test]
    fn days_start_at_local_midnight_across_dst() {
        let zone = chrono_tz::Europe::Oslo;
        assert_eq!(start_of(zone, date(2026, 3, 29)).to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!(start_of(zone, date(2026, 3, 30)).to_rfc3339(), "2026-03-29T22:00:00+00:00");
        assert_eq!(View::Month.neighbours(date(2026, 1, 31)), (date(2025, 12, 1), date(2026, 2, 1)));
    }
}
