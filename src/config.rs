//! Typed settings, loaded once at start and passed in (no globals).
//!
//! Sources, later ones winning: built-in defaults, an optional TOML file (`--config` or
//! `ENDRING_CONFIG`; unknown keys are refused), then environment variables
//! (`DATABASE_URL` and `ENDRING_<KEY>` for each top-level key). Every setting is listed in
//! the README's configuration table.

use crate::domain::approval::ApprovalPolicy;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://path` (default `sqlite://endring.db`) or `postgres://…`.
    pub database_url: String,
    /// Maximum connections in the pool.
    pub database_pool_size: u32,
    /// SQLite `synchronous` pragma: `full` (default) or `normal`.
    pub sqlite_synchronous: String,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Public URL of the service, for links in emails.
    pub base_url: String,
    /// lettre SMTP URL; unset writes `.eml` files to `mail_dir`.
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: String,
    /// Key for session cookies (64+ bytes, hex or base64); unset generates one per start.
    pub session_key: Option<String>,
    /// Time zone for display and working days (IANA name).
    pub timezone: String,
    /// Lifetime of API bearer tokens, in hours.
    pub token_ttl_hours: i64,
    /// How long the Approve/Reject links in an email work, in days.
    pub vote_link_days: i64,
    /// Deciding from an email's link requires signing in first (as the voter).
    pub vote_links_require_sign_in: bool,
    /// Days after which sent notices, expired vote links and API tokens, and queued
    /// reminders are deleted (the audit trail is kept).
    pub retention_days: i64,
    /// Largest file that may be attached to a change, in megabytes (MB, 10^6 bytes).
    pub attachment_max_mb: u32,
    /// Seconds within which a request's whole body must arrive after its head; a client
    /// that announces a body and stalls gets 408 and its connection is closed.
    pub request_body_secs: u32,
    /// Serves `/metrics` (Prometheus text) to callers presenting this bearer token (at
    /// least 32 characters); unset, `/metrics` does not exist.
    pub metrics_token: Option<String>,
    /// The address of an incident in the service desk's tool, with `{id}` for its id
    /// (`https://desk.example/incident/{id}`); unset: ids are shown without a link.
    pub incident_url: Option<String>,
    /// The system messages (`/messages`, its feed and `GET /api/v1/messages`) are shown
    /// to signed-in users only; by default anyone may read them (the intranet, a screen).
    pub messages_require_sign_in: bool,
    /// The reverse proxies' own addresses (or networks of proxies only: `10.0.0.5`,
    /// `10.0.9.0/29`), whose `X-Forwarded-For` names the client; from any other peer the
    /// header is ignored. Empty: the peer is the client.
    pub trusted_proxies: Vec<String>,
    /// Hosts webhooks may reach over plain `http` (`127.0.0.1`, `hooks.intern`); every
    /// other receiver must be `https`.
    pub webhook_http_hosts: Vec<String>,
    /// The OpenID Connect provider's issuer URL (found by discovery); sign-in with it is
    /// off until this is set.
    pub oidc_issuer: Option<String>,
    /// This service's client id at the provider.
    pub oidc_client_id: Option<String>,
    /// Its client secret, or `oidc_client_secret_file` naming a file that holds it.
    pub oidc_client_secret: Option<String>,
    pub oidc_client_secret_file: Option<PathBuf>,
    /// The sign-in button's label: "Sign in with <name>".
    pub oidc_display_name: String,
    /// Scopes asked for besides `openid` (space or comma separated in the environment).
    pub oidc_scopes: Vec<String>,
    /// The ID token claim holding the user's email.
    pub oidc_email_claim: String,
    /// The ID token claim listing the user's groups.
    pub oidc_groups_claim: String,
    /// Email domains allowed to sign in with the provider (`kommune.no`); empty: any.
    pub oidc_allowed_domains: Vec<String>,
    /// Local passwords for everyone (default), or only for `break_glass_accounts` when
    /// false (everyone else signs in with the provider).
    pub password_sign_in: bool,
    /// Accounts that keep their local password when `password_sign_in` is false.
    pub break_glass_accounts: Vec<String>,
    /// `[oidc_roles]`: each role and the provider's groups that give it (file only),
    /// applied at every sign-in with the provider.
    pub oidc_roles: std::collections::BTreeMap<crate::domain::role::Role, Vec<String>>,
    /// CAB approval rules (file only).
    pub approval: ApprovalPolicy,
    /// When the CAB meets (file only).
    pub cab: CabConfig,
}

/// `[cab]`: the weekly meeting in the service's zone, and its cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CabConfig {
    /// `monday` … `friday`.
    pub meeting_day: String,
    /// `HH:MM`.
    pub meeting_time: String,
    /// `HH:MM` on the working day before the meeting.
    pub cutoff_time: String,
    /// `next_working_day` or `skip`: a meeting whose day is a holiday or closed day.
    pub on_holiday: String,
    /// IANA zone of the meeting's day and times; default the service's (`timezone`).
    pub zone: Option<String>,
}

impl Default for CabConfig {
    fn default() -> Self {
        CabConfig {
            meeting_day: "tuesday".into(),
            meeting_time: "10:00".into(),
            cutoff_time: "12:00".into(),
            on_holiday: "next_working_day".into(),
            zone: None,
        }
    }
}

impl CabConfig {
    /// The meeting rule, or what is wrong with the settings.
    pub fn rule(&self) -> Result<crate::domain::cab::MeetingRule, String> {
        use crate::domain::cab::{MeetingRule, OnHoliday};
        let weekday = match self.meeting_day.to_lowercase().as_str() {
            "monday" => chrono::Weekday::Mon,
            "tuesday" => chrono::Weekday::Tue,
            "wednesday" => chrono::Weekday::Wed,
            "thursday" => chrono::Weekday::Thu,
            "friday" => chrono::Weekday::Fri,
            other => return Err(format!("cab.meeting_day `{other}` must be a weekday, monday to friday")),
        };
        let time = |key: &str, text: &str| {
            chrono::NaiveTime::parse_from_str(text, "%H:%M")
                .map_err(|_| format!("cab.{key} `{text}` must be HH:MM"))
        };
        let on_holiday = match self.on_holiday.as_str() {
            "next_working_day" => OnHoliday::NextWorkingDay,
            "skip" => OnHoliday::Skip,
            other => return Err(format!("cab.on_holiday `{other}` must be next_working_day or skip")),
        };
        if let Some(zone) = &self.zone {
            zone.parse::<chrono_tz::Tz>()
                .map_err(|_| format!("cab.zone `{zone}` must be an IANA time zone"))?;
        }
        Ok(MeetingRule {
            weekday,
            time: time("meeting_time", &self.meeting_time)?,
            cutoff: time("cutoff_time", &self.cutoff_time)?,
            on_holiday,
        })
    }

    /// The meeting's zone: its own, or `service`'s.
    pub fn zone_or(&self, service: chrono_tz::Tz) -> chrono_tz::Tz {
        self.zone.as_deref().and_then(|z| z.parse().ok()).unwrap_or(service)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://endring.db".into(),
            database_pool_size: 8,
            sqlite_synchronous: "full".into(),
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            smtp_url: None,
            mail_dir: PathBuf::from("outbox-mail"),
            mail_from: "Endring <endring@localhost>".into(),
            session_key: None,
            timezone: "Europe/Oslo".into(),
            token_ttl_hours: 24 * 7,
            vote_link_days: 7,
            vote_links_require_sign_in: false,
            retention_days: 90,
            attachment_max_mb: 20,
            request_body_secs: 60,
            metrics_token: None,
            incident_url: None,
            messages_require_sign_in: false,
            trusted_proxies: Vec::new(),
            webhook_http_hosts: Vec::new(),
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_client_secret_file: None,
            oidc_display_name: "the municipality's sign-in".into(),
            oidc_scopes: vec!["email".into(), "profile".into()],
            oidc_email_claim: "email".into(),
            oidc_groups_claim: "groups".into(),
            oidc_allowed_domains: Vec::new(),
            password_sign_in: true,
            break_glass_accounts: Vec::new(),
            oidc_roles: Default::default(),
            approval: ApprovalPolicy::default(),
            cab: CabConfig::default(),
        }
    }
}

/// Top-level keys that environment variables may set, as `ENDRING_<KEY>`.
const ENV_KEYS: &[&str] = &[
    "database_url",
    "database_pool_size",
    "sqlite_synchronous",
    "bind",
    "base_url",
    "smtp_url",
    "mail_dir",
    "mail_from",
    "session_key",
    "timezone",
    "token_ttl_hours",
    "vote_link_days",
    "vote_links_require_sign_in",
    "retention_days",
    "attachment_max_mb",
    "request_body_secs",
    "metrics_token",
    "incident_url",
    "messages_require_sign_in",
    "trusted_proxies",
    "webhook_http_hosts",
    "oidc_issuer",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_client_secret_file",
    "oidc_display_name",
    "oidc_scopes",
    "oidc_email_claim",
    "oidc_groups_claim",
    "oidc_allowed_domains",
    "password_sign_in",
    "break_glass_accounts",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// The largest attachment, in bytes.
    pub fn attachment_max_bytes(&self) -> usize {
        self.attachment_max_mb as usize * 1_000_000
    }

    /// Loads defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Config::from_sources(file, &env)
    }

    /// As `load`, with the environment passed in (for tests).
    pub fn from_sources(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?
            }
            None => toml::Table::new(),
        };
        for key in ENV_KEYS {
            let name = match *key {
                "database_url" => "DATABASE_URL".to_owned(),
                _ => format!("ENDRING_{}", key.to_uppercase()),
            };
            if let Some((_, value)) = env.iter().find(|(k, _)| *k == name) {
                table.insert((*key).to_owned(), env_value(key, value, &name)?);
            }
        }
        let config: Config =
            table.try_into().map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return invalid(format!("timezone `{}` is not an IANA time zone name", self.timezone));
        }
        if !matches!(self.sqlite_synchronous.as_str(), "full" | "normal") {
            return invalid("sqlite_synchronous must be `full` or `normal`".into());
        }
        if !(1..=24 * 366).contains(&self.token_ttl_hours) {
            return invalid("token_ttl_hours must be between 1 and 8784 (a year)".into());
        }
        if !(1..=60).contains(&self.vote_link_days) {
            return invalid("vote_link_days must be between 1 and 60".into());
        }
        if let Err(problem) = self.cab.rule() {
            return invalid(problem);
        }
        if !(7..=3650).contains(&self.retention_days) {
            return invalid("retention_days must be between 7 and 3650".into());
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return invalid(format!("base_url `{}` must start with http:// or https://", self.base_url));
        }
        if let Some(smtp) = &self.smtp_url {
            if !(smtp.starts_with("smtp://") || smtp.starts_with("smtps://")) {
                return invalid(
                    "smtp_url must start with smtp:// (STARTTLS or plain) or smtps:// (TLS)".into(),
                );
            }
        }
        if !self.mail_from.contains('@') {
            return invalid(format!("mail_from `{}` must contain an email address", self.mail_from));
        }
        if self.session_key.as_ref().is_some_and(|key| key.len() < 64) {
            return invalid(
                "session_key must be at least 64 characters (e.g. `openssl rand -hex 32`)".into(),
            );
        }
        if let Some(pattern) = &self.incident_url {
            if !(pattern.starts_with("https://") || pattern.starts_with("http://"))
                || !pattern.contains("{id}")
            {
                return invalid(format!(
                    "incident_url `{pattern}` must be an http(s) address with {{id}} where the incident's id goes"
                ));
            }
        }
        if !(1..=1000).contains(&self.attachment_max_mb) {
            return invalid("attachment_max_mb must be between 1 and 1000".into());
        }
        if self.metrics_token.as_ref().is_some_and(|token| token.len() < 32) {
            return invalid(
                "metrics_token must be at least 32 characters (e.g. `openssl rand -hex 16`)".into(),
            );
        }
        if !(1..=3600).contains(&self.request_body_secs) {
            return invalid("request_body_secs must be between 1 and 3600".into());
        }
        if self.database_pool_size < 1 {
            return invalid("database_pool_size must be at least 1".into());
        }
        if let Some(bad) = self.trusted_proxies.iter().find(|p| parse_network(p).is_none()) {
            return invalid(format!(
                "trusted_proxies: `{bad}` is not an address or network (such as 10.0.0.5 or 10.0.0.0/24)"
            ));
        }
        if let Some(issuer) = &self.oidc_issuer {
            // Over plain HTTP anyone on the way could swap the provider's keys and forge
            // ID tokens: https, but for a provider on this machine (tests, development).
            let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
                .iter()
                .any(|host| issuer.starts_with(host));
            if !(issuer.starts_with("https://") || loopback) {
                return invalid(format!(
                    "oidc_issuer `{issuer}` must be an https address (http only for a provider on this machine)"
                ));
            }
            if self.oidc_client_id.is_none() {
                return invalid("oidc_issuer is set: set oidc_client_id too".into());
            }
            if self.oidc_client_secret.is_some() && self.oidc_client_secret_file.is_some() {
                return invalid("set oidc_client_secret or oidc_client_secret_file, not both".into());
            }
        } else if !self.password_sign_in {
            return invalid("password_sign_in = false needs oidc_issuer: no one could sign in".into());
        }
        Ok(())
    }

    /// The client secret for the identity provider: the setting, or the file's first line.
    pub fn oidc_secret(&self) -> Result<Option<String>, ConfigError> {
        match (&self.oidc_client_secret, &self.oidc_client_secret_file) {
            (Some(secret), _) => Ok(Some(secret.clone())),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(|text| Some(text.lines().next().unwrap_or_default().trim().to_owned()))
                .map_err(|source| ConfigError::Read { path: path.clone(), source }),
            (None, None) => Ok(None),
        }
    }

    /// Whether `email` may sign in with a password (break-glass accounts always may).
    pub fn password_allowed(&self, email: &str) -> bool {
        self.password_sign_in
            || self.break_glass_accounts.iter().any(|a| a.trim().eq_ignore_ascii_case(email))
    }

    /// The networks of `trusted_proxies` (checked at start, so none is left out).
    pub fn trusted_networks(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies.iter().filter_map(|p| parse_network(p)).collect()
    }

    /// The CAB's meeting rule (validated at start).
    pub fn meeting_rule(&self) -> crate::domain::cab::MeetingRule {
        self.cab.rule().unwrap_or_default()
    }

    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Europe::Oslo)
    }
}

/// An address (one host) or a network in CIDR notation.
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

/// Environment values are strings; numeric settings are parsed here so that errors name
/// the variable.
fn env_value(key: &str, value: &str, name: &str) -> Result<toml::Value, ConfigError> {
    match key {
        "database_pool_size" | "token_ttl_hours" | "vote_link_days" | "retention_days"
        | "attachment_max_mb" | "request_body_secs" => value
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| ConfigError::Invalid(format!("{name} must be a whole number, not `{value}`"))),
        "trusted_proxies"
        | "webhook_http_hosts"
        | "oidc_scopes"
        | "oidc_allowed_domains"
        | "break_glass_accounts" => Ok(toml::Value::Array(
            value
                .split([',', ' '])
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| toml::Value::String(v.to_owned()))
                .collect(),
        )),
        "vote_links_require_sign_in" | "messages_require_sign_in" | "password_sign_in" => {
            match value.trim() {
                "true" | "1" | "yes" => Ok(toml::Value::Boolean(true)),
                "false" | "0" | "no" => Ok(toml::Value::Boolean(false)),
                _ => Err(ConfigError::Invalid(format!("{name} must be true or false, not `{value}`"))),
            }
        }
        _ => Ok(toml::Value::String(value.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let config = Config::from_sources(None, &[]).unwrap();
        assert_eq!(config.database_url, "sqlite://endring.db");
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.timezone, "Europe/Oslo");
    }

    #[test]
    fn identity_provider_settings_come_from_the_environment_and_the_file_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("endring.toml");
        std::fs::write(
            &file,
            "[oidc_roles]\ncab_member = [\"grp-cab\"]\nservice_desk = [\"grp-desk\", \"grp-it\"]\n",
        )
        .unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let vars = env(&[
            ("ENDRING_OIDC_ISSUER", "https://login.example.no/tenant/v2.0"),
            ("ENDRING_OIDC_CLIENT_ID", "endring"),
            ("ENDRING_OIDC_CLIENT_SECRET_FILE", secret.to_str().unwrap()),
            ("ENDRING_OIDC_SCOPES", "email profile, groups"),
            ("ENDRING_OIDC_ALLOWED_DOMAINS", "kommune.no,skole.kommune.no"),
            ("ENDRING_PASSWORD_SIGN_IN", "false"),
            ("ENDRING_BREAK_GLASS_ACCOUNTS", "admin@localhost.localdomain"),
        ]);
        let config = Config::from_sources(Some(&file), &vars).unwrap();
        assert_eq!(config.oidc_scopes, ["email", "profile", "groups"]);
        assert_eq!(config.oidc_allowed_domains, ["kommune.no", "skole.kommune.no"]);
        assert_eq!(config.oidc_secret().unwrap().as_deref(), Some("s3cret"));
        assert_eq!(config.oidc_roles[&crate::domain::role::Role::ServiceDesk], ["grp-desk", "grp-it"]);
        assert!(
            config.password_allowed("ADMIN@localhost.localdomain")
                && !config.password_allowed("kari@kommune.no")
        );
        // Plain http only for a provider on this machine; no client id; passwords off
        // with no provider: each refused, named.
        let refused =
            |pairs: &[(&str, &str)]| Config::from_sources(None, &env(pairs)).unwrap_err().to_string();
        let http =
            refused(&[("ENDRING_OIDC_ISSUER", "http://login.example.no"), ("ENDRING_OIDC_CLIENT_ID", "e")]);
        assert!(http.contains("https"), "{http}");
        let local = [("ENDRING_OIDC_ISSUER", "http://127.0.0.1:4000"), ("ENDRING_OIDC_CLIENT_ID", "e")];
        assert!(Config::from_sources(None, &env(&local)).is_ok());
        assert!(refused(&[("ENDRING_OIDC_ISSUER", "https://login.example.no")]).contains("oidc_client_id"));
        assert!(refused(&[("ENDRING_PASSWORD_SIGN_IN", "false")]).contains("oidc_issuer"));
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("endring.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\ntimezone = \"UTC\"\n[approval]\nveto = false\n")
            .unwrap();
        let config = Config::from_sources(Some(&file), &env(&[("ENDRING_BIND", "127.0.0.1:1")])).unwrap();
        assert_eq!(config.bind, "127.0.0.1:1");
        assert_eq!(config.meeting_rule(), crate::domain::cab::MeetingRule::default());
        assert_eq!(config.timezone, "UTC");
        assert!(!config.approval.veto);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("endring.toml");
        std::fs::write(&file, "bindd = \"x\"\n").unwrap();
        let err = Config::from_sources(Some(&file), &[]).unwrap_err().to_string();
        assert!(err.contains("bindd"), "{err}");
        std::fs::write(&file, "[cab]\nmeeting_day = \"sunday\"\n").unwrap();
        let err = Config::from_sources(Some(&file), &[]).unwrap_err().to_string();
        assert!(err.contains("cab.meeting_day") && err.contains("sunday"), "{err}");
        std::fs::write(&file, "[cab]\ncutoff_time = \"noon\"\n").unwrap();
        let err = Config::from_sources(Some(&file), &[]).unwrap_err().to_string();
        assert!(err.contains("cab.cutoff_time"), "{err}");
        let err = Config::from_sources(None, &env(&[("ENDRING_TIMEZONE", "Mars/Olympus")])).unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"));
        let err = Config::from_sources(None, &env(&[("ENDRING_TOKEN_TTL_HOURS", "soon")])).unwrap_err();
        assert!(err.to_string().contains("ENDRING_TOKEN_TTL_HOURS"));
        for (name, value, named) in [
            ("ENDRING_SMTP_URL", "mail.example.no:25", "smtp_url"),
            ("ENDRING_BASE_URL", "endring.example.no", "base_url"),
            ("ENDRING_MAIL_FROM", "Endring", "mail_from"),
            ("ENDRING_SESSION_KEY", "short", "session_key"),
            ("ENDRING_TOKEN_TTL_HOURS", "100000", "token_ttl_hours"),
        ] {
            let err = Config::from_sources(None, &env(&[(name, value)])).unwrap_err().to_string();
            assert!(err.contains(named), "{name}: {err}");
        }
    }
}
