//! Signing in (with the identity provider, or a password), and setting a new password
//! by a reset link.

use super::components::{csrf, input, Errors, Input};
use super::plain_page;
use crate::web::session::{urlencode, Visitor};
use maud::{html as markup, Markup};

/// What the sign-in page offers.
pub struct Offer<'a> {
    /// The identity provider's name, when sign-in with it is on.
    pub provider: Option<&'a str>,
    /// Passwords are on for everyone (else only for break-glass accounts, folded away).
    pub passwords: bool,
    /// What just happened (a password set, a reset link sent), said once.
    pub notice: Option<&'a str>,
}

/// The sign-in page; `problem` is why the last attempt failed.
pub fn sign_in_page(
    visitor: &Visitor,
    offer: &Offer<'_>,
    next: &str,
    email: &str,
    problem: Option<&str>,
) -> Markup {
    let lang = visitor.lang;
    let password_form = markup! {
        form.sign-in method="post" action="/sign-in" {
            (csrf(&visitor.csrf))
            input type="hidden" name="next" value=(next);
            (input(Input::Email, &lang.t("field-email"), "email", email, None, true))
            (input(Input::Password, &lang.t("field-password"), "password", "", None, true))
            button type="submit" { (lang.t("sign-in")) }
        }
        @if offer.passwords {
            p { a href="/sign-in/forgot" { (lang.t("sign-in-forgot")) } }
        }
    };
    plain_page(
        lang,
        &lang.t("sign-in-title"),
        markup! {
            @if let Some(problem) = problem { div.errors role="alert" tabindex="-1" autofocus { p { (problem) } } }
            @if let Some(notice) = offer.notice { p.notice role="status" { (notice) } }
            @if let Some(provider) = offer.provider {
                p.provider {
                    a.button href=(format!("/sign-in/oidc?next={}", urlencode(next))) {
                        (lang.t_with("sign-in-with", &[("provider", crate::i18n::arg(provider))]))
                    }
                }
                @if offer.passwords {
                    h2 { (lang.t("sign-in-password-heading")) }
                    (password_form)
                } @else {
                    details open[problem.is_some() && !email.is_empty()] {
                        summary { (lang.t("sign-in-break-glass")) }
                        (password_form)
                    }
                }
            } @else {
                (password_form)
            }
            p.languages {
                @for other in crate::i18n::Lang::ALL {
                    a href=(format!("/sign-in?lang={}&next={}", other.code(), urlencode(next))) lang=(other.code()) { (other.t("language-name")) } " "
                }
            }
        },
    )
}

/// Asking for a reset link: the email, and afterwards the same answer whoever asked.
pub fn forgot_page(visitor: &Visitor, sent: bool, errors: &Errors, email: &str) -> Markup {
    let lang = visitor.lang;
    plain_page(
        lang,
        &lang.t("forgot-title"),
        markup! {
            @if sent {
                p.notice role="status" { (lang.t("forgot-sent")) }
            } @else {
                (errors.summary(lang))
                p { (lang.t("forgot-hint")) }
                form method="post" action="/sign-in/forgot" {
                    (csrf(&visitor.csrf))
                    (input(Input::Email, &lang.t("field-email"), "email", email, errors.on("email"), true))
                    button type="submit" { (lang.t("forgot-send")) }
                }
            }
            p { a href="/sign-in" { (lang.t("forgot-back")) } }
        },
    )
}

/// Setting a new password by a reset link (`email` is whose it is), or, when the link no
/// longer works (`email` None), saying so.
pub fn reset_page(visitor: &Visitor, token: &str, email: Option<&str>, errors: &Errors) -> Markup {
    let lang = visitor.lang;
    plain_page(
        lang,
        &lang.t("reset-title"),
        markup! {
            @match email {
                Some(email) => {
                    (errors.summary(lang))
                    p { (lang.t_with("reset-for", &[("email", crate::i18n::arg(email))])) }
                    form method="post" action=(format!("/sign-in/reset/{token}")) {
                        (csrf(&visitor.csrf))
                        p.hint { (lang.t("reset-hint")) }
                        (input(Input::NewPassword, &lang.t("field-new-password"), "new_password", "", errors.on("new_password"), true))
                        (input(Input::NewPassword, &lang.t("field-confirm-password"), "confirm_password", "", errors.on("confirm_password"), true))
                        button type="submit" { (lang.t("reset-save")) }
                    }
                }
                None => {
                    div.errors role="alert" { p { (lang.t("msg-reset-link-spent")) } }
                    p { a href="/sign-in/forgot" { (lang.t("forgot-title")) } }
                }
            }
        },
    )
}
