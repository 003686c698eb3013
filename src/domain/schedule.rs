//! Schedule conflicts (SPEC §6 a–c): a planned window against the windows already held
//! on the calendar and the blackout (freeze) periods.

use super::change::Window;
use super::ids::{ChangeId, CiId, UserId};
use super::text_enum::text_enum;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

/// A change whose window is being checked.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: Option<ChangeId>,
    pub window: Window,
    pub ci_ids: BTreeSet<CiId>,
    pub implementer: Option<UserId>,
}

/// A change already holding a window (scheduled or in implementation).
#[derive(Debug, Clone)]
pub struct Booked {
    pub id: ChangeId,
    pub title: String,
    pub window: Window,
    /// Its CIs; read for the conflicts of given CIs (`db::changes::holding_touching`), only
    /// those among them: a conflict names the CIs both share, no others.
    pub ci_ids: BTreeSet<CiId>,
    pub implementer: Option<UserId>,
}

/// A freeze period; no CIs means every CI.
#[derive(Debug, Clone)]
pub struct Freeze {
    pub id: i32,
    pub title: String,
    pub window: Window,
    pub ci_ids: BTreeSet<CiId>,
}

text_enum! {
    /// Why a window conflicts.
    pub enum ConflictKind {
        /// (a) another scheduled change on a shared CI overlaps.
        SharedCi = "shared_ci",
        /// (b) a blackout window overlaps (global, or on a shared CI).
        Blackout = "blackout",
        /// (c) the same implementer has another change in an overlapping window.
        ImplementerBusy = "implementer_busy",
        /// A warning, not a block: the window lies outside the maintenance windows of
        /// an affected CI (`ci_ids`).
        OutsideMaintenance = "outside_maintenance",
    }
}

impl ConflictKind {
    /// Whether this kind can refuse a window (a warning never does).
    pub fn blocks(self) -> bool {
        self != ConflictKind::OutsideMaintenance
    }
}

/// One conflict, as listed on the change and in 409 answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// The other change (`shared_ci`, `implementer_busy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_id: Option<ChangeId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_ref: Option<String>,
    /// The blackout (`blackout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blackout_id: Option<i32>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// CIs the two have in common (empty for a global blackout or an implementer clash).
    pub ci_ids: Vec<CiId>,
}

/// Every conflict of `planned` with the booked changes and freezes given. The caller
/// passes candidates whose windows may overlap; this function decides.
pub fn conflicts(planned: &Planned, booked: &[Booked], freezes: &[Freeze]) -> Vec<Conflict> {
    let mut found = Vec::new();
    for other in booked {
        if Some(other.id) == planned.id || !other.window.overlaps(&planned.window) {
            continue;
        }
        found.extend(clashes(&planned.ci_ids, planned.implementer, other));
    }
    found.extend(frozen(&planned.window, &planned.ci_ids, freezes));
    found
}

/// How `other`, whose window overlaps, clashes with a window on `ci_ids` done by
/// `implementer`: on shared CIs, then by the same implementer.
fn clashes(ci_ids: &BTreeSet<CiId>, implementer: Option<UserId>, other: &Booked) -> Vec<Conflict> {
    let on_change = |kind, ci_ids| Conflict {
        kind,
        change_id: Some(other.id),
        change_ref: Some(other.id.reference()),
        blackout_id: None,
        title: other.title.clone(),
        starts_at: other.window.start(),
        ends_at: other.window.end(),
        ci_ids,
    };
    let mut found = Vec::new();
    let shared: Vec<CiId> = ci_ids.intersection(&other.ci_ids).copied().collect();
    if !shared.is_empty() {
        found.push(on_change(ConflictKind::SharedCi, shared));
    }
    if implementer.is_some() && implementer == other.implementer {
        found.push(on_change(ConflictKind::ImplementerBusy, Vec::new()));
    }
    found
}

/// The freezes a window on `ci_ids` falls in: global ones, and those on one of its CIs.
fn frozen<'a>(
    window: &'a Window,
    ci_ids: &'a BTreeSet<CiId>,
    freezes: &'a [Freeze],
) -> impl Iterator<Item = Conflict> + 'a {
    freezes.iter().filter(|f| f.window.overlaps(window)).filter_map(move |freeze| {
        let shared: Vec<CiId> = ci_ids.intersection(&freeze.ci_ids).copied().collect();
        (freeze.ci_ids.is_empty() || !shared.is_empty()).then(|| Conflict {
            kind: ConflictKind::Blackout,
            change_id: None,
            change_ref: None,
            blackout_id: Some(freeze.id),
            title: freeze.title.clone(),
            starts_at: freeze.window.start(),
            ends_at: freeze.window.end(),
            ci_ids: shared,
        })
    })
}

/// Booked windows in order of start, to hand `conflicts` only those that may overlap a
/// window instead of every one: they start before it ends, and no longer before it
/// starts than the longest of them lasts (two binary searches).
#[derive(Debug, Clone)]
pub struct ByStart {
    booked: Vec<Booked>,
    longest: chrono::Duration,
}

impl ByStart {
    pub fn new(mut booked: Vec<Booked>) -> Self {
        booked.sort_by_key(|b| b.window.start());
        let longest = booked.iter().map(|b| b.window.end() - b.window.start()).max().unwrap_or_default();
        ByStart { booked, longest }
    }

    /// Those that may overlap `window`, in order of start (`conflicts` decides).
    pub fn near(&self, window: &Window) -> &[Booked] {
        let from = self.booked.partition_point(|b| b.window.start() + self.longest <= window.start());
        let to = self.booked.partition_point(|b| b.window.start() < window.end());
        &self.booked[from..to.max(from)]
    }
}

/// The conflicts of each of `booked` with the others and with the freezes, as `conflicts`
/// finds them for one against all (with `booked` in order of start, as the calendar reads
/// them), in one pass: sorted by start, each window is compared only with those that start
/// before it ends, not with every other. The calendar's marks are the non-empty ones.
pub fn conflicts_each(booked: &[Booked], freezes: &[Freeze]) -> Vec<Vec<Conflict>> {
    let mut order: Vec<usize> = (0..booked.len()).collect();
    order.sort_by_key(|&i| booked[i].window.start());
    let mut found: Vec<Vec<Conflict>> = vec![Vec::new(); booked.len()];
    for (position, &i) in order.iter().enumerate() {
        let this = &booked[i];
        for &j in order[position + 1..].iter().take_while(|&&j| booked[j].window.start() < this.window.end())
        {
            let that = &booked[j];
            if this.id == that.id || !this.window.overlaps(&that.window) {
                continue;
            }
            // Each learns of the other in order of start: `i` of the later `j` now, `j` of
            // every earlier one before its own turn.
            let (of_this, of_that) = (
                clashes(&this.ci_ids, this.implementer, that),
                clashes(&that.ci_ids, that.implementer, this),
            );
            found[i].extend(of_this);
            found[j].extend(of_that);
        }
    }
    for (i, this) in booked.iter().enumerate() {
        found[i].extend(frozen(&this.window, &this.ci_ids, freezes));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn window(from: u32, to: u32) -> Window {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
        Window::new(at(from), at(to)).unwrap()
    }

    fn cis(ids: &[i32]) -> BTreeSet<CiId> {
        ids.iter().map(|i| CiId(*i)).collect()
    }

    fn planned() -> Planned {
        Planned {
            id: Some(ChangeId(1)),
            window: window(10, 12),
            ci_ids: cis(&[1, 2]),
            implementer: Some(UserId(7)),
        }
    }

    fn booked(id: i32, w: Window, ci: &[i32], implementer: i32) -> Booked {
        Booked {
            id: ChangeId(id),
            title: format!("change {id}"),
            window: w,
            ci_ids: cis(ci),
            implementer: Some(UserId(implementer)),
        }
    }

    #[test]
    fn an_overlapping_change_on_a_shared_ci_conflicts() {
        let found = conflicts(&planned(), &[booked(2, window(11, 13), &[2, 3], 8)], &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ConflictKind::SharedCi);
        assert_eq!(found[0].ci_ids, vec![CiId(2)]);
        assert_eq!(found[0].change_ref.as_deref(), Some("CHG-000002"));
    }

    #[test]
    fn no_conflict_without_overlap_or_shared_ci() {
        let others = [booked(2, window(12, 13), &[1], 7), booked(3, window(10, 12), &[3], 8)];
        assert!(conflicts(&planned(), &others, &[]).is_empty());
    }

    #[test]
    fn the_change_itself_is_not_a_conflict() {
        assert!(conflicts(&planned(), &[booked(1, window(10, 12), &[1], 7)], &[]).is_empty());
    }

    #[test]
    fn the_implementer_cannot_be_in_two_places() {
        let found = conflicts(&planned(), &[booked(2, window(9, 11), &[9], 7)], &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ConflictKind::ImplementerBusy);
    }

    fn booked_long(id: i32, w: Window) -> Booked {
        booked(id, w, &[0, 1, 2], 0)
    }

    #[test]
    fn both_sides_of_a_clash_and_windows_in_a_freeze_are_marked() {
        let booked = [
            booked(1, window(10, 12), &[1], 7),
            booked(2, window(11, 13), &[1], 8),
            booked(3, window(14, 15), &[2], 9),
            booked(4, window(16, 17), &[3], 9),
        ];
        let freeze = Freeze { id: 1, title: "freeze".into(), window: window(16, 18), ci_ids: cis(&[3]) };
        let marked: Vec<bool> = conflicts_each(&booked, &[freeze]).iter().map(|c| !c.is_empty()).collect();
        assert_eq!(marked, [true, true, false, true]);
    }

    proptest::proptest! {
        /// Only the windows that cannot overlap are left out: the conflicts found among the
        /// near ones are all of them, in the same order.
        #[test]
        fn the_near_windows_hold_every_conflict(
            spans in proptest::collection::vec((0u32..22, 1u32..6, 0i32..3), 0..24),
            long in proptest::option::of(0u32..10),
            from in 0u32..22,
            hours in 1u32..3,
        ) {
            let mut booked: Vec<Booked> = spans
                .iter()
                .enumerate()
                .map(|(n, &(start, hours, ci))| booked(n as i32 + 2, window(start, (start + hours).min(23)), &[ci], n as i32))
                .collect();
            if let Some(start) = long {
                booked.push(booked_long(99, window(start, 23)));
            }
            let planned = Planned { id: None, window: window(from, (from + hours).min(23)), ci_ids: cis(&[0, 1, 2]), implementer: None };
            let index = ByStart::new(booked.clone());
            booked.sort_by_key(|b| b.window.start());
            proptest::prop_assert_eq!(
                conflicts(&planned, index.near(&planned.window), &[]),
                conflicts(&planned, &booked, &[])
            );
        }

        /// The one pass finds for each booked change exactly what `conflicts` finds for it
        /// against all the others, in the same order.
        #[test]
        fn each_one_conflicts_as_it_does_alone(
            spans in proptest::collection::vec((0u32..20, 1u32..4, 0i32..4, 0i32..3, 0u32..3), 0..24),
            freeze in (0u32..20, 1u32..4, proptest::option::of(0i32..4)),
        ) {
            let mut booked: Vec<Booked> = spans
                .iter()
                .enumerate()
                .map(|(n, &(from, hours, ci, second_ci, implementer))| {
                    let mut b = booked(n as i32 + 1, window(from, (from + hours).min(23)), &[ci, ci + second_ci], implementer as i32);
                    b.implementer = (implementer > 0).then_some(UserId(implementer as i32));
                    b
                })
                .collect();
            booked.sort_by_key(|b| b.window.start());
            let (from, hours, ci) = freeze;
            let freezes = [Freeze { id: 1, title: "freeze".into(), window: window(from, (from + hours).min(23)), ci_ids: ci.map_or_else(BTreeSet::new, |c| cis(&[c])) }];
            let each = conflicts_each(&booked, &freezes);
            for (b, found) in booked.iter().zip(&each) {
                let planned = Planned { id: Some(b.id), window: b.window, ci_ids: b.ci_ids.clone(), implementer: b.implementer };
                proptest::prop_assert_eq!(found, &conflicts(&planned, &booked, &freezes));
            }
        }
    }

    #[test]
    fn global_blackouts_and_blackouts_on_shared_cis_conflict() {
        let freeze =
            |id, ci: &[i32]| Freeze { id, title: "freeze".into(), window: window(11, 20), ci_ids: cis(ci) };
        let found = conflicts(&planned(), &[], &[freeze(1, &[]), freeze(2, &[2]), freeze(3, &[5])]);
        let ids: Vec<_> = found.iter().map(|c| c.blackout_id).collect();
        assert_eq!(ids, vec![Some(1), Some(2)]);
    }
}
