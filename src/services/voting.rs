//! CAB votes (SPEC §5): record the vote, count the round, decide at most once.
//!
//! The write transaction serialises voters, so two votes arriving together on two
//! instances are counted one after the other: exactly one of them completes the rule,
//! and only that one records the decision and queues its notices.

use super::audit::{record, Event};
use super::change_view::ChangeView;
use super::lifecycle::{check_window, perform, Applied, Blocking, Force};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::db::vote_tokens::{self, VoteToken};
use crate::db::votes::{self, NewVote};
use crate::domain::approval::{decide, Outcome, VoteDecision};
use crate::domain::caller::Caller;
use crate::domain::change::ChangeState;
use crate::domain::ids::{ChangeId, UserId};
use crate::domain::lifecycle::{transition, Action};
use crate::domain::meeting::DecisionOutcome;
use crate::domain::text::Text;
use crate::domain::validation::{optional_text, Message};
use serde::Deserialize;
use serde_json::json;

/// Body of `votes`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    pub decision: VoteDecision,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<5000>)]
    pub comment: Text,
    /// An approval that decides schedules the change: when its window now lies in a
    /// blackout, a change manager may still approve it with `force` and a `reason`.
    #[serde(default)]
    pub force: bool,
    #[schema(schema_with = crate::domain::schema::optional_or_null::<20000>)]
    pub reason: Option<Text>,
    /// Vote for this person, who has named the caller their delegate (SPEC §5).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub on_behalf_of: Option<i32>,
}

/// How a vote arrived.
#[derive(Debug, Clone, Copy)]
pub enum Channel<'a> {
    Web,
    /// From an email's link: the token is used up in the same transaction as the vote.
    Email(&'a VoteToken),
}

pub fn vote(ctx: &Ctx, caller: &Caller, id: ChangeId, input: VoteInput) -> ServiceResult<ChangeView> {
    cast(ctx, caller, id, input, Channel::Web)
}

/// Records a vote and, when it completes the rule, the decision.
pub fn cast(
    ctx: &Ctx,
    caller: &Caller,
    id: ChangeId,
    input: VoteInput,
    channel: Channel<'_>,
) -> ServiceResult<ChangeView> {
    // A delegate's vote: segregation of duties for the delegate here, for the principal below.
    let permission = if input.on_behalf_of.is_some() { Permission::VoteFor } else { Permission::Vote };
    let decision = input.decision;
    let cast = perform(ctx, caller, id, permission, "vote", |conn, change, now| {
        // The texts, once the policy has let the caller in (who may not vote is told that).
        let comment = optional_text(&input.comment, 5000).map_err(|m| ServiceError::invalid("comment", m))?;
        super::lifecycle::check_reason(input.reason.as_ref())?;
        if input.decision == VoteDecision::Reject && comment.is_empty() {
            return Err(ServiceError::invalid("comment", Message::new("msg-reject-reason")));
        }
        if change.state != ChangeState::Authorize {
            return Err(transition(change.state, change.change_type, Action::Vote(Outcome::Approved))
                .err()
                .map_or_else(
                    || ServiceError::Conflict(Message::new("msg-not-awaiting-votes")),
                    ServiceError::from,
                ));
        }
        let principal = match input.on_behalf_of {
            None => None,
            Some(id) => Some(principal(ctx, conn, caller, UserId(id), change, now)?),
        };
        let voter = principal.as_ref().unwrap_or(caller);
        let as_manager = ctx.authz.allows(voter, Permission::VoteAsManager, &Object::change(change));
        let vote = NewVote {
            change: change.id,
            round: change.decision_round,
            voter: voter.id,
            cast_by: principal.as_ref().map(|_| caller.id),
            as_manager,
            decision: input.decision,
            comment: &comment,
            at: now,
        };
        votes::insert(conn, &vote)?;
        let ballots: Vec<_> = votes::of_change(conn, change.id)?
            .iter()
            .filter(|v| v.round == change.decision_round)
            .map(|v| v.ballot())
            .collect();
        let rule = ctx.config.approval.rule_for(change.change_type, change.risk.level);
        let outcome = decide(rule, ctx.config.approval.veto, &ballots);
        let to = transition(change.state, change.change_type, Action::Vote(outcome))?;
        if let Channel::Email(token) = channel {
            let current = vote_tokens::find_by_id(conn, token.id)?;
            if current.is_none_or(|t| t.used) || token.round != change.decision_round {
                return Err(ServiceError::Conflict(Message::new("msg-vote-link-spent")));
            }
            vote_tokens::use_all(conn, token, now)?;
        }
        let via = match channel {
            Channel::Web => "web",
            Channel::Email(_) => "email",
        };
        let mut vote_event = json!({ "decision": input.decision, "comment": comment, "round": change.decision_round, "as_manager": as_manager, "via": via });
        if let Some(principal) = &principal {
            vote_event["on_behalf_of"] = json!({ "id": principal.id, "name": principal.name });
        }
        if to == change.state {
            return Ok(Applied::commented(vote_event, comment));
        }
        // The vote itself is one event; the decision it completed is the other.
        let event = Event {
            change: Some(change),
            actor: Some(caller.id),
            action: "vote",
            from: Some(change.state),
            to: Some(change.state),
            payload: vote_event,
        };
        record(conn, event, now)?;
        let mut payload = json!({ "round": change.decision_round, "rule": rule });
        if to == ChangeState::Scheduled {
            // A freeze may have been declared while the change waited for the CAB.
            let force = Force { force: input.force, reason: input.reason.clone() };
            payload["schedule"] = check_window(ctx, conn, caller, change, &force, Blocking::Freezes)?;
        }
        change.state = to;
        change.decided_at = Some(now);
        payload["decision"] = json!(if to == ChangeState::Scheduled { "approved" } else { "rejected" });
        Ok(Applied { payload, comment: Some(comment), event_action: Some("decide") })
    });
    if let Ok(view) = &cast {
        metrics::counter!("endring_votes_total", "decision" => decision.as_str()).increment(1);
        if view.state != ChangeState::Authorize {
            metrics::counter!("endring_decisions_total", "outcome" => view.state.as_str()).increment(1);
        }
    }
    cast
}

/// The person `caller` votes for: they must have named `caller` their delegate, in force
/// now, and be allowed to vote on `change` themselves.
fn principal(
    ctx: &Ctx,
    conn: &mut crate::db::DbConn,
    caller: &Caller,
    id: UserId,
    change: &crate::domain::change::Change,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Caller> {
    let principal = super::delegations::principals_of(conn, caller.id, now)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ServiceError::invalid("on_behalf_of", Message::new("msg-delegation-not-in-force")))?;
    ctx.require(&principal, Permission::Vote, &Object::change(change))?;
    // The member's own vote stands: a delegate does not overwrite it.
    let voted_themselves = votes::of_change(conn, change.id)?
        .iter()
        .any(|v| v.round == change.decision_round && v.voter_id == principal.id && v.cast_by.is_none());
    if voted_themselves {
        let message = Message::new("msg-member-voted").arg("name", &principal.name);
        return Err(ServiceError::Conflict(message));
    }
    Ok(principal)
}

/// Who is in a meeting: the attendees, and the absent members an attending delegate
/// stands in for (`(member, delegate)`, recorded when the meeting opened).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Present<'a> {
    pub attendees: &'a [Caller],
    pub stand_ins: &'a [(Caller, UserId)],
}

/// Records the CAB's decision on a change in meeting `meeting`: approve or reject as the
/// ballots of the attendees who may vote on it (segregation of duties holds), decided by
/// the rule exactly as for votes — a decision the rule does not support is refused with
/// the reason; return to draft; or defer to the next meeting. One transaction, one event
/// naming the meeting and the attendees.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide_in_meeting(
    ctx: &Ctx,
    chair: &Caller,
    id: ChangeId,
    meeting: i32,
    present: Present<'_>,
    outcome: DecisionOutcome,
    comment: String,
    force: Force,
) -> ServiceResult<ChangeView> {
    if matches!(outcome, DecisionOutcome::Reject | DecisionOutcome::Return) && comment.is_empty() {
        return Err(ServiceError::invalid("comment", Message::new("msg-reject-reason")));
    }
    perform(ctx, chair, id, Permission::ManageMeetings, "meeting_decision", |conn, change, now| {
        crate::db::meetings::record_decision(
            conn,
            meeting,
            change.id.0,
            outcome.as_str(),
            &comment,
            chair.id.0,
            now,
        )?;
        let attendees = present.attendees;
        let attending: Vec<i32> = attendees.iter().map(|a| a.id.0).collect();
        let mut payload =
            json!({ "meeting_id": meeting, "outcome": outcome, "comment": comment, "attendees": attending });
        match outcome {
            // Only what waits for the CAB is deferred to its next meeting.
            DecisionOutcome::Defer if change.state == ChangeState::Authorize => {
                Ok(Applied { payload, comment: None, event_action: Some("defer") })
            }
            DecisionOutcome::Defer => Err(ServiceError::Conflict(Message::new("msg-not-awaiting-votes"))),
            DecisionOutcome::Return => {
                let to = transition(change.state, change.change_type, Action::Return)?;
                if change.state == ChangeState::Authorize {
                    change.decision_round += 1;
                }
                change.state = to;
                Ok(Applied { payload, comment: Some(comment), event_action: Some("return") })
            }
            DecisionOutcome::Approve | DecisionOutcome::Reject => {
                if change.state != ChangeState::Authorize {
                    return Err(ServiceError::Conflict(Message::new("msg-not-awaiting-votes")));
                }
                let object = Object::change(change);
                let decision = match outcome {
                    DecisionOutcome::Approve => VoteDecision::Approve,
                    _ => VoteDecision::Reject,
                };
                // Each attendee who may vote, and each absent member whose delegate attends
                // (segregation of duties for both), is one ballot.
                let mut voters: Vec<(Caller, Option<UserId>)> = attendees
                    .iter()
                    .filter(|a| ctx.authz.allows(a, Permission::Vote, &object))
                    .map(|a| (a.clone(), None))
                    .collect();
                // Each absent member an attending delegate stands in for (recorded as the
                // meeting opened) is one ballot more, cast by the delegate.
                for (member, delegate) in present.stand_ins {
                    let delegate_may = attendees
                        .iter()
                        .any(|a| a.id == *delegate && ctx.authz.allows(a, Permission::VoteFor, &object));
                    let counted = voters.iter().any(|(v, _)| v.id == member.id);
                    if delegate_may && !counted && ctx.authz.allows(member, Permission::Vote, &object) {
                        voters.push((member.clone(), Some(*delegate)));
                    }
                }
                let mut on_behalf = Vec::new();
                for (voter, cast_by) in &voters {
                    let vote = NewVote {
                        change: change.id,
                        round: change.decision_round,
                        voter: voter.id,
                        cast_by: *cast_by,
                        as_manager: ctx.authz.allows(voter, Permission::VoteAsManager, &object),
                        decision,
                        comment: &comment,
                        at: now,
                    };
                    votes::insert(conn, &vote)?;
                    if let Some(delegate) = cast_by {
                        on_behalf.push(json!({ "principal": voter.id, "principal_name": voter.name, "delegate": delegate }));
                    }
                }
                if !on_behalf.is_empty() {
                    payload["on_behalf"] = json!(on_behalf);
                }
                let ballots: Vec<_> = votes::of_change(conn, change.id)?
                    .iter()
                    .filter(|v| v.round == change.decision_round)
                    .map(|v| v.ballot())
                    .collect();
                let rule = ctx.config.approval.rule_for(change.change_type, change.risk.level);
                let decided = decide(rule, ctx.config.approval.veto, &ballots);
                let wanted =
                    if decision == VoteDecision::Approve { Outcome::Approved } else { Outcome::Rejected };
                if decided != wanted {
                    let (approvals, manager_needed) = match decided {
                        Outcome::Pending(progress) => (progress.approvals, progress.manager_needed),
                        _ => (0, false),
                    };
                    return Err(ServiceError::Conflict(
                        Message::new("msg-meeting-rule-not-met")
                            .arg("voters", voters.len())
                            .arg("approvals", approvals)
                            .arg("required", rule.approvals)
                            .arg("manager", if manager_needed { "yes" } else { "no" }),
                    ));
                }
                let to = transition(change.state, change.change_type, Action::Vote(decided))?;
                if to == ChangeState::Scheduled {
                    payload["schedule"] = check_window(ctx, conn, chair, change, &force, Blocking::Freezes)?;
                }
                change.state = to;
                change.decided_at = Some(now);
                payload["decision"] =
                    json!(if to == ChangeState::Scheduled { "approved" } else { "rejected" });
                payload["rule"] = json!(rule);
                payload["round"] = json!(change.decision_round);
                Ok(Applied { payload, comment: Some(comment), event_action: Some("decide") })
            }
        }
    })
}
