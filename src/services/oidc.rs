//! A person the identity provider vouched for becomes a signed-in user: found by the
//! provider's subject (or, the first time, by email, linking an account made before),
//! made on first sign-in (just in time) with the `requester` role, refused when their
//! email's domain is not allowed or the account is deactivated. Roles named in
//! `[oidc_roles]` follow the groups at every sign-in (a role whose group was removed is
//! gone); roles the mapping does not name stay as admins set them. One transaction: the
//! account, its roles, the audit event (with the groups seen) and the session.

use super::audit::{record, Event};
use super::sessions::Client;
use super::{Ctx, ServiceError, ServiceResult};
use crate::db::users;
use crate::domain::account::SignInMethod as Method;
use crate::domain::caller::Caller;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::validation::Message;
use std::collections::{BTreeMap, BTreeSet};

/// Who the provider's verified ID token names.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `<issuer>|<sub>`: stable at the provider, unlike the email.
    pub subject: String,
    pub email: String,
    /// None when the token names no one (the account keeps its name).
    pub name: Option<String>,
    /// None when the token carries no groups claim (the roles stay as they are).
    pub groups: Option<Vec<String>>,
}

/// The roles `groups` give under `mapping`, and the roles the mapping governs.
pub fn roles_from_groups(
    mapping: &BTreeMap<Role, Vec<String>>,
    groups: &[String],
) -> (BTreeSet<Role>, BTreeSet<Role>) {
    let governed: BTreeSet<Role> = mapping.keys().copied().collect();
    let given = mapping
        .iter()
        .filter(|(_, wanted)| wanted.iter().any(|g| groups.iter().any(|held| held == g)))
        .map(|(role, _)| *role)
        .collect();
    (given, governed)
}

/// Whether `email`'s domain is in `allowed` (empty: every domain is).
pub fn domain_allowed(allowed: &[String], email: &str) -> bool {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    allowed.is_empty()
        || allowed.iter().any(|a| a.trim().trim_start_matches('@').eq_ignore_ascii_case(domain))
}

/// The account a subject signs in to: the one linked to it, else (the first time) the one
/// with its email — unless that one is linked to another subject of the provider or is a
/// break-glass account, which no directory identity may take over. None: make one.
fn account_for(
    ctx: &Ctx,
    conn: &mut crate::db::DbConn,
    identity: &Identity,
) -> ServiceResult<Option<(UserId, bool)>> {
    if let Some(linked) = users::by_subject(conn, &identity.subject)? {
        return Ok(Some(linked));
    }
    let Some(account) = users::account_by_email(conn, &identity.email)? else { return Ok(None) };
    let break_glass =
        ctx.config.break_glass_accounts.iter().any(|a| a.trim().eq_ignore_ascii_case(&account.email));
    if account.oidc || break_glass {
        return Err(ServiceError::Conflict(Message::new("msg-oidc-taken").arg("email", &account.email)));
    }
    Ok(Some((account.id, account.active)))
}

/// Signs `identity` in: the account made or found, its roles set from its groups, the
/// sign-in audited, a session started (and the browser's `previous` one ended). The
/// session's token and the user.
pub fn sign_in(
    ctx: &Ctx,
    identity: &Identity,
    client: &Client,
    id_token: &str,
    previous: Option<&str>,
) -> ServiceResult<(String, Caller)> {
    if !domain_allowed(&ctx.config.oidc_allowed_domains, &identity.email) {
        return Err(ServiceError::Conflict(Message::new("msg-oidc-domain").arg("email", &identity.email)));
    }
    let now = ctx.clock.now();
    let token = super::auth::random_token();
    let hash = super::auth::token_hash(&token);
    let previous = previous.map(super::auth::token_hash);
    ctx.db.write(|conn| {
        let (id, created) = match account_for(ctx, conn, identity)? {
            Some((_, false)) => return Err(ServiceError::Conflict(Message::new("msg-oidc-deactivated"))),
            Some((id, true)) => (id, false),
            // Made just in time: no password (one signs in with the provider).
            None => {
                let name = identity.name.as_deref().unwrap_or(&identity.email);
                (users::insert(conn, &identity.email, name, "", &BTreeSet::new(), now)?, true)
            }
        };
        users::link_subject(conn, id, &identity.subject, identity.name.as_deref())?;
        // The directory's address wins when no one else here has it.
        let email_kept = users::set_email_if_free(conn, id, &identity.email)?;
        let (added, removed) = match &identity.groups {
            Some(groups) => apply_groups(ctx, conn, id, groups)?,
            None => (Vec::new(), Vec::new()),
        };
        let payload = serde_json::json!({
            "user_id": id, "email": identity.email, "created": created, "groups": identity.groups,
            "roles_added": added, "roles_removed": removed, "email_updated": email_kept,
        });
        record(conn, Event::general(Some(id), "oidc_sign_in", payload), now)?;
        if let Some(previous) = &previous {
            crate::db::sessions::delete(conn, previous)?;
        }
        super::sessions::start_in(conn, id, client, Method::Oidc, Some(id_token), &hash, now)?;
        let caller =
            users::caller(conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("user {}", id.0)))?;
        Ok((token.clone(), caller))
    })
}

/// Sets the roles `[oidc_roles]` governs from `groups`; the roles added and removed.
fn apply_groups(
    ctx: &Ctx,
    conn: &mut crate::db::DbConn,
    id: UserId,
    groups: &[String],
) -> ServiceResult<(Vec<&'static str>, Vec<&'static str>)> {
    let (given, governed) = roles_from_groups(&ctx.config.oidc_roles, groups);
    let held = users::caller(conn, id)?.map(|c| c.roles).unwrap_or_default();
    let kept = held.iter().filter(|r| !governed.contains(r)).copied();
    let roles: BTreeSet<Role> = kept.chain(given.iter().copied()).filter(|r| *r != Role::Requester).collect();
    let added: Vec<&str> = roles.iter().filter(|r| !held.contains(r)).map(|r| r.as_str()).collect();
    let removed: Vec<&str> =
        held.iter().filter(|r| **r != Role::Requester && !roles.contains(r)).map(|r| r.as_str()).collect();
    if !added.is_empty() || !removed.is_empty() {
        users::set_roles(conn, id, &roles)?;
    }
    Ok((added, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_mapped_groups_and_the_mapping_governs_only_the_roles_it_names() {
        let mapping: BTreeMap<Role, Vec<String>> = [
            (Role::CabMember, vec!["grp-cab".to_owned()]),
            (Role::ChangeManager, vec!["grp-cm".to_owned(), "grp-it-leads".to_owned()]),
        ]
        .into_iter()
        .collect();
        let (given, governed) = roles_from_groups(&mapping, &["grp-it-leads".into(), "other".into()]);
        assert_eq!(given, [Role::ChangeManager].into_iter().collect());
        assert_eq!(governed, [Role::CabMember, Role::ChangeManager].into_iter().collect());
        let (none, _) = roles_from_groups(&mapping, &[]);
        assert!(none.is_empty());
    }

    #[test]
    fn the_domain_allow_list_is_exact_and_case_blind() {
        let allowed = vec!["kommune.no".to_owned(), "@skole.kommune.no".to_owned()];
        assert!(domain_allowed(&allowed, "kari@kommune.no"));
        assert!(domain_allowed(&allowed, "ola@SKOLE.kommune.no"));
        assert!(!domain_allowed(&allowed, "eve@evilkommune.no"));
        assert!(!domain_allowed(&allowed, "eve@kommune.no.evil.example"));
        assert!(domain_allowed(&[], "anyone@anywhere.example"));
    }
}
