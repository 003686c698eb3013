//! Use cases. Each public function is one thing a person does; it checks access through
//! `authz` first, owns its transaction, writes the audit event and the outbox notices in
//! that same transaction, and returns plain values for the web layer to render.
//!
//! Services are blocking (diesel); async drivers (web, mail, the command line) call them
//! through `run`, on the blocking pool.

pub mod accounts;
pub mod admin;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod cab_settings;
pub mod calendar;
pub mod candidates;
pub mod change_view;
pub mod changes;
pub mod delegations;
pub mod demo;
pub mod desk;
pub mod email_votes;
pub mod error;
pub mod feeds;
pub mod health;
pub mod import;
pub mod incidents;
pub mod lifecycle;
pub mod maintenance;
pub mod meetings;
pub mod notices;
pub mod oidc;
pub mod outbox;
pub mod queue;
pub mod reference;
pub mod reminders;
pub mod reports;
pub mod retention;
pub mod risk;
pub mod sessions;
pub mod slots;
pub mod system_messages;
pub mod users;
pub mod voting;
pub mod webhooks;
pub mod work;
pub mod workdays;

use crate::authz::{Authz, Object, Permission};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::domain::caller::Caller;
pub use error::{ServiceError, ServiceResult};
use std::sync::Arc;

/// What every service needs, built once at start and cloned into each request.
#[derive(Clone)]
pub struct Ctx {
    pub db: Db,
    pub authz: Arc<Authz>,
    pub clock: Clock,
    pub config: Arc<Config>,
    /// Per-instance limits on sign-in attempts.
    pub sign_in: Arc<auth::SignInLimiter>,
    /// What this instance's mail worker reports (for `/healthz`).
    pub worker: Arc<health::WorkerStatus>,
    /// This installation's id, read once from the database.
    pub installation: Arc<std::sync::OnceLock<String>>,
    /// The public system messages page and feed as last rendered.
    pub published: Arc<system_messages::Rendered>,
}

/// Runs blocking service work (diesel) on the runtime's blocking pool, off the async
/// workers. The one way every driver — web handlers, the mail worker, the command line —
/// calls a service from async code.
pub async fn run<T, F>(ctx: &Ctx, work: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Ctx) -> ServiceResult<T> + Send + 'static,
{
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || work(&ctx))
        .await
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

impl Ctx {
    /// The domain of the Message-IDs and calendar UIDs this installation makes: its id
    /// under the public host (`3f9c….endring.kommune.no`), so two installations on one
    /// host never share one.
    pub fn uid_domain(&self) -> String {
        let host = self
            .config
            .base_url
            .split("://")
            .nth(1)
            .unwrap_or("endring")
            .split(['/', ':'])
            .next()
            .unwrap_or("endring")
            .to_owned();
        // Read once; a failed read is not kept, so the next use tries again.
        let instance = match self.installation.get() {
            Some(instance) => instance.clone(),
            None => match self.db.query(crate::db::installation::instance_id) {
                Ok(instance) => self.installation.get_or_init(|| instance).clone(),
                Err(error) => {
                    tracing::warn!(%error, "no installation id yet; UIDs use the host alone");
                    String::new()
                }
            },
        };
        match instance.is_empty() {
            true => host,
            false => format!("{instance}.{host}"),
        }
    }

    /// Refuses with 403 unless the policy grants `permission` on `object`.
    pub fn require(&self, caller: &Caller, permission: Permission, object: &Object) -> ServiceResult<()> {
        if self.authz.allows(caller, permission, object) {
            Ok(())
        } else if let Some(scopes) =
            caller.scopes.as_ref().filter(|_| !self.authz.scope_allows(caller, permission))
        {
            // Said apart, so a pipeline's log tells a token's limit from a role's.
            let scopes = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            Err(ServiceError::ForbiddenScope { permission, scopes })
        } else {
            Err(ServiceError::Forbidden(permission))
        }
    }
}

/// The active people the policy grants `permission` on `object`: those holding a role
/// some policy line grants it to, each then checked against the object itself.
pub(crate) fn who_may(
    conn: &mut crate::db::DbConn,
    authz: &Authz,
    permission: Permission,
    object: &Object,
) -> diesel::QueryResult<Vec<Caller>> {
    let roles = authz.roles_granting(permission);
    Ok(crate::db::users::holding_any(conn, &roles)?
        .into_iter()
        .filter(|person| authz.allows(person, permission, object))
        .collect())
}

/// What a permission allows, in words (for the API's 403 detail).
pub(crate) fn describe(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "read this",
        Permission::Create => "create changes",
        Permission::ReadReference => "read reference data",
        Permission::Edit => "edit this change (only its requester may, while it is a draft)",
        Permission::Risk => "answer the risk questionnaire of this change",
        Permission::Submit => "submit this change (only its requester may)",
        Permission::Assess => "assess this change (change managers do, but not changes they filed or implement)",
        Permission::Vote => "vote on this change (CAB members and change managers may, but not on changes they requested or implement)",
        Permission::Return => "return changes (change managers do)",
        Permission::Reschedule => "reschedule changes (change managers do)",
        Permission::ForceSchedule => "force a conflicting window (change managers may, with a reason)",
        Permission::Start => "start this change (its implementer or a change manager may)",
        Permission::Complete => "complete this change (its implementer or a change manager may)",
        Permission::Review => "review changes (change managers do)",
        Permission::Cancel => "cancel this change (its requester or a change manager may)",
        Permission::ManageCis => "manage configuration items (admins do)",
        Permission::ManageTemplates => "manage standard change templates",
        Permission::ManageBlackouts => "manage blackout windows",
        Permission::ManageUsers => "manage users (admins do)",
        Permission::ReadReports => "read the reports (managers, change managers and admins may)",
        Permission::ManageNotices => "see and retry failed email notices (admins do)",
        Permission::BeImplementer => "be named implementer (implementers and change managers may)",
        Permission::VoteAsManager => "vote as a change manager",
        Permission::UseVoteLink => "use this vote link (only the voter it was sent to may)",
        Permission::FollowUpcoming => "follow the coming week's changes",
        Permission::ManageCalendar => "manage the closed days of the working-day calendar (admins do)",
        Permission::ManageMeetings => "add or cancel CAB meetings (change managers do)",
        Permission::FollowAll => "follow every change in a calendar feed (managers, change managers and admins may)",
        Permission::ManageFeed => "revoke this feed (only its owner may)",
        Permission::Gate => "ask the deployment gate about this change",
        Permission::ListOwnAccess => "see these sessions or tokens (only their owner may)",
        Permission::ManageOwnAccess => "make or end a session or token (only its owner may, with a session or a write token)",
        Permission::ConfigureCab => "change the CAB meeting settings (admins and change managers do)",
        Permission::Delegate => "name a delegate for this vote (CAB members and change managers for themselves, admins for anyone)",
        Permission::VoteFor => "vote on this change for someone else (not on changes you requested or implement)",
        Permission::ManageMaintenance => "manage the maintenance windows of CIs (admins and change managers do)",
        Permission::Note => "add a note to this change (anyone who may read it may)",
        Permission::Attach => "attach a file to this change (anyone who may read it may)",
        Permission::LinkRaisedFrom => "name what this change was raised from (its requester or a change manager may)",
        Permission::LinkCaused => "name an incident this change caused (its implementer or a change manager may)",
        Permission::UnlinkOthers => "remove a link to the service desk that someone else added (change managers may)",
        Permission::Delete => "delete this change (only its requester may, while it is a draft never submitted)",
        Permission::ManageMessages => "write system messages (the service desk and change managers do)",
        Permission::ManageWebhooks => "manage webhooks (admins do)",
    }
}
