//! Free slots (SPEC §6): the next windows of a change's length, on a quarter-hour grid,
//! that lie inside every affected CI's maintenance windows (where it has any) and conflict
//! with no booked change, no freeze and no other work of the implementer.

use super::change::Window;
use super::ids::CiId;
use super::maintenance::{outside, Weekly};
use super::schedule::{conflicts, Booked, Freeze, Planned};
use chrono::{DateTime, Duration, DurationRound, Utc};
use std::collections::BTreeMap;

/// The grid slots start on.
pub const STEP: Duration = Duration::minutes(15);

/// What a search for slots looks at.
pub struct Search<'a> {
    /// The change (its id, CIs and implementer; its window is ignored).
    pub planned: &'a Planned,
    pub length: Duration,
    /// The first start considered (rounded up to the grid).
    pub after: DateTime<Utc>,
    /// Slots end by then.
    pub until: DateTime<Utc>,
    pub booked: &'a [Booked],
    pub freezes: &'a [Freeze],
    pub windows: &'a BTreeMap<CiId, Vec<Weekly>>,
}

/// Whether `window` would be a good slot: inside the maintenance windows, no blocking
/// conflict.
pub fn is_free(search: &Search<'_>, window: Window) -> bool {
    if !outside(&window, &search.planned.ci_ids, search.windows).is_empty() {
        return false;
    }
    let planned = Planned { window, ..search.planned.clone() };
    conflicts(&planned, search.booked, search.freezes).iter().all(|c| !c.kind.blocks())
}

/// The first `count` free slots, earliest first.
pub fn suggest(search: &Search<'_>, count: usize) -> Vec<Window> {
    let mut start = match search.after.duration_trunc(STEP) {
        Ok(floor) if floor < search.after => floor + STEP,
        Ok(floor) => floor,
        Err(_) => return Vec::new(),
    };
    let mut found = Vec::new();
    while found.len() < count && start + search.length <= search.until {
        if let Some(window) = Window::new(start, start + search.length) {
            if is_free(search, window) {
                found.push(window);
            }
        }
        start += STEP;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ChangeId, UserId};
    use crate::domain::schedule::Freeze;
    use chrono::{NaiveTime, TimeZone, Weekday};
    use chrono_tz::Europe::Oslo;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap()
    }

    fn planned(cis: &[i32]) -> Planned {
        Planned {
            id: Some(ChangeId(1)),
            window: Window::new(at(1, 0, 0), at(1, 1, 0)).unwrap(),
            ci_ids: cis.iter().map(|c| CiId(*c)).collect(),
            implementer: Some(UserId(7)),
        }
    }

    fn tuesday_evening() -> BTreeMap<CiId, Vec<Weekly>> {
        let rule = Weekly {
            weekday: Weekday::Tue,
            start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            zone: Oslo,
        };
        BTreeMap::from([(CiId(1), vec![rule])])
    }

    #[test]
    fn slots_fill_the_maintenance_window_around_what_is_booked() {
        let change = planned(&[1]);
        let booked = [Booked {
            id: ChangeId(2),
            title: "Other".into(),
            window: Window::new(at(1, 18, 0), at(1, 19, 0)).unwrap(),
            ci_ids: BTreeSet::from([CiId(1)]),
            implementer: None,
        }];
        let windows = tuesday_evening();
        // Tuesday 1 December, 17:00–21:00 UTC is 18:00–22:00 in Oslo; 18–19 UTC is taken.
        let search = Search {
            planned: &change,
            length: Duration::hours(1),
            after: at(1, 8, 7),
            until: at(20, 0, 0),
            booked: &booked,
            freezes: &[],
            windows: &windows,
        };
        let slots = suggest(&search, 4);
        let starts: Vec<_> = slots.iter().map(|w| w.start()).collect();
        assert_eq!(starts, [at(1, 17, 0), at(1, 19, 0), at(1, 19, 15), at(1, 19, 30)]);
        // With the evening frozen, the next Tuesday is the first.
        let freeze = [Freeze {
            id: 1,
            title: "Freeze".into(),
            window: Window::new(at(1, 0, 0), at(2, 0, 0)).unwrap(),
            ci_ids: BTreeSet::new(),
        }];
        let frozen = Search { freezes: &freeze, ..search };
        assert_eq!(suggest(&frozen, 1)[0].start(), at(8, 17, 0));
    }

    proptest! {
        #[test]
        fn every_slot_is_free_and_no_earlier_free_slot_is_skipped(
            after in 0i64..(60 * 24 * 14),
            length in 1i64..16,
            busy in proptest::collection::vec((0i64..(4 * 24 * 21), 1i64..24, any::<bool>()), 0..8),
            with_windows in any::<bool>(),
        ) {
            let change = planned(&[1]);
            let origin = at(1, 0, 0);
            let booked: Vec<Booked> = busy
                .iter()
                .enumerate()
                .map(|(i, (start, len, same_implementer))| {
                    let start = origin + STEP * (*start as i32);
                    Booked {
                        id: ChangeId(100 + i as i32),
                        title: String::new(),
                        window: Window::new(start, start + STEP * (*len as i32)).unwrap(),
                        ci_ids: if *same_implementer { BTreeSet::new() } else { BTreeSet::from([CiId(1)]) },
                        implementer: same_implementer.then_some(UserId(7)),
                    }
                })
                .collect();
            let windows = if with_windows { tuesday_evening() } else { BTreeMap::new() };
            let search = Search {
                planned: &change,
                length: STEP * (length as i32),
                after: origin + Duration::minutes(after),
                until: origin + Duration::days(28),
                booked: &booked,
                freezes: &[],
                windows: &windows,
            };
            let slots = suggest(&search, 3);
            for slot in &slots {
                prop_assert!(is_free(&search, *slot));
                prop_assert!(slot.start() >= search.after);
            }
            // Brute force over the grid up to the last slot found (or the horizon).
            let last = slots.last().map_or(search.until, |w| w.start());
            let mut t = origin;
            let mut expected = Vec::new();
            while t <= last && t + search.length <= search.until && expected.len() < 3 {
                if t >= search.after && is_free(&search, Window::new(t, t + search.length).unwrap()) {
                    expected.push(t);
                }
                t += STEP;
            }
            prop_assert_eq!(slots.iter().map(|w| w.start()).collect::<Vec<_>>(), expected);
        }
    }
}
