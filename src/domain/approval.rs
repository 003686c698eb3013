//! CAB approval rules (SPEC §5): which rule applies to a change, and what a set of votes
//! decides under it. `decide` is a pure function of (rule, votes).

use super::change::ChangeType;
use super::ids::UserId;
use super::risk::RiskLevel;
use super::text_enum::text_enum;
use serde::{Deserialize, Serialize};

text_enum! {
    /// A voter's decision.
    pub enum VoteDecision {
        Approve = "approve",
        Reject = "reject",
    }
}

/// What it takes to approve a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Approvals needed.
    pub approvals: u32,
    /// Whether one of the approvals must come from a change manager.
    pub manager_needed: bool,
}

impl Rule {
    pub const fn new(approvals: u32, manager_needed: bool) -> Self {
        Rule { approvals, manager_needed }
    }
}

/// The configurable rules; the defaults are those of SPEC §5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalPolicy {
    pub low: Rule,
    pub medium: Rule,
    pub high: Rule,
    pub very_high: Rule,
    pub emergency: Rule,
    /// One rejection from an eligible voter rejects the change. When off, a change is
    /// rejected once as many voters reject as approvals are required.
    pub veto: bool,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy {
            low: Rule::new(1, true),
            medium: Rule::new(2, false),
            high: Rule::new(3, true),
            very_high: Rule::new(4, true),
            emergency: Rule::new(2, true),
            veto: true,
        }
    }
}

impl ApprovalPolicy {
    /// The rule for a change of this type and (possibly overridden) risk level.
    pub fn rule_for(&self, change_type: ChangeType, level: RiskLevel) -> Rule {
        if change_type == ChangeType::Emergency {
            return self.emergency;
        }
        match level {
            RiskLevel::Low => self.low,
            RiskLevel::Medium => self.medium,
            RiskLevel::High => self.high,
            RiskLevel::VeryHigh => self.very_high,
        }
    }
}

/// One vote as cast. `seq` orders the votes of one voter: the latest counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ballot {
    pub voter: UserId,
    pub as_manager: bool,
    pub decision: VoteDecision,
    pub seq: i64,
}

/// How far a change in `authorize` is from approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub approvals: u32,
    pub required: u32,
    /// A change manager's approval is still missing.
    pub manager_needed: bool,
}

/// What the votes decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pending(Progress),
    Approved,
    Rejected,
}

/// Counts the latest ballot of each voter against `rule`.
pub fn decide(rule: Rule, veto: bool, ballots: &[Ballot]) -> Outcome {
    let latest = latest_per_voter(ballots);
    let approvals = latest.iter().filter(|b| b.decision == VoteDecision::Approve);
    let approval_count = approvals.clone().count() as u32;
    let manager_approved = approvals.clone().any(|b| b.as_manager);
    let rejections = latest.iter().filter(|b| b.decision == VoteDecision::Reject).count() as u32;

    let rejected = if veto { rejections > 0 } else { rejections >= rule.approvals.max(1) };
    if rejected {
        return Outcome::Rejected;
    }
    let manager_missing = rule.manager_needed && !manager_approved;
    if approval_count >= rule.approvals && !manager_missing {
        Outcome::Approved
    } else {
        Outcome::Pending(Progress {
            approvals: approval_count,
            required: rule.approvals,
            manager_needed: manager_missing,
        })
    }
}

/// The latest ballot (highest `seq`) of each voter, in voter order.
pub fn latest_per_voter(ballots: &[Ballot]) -> Vec<Ballot> {
    let mut latest: std::collections::BTreeMap<UserId, Ballot> = Default::default();
    for ballot in ballots {
        match latest.get(&ballot.voter) {
            Some(kept) if kept.seq >= ballot.seq => {}
            _ => {
                latest.insert(ballot.voter, *ballot);
            }
        }
    }
    latest.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ballot(voter: i32, as_manager: bool, decision: VoteDecision, seq: i64) -> Ballot {
        Ballot { voter: UserId(voter), as_manager, decision, seq }
    }

    fn approve(voter: i32, as_manager: bool, seq: i64) -> Ballot {
        ballot(voter, as_manager, VoteDecision::Approve, seq)
    }

    #[test]
    fn the_default_rules_are_those_of_the_spec() {
        let policy = ApprovalPolicy::default();
        let normal = ChangeType::Normal;
        assert_eq!(policy.rule_for(normal, RiskLevel::Low), Rule::new(1, true));
        assert_eq!(policy.rule_for(normal, RiskLevel::Medium), Rule::new(2, false));
        assert_eq!(policy.rule_for(normal, RiskLevel::High), Rule::new(3, true));
        assert_eq!(policy.rule_for(normal, RiskLevel::VeryHigh), Rule::new(4, true));
        for level in RiskLevel::ALL {
            assert_eq!(policy.rule_for(ChangeType::Emergency, *level), Rule::new(2, true));
        }
    }

    #[test]
    fn high_risk_needs_a_change_manager_among_three_approvals() {
        let rule = Rule::new(3, true);
        let members = [approve(1, false, 1), approve(2, false, 2), approve(3, false, 3)];
        assert_eq!(
            decide(rule, true, &members),
            Outcome::Pending(Progress { approvals: 3, required: 3, manager_needed: true })
        );
        let mut with_manager = members.to_vec();
        with_manager.push(approve(4, true, 4));
        assert_eq!(decide(rule, true, &with_manager), Outcome::Approved);
    }

    #[test]
    fn the_latest_vote_of_a_person_counts() {
        let rule = Rule::new(1, false);
        let changed_mind = [ballot(1, false, VoteDecision::Reject, 1), approve(1, false, 2)];
        assert_eq!(decide(rule, true, &changed_mind), Outcome::Approved);
        let twice = [approve(1, false, 1), approve(1, false, 2)];
        assert_eq!(
            decide(Rule::new(2, false), true, &twice),
            Outcome::Pending(Progress { approvals: 1, required: 2, manager_needed: false })
        );
    }

    #[test]
    fn without_veto_rejection_needs_as_many_voices_as_approval() {
        let rule = Rule::new(2, false);
        let one_no = [ballot(1, false, VoteDecision::Reject, 1), approve(2, false, 2)];
        assert!(matches!(decide(rule, false, &one_no), Outcome::Pending(_)));
        let two_no = [ballot(1, false, VoteDecision::Reject, 1), ballot(2, false, VoteDecision::Reject, 2)];
        assert_eq!(decide(rule, false, &two_no), Outcome::Rejected);
    }

    fn arb_ballots() -> impl Strategy<Value = Vec<Ballot>> {
        prop::collection::vec((1..8i32, any::<bool>(), any::<bool>()), 0..12).prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (voter, as_manager, yes))| {
                    let decision = if yes { VoteDecision::Approve } else { VoteDecision::Reject };
                    ballot(voter, as_manager, decision, i as i64)
                })
                .collect()
        })
    }

    fn arb_rule() -> impl Strategy<Value = Rule> {
        (1..5u32, any::<bool>()).prop_map(|(n, m)| Rule::new(n, m))
    }

    proptest! {
        #[test]
        fn the_outcome_does_not_depend_on_vote_order(
            rule in arb_rule(), veto in any::<bool>(), ballots in arb_ballots(), seed in any::<u64>()
        ) {
            let mut shuffled = ballots.clone();
            // A deterministic shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(decide(rule, veto, &ballots), decide(rule, veto, &shuffled));
        }

        #[test]
        fn a_veto_always_rejects(rule in arb_rule(), ballots in arb_ballots()) {
            let latest = latest_per_voter(&ballots);
            let someone_rejects = latest.iter().any(|b| b.decision == VoteDecision::Reject);
            prop_assert_eq!(decide(rule, true, &ballots) == Outcome::Rejected, someone_rejects);
        }

        #[test]
        fn never_approved_with_fewer_approvals_than_the_rule(
            rule in arb_rule(), veto in any::<bool>(), ballots in arb_ballots()
        ) {
            if decide(rule, veto, &ballots) == Outcome::Approved {
                let latest = latest_per_voter(&ballots);
                let yes: Vec<_> = latest.iter().filter(|b| b.decision == VoteDecision::Approve).collect();
                prop_assert!(yes.len() as u32 >= rule.approvals);
                prop_assert!(!rule.manager_needed || yes.iter().any(|b| b.as_manager));
            }
        }
    }
}
