//! What the administration pages list: one section at a time, each behind the permission
//! to manage it (even to look).

use super::outbox::FailedNotice;
use super::reference::{self, BlackoutView, CiView, TemplateView};
use super::workdays::DayOff;
use super::{Ctx, ServiceResult};
use crate::authz::{Object, Permission};
use crate::domain::caller::Caller;
use chrono::{Datelike, Duration};

/// One area of administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Users,
    Cis,
    Templates,
    Blackouts,
    Maintenance,
    Calendar,
    Cab,
    Notices,
    Webhooks,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Users,
        Section::Cis,
        Section::Templates,
        Section::Blackouts,
        Section::Maintenance,
        Section::Calendar,
        Section::Cab,
        Section::Notices,
        Section::Webhooks,
    ];

    /// What it takes to manage this section.
    pub fn permission(self) -> Permission {
        match self {
            Section::Users => Permission::ManageUsers,
            Section::Cis => Permission::ManageCis,
            Section::Templates => Permission::ManageTemplates,
            Section::Blackouts => Permission::ManageBlackouts,
            Section::Calendar => Permission::ManageCalendar,
            Section::Cab => Permission::ConfigureCab,
            Section::Maintenance => Permission::ManageMaintenance,
            Section::Notices => Permission::ManageNotices,
            Section::Webhooks => Permission::ManageWebhooks,
        }
    }
}

/// What one section lists (only its own parts are filled).
#[derive(Debug, Default)]
pub struct Listing {
    pub users: Vec<super::accounts::AccountView>,
    pub cis: Vec<CiView>,
    pub templates: Vec<TemplateView>,
    /// Candidate standard templates found in history (the templates section).
    pub candidates: Vec<super::candidates::CandidateView>,
    pub blackouts: Vec<BlackoutView>,
    pub notices: Vec<FailedNotice>,
    /// This year's and next year's public holidays and closed days.
    pub days_off: Vec<DayOff>,
    pub maintenance: Vec<super::maintenance::MaintenanceWindowView>,
    /// The CAB meeting settings in force.
    pub cab: Option<crate::config::CabConfig>,
    pub webhooks: Vec<super::webhooks::WebhookView>,
}

/// The sections `caller` may manage.
pub fn sections(ctx: &Ctx, caller: &Caller) -> Vec<Section> {
    Section::ALL.into_iter().filter(|s| ctx.authz.allows(caller, s.permission(), &Object::none())).collect()
}

/// What `section` lists for `caller`; `search` narrows the users.
pub fn listing(ctx: &Ctx, caller: &Caller, section: Section, search: &str) -> ServiceResult<Listing> {
    ctx.require(caller, section.permission(), &Object::none())?;
    let mut listing = Listing::default();
    match section {
        Section::Users => listing.users = super::accounts::list(ctx, caller, search)?,
        Section::Cis => listing.cis = reference::list_cis(ctx, caller, 0)?,
        Section::Templates => {
            listing.templates = reference::list_templates(ctx, caller, 0)?;
            listing.candidates = super::candidates::list(ctx, caller)?;
            listing.cis = reference::list_cis(ctx, caller, 0)?;
        }
        Section::Notices => listing.notices = super::outbox::failed(ctx, caller)?,
        Section::Webhooks => listing.webhooks = super::webhooks::list(ctx, caller)?,
        Section::Cab => listing.cab = Some(super::cab_settings::show(ctx, caller)?),
        Section::Maintenance => {
            listing.maintenance = super::maintenance::list(ctx, caller)?;
            listing.cis = reference::list_cis(ctx, caller, 0)?;
        }
        Section::Calendar => {
            let year = ctx.clock.now().with_timezone(&ctx.config.time_zone()).year();
            listing.days_off = super::workdays::year(ctx, caller, year)?;
            listing.days_off.extend(super::workdays::year(ctx, caller, year + 1)?);
        }
        Section::Blackouts => {
            let now = ctx.clock.now();
            listing.blackouts =
                reference::list_blackouts(ctx, caller, now - Duration::days(30), now + Duration::days(365))?;
            listing.cis = reference::list_cis(ctx, caller, 0)?;
        }
    }
    Ok(listing)
}
