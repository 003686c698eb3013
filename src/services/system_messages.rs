//! System messages (driftsmeldinger) for employees.
//!
//! A change that affects users gets a draft message when it is scheduled, prefilled from
//! the change; from then on `follow` keeps its status and times with the change, inside
//! the change's own transaction (the change's event records it). A change manager or the
//! service desk edits and publishes it. The desk also publishes disruptions that belong
//! to no change, posts updates and resolves them. Each of those is one transaction with
//! one audit event. Published messages are read by anyone unless
//! `messages_require_sign_in` is set.

use super::audit::{record, Event};
use super::changes::{load, Expected};
use super::{Ctx, ServiceError, ServiceResult};
use crate::authz::{Object, Permission};
use crate::config::Config;
use crate::db::system_messages::{self as repo, Message, Update};
use crate::db::{changes, cis, DbConn};
use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::ChangeId;
use crate::domain::risk::RiskAnswers;
use crate::domain::system_message::{
    affects_users, section, status_for, MessageStatus, Section, BODY_MAX, SHOWN_AFTER, TITLE_MAX,
};
use crate::domain::text::Text;
use crate::domain::validation::{optional_text, required_text, FieldErrors, Message as Msg};
use crate::i18n::{arg, Lang};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most messages a page, feed or list holds.
const LIMIT: i64 = 200;

/// A message as shown on the page, in the feed and in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i32,
    /// The change it tells about (`CHG-000042`); none for a disruption.
    pub change: Option<String>,
    pub status: MessageStatus,
    /// Where it is listed now: `current`, `upcoming` or `past`.
    pub section: Section,
    pub title_nb: String,
    pub body_nb: String,
    pub title_en: Option<String>,
    pub body_en: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was published; none while it is a draft.
    pub published_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Send it back as `If-Match` to edit.
    pub version: i32,
    /// Each status it took and each update posted, oldest first.
    pub updates: Vec<UpdateView>,
}

impl MessageView {
    /// The title in `lang`, or the Bokmål one when there is no English.
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.title_en.as_deref().unwrap_or(&self.title_nb),
            Lang::Nb => &self.title_nb,
        }
    }

    /// The text in `lang`, or the Bokmål one when there is no English.
    pub fn body(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.body_en.as_deref().unwrap_or(&self.body_nb),
            Lang::Nb => &self.body_nb,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    pub status: MessageStatus,
    pub text_nb: String,
    pub text_en: Option<String>,
    /// Who posted it; none when it followed the change.
    pub author: Option<String>,
    pub at: DateTime<Utc>,
}

impl UpdateView {
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.text_en.as_deref().unwrap_or(&self.text_nb),
            Lang::Nb => &self.text_nb,
        }
    }
}

fn view(message: Message, updates: Vec<Update>, now: DateTime<Utc>) -> MessageView {
    MessageView {
        id: message.id,
        change: message.change_id.map(|c| c.reference()),
        status: message.status,
        section: section(message.status, message.starts_at, now),
        title_nb: message.title_nb,
        body_nb: message.body_nb,
        title_en: message.title_en,
        body_en: message.body_en,
        starts_at: message.starts_at,
        ends_at: message.ends_at,
        published_at: message.published_at,
        closed_at: message.closed_at,
        updated_at: message.updated_at,
        version: message.version,
        updates: updates
            .into_iter()
            .map(|u| UpdateView {
                status: u.status,
                text_nb: u.text_nb,
                text_en: u.text_en,
                author: u.author,
                at: u.at,
            })
            .collect(),
    }
}

/// The views of `messages` with their updates (one more query).
fn views(conn: &mut DbConn, messages: Vec<Message>, now: DateTime<Utc>) -> ServiceResult<Vec<MessageView>> {
    let ids: Vec<i32> = messages.iter().map(|m| m.id).collect();
    let mut updates = repo::updates_of(conn, &ids)?;
    Ok(messages
        .into_iter()
        .map(|m| {
            let of = updates.remove(&m.id).unwrap_or_default();
            view(m, of, now)
        })
        .collect())
}

/// The message of one change as its page and JSON show it.
pub fn of_change(
    conn: &mut DbConn,
    change: ChangeId,
    now: DateTime<Utc>,
) -> ServiceResult<Option<MessageView>> {
    match repo::of_change(conn, change)? {
        Some(message) => Ok(views(conn, vec![message], now)?.pop()),
        None => Ok(None),
    }
}

/// Whether `caller` (or anyone, `None`) may read the published messages: an anonymous
/// reader is refused when the messages are for signed-in users only.
pub fn may_read(ctx: &Ctx, caller: Option<&Caller>) -> ServiceResult<()> {
    match (ctx.config.messages_require_sign_in, caller) {
        (true, None) => {
            Err(ServiceError::Unauthenticated("the system messages are shown to signed-in users only"))
        }
        (_, Some(caller)) => ctx.require(caller, Permission::Read, &Object::none()),
        (false, None) => Ok(()),
    }
}

/// What employees see: published messages, what is happening now first, then what is
/// coming (soonest first), then what ended in the last 30 days (latest first).
pub fn published(ctx: &Ctx, caller: Option<&Caller>) -> ServiceResult<Vec<MessageView>> {
    may_read(ctx, caller)?;
    let now = ctx.clock.now();
    let mut shown = ctx.db.read(|conn| {
        let messages = repo::shown(conn, now - SHOWN_AFTER, LIMIT)?;
        views(conn, messages, now)
    })?;
    shown.sort_by(|a, b| {
        let rank = |m: &MessageView| match m.section {
            Section::Current => 0,
            Section::Upcoming => 1,
            Section::Past => 2,
        };
        rank(a).cmp(&rank(b)).then_with(|| match a.section {
            Section::Past => b.closed_at.cmp(&a.closed_at),
            _ => a.starts_at.cmp(&b.starts_at),
        })
    });
    Ok(shown)
}

/// A tag that changes whenever what `published` shows would (`lang` and `kind` name the
/// rendering), read in two aggregate queries without loading the messages: polls that
/// find it unchanged cost no more.
pub fn published_tag(
    ctx: &Ctx,
    caller: Option<&Caller>,
    (kind, lang): (&str, Lang),
) -> ServiceResult<String> {
    use sha2::{Digest, Sha256};
    may_read(ctx, caller)?;
    let now = ctx.clock.now();
    let (last, count, versions, begun) =
        ctx.db.query(|conn| repo::shown_stamp(conn, now - SHOWN_AFTER, now))?;
    // The release too: a new one may write the same messages differently.
    let release = env!("CARGO_PKG_VERSION");
    let stamp = format!(
        "{kind}|{release}|{}|{last:?}|{count}|{versions:?}|{begun}|{}",
        lang.code(),
        ctx.config.time_zone()
    );
    Ok(format!("\"{}\"", hex::encode(&Sha256::digest(stamp.as_bytes())[..16])))
}

/// The public page and feed as last rendered, answered from memory while they are
/// fresh: every intranet page polls them, and they change a few times a day. A rendering
/// is fresh for `Rendered::FRESH` after it was made or found unchanged (by its tag), and
/// only while no write to the messages through this instance's pool has committed since
/// (`Db::message_writes`, counted after the commit): a write here shows at once; one on
/// another instance, or a message beginning or passing out of the page with time, within
/// `FRESH` (the public page itself says `max-age=60`).
#[derive(Debug, Default)]
pub struct Rendered {
    pages: std::sync::Mutex<std::collections::HashMap<(&'static str, Lang), Rendering>>,
}

#[derive(Debug, Clone)]
struct Rendering {
    tag: String,
    body: std::sync::Arc<str>,
    /// `Db::message_writes` before the messages were read.
    writes: u64,
    made: std::time::Instant,
    /// The service clock then (tests move it; a rendering never outlives a jump).
    clock: DateTime<Utc>,
}

impl Rendered {
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(2);

    /// The fresh rendering of `kind` in `lang`: its tag and body.
    pub fn fresh(&self, ctx: &Ctx, key: (&'static str, Lang)) -> Option<(String, std::sync::Arc<str>)> {
        let pages = self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let page = pages.get(&key)?;
        let now = ctx.clock.now();
        let young = page.made.elapsed() < Self::FRESH
            && (now - page.clock).abs() < chrono::Duration::from_std(Self::FRESH).unwrap_or_default();
        (young && page.writes == ctx.db.message_writes()).then(|| (page.tag.clone(), page.body.clone()))
    }

    /// The rendering of `kind` in `lang` for a reader who may see it: the stored one when
    /// the current tag is still its tag, else `render`ed from the published messages and
    /// stored. Reads the database (call it on the blocking pool).
    pub fn refresh(
        &self,
        ctx: &Ctx,
        caller: Option<&Caller>,
        key: (&'static str, Lang),
        render: impl FnOnce(&[MessageView]) -> String,
    ) -> ServiceResult<(String, std::sync::Arc<str>)> {
        let writes = ctx.db.message_writes();
        let tag = published_tag(ctx, caller, key)?;
        let stored = {
            let pages = self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            pages
                .get(&key)
                .filter(|page| page.tag == tag && page.writes == writes)
                .map(|page| page.body.clone())
        };
        let body = match stored {
            Some(body) => body,
            None => std::sync::Arc::from(render(&published(ctx, caller)?)),
        };
        let page = Rendering {
            tag: tag.clone(),
            body: body.clone(),
            writes,
            made: std::time::Instant::now(),
            clock: ctx.clock.now(),
        };
        self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key, page);
        Ok((tag, body))
    }
}

/// Whether `caller` may write, publish and update system messages (the forms pages offer).
pub fn may_manage(ctx: &Ctx, caller: &Caller) -> bool {
    ctx.authz.allows(caller, Permission::ManageMessages, &Object::none())
}

/// Messages not yet over, drafts too: the desk's list of what employees are (or are
/// about to be) told. Drafts only for those who may publish them.
pub fn open(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<MessageView>> {
    ctx.require(caller, Permission::Read, &Object::none())?;
    let drafts = may_manage(ctx, caller);
    let now = ctx.clock.now();
    ctx.db.read(|conn| {
        let messages =
            repo::open(conn, LIMIT)?.into_iter().filter(|m| drafts || m.published_at.is_some()).collect();
        views(conn, messages, now)
    })
}

/// One message: a published one for whoever may read the messages; a draft for the
/// signed-in who may read its change (as its change's page and JSON show it), never for
/// the public.
pub fn get(ctx: &Ctx, caller: Option<&Caller>, id: i32) -> ServiceResult<MessageView> {
    may_read(ctx, caller)?;
    let now = ctx.clock.now();
    let not_found = || ServiceError::NotFound(format!("there is no system message {id}"));
    ctx.db.read(|conn| {
        let message = repo::find(conn, id)?.ok_or_else(not_found)?;
        if message.published_at.is_none() {
            let change = match message.change_id {
                Some(change) => Some(load(conn, change)?),
                None => None,
            };
            let object = change.as_ref().map_or_else(Object::none, Object::change);
            if !caller.is_some_and(|c| ctx.authz.allows(c, Permission::Read, &object)) {
                return Err(not_found());
            }
        }
        Ok(views(conn, vec![message], now)?.remove(0))
    })
}

/// The texts of a message: Bokmål always, English when given.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageTexts {
    #[schema(schema_with = crate::domain::schema::required::<TITLE_MAX>)]
    pub title_nb: Text,
    #[schema(schema_with = crate::domain::schema::required::<BODY_MAX>)]
    pub body_nb: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<TITLE_MAX>)]
    pub title_en: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<BODY_MAX>)]
    pub body_en: Text,
}

/// Checked texts: (title_nb, body_nb, title_en, body_en).
type Texts = (String, String, Option<String>, Option<String>);

fn check_texts(input: &MessageTexts, errors: &mut FieldErrors) -> Option<Texts> {
    let title_nb = errors.check("title_nb", required_text(&input.title_nb, TITLE_MAX));
    let body_nb = errors.check("body_nb", required_text(&input.body_nb, BODY_MAX));
    let title_en = errors.check("title_en", optional_text(&input.title_en, TITLE_MAX));
    let body_en = errors.check("body_en", optional_text(&input.body_en, BODY_MAX));
    let some = |t: String| (!t.is_empty()).then_some(t);
    if let (Some(Some(_)), Some(None)) = (body_en.clone().map(some), title_en.clone().map(some)) {
        errors.add("title_en", Msg::new("msg-message-english-title"));
    }
    Some((title_nb?, body_nb?, title_en.and_then(some), body_en.and_then(some)))
}

/// Body of `POST /api/v1/messages`: a disruption, published at once.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisruption {
    #[serde(flatten)]
    pub texts: MessageTexts,
    /// When it began (not after now: planned work is a change); now when not given.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it is expected to be over, if anyone knows.
    pub ends_at: Option<DateTime<Utc>>,
}

/// Publishes a disruption that belongs to no change.
pub fn report(ctx: &Ctx, caller: &Caller, input: NewDisruption) -> ServiceResult<MessageView> {
    ctx.require(caller, Permission::ManageMessages, &Object::none())?;
    let now = ctx.clock.now();
    let mut errors = FieldErrors::default();
    let texts = check_texts(&input.texts, &mut errors);
    // Times as every other time field takes them: within 2000–2199, no leap second, to
    // the microsecond (what both databases store alike).
    let mut checked = |field, at: Option<DateTime<Utc>>| {
        at.and_then(|at| errors.check(field, crate::domain::change::plausible(at)))
    };
    let (given_start, given_end) = (checked("starts_at", input.starts_at), checked("ends_at", input.ends_at));
    let input = NewDisruption { starts_at: given_start, ends_at: given_end, ..input };
    let starts_at = input.starts_at.unwrap_or(now);
    if starts_at > now {
        errors.add("starts_at", Msg::new("msg-disruption-not-begun"));
    }
    if input.ends_at.is_some_and(|end| end <= starts_at) {
        errors.add("ends_at", Msg::new("msg-end-after-start"));
    }
    errors.finish(|| ())?;
    let (title_nb, body_nb, title_en, body_en) = texts.expect("checked above");
    let id = ctx.db.write(|conn| -> ServiceResult<i32> {
        let message = Message {
            id: 0,
            change_id: None,
            status: MessageStatus::Ongoing,
            title_nb,
            body_nb,
            title_en,
            body_en,
            starts_at: Some(starts_at),
            ends_at: input.ends_at,
            published_at: Some(now),
            closed_at: None,
            created_by: Some(caller.id),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let id = repo::insert(conn, &message)?;
        record(
            conn,
            Event::general(
                Some(caller.id),
                "report_disruption",
                json!({ "message": id, "title": message.title_nb }),
            ),
            now,
        )?;
        Ok(id)
    })?;
    get(ctx, Some(caller), id)
}

/// Loads message `id` to change it: 404, 403 unless `caller` manages messages, 409 when
/// it is over (its history stays as it was).
fn load_open(
    ctx: &Ctx,
    conn: &mut DbConn,
    caller: &Caller,
    id: i32,
) -> ServiceResult<(Message, Option<Change>)> {
    ctx.require(caller, Permission::ManageMessages, &Object::none())?;
    let message = repo::find(conn, id)?
        .ok_or_else(|| ServiceError::NotFound(format!("there is no system message {id}")))?;
    if message.status.is_final() {
        return Err(ServiceError::Conflict(Msg::new("msg-message-over")));
    }
    let change = match message.change_id {
        Some(change) => Some(load(conn, change)?),
        None => None,
    };
    Ok((message, change))
}

/// Saves a changed message with one audit event (on its change's trail when it has one).
fn save(
    conn: &mut DbConn,
    caller: &Caller,
    (mut message, change): (Message, Option<Change>),
    action: &'static str,
    now: DateTime<Utc>,
) -> ServiceResult<i32> {
    message.version += 1;
    message.updated_at = now;
    if !repo::save(conn, &message)? {
        return Err(ServiceError::Conflict(Msg::new("msg-modified-concurrently")));
    }
    let payload = json!({ "message": message.id, "status": message.status, "title": message.title_nb });
    let event = Event {
        change: change.as_ref(),
        actor: Some(caller.id),
        action,
        from: change.as_ref().map(|c| c.state),
        to: change.as_ref().map(|c| c.state),
        payload,
    };
    record(conn, event, now)?;
    Ok(message.id)
}

/// Body of `PATCH /api/v1/messages/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEdit {
    #[serde(flatten)]
    pub texts: MessageTexts,
    /// When a disruption is expected to be over: left out keeps it, `null` clears it (a
    /// change's message keeps its change's window).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

/// A field that was sent, `null` or not (`None` stays for a field left out).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<DateTime<Utc>>>, D::Error> {
    Option::<DateTime<Utc>>::deserialize(d).map(Some)
}

/// Rewrites the texts of message `id`, whose version the caller saw is `version` (as the
/// `If-Match` of a change's edit: required, `*` for any).
pub fn edit(
    ctx: &Ctx,
    caller: &Caller,
    id: i32,
    version: Expected,
    input: MessageEdit,
) -> ServiceResult<MessageView> {
    ctx.require(caller, Permission::ManageMessages, &Object::none())?;
    // Without If-Match nothing else is looked at (a resolved message answers 428 too).
    if matches!(version, Expected::Missing) {
        return Err(ServiceError::VersionRequired);
    }
    let now = ctx.clock.now();
    let mut errors = FieldErrors::default();
    let texts = check_texts(&input.texts, &mut errors);
    let ends_at = match input.ends_at {
        Some(Some(at)) => Some(errors.check("ends_at", crate::domain::change::plausible(at))),
        other => other,
    };
    let input = MessageEdit { ends_at, ..input };
    errors.finish(|| ())?;
    let (title_nb, body_nb, title_en, body_en) = texts.expect("checked above");
    ctx.db.write(|conn| {
        let (mut message, change) = load_open(ctx, conn, caller, id)?;
        match version {
            Expected::Version(given) if given != message.version => {
                return Err(ServiceError::VersionMismatch { given, current: message.version })
            }
            Expected::Missing => return Err(ServiceError::VersionRequired),
            _ => {}
        }
        if let (None, Some(ends_at)) = (&change, input.ends_at) {
            if ends_at.is_some_and(|end| message.starts_at.is_some_and(|start| end <= start)) {
                return Err(ServiceError::invalid("ends_at", Msg::new("msg-end-after-start")));
            }
            message.ends_at = ends_at;
        }
        (message.title_nb, message.body_nb, message.title_en, message.body_en) =
            (title_nb, body_nb, title_en, body_en);
        save(conn, caller, (message, change), "edit_message", now)
    })?;
    get(ctx, Some(caller), id)
}

/// Publishes draft `id` (a change's message); publishing it again changes nothing.
pub fn publish(ctx: &Ctx, caller: &Caller, id: i32) -> ServiceResult<MessageView> {
    let now = ctx.clock.now();
    ctx.db.write(|conn| {
        let (mut message, change) = load_open(ctx, conn, caller, id)?;
        if message.published_at.is_some() {
            return Ok(id);
        }
        message.published_at = Some(now);
        save(conn, caller, (message, change), "publish_message", now)
    })?;
    get(ctx, Some(caller), id)
}

/// Body of `POST /api/v1/messages/{id}/updates`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUpdate {
    #[schema(schema_with = crate::domain::schema::required::<BODY_MAX>)]
    pub text_nb: Text,
    #[serde(default)]
    #[schema(schema_with = crate::domain::schema::optional::<BODY_MAX>)]
    pub text_en: Text,
    /// Closes a disruption as resolved (a change's message follows its change instead).
    #[serde(default)]
    pub resolve: bool,
}

/// Posts an update to message `id`, resolving a disruption when asked.
pub fn post_update(ctx: &Ctx, caller: &Caller, id: i32, input: NewUpdate) -> ServiceResult<MessageView> {
    ctx.require(caller, Permission::ManageMessages, &Object::none())?;
    let now = ctx.clock.now();
    let mut errors = FieldErrors::default();
    let text_nb = errors.check("text_nb", required_text(&input.text_nb, BODY_MAX));
    let text_en = errors.check("text_en", optional_text(&input.text_en, BODY_MAX));
    errors.finish(|| ())?;
    let (text_nb, text_en) = (text_nb.expect("checked"), text_en.expect("checked"));
    ctx.db.write(|conn| {
        let (mut message, change) = load_open(ctx, conn, caller, id)?;
        if input.resolve {
            if change.is_some() {
                return Err(ServiceError::invalid("resolve", Msg::new("msg-message-follows-change")));
            }
            message.status = MessageStatus::Resolved;
            message.closed_at = Some(now);
            message.ends_at = Some(message.starts_at.map_or(now, |start| now.max(start)));
        }
        let en = (!text_en.is_empty()).then_some(text_en.as_str());
        repo::add_update(conn, id, (message.status, &text_nb, en), Some(caller.id), now)?;
        let action = if input.resolve { "resolve_message" } else { "update_message" };
        save(conn, caller, (message, change), action, now)
    })?;
    get(ctx, Some(caller), id)
}

/// Keeps the message of `change` with the change, which has just gone from `from` to its
/// state (called inside the change's transaction): a change that affects users gets a
/// prefilled draft when it is scheduled; the message then takes the status of each
/// step and the window of each reschedule, each recorded as an update in both languages.
pub(crate) fn follow(
    conn: &mut DbConn,
    config: &Config,
    change: &Change,
    from: ChangeState,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(status) = status_for(change.state, change.closure_code) else {
        return Ok(());
    };
    let zone = config.time_zone();
    let when = |lang: Lang| span(lang, zone, change.planned_start, change.planned_end);
    let existing = repo::of_change(conn, change.id)?;
    let Some(mut message) = existing else {
        if change.state != ChangeState::Scheduled || from == ChangeState::Scheduled {
            return Ok(());
        }
        let stored = changes::risk_answers(conn, change.id)?;
        let answers =
            RiskAnswers::parse(stored.iter().map(|(q, a)| (q.as_str(), a.as_str()))).unwrap_or_default();
        if !affects_users(&answers) {
            return Ok(());
        }
        let services = services_of(conn, change.id)?;
        let prefill = |lang: Lang| {
            let downtime = answers
                .get("downtime")
                .map_or_else(|| lang.t("sysmsg-not-stated"), |a| lang.t(&format!("answer-downtime-{a}")));
            let title = lang.t_with("sysmsg-prefill-title", &[("services", arg(&services))]);
            let key = match answers.get("downtime") {
                Some("none") => "sysmsg-prefill-body-no-downtime",
                _ => "sysmsg-prefill-body",
            };
            let body = lang.t_with(
                key,
                &[("services", arg(&services)), ("when", arg(when(lang))), ("downtime", arg(downtime))],
            );
            (title, body)
        };
        let ((title_nb, body_nb), (title_en, body_en)) = (prefill(Lang::Nb), prefill(Lang::En));
        let message = Message {
            id: 0,
            change_id: Some(change.id),
            status,
            title_nb,
            body_nb,
            title_en: Some(title_en),
            body_en: Some(body_en),
            starts_at: change.planned_start,
            ends_at: change.planned_end,
            published_at: None,
            closed_at: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let id = repo::insert(conn, &message)?;
        let text = |lang: Lang| lang.t_with("sysmsg-status-planned", &[("when", arg(when(lang)))]);
        repo::add_update(conn, id, (status, &text(Lang::Nb), Some(&text(Lang::En))), None, now)?;
        return Ok(());
    };
    if message.status.is_final() {
        return Ok(());
    }
    let rescheduled = status == MessageStatus::Planned
        && (message.starts_at != change.planned_start || message.ends_at != change.planned_end);
    if status == message.status && !rescheduled {
        return Ok(());
    }
    let key =
        if rescheduled { "sysmsg-status-rescheduled".to_owned() } else { format!("sysmsg-status-{status}") };
    let text = |lang: Lang| lang.t_with(&key, &[("when", arg(when(lang)))]);
    repo::add_update(conn, message.id, (status, &text(Lang::Nb), Some(&text(Lang::En))), None, now)?;
    if rescheduled {
        // The text still naming the old time (as prefilled) names the new one.
        let was = |lang: Lang| span(lang, zone, message.starts_at, message.ends_at);
        message.body_nb = message.body_nb.replace(&was(Lang::Nb), &when(Lang::Nb));
        message.body_en = message.body_en.map(|body| body.replace(&was(Lang::En), &when(Lang::En)));
    }
    message.status = status;
    message.starts_at = change.actual_start.or(change.planned_start);
    message.ends_at = change.actual_end.or(change.planned_end);
    if status.is_final() {
        message.closed_at = Some(now);
    }
    message.version += 1;
    message.updated_at = now;
    if !repo::save(conn, &message)? {
        return Err(ServiceError::Conflict(Msg::new("msg-modified-concurrently")));
    }
    Ok(())
}

/// The names of a change's CIs, as employees know them (`Sak- og arkivsystem, E-post`).
fn services_of(conn: &mut DbConn, change: ChangeId) -> ServiceResult<String> {
    let ids: Vec<_> = changes::ci_ids_of_one(conn, change)?.into_iter().collect();
    let names: Vec<String> = cis::by_ids(conn, &ids)?.into_iter().map(|c| c.name).collect();
    Ok(names.join(", "))
}

/// A window as people write it: `10.12.2026 kl. 18:00–20:00` on one day, both ends in
/// full across days.
pub fn span(
    lang: Lang,
    zone: chrono_tz::Tz,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> String {
    match (start, end) {
        (Some(start), Some(end)) => {
            let same_day = start.with_timezone(&zone).date_naive() == end.with_timezone(&zone).date_naive();
            match same_day {
                true => {
                    format!("{}–{}", lang.datetime(zone, start), end.with_timezone(&zone).format("%H:%M"))
                }
                false => format!("{} – {}", lang.datetime(zone, start), lang.datetime(zone, end)),
            }
        }
        (Some(start), None) => lang.datetime(zone, start),
        _ => lang.t("sysmsg-not-stated"),
    }
}
