//! The `endring` command line: parse, load configuration, call into the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use endring::app::Migrations;
use endring::clock::Clock;
use endring::config::Config;
use endring::domain::role::Role;
use endring::services::{self, audit::Verification, users::NewUser};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "endring", version, about = "Change advisory board (CAB) approval service")]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "ENDRING_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the web application and API.
    Serve {
        /// Address to listen on (overrides ENDRING_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fill the database with realistic demo data (CIs, users of every role, changes).
    Demo,
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Bring history in from another tool's CSV export (iTop, GLPI, or Endring's columns).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Configuration items: name, kind, criticality (1–4, or high, medium, low), owner.
    /// A CI whose name is taken is left as it is.
    Cis {
        file: PathBuf,
        #[command(flatten)]
        how: ImportArgs,
        /// The owner (an email) of CIs whose row names none.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Changes with their states, dates, people and CIs. Running it again continues an
    /// import that stopped: changes already imported (by their original id) are skipped.
    Changes {
        file: PathBuf,
        #[command(flatten)]
        how: ImportArgs,
        /// The requester (a user's email) of changes whose row names no user of Endring.
        #[arg(long)]
        requester: Option<String>,
    },
}

#[derive(clap::Args)]
struct ImportArgs {
    /// Whose export it is: endring, itop or glpi (left out: read from the headers).
    #[arg(long)]
    format: Option<endring::domain::import::Source>,
    /// Check every row and report, writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also write every rejected row (line, id, reason) to this CSV file.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// A role (repeatable): implementer, cab_member, change_manager, manager, admin.
        #[arg(long = "role")]
        roles: Vec<Role>,
        /// Password (at least 12 characters). Left out, it is asked for on a terminal, or
        /// generated and printed otherwise.
        #[arg(long)]
        password: Option<String>,
    },
    /// List users and their roles; with --email, replace that user's roles.
    Roles {
        /// The user whose roles to set.
        #[arg(long)]
        email: Option<String>,
        /// The roles to hold (repeatable; none leaves only `requester`). Needs --email.
        #[arg(long = "role", requires = "email")]
        roles: Vec<Role>,
    },
    /// Deactivate a user: their sessions and API tokens end at once, on every instance;
    /// change managers are told about the changes they were to implement.
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Reactivate a deactivated user.
    Reactivate {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole audit trail.
    Verify,
}

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    actix_web::rt::System::new().block_on(run())
}

/// glibc gives each thread that meets contention an arena of its own, up to eight per
/// core, and keeps what each has held: after the GET load `serve` held 72.8 MiB, 60.4 with
/// two arenas, at the same throughput (docs/decisions.md). Set before the first thread
/// starts, for effect (`mallopt` itself is thread-safe); `MALLOC_ARENA_MAX` in the
/// environment still decides when set.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a parameter of glibc's allocator, and takes no pointer.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // Colour codes only on a terminal: a journal or a log file gets plain lines.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Command::Serve { bind: Some(bind) } = &cli.command {
        config.bind = bind.clone();
    }
    let read_only = matches!(
        cli.command,
        Command::Audit { .. } | Command::User { command: UserCommand::Roles { email: None, .. } }
    );
    if matches!(cli.command, Command::Serve { .. }) {
        endring::app::check_serving(&config)?;
    }
    let migrations = if read_only { Migrations::Leave } else { Migrations::Apply };
    let ctx = endring::app::context(config, Clock::default(), migrations).await?;
    match cli.command {
        Command::Serve { .. } => serve(ctx).await,
        Command::Migrate => {
            println!("database is up to date");
            Ok(())
        }
        Command::User { command: UserCommand::Add { email, name, roles, password } } => {
            let (password, generated) = match password {
                Some(given) => (given, false),
                None => ask_password()?,
            };
            let roles = roles.into_iter().collect();
            let id = blocking(ctx, move |ctx| {
                services::users::add(ctx, None, NewUser { email, name, roles, password: password.clone() })
                    .map(|id| (id, password))
            })
            .await?;
            println!("added user {}", id.0);
            if generated {
                println!("password: {}", id.1);
            }
            Ok(())
        }
        Command::User { command: UserCommand::Roles { email: Some(email), roles } } => {
            let roles = roles.into_iter().collect();
            let user = blocking(ctx, move |ctx| services::users::set_roles(ctx, None, &email, roles)).await?;
            let held: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            println!("{} now holds: {}", user.email, held.join(", "));
            Ok(())
        }
        Command::User { command: UserCommand::Deactivate { email } } => {
            let done = blocking(ctx, move |ctx| {
                let id = services::accounts::id_by_email(ctx, &email)?;
                services::accounts::deactivate(ctx, None, id)
            })
            .await?;
            println!("{} is deactivated and signed out everywhere", done.email);
            if !done.flagged_changes.is_empty() {
                println!("change managers are told about: {}", done.flagged_changes.join(", "));
            }
            Ok(())
        }
        Command::User { command: UserCommand::Reactivate { email } } => {
            let shown = email.clone();
            blocking(ctx, move |ctx| {
                let id = services::accounts::id_by_email(ctx, &email)?;
                services::accounts::reactivate(ctx, None, id)
            })
            .await?;
            println!("{shown} is active again");
            Ok(())
        }
        Command::User { command: UserCommand::Roles { email: None, .. } } => {
            for user in blocking(ctx, services::users::all).await? {
                let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
                println!("{:<40} {:<30} {}", user.email, user.name, roles.join(", "));
            }
            Ok(())
        }
        Command::Demo => {
            let summary = blocking(ctx, services::demo::seed).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Import { command } => import(ctx, command).await,
        Command::Audit { command: AuditCommand::Verify } => {
            match blocking(ctx, services::audit::verify).await? {
                Verification::Intact { events } => {
                    println!("OK: {events} audit events, chain intact");
                    Ok(())
                }
                Verification::Broken { after, reason } => {
                    anyhow::bail!("BROKEN after {after} good events: {reason}")
                }
            }
        }
    }
}

/// Rejected rows printed at most; `--report` writes them all.
const REJECTED_SHOWN: usize = 100;

/// `endring import`: reads the file, imports it a batch at a time, prints the report.
/// Exits 1 when it stopped, 2 when rows were rejected, 0 otherwise.
async fn import(ctx: services::Ctx, command: ImportCommand) -> anyhow::Result<()> {
    use endring::import_file::{self, Kind};
    let (kind, file, how, requester, owner) = match command {
        ImportCommand::Cis { file, how, owner } => (Kind::Cis, file, how, None, owner),
        ImportCommand::Changes { file, how, requester } => (Kind::Changes, file, how, requester, None),
    };
    let export = import_file::read(&file)?;
    let separator = export.delimiter as char;
    eprintln!("{}: {}, separated by '{separator}'", file.display(), export.encoding);
    let options = services::import::Options {
        source: how.format,
        dry_run: how.dry_run,
        requester,
        owner,
        file: file.display().to_string(),
    };
    let run = tokio::task::spawn_blocking(move || import_file::run(&ctx, &export, kind, options)).await?;
    let (report, stopped) = match run {
        Ok(report) => (report, None),
        Err(stopped) => match stopped.report.clone() {
            Some(report) => (*report, Some(stopped)),
            None => anyhow::bail!("{stopped}"),
        },
    };
    let what = match kind {
        Kind::Cis => "CIs",
        Kind::Changes => "changes",
    };
    let source = report.source.map_or("", |s| s.as_str());
    let verb = if how.dry_run { "Would import" } else { "Imported" };
    println!(
        "{verb} {} {what} of {} rows ({source} export; {}); {} imported before, {} rejected.",
        report.imported,
        report.read,
        report.import_id,
        report.already,
        report.rejected.len()
    );
    if report.to_assess > 0 {
        println!(
            "  {} of them were scheduled or under way without a planned window: they wait for a change manager to assess and plan them.",
            report.to_assess
        );
    }
    for rejected in report.rejected.iter().take(REJECTED_SHOWN) {
        let id = if rejected.id.is_empty() { String::new() } else { format!(" ({})", rejected.id) };
        println!("  line {}{id}: {}", rejected.line, rejected.reason);
    }
    if report.rejected.len() > REJECTED_SHOWN {
        println!("  … and {} more (--report FILE lists them all)", report.rejected.len() - REJECTED_SHOWN);
    }
    if let Some(path) = how.report {
        let mut out =
            csv::Writer::from_path(&path).with_context(|| format!("cannot write {}", path.display()))?;
        out.write_record(["line", "id", "reason"])?;
        for rejected in &report.rejected {
            out.write_record([rejected.line.to_string(), rejected.id.clone(), rejected.reason.clone()])?;
        }
        out.flush()?;
    }
    if let Some(stopped) = stopped {
        anyhow::bail!("{stopped}");
    }
    if !report.rejected.is_empty() {
        std::process::exit(2);
    }
    Ok(())
}

/// Asks twice on a terminal; elsewhere (scripts, CI) generates one to print.
fn ask_password() -> anyhow::Result<(String, bool)> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Ok((services::users::generate_password(), true));
    }
    let first = rpassword::prompt_password("Password (at least 12 characters): ")?;
    let second = rpassword::prompt_password("Again: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok((first, false))
}

async fn blocking<T: Send + 'static>(
    ctx: services::Ctx,
    work: impl FnOnce(&services::Ctx) -> services::ServiceResult<T> + Send + 'static,
) -> anyhow::Result<T> {
    services::run(&ctx, work).await.map_err(|e| match e {
        services::ServiceError::Invalid(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("  {}: {}", e.field, endring::i18n::Lang::En.message(&e.message)))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        services::ServiceError::Conflict(message) | services::ServiceError::Taken { message, .. } => {
            anyhow::anyhow!(endring::i18n::Lang::En.message(&message))
        }
        other => anyhow::anyhow!("{other}"),
    })
}

async fn serve(ctx: services::Ctx) -> anyhow::Result<()> {
    let bind = ctx.config.bind.clone();
    if let Some((email, password)) = blocking(ctx.clone(), services::users::bootstrap_admin).await? {
        println!("Created the first admin account.\n  email:    {email}\n  password: {password}\nKeep it safe; it is shown only this once.");
    }
    let transport = endring::mail::transport::Transport::from_config(&ctx.config)?;
    actix_web::rt::spawn(endring::mail::worker::supervise(
        ctx.clone(),
        transport,
        std::time::Duration::from_secs(5),
    ));
    actix_web::rt::spawn(endring::webhooks::supervise(ctx.clone(), std::time::Duration::from_secs(2)));
    let listener = std::net::TcpListener::bind(&bind).with_context(|| format!("cannot listen on {bind}"))?;
    println!("Endring listens on http://{bind}");
    if let Some(warning) = endring::app::base_url_mismatch(&bind, &ctx.config.base_url) {
        tracing::warn!("{warning}");
    }
    endring::app::serve(ctx, listener)?.await?;
    Ok(())
}
