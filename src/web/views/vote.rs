//! The pages an email's Approve and Reject links lead to: the confirmation (GET never
//! decides), what the vote did, and why a link cannot be used.

use super::components::{risk_badge, state_badge, time};
use super::plain_page;
use crate::domain::approval::VoteDecision;
use crate::domain::caller::Caller;
use crate::domain::change::Change;
use crate::i18n::{arg, Lang};
use crate::services::change_view::ChangeView;
use chrono_tz::Tz;
use maud::{html, Markup};

/// What the confirmation page shows.
pub struct Confirm<'a> {
    /// The link's token, as in the address.
    pub raw: &'a str,
    pub decision: VoteDecision,
    pub change: &'a Change,
    pub voter: &'a Caller,
    /// A delegate's link: the member it votes for.
    pub on_behalf_of: Option<&'a Caller>,
    /// The voter's zone.
    pub zone: Tz,
    /// Whether this browser may decide (false: sign in first, as the voter).
    pub may_decide: bool,
    /// One rejection rejects the change.
    pub veto: bool,
}

/// The confirmation page.
pub fn confirm(lang: Lang, confirm: &Confirm<'_>) -> Markup {
    let Confirm { raw, change, voter, zone, .. } = confirm;
    let decision = confirm.decision.as_str();
    let title = lang.t_with(&format!("vote-link-confirm-{decision}"), &[("ref", arg(change.id.reference()))]);
    let body = html! {
        @match confirm.on_behalf_of {
            Some(member) => p { (lang.t_with("vote-link-as", &[("name", arg(on_behalf(lang, &voter.name, &member.name)))])) },
            None => p { (lang.t_with("vote-link-as", &[("name", arg(&voter.name))])) },
        }
        dl.facts {
            dt { (lang.t("field-title")) } dd { (change.title) }
            dt { (lang.t("field-state")) } dd { (state_badge(lang, change.state)) }
            dt { (lang.t("field-risk")) } dd { (risk_badge(lang, change.risk.level)) }
            @if let (Some(start), Some(end)) = (change.planned_start, change.planned_end) {
                dt { (lang.t("field-window")) } dd { (time(lang, *zone, start)) " – " (time(lang, *zone, end)) }
            }
        }
        @if confirm.may_decide {
            form method="post" action=(format!("/vote/{raw}")) {
                div.field {
                    label for="comment" { (lang.t(if decision == "reject" { "vote-link-reason" } else { "field-comment" })) }
                    textarea #comment name="comment" rows="3" required[decision == "reject"] {}
                }
                button type="submit" class=[(decision == "reject").then_some("danger")] aria-describedby=[(decision == "reject" && confirm.veto).then_some("veto-link")] { (lang.t(&format!("action-{decision}"))) }
                @if decision == "reject" && confirm.veto { p.hint id="veto-link" { (lang.t("vote-veto-hint")) } }
            }
        } @else {
            p { a href=(format!("/sign-in?next=/vote/{raw}")) { (lang.t("vote-link-sign-in")) } }
        }
        p { a href=(format!("/changes/{}", change.id.reference())) { (lang.t("mail-open")) } }
    };
    plain_page(lang, &title, body)
}

/// "Kari Nordmann for Ola Nordmann": a delegate acting for a member.
pub fn on_behalf(lang: Lang, delegate: &str, member: &str) -> String {
    lang.t_with("on-behalf", &[("delegate", arg(delegate)), ("member", arg(member))])
}

/// "Vote as": yourself (when you may) or a member who named you their delegate. Nothing
/// when there is no one else to vote for.
pub fn vote_as_field(lang: Lang, id: &str, myself: bool, members: &[Caller]) -> Markup {
    html! {
        @if !members.is_empty() {
            div.field {
                label for=(id) { (lang.t("vote-as")) }
                select #(id) name="on_behalf_of" {
                    @if myself { option value="" { (lang.t("vote-as-myself")) } }
                    @for member in members {
                        option value=(member.id.0) { (lang.t_with("vote-as-delegate-for", &[("name", arg(&member.name))])) }
                    }
                }
            }
        }
    }
}

/// The Approve and Reject buttons of a vote form, apart and distinct (Reject in the danger
/// style); with veto on, Reject says that one rejection ends the change. `id` makes the
/// hint's id unique on the page.
pub fn vote_buttons(lang: Lang, id: &str, veto: bool) -> Markup {
    let hint = format!("veto-{id}");
    html! {
        div.decide {
            button type="submit" name="decision" value="approve" { (lang.t("action-approve")) }
            button.danger type="submit" name="decision" value="reject" aria-describedby=[veto.then_some(hint.as_str())] { (lang.t("action-reject")) }
        }
        @if veto { p.hint id=(hint) { (lang.t("vote-veto-hint")) } }
    }
}

/// After the vote: thanks, and where the change stands now.
pub fn voted(lang: Lang, change: &ChangeView) -> Markup {
    let state = lang.t(&format!("state-{}", change.state));
    let body = html! {
        p role="status" { (lang.t("vote-link-thanks")) " " (lang.t_with("vote-link-now", &[("state", arg(state))])) }
        p { a href=(format!("/changes/{}", change.reference)) { (lang.t("mail-open")) " " (change.reference) } }
    };
    plain_page(lang, &lang.t("vote-link-title"), body)
}

/// Why the link did nothing; `home` adds the way back to the start page.
pub fn message(lang: Lang, message: &str, home: bool) -> Markup {
    let body = html! {
        p role="alert" { (message) }
        @if home { p { a href="/" { (lang.t("error-back-home")) } } }
    };
    plain_page(lang, &lang.t("vote-link-title"), body)
}
