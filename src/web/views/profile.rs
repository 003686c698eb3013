//! The viewer's own settings: language, time zone, password.

use super::components::{checkboxes, csrf, input, select, Errors, Input};
use crate::i18n::Lang;
use crate::services::delegations::{Choices, DelegationView};
use crate::services::feeds::{FeedScope, FeedView};
use crate::web::session::Viewer;
use maud::{html, Markup};

/// The viewer's calendar feeds.
pub struct Feeds<'a> {
    pub feeds: &'a [FeedView],
    /// The address of a feed just made: shown this once.
    pub new_address: Option<&'a str>,
    pub may_follow_all: bool,
    /// The CIs one may follow a feed of.
    pub cis: &'a [crate::services::reference::CiView],
}

/// What the delegation form typed, kept after a refusal.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub principal: String,
    pub delegate: String,
    pub from: String,
    pub until: String,
}

/// The viewer's delegations, given and received, and the form to name a delegate.
pub struct Delegations<'a> {
    pub list: &'a [DelegationView],
    pub choices: &'a Choices,
    pub typed: Option<&'a Typed>,
    /// The text key of what was just done (made or ended a delegation).
    pub done: Option<&'static str>,
}

/// The viewer's signed-in sessions and API tokens.
pub struct Access<'a> {
    pub sessions: &'a [crate::services::sessions::Listed],
    pub tokens: &'a [crate::services::auth::TokenView],
    /// The viewer has a local password (else they sign in with the identity provider).
    pub password: bool,
    /// An API token just made: shown this once.
    pub new_token: Option<&'a str>,
}

pub fn profile(
    viewer: &Viewer,
    password_changed: bool,
    errors: &Errors,
    feeds: &Feeds<'_>,
    delegations: &Delegations<'_>,
    access: &Access<'_>,
) -> Markup {
    let lang = viewer.lang;
    let languages = vec![
        (String::new(), lang.t("profile-language-browser")),
        ("nb".to_owned(), Lang::Nb.t("language-name")),
        ("en".to_owned(), Lang::En.t("language-name")),
    ];
    html! {
        form method="post" action="/profile" {
            (csrf(&viewer.csrf))
            (select(&lang.t("profile-language"), "language", &languages, viewer.caller.language.as_deref().unwrap_or(""), None))
            (input(Input::Text, &lang.t("profile-timezone"), "timezone", viewer.caller.timezone.as_deref().unwrap_or(""), None, false))
            p.hint { (lang.t_with("profile-timezone-hint", &[("zone", crate::i18n::arg(viewer.zone.name()))])) }
            button type="submit" { (lang.t("form-save")) }
        }
        @if access.password {
            h2 #password { (lang.t("profile-password")) }
            @if password_changed {
                p.notice role="status" { (lang.t("profile-password-changed")) }
            }
            (errors.summary(lang))
            form method="post" action="/profile/password" {
                (csrf(&viewer.csrf))
                p.hint { (lang.t("profile-password-hint")) }
                (input(Input::Password, &lang.t("field-current-password"), "current_password", "", errors.on("current_password"), true))
                (input(Input::NewPassword, &lang.t("field-new-password"), "new_password", "", errors.on("new_password"), true))
                (input(Input::NewPassword, &lang.t("field-confirm-password"), "confirm_password", "", errors.on("confirm_password"), true))
                button type="submit" { (lang.t("profile-password")) }
            }
        } @else {
            h2 #password { (lang.t("profile-password")) }
            p { (lang.t("profile-no-password")) }
            (errors.summary(lang))
        }
        (access_section(viewer, errors, access))
        (delegation_section(viewer, errors, delegations))
        (feeds_section(viewer, feeds))
    }
}

/// A browser's name and system, from its `User-Agent` (enough to recognise one's own).
pub fn browser(user_agent: &str) -> String {
    let name = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .iter()
        .find(|(mark, _)| user_agent.contains(mark))
        .map(|(_, name)| (*name).to_owned())
        .unwrap_or_else(|| user_agent.split(['/', ' ']).next().unwrap_or_default().to_owned());
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, system)| *system);
    match system {
        Some(system) if !name.is_empty() => format!("{name}, {system}"),
        _ => name,
    }
}

fn access_section(viewer: &Viewer, errors: &Errors, access: &Access<'_>) -> Markup {
    let lang = viewer.lang;
    let others = access.sessions.iter().filter(|s| !s.current).count();
    html! {
        h2 #sessions { (lang.t("sessions-title")) }
        p.hint { (lang.t("sessions-hint")) }
        table {
            caption.visually-hidden { (lang.t("sessions-title")) }
            thead { tr {
                th scope="col" { (lang.t("sessions-browser")) } th scope="col" { (lang.t("sessions-address")) }
                th scope="col" { (lang.t("sessions-method")) } th scope="col" { (lang.t("sessions-started")) }
                th scope="col" { (lang.t("sessions-last-used")) } th scope="col" { (lang.t("section-actions")) }
            } }
            tbody { @for s in access.sessions { tr {
                td { (browser(&s.user_agent)) }
                td { (s.address) }
                td { (lang.t(&format!("sessions-method-{}", s.method))) }
                td { (lang.datetime(viewer.zone, s.started)) }
                td { (lang.datetime(viewer.zone, s.last_used)) }
                td {
                    @if s.current {
                        (lang.t("sessions-this"))
                    } @else {
                        form method="post" action=(format!("/profile/sessions/{}/end", s.id)) {
                            (csrf(&viewer.csrf))
                            button type="submit" aria-label=(lang.t_with("sessions-end-named", &[("browser", crate::i18n::arg(browser(&s.user_agent)))])) { (lang.t("sessions-end")) }
                        }
                    }
                }
            } } }
        }
        @if others > 0 {
            form method="post" action="/profile/sessions/end-others" {
                (csrf(&viewer.csrf))
                button type="submit" { (lang.t("sessions-end-others")) }
            }
        }
        h3 #tokens { (lang.t("tokens-title")) }
        p.hint { (lang.t("tokens-hint")) }
        @if let Some(token) = access.new_token {
            div.notice role="status" {
                p { (lang.t("tokens-made")) }
                p { code.feed-address { (token) } }
            }
        }
        @if access.tokens.is_empty() {
            p { (lang.t("tokens-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (lang.t("field-name")) } th scope="col" { (lang.t("field-scopes")) }
                    th scope="col" { (lang.t("tokens-created")) } th scope="col" { (lang.t("tokens-expires")) }
                    th scope="col" { (lang.t("tokens-last-used")) } th scope="col" { (lang.t("section-actions")) }
                } }
                tbody { @for t in access.tokens { tr {
                    td { (t.name) }
                    td { (t.scopes.iter().map(|s| lang.t(&format!("scope-{s}"))).collect::<Vec<_>>().join(", ")) }
                    td { (lang.datetime(viewer.zone, t.created_at)) }
                    td { (lang.datetime(viewer.zone, t.expires_at)) }
                    td { (t.last_used_at.map_or("–".to_owned(), |at| lang.datetime(viewer.zone, at))) }
                    td {
                        form method="post" action=(format!("/profile/tokens/{}/revoke", t.id)) {
                            (csrf(&viewer.csrf))
                            button type="submit" aria-label=(lang.t_with("tokens-revoke-named", &[("created", crate::i18n::arg(&t.name))])) { (lang.t("tokens-revoke")) }
                        }
                    }
                } } }
            }
        }
        @let scopes: Vec<(String, String)> = crate::domain::account::Scope::ALL.iter().map(|s| (s.to_string(), lang.t(&format!("scope-{s}")))).collect();
        @let refused = ["token_name", "scopes", "expires_in_days"].iter().any(|f| errors.on(f).is_some());
        details open[refused] {
            summary { (lang.t("tokens-new")) }
            form method="post" action="/profile/tokens" {
                (csrf(&viewer.csrf))
                (input(Input::Text, &lang.t("field-name"), "token_name", "", errors.on("token_name"), true))
                (checkboxes(&lang.t("field-scopes"), "scopes", &scopes, &[], errors.on("scopes")))
                (input(Input::Text, &lang.t("field-expires-in-days"), "expires_in_days", "90", errors.on("expires_in_days"), true))
                button type="submit" { (lang.t("tokens-create")) }
            }
        }
    }
}

fn delegation_section(viewer: &Viewer, errors: &Errors, shown: &Delegations<'_>) -> Markup {
    let lang = viewer.lang;
    let choices = shown.choices;
    let may_name = choices.for_self || !choices.members.is_empty();
    let empty = Typed::default();
    let typed = shown.typed.unwrap_or(&empty);
    let people = |list: &[crate::services::delegations::Person]| -> Vec<(String, String)> {
        list.iter().map(|p| (p.id.to_string(), p.name.clone())).collect()
    };
    let mut members = Vec::new();
    if choices.for_self {
        members.push((String::new(), lang.t("delegation-myself")));
    }
    members.extend(people(&choices.members));
    let mut delegates = vec![(String::new(), lang.t("form-choose"))];
    delegates.extend(people(&choices.delegates));
    html! {
        @if may_name || !shown.list.is_empty() {
            h2 #delegation { (lang.t("delegation-title")) }
            p.hint { (lang.t("delegation-hint")) }
            @if let Some(done) = shown.done { p.notice role="status" { (lang.t(done)) } }
            @if !shown.list.is_empty() {
                table {
                    thead { tr {
                        th scope="col" { (lang.t("delegation-member")) } th scope="col" { (lang.t("delegation-delegate")) }
                        th scope="col" { (lang.t("delegation-from")) } th scope="col" { (lang.t("delegation-until")) }
                        th scope="col" { (lang.t("section-actions")) }
                    } }
                    tbody { @for d in shown.list { tr {
                        td { (d.principal.name) } td { (d.delegate.name) }
                        td { (lang.date(d.from)) } td { (lang.date(d.until)) }
                        td {
                            @if d.principal.id == viewer.caller.id.0 || !choices.members.is_empty() {
                                form method="post" action=(format!("/profile/delegations/{}/revoke", d.id)) {
                                    (csrf(&viewer.csrf))
                                    button type="submit" aria-label=(lang.t_with("delegation-revoke-named", &[("name", crate::i18n::arg(&d.delegate.name))])) { (lang.t("delegation-revoke")) }
                                }
                            } @else if d.active {
                                (lang.t("delegation-active"))
                            }
                        }
                    } } }
                }
            }
            @if may_name {
                form method="post" action="/profile/delegations" {
                    (csrf(&viewer.csrf))
                    @if !choices.members.is_empty() {
                        (select(&lang.t("delegation-member"), "principal", &members, &typed.principal, errors.on("principal")))
                    }
                    (select(&lang.t("delegation-delegate"), "delegate", &delegates, &typed.delegate, errors.on("delegate")))
                    (input(Input::Date, &lang.t("delegation-from"), "from", &typed.from, errors.on("from"), true))
                    (input(Input::Date, &lang.t("delegation-until"), "until", &typed.until, errors.on("until"), true))
                    button type="submit" { (lang.t("delegation-create")) }
                }
            }
        }
    }
}

fn feeds_section(viewer: &Viewer, shown: &Feeds<'_>) -> Markup {
    let lang = viewer.lang;
    let mut scopes = vec![(FeedScope::Personal.to_string(), lang.t("feed-scope-personal"))];
    if shown.may_follow_all {
        scopes.push((FeedScope::All.to_string(), lang.t("feed-scope-all")));
    }
    scopes.push((FeedScope::Ci.to_string(), lang.t("feed-scope-ci")));
    let mut cis = vec![(String::new(), lang.t("feed-ci-none"))];
    cis.extend(shown.cis.iter().map(|c| (c.id.to_string(), c.name.clone())));
    let ci_name = |id: Option<crate::domain::ids::CiId>| {
        id.and_then(|id| shown.cis.iter().find(|c| c.id == id)).map(|c| c.name.clone()).unwrap_or_default()
    };
    html! {
        h2 #feeds { (lang.t("feed-title")) }
        p.hint { (lang.t("feed-hint")) }
        @if let Some(address) = shown.new_address {
            div.notice role="status" {
                p { (lang.t("feed-made")) }
                p { code.feed-address { (address) } }
            }
        }
        @if !shown.feeds.is_empty() {
            table {
                thead { tr { th scope="col" { (lang.t("field-name")) } th scope="col" { (lang.t("feed-scope")) } th scope="col" { (lang.t("section-actions")) } } }
                tbody { @for feed in shown.feeds { tr {
                    td { (feed.name) } td { (lang.t(&format!("feed-scope-{}", feed.scope))) " " (ci_name(feed.ci_id)) }
                    td { form method="post" action=(format!("/profile/feeds/{}/revoke", feed.id)) {
                        (csrf(&viewer.csrf))
                        button type="submit" aria-label=(lang.t_with("feed-revoke-named", &[("name", crate::i18n::arg(&feed.name))])) { (lang.t("feed-revoke")) }
                    } }
                } } }
            }
        }
        form method="post" action="/profile/feeds" {
            (csrf(&viewer.csrf))
            (input(Input::Text, &lang.t("field-name"), "name", "", None, true))
            (select(&lang.t("feed-scope"), "scope", &scopes, "personal", None))
            (select(&lang.t("feed-ci"), "ci_id", &cis, "", None))
            button type="submit" { (lang.t("feed-create")) }
        }
    }
}
