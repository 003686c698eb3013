//! Building and running the server from a `Config`.

use crate::authz::Authz;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::services::Ctx;
use actix_web::{middleware, web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;

/// Whether building the context brings the schema up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    Apply,
    /// For read-only commands (`audit verify`, `user roles`): a newer binary used only to
    /// inspect must not change a production schema.
    Leave,
}

/// Connects, migrates if asked, and loads the policy: everything a service needs.
pub async fn context(config: Config, clock: Clock, migrations: Migrations) -> anyhow::Result<Ctx> {
    let db = Db::connect(&config.database_url, config.database_pool_size, &config.sqlite_synchronous)?;
    if migrations == Migrations::Apply {
        let url = config.database_url.clone();
        let migrate = db.clone();
        let applied = tokio::task::spawn_blocking(move || migrate.migrate()).await??;
        if applied > 0 {
            tracing::info!(applied, database = %redact(&url), "applied migrations");
        }
    }
    let authz = Arc::new(Authz::load().await?);
    let ctx = Ctx {
        db,
        authz,
        clock,
        config: Arc::new(config),
        sign_in: Default::default(),
        worker: Default::default(),
        installation: Default::default(),
        published: Default::default(),
    };
    // Read the installation's id now, off the async workers, rather than on first mail.
    let warm = ctx.clone();
    tokio::task::spawn_blocking(move || warm.uid_domain()).await?;
    Ok(ctx)
}

/// What `serve` needs beyond what every command needs: on PostgreSQL, where any number of
/// instances share the database, a session key they all share — with a key made at
/// start, each instance would refuse the others' cookies and sign their users out.
pub fn check_serving(config: &Config) -> anyhow::Result<()> {
    let (backend, _) = crate::db::Backend::from_url(&config.database_url)?;
    if backend == crate::db::Backend::Postgres && config.session_key.is_none() {
        anyhow::bail!(
            "on PostgreSQL, set ENDRING_SESSION_KEY (or session_key in the configuration file) to the \
             same secret on every instance, e.g. the output of `openssl rand -hex 32`; without it \
             each instance would sign out the users of the others"
        );
    }
    Ok(())
}

/// Why links in emails and feeds may not reach a service bound to `bind`: they are made
/// from `base_url`, which names another port, or a loopback host while the service
/// listens elsewhere. `None` when they agree (or a proxy in front may make them agree).
pub fn base_url_mismatch(bind: &str, base_url: &str) -> Option<String> {
    let (bind_host, bind_port) = bind.rsplit_once(':')?;
    let authority = base_url.split("://").nth(1)?.split('/').next()?;
    let https = base_url.starts_with("https://");
    let (base_host, base_port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (host, port.to_owned()),
        _ => (authority, if https { "443" } else { "80" }.to_owned()),
    };
    let loopback = |host: &str| matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    let wildcard = matches!(bind_host, "0.0.0.0" | "[::]" | "::");
    let reason = if loopback(base_host) && !loopback(bind_host) {
        format!("it names {base_host}, which only this machine reaches, while the service listens on {bind}")
    } else if !https && base_port != bind_port && (loopback(base_host) || wildcard || bind_host == base_host)
    {
        format!("it names port {base_port}, while the service listens on {bind}")
    } else {
        return None;
    };
    Some(format!(
        "ENDRING_BASE_URL is {base_url}: {reason}. Links in emails and calendar feeds are made from it; \
         set ENDRING_BASE_URL to the address people use to reach this service."
    ))
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

/// Headers every answer carries: no framing, no sniffing, no referrer to other sites, and a
/// content policy that allows only the service's own stylesheet (there is no script).
/// Behind TLS, browsers are told to come back only over TLS for a year
/// (Strict-Transport-Security).
fn security_headers(provider: Option<&str>, https: bool) -> middleware::DefaultHeaders {
    // A form may lead to this site, and to the identity provider (signing out there is a
    // redirect from the sign-out form, which `form-action` governs too).
    let form_action = match provider {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let headers = middleware::DefaultHeaders::new()
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Content-Security-Policy", policy));
    match https {
        true => headers.add(("Strict-Transport-Security", "max-age=31536000")),
        false => headers,
    }
}

/// The scheme, host and port of `url` (`https://login.example.no`), for a policy.
fn origin(url: &str) -> Option<String> {
    let parsed = openidconnect::url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization()).filter(|o| o != "null")
}

/// The request line for the log, with credentials masked: email-link tokens in the path
/// and calendar-feed tokens in the query.
fn logged_request(req: &actix_web::dev::ServiceRequest) -> String {
    format!("{} {}", req.method(), masked(req.uri().path_and_query().map_or("/", |p| p.as_str())))
}

fn masked(target: &str) -> String {
    if let Some(at) = target.find("/vote/") {
        return format!("{}/vote/…", &target[..at]);
    }
    if let Some(at) = target.find("/sign-in/reset/") {
        return format!("{}/sign-in/reset/…", &target[..at]);
    }
    if let Some(rest) = target.strip_prefix("/sign-in/oidc/callback") {
        return format!("/sign-in/oidc/callback{}", if rest.is_empty() { "" } else { "?…" });
    }
    match target.split_once('?') {
        Some((path, query)) if query.split('&').any(|pair| pair.starts_with("token=")) => {
            let query: Vec<&str> = query
                .split('&')
                .map(|pair| if pair.starts_with("token=") { "token=…" } else { pair })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        _ => target.to_owned(),
    }
}

/// Serves HTTP on `listener` until the process is asked to stop (graceful shutdown).
pub fn serve(ctx: Ctx, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let key = crate::web::session::key(ctx.config.session_key.as_deref());
    let secure = ctx.config.base_url.starts_with("https://");
    let provider = crate::web::oidc::Oidc::from_config(&ctx.config)
        .map_err(|e| std::io::Error::other(format!("the identity provider's settings: {e:#}")))?
        .map(web::Data::new);
    let provider_origin = ctx.config.oidc_issuer.as_deref().and_then(origin);
    let body_limit = std::time::Duration::from_secs(ctx.config.request_body_secs.into());
    let large_body = ctx.config.attachment_max_bytes() as u64;
    let metrics_on = ctx.config.metrics_token.is_some();
    if metrics_on {
        crate::metrics::install();
    }
    // A request's blocking work is mostly database work: threads beyond the pool's
    // connections would only wait for one, each with its stack and allocator arena
    // (actix's default is 512 divided by the cores, a worker). A few more than the pool,
    // for the rest (password hashing, rendering, files).
    let blocking_threads = ctx.config.database_pool_size as usize + 8;
    let data = web::Data::new(ctx);
    let device_key = web::Data::new(crate::web::session::DeviceKey::from_session_key(&key));
    let server = HttpServer::new(move || {
        let app = App::new().app_data(data.clone()).app_data(device_key.clone());
        let app = match &provider {
            Some(provider) => app.app_data(provider.clone()),
            None => app,
        };
        app.wrap(middleware::from_fn(move |req, next| {
            crate::web::deadline::bounded(body_limit, large_body, req, next)
        }))
        .wrap(crate::web::session::middleware(key.clone(), secure))
        .wrap(security_headers(provider_origin.as_deref(), secure))
        // Counted only when /metrics is on: no work per request otherwise.
        .wrap(middleware::Condition::new(metrics_on, middleware::from_fn(crate::web::metrics::measured)))
        .wrap(
            middleware::Logger::new("%{request}xi %s %Dms")
                .custom_request_replace("request", logged_request)
                .exclude("/healthz"),
        )
        .configure(crate::web::configure)
    })
    .listen(listener)?
    .worker_max_blocking_threads(blocking_threads)
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

#[cfg(test)]
mod base_url_tests {
    use super::base_url_mismatch;

    #[test]
    fn a_bind_address_that_the_base_url_does_not_reach_is_named() {
        assert_eq!(base_url_mismatch("127.0.0.1:8080", "http://127.0.0.1:8080"), None);
        assert_eq!(base_url_mismatch("0.0.0.0:8080", "https://endring.kommune.no"), None, "behind a proxy");
        assert_eq!(base_url_mismatch("10.0.0.5:9000", "http://10.0.0.5:9000/"), None);
        let port = base_url_mismatch("127.0.0.1:9000", "http://127.0.0.1:8080").unwrap();
        assert!(port.contains("port 8080"), "{port}");
        let host = base_url_mismatch("0.0.0.0:8080", "http://127.0.0.1:8080").unwrap();
        assert!(host.contains("only this machine reaches"), "{host}");
    }
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn credentials_never_reach_the_request_log() {
        assert_eq!(masked("/vote/abc123"), "/vote/…");
        assert_eq!(masked("/calendar.ics?token=secret&x=1"), "/calendar.ics?token=…&x=1");
        assert_eq!(masked("/changes?q=token"), "/changes?q=token");
    }
}
