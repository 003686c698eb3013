//! Administration pages: lists and the forms to add users, roles, CIs, templates and
//! blackout windows.

use super::components::{
    checkboxes, csrf, input, local_input_value, select, textarea, time, when_input, Errors, Input, WhenInput,
};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::services::admin::Listing;
use crate::services::reference::CiView;
use crate::web::session::Viewer;
use maud::{html, Markup};

pub use crate::services::admin::Section;

/// Where a section lives.
pub fn path(section: Section) -> &'static str {
    match section {
        Section::Users => "/admin/users",
        Section::Cis => "/admin/cis",
        Section::Templates => "/admin/templates",
        Section::Blackouts => "/admin/blackouts",
        Section::Calendar => "/admin/calendar",
        Section::Cab => "/admin/cab",
        Section::Maintenance => "/admin/maintenance",
        Section::Notices => "/admin/notices",
        Section::Webhooks => "/admin/webhooks",
    }
}

/// Its heading's text key.
pub fn title_key(section: Section) -> &'static str {
    match section {
        Section::Users => "admin-users",
        Section::Cis => "admin-cis",
        Section::Templates => "admin-templates",
        Section::Blackouts => "admin-blackouts",
        Section::Calendar => "admin-calendar",
        Section::Cab => "admin-cab",
        Section::Maintenance => "admin-maintenance",
        Section::Notices => "admin-notices",
        Section::Webhooks => "admin-webhooks",
    }
}

/// The sections the viewer may manage.
pub fn index(viewer: &Viewer, sections: &[Section]) -> Markup {
    let lang = viewer.lang;
    html! {
        ul.admin {
            @for section in sections {
                li { a href=(path(*section)) { (lang.t(title_key(*section))) } }
            }
        }
    }
}

fn role_options(lang: Lang) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .filter(|r| **r != Role::Requester)
        .map(|r| (r.to_string(), lang.t(&format!("role-{r}"))))
        .collect()
}

/// The names of the CIs `ids` names, comma-separated.
fn ci_names(cis: &[CiView], ids: &[crate::domain::ids::CiId]) -> String {
    cis.iter().filter(|c| ids.contains(&c.id)).map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn ci_options(cis: &[CiView]) -> Vec<(String, String)> {
    cis.iter().map(|c| (c.id.to_string(), c.name.clone())).collect()
}

/// A section's form as it was sent: its field errors and what was typed (none on a
/// fresh page).
pub struct Typed<'a> {
    pub errors: &'a Errors,
    pub values: &'a [(String, String)],
    /// The item the form edits (none: the add form).
    pub editing: Option<i32>,
    /// Why a form of a list's rows was refused (a candidate template), in words.
    pub problem: Option<&'a str>,
}

/// What every section's parts share: the viewer and its form as sent.
struct Frame<'a> {
    viewer: &'a Viewer,
    errors: &'a Errors,
    values: &'a [(String, String)],
    editing: Option<i32>,
    problem: Option<&'a str>,
}

/// Whether `id` is an item of `section` that can be edited now (not retired).
pub fn editable(section: Section, data: &Listing, id: i32) -> bool {
    match section {
        Section::Cis => data.cis.iter().any(|c| c.id.0 == id && !c.retired),
        Section::Templates => data.templates.iter().any(|t| t.id.0 == id && !t.retired),
        Section::Blackouts => data.blackouts.iter().any(|b| b.id == id),
        Section::Maintenance => data.maintenance.iter().any(|w| w.id == id),
        _ => false,
    }
}

/// The edit form's values: the item `id` as it is (times in the viewer's zone).
pub fn prefill(section: Section, data: &Listing, id: i32, zone: chrono_tz::Tz) -> Vec<(String, String)> {
    let pairs =
        |list: &[(&str, String)]| list.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>();
    let cis = |ids: &[crate::domain::ids::CiId]| {
        ids.iter().map(|c| ("ci_ids".to_owned(), c.to_string())).collect::<Vec<_>>()
    };
    match section {
        Section::Cis => data.cis.iter().find(|c| c.id.0 == id).map_or_else(Vec::new, |c| {
            pairs(&[
                ("name", c.name.clone()),
                ("kind", c.kind.clone()),
                ("criticality", c.criticality.to_string()),
                ("owner_email", c.owner_email.clone()),
            ])
        }),
        Section::Templates => data.templates.iter().find(|t| t.id.0 == id).map_or_else(Vec::new, |t| {
            let mut values = pairs(&[
                ("name", t.name.clone()),
                ("description", t.description.clone()),
                ("implementation_plan", t.implementation_plan.clone()),
                ("backout_plan", t.backout_plan.clone()),
                ("test_plan", t.test_plan.clone()),
                ("max_duration_minutes", t.max_duration_minutes.to_string()),
            ]);
            values.extend(cis(&t.ci_ids));
            values
        }),
        Section::Blackouts => data.blackouts.iter().find(|b| b.id == id).map_or_else(Vec::new, |b| {
            let mut values = pairs(&[
                ("title", b.title.clone()),
                ("starts_at", local_input_value(zone, Some(b.starts_at))),
                ("starts_at_fold", super::components::fold_of(zone, Some(b.starts_at))),
                ("ends_at", local_input_value(zone, Some(b.ends_at))),
                ("ends_at_fold", super::components::fold_of(zone, Some(b.ends_at))),
            ]);
            values.extend(cis(&b.ci_ids));
            values
        }),
        Section::Maintenance => data.maintenance.iter().find(|w| w.id == id).map_or_else(Vec::new, |w| {
            pairs(&[
                ("ci_id", w.ci_id.to_string()),
                ("weekday", w.weekday.clone()),
                ("starts", w.starts.clone()),
                ("ends", w.ends.clone()),
            ])
        }),
        _ => Vec::new(),
    }
}

/// A row's "Edit" link, to the section's form filled in with the row.
fn edit_link(lang: Lang, section: Section, id: i32, name: &str) -> Markup {
    html! {
        a href=(format!("{}?edit={id}#add", path(section))) aria-label=(lang.t_with("admin-edit-named", &[("name", crate::i18n::arg(name))])) { (lang.t("admin-edit")) }
    }
}

impl Frame<'_> {
    /// What was typed into `name` (empty on a fresh form).
    fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// What was typed into `name`, or `default` on a fresh form.
    fn value_or<'v>(&'v self, name: &str, default: &'v str) -> &'v str {
        if self.values.is_empty() {
            default
        } else {
            self.value(name)
        }
    }

    /// Every value checked in `name` (checkboxes).
    fn values(&self, name: &str) -> Vec<String> {
        self.values.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A section's add form, with its error summary; when it edits an item, the item's
    /// own form (posted to `action/<id>`), a way back, and for what can be retired
    /// (`retire`) the button to retire it.
    fn form(&self, action: &str, heading: &str, body: Markup) -> Markup {
        self.form_with(action, heading, body, None)
    }

    fn form_with(&self, action: &str, heading: &str, body: Markup, retire: Option<&str>) -> Markup {
        let lang = self.viewer.lang;
        let (target, heading) = match self.editing {
            Some(id) => (format!("{action}/{id}"), lang.t("admin-edit-heading")),
            None => (action.to_owned(), heading.to_owned()),
        };
        html! {
            section aria-labelledby="add" {
                h2 #add { (heading) }
                (self.errors.summary(lang))
                form.admin method="post" action=(target) novalidate { (csrf(&self.viewer.csrf)) (body) button type="submit" { (lang.t("form-save")) } }
                @if let Some(id) = self.editing {
                    p { a href=(action) { (lang.t("admin-edit-done")) } }
                    @if let Some(hint) = retire {
                        form method="post" action=(format!("{action}/{id}/retire")) {
                            (csrf(&self.viewer.csrf))
                            p.hint { (lang.t(hint)) }
                            button.danger type="submit" { (lang.t("admin-retire")) }
                        }
                    }
                }
            }
        }
    }
}

/// One admin section: its list and its form; `search` is the users' search text.
pub fn section(viewer: &Viewer, section: Section, data: &Listing, search: &str, form: &Typed<'_>) -> Markup {
    let frame = Frame {
        viewer,
        errors: form.errors,
        values: form.values,
        editing: form.editing,
        problem: form.problem,
    };
    html! {
        p { a href="/admin" { (viewer.lang.t("nav-admin")) } }
        @match section {
            Section::Users => (users(&frame, data, search)),
            Section::Cis => (cis(&frame, data)),
            Section::Templates => (templates(&frame, data)),
            Section::Notices => (notices(&frame, data)),
            Section::Webhooks => (super::webhooks::list(viewer, &data.webhooks, &super::webhooks::Typed { errors: frame.errors, values: frame.values })),
            Section::Blackouts => (blackouts(&frame, data)),
            Section::Calendar => (calendar(&frame, data)),
            Section::Maintenance => (maintenance(&frame, data)),
            Section::Cab => (cab(&frame, data)),
        }
    }
}

fn users(frame: &Frame<'_>, data: &Listing, search: &str) -> Markup {
    let viewer = frame.viewer;
    let lang = frame.viewer.lang;
    html! {
        form.filters method="get" action="/admin/users" role="search" {
            (input(Input::Text, &lang.t("admin-search-users"), "q", search, None, false))
            button type="submit" { (lang.t("filter-apply")) }
        }
        @if data.users.len() as i64 == crate::services::users::LIST_LIMIT {
            p.hint { (lang.t_with("admin-users-limited", &[("count", crate::i18n::arg(crate::services::users::LIST_LIMIT))])) }
        }
        table {
            thead { tr {
                th scope="col" { (lang.t("field-name")) } th scope="col" { (lang.t("field-email")) }
                th scope="col" { (lang.t("admin-roles")) } th scope="col" { (lang.t("admin-account")) }
            } }
            tbody {
                @for user in &data.users {
                    tr {
                        td {
                            (user.name)
                            @if !user.active { " " span.badge.deactivated { (lang.t("user-deactivated")) } }
                        }
                        td { (user.email) }
                        td {
                            form.roles method="post" action="/admin/users/roles" {
                                (csrf(&viewer.csrf))
                                input type="hidden" name="email" value=(user.email);
                                @let held: Vec<String> = user.roles.iter().map(|r| r.to_string()).collect();
                                fieldset.roles {
                                    legend.visually-hidden { (lang.t_with("admin-roles-of", &[("name", crate::i18n::arg(&user.name))])) }
                                    @for (value, text) in role_options(lang) {
                                        @let id = format!("role-{}-{}", user.id, value);
                                        span.check {
                                            input #(id) type="checkbox" name="roles" value=(value) checked[held.contains(&value)];
                                            label for=(id) { (text) }
                                        }
                                        " "
                                    }
                                }
                                button type="submit" aria-label=(lang.t_with("admin-save-roles-of", &[("name", crate::i18n::arg(&user.name))])) { (lang.t("admin-save-roles")) }
                            }
                        }
                        td { (account_cell(frame, user)) }
                    }
                }
            }
        }
        (frame.form("/admin/users", &lang.t("admin-add-user"), html! {
            (input(Input::Email, &lang.t("field-email"), "email", frame.value("email"), frame.errors.on("email"), true))
            (input(Input::Text, &lang.t("field-name"), "name", frame.value("name"), frame.errors.on("name"), true))
            (input(Input::NewPassword, &lang.t("field-password"), "password", "", frame.errors.on("password"), true))
            (checkboxes(&lang.t("admin-roles"), "roles", &role_options(lang), &frame.values("roles"), None))
        }))
    }
}

/// How a user signs in, and the admin's buttons for their account: deactivate (or
/// reactivate), and send a password reset link to a local account.
fn account_cell(frame: &Frame<'_>, user: &crate::services::accounts::AccountView) -> Markup {
    let viewer = frame.viewer;
    let lang = viewer.lang;
    let name = crate::i18n::arg(&user.name);
    let how = match (user.oidc, user.password) {
        (true, true) => lang.t("admin-signs-in-both"),
        (true, false) => lang.t("admin-signs-in-oidc"),
        _ => lang.t("admin-signs-in-password"),
    };
    html! {
        p.hint { (how) }
        @if user.active {
            @if user.password {
                form method="post" action=(format!("/admin/users/{}/password-reset", user.id)) {
                    (csrf(&viewer.csrf))
                    button type="submit" aria-label=(lang.t_with("admin-send-reset-to", &[("name", name.clone())])) { (lang.t("admin-send-reset")) }
                }
            }
            @if user.id != viewer.caller.id {
                form method="post" action=(format!("/admin/users/{}/deactivate", user.id)) {
                    (csrf(&viewer.csrf))
                    button.danger type="submit" aria-label=(lang.t_with("admin-deactivate-named", &[("name", name.clone())])) { (lang.t("admin-deactivate")) }
                }
            }
        } @else {
            form method="post" action=(format!("/admin/users/{}/reactivate", user.id)) {
                (csrf(&viewer.csrf))
                button type="submit" aria-label=(lang.t_with("admin-reactivate-named", &[("name", name)])) { (lang.t("admin-reactivate")) }
            }
        }
    }
}

fn cis(frame: &Frame<'_>, data: &Listing) -> Markup {
    let lang = frame.viewer.lang;
    html! {
        table {
            thead { tr { th scope="col" { (lang.t("field-name")) } th scope="col" { (lang.t("admin-kind")) } th scope="col" { (lang.t("admin-criticality")) } th scope="col" { (lang.t("admin-owner")) } th scope="col" { (lang.t("section-actions")) } } }
            tbody { @for ci in &data.cis { tr {
                td { (ci.name) } td { (ci.kind) } td { (lang.t(&format!("criticality-{}", ci.criticality))) } td { (ci.owner_email) }
                td { @if ci.retired { span.badge { (lang.t("admin-retired")) } } @else { (edit_link(lang, Section::Cis, ci.id.0, &ci.name)) } }
            } } }
        }
        @let levels: Vec<(String, String)> = (1..=4).map(|c| (c.to_string(), lang.t(&format!("criticality-{c}")))).collect();
        (frame.form_with("/admin/cis", &lang.t("admin-add-ci"), html! {
            (input(Input::Text, &lang.t("field-name"), "name", frame.value("name"), frame.errors.on("name"), true))
            (input(Input::Text, &lang.t("admin-kind"), "kind", frame.value("kind"), frame.errors.on("kind"), true))
            (select(&lang.t("admin-criticality"), "criticality", &levels, frame.value_or("criticality", "3"), frame.errors.on("criticality")))
            (input(Input::Email, &lang.t("admin-owner"), "owner_email", frame.value("owner_email"), frame.errors.on("owner_email"), true))
        }, Some("admin-retire-hint")))
    }
}

fn templates(frame: &Frame<'_>, data: &Listing) -> Markup {
    let lang = frame.viewer.lang;
    html! {
        (candidates(frame, data))
        @if !data.candidates.is_empty() { h2 { (lang.t("admin-templates-current")) } }
        table {
            thead { tr { th scope="col" { (lang.t("field-name")) } th scope="col" { (lang.t("admin-max-duration")) } th scope="col" { (lang.t("field-cis")) } th scope="col" { (lang.t("section-actions")) } } }
            tbody { @for t in &data.templates { tr {
                td { (t.name) " " span.hint { (lang.t_with("admin-template-version", &[("version", crate::i18n::arg(t.version))])) } } td { (t.max_duration_minutes) }
                td { (ci_names(&data.cis, &t.ci_ids)) }
                td { @if t.retired { span.badge { (lang.t("admin-retired")) } } @else { (edit_link(lang, Section::Templates, t.id.0, &t.name)) } }
            } } }
        }
        (frame.form_with("/admin/templates", &lang.t("admin-add-template"), html! {
            (input(Input::Text, &lang.t("field-name"), "name", frame.value("name"), frame.errors.on("name"), true))
            (textarea(&lang.t("field-description"), "description", frame.value("description"), frame.errors.on("description")))
            (textarea(&lang.t("field-implementation-plan"), "implementation_plan", frame.value("implementation_plan"), frame.errors.on("implementation_plan")))
            (textarea(&lang.t("field-backout-plan"), "backout_plan", frame.value("backout_plan"), frame.errors.on("backout_plan")))
            (textarea(&lang.t("field-test-plan"), "test_plan", frame.value("test_plan"), frame.errors.on("test_plan")))
            (input(Input::Number, &lang.t("admin-max-duration"), "max_duration_minutes", frame.value_or("max_duration_minutes", "60"), frame.errors.on("max_duration_minutes"), true))
            (checkboxes(&lang.t("field-cis"), "ci_ids", &ci_options(&data.cis), &frame.values("ci_ids"), frame.errors.on("ci_ids")))
        }, Some("admin-retire-hint")))
    }
}

/// Candidate standard templates found in history, each with its evidence and the forms
/// to make it a template (name and longest duration prefilled) or stop proposing it.
fn candidates(frame: &Frame<'_>, data: &Listing) -> Markup {
    let viewer = frame.viewer;
    let lang = viewer.lang;
    let refused = frame.value("candidate");
    html! {
        @if let Some(problem) = frame.problem { div.errors #candidate-problem role="alert" { p { (problem) } } }
        @if !data.candidates.is_empty() {
            section aria-labelledby="candidates" {
                h2 #candidates { (lang.t("admin-candidates")) }
                p.hint { (lang.t("admin-candidates-hint")) }

                @for c in &data.candidates {
                    @let again = refused == c.id;
                    div.candidate aria-labelledby=(format!("candidate-{}", c.id)) role="group" {
                        h3 #(format!("candidate-{}", c.id)) { (c.title) }
                        p { (lang.t_with("admin-candidate-summary", &[
                            ("count", crate::i18n::num(c.evidence.len() as i64)),
                            ("cis", crate::i18n::arg(c.cis.join(", "))),
                        ])) }
                        table.dense {
                            caption { (lang.t("admin-candidate-evidence")) }
                            thead { tr { th scope="col" { (lang.t("field-ref")) } th scope="col" { (lang.t("field-title")) } th scope="col" { (lang.t("admin-candidate-ended")) } th scope="col" { (lang.t("field-closure-code")) } } }
                            tbody { @for e in &c.evidence { tr {
                                td { a href=(format!("/changes/{}", e.reference)) { (e.reference) } }
                                td { (e.title) }
                                td { (time(lang, viewer.zone, e.ended)) }
                                td { (lang.t(&format!("closure-{}", e.closure_code))) }
                            } } }
                        }
                        form.action method="post" action=(format!("/admin/templates/candidates/{}/accept", c.id)) {
                            (csrf(&viewer.csrf))
                            input type="hidden" name="candidate" value=(c.id);
                            div.field {
                                label for=(format!("candidate-name-{}", c.id)) { (lang.t("field-name")) }
                                input #(format!("candidate-name-{}", c.id)) type="text" name="candidate_name" required
                                    value=(if again { frame.value("candidate_name") } else { c.title.as_str() });
                            }
                            div.field {
                                label for=(format!("candidate-max-{}", c.id)) { (lang.t("admin-max-duration")) }
                                input #(format!("candidate-max-{}", c.id)) type="number" name="candidate_max" required
                                    value=(if again { frame.value("candidate_max").to_owned() } else { c.max_duration_minutes.to_string() });
                            }
                            button type="submit" { (lang.t("admin-candidate-accept")) }
                        }
                        form.inline method="post" action=(format!("/admin/templates/candidates/{}/dismiss", c.id)) {
                            (csrf(&viewer.csrf))
                            button.secondary type="submit" { (lang.t("admin-candidate-dismiss")) }
                        }
                    }
                }
            }
        }
    }
}

fn notices(frame: &Frame<'_>, data: &Listing) -> Markup {
    let viewer = frame.viewer;
    let lang = frame.viewer.lang;
    html! {
        @if data.notices.is_empty() { p.empty { (lang.t("admin-no-failed-notices")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (lang.t("admin-notice-recipient")) } th scope="col" { (lang.t("admin-notice-kind")) }
                    th scope="col" { (lang.t("admin-notice-error")) } th scope="col" { (lang.t("admin-notice-attempts")) } th scope="col" { (lang.t("section-actions")) }
                } }
                tbody { @for notice in &data.notices { tr {
                    td { (notice.recipient_email) } td { (notice.kind) } td { (notice.last_error.as_deref().unwrap_or("–")) } td { (notice.attempts) }
                    td { form method="post" action=(format!("/admin/notices/{}/retry", notice.id)) {
                        (csrf(&viewer.csrf))
                        button type="submit" aria-label=(lang.t_with("admin-retry-notice-to", &[("email", crate::i18n::arg(&notice.recipient_email))])) { (lang.t("admin-retry")) }
                    } }
                } } }
            }
        }
    }
}

fn blackouts(frame: &Frame<'_>, data: &Listing) -> Markup {
    let viewer = frame.viewer;
    let lang = frame.viewer.lang;
    html! {
        table {
            thead { tr { th scope="col" { (lang.t("field-title")) } th scope="col" { (lang.t("admin-starts")) } th scope="col" { (lang.t("admin-ends")) } th scope="col" { (lang.t("field-cis")) } th scope="col" { (lang.t("section-actions")) } } }
            tbody { @for b in &data.blackouts { tr {
                td { (b.title) } td { (time(viewer.lang, viewer.zone, b.starts_at)) } td { (time(viewer.lang, viewer.zone, b.ends_at)) }
                td { @if b.ci_ids.is_empty() { (lang.t("admin-all-cis")) } @else {
                    (ci_names(&data.cis, &b.ci_ids))
                } }
                td { (edit_link(lang, Section::Blackouts, b.id, &b.title)) }
            } } }
        }
        p.hint { (lang.t_with("form-times-in-zone", &[("zone", crate::i18n::arg(viewer.zone.name()))])) " " (lang.t("admin-blackout-hint")) }
        (frame.form_with("/admin/blackouts", &lang.t("admin-add-blackout"), html! {
            (input(Input::Text, &lang.t("field-title"), "title", frame.value("title"), frame.errors.on("title"), true))
            @for (name, label) in [("starts_at", lang.t("admin-starts")), ("ends_at", lang.t("admin-ends"))] {
                @let fold = format!("{name}_fold");
                (when_input(lang, viewer.zone, WhenInput { label: &label, name, value: frame.value(name), fold: frame.value(&fold), error: frame.errors.on(name), required: true }))
            }
            (checkboxes(&lang.t("field-cis"), "ci_ids", &ci_options(&data.cis), &frame.values("ci_ids"), frame.errors.on("ci_ids")))
        }, Some("admin-retire-hint-blackout")))
    }
}

fn calendar(frame: &Frame<'_>, data: &Listing) -> Markup {
    let viewer = frame.viewer;
    let lang = viewer.lang;
    html! {
        p.hint { (lang.t("admin-calendar-hint")) }
        table {
            thead { tr { th scope="col" { (lang.t("field-day")) } th scope="col" { (lang.t("admin-day-what")) } th scope="col" { (lang.t("section-actions")) } } }
            tbody { @for off in &data.days_off { tr {
                td { time datetime=(off.day.to_string()) { (lang.t(&format!("weekday-{}", off.day.format("%a").to_string().to_lowercase()))) " " (lang.date(off.day)) } }
                td {
                    @if let Some(holiday) = off.holiday { (lang.t(&format!("holiday-{holiday}"))) }
                    @if let Some(name) = &off.name { (name) }
                }
                td {
                    @if off.holiday.is_none() {
                        form method="post" action=(format!("/admin/calendar/{}/reopen", off.day)) {
                            (csrf(&viewer.csrf))
                            button type="submit" aria-label=(lang.t_with("admin-reopen-day-of", &[("day", crate::i18n::arg(lang.date(off.day)))])) { (lang.t("admin-reopen-day")) }
                        }
                    }
                }
            } } }
        }
        (frame.form("/admin/calendar", &lang.t("admin-add-closed-day"), html! {
            (input(Input::Date, &lang.t("field-day"), "day", frame.value("day"), frame.errors.on("day"), true))
            (input(Input::Text, &lang.t("field-name"), "name", frame.value("name"), frame.errors.on("name"), true))
        }))
    }
}

fn maintenance(frame: &Frame<'_>, data: &Listing) -> Markup {
    let viewer = frame.viewer;
    let lang = viewer.lang;
    let weekdays: Vec<(String, String)> =
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .iter()
            .map(|d| (d.to_string(), lang.t(&format!("weekday-full-{}", &d[..3]))))
            .collect();
    let day_name = |d: &str| weekdays.iter().find(|(k, _)| k == d).map_or(d.to_owned(), |(_, v)| v.clone());
    html! {
        p.hint { (lang.t("admin-maintenance-hint")) }
        table {
            thead { tr {
                th scope="col" { (lang.t("field-cis")) } th scope="col" { (lang.t("admin-weekday")) }
                th scope="col" { (lang.t("admin-starts")) } th scope="col" { (lang.t("admin-ends")) }
                th scope="col" { (lang.t("admin-zone")) } th scope="col" { (lang.t("section-actions")) }
            } }
            tbody { @for w in &data.maintenance { tr {
                td { (ci_names(&data.cis, &[w.ci_id])) } td { (day_name(&w.weekday)) }
                td { (w.starts) } td { (w.ends) } td { (w.zone) }
                td {
                    (edit_link(lang, Section::Maintenance, w.id, &ci_names(&data.cis, &[w.ci_id])))
                    form.inline method="post" action=(format!("/admin/maintenance/{}/remove", w.id)) {
                        (csrf(&viewer.csrf))
                        button type="submit" aria-label=(lang.t_with("admin-remove-window-of", &[("ci", crate::i18n::arg(ci_names(&data.cis, &[w.ci_id])))])) { (lang.t("admin-remove")) }
                    }
                }
            } } }
        }
        (frame.form("/admin/maintenance", &lang.t("admin-add-window"), html! {
            (select(&lang.t("field-cis"), "ci_id", &ci_options(&data.cis), frame.value("ci_id"), frame.errors.on("ci_id")))
            (select(&lang.t("admin-weekday"), "weekday", &weekdays, frame.value_or("weekday", "tuesday"), frame.errors.on("weekday")))
            (input(Input::Text, &lang.t("admin-starts"), "starts", frame.value_or("starts", "18:00"), frame.errors.on("starts"), true))
            (input(Input::Text, &lang.t("admin-ends"), "ends", frame.value_or("ends", "22:00"), frame.errors.on("ends"), true))
        }))
    }
}

/// The CAB meeting settings: the form shows the settings in force.
fn cab(frame: &Frame<'_>, data: &Listing) -> Markup {
    let lang = frame.viewer.lang;
    let current = data.cab.clone().unwrap_or_default();
    let weekdays: Vec<(String, String)> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| (d.to_string(), lang.t(&format!("weekday-full-{}", &d[..3]))))
        .collect();
    let holidays: Vec<(String, String)> = ["next_working_day", "skip"]
        .iter()
        .map(|h| (h.to_string(), lang.t(&format!("admin-cab-on-holiday-{h}"))))
        .collect();
    let zone = current.zone.clone().unwrap_or_default();
    html! {
        p.hint { (lang.t("admin-cab-hint")) }
        (frame.form("/admin/cab", &lang.t("admin-cab"), html! {
            (select(&lang.t("admin-weekday"), "meeting_day", &weekdays, frame.value_or("meeting_day", &current.meeting_day), frame.errors.on("meeting_day")))
            (input(Input::Text, &lang.t("admin-cab-time"), "meeting_time", frame.value_or("meeting_time", &current.meeting_time), frame.errors.on("meeting_time"), true))
            (input(Input::Text, &lang.t("admin-cab-cutoff"), "cutoff_time", frame.value_or("cutoff_time", &current.cutoff_time), frame.errors.on("cutoff_time"), true))
            (select(&lang.t("admin-cab-on-holiday"), "on_holiday", &holidays, frame.value_or("on_holiday", &current.on_holiday), frame.errors.on("on_holiday")))
            (input(Input::Text, &lang.t("admin-zone"), "zone", frame.value_or("zone", &zone), frame.errors.on("zone"), true))
        }))
    }
}
