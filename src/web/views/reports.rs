//! The reports page: KPI figures, bar charts drawn as SVG by the server, each followed by
//! its numbers as a table (the chart is a picture of the table, not the only copy).

use crate::i18n::{arg, Lang};
use crate::services::reports::Summary;
use crate::web::session::Viewer;
use crate::web::views::components::{input, Input};
use maud::{html, Markup};

/// Longest label a chart shows; longer ones are cut with "…" and whole in a tooltip.
const LABEL_CHARS: usize = 40;

/// A horizontal bar chart with a title and a text summary for screen readers. The label
/// column is as wide as the longest label needs (labels are never clipped), and the
/// drawing scales to the width it is given.
pub fn bar_chart(id: &str, title: &str, bars: &[(String, f64)]) -> Markup {
    const BARS: f64 = 420.0;
    const ROW: f64 = 28.0;
    // About 7.8 px a character at 14 px in the pages' sans-serif, with a margin.
    let shown = |label: &str| match label.chars().count() > LABEL_CHARS {
        true => format!("{}…", label.chars().take(LABEL_CHARS - 1).collect::<String>()),
        false => label.to_owned(),
    };
    let longest = bars.iter().map(|(label, _)| shown(label).chars().count()).max().unwrap_or(0);
    let label_width = (longest as f64 * 7.8 + 16.0).max(60.0);
    let width = label_width + BARS + 60.0;
    let max = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0);
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let description =
        bars.iter().map(|(label, value)| format!("{label}: {value}")).collect::<Vec<_>>().join("; ");
    html! {
        svg.chart role="img" aria-labelledby=(format!("{id}-title {id}-desc")) viewBox=(format!("0 0 {width:.0} {height}")) width=(format!("{width:.0}")) height=(format!("{height:.0}")) {
            title #(format!("{id}-title")) { (title) }
            desc #(format!("{id}-desc")) { (description) }
            @for (row, (label, value)) in bars.iter().enumerate() {
                @let y = 4.0 + row as f64 * ROW;
                @let bar = BARS * value / max;
                text x=(format!("{:.0}", label_width - 8.0)) y=(y + 18.0) text-anchor="end" font-size="14" fill="#1b1f24" {
                    @if shown(label) != *label { title { (label) } }
                    (shown(label))
                }
                rect x=(format!("{label_width:.0}")) y=(y + 4.0) width=(format!("{bar:.1}")) height="18" fill="#0b5394" {}
                text x=(format!("{:.1}", label_width + bar + 6.0)) y=(y + 18.0) font-size="14" fill="#1b1f24" { (value) }
            }
        }
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.0} %", v * 100.0))
}

fn hours(lang: Lang, value: Option<f64>) -> String {
    value.map_or_else(
        || "–".to_owned(),
        |h| lang.t_with("report-hours", &[("hours", arg(lang.decimal(h, 1)))]),
    )
}

pub fn page(viewer: &Viewer, summary: &Summary, from: &str, to: &str) -> Markup {
    let lang = viewer.lang;
    let weeks: Vec<(String, f64)> = summary
        .upcoming_per_week
        .iter()
        .map(|w| {
            use chrono::Datelike;
            let week = lang.t_with(
                "report-week",
                &[("week", arg(w.week_start.iso_week().week())), ("monday", arg(lang.date(w.week_start)))],
            );
            (week, w.count as f64)
        })
        .collect();
    let mut by_state: std::collections::BTreeMap<String, f64> = Default::default();
    for count in &summary.by_type_and_state {
        *by_state.entry(lang.t(&format!("state-{}", count.state))).or_default() += count.count as f64;
    }
    let states: Vec<(String, f64)> = by_state.into_iter().collect();
    let cis: Vec<(String, f64)> =
        summary.changes_per_ci.iter().map(|c| (c.name.clone(), c.count as f64)).collect();
    let csv = format!("/reports/changes.csv?from={from}&to={to}");
    let plain = format!("/reports/changes.csv?from={from}&to={to}&format=plain");
    html! {
        form.filters method="get" action="/reports" {
            (input(Input::Date, &lang.t("report-from"), "from", from, None, true))
            (input(Input::Date, &lang.t("report-to"), "to", to, None, true))
            button type="submit" { (lang.t("filter-apply")) }
        }
        p {
            a href=(csv) download { (lang.t("report-csv")) }
            " · " a href=(plain) download { (lang.t("report-csv-plain")) }
        }
        section aria-labelledby="kpis" {
            h2 #kpis { (lang.t("report-kpis")) }
            dl.facts {
                dt { (lang.t("report-created")) } dd { (summary.created) }
                dt { (lang.t("report-completed")) } dd { (summary.completed) }
                dt { (lang.t("report-success-rate")) } dd { (percent(summary.success_rate)) }
                dt { (lang.t("report-failed")) } dd { (summary.failed_or_backed_out) }
                dt { (lang.t("report-caused-incidents")) } dd { (summary.caused_incidents) }
                dt { (lang.t("report-change-failure-rate")) } dd { (percent(summary.change_failure_rate)) }
                dt { (lang.t("report-emergency-ratio")) } dd { (percent(summary.emergency_ratio)) }
                dt { (lang.t("report-lead-time")) } dd { (hours(lang, summary.median_lead_time_hours)) }
            }
        }
        section aria-labelledby="upcoming" {
            h2 #upcoming { (lang.t("report-upcoming")) }
            (bar_chart("chart-upcoming", &lang.t("report-upcoming"), &weeks))
        }
        section aria-labelledby="states" {
            h2 #states { (lang.t("report-by-state")) }
            (bar_chart("chart-states", &lang.t("report-by-state"), &states))
            table {
                thead { tr { th scope="col" { (lang.t("field-type")) } th scope="col" { (lang.t("field-state")) } th scope="col" { (lang.t("report-count")) } } }
                tbody { @for c in &summary.by_type_and_state { tr {
                    td { (lang.t(&format!("type-{}", c.change_type))) } td { (lang.t(&format!("state-{}", c.state))) } td { (c.count) }
                } } }
            }
        }
        section aria-labelledby="per-ci" {
            h2 #per-ci { (lang.t("report-per-ci")) }
            (bar_chart("chart-cis", &lang.t("report-per-ci"), &cis))
        }
        section aria-labelledby="voters" {
            h2 #voters { (lang.t("report-approval-time")) }
            table {
                thead { tr { th scope="col" { (lang.t("vote-voter")) } th scope="col" { (lang.t("report-votes")) } th scope="col" { (lang.t("report-median")) } } }
                tbody { @for v in &summary.approval_time_by_voter { tr { td { (v.voter) } td { (v.votes) } td { (hours(lang, Some(v.median_hours))) } } } }
            }
        }
    }
}
