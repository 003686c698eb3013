//! The only door to casbin: every access decision in Endring is `Authz::allows`.
//!
//! The model and policy are the files in `policy/`, compiled into the binary. Role
//! *assignments* live in the database and come with the `Caller`, so a role change takes
//! effect on the next request on every instance. Ownership and segregation of duties are
//! conditions in the policy, evaluated against the change acted on.

use crate::domain::caller::Caller;
use crate::domain::change::{Change, ChangeState};
use crate::domain::ids::UserId;
use crate::domain::lifecycle::ActionKind;
use crate::domain::role::Role;
use crate::domain::text_enum::text_enum;
use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, StringAdapter};
use serde::Serialize;

const MODEL: &str = include_str!("../policy/model.conf");
const POLICY: &str = include_str!("../policy/policy.csv");
const SCOPE_MODEL: &str = include_str!("../policy/scopes.conf");
const SCOPE_POLICY: &str = include_str!("../policy/scopes.csv");

text_enum! {
    /// Everything the policy can grant.
    pub enum Permission {
        Read = "read",
        Create = "create",
        ReadReference = "read_reference",
        Edit = "edit",
        Risk = "risk",
        Submit = "submit",
        Assess = "assess",
        Vote = "vote",
        Return = "return",
        Reschedule = "reschedule",
        ForceSchedule = "force_schedule",
        Start = "start",
        Complete = "complete",
        Review = "review",
        Cancel = "cancel",
        ManageCis = "manage_cis",
        ManageTemplates = "manage_templates",
        ManageBlackouts = "manage_blackouts",
        ManageUsers = "manage_users",
        ReadReports = "read_reports",
        ManageNotices = "manage_notices",
        /// Be named as a change's implementer.
        BeImplementer = "be_implementer",
        /// Have a vote count as a change manager's (the rules that need one).
        VoteAsManager = "vote_as_manager",
        /// Decide through an email's Approve/Reject link while signed in (when the
        /// service requires sign-in for those links): only the link's own voter may.
        UseVoteLink = "use_vote_link",
        /// See the coming week's scheduled work on the home page.
        FollowUpcoming = "follow_upcoming",
        /// Add and remove the extra closed days of the working-day calendar.
        ManageCalendar = "manage_calendar",
        /// Add extra CAB meetings and cancel planned ones.
        ManageMeetings = "manage_meetings",
        /// Add and remove the maintenance windows of CIs.
        ManageMaintenance = "manage_maintenance",
        /// Subscribe to a calendar feed of every change.
        FollowAll = "follow_all",
        /// Revoke a calendar feed: its owner.
        ManageFeed = "manage_feed",
        /// Ask the deployment gate whether a change may be deployed now.
        Gate = "gate",
        /// See one's own web sessions and API tokens: their owner.
        ListOwnAccess = "list_own_access",
        /// Make and end one's own web sessions and API tokens: their owner.
        ManageOwnAccess = "manage_own_access",
        /// Set when the CAB meets, its cut-off and what a holiday does.
        ConfigureCab = "configure_cab",
        /// Name a delegate for someone's vote: one's own (voters), anyone's (admins).
        Delegate = "delegate",
        /// Cast a vote for someone who named one as their delegate: segregation of duties
        /// for the delegate (the principal's own `vote` is checked too).
        VoteFor = "vote_for",
        /// Add a work note to a change (anyone who may read it).
        Note = "note",
        /// Attach a file to a change (anyone who may read it).
        Attach = "attach",
        /// Name the incidents or problems a change was raised from.
        LinkRaisedFrom = "link_raised_from",
        /// Name the incidents a change caused.
        LinkCaused = "link_caused",
        /// Remove a service-desk link someone else added.
        UnlinkOthers = "unlink_others",
        /// Delete a draft that was never submitted: its requester.
        Delete = "delete",
        /// Write, publish and update system messages (the service desk, change managers).
        ManageMessages = "manage_messages",
        /// Subscribe addresses to events, and see and retry their deliveries (admins).
        ManageWebhooks = "manage_webhooks",
    }
}

impl From<ActionKind> for Permission {
    fn from(action: ActionKind) -> Self {
        match action {
            ActionKind::Edit => Permission::Edit,
            ActionKind::Risk => Permission::Risk,
            ActionKind::Submit => Permission::Submit,
            ActionKind::Assess => Permission::Assess,
            ActionKind::Vote => Permission::Vote,
            ActionKind::Return => Permission::Return,
            ActionKind::Reschedule => Permission::Reschedule,
            ActionKind::Start => Permission::Start,
            ActionKind::Complete => Permission::Complete,
            ActionKind::Review => Permission::Review,
            ActionKind::Cancel => Permission::Cancel,
        }
    }
}

#[derive(Serialize, Hash)]
struct Subject<'a> {
    id: i32,
    role: &'a str,
}

/// What the policy may look at about the object acted on.
#[derive(Debug, Clone, Default, Serialize, Hash)]
pub struct Object {
    requester: i32,
    implementer: i32,
    state: &'static str,
    /// The person a personal object belongs to (an email vote link: its voter).
    owner: i32,
}

impl Object {
    /// Reference data, users, or a change not yet created: no owner, no state.
    pub fn none() -> Self {
        Object::default()
    }

    /// A change with this requester, implementer and state (what `change` reads off one).
    pub fn of(requester: UserId, implementer: Option<UserId>, state: ChangeState) -> Self {
        Object {
            requester: requester.0,
            implementer: implementer.map_or(0, |u| u.0),
            state: state.as_str(),
            owner: 0,
        }
    }

    pub fn change(change: &Change) -> Self {
        Object::of(change.requester_id, change.implementer_id, change.state)
    }

    /// Something that belongs to one person (an email vote link belongs to its voter).
    pub fn owned_by(owner: UserId) -> Self {
        Object { owner: owner.0, ..Object::default() }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot load the access policy: {0}")]
pub struct PolicyError(String);

pub struct Authz {
    enforcer: Enforcer,
    /// What an API token's scopes let it ask (policy/scopes.csv).
    scopes: Enforcer,
    /// casbin's answers so far, by what they can depend on (`Question`). casbin walks
    /// every policy line in rhai for each question (tens of microseconds, several per
    /// request); the same question answered again is a map lookup. Exact because `load`
    /// admits only conditions that `Question` captures (`condition_is_memoizable`).
    memo: std::sync::RwLock<std::collections::HashMap<Question, bool>>,
}

/// All a policy line's answer can depend on: the role or scope asked for, the permission,
/// the object's state, and which of the object's people the caller is. The ids
/// themselves are not part of it: conditions only compare the caller's id with the
/// object's (`condition_is_memoizable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Question {
    Role { role: Role, permission: Permission, state: &'static str, is: Relation },
    Scope { scope: crate::domain::account::Scope, permission: Permission },
}

/// Which of the object's people the caller is: its requester, implementer, owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Relation {
    requester: bool,
    implementer: bool,
    owner: bool,
}

impl Relation {
    fn of(caller: i32, object: &Object) -> Self {
        Relation {
            requester: caller == object.requester,
            implementer: caller == object.implementer,
            owner: caller == object.owner,
        }
    }
}

/// Whether `model` (the text of a casbin model) has exactly `matcher` as its matcher and
/// no role inheritance: the memo's key was made for the matchers of `policy/model.conf`
/// and `policy/scopes.conf` as they are.
fn model_is_memoizable(model: &str, matcher: &str) -> bool {
    let lines: Vec<&str> =
        model.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let matchers: Vec<&str> =
        lines.iter().copied().filter(|l| l.starts_with("m ") || l.starts_with("m=")).collect();
    matchers == [matcher] && !lines.contains(&"[role_definition]")
}

/// The matchers the memo's key captures (`Question`).
const MEMOIZED_MATCHER: &str = "m = r.sub.role == p.role && r.act == p.act && eval(p.cond)";
const MEMOIZED_SCOPE_MATCHER: &str = "m = r.scope == p.scope && r.act == p.act";

/// Whether a policy line's condition is one the memo answers exactly: `true`, or
/// comparisons (`==`, `!=`) of the caller's id with the object's requester, implementer
/// or owner and of the object's state with a quoted name, joined by `&&` and `||`.
fn condition_is_memoizable(condition: &str) -> bool {
    const PEOPLE: [&str; 3] = ["r.obj.requester", "r.obj.implementer", "r.obj.owner"];
    condition.split("&&").flat_map(|part| part.split("||")).all(|atom| {
        let atom = atom.trim().trim_start_matches('(').trim_end_matches(')').trim();
        let words: Vec<&str> = atom.split_whitespace().collect();
        match words.as_slice() {
            ["true"] | ["false"] => true,
            [left, "==" | "!=", right] => {
                let person = |a: &str, b: &str| a == "r.sub.id" && PEOPLE.contains(&b);
                let state = |a: &str, b: &str| {
                    a == "r.obj.state"
                        && b.len() > 2
                        && b.starts_with('"')
                        && b.ends_with('"')
                        && b[1..b.len() - 1].bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
                };
                person(left, right) || person(right, left) || state(left, right) || state(right, left)
            }
            _ => false,
        }
    })
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authz")
    }
}

impl Authz {
    pub async fn load() -> Result<Authz, PolicyError> {
        let model = DefaultModel::from_str(MODEL).await.map_err(|e| PolicyError(e.to_string()))?;
        let enforcer =
            Enforcer::new(model, StringAdapter::new(POLICY)).await.map_err(|e| PolicyError(e.to_string()))?;
        let scope_model =
            DefaultModel::from_str(SCOPE_MODEL).await.map_err(|e| PolicyError(e.to_string()))?;
        let scopes = Enforcer::new(scope_model, StringAdapter::new(SCOPE_POLICY))
            .await
            .map_err(|e| PolicyError(e.to_string()))?;
        if !model_is_memoizable(MODEL, MEMOIZED_MATCHER)
            || !model_is_memoizable(SCOPE_MODEL, MEMOIZED_SCOPE_MATCHER)
        {
            return Err(PolicyError(format!(
                "the memo of answers was made for the matchers `{MEMOIZED_MATCHER}` and \
                 `{MEMOIZED_SCOPE_MATCHER}` without role inheritance; extend `Question` with what a new \
                 matcher reads"
            )));
        }
        if let Some(line) = enforcer
            .get_policy()
            .into_iter()
            .find(|line| line.get(2).is_none_or(|condition| !condition_is_memoizable(condition)))
        {
            return Err(PolicyError(format!(
                "the condition of `{}` may only compare r.sub.id with r.obj.requester, r.obj.implementer \
                 or r.obj.owner and r.obj.state with a quoted name (== or !=, joined by && and ||)",
                line.join(", ")
            )));
        }
        Ok(Authz { enforcer, scopes, memo: Default::default() })
    }

    /// The roles some policy line grants `permission` to (under some condition): whom to
    /// look among for the people who may act, e.g. the voters to ask. Each person found
    /// is then checked with `allows` against the object itself.
    pub fn roles_granting(&self, permission: Permission) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .enforcer
            .get_policy()
            .iter()
            .filter(|line| line.get(1).is_some_and(|act| act == permission.as_str()))
            .filter_map(|line| line.first().and_then(|role| role.parse().ok()))
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }

    /// Whether any role of `caller` is granted `permission` on `object` — and, when the
    /// caller came with an API token, one of its scopes grants it too.
    pub fn allows(&self, caller: &Caller, permission: Permission, object: &Object) -> bool {
        self.scope_allows(caller, permission) && self.role_allows(caller, permission, object)
    }

    /// Whether the caller's token scopes grant `permission` (no token: not limited).
    pub fn scope_allows(&self, caller: &Caller, permission: Permission) -> bool {
        let Some(scopes) = &caller.scopes else { return true };
        scopes.iter().any(|&scope| {
            self.answer(Question::Scope { scope, permission }, || {
                self.scopes.enforce((scope.as_str(), permission.as_str()))
            })
        })
    }

    /// casbin's answer to `question`: remembered, or asked (`ask`) and remembered. An
    /// evaluation error denies and is not remembered.
    fn answer(&self, question: Question, ask: impl FnOnce() -> casbin::Result<bool>) -> bool {
        if let Some(&known) = self.memo.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&question)
        {
            return known;
        }
        match ask() {
            Ok(allowed) => {
                self.memo.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(question, allowed);
                allowed
            }
            Err(error) => {
                tracing::error!(%error, ?question, "policy evaluation failed; denying");
                false
            }
        }
    }

    /// Whether every permission `wanted` grants is granted by `held` too (a token a token
    /// makes may do no more than its maker: `read` lies within `write`).
    pub fn scopes_within(
        &self,
        wanted: &std::collections::BTreeSet<crate::domain::account::Scope>,
        held: &std::collections::BTreeSet<crate::domain::account::Scope>,
    ) -> bool {
        let grants = |scopes: &std::collections::BTreeSet<crate::domain::account::Scope>,
                      permission: Permission| {
            scopes.iter().any(|&scope| {
                self.answer(Question::Scope { scope, permission }, || {
                    self.scopes.enforce((scope.as_str(), permission.as_str()))
                })
            })
        };
        Permission::ALL.iter().all(|p| !grants(wanted, *p) || grants(held, *p))
    }

    /// `allows` as casbin answers it with no memo (what every question cost before the
    /// memo; the benchmark and the tests compare the two).
    pub fn allows_afresh(&self, caller: &Caller, permission: Permission, object: &Object) -> bool {
        let scoped = caller.scopes.as_ref().is_none_or(|scopes| {
            scopes.iter().any(|s| self.scopes.enforce((s.as_str(), permission.as_str())).unwrap_or(false))
        });
        scoped
            && caller.roles.iter().any(|role| {
                let subject = Subject { id: caller.id.0, role: role.as_str() };
                self.enforcer.enforce((subject, object.clone(), permission.as_str())).unwrap_or(false)
            })
    }

    fn role_allows(&self, caller: &Caller, permission: Permission, object: &Object) -> bool {
        let is = Relation::of(caller.id.0, object);
        caller.roles.iter().any(|&role| {
            let question = Question::Role { role, permission, state: object.state, is };
            self.answer(question, || {
                let subject = Subject { id: caller.id.0, role: role.as_str() };
                self.enforcer.enforce((subject, object.clone(), permission.as_str()))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(id: i32, roles: &[Role]) -> Caller {
        let mut roles: std::collections::BTreeSet<Role> = roles.iter().copied().collect();
        roles.insert(Role::Requester);
        Caller {
            id: UserId(id),
            email: String::new(),
            name: String::new(),
            roles,
            language: None,
            timezone: None,
            scopes: None,
            token_expires_at: None,
        }
    }

    fn on(requester: i32, implementer: i32, state: &'static str) -> Object {
        Object { requester, implementer, state, owner: 0 }
    }

    #[tokio::test]
    async fn a_token_does_only_what_its_scopes_and_its_users_roles_both_allow() {
        use crate::domain::account::Scope;
        let authz = Authz::load().await.unwrap();
        let with = |scopes: &[Scope]| Caller {
            scopes: Some(scopes.iter().copied().collect()),
            ..caller(5, &[Role::CabMember, Role::ChangeManager])
        };
        let deciding = on(1, 2, "authorize");
        assert!(authz.allows(&with(&[Scope::Write]), Permission::Vote, &deciding));
        assert!(
            !authz.allows(&with(&[Scope::Gate]), Permission::Vote, &deciding),
            "a gate token cannot vote"
        );
        assert!(
            !authz.allows(&with(&[Scope::Read]), Permission::Create, &Object::none()),
            "a read token cannot write"
        );
        assert!(authz.allows(&with(&[Scope::Read]), Permission::Read, &deciding));
        assert!(authz.allows(&with(&[Scope::Gate]), Permission::Start, &on(1, 2, "scheduled")));
        assert!(!authz.allows(&with(&[Scope::Incidents]), Permission::Start, &on(1, 2, "scheduled")));
        assert!(authz.allows(&with(&[Scope::Incidents]), Permission::LinkCaused, &on(1, 2, "implement")));
        // The scope never grants more than the roles: a plain requester's write token
        // still cannot assess.
        let requester = Caller { scopes: Some([Scope::Write].into_iter().collect()), ..caller(9, &[]) };
        assert!(!authz.allows(&requester, Permission::Assess, &deciding));
        // No scope at all: nothing.
        assert!(!authz.allows(&with(&[]), Permission::Read, &deciding));
        // A webhooks token manages webhooks for an admin, and for no one else.
        let admin = |scopes: &[Scope]| Caller {
            scopes: Some(scopes.iter().copied().collect()),
            ..caller(7, &[Role::Admin])
        };
        assert!(authz.allows(&admin(&[Scope::Webhooks]), Permission::ManageWebhooks, &Object::none()));
        assert!(!authz.allows(&admin(&[Scope::Webhooks]), Permission::Read, &deciding));
        assert!(!authz.allows(&admin(&[Scope::Read]), Permission::ManageWebhooks, &Object::none()));
        assert!(!authz.allows(&with(&[Scope::Webhooks]), Permission::ManageWebhooks, &Object::none()));
    }

    /// The memo answers exactly as casbin: every role, permission, state and relation,
    /// asked first with one set of ids (which fills the memo) and then with another set
    /// in the same relation, against casbin asked afresh.
    #[tokio::test]
    async fn remembered_answers_are_casbins_for_any_ids_in_the_same_relation() {
        let authz = Authz::load().await.unwrap();
        let states: Vec<&'static str> = ChangeState::ALL.iter().map(|s| s.as_str()).chain([""]).collect();
        let mut asked = 0;
        for &role in Role::ALL {
            for &permission in Permission::ALL {
                for &state in &states {
                    // Requester, implementer, owner: the caller, someone else, or no one.
                    for pattern in 0..27 {
                        let pick = |k: u32, me: i32, other: i32| match (pattern / 3u32.pow(k)) % 3 {
                            0 => me,
                            1 => other,
                            _ => 0,
                        };
                        let object = |me: i32, base: i32| Object {
                            requester: pick(0, me, base + 1),
                            implementer: pick(1, me, base + 2),
                            state,
                            owner: pick(2, me, base + 3),
                        };
                        let first = Caller { roles: [role].into_iter().collect(), ..caller(5, &[]) };
                        let second = Caller { roles: [role].into_iter().collect(), ..caller(70, &[]) };
                        authz.allows(&first, permission, &object(5, 10));
                        let remembered = authz.allows(&second, permission, &object(70, 80));
                        let afresh = authz.allows_afresh(&second, permission, &object(70, 80));
                        assert_eq!(remembered, afresh, "{role} {permission} in {state:?}, pattern {pattern}");
                        asked += 1;
                    }
                }
            }
        }
        assert!(asked > 10_000, "{asked} questions");
        assert!(authz.memo.read().unwrap().len() > 100, "the memo was used");
    }

    #[test]
    fn only_the_models_the_memo_was_made_for_are_admitted() {
        assert!(model_is_memoizable(MODEL, MEMOIZED_MATCHER));
        assert!(model_is_memoizable(SCOPE_MODEL, MEMOIZED_SCOPE_MATCHER));
        let other =
            MODEL.replace(MEMOIZED_MATCHER, "m = r.sub.role == p.role && r.act == p.act && r.obj.owner == 7");
        assert!(!model_is_memoizable(&other, MEMOIZED_MATCHER), "another matcher");
        let inheriting = format!("{MODEL}\n[role_definition]\ng = _, _\n");
        assert!(!model_is_memoizable(&inheriting, MEMOIZED_MATCHER), "role inheritance");
    }

    #[test]
    fn only_conditions_the_memo_answers_exactly_are_admitted() {
        for admitted in [
            "true",
            "r.sub.id == r.obj.requester",
            "r.obj.state == \"assess\" && r.sub.id != r.obj.requester && r.sub.id != r.obj.implementer",
            "(r.sub.id == r.obj.owner) || r.obj.implementer == r.sub.id",
        ] {
            assert!(condition_is_memoizable(admitted), "{admitted}");
        }
        for refused in [
            "r.obj.requester == r.obj.implementer",
            "r.sub.id == 5",
            "r.sub.id > r.obj.requester",
            "r.obj.state == r.sub.role",
            "r.sub.role == \"admin\"",
            "",
        ] {
            assert!(!condition_is_memoizable(refused), "{refused}");
        }
    }

    #[tokio::test]
    async fn a_token_may_make_only_tokens_that_do_no_more_than_itself() {
        use crate::domain::account::Scope::*;
        let authz = Authz::load().await.unwrap();
        let set = |s: &[crate::domain::account::Scope]| s.iter().copied().collect();
        assert!(authz.scopes_within(&set(&[Read, Gate, Incidents]), &set(&[Write])));
        assert!(!authz.scopes_within(&set(&[Write]), &set(&[Read, Gate, Incidents])));
        assert!(!authz.scopes_within(&set(&[Gate]), &set(&[Incidents])));
        assert!(!authz.scopes_within(&set(&[Read]), &set(&[Gate])), "a gate token does not read");
        assert!(authz.scopes_within(&set(&[Gate]), &set(&[Gate])));
    }

    #[tokio::test]
    async fn every_permission_is_granted_by_some_scope_or_is_for_people_only() {
        let authz = Authz::load().await.unwrap();
        let people_only = [Permission::UseVoteLink, Permission::BeImplementer];
        // The narrow scopes grant reading, and their one purpose, nothing else.
        let reading = [
            Permission::Read,
            Permission::ReadReference,
            Permission::ReadReports,
            Permission::FollowUpcoming,
            Permission::FollowAll,
            Permission::Gate,
            Permission::ListOwnAccess,
        ];
        let purpose = |scope: crate::domain::account::Scope| -> Vec<Permission> {
            use crate::domain::account::Scope::*;
            match scope {
                Read | Write => Vec::new(),
                Gate => vec![Permission::Start, Permission::Complete],
                Incidents => {
                    vec![Permission::LinkRaisedFrom, Permission::LinkCaused, Permission::UnlinkOthers]
                }
                Webhooks => vec![Permission::ManageWebhooks],
            }
        };
        for scope in [
            crate::domain::account::Scope::Read,
            crate::domain::account::Scope::Gate,
            crate::domain::account::Scope::Incidents,
            crate::domain::account::Scope::Webhooks,
        ] {
            for permission in Permission::ALL.iter().copied() {
                let granted = authz.scopes.enforce((scope.as_str(), permission.as_str())).unwrap_or(false);
                assert!(
                    !granted || reading.contains(&permission) || purpose(scope).contains(&permission),
                    "{scope} grants {permission}, which changes something"
                );
            }
        }
        for permission in Permission::ALL.iter().copied().filter(|p| !people_only.contains(p)) {
            let granted = crate::domain::account::Scope::ALL
                .iter()
                .any(|scope| authz.scopes.enforce((scope.as_str(), permission.as_str())).unwrap_or(false));
            assert!(granted, "no scope grants {permission}");
        }
    }

    #[tokio::test]
    async fn requesters_edit_only_their_own_drafts() {
        let authz = Authz::load().await.unwrap();
        assert!(authz.allows(&caller(1, &[]), Permission::Edit, &on(1, 0, "draft")));
        assert!(!authz.allows(&caller(2, &[]), Permission::Edit, &on(1, 0, "draft")));
        assert!(!authz.allows(&caller(2, &[Role::ChangeManager]), Permission::Edit, &on(1, 0, "draft")));
    }

    #[tokio::test]
    async fn no_one_votes_on_a_change_they_requested_or_implement() {
        let authz = Authz::load().await.unwrap();
        let member = caller(5, &[Role::CabMember, Role::ChangeManager]);
        assert!(authz.allows(&member, Permission::Vote, &on(1, 2, "authorize")));
        assert!(!authz.allows(&member, Permission::Vote, &on(5, 2, "authorize")));
        assert!(!authz.allows(&member, Permission::Vote, &on(1, 5, "authorize")));
        assert!(!authz.allows(&caller(6, &[Role::Implementer]), Permission::Vote, &on(1, 2, "authorize")));
    }

    #[tokio::test]
    async fn implementers_start_only_their_own_changes() {
        let authz = Authz::load().await.unwrap();
        let implementer = caller(3, &[Role::Implementer]);
        assert!(authz.allows(&implementer, Permission::Start, &on(1, 3, "scheduled")));
        assert!(!authz.allows(&implementer, Permission::Start, &on(1, 4, "scheduled")));
        assert!(!authz.allows(&caller(3, &[]), Permission::Start, &on(1, 3, "scheduled")));
    }

    #[tokio::test]
    async fn change_managers_adjust_risk_only_in_assessment() {
        let authz = Authz::load().await.unwrap();
        let manager = caller(9, &[Role::ChangeManager]);
        assert!(authz.allows(&manager, Permission::Risk, &on(1, 0, "assess")));
        assert!(!authz.allows(&manager, Permission::Risk, &on(1, 0, "draft")));
    }

    #[tokio::test]
    async fn the_requester_answers_risk_only_while_drafting() {
        let authz = Authz::load().await.unwrap();
        assert!(authz.allows(&caller(1, &[]), Permission::Risk, &on(1, 0, "draft")));
        assert!(!authz.allows(&caller(1, &[]), Permission::Risk, &on(1, 0, "assess")));
    }

    #[tokio::test]
    async fn change_managers_do_not_assess_their_own_requests() {
        let authz = Authz::load().await.unwrap();
        let manager = caller(9, &[Role::ChangeManager]);
        assert!(authz.allows(&manager, Permission::Assess, &on(1, 0, "assess")));
        assert!(!authz.allows(&manager, Permission::Assess, &on(9, 0, "assess")));
    }

    #[tokio::test]
    async fn a_change_manager_neither_assesses_nor_changes_the_risk_of_a_change_they_filed_or_implement() {
        let authz = Authz::load().await.unwrap();
        let manager = caller(9, &[Role::ChangeManager]);
        for permission in [Permission::Risk, Permission::Assess] {
            assert!(!authz.allows(&manager, permission, &on(9, 0, "assess")), "filed: {permission}");
            assert!(!authz.allows(&manager, permission, &on(1, 9, "assess")), "implements: {permission}");
            assert!(authz.allows(&manager, permission, &on(1, 2, "assess")), "someone else's: {permission}");
        }
    }

    #[tokio::test]
    async fn only_implementers_and_change_managers_are_named_implementer() {
        let authz = Authz::load().await.unwrap();
        let none = Object::none();
        assert!(authz.allows(&caller(3, &[Role::Implementer]), Permission::BeImplementer, &none));
        assert!(authz.allows(&caller(9, &[Role::ChangeManager]), Permission::BeImplementer, &none));
        for roles in [&[][..], &[Role::CabMember], &[Role::Manager], &[Role::Admin]] {
            assert!(!authz.allows(&caller(5, roles), Permission::BeImplementer, &none), "{roles:?}");
        }
    }

    #[tokio::test]
    async fn only_a_change_managers_vote_counts_as_one() {
        let authz = Authz::load().await.unwrap();
        let change = on(1, 2, "authorize");
        assert!(authz.allows(&caller(9, &[Role::ChangeManager]), Permission::VoteAsManager, &change));
        assert!(!authz.allows(&caller(5, &[Role::CabMember]), Permission::VoteAsManager, &change));
    }

    #[tokio::test]
    async fn a_vote_link_is_used_by_its_own_voter_only() {
        let authz = Authz::load().await.unwrap();
        let link = Object::owned_by(UserId(5));
        assert!(authz.allows(&caller(5, &[]), Permission::UseVoteLink, &link));
        assert!(!authz.allows(
            &caller(6, &[Role::Admin, Role::ChangeManager]),
            Permission::UseVoteLink,
            &link
        ));
    }

    #[tokio::test]
    async fn home_sections_and_navigation_follow_the_policy() {
        let authz = Authz::load().await.unwrap();
        let none = Object::none();
        let manager = caller(4, &[Role::Manager]);
        let member = caller(5, &[Role::CabMember]);
        let requester = caller(6, &[]);
        assert!(authz.allows(&manager, Permission::FollowUpcoming, &none));
        assert!(!authz.allows(&member, Permission::FollowUpcoming, &none));
        // The CAB queue is offered to those who may vote; assessment to change managers.
        assert!(authz.allows(&member, Permission::Vote, &none));
        assert!(!authz.allows(&requester, Permission::Vote, &none));
        assert!(!authz.allows(&member, Permission::Assess, &none));
        assert!(authz.allows(&caller(9, &[Role::ChangeManager]), Permission::Assess, &none));
    }

    #[tokio::test]
    async fn the_roles_granting_a_permission_come_from_the_policy() {
        let authz = Authz::load().await.unwrap();
        assert_eq!(authz.roles_granting(Permission::Vote), [Role::CabMember, Role::ChangeManager]);
        assert_eq!(authz.roles_granting(Permission::BeImplementer), [Role::Implementer, Role::ChangeManager]);
        assert_eq!(authz.roles_granting(Permission::ManageNotices), [Role::Admin]);
    }

    #[tokio::test]
    async fn managers_only_read() {
        let authz = Authz::load().await.unwrap();
        let manager = caller(4, &[Role::Manager]);
        assert!(authz.allows(&manager, Permission::Read, &Object::none()));
        for permission in [Permission::Assess, Permission::Vote, Permission::ManageCis, Permission::Review] {
            assert!(!authz.allows(&manager, permission, &on(1, 2, "assess")), "{permission}");
        }
    }
}
