//! The viewer's own settings: language, time zone, password.

use super::components::{csrf, input, select, Errors, Input};
use crate::i18n::Lang;
use crate::web::session::Viewer;
use maud::{html, Markup};

pub fn profile(viewer: &Viewer, password_changed: bool, errors: &Errors) -> Markup {
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
    }
}
