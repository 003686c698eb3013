//! The page shell: skip link, header with the navigation for the viewer's roles, language
//! switch, main landmark, footer.

use crate::authz::Permission;
use crate::i18n::Lang;
use crate::web::session::Viewer;
use actix_web::http::StatusCode;
use maud::{html, Markup, DOCTYPE};

fn head(title: &str, extra: Markup) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " – Endring" }
            link rel="stylesheet" href="/static/style.css";
            (extra)
        }
    }
}

/// A page for a signed-in viewer.
pub fn page(viewer: &Viewer, title: &str, body: Markup) -> Markup {
    let lang = viewer.lang;
    let links: Vec<(&str, String)> = [
        (true, "/", lang.t("nav-home")),
        (true, "/changes", lang.t("nav-changes")),
        (true, "/changes/new", lang.t("nav-new-change")),
        (viewer.may(Permission::Vote), "/cab", lang.t("nav-cab")),
        (true, "/calendar", lang.t("nav-calendar")),
        (true, "/desk", lang.t("nav-desk")),
        (true, "/messages", lang.t("nav-messages")),
        (viewer.may(Permission::ReadReports), "/reports", lang.t("nav-reports")),
        (
            super::admin::Section::ALL.iter().any(|s| viewer.may(s.permission())),
            "/admin",
            lang.t("nav-admin"),
        ),
    ]
    .into_iter()
    .filter(|(shown, _, _)| *shown)
    .map(|(_, href, text)| (href, text))
    .collect();
    let navigation = html! {
        nav aria-label=(lang.t("nav-label")) {
            ul {
                @for (href, text) in &links {
                    li { a href=(href) { (text) } }
                }
            }
        }
        div.account {
            a href="/profile" { (viewer.caller.name) }
            (language_switch(viewer))
            form method="post" action="/sign-out" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button.link type="submit" { (lang.t("sign-out")) }
            }
        }
    };
    // The confirmation of the viewer's last form, first in the main landmark; a status
    // region, so a screen reader says it without moving focus.
    let body = html! {
        @if let Some(done) = &viewer.done { div.done role="status" { p { (done) } } }
        (body)
    };
    shell(lang, title, (html! {}, navigation), body)
}

/// The document every page shares: skip link, header (brand and `navigation`), the main
/// landmark with the title, footer.
fn shell(lang: Lang, title: &str, (head_extra, navigation): (Markup, Markup), body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(title, head_extra))
            body {
                a.skip href="#main" { (lang.t("skip-to-content")) }
                header.site {
                    a.brand href="/" { "Endring" }
                    (navigation)
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer.site { p { (lang.t("footer")) } }
            }
        }
    }
}

fn language_switch(viewer: &Viewer) -> Markup {
    let other = match viewer.lang {
        Lang::Nb => Lang::En,
        Lang::En => Lang::Nb,
    };
    html! {
        form method="post" action="/profile/language" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="language" value=(other.code());
            button.link type="submit" lang=(other.code()) { (other.t("language-name")) }
        }
    }
}

/// A page for someone not signed in (sign-in, token confirmations).
pub fn plain_page(lang: Lang, title: &str, body: Markup) -> Markup {
    shell(lang, title, (html! {}, html! {}), body)
}

/// A page anyone may read (the system messages): `head` adds to the document's head, and
/// the header offers signing in. The same for every reader of a language, so caches may
/// share it.
pub fn public_page(lang: Lang, title: &str, head: Markup, body: Markup) -> Markup {
    let navigation = html! {
        div.account { a href="/sign-in?next=%2F" { (lang.t("sign-in")) } }
    };
    shell(lang, title, (head, navigation), body)
}

/// An error in the same layout, in the visitor's language.
pub fn error_page(lang: Lang, status: StatusCode, detail: &str) -> Markup {
    let title = match status {
        StatusCode::FORBIDDEN => lang.t("error-403"),
        StatusCode::NOT_FOUND => lang.t("error-404"),
        StatusCode::CONFLICT => lang.t("error-409"),
        StatusCode::PRECONDITION_FAILED | StatusCode::PRECONDITION_REQUIRED => lang.t("error-412"),
        StatusCode::METHOD_NOT_ALLOWED => lang.t("error-405"),
        StatusCode::UNPROCESSABLE_ENTITY => lang.t("error-422"),
        StatusCode::TOO_MANY_REQUESTS => lang.t("error-429"),
        StatusCode::PAYLOAD_TOO_LARGE => lang.t("error-413"),
        StatusCode::REQUEST_TIMEOUT => lang.t("error-408"),
        status if status.is_server_error() => lang.t("error-500"),
        _ => lang.t("error-400"),
    };
    plain_page(
        lang,
        &title,
        html! {
            p.problem role="alert" { (detail) }
            p { a href="/" { (lang.t("error-back-home")) } }
        },
    )
}
