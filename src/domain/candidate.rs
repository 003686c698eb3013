//! Standard changes earned from history: a normal change repeated with success — on the
//! same configuration items, copied from the same change or under a similar title, at least `MIN_REPEATS` times in the
//! last `WINDOW_DAYS`, every one successful and none the cause of an incident — is a
//! candidate for a standard change template. The evidence is the series itself.

use super::change::ClosureCode;
use super::ids::{ChangeId, CiId};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

/// How many successful repeats make a candidate.
pub const MIN_REPEATS: usize = 5;
/// How far back the series is read.
pub const WINDOW: Duration = Duration::days(365);
/// How alike two titles' words must be (shared words over all words) to be one job.
const SIMILAR: f64 = 0.75;

/// A normal change whose implementation ended, as the detection reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub id: ChangeId,
    pub title: String,
    pub ci_ids: BTreeSet<CiId>,
    pub closure: ClosureCode,
    /// It was named the cause of an incident.
    pub caused: bool,
    pub ended: DateTime<Utc>,
    /// How long its window was, in minutes.
    pub minutes: i64,
    /// A change manager already accepted or dismissed a series holding it.
    pub decided: bool,
    /// The first change of the line it was copied from ("copy into a new draft"), or
    /// itself: copies of one source are one job whatever their titles.
    pub source: ChangeId,
}

/// The words of a title that say what the job is: lower-case, without numbers, dates,
/// versions or punctuation ("Oppdater Elements til 5.2.1 (uke 12)" → {oppdater,
/// elements, til, uke}).
pub fn title_words(title: &str) -> BTreeSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && !w.chars().any(|c| c.is_numeric()))
        .map(str::to_lowercase)
        .collect()
}

/// Whether two titles name the same job: most of their words are shared.
pub fn similar(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let all = a.union(b).count();
    all > 0 && a.intersection(b).count() as f64 / all as f64 >= SIMILAR
}

/// A series of repeats of one job on the same CIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Oldest first.
    pub changes: Vec<Done>,
}

impl Series {
    pub fn latest(&self) -> &Done {
        self.changes.last().expect("a series is never empty")
    }

    /// Every repeat successful (not "successful with issues"), none caused an incident,
    /// enough of them, and no change manager has decided about it yet.
    pub fn qualifies(&self) -> bool {
        self.changes.len() >= MIN_REPEATS
            && self.changes.iter().all(|c| c.closure == ClosureCode::Successful && !c.caused)
            && !self.changes.iter().any(|c| c.decided)
    }

    /// The longest window of the series, up to the next quarter of an hour: the
    /// template's longest duration.
    pub fn max_minutes(&self) -> i64 {
        let longest = self.changes.iter().map(|c| c.minutes).max().unwrap_or(60).max(15);
        (longest + 14) / 15 * 15
    }
}

/// Groups the changes that ended since `since` into series (same CIs, and copied from the
/// same source or under a title like the series' latest: each joins the first such
/// series) and keeps those that qualify, the longest series first.
pub fn candidates(mut done: Vec<Done>, since: DateTime<Utc>) -> Vec<Series> {
    done.retain(|c| c.ended >= since && !c.ci_ids.is_empty());
    done.sort_by_key(|c| (c.ended, c.id));
    // Each series with its latest title's words and the sources of its changes.
    let mut series: Vec<(BTreeSet<String>, BTreeSet<ChangeId>, Series)> = Vec::new();
    for change in done {
        let words = title_words(&change.title);
        let joined = series.iter_mut().find(|(latest_words, sources, s)| {
            s.latest().ci_ids == change.ci_ids
                && (sources.contains(&change.source) || similar(latest_words, &words))
        });
        match joined {
            Some((latest_words, sources, s)) => {
                *latest_words = words;
                sources.insert(change.source);
                s.changes.push(change);
            }
            None => series.push((words, BTreeSet::from([change.source]), Series { changes: vec![change] })),
        }
    }
    let mut found: Vec<Series> = series.into_iter().map(|(_, _, s)| s).filter(Series::qualifies).collect();
    found.sort_by_key(|s| (std::cmp::Reverse(s.changes.len()), s.latest().id));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
    }

    fn done(id: i32, title: &str, cis: &[i32], days_ago: i64) -> Done {
        Done {
            id: ChangeId(id),
            title: title.into(),
            ci_ids: cis.iter().copied().map(CiId).collect(),
            closure: ClosureCode::Successful,
            caused: false,
            ended: now() - Duration::days(days_ago),
            minutes: 50,
            decided: false,
            source: ChangeId(id),
        }
    }

    fn monthly(cis: &[i32], n: i32) -> Vec<Done> {
        (1..=n)
            .map(|i| {
                done(i, &format!("Månedlig patching av Elements {i}.0 (uke {})", i * 4), cis, i as i64 * 30)
            })
            .collect()
    }

    #[test]
    fn numbers_and_punctuation_do_not_make_another_job() {
        assert_eq!(
            title_words("Oppdater Elements til 5.2.1 (uke 12)"),
            title_words("oppdater elements til 5.3 – uke 16")
        );
        assert!(similar(
            &title_words("Månedlig patching av Elements"),
            &title_words("Månedlig patching Elements")
        ));
        assert!(!similar(
            &title_words("Månedlig patching av Elements"),
            &title_words("Bytte disker i lagringsenheten")
        ));
        assert!(!similar(&title_words("1234"), &title_words("5678")), "no words: nothing to compare");
    }

    #[test]
    fn five_successful_repeats_in_a_year_on_the_same_cis_make_a_candidate() {
        let found = candidates(monthly(&[1, 2], 5), now() - WINDOW);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].changes.len(), 5);
        assert_eq!(found[0].max_minutes(), 60, "50 minutes, up to the quarter");
    }

    #[test]
    fn too_few_repeats_make_none() {
        assert!(candidates(monthly(&[1], 4), now() - WINDOW).is_empty());
    }

    #[test]
    fn one_failure_or_caused_incident_or_issues_in_the_series_makes_none() {
        for spoil in [
            |c: &mut Done| c.closure = ClosureCode::BackedOut,
            |c: &mut Done| c.closure = ClosureCode::Failed,
            |c: &mut Done| c.closure = ClosureCode::SuccessfulWithIssues,
            |c: &mut Done| c.caused = true,
        ] {
            let mut series = monthly(&[1], 6);
            spoil(&mut series[2]);
            assert!(candidates(series, now() - WINDOW).is_empty());
        }
    }

    #[test]
    fn repeats_older_than_a_year_do_not_count() {
        let mut series = monthly(&[1], 4);
        series.push(done(99, "Månedlig patching av Elements 9.0", &[1], 400));
        assert!(candidates(series, now() - WINDOW).is_empty());
    }

    #[test]
    fn other_cis_or_another_job_are_another_series() {
        let mut changes = monthly(&[1], 3);
        changes.extend(monthly(&[2], 3).into_iter().map(|c| Done { id: ChangeId(c.id.0 + 10), ..c }));
        assert!(candidates(changes, now() - WINDOW).is_empty(), "3 + 3 on different CIs");
        let mut changes = monthly(&[1], 3);
        changes.extend((0..3).map(|i| done(20 + i, "Bytte disker i lagringsenheten", &[1], 10 + i as i64)));
        assert!(candidates(changes, now() - WINDOW).is_empty(), "3 + 3 of different jobs");
    }

    #[test]
    fn copies_of_one_change_are_one_job_whatever_their_titles() {
        let titles = ["Kopi a", "Endret tittel", "Noe annet", "Flytting", "Siste"];
        let mut changes: Vec<Done> = (1..=5)
            .map(|i| Done { source: ChangeId(1), ..done(i, titles[i as usize - 1], &[1], 10 * i as i64) })
            .collect();
        assert_eq!(candidates(changes.clone(), now() - WINDOW).len(), 1);
        changes[2].source = ChangeId(3);
        assert!(candidates(changes, now() - WINDOW).is_empty(), "one is not a copy and its title is unlike");
    }

    #[test]
    fn a_series_decided_before_is_not_proposed_again() {
        let mut series = monthly(&[1], 7);
        series[0].decided = true;
        assert!(candidates(series, now() - WINDOW).is_empty());
    }
}
