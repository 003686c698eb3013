//! Account emails: the password reset link. The link is made when the email is sent (the
//! outbox row holds only whom it is for), so no usable token is ever stored.

use super::notice::Rendered;
use crate::i18n::{arg, Lang};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html, DOCTYPE};

pub use crate::domain::account::{ResetNotice, RESET_KIND};

/// The reset email: who asked, the link, until when it works, what to do if unasked.
pub fn render_reset(
    lang: Lang,
    zone: Tz,
    link: &str,
    expires_at: DateTime<Utc>,
    sent_by: Option<&str>,
) -> Rendered {
    let subject = lang.t("mail-subject-password_reset");
    let intro = match sent_by {
        Some(admin) => lang.t_with("mail-intro-password_reset-admin", &[("admin", arg(admin))]),
        None => lang.t("mail-intro-password_reset"),
    };
    let until = lang.t_with("mail-reset-until", &[("time", arg(lang.datetime(zone, expires_at)))]);
    let unasked = lang.t("mail-reset-unasked");
    let action = lang.t("mail-reset-action");
    let text = format!("{intro}\n\n{action}: {link}\n\n{until}\n\n{unasked}\n");
    let html = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (subject) } }
            body {
                p { (intro) }
                p { a href=(link) { (action) } }
                p { (until) }
                p { (unasked) }
            }
        }
    };
    Rendered { subject, text, html: html.into_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_email_carries_the_link_the_time_and_who_sent_it_in_both_languages() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z").unwrap().with_timezone(&Utc);
        let oslo: Tz = "Europe/Oslo".parse().unwrap();
        let link = "https://endring.example.no/sign-in/reset/abc";
        for lang in [Lang::Nb, Lang::En] {
            let mail = render_reset(lang, oslo, link, at, Some("Kari Nordmann"));
            assert!(mail.text.contains(link) && mail.html.contains(link), "{mail:?}");
            assert!(mail.text.contains("Kari Nordmann"), "{}", mail.text);
            assert!(mail.text.contains("10:30"), "the time in the reader's zone: {}", mail.text);
            let asked = render_reset(lang, oslo, link, at, None);
            assert!(!asked.text.contains("Kari"), "{}", asked.text);
            assert_ne!(asked.subject, "");
        }
    }
}
