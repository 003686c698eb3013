//! `/profile`: the viewer's language and time zone.

use super::{html, see_other};
use crate::i18n::Lang;
use crate::services::{users, Ctx};
use crate::web::session::{page_run, Form, PageError, Viewer};
use crate::web::views::components::{csrf, input, select, Input};
use crate::web::views::page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html as markup;

pub async fn show(viewer: Viewer) -> HttpResponse {
    let lang = viewer.lang;
    let languages = vec![
        (String::new(), lang.t("profile-language-browser")),
        ("nb".to_owned(), Lang::Nb.t("language-name")),
        ("en".to_owned(), Lang::En.t("language-name")),
    ];
    let body = markup! {
        form method="post" action="/profile" {
            (csrf(&viewer.csrf))
            (select(&lang.t("profile-language"), "language", &languages, viewer.caller.language.as_deref().unwrap_or(""), None))
            (input(Input::Text, &lang.t("profile-timezone"), "timezone", viewer.caller.timezone.as_deref().unwrap_or(""), None, false))
            p.hint { (lang.t_with("profile-timezone-hint", &[("zone", crate::i18n::arg(viewer.zone.name()))])) }
            button type="submit" { (lang.t("form-save")) }
        }
    };
    html(StatusCode::OK, page(&viewer, &lang.t("profile-title"), body))
}

pub async fn save(ctx: web::Data<Ctx>, viewer: Viewer, form: Form) -> Result<HttpResponse, PageError> {
    let language = Some(form.get("language").to_owned()).filter(|l| !l.is_empty());
    let timezone = Some(form.get("timezone").to_owned()).filter(|z| !z.is_empty());
    let caller = viewer.caller.clone();
    page_run(ctx, viewer.lang, move |ctx| {
        users::update_profile(ctx, &caller, language.as_deref(), timezone.as_deref())
    })
    .await?;
    Ok(see_other("/profile"))
}

/// The language switch in the header: keeps the time zone, sets the language.
pub async fn language(
    ctx: web::Data<Ctx>,
    viewer: Viewer,
    form: Form,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let language = Lang::parse(form.get("language")).map(|l| l.code().to_owned());
    let caller = viewer.caller.clone();
    let zone = caller.timezone.clone();
    page_run(ctx, viewer.lang, move |ctx| {
        users::update_profile(ctx, &caller, language.as_deref(), zone.as_deref())
    })
    .await?;
    let back = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned())))
        .unwrap_or_else(|| "/".to_owned());
    Ok(see_other(super::safe_next(&back)))
}
