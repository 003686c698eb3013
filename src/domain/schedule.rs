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
        let shared: Vec<CiId> = planned.ci_ids.intersection(&other.ci_ids).copied().collect();
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
        if !shared.is_empty() {
            found.push(on_change(ConflictKind::SharedCi, shared));
        }
        if planned.implementer.is_some() && planned.implementer == other.implementer {
            found.push(on_change(ConflictKind::ImplementerBusy, Vec::new()));
        }
    }
    for freeze in freezes.iter().filter(|f| f.window.overlaps(&planned.window)) {
        let shared: Vec<CiId> = planned.ci_ids.intersection(&freeze.ci_ids).copied().collect();
        if freeze.ci_ids.is_empty() || !shared.is_empty() {
            found.push(Conflict {
                kind: ConflictKind::Blackout,
                change_id: None,
                change_ref: None,
                blackout_id: Some(freeze.id),
                title: freeze.title.clone(),
                starts_at: freeze.window.start(),
                ends_at: freeze.window.end(),
                ci_ids: shared,
            });
        }
    }
    found
}

/// For each of `booked`, whether it conflicts with another of them or with a freeze: the
/// calendar's marks. Sorted by start, each window is compared only with those that start
/// before it ends.
pub fn marks(booked: &[Booked], freezes: &[Freeze]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..booked.len()).collect();
    order.sort_by_key(|&i| booked[i].window.start());
    let mut marked = vec![false; booked.len()];
    for (position, &i) in order.iter().enumerate() {
        let this = &booked[i];
        for &j in order[position + 1..].iter().take_while(|&&j| booked[j].window.start() < this.window.end())
        {
            let that = &booked[j];
            let shared_ci = !this.ci_ids.is_disjoint(&that.ci_ids);
            let same_implementer = this.implementer.is_some() && this.implementer == that.implementer;
            if this.window.overlaps(&that.window) && (shared_ci || same_implementer) {
                marked[i] = true;
                marked[j] = true;
            }
        }
        let frozen = freezes.iter().any(|f| {
            f.window.overlaps(&this.window) && (f.ci_ids.is_empty() || !f.ci_ids.is_disjoint(&this.ci_ids))
        });
        marked[i] |= frozen;
    }
    marked
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

    #[test]
    fn marks_flag_both_sides_of_a_clash_and_windows_in_a_freeze() {
        let booked = [
            booked(1, window(10, 12), &[1], 7),
            booked(2, window(11, 13), &[1], 8),
            booked(3, window(14, 15), &[2], 9),
            booked(4, window(16, 17), &[3], 9),
        ];
        let freeze = Freeze { id: 1, title: "freeze".into(), window: window(16, 18), ci_ids: cis(&[3]) };
        assert_eq!(marks(&booked, &[freeze]), [true, true, false, true]);
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
