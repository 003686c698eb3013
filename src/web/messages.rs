//! Service errors in the viewer's language, for pages. (The JSON API keeps its English
//! `detail`; see docs/decisions.md.)

use crate::i18n::{arg, Lang};
use crate::services::ServiceError;

pub fn describe(lang: Lang, error: &ServiceError) -> String {
    match error {
        ServiceError::Refused(refused) => lang.t_with(
            "refused",
            &[
                ("state", arg(lang.t(&format!("state-{}", refused.state)))),
                ("action", arg(lang.t(&format!("verb-{}", refused.action)))),
            ],
        ),
        ServiceError::Forbidden(permission) | ServiceError::ForbiddenScope { permission, .. } => {
            lang.t(&format!("forbidden-{permission}"))
        }
        ServiceError::NotFound(_) => lang.t("error-404-detail"),
        ServiceError::ScheduleConflict(conflicts) => {
            let titles: Vec<&str> = conflicts.iter().map(|c| c.title.as_str()).collect();
            lang.t_with(
                "schedule-conflict",
                &[("count", crate::i18n::num(conflicts.len() as i64)), ("titles", arg(titles.join(", ")))],
            )
        }
        ServiceError::VersionMismatch { .. } => lang.t("version-mismatch"),
        ServiceError::VersionRequired => lang.t("version-required"),
        ServiceError::TooManyAttempts { retry_after_secs } => {
            lang.t_with("sign-in-too-many", &[("seconds", arg(retry_after_secs))])
        }
        ServiceError::Invalid(errors) => {
            let details: Vec<String> = errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        super::views::components::field_label(lang, &e.field),
                        lang.message(&e.message)
                    )
                })
                .collect();
            format!("{} – {}", lang.t("error-422"), details.join("; "))
        }
        ServiceError::Conflict(message) | ServiceError::Taken { message, .. } => lang.message(message),
        ServiceError::TooLarge { max_mb } => lang.t_with("attachment-too-large", &[("max", arg(max_mb))]),
        ServiceError::Internal(_) => lang.t("error-internal"),
        other => other.to_string(),
    }
}
