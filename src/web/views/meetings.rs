//! CAB meetings: the agenda page (printable on A4), its Markdown, and the next meeting at
//! the top of the CAB queue.

use super::changes::factor_text;
use super::components::{csrf, risk_badge, state_badge, time};
use crate::domain::meeting::{AgendaSection, MeetingState};
use crate::i18n::{arg, Lang};
use crate::services::change_view::Person;
use crate::services::meetings::{AgendaItem, MeetingDetail, MeetingView};
use crate::web::session::Viewer;
use chrono_tz::Tz;
use maud::{html, Markup};

/// The meeting's name: "CAB meeting 8 December 2026" or an extra meeting's subject.
pub fn title(lang: Lang, zone: Tz, meeting: &MeetingView) -> String {
    crate::i18n::meeting_title(lang, zone, meeting.kind, &meeting.title, meeting.starts_at)
}

/// When the meeting is, its cut-off and its state.
fn facts(viewer: &Viewer, meeting: &MeetingView) -> Markup {
    let lang = viewer.lang;
    html! {
        dl.facts {
            dt { (lang.t("meeting-starts")) } dd { (time(viewer.lang, viewer.zone, meeting.starts_at)) }
            dt { (lang.t("meeting-cutoff")) } dd { (time(viewer.lang, viewer.zone, meeting.cutoff_at)) }
            dt { (lang.t("field-state")) } dd { span class=(format!("badge meeting-{}", meeting.state)) { (lang.t(&format!("meeting-state-{}", meeting.state))) } }
            @if let Some(reason) = &meeting.cancel_reason {
                dt { (lang.t("meeting-cancel-reason")) } dd { (reason) }
            }
        }
    }
}

fn item_row(viewer: &Viewer, item: &AgendaItem) -> Markup {
    let lang = viewer.lang;
    let change = &item.change;
    html! {
        tr {
            td { a href=(format!("/changes/{}", change.reference)) { (change.reference) } }
            td {
                (change.title)
                @if !item.risk_factors.is_empty() {
                    ul.factors { @for factor in &item.risk_factors { li { (factor_text(lang, &factor.key, &factor.detail)) " (+" (factor.points) ")" } } }
                }
                @if !item.conflicts.is_empty() {
                    (super::components::conflict_list(lang, viewer.zone, &item.conflicts))
                }
            }
            td { (lang.t(&format!("type-{}", change.change_type))) }
            td { (risk_badge(lang, change.risk_level)) " " (change.risk_score) }
            td { (state_badge(lang, change.state)) }
            td { @if let Some(start) = change.planned_start { (time(viewer.lang, viewer.zone, start)) } @else { "–" } }
            td {
                @if let Some(progress) = item.approval {
                    (lang.t_with("agenda-approvals", &[("approvals", crate::i18n::num(progress.approvals.into())), ("required", crate::i18n::num(progress.required.into()))]))
                    @if progress.manager_needed { br; (lang.t("agenda-manager-needed")) }
                } @else { "–" }
            }
        }
    }
}

/// The attendees, then each delegate standing in for an absent member ("Kari for Ola").
fn present_names(lang: Lang, detail: &MeetingDetail) -> Vec<String> {
    let mut names: Vec<String> = detail.attendees.iter().map(|p| p.name.clone()).collect();
    names.extend(
        detail.stand_ins.iter().map(|s| super::vote::on_behalf(lang, &s.delegate.name, &s.member.name)),
    );
    names
}

/// The agenda, section by section.
pub fn agenda(viewer: &Viewer, detail: &MeetingDetail) -> Markup {
    agenda_with(viewer, detail, false)
}

/// The agenda; `deciding`: with a decision form under each change waiting for the CAB.
fn agenda_with(viewer: &Viewer, detail: &MeetingDetail, deciding: bool) -> Markup {
    let lang = viewer.lang;
    html! {
        @for part in &detail.agenda {
            @let id = format!("agenda-{}", part.section);
            section.agenda aria-labelledby=(id) {
                h2 #(id) { (lang.t(&format!("agenda-{}", part.section))) " (" (part.items.len()) ")" }
                @if part.items.is_empty() {
                    p.empty { (lang.t("agenda-nothing")) }
                } @else {
                    table.agenda {
                        thead { tr {
                            th scope="col" { (lang.t("field-ref")) } th scope="col" { (lang.t("field-title")) }
                            th scope="col" { (lang.t("field-type")) } th scope="col" { (lang.t("field-risk")) }
                            th scope="col" { (lang.t("field-state")) } th scope="col" { (lang.t("field-planned-start")) }
                            th scope="col" { (lang.t("agenda-approval")) }
                        } }
                        tbody { @for item in &part.items {
                            (item_row(viewer, item))
                            @if deciding && matches!(part.section, AgendaSection::ForDecision | AgendaSection::Late) && item.change.state == crate::domain::change::ChangeState::Authorize {
                                tr.decision { td colspan="7" { (decision_form(viewer, detail.meeting.id, item)) } }
                            }
                        } }
                    }
                }
            }
        }
    }
}

/// What the chair (a change manager) gets on the meeting page.
pub struct Chair<'a> {
    /// The viewer may run meetings.
    pub runs: bool,
    /// Who may be recorded as attending.
    pub people: &'a [Person],
    /// Why the last action was refused.
    pub refused: Option<&'a str>,
}

/// The meeting page: its facts, the chair's controls, attendees and minutes, links to
/// print and download, and the agenda.
pub fn page(viewer: &Viewer, detail: &MeetingDetail, chair: &Chair<'_>) -> Markup {
    let lang = viewer.lang;
    let meeting = &detail.meeting;
    let base = format!("/cab/meetings/{}", meeting.id);
    html! {
        @if let Some(message) = chair.refused { div.errors role="alert" tabindex="-1" { p { (message) } } }
        (facts(viewer, meeting))
        p.links { a href=(format!("{base}/agenda.md")) download { (lang.t("meeting-markdown")) } }
        @if chair.runs && meeting.state == MeetingState::Planned {
            form.chair method="post" action=(format!("{base}/open")) {
                (csrf(&viewer.csrf))
                fieldset {
                    legend { (lang.t("meeting-who-attends")) }
                    @for person in chair.people {
                        @let id = format!("attendee-{}", person.id);
                        span.check { input #(id) type="checkbox" name="attendees" value=(person.id); label for=(id) { (person.name) } } " "
                    }
                }
                button type="submit" { (lang.t("meeting-open")) }
            }
        }
        @if !detail.attendees.is_empty() {
            h2 #attendees { (lang.t("meeting-attendees")) }
            p { (present_names(lang, detail).join(", ")) }
        }
        @if !detail.decisions.is_empty() {
            h2 #minutes { (lang.t("meeting-minutes")) }
            ol.minutes { @for d in &detail.decisions {
                li { a href=(format!("/changes/{}", d.reference)) { (d.reference) } ": " (lang.t(&format!("meeting-outcome-{}", d.outcome)))
                    @if !d.comment.is_empty() { " — " (d.comment) } }
            } }
        }
        (agenda_with(viewer, detail, chair.runs && meeting.state == MeetingState::Open))
        @if chair.runs && meeting.state == MeetingState::Open {
            form.chair method="post" action=(format!("{base}/close")) {
                (csrf(&viewer.csrf))
                button type="submit" { (lang.t("meeting-close")) }
            }
        }
    }
}

/// The decision form for one agenda item, in an open meeting.
fn decision_form(viewer: &Viewer, meeting: i32, item: &AgendaItem) -> Markup {
    let lang = viewer.lang;
    let change = &item.change;
    let id = format!("decision-{}", change.reference);
    html! {
        form.decision method="post" action=(format!("/cab/meetings/{meeting}/decide")) {
            (csrf(&viewer.csrf))
            input type="hidden" name="change_id" value=(change.id);
            label for=(id) { (lang.t_with("meeting-comment-on", &[("ref", arg(&change.reference))])) }
            textarea #(id) name="comment" rows="2" {}
            button type="submit" name="outcome" value="approve" { (lang.t("meeting-outcome-approve")) } " "
            button type="submit" name="outcome" value="defer" { (lang.t("meeting-outcome-defer")) } " "
            button type="submit" name="outcome" value="return" { (lang.t("meeting-outcome-return")) } " "
            button.danger type="submit" name="outcome" value="reject" { (lang.t("meeting-outcome-reject")) }
        }
    }
}

/// The next meeting, at the top of the CAB queue.
pub fn next(viewer: &Viewer, detail: Option<&MeetingDetail>) -> Markup {
    let lang = viewer.lang;
    html! {
        section.next-meeting aria-labelledby="next-meeting" {
            h2 #next-meeting { (lang.t("cab-next-meeting")) }
            @match detail {
                None => p.empty { (lang.t("cab-no-meeting")) },
                Some(detail) => {
                    p {
                        a href=(format!("/cab/meetings/{}", detail.meeting.id)) { (title(lang, viewer.zone, &detail.meeting)) }
                        " — "
                        (lang.t_with("cab-agenda-count", &[("count", crate::i18n::num(count(detail, AgendaSection::ForDecision)))]))
                        @let late = count(detail, AgendaSection::Late);
                        @if late > 0 { ", " (lang.t_with("cab-agenda-late", &[("count", crate::i18n::num(late))])) }
                    }
                    (facts(viewer, &detail.meeting))
                }
            }
        }
    }
}

fn count(detail: &MeetingDetail, section: AgendaSection) -> i64 {
    detail.agenda.iter().filter(|p| p.section == section).map(|p| p.items.len() as i64).sum()
}

/// The agenda as Markdown, in `lang`, times in `zone`.
pub fn markdown(lang: Lang, zone: Tz, detail: &MeetingDetail) -> String {
    let at = |t: chrono::DateTime<chrono::Utc>| lang.datetime(zone, t);
    let meeting = &detail.meeting;
    let mut out = format!("# {}\n\n", title(lang, zone, meeting));
    out += &format!("- {}: {}\n", lang.t("meeting-starts"), at(meeting.starts_at));
    out += &format!("- {}: {}\n", lang.t("meeting-cutoff"), at(meeting.cutoff_at));
    out += &format!("- {}: {}\n", lang.t("field-state"), lang.t(&format!("meeting-state-{}", meeting.state)));
    if !detail.attendees.is_empty() {
        let names: Vec<String> = present_names(lang, detail).iter().map(|n| escape(n)).collect();
        out += &format!("- {}: {}\n", lang.t("meeting-attendees"), names.join(", "));
    }
    if !detail.decisions.is_empty() {
        out += &format!("\n## {}\n\n", lang.t("meeting-minutes"));
        for d in &detail.decisions {
            out += &format!("1. **{}** {}", d.reference, lang.t(&format!("meeting-outcome-{}", d.outcome)));
            if !d.comment.is_empty() {
                out += &format!(" — {}", escape(&d.comment));
            }
            out += "\n";
        }
    }
    for part in &detail.agenda {
        out += &format!("\n## {}\n\n", lang.t(&format!("agenda-{}", part.section)));
        if part.items.is_empty() {
            out += &format!("{}\n", lang.t("agenda-nothing"));
        }
        for item in &part.items {
            let change = &item.change;
            out += &format!(
                "- **{}** {} — {} {}",
                change.reference,
                escape(&change.title),
                lang.t(&format!("risk-{}", change.risk_level)),
                change.risk_score
            );
            if let Some(start) = change.planned_start {
                out += &format!(", {}", at(start));
            }
            if let Some(progress) = item.approval {
                out += &format!(
                    ", {}",
                    lang.t_with(
                        "agenda-approvals",
                        &[
                            ("approvals", crate::i18n::num(progress.approvals.into())),
                            ("required", crate::i18n::num(progress.required.into()))
                        ]
                    )
                );
            }
            out += "\n";
            for conflict in &item.conflicts {
                let with = conflict.change_ref.as_deref().map(|r| format!("{r} ")).unwrap_or_default();
                out += &format!(
                    "  - {}: {with}{}\n",
                    lang.t(&format!("conflict-{}", conflict.kind)),
                    escape(&conflict.title)
                );
            }
        }
    }
    out.replace(['\u{2068}', '\u{2069}'], "")
}

/// Text safe inside a Markdown list item: no markup characters, no line breaks.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn titles_cannot_add_markdown_or_lines() {
        assert_eq!(escape("Fix *all* [links]\n# now"), "Fix \\*all\\* \\[links\\] \\# now");
    }
}
