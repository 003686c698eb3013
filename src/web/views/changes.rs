//! Change pages: the list, one change (fields, risk, conflicts, approval progress, votes,
//! timeline, the viewer's actions) and the form to file or edit one.

use super::components::{
    checkboxes, csrf, field_id, input, local_input_value, maybe_time, risk_badge, select, state_badge,
    textarea, time, when_input, Errors, Input, WhenInput,
};
use crate::domain::change::ChangeType;
use crate::domain::lifecycle::ActionKind;
use crate::domain::risk::QUESTIONS;
use crate::i18n::{arg, Lang};
use crate::services::changes::ChangeSummary;
use crate::services::changes::Detail;
use crate::services::reference::CiView;
use crate::services::reference::TemplateView;
use crate::web::session::Viewer;
use maud::{html, Markup};

/// A table of changes.
pub fn table(viewer: &Viewer, items: &[ChangeSummary]) -> Markup {
    let lang = viewer.lang;
    html! {
        @if items.is_empty() {
            p.empty { (lang.t("list-empty")) }
        } @else {
            table.changes {
                thead {
                    tr {
                        th scope="col" { (lang.t("field-ref")) }
                        th scope="col" { (lang.t("field-title")) }
                        th scope="col" { (lang.t("field-state")) }
                        th scope="col" { (lang.t("field-risk")) }
                        th scope="col" { (lang.t("field-planned-start")) }
                    }
                }
                tbody {
                    @for item in items {
                        tr {
                            td { a href=(format!("/changes/{}", item.reference)) { (item.reference) } }
                            td { (item.title) }
                            td { (state_badge(lang, item.state)) }
                            td { (risk_badge(lang, item.risk_level)) " " (item.risk_score) }
                            td { (maybe_time(viewer.lang, viewer.zone, item.planned_start)) }
                        }
                    }
                }
            }
        }
    }
}

/// Where a paged list stands.
pub struct Paging {
    pub page: i64,
    pub pages: i64,
    /// The changes that match, or as many as "more than" says when `more`.
    pub total: i64,
    /// There are more pages than `pages` (the count stopped there).
    pub more: bool,
}

/// The change list: its filters (all in the URL, so a view can be bookmarked), the
/// count, a dense table sortable by reference, risk and planned start, and paging.
pub fn list(
    viewer: &Viewer,
    found: &crate::services::changes::ChangePage,
    query: &crate::web::pages::changes::ListQuery,
    choices: &crate::services::reference::FormChoices,
    date_errors: &[crate::domain::validation::FieldError],
    paging: &Paging,
) -> Markup {
    use crate::domain::change::ChangeState;
    use crate::domain::risk::RiskLevel;
    let lang = viewer.lang;
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let text =
        |v: &Option<crate::domain::text::Text>| v.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default();
    let any = |key: &str| vec![(String::new(), lang.t(key))];
    let mut states = any("filter-any-state");
    states.extend(ChangeState::ALL.iter().map(|s| (s.to_string(), lang.t(&format!("state-{s}")))));
    let mut types = any("filter-any-type");
    types.extend(ChangeType::ALL.iter().map(|t| (t.to_string(), lang.t(&format!("type-{t}")))));
    let mut risks = any("filter-any-risk");
    risks.extend(RiskLevel::ALL.iter().map(|r| (r.to_string(), lang.t(&format!("risk-{r}")))));
    let mut cis = any("filter-any-ci");
    cis.extend(choices.cis.iter().map(|c| (c.id.to_string(), c.name.clone())));
    let mut implementers = any("filter-any-implementer");
    implementers.extend(choices.implementers.iter().map(|u| (u.id.to_string(), u.name.clone())));
    let sorts: Vec<(String, String)> = crate::services::changes::Sort::ALL
        .iter()
        .map(|s| (s.to_string(), lang.t(&format!("sort-{s}"))))
        .collect();
    let error = |field: &str| date_errors.iter().find(|e| e.field == field).map(|e| lang.message(&e.message));
    let ci_names: std::collections::BTreeMap<i32, &str> =
        choices.cis.iter().map(|c| (c.id.0, c.name.as_str())).collect();
    let current = value(&query.sort);
    let current = if current.is_empty() { "newest".to_owned() } else { current };
    // A column's header: a link that sorts by it (the other way round when it already
    // does), and `aria-sort` on the column that the list is sorted by.
    let sortable = |label: &str, (first, second): (&str, &str), first_runs: &'static str| {
        let other_way = if first_runs == "ascending" { "descending" } else { "ascending" };
        let (next, sorted) = match current.as_str() {
            c if c == first => (second, Some(first_runs)),
            c if c == second => (first, Some(other_way)),
            _ => (first, None),
        };
        html! {
            th scope="col" aria-sort=[sorted] { a href=(query.link(Some(next), None)) { (label) } }
        }
    };
    html! {
        form.filters.list-filters method="get" action="/changes" role="search" {
            div.field.wide {
                label for="q" { (lang.t("filter-search")) }
                p.hint #q-hint { (lang.t("filter-search-hint")) }
                input #q type="search" name="q" value=(text(&query.q)) aria-describedby="q-hint";
            }
            (select(&lang.t("field-state"), "state", &states, &value(&query.state), None))
            (select(&lang.t("field-type"), "type", &types, &value(&query.change_type), None))
            (select(&lang.t("field-risk"), "risk", &risks, &value(&query.risk), None))
            (select(&lang.t("field-cis"), "ci", &cis, &value(&query.ci), None))
            (input(Input::Email, &lang.t("filter-requester"), "requester", &text(&query.requester), None, false))
            (select(&lang.t("field-implementer"), "implementer", &implementers, &value(&query.implementer), None))
            (input(Input::Text, &lang.t("filter-from"), "from", &text(&query.from), error("from").as_deref(), false))
            (input(Input::Text, &lang.t("filter-to"), "to", &text(&query.to), error("to").as_deref(), false))
            (select(&lang.t("filter-sort"), "sort", &sorts, &current, None))
            fieldset.flags {
                legend.visually-hidden { (lang.t("filter-whose")) }
                div.check { input #mine type="checkbox" name="mine" value="on" checked[query.mine.is_some()]; label for="mine" { (lang.t("filter-mine")) } }
                div.check { input #awaiting type="checkbox" name="awaiting" value="on" checked[query.awaiting.is_some()]; label for="awaiting" { (lang.t("filter-awaiting")) } }
            }
            div.buttons {
                button type="submit" { (lang.t("filter-apply")) }
                " " a href="/changes" { (lang.t("filter-clear")) }
            }
        }
        @let total = if found.total_capped { "list-total-more" } else { "list-total" };
        p role="status" { (lang.t_with(total, &[("count", crate::i18n::num(paging.total))])) }
        @if found.items.is_empty() {
            p.empty { (lang.t("list-empty")) }
        } @else {
            div.table-scroll {
                table.changes.dense {
                    thead { tr {
                        (sortable(&lang.t("field-ref"), ("newest", "oldest"), "descending"))
                        th scope="col" { (lang.t("field-title")) }
                        th scope="col" { (lang.t("field-type")) }
                        th scope="col" { (lang.t("field-state")) }
                        (sortable(&lang.t("field-risk"), ("risk-high", "risk-low"), "descending"))
                        (sortable(&lang.t("field-planned-start"), ("start-early", "start-late"), "ascending"))
                        th scope="col" { (lang.t("field-requester")) }
                        th scope="col" { (lang.t("field-implementer")) }
                        th scope="col" { (lang.t("field-cis")) }
                    } }
                    tbody {
                        @for item in &found.items {
                            tr {
                                td { a href=(format!("/changes/{}", item.reference)) { (item.reference) } }
                                td { (item.title) }
                                td { span class=(format!("badge type-{}", item.change_type)) { (lang.t(&format!("type-{}", item.change_type))) } }
                                td { (state_badge(lang, item.state)) }
                                td { (risk_badge(lang, item.risk_level)) " " (item.risk_score) }
                                td { (maybe_time(lang, viewer.zone, item.planned_start)) }
                                td { (item.requester) }
                                td { (item.implementer.as_deref().unwrap_or("–")) }
                                td { (item.ci_ids.iter().map(|c| ci_names.get(&c.0).map_or_else(|| format!("#{}", c.0), |n| (*n).to_owned())).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                }
            }
        }
        @if paging.pages > 1 || paging.more {
            @let position = if paging.more { "paging-position-more" } else { "paging-position" };
            nav.paging aria-label=(lang.t("paging-label")) {
                @if paging.page > 1 { a href=(query.link(None, Some(paging.page - 1))) rel="prev" { (lang.t("calendar-previous")) } " " }
                (lang.t_with(position, &[("page", arg(paging.page)), ("pages", arg(paging.pages))]))
                @if paging.page < paging.pages || paging.more { " " a href=(query.link(None, Some(paging.page + 1))) rel="next" { (lang.t("calendar-next")) } }
            }
        }
    }
}

/// Values of the change form as typed, to show again with errors.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub title: String,
    pub change_type: String,
    pub template_id: String,
    pub description: String,
    pub justification: String,
    pub ci_ids: Vec<String>,
    pub planned_start: String,
    pub planned_end: String,
    /// Which of a repeated October hour was meant (`earlier`/`later`), once asked.
    pub planned_start_fold: String,
    pub planned_end_fold: String,
    pub implementer_id: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub answers: Vec<(String, String)>,
    pub version: String,
}

/// What the form offers to choose from.
pub struct Choices<'a> {
    pub cis: &'a [CiView],
    pub templates: &'a [TemplateView],
    pub implementers: &'a [(String, String)],
    /// Free windows of the change's length (the edit form of a change with a window).
    pub slots: &'a [crate::services::slots::Slot],
}

/// The form to file (`action` = `/changes/new`) or edit a change.
pub fn form(
    viewer: &Viewer,
    action: &str,
    values: &FormValues,
    choices: &Choices<'_>,
    errors: &Errors,
) -> Markup {
    let lang = viewer.lang;
    let types: Vec<(String, String)> =
        ChangeType::ALL.iter().map(|t| (t.to_string(), lang.t(&format!("type-{t}")))).collect();
    let mut templates = vec![(String::new(), lang.t("form-no-template"))];
    templates.extend(choices.templates.iter().map(|t| (t.id.to_string(), t.name.clone())));
    let mut implementers = vec![(String::new(), lang.t("form-no-implementer"))];
    implementers.extend(choices.implementers.iter().cloned());
    let cis: Vec<(String, String)> = choices
        .cis
        .iter()
        .map(|c| {
            (c.id.to_string(), format!("{} ({})", c.name, lang.t(&format!("criticality-{}", c.criticality))))
        })
        .collect();
    let zone_hint = lang.t_with("form-times-in-zone", &[("zone", arg(viewer.zone.name()))]);
    html! {
        (errors.summary(lang))
        form.change method="post" action=(action) novalidate {
            (csrf(&viewer.csrf))
            input type="hidden" name="version" value=(values.version);
            (input(Input::Text, &lang.t("field-title"), "title", &values.title, errors.on("title"), true))
            (select(&lang.t("field-type"), "type", &types, &values.change_type, errors.on("type")))
            (select(&lang.t("field-template"), "template_id", &templates, &values.template_id, errors.on("template_id")))
            (textarea(&lang.t("field-description"), "description", &values.description, errors.on("description")))
            (textarea(&lang.t("field-justification"), "justification", &values.justification, errors.on("justification")))
            (checkboxes(&lang.t("field-cis"), "ci_ids", &cis, &values.ci_ids, errors.on("ci_ids")))
            fieldset.field {
                legend { (lang.t("field-window")) }
                p.hint { (zone_hint) }
                (when_input(lang, viewer.zone, WhenInput { label: &lang.t("field-planned-start"), name: "planned_start", value: &values.planned_start, fold: &values.planned_start_fold, error: errors.on("planned_start"), required: false }))
                (when_input(lang, viewer.zone, WhenInput { label: &lang.t("field-planned-end"), name: "planned_end", value: &values.planned_end, fold: &values.planned_end_fold, error: errors.on("planned_end"), required: false }))
                @if !choices.slots.is_empty() {
                    fieldset.slots {
                        legend { (lang.t("slots-free")) }
                        div.check { input #slot-none type="radio" name="slot" value="" checked; label for="slot-none" { (lang.t("slots-keep-typed")) } }
                        @for (i, slot) in choices.slots.iter().enumerate() {
                            @let id = format!("slot-{i}");
                            div.check {
                                input #(id) type="radio" name="slot" value=(format!("{}/{}", slot.planned_start.to_rfc3339(), slot.planned_end.to_rfc3339()));
                                label for=(id) { (time(viewer.lang, viewer.zone, slot.planned_start)) " – " (time(viewer.lang, viewer.zone, slot.planned_end)) }
                            }
                        }
                    }
                }
            }
            (select(&lang.t("field-implementer"), "implementer_id", &implementers, &values.implementer_id, errors.on("implementer_id")))
            (textarea(&lang.t("field-implementation-plan"), "implementation_plan", &values.implementation_plan, errors.on("implementation_plan")))
            (textarea(&lang.t("field-backout-plan"), "backout_plan", &values.backout_plan, errors.on("backout_plan")))
            (textarea(&lang.t("field-test-plan"), "test_plan", &values.test_plan, errors.on("test_plan")))
            (questionnaire(lang, &values.answers, errors))
            button type="submit" { (lang.t("form-save")) }
        }
    }
}

/// The risk questionnaire as radio groups.
fn questionnaire(lang: Lang, answers: &[(String, String)], errors: &Errors) -> Markup {
    html! {
        fieldset.field.questionnaire {
            legend { (lang.t("risk-questionnaire")) }
            @for question in QUESTIONS {
                @let name = format!("answers.{}", question.key);
                @let given = answers.iter().find(|(q, _)| q == question.key).map(|(_, a)| a.as_str()).unwrap_or("");
                @let error = errors.on(&name);
                fieldset.question #(field_id(&name)) aria-describedby=[error.map(|_| format!("{}-error", field_id(&name)))] {
                    legend { (lang.t(&format!("question-{}", question.key))) }
                    @for (answer, _) in question.answers {
                        @let id = format!("{}-{}", field_id(&name), answer);
                        div.check {
                            input #(id) type="radio" name=(name) value=(answer) checked[*answer == given] aria-invalid=[error.map(|_| "true")];
                            label for=(id) { (lang.t(&format!("answer-{}-{}", question.key, answer))) }
                        }
                    }
                    @if let Some(message) = error { p.field-error id=(format!("{}-error", field_id(&name))) { (message) } }
                }
            }
        }
    }
}

/// What the viewer typed into an action's form that was refused, to show it again.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a> {
    /// The action's path segment (`reschedule`, `votes`, …).
    pub action: &'a str,
    pub values: &'a [(String, String)],
}

impl<'a> Typed<'a> {
    fn value(self, action: &str, name: &str) -> Option<&'a str> {
        (self.action == action)
            .then(|| self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()))
            .flatten()
    }
}

/// The action a reader most likely takes next, shown open; the others are folded.
fn primary(actions: &[ActionKind]) -> Option<ActionKind> {
    [
        ActionKind::Vote,
        ActionKind::Assess,
        ActionKind::Submit,
        ActionKind::Start,
        ActionKind::Complete,
        ActionKind::Review,
    ]
    .into_iter()
    .find(|a| actions.contains(a))
}

/// Everything about one change: the facts a reader needs first (window, CIs, people,
/// risk, conflicts, approval), the viewer's actions beside them, then the plans, the
/// risk's factors, the votes and the timeline. `refusal` is why the last action was
/// refused, with what was typed into it.
pub fn detail(viewer: &Viewer, detail: &Detail, refusal: Option<(&str, Typed<'_>)>) -> Markup {
    let (change, events) = (&detail.view, &detail.events);
    let lang = viewer.lang;
    let zone = viewer.zone;
    let approval = &change.approval;
    let progress = super::cab::progress_text(
        lang,
        &crate::domain::approval::Progress {
            approvals: approval.approvals,
            required: approval.required,
            manager_needed: approval.manager_needed,
        },
    );
    let in_cab = change.state == crate::domain::change::ChangeState::Authorize;
    html! {
        @if let Some((message, _)) = refusal {
            // Focused on arrival, so the reason is what a screen reader says first.
            div.errors role="alert" tabindex="-1" autofocus { p { (message) } }
        }
        @if !change.state.is_terminal() && change.implementer.as_ref().is_some_and(|p| p.deactivated) {
            p.warning role="status" { (lang.t("change-implementer-deactivated")) }
        }
        p.summary {
            (state_badge(lang, change.state)) " "
            span class=(format!("badge type-{}", change.change_type)) { (lang.t(&format!("type-{}", change.change_type))) } " "
            (risk_badge(lang, change.risk.level)) " " (lang.t_with("risk-score", &[("score", arg(change.risk.score))]))
        }
        div.change-page {
            div.change-main {
                section aria-labelledby="key-facts" {
                    h2 #key-facts .visually-hidden { (lang.t("section-key-facts")) }
                    dl.facts.key {
                        dt { (lang.t("field-window")) }
                        dd { (maybe_time(lang, zone, change.planned_start)) " – " (maybe_time(lang, zone, change.planned_end)) }
                        dt { (lang.t("field-cis")) } dd { (change.cis.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")) }
                        dt { (lang.t("field-requester")) } dd { (person_name(lang, &change.requester)) }
                        dt { (lang.t("field-implementer")) } dd {
                            @match &change.implementer {
                                Some(implementer) => (person_name(lang, implementer)),
                                None => "–",
                            }
                        }
                        dt { (lang.t("section-risk")) }
                        dd { (risk_badge(lang, change.risk.level)) " " a href="#risk" { (lang.t_with("risk-factor-count", &[("count", crate::i18n::num(change.risk.factors.iter().filter(|f| f.points > 0).count() as i64))])) } }
                        dt { (lang.t("section-conflicts")) }
                        dd {
                            @if change.conflicts.is_empty() { (lang.t("conflicts-none")) }
                            @else { strong.conflict { a href="#conflicts" { (lang.t_with("conflict-count", &[("count", crate::i18n::num(change.conflicts.len() as i64))])) } } }
                        }
                        @if in_cab || !approval.votes.is_empty() {
                            dt { (lang.t("section-approval")) } dd { a href="#approval" { (progress) } }
                        }
                        @if change.actual_start.is_some() {
                            dt { (lang.t("field-actual-start")) } dd { (maybe_time(lang, zone, change.actual_start)) }
                            dt { (lang.t("field-actual-end")) } dd { (maybe_time(lang, zone, change.actual_end)) }
                        }
                        @if let Some(code) = change.closure_code {
                            dt { (lang.t("field-closure-code")) } dd { (lang.t(&format!("closure-{code}"))) }
                        }
                        @if let Some(imported) = &change.imported {
                            dt { (lang.t("field-imported-from")) }
                            dd {
                                (lang.t_with("imported-from", &[("source", crate::i18n::arg(lang.t(&format!("import-source-{}", imported.source)))), ("id", crate::i18n::arg(&imported.original_id)), ("state", crate::i18n::arg(&imported.original_state))]))
                                @if let Some(created) = imported.original_created_at { ", " (lang.t("imported-created")) " " (time(lang, zone, created)) }
                                @if let Some(closed) = imported.original_closed_at { ", " (lang.t("imported-closed")) " " (time(lang, zone, closed)) }
                                @if !imported.original_requester.is_empty() { ", " (lang.t("field-requester")) ": " (imported.original_requester) }
                                @if !imported.original_implementer.is_empty() { ", " (lang.t("field-implementer")) ": " (imported.original_implementer) }
                            }
                        }
                        @if let Some(original) = events.first().and_then(|e| e.payload.pointer("/copied_from/ref")).and_then(|r| r.as_str()) {
                            dt { (lang.t("field-copied-from")) } dd { a href=(format!("/changes/{original}")) { (original) } }
                        }
                    }
                    div.text { (change.description) }
                }
                @if !change.conflicts.is_empty() {
                    section aria-labelledby="conflicts" {
                        h2 #conflicts { (lang.t("section-conflicts")) }
                        (super::components::conflict_list(lang, zone, &change.conflicts))
                    }
                }
                section aria-labelledby="facts" {
                    h2 #facts { (lang.t("section-facts")) }
                    dl.facts {
                        dt { (lang.t("field-justification")) } dd.text { (change.justification) }
                        dt { (lang.t("field-implementation-plan")) } dd.text { (change.implementation_plan) }
                        dt { (lang.t("field-backout-plan")) } dd.text { (change.backout_plan) }
                        dt { (lang.t("field-test-plan")) } dd.text { (change.test_plan) }
                        @if let Some(review) = &change.review {
                            dt { (lang.t("field-review")) } dd.text { (review) }
                        }
                    }
                }
                (incidents(viewer, detail, refusal))
                (system_message(viewer, detail, refusal))
                (attachments(viewer, detail, refusal))
                section aria-labelledby="risk" {
                    h2 #risk { (lang.t("section-risk")) }
                    @if change.risk.factors.is_empty() {
                        p { (lang.t("risk-not-assessed")) }
                    } @else {
                        table {
                            thead { tr { th scope="col" { (lang.t("risk-factor")) } th scope="col" { (lang.t("risk-points")) } } }
                            tbody {
                                @for factor in &change.risk.factors {
                                    tr { td { (factor_text(lang, &factor.key, &factor.detail)) } td { (factor.points) } }
                                }
                            }
                        }
                    }
                    @if let Some(reason) = &change.risk.override_reason {
                        p { (lang.t_with("risk-overridden", &[("reason", arg(reason))])) }
                    }
                }
                @if in_cab || !approval.votes.is_empty() {
                    section aria-labelledby="approval" {
                        h2 #approval { (lang.t("section-approval")) }
                        p { (progress) }
                        @if !approval.votes.is_empty() {
                            table {
                                thead { tr {
                                    th scope="col" { (lang.t("vote-voter")) } th scope="col" { (lang.t("vote-decision")) }
                                    th scope="col" { (lang.t("vote-comment")) } th scope="col" { (lang.t("vote-round")) } th scope="col" { (lang.t("vote-time")) }
                                } }
                                tbody {
                                    @for vote in &approval.votes {
                                        tr {
                                            td {
                                                @match &vote.cast_by {
                                                    Some(delegate) => (super::vote::on_behalf(lang, &delegate.name, &vote.voter.name)),
                                                    None => (vote.voter.name),
                                                }
                                                @if vote.voter.deactivated { " " span.badge.deactivated { (lang.t("user-deactivated")) } }
                                            }
                                            td { span class=(format!("badge vote-{}", vote.decision)) { (lang.t(&format!("decision-{}", vote.decision))) } }
                                            td { (vote.comment) }
                                            td { (vote.round) }
                                            td { (time(lang, zone, vote.at)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (timeline(lang, zone, events))
                @if detail.can_note {
                    @let typed_note = refusal.and_then(|(_, typed)| typed.value("notes", "body")).unwrap_or("");
                    form.note method="post" action=(format!("/changes/{}/notes", change.reference)) {
                        (csrf(&viewer.csrf))
                        div.field {
                            label for="note-body" { (lang.t("note-add")) }
                            p.hint #note-hint { (lang.t("note-hint")) }
                            textarea #note-body name="body" rows="4" aria-describedby="note-hint" { (typed_note) }
                        }
                        button type="submit" { (lang.t("note-add")) }
                    }
                }
            }
            (actions_panel(viewer, detail, refusal.map(|(_, typed)| typed)))
        }
    }
}

/// The service desk's records the change was raised from or caused, each a link to the
/// desk's tool when configured, with a form to link one and a button to unlink, for the
/// relations the viewer may change now.
fn incidents(viewer: &Viewer, detail: &Detail, refusal: Option<(&str, Typed<'_>)>) -> Markup {
    let lang = viewer.lang;
    let reference = &detail.view.reference;
    let refused = refusal.filter(|(_, typed)| typed.action == "incidents");
    let typed = |name: &str| refused.and_then(|(_, t)| t.value("incidents", name)).unwrap_or("");
    let relations: Vec<(String, String)> =
        detail.may_link.iter().map(|r| (r.to_string(), lang.t(&format!("relation-{r}")))).collect();
    html! {
        @if !detail.view.incidents.is_empty() || !detail.may_link.is_empty() {
            section aria-labelledby="incidents" {
                h2 #incidents { (lang.t("section-incidents")) }
                @if detail.view.incidents.is_empty() {
                    p { (lang.t("incidents-none")) }
                } @else {
                    ul.incidents {
                        @for link in &detail.view.incidents {
                            li {
                                (lang.t(&format!("relation-{}", link.relation))) ": "
                                @match &link.url {
                                    Some(url) => a href=(url) { (link.incident) },
                                    None => strong { (link.incident) },
                                }
                                " (" (link.added_by) ", " (time(lang, viewer.zone, link.at)) ")"
                                @if detail.may_link.contains(&link.relation) {
                                    form.inline method="post" action=(format!("/changes/{reference}/incidents/{}/{}/remove", link.relation, link.incident)) {
                                        (csrf(&viewer.csrf))
                                        button.secondary type="submit" { (lang.t_with("incident-remove", &[("id", arg(&link.incident))])) }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !detail.may_link.is_empty() {
                    form.incident method="post" action=(format!("/changes/{reference}/incidents")) {
                        (csrf(&viewer.csrf))
                        @if let Some((message, _)) = refused { p.field-error #incident-error { (message) } }
                        (input(Input::Text, &lang.t("incident-id"), "incident", typed("incident"), None, true))
                        (select(&lang.t("incident-relation"), "relation", &relations, typed("relation"), None))
                        button type="submit" { (lang.t("incident-add")) }
                    }
                }
            }
        }
    }
}

/// What employees are told about the change (a change that affects users, once
/// scheduled): the message as they read it, a draft until published, with the forms to
/// rewrite, publish and update it for those who manage messages while it is open.
fn system_message(viewer: &Viewer, detail: &Detail, refusal: Option<(&str, Typed<'_>)>) -> Markup {
    let lang = viewer.lang;
    html! {
        @if let Some(message) = &detail.view.message {
            section aria-labelledby="message" {
                h2 #message { (lang.t("section-message")) }
                @if message.published_at.is_none() { p { strong { (lang.t("msg-draft")) } } }
                @else { p { a href=(format!("/messages#message-{}", message.id)) { (lang.t("msg-public-link")) } } }
                (super::system_messages::article(lang, viewer.zone, message, 3))
                @if detail.can_manage_message && !message.status.is_final() {
                    (super::system_messages::manage(viewer, message, &format!("/changes/{}", detail.view.reference), refusal))
                }
            }
        }
    }
}

/// The files attached to the change, each a download, and the form to attach one (a
/// refusal of the last upload shown beside it).
fn attachments(viewer: &Viewer, detail: &Detail, refusal: Option<(&str, Typed<'_>)>) -> Markup {
    let lang = viewer.lang;
    let reference = &detail.view.reference;
    let refused = refusal.filter(|(_, typed)| typed.action == "attachments").map(|(message, _)| message);
    html! {
        section aria-labelledby="attachments" {
            h2 #attachments { (lang.t("section-attachments")) }
            @if detail.attachments.is_empty() {
                p { (lang.t("attachments-none")) }
            } @else {
                table.attachments {
                    thead { tr {
                        th scope="col" { (lang.t("attachment-name")) }
                        th scope="col" { (lang.t("attachment-size")) }
                        th scope="col" { (lang.t("attachment-by")) }
                        th scope="col" { (lang.t("attachment-at")) }
                    } }
                    tbody {
                        @for file in &detail.attachments {
                            tr {
                                td { a href=(format!("/changes/{reference}/attachments/{}", file.id)) download { (file.name) } }
                                td { (file_size(lang, file.size)) }
                                td { (file.uploaded_by) }
                                td { (time(lang, viewer.zone, file.at)) }
                            }
                        }
                    }
                }
            }
            @if detail.can_attach {
                form.attach method="post" enctype="multipart/form-data" action=(format!("/changes/{reference}/attachments")) {
                    (csrf(&viewer.csrf))
                    div.field {
                        label for="attachment-file" { (lang.t("attachment-add")) }
                        p.hint #attachment-hint { (lang.t_with("attachment-hint", &[("max", arg(detail.attachment_max_mb))])) }
                        @if let Some(message) = refused { p.field-error #attachment-error { (message) } }
                        input #attachment-file type="file" name="file" required
                            aria-describedby=(if refused.is_some() { "attachment-hint attachment-error" } else { "attachment-hint" })
                            aria-invalid=[refused.map(|_| "true")];
                    }
                    button type="submit" { (lang.t("attachment-upload")) }
                }
            }
        }
    }
}

/// A file's size as people read it: `820 B`, `14 kB`, `1,4 MB` (decimal units).
pub fn file_size(lang: Lang, bytes: i64) -> String {
    match bytes {
        ..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{} kB", (bytes + 500) / 1_000),
        _ => format!("{} MB", lang.decimal(bytes as f64 / 1_000_000.0, 1)),
    }
}

/// The change's history, oldest first: each event with who and when, the decision or
/// move it made (the vote's decision, the new window, the result, an overridden risk or a
/// forced window with its reason), and the words given with it.
fn timeline(lang: Lang, zone: chrono_tz::Tz, events: &[crate::services::audit::EventView]) -> Markup {
    html! {
        section aria-labelledby="timeline" {
            h2 #timeline { (lang.t("section-timeline")) }
            ol.timeline {
                @for event in events {
                    li { (time(lang, zone, event.at)) " — " (event_line(lang, zone, event)) }
                }
            }
        }
    }
}

/// One event of the timeline in words.
fn event_line(lang: Lang, zone: chrono_tz::Tz, event: &crate::services::audit::EventView) -> Markup {
    let payload = &event.payload;
    let text = |pointer: &str| payload.pointer(pointer).and_then(|v| v.as_str()).filter(|t| !t.is_empty());
    // A delegate's act: "Kari Nordmann for Ola Nordmann".
    let actor = event.actor.as_deref().map(|actor| match text("/on_behalf_of/name") {
        Some(member) => super::vote::on_behalf(lang, actor, member),
        None => actor.to_owned(),
    });
    let moved = |key: &str| {
        payload.get(key).and_then(|v| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok())
    };
    html! {
        @match (event.action.as_str(), text("/decision")) {
            // "Approved by Ingrid Berg", "Rejected by …" with the reason below.
            ("vote", Some(decision)) => {
                (lang.t_with(&format!("timeline-vote-{decision}"), &[("name", arg(actor.clone().unwrap_or_default()))]))
            }
            ("decide", Some(decision)) => {
                (lang.t(&format!("timeline-decided-{decision}")))
                @if payload.get("meeting_id").is_some() { " " (lang.t("timeline-in-meeting")) }
                @if let Some(actor) = &actor { ", " (lang.t_with("timeline-by", &[("name", arg(actor))])) }
            }
            _ => {
                (lang.t(&format!("event-{}", event.action)))
                @if let (Some(from), Some(to)) = (&event.from, &event.to) {
                    @if from != to { " (" (lang.t(&format!("state-{from}"))) " → " (lang.t(&format!("state-{to}"))) ")" }
                }
                @if let Some(actor) = &actor { ", " (lang.t_with("timeline-by", &[("name", arg(actor))])) }
            }
        }
        @if let (Some(start), Some(end), true) = (moved("planned_start"), moved("planned_end"), event.action == "reschedule") {
            ". " (lang.t_with("timeline-moved", &[("from", arg(lang.datetime(zone, start))), ("to", arg(lang.datetime(zone, end)))]))
            @if let (Some(reason), None) = (text("/reason"), text("/schedule/reason")) {
                blockquote.note { (reason) }
            }
        }
        @if let Some(code) = text("/closure_code") {
            ". " (lang.t_with("timeline-closure", &[("code", arg(lang.t(&format!("closure-{code}"))))]))
        }
        @if let (Some(from), Some(to)) = (text("/risk_override/from"), text("/risk_override/to")) {
            blockquote.note {
                (lang.t_with("timeline-risk-override", &[
                    ("from", arg(lang.t(&format!("risk-{from}")))),
                    ("to", arg(lang.t(&format!("risk-{to}")))),
                    ("reason", arg(text("/risk_override/reason").unwrap_or(""))),
                ]))
            }
        }
        @if let Some(reason) = text("/schedule/reason") {
            blockquote.note { (lang.t_with("timeline-forced", &[("reason", arg(reason))])) }
        }
        @if let ("attach", Some(name)) = (event.action.as_str(), text("/name")) {
            ": " (name)
        }
        @if let (Some(incident), Some(relation)) = (text("/incident"), text("/relation")) {
            ": " (incident) " (" (lang.t(&format!("relation-{relation}"))) ")"
        }
        @if let Some(original) = text("/copied_from/ref") {
            ". " (lang.t("timeline-copied-from")) " " a href=(format!("/changes/{original}")) { (original) }
        }
        // A work note, in its Markdown subset, rendered safely.
        @if let Some(note) = text("/note") {
            div.note { (super::markdown::render(note)) }
        }
        @for key in ["comment", "reason", "review", "notes"] {
            @if let Some(words) = text(&format!("/{key}")) {
                blockquote.note { (words) }
            }
        }
    }
}

pub use crate::i18n::factor_text;

/// The forms for the actions the viewer may take now, and only those: the likely next one
/// open, the others folded; a refused one open again with what was typed.
fn actions_panel(viewer: &Viewer, detail: &Detail, typed: Option<Typed<'_>>) -> Markup {
    let (change, actions) = (&detail.view, &detail.actions);
    let lang = viewer.lang;
    let zone = viewer.zone;
    let primary = primary(actions).or((!detail.vote_for.is_empty()).then_some(ActionKind::Vote));
    let typed_value = |action: &str, name: &str| typed.and_then(|t| t.value(action, name)).unwrap_or("");
    // A change manager may force a conflicting window, with a reason.
    let force = |action: &str| {
        let id = format!("{action}-force");
        let checked = !typed_value(action, "force").is_empty();
        html! {
            @if detail.can_force {
                div.check { input #(id) type="checkbox" name="force" value="1" checked[checked]; label for=(id) { (lang.t("field-force")) } }
            }
        }
    };
    let mut levels = vec![(String::new(), lang.t("assess-keep-level"))];
    levels.extend(
        crate::domain::risk::RiskLevel::ALL.iter().map(|l| (l.to_string(), lang.t(&format!("risk-{l}")))),
    );
    let base = format!("/changes/{}", change.reference);
    let closure_codes: Vec<(String, String)> = crate::domain::change::ClosureCode::ALL
        .iter()
        .map(|c| (c.to_string(), lang.t(&format!("closure-{c}"))))
        .collect();
    let form = |action: &str, body: Markup| {
        html! {
            form.action method="post" action=(format!("{base}/{action}")) {
                (csrf(&viewer.csrf))
                (body)
            }
        }
    };
    // Each action folded under its name; the likely next one, or one just refused, open.
    let fold = |kind: ActionKind, path: &str, title: String, body: Markup| {
        let open = Some(kind) == primary || typed.is_some_and(|t| t.action == path);
        html! { details.action open[open] { summary { (title) } (body) } }
    };
    // Several forms have a comment: ids are scoped by action so each label finds its field.
    let comment = |action: &str, name: &str, label: &str| {
        let id = format!("{action}-{name}");
        html! { div.field { label for=(id) { (label) } textarea #(id) name=(name) rows="3" { (typed_value(action, name)) } } }
    };
    let when = |name: &str, at| match typed.filter(|t| t.action == "reschedule") {
        Some(t) => t.value("reschedule", name).unwrap_or("").to_owned(),
        None => local_input_value(zone, at),
    };
    html! {
        aside.change-actions aria-labelledby="actions" {
            h2 #actions { (lang.t("section-actions")) }
            @if actions.is_empty() && detail.vote_for.is_empty() && detail.start_opens.is_none() && !detail.can_copy {
                p.hint { (lang.t("actions-none")) }
            }
            @if let Some(opens) = detail.start_opens {
                p.opens { (lang.t("start-opens")) " " (time(lang, zone, opens)) }
            }
            @for action in actions {
                @match action {
                    ActionKind::Edit => { p { a.button href=(format!("{base}/edit")) { (lang.t("action-edit")) } } }
                    // The requester answers in the edit form; this is the change manager's, in assessment.
                    ActionKind::Risk => {
                        @if change.state == crate::domain::change::ChangeState::Assess {
                            (fold(*action, "risk", lang.t("action-risk"), form("risk", html! {
                                (questionnaire(lang, &change.risk.answers.iter().map(|(q, a)| (q.clone(), a.clone())).collect::<Vec<_>>(), &Errors::default()))
                                button type="submit" { (lang.t("action-risk")) }
                            })))
                        }
                    }
                    ActionKind::Submit => (fold(*action, "submit", lang.t("action-submit"), form("submit", html! {
                        p.hint { (lang.t("submit-hint")) }
                        @if change.change_type == crate::domain::change::ChangeType::Standard {
                            (force("submit"))
                            @if detail.can_force { (comment("submit", "reason", &lang.t("field-force-reason"))) }
                        }
                        button type="submit" { (lang.t("action-submit")) }
                    }))),
                    // Sending back is the Return action alone (below), in assessment as in the CAB.
                    ActionKind::Assess => (fold(*action, "assess", lang.t("action-assess-authorize"), form("assess", html! {
                        input type="hidden" name="outcome" value="authorize";
                        (comment("assess", "comment", &lang.t("field-comment")))
                        (select(&lang.t("assess-risk-level"), "risk_level", &levels, typed_value("assess", "risk_level"), None))
                        (force("assess"))
                        (comment("assess", "reason", &lang.t("field-assess-reason")))
                        button type="submit" { (lang.t("action-assess-authorize")) }
                    }))),
                    ActionKind::Vote => (fold(*action, "votes", lang.t("action-vote"), form("votes", html! {
                        (comment("votes", "comment", &lang.t("field-comment")))
                        (super::vote::vote_as_field(lang, "votes-as", true, &detail.vote_for))
                        // An approval that decides schedules the change; a freeze declared
                        // since it went to the CAB refuses it unless a change manager forces.
                        @if detail.can_force && change.conflicts.iter().any(|c| c.kind == crate::domain::schedule::ConflictKind::Blackout) {
                            (force("votes"))
                            (comment("votes", "reason", &lang.t("field-force-reason")))
                        }
                        (super::vote::vote_buttons(lang, "votes", detail.veto))
                    }))),
                    ActionKind::Return => (fold(*action, "return", lang.t("action-return"), form("return", html! {
                        (comment("return", "comment", &lang.t("field-return-comment")))
                        button type="submit" { (lang.t("action-return")) }
                    }))),
                    ActionKind::Reschedule => (fold(*action, "reschedule", lang.t("action-reschedule"), html! {
                        (slot_choices(viewer, &base, &detail.slots))
                        (form("reschedule", html! {
                            @for (name, label, at) in [("planned_start", lang.t("field-planned-start"), change.planned_start), ("planned_end", lang.t("field-planned-end"), change.planned_end)] {
                                @let fold_name = format!("{name}_fold");
                                // The stored time's own fold unless one was typed (refused) just now.
                                @let fold = match typed.filter(|t| t.action == "reschedule") {
                                    Some(t) => t.value("reschedule", &fold_name).unwrap_or("").to_owned(),
                                    None => crate::web::pages::forms::fold_of(zone, at),
                                };
                                (when_input(lang, zone, WhenInput { label: &label, name, value: &when(name, at), fold: &fold, error: None, required: true }))
                            }
                            (comment("reschedule", "reason", &lang.t("field-reschedule-reason")))
                            (force("reschedule"))
                            button type="submit" { (lang.t("action-reschedule")) }
                        }))
                    })),
                    ActionKind::Start => (fold(*action, "start", lang.t("action-start"), form("start", html! { button type="submit" { (lang.t("action-start")) } }))),
                    ActionKind::Complete => (fold(*action, "complete", lang.t("action-complete"), form("complete", html! {
                        (select(&lang.t("field-closure-code"), "closure_code", &closure_codes, match typed_value("complete", "closure_code") { "" => "successful", code => code }, None))
                        (comment("complete", "notes", &lang.t("field-notes")))
                        button type="submit" { (lang.t("action-complete")) }
                    }))),
                    ActionKind::Review => (fold(*action, "review", lang.t("action-review"), form("review", html! {
                        (comment("review", "review", &lang.t("field-review")))
                        button type="submit" { (lang.t("action-review")) }
                    }))),
                    ActionKind::Cancel => (fold(*action, "cancel", lang.t("action-cancel"), form("cancel", html! {
                        (comment("cancel", "reason", &lang.t("field-cancel-reason")))
                        button.danger type="submit" { (lang.t("action-cancel")) }
                    }))),
                }
            }
            @if detail.can_delete {
                (fold(ActionKind::Cancel, "delete", lang.t("action-delete"), form("delete", html! {
                    p.hint { (lang.t("delete-hint")) }
                    button.danger type="submit" { (lang.t("action-delete")) }
                })))
            }
            @if detail.can_copy {
                (form("copy", html! {
                    button.secondary type="submit" { (lang.t("action-copy")) }
                }))
            }
            // A delegate who is no voter themselves votes only for the members they stand in for.
            @if !actions.contains(&ActionKind::Vote) && !detail.vote_for.is_empty() {
                (fold(ActionKind::Vote, "votes", lang.t("action-vote"), form("votes", html! {
                    (comment("votes", "comment", &lang.t("field-comment")))
                    (super::vote::vote_as_field(lang, "votes-as", false, &detail.vote_for))
                    (super::vote::vote_buttons(lang, "votes", detail.veto))
                })))
            }
        }
    }
}

/// The free windows the change can be moved to at once, each its own small form.
fn slot_choices(viewer: &Viewer, base: &str, slots: &[crate::services::slots::Slot]) -> Markup {
    let (lang, zone) = (viewer.lang, viewer.zone);
    html! {
        @if !slots.is_empty() {
            div.slots {
                p { (lang.t("slots-free")) }
                ul.slots {
                    @for slot in slots {
                        li {
                            form.slot method="post" action=(format!("{base}/reschedule")) {
                                (csrf(&viewer.csrf))
                                input type="hidden" name="planned_start" value=(local_input_value(zone, Some(slot.planned_start)));
                                input type="hidden" name="planned_end" value=(local_input_value(zone, Some(slot.planned_end)));
                                // A slot in the repeated October hour says which of the two it is.
                                input type="hidden" name="planned_start_fold" value=(crate::web::pages::forms::fold_of(zone, Some(slot.planned_start)));
                                input type="hidden" name="planned_end_fold" value=(crate::web::pages::forms::fold_of(zone, Some(slot.planned_end)));
                                button type="submit" { (lang.t("slots-move-to")) " " (time(lang, zone, slot.planned_start)) " – " (time(lang, zone, slot.planned_end)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A person's name, marked when their account is deactivated.
fn person_name(lang: Lang, person: &crate::services::change_view::Person) -> Markup {
    html! {
        (person.name)
        @if person.deactivated { " " span.badge.deactivated { (lang.t("user-deactivated")) } }
    }
}
