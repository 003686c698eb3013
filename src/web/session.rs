//! People in browsers: the session cookie, who is looking (`Viewer`), CSRF-checked forms,
//! and how page errors are shown.
//!
//! The cookie is signed and encrypted (actix-session's cookie store) keyed from
//! `ENDRING_SESSION_KEY`. It holds a CSRF token, the language chosen before signing in,
//! and, once signed in, a random session token: the session itself is a row in the
//! database (`services::sessions`), found by the token's hash on each request, so ending
//! it there (sign-out, "sign out everywhere", a password change or reset, deactivation)
//! ends every copy of the cookie at once, on every instance. Roles are read with it.

use super::run;
use super::views::error_page;
use crate::authz::{Object, Permission};
use crate::domain::caller::Caller;
use crate::domain::text::Text;
use crate::domain::validation::FieldError;
use crate::i18n::Lang;
use crate::services::auth::KnownDevice;
use crate::services::{sessions, Ctx, ServiceError};
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionExt, SessionMiddleware};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, CookieJar, Key, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use std::future::Future;
use std::pin::Pin;

/// The session token (its SHA-256 is the `sessions` row's key).
const SID: &str = "sid";
const CSRF: &str = "csrf";
const LANG: &str = "lang";
/// What the last form did, said once on the page it led to (post/redirect/get).
const DONE: &str = "done";

use crate::services::sessions::SESSION_HOURS;

/// The session cookie: `__Host-endring` and `Secure` when served over TLS (`base_url` is
/// https), `HttpOnly` and `SameSite=Lax` always; it lives 12 hours.
pub fn middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(if secure { "__Host-endring" } else { "endring" }.to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(PersistentSession::default().session_ttl(CookieDuration::hours(SESSION_HOURS)))
        .build()
}

/// The cookie key from `ENDRING_SESSION_KEY`, or a random one (sessions then end with the
/// process and are valid on this instance only).
pub fn key(configured: Option<&str>) -> Key {
    match configured {
        Some(secret) => Key::derive_from(secret.as_bytes()),
        None => {
            tracing::warn!("ENDRING_SESSION_KEY is not set: sessions end when the service restarts");
            Key::generate()
        }
    }
}

/// Where the request comes from, for the session list on the profile page and the
/// sign-in limits: its address, and the device cookie it sent, if valid.
pub fn client(req: &HttpRequest) -> sessions::Client {
    let agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mut client = sessions::Client::new(agent, &super::client_address(req));
    client.device = known_device(req);
    client
}

/// The key of the device cookie, derived from the session key (one secret to configure,
/// a key of its own per use).
pub struct DeviceKey(Key);

impl DeviceKey {
    pub fn from_session_key(key: &Key) -> DeviceKey {
        DeviceKey(Key::derive_from(&[key.master(), b"endring device cookie"].concat()))
    }
}

/// How long a browser stays known to the account it signed in to.
const DEVICE_DAYS: i64 = 365;

fn device_cookie_name(req: &HttpRequest) -> &'static str {
    let secure =
        req.app_data::<web::Data<Ctx>>().is_some_and(|ctx| ctx.config.base_url.starts_with("https://"));
    if secure {
        "__Host-endring-device"
    } else {
        "endring-device"
    }
}

/// The device cookie this browser sent (OWASP's "device cookie", see
/// `auth::SignInLimiter`): encrypted and authenticated with `DeviceKey`, so only one this
/// service made is read; it says which account the browser signed in to, and under which
/// password.
fn known_device(req: &HttpRequest) -> Option<KnownDevice> {
    let key = req.app_data::<web::Data<DeviceKey>>()?;
    let name = device_cookie_name(req);
    let mut jar = CookieJar::new();
    jar.add_original(req.cookie(name)?);
    let value = jar.private(&key.0).get(name)?.value().to_owned();
    let mut parts = value.splitn(3, ' ');
    let (id, stamp, email) = (parts.next()?, parts.next()?, parts.next()?);
    Some(KnownDevice { email: email.to_owned(), id: id.to_owned(), stamp: stamp.to_owned() })
}

/// The device cookie that makes this browser `device` (see `known_device`).
pub fn device_cookie(req: &HttpRequest, device: &KnownDevice) -> Option<Cookie<'static>> {
    let key = req.app_data::<web::Data<DeviceKey>>()?;
    let name = device_cookie_name(req);
    let cookie = Cookie::build(name, format!("{} {} {}", device.id, device.stamp, device.email))
        .path("/")
        .http_only(true)
        .secure(name.starts_with("__Host-"))
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(DEVICE_DAYS))
        .finish();
    let mut jar = CookieJar::new();
    jar.private_mut(&key.0).add(cookie);
    jar.get(name).cloned()
}

/// The session token this browser carries, if any (to end it when another sign-in
/// replaces it).
pub fn current_token(session: &Session) -> Option<String> {
    session.get::<String>(SID).ok().flatten()
}

/// Puts a session token made by a service into a renewed cookie, with a new CSRF token.
pub fn adopt(session: &Session, token: String) -> Result<(), ServiceError> {
    session.renew();
    let _ = session.remove(SID);
    session
        .insert(SID, token)
        .and_then(|()| session.insert(CSRF, new_token()))
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("session: {e}")))
}

/// Ends the session in the database and clears the cookie; the identity provider's ID
/// token the session was made with, if any (to end the provider's session too).
pub async fn sign_out(ctx: web::Data<Ctx>, session: &Session) -> Result<Option<String>, ServiceError> {
    let token = session.get::<String>(SID).ok().flatten();
    // Emptied and renewed rather than purged, so the signed-out browser may still be told
    // where to go next (the provider's end-session endpoint).
    session.clear();
    session.renew();
    match token {
        Some(token) => run(ctx, move |ctx| sessions::end(ctx, &token)).await,
        None => Ok(None),
    }
}

/// The active user a session is signed in as, with the session's id. None when there is
/// no sign-in, or the session ended, expired or its user was deactivated; such a cookie is
/// cleared.
pub async fn signed_in_caller(
    ctx: web::Data<Ctx>,
    session: &Session,
) -> Result<Option<(Caller, i32)>, ServiceError> {
    let Some(token) = session.get::<String>(SID).ok().flatten() else { return Ok(None) };
    let found = run(ctx, move |ctx| sessions::resolve(ctx, &token)).await?;
    if found.is_none() {
        session.purge();
    }
    Ok(found)
}

/// Remembers a language chosen before signing in.
pub fn choose_language(session: &Session, lang: Lang) {
    let _ = session.insert(LANG, lang.code());
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The session's CSRF token, made on first use.
fn csrf_token(session: &Session) -> String {
    match session.get::<String>(CSRF) {
        Ok(Some(token)) => token,
        _ => {
            let token = new_token();
            let _ = session.insert(CSRF, token.clone());
            token
        }
    }
}

/// The language for a request: the user's setting, else the one chosen on the sign-in
/// page, else `Accept-Language`.
fn language(req: &HttpRequest, session: &Session, setting: Option<&str>) -> Lang {
    setting
        .and_then(Lang::parse)
        .or_else(|| session.get::<String>(LANG).ok().flatten().as_deref().and_then(Lang::parse))
        .unwrap_or_else(|| {
            Lang::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        })
}

/// The language of a page anyone may read, without starting a session: `?lang=` when
/// given, else the one chosen before, else `Accept-Language`.
pub fn reader_language(req: &HttpRequest, asked: Option<&str>) -> Lang {
    asked.and_then(Lang::parse).unwrap_or_else(|| language(req, &req.get_session(), None))
}

/// Anyone, signed in or not: what the sign-in page needs.
pub struct Visitor {
    pub lang: Lang,
    pub csrf: String,
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = std::future::Ready<Result<Visitor, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let session = req.get_session();
        std::future::ready(Ok(Visitor { lang: language(req, &session, None), csrf: csrf_token(&session) }))
    }
}

/// A signed-in person looking at a page.
pub struct Viewer {
    pub caller: Caller,
    /// The id of the session (its row) the viewer is signed in with.
    pub session_id: i32,
    pub lang: Lang,
    pub zone: chrono_tz::Tz,
    pub csrf: String,
    /// What the viewer's last form did and what happens next, in their language: shown
    /// once, on the first page they see after it (a reload does not show it again).
    pub done: Option<String>,
    authz: std::sync::Arc<crate::authz::Authz>,
    session: Session,
}

impl Viewer {
    /// Says `message` on the next page this viewer sees: the confirmation after a form,
    /// carried in the (encrypted) session cookie across the redirect, so it holds on
    /// every instance.
    pub fn confirm(&self, message: String) {
        let _ = self.session.insert(DONE, message);
    }

    /// Whether `given` is the viewer's CSRF token (for forms not read as `Form`: uploads).
    pub fn csrf_matches(&self, given: &[u8]) -> bool {
        !self.csrf.is_empty() && constant_time_eq(given, self.csrf.as_bytes())
    }

    /// Whether the policy grants the viewer `permission` in general (not on a particular
    /// change): what the navigation and the page sections offer.
    pub fn may(&self, permission: Permission) -> bool {
        self.authz.allows(&self.caller, permission, &Object::none())
    }
}

impl FromRequest for Viewer {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            // After signing in, back to the page; a form's target (POST) is not a page, so
            // the page it was on (its parent path) is the place to return to.
            let next = if req.method() == actix_web::http::Method::GET {
                req.uri().path_and_query().map_or("/".to_owned(), |p| p.to_string())
            } else {
                req.path()
                    .rsplit_once('/')
                    .map_or("/", |(parent, _)| if parent.is_empty() { "/" } else { parent })
                    .to_owned()
            };
            let sign_in = || PageError::SignIn { next: next.clone() };
            let ctx = req.app_data::<web::Data<Ctx>>().cloned().ok_or_else(sign_in)?;
            let default_zone = ctx.config.time_zone();
            let lang = language(&req, &session, None);
            let authz = ctx.authz.clone();
            let (caller, session_id) = signed_in_caller(ctx, &session)
                .await
                .map_err(|error| PageError::Service { error, lang })?
                .ok_or_else(sign_in)?;
            // Taken on the first page shown (GET), never by a form's own request.
            let done = match req.method() == actix_web::http::Method::GET {
                true => session.remove_as::<String>(DONE).and_then(Result::ok),
                false => None,
            };
            Ok(Viewer {
                session_id,
                authz,
                done,
                session: session.clone(),
                lang: language(&req, &session, caller.language.as_deref()),
                zone: caller.timezone.as_deref().and_then(|z| z.parse().ok()).unwrap_or(default_zone),
                csrf: csrf_token(&session),
                caller,
            })
        })
    }
}

/// The fields of a submitted form whose CSRF token matched the session's. Every value is
/// `Text` (no control characters but tab and line feed; CR LF read as LF): a field that
/// holds one is refused with 422 naming it before any service runs — as an error page,
/// or, through `TypedForm`, as a field error on the form shown again.
pub struct Form {
    pairs: Vec<(String, Text)>,
    /// Fields that held a refused character (their values here are without it).
    invalid: Vec<FieldError>,
}

/// A form whose page shows it again on errors: a refused character is not an error page
/// but a field error (`Form::invalid`) beside everything else as typed.
pub struct TypedForm(pub Form);

impl Form {
    /// The fields refused for a control character (only a `TypedForm` has any).
    pub fn invalid(&self) -> Vec<FieldError> {
        self.invalid.clone()
    }

    /// Every field as typed (less refused characters), to show the form again.
    pub fn typed(&self) -> Vec<(String, String)> {
        self.pairs.iter().map(|(k, v)| (k.clone(), v.as_str().to_owned())).collect()
    }

    /// The trimmed value of `name` (empty when absent).
    pub fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    /// The trimmed value of `name` as `Text` (empty when absent).
    pub fn text(&self, name: &str) -> Text {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trimmed()).unwrap_or_default()
    }

    /// Every value of a repeated field (checkboxes, multiple selects).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }
}

/// A form being read: the form and the language to word a refusal in.
type ReadForm = Pin<Box<dyn Future<Output = Result<(Form, Lang), PageError>>>>;

/// Reads a form, checks its CSRF token, and parses every value as `Text`, noting the
/// fields that held a refused character.
fn read_form(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> ReadForm {
    let session = req.get_session();
    let lang = language(req, &session, None);
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        let refused = || PageError::Csrf { lang };
        // A body past the limit is 413 and one that is not a form 400, before the token is
        // looked for: neither is a stale page, and saying so would send the person astray.
        let body = body.await.map_err(|error| {
            let too_large = matches!(
                error.as_error::<actix_web::error::PayloadError>(),
                Some(actix_web::error::PayloadError::Overflow)
            );
            if too_large {
                PageError::Unreadable {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    key: "error-form-too-large",
                    lang,
                }
            } else {
                PageError::Unreadable { status: StatusCode::BAD_REQUEST, key: "error-form-unreadable", lang }
            }
        })?;
        let raw = form_pairs(&body).ok_or(PageError::Unreadable {
            status: StatusCode::BAD_REQUEST,
            key: "error-form-unreadable",
            lang,
        })?;
        let expected = session.get::<String>(CSRF).ok().flatten().ok_or_else(refused)?;
        let given = raw.iter().find(|(k, _)| k == CSRF).map(|(_, v)| v.as_str()).unwrap_or_default();
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(refused());
        }
        let mut form = Form { pairs: Vec::with_capacity(raw.len()), invalid: Vec::new() };
        for (name, value) in raw {
            match Text::parse(&value) {
                Ok(text) => form.pairs.push((name, text)),
                Err(found) => {
                    form.invalid.push(FieldError::new(&name, found.into()));
                    form.pairs.push((name, Text::without_refused(&value)));
                }
            }
        }
        Ok((form, lang))
    })
}

impl FromRequest for Form {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Form, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let read = read_form(req, payload);
        Box::pin(async move {
            let (form, lang) = read.await?;
            if form.invalid.is_empty() {
                Ok(form)
            } else {
                Err(PageError::Service { error: ServiceError::Invalid(form.invalid), lang })
            }
        })
    }
}

impl FromRequest for TypedForm {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<TypedForm, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let read = read_form(req, payload);
        Box::pin(async move { Ok(TypedForm(read.await?.0)) })
    }
}

/// The fields of an urlencoded body, or `None` when a name or value is not UTF-8 once
/// decoded: `serde_urlencoded` would put U+FFFD in its place and store it; a browser never
/// sends such a form, so it is refused rather than altered.
pub(crate) fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    let decode = |part: &[u8]| {
        let spaced: Vec<u8> = part.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
        percent_encoding::percent_decode(&spaced).decode_utf8().ok().map(|text| text.into_owned())
    };
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the sign-in page, and back to `next` afterwards.
    SignIn {
        next: String,
    },
    /// The form's CSRF token is missing or stale (403).
    Csrf {
        lang: Lang,
    },
    /// The body could not be read as a form: too large (413) or not a form (400); `key`
    /// names the message.
    Unreadable {
        status: StatusCode,
        key: &'static str,
        lang: Lang,
    },
    Service {
        error: ServiceError,
        lang: Lang,
    },
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { .. } => f.write_str("not signed in"),
            PageError::Csrf { .. } => f.write_str("CSRF token missing or stale"),
            PageError::Unreadable { key, .. } => f.write_str(key),
            PageError::Service { error, .. } => error.fmt(f),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Csrf { .. } => StatusCode::FORBIDDEN,
            PageError::Unreadable { status, .. } => *status,
            PageError::Service { error, .. } => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { next } => {
                let target = format!("/sign-in?next={}", urlencode(next));
                HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish()
            }
            PageError::Csrf { lang } => {
                let markup = error_page(*lang, StatusCode::FORBIDDEN, &lang.t("error-csrf"));
                HttpResponse::Forbidden().content_type("text/html; charset=utf-8").body(markup.into_string())
            }
            PageError::Unreadable { status, key, lang } => {
                let markup = error_page(*lang, *status, &lang.t(key));
                HttpResponse::build(*status)
                    .content_type("text/html; charset=utf-8")
                    .body(markup.into_string())
            }
            PageError::Service { error, lang } => {
                if let ServiceError::Internal(cause) = error {
                    tracing::error!(error = ?cause, "page failed");
                }
                let status = error.status_code();
                let detail = super::messages::describe(*lang, error);
                let markup = error_page(*lang, status, &detail);
                HttpResponse::build(status)
                    .content_type("text/html; charset=utf-8")
                    .body(markup.into_string())
            }
        }
    }
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

/// Runs a service for a page, turning its error into an error page in the viewer's language.
pub async fn page_run<T, F>(ctx: web::Data<Ctx>, lang: Lang, work: F) -> Result<T, PageError>
where
    T: Send + 'static,
    F: FnOnce(&Ctx) -> crate::services::ServiceResult<T> + Send + 'static,
{
    run(ctx, work).await.map_err(|error| PageError::Service { error, lang })
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    constant_time_eq(a, b)
}

#[cfg(test)]
mod form_tests {
    use super::form_pairs;

    #[test]
    fn form_fields_decode_as_a_browser_encodes_them_and_invalid_utf8_is_refused() {
        let pairs = form_pairs(b"title=Oppgrad%C3%A9r+arkiv&empty=&flag&note=a%26b%3Dc").unwrap();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("title", "Oppgradér arkiv"), ("empty", ""), ("flag", ""), ("note", "a&b=c")]);
        assert_eq!(form_pairs(b"title=%FF%FE"), None);
        assert_eq!(form_pairs(b"%C3=x"), None);
        assert_eq!(form_pairs(b"title=\xff"), None);
    }
}
