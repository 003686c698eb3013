//! The CAB queue: changes awaiting votes, highest risk first, each with what a member needs
//! to decide without opening it, and approve and reject.

use super::components::{conflict_list, csrf, maybe_time, risk_badge, time};
use crate::domain::approval::{Progress, VoteDecision};
use crate::domain::change::ChangeType;
use crate::i18n::{arg, Lang};
use crate::services::queue::{NoVote, OwnVote, QueueItem};
use crate::web::session::Viewer;
use chrono::{DateTime, Utc};
use maud::{html, Markup};

/// The next meeting's cut-off, against which each item is on time or late.
#[derive(Debug, Clone, Copy)]
pub struct NextMeeting {
    pub cutoff_at: DateTime<Utc>,
}

/// "1 of 2 approvals." with a change manager's approval named when it is still needed.
pub fn progress_text(lang: Lang, progress: &Progress) -> String {
    let args = [("approvals", arg(progress.approvals)), ("required", arg(progress.required))];
    match progress.manager_needed {
        true => lang.t_with("approval-progress-manager", &args),
        false => lang.t_with("approval-progress", &args),
    }
}

/// "You approved 30.11.2026 kl. 01:00", "Kari Nordmann approved for you …".
fn own_vote(viewer: &Viewer, vote: &OwnVote) -> Markup {
    let lang = viewer.lang;
    let key = match (vote.decision, &vote.for_member, &vote.by_delegate) {
        (VoteDecision::Approve, Some(_), _) => "cab-you-approved-for",
        (VoteDecision::Reject, Some(_), _) => "cab-you-rejected-for",
        (VoteDecision::Approve, None, Some(_)) => "cab-delegate-approved",
        (VoteDecision::Reject, None, Some(_)) => "cab-delegate-rejected",
        (VoteDecision::Approve, None, None) => "cab-you-approved",
        (VoteDecision::Reject, None, None) => "cab-you-rejected",
    };
    let name = vote.for_member.clone().or_else(|| vote.by_delegate.clone()).unwrap_or_default();
    let text = lang.t_with(key, &[("name", arg(name)), ("when", arg(lang.datetime(viewer.zone, vote.at)))]);
    html! { p class=(format!("own vote-{}", vote.decision)) { (text) } }
}

fn no_vote_text(lang: Lang, why: NoVote) -> String {
    match why {
        NoVote::Requester => lang.t("cab-no-vote-requester"),
        NoVote::Implementer => lang.t("cab-no-vote-implementer"),
        NoVote::NotVoter => lang.t("cab-no-vote-role"),
    }
}

pub fn queue(viewer: &Viewer, items: &[QueueItem], veto: bool, next: Option<NextMeeting>) -> Markup {
    let lang = viewer.lang;
    let zone = viewer.zone;
    html! {
        @if items.is_empty() {
            p.empty { (lang.t("cab-empty")) }
        } @else {
            ol.queue {
                @for item in items {
                    @let change = &item.change;
                    @let emergency = change.change_type == ChangeType::Emergency;
                    @let heading = format!("q-{}", change.reference);
                    li.queue-item.emergency[emergency] {
                        article aria-labelledby=(heading) {
                            h3 #(heading) {
                                a href=(format!("/changes/{}", change.reference)) { (change.reference) } " " (change.title)
                            }
                            p.badges {
                                span class=(format!("badge type-{}", change.change_type)) { (lang.t(&format!("type-{}", change.change_type))) } " "
                                (risk_badge(lang, change.risk_level)) " " (lang.t_with("risk-score", &[("score", arg(change.risk_score))]))
                            }
                            dl.facts.compact {
                                dt { (lang.t("field-cis")) } dd { (item.cis.join(", ")) }
                                dt { (lang.t("field-requester")) } dd { (item.requester) }
                                dt { (lang.t("field-implementer")) } dd { (item.implementer.as_deref().unwrap_or("–")) }
                                dt { (lang.t("field-window")) } dd { (maybe_time(lang, zone, change.planned_start)) " – " (maybe_time(lang, zone, change.planned_end)) }
                                dt { (lang.t("section-approval")) } dd { (progress_text(lang, &item.approval)) }
                                @if let Some(next) = next {
                                    dt { (lang.t("meeting-cutoff")) }
                                    dd {
                                        @match item.submitted_at.is_some_and(|at| at > next.cutoff_at) {
                                            true => { (lang.t("cab-late")) " " (time(lang, zone, next.cutoff_at)) }
                                            false => { (time(lang, zone, next.cutoff_at)) }
                                        }
                                    }
                                }
                                dt { (lang.t("section-risk")) }
                                dd {
                                    @if item.risk_factors.is_empty() { (lang.t("risk-not-assessed")) }
                                    @else if item.risk_factors.iter().all(|f| f.points == 0) { (lang.t("risk-no-factors")) }
                                    @else {
                                        // What raises the risk; answers that add nothing are on the change page.
                                        ul.factors { @for factor in item.risk_factors.iter().filter(|f| f.points > 0) { li { (super::changes::factor_text(lang, &factor.key, &factor.detail)) " (+" (factor.points) ")" } } }
                                    }
                                }
                                dt { (lang.t("section-conflicts")) }
                                dd {
                                    @if item.conflicts.is_empty() { (lang.t("conflicts-none")) }
                                    @else { (conflict_list(lang, zone, &item.conflicts)) }
                                }
                            }
                            div.your-vote {
                                @for vote in &item.own { (own_vote(viewer, vote)) }
                                @if item.awaiting_viewer || !item.awaiting_for.is_empty() {
                                    form.vote method="post" action=(format!("/changes/{}/votes", change.reference)) {
                                        (csrf(&viewer.csrf))
                                        input type="hidden" name="back" value="/cab";
                                        @let id = format!("comment-{}", change.reference);
                                        div.field {
                                            label for=(id) { (lang.t_with("cab-comment-on", &[("ref", arg(&change.reference))])) }
                                            // A textarea: Enter adds a line and never submits (with a
                                            // text input, Enter pressed the first button: Approve).
                                            textarea #(id) name="comment" rows="2" {}
                                        }
                                        (super::vote::vote_as_field(lang, &format!("as-{}", change.reference), item.awaiting_viewer, &item.awaiting_for))
                                        (super::vote::vote_buttons(lang, &change.reference, veto))
                                    }
                                } @else if item.own.is_empty() {
                                    @if let Some(why) = item.no_vote { p.own { (no_vote_text(lang, why)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
