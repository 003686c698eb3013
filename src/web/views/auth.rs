//! Signing in.

use super::components::{csrf, input, Input};
use super::plain_page;
use crate::web::session::{urlencode, Visitor};
use maud::{html as markup, Markup};

/// The sign-in form; `problem` is why the last attempt failed.
pub fn sign_in_page(visitor: &Visitor, next: &str, email: &str, problem: Option<&str>) -> Markup {
    let lang = visitor.lang;
    plain_page(
        lang,
        &lang.t("sign-in-title"),
        markup! {
            @if let Some(problem) = problem { div.errors role="alert" { p { (problem) } } }
            form.sign-in method="post" action="/sign-in" {
                (csrf(&visitor.csrf))
                input type="hidden" name="next" value=(next);
                (input(Input::Email, &lang.t("field-email"), "email", email, None, true))
                (input(Input::Password, &lang.t("field-password"), "password", "", None, true))
                button type="submit" { (lang.t("sign-in")) }
            }
            p.languages {
                @for other in crate::i18n::Lang::ALL {
                    a href=(format!("/sign-in?lang={}&next={}", other.code(), urlencode(next))) lang=(other.code()) { (other.t("language-name")) } " "
                }
            }
        },
    )
}
