//! Storage: one diesel connection type over SQLite and PostgreSQL, the pool, embedded
//! migrations and the two transaction shapes services use (`read`, `write`).
//!
//! The backend is chosen from the URL scheme here, never by trial: a PostgreSQL URL with
//! a typo must not quietly become a SQLite file. Repositories (one file per aggregate)
//! hold all SQL and map rows to domain values.

/// Inserts `rows` (a slice or `Vec` of insertable tuples) into `table` in one statement.
/// diesel writes a multi-row INSERT for each backend's own connection, not through
/// `DbConn`, which spans both: this picks the backend's. Keep `rows` within SQLite's 32,766
/// bound parameters a statement.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(conn) => diesel::insert_into($table).values($rows).execute(conn),
            $crate::db::DbConn::Pg(conn) => diesel::insert_into($table).values($rows).execute(conn),
        }
    };
}
pub(crate) use insert_rows;

pub mod attachments;
pub mod audit;
pub mod blackouts;
pub mod cab_settings;
pub mod candidates;
pub mod changes;
pub mod cis;
pub mod closed_days;
pub mod delegations;
pub mod feeds;
pub mod imports;
pub mod incidents;
pub mod installation;
pub mod maintenance;
pub mod meetings;
pub mod notes;
pub mod outbox;
pub mod password_resets;
pub mod reminders;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod system_messages;
pub mod templates;
pub mod users;
pub mod vote_tokens;
pub mod votes;
pub mod webhooks;
pub mod within;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

/// The connection every repository takes.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

/// The PostgreSQL advisory lock key migrations hold (any fixed number; "endring" in ASCII).
const MIGRATION_LOCK: i64 = 0x0065_6e64_7269_6e67;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL `{0}` names no supported database; use sqlite://path or postgres://…")]
    UnknownScheme(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl Backend {
    /// The backend and the connection string its driver takes.
    pub fn from_url(url: &str) -> Result<(Backend, String), DbError> {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(DbError::UnknownScheme(url.to_owned()));
            }
            Ok((Backend::Sqlite, path.to_owned()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok((Backend::Postgres, url.to_owned()))
        } else {
            Err(DbError::UnknownScheme(url.to_owned()))
        }
    }
}

/// Opens connections of the configured backend, with SQLite's pragmas applied.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    target: String,
    sqlite_synchronous: &'static str,
    /// Statements run on this pool's connections (`Db::statements`).
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Counts the statements a connection runs (BEGIN and COMMIT among them): the figure
/// `/metrics` gives as `endring_db_statements_total`, and the tests' measure of how many
/// statements a request costs. `RUST_LOG=endring::sql=trace` logs each, with its binds.
struct Counting(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl diesel::connection::Instrumentation for Counting {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::trace!(target: "endring::sql", "{query}");
        }
    }
}

impl Manager {
    fn open(&self) -> Result<DbConn, DbError> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target)?;
                conn.batch_execute("PRAGMA busy_timeout = 15000;")?;
                // A 1 MiB page cache a connection (SQLite's default is 2 MiB): the pool
                // holds eight, and the kernel caches the file anyway (docs/decisions.md).
                // Temporary storage stays SQLite's default (a file, made only if a
                // temporary b-tree outgrows memory): `temp_store = MEMORY` made reading
                // one change 12 % slower under load, measured (docs/decisions.md).
                // Turning a new file to WAL needs the database to itself, and SQLite answers
                // "database is locked" at once, without its busy handler, while another
                // process starting on the same new file holds it (seen with four CLI
                // commands started together): tried again for up to the busy timeout.
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -1024;",
                    self.sqlite_synchronous
                );
                let started = std::time::Instant::now();
                loop {
                    match conn.batch_execute(&pragmas) {
                        Err(e) if is_locked(&e) && started.elapsed() < Duration::from_secs(15) => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        done => break done?,
                    }
                }
                conn.set_instrumentation(Counting(self.statements.clone()));
                Ok(DbConn::Sqlite(conn))
            }
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.target)?;
                conn.set_instrumentation(Counting(self.statements.clone()));
                Ok(DbConn::Pg(conn))
            }
        }
    }
}

/// Whether SQLite refused for a lock another connection holds.
fn is_locked(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DatabaseError(_, info) if info.message().contains("locked"))
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.open().map_err(|e| match e {
            DbError::Connect(e) => r2d2::Error::ConnectionError(e),
            DbError::Query(e) => r2d2::Error::QueryError(e),
            other => r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(other.to_string())),
        })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection whose thread panicked, or that is left inside a transaction, is
    /// dropped rather than handed to the next request (it may hold the write lock).
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type Conn = PooledConnection<Manager>;

/// Prepares OpenSSL for libpq; call before the process's first PostgreSQL connection
/// (`Db::connect` does). libpq speaks TLS through the vendored OpenSSL, which by default
/// frees its state in an `atexit` handler while pool threads may still be reading a TLS
/// connection: the process then dies with SIGSEGV on its way out (seen in CI, after every
/// test had passed). Initialised here first, OpenSSL is told not to (`openssl_sys::init`
/// passes `OPENSSL_INIT_NO_ATEXIT`); the first initialisation decides.
pub fn init_tls() {
    openssl_sys::init();
}

/// The pool, and the transactions services run in.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite's writers take turns here before they take a connection (see `turn`).
    writers: std::sync::Arc<std::sync::Mutex<()>>,
    /// Committed transactions through this pool that wrote system messages
    /// (`message_writes`).
    message_writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Statements run through this pool (`statements`).
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

thread_local! {
    /// Whether this thread is inside a write (`Db::write`, `Db::write_unordered`): only
    /// the outermost one commits.
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The outermost write of a thread; when it ends (committed or not), a write to the
/// system messages inside it is counted (`Db::message_writes`).
struct Outermost<'a> {
    db: Option<&'a Db>,
}

impl Drop for Outermost<'_> {
    fn drop(&mut self) {
        if let Some(db) = self.db {
            WRITING.with(|writing| writing.set(false));
            if system_messages::take_written() {
                db.message_writes.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
        }
    }
}

thread_local! {
    /// Whether this thread holds the writers' turn (a write inside a write does not wait
    /// for itself).
    static HOLDS_TURN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A writer's turn on SQLite, given back when dropped.
struct Turn<'a> {
    guard: Option<std::sync::MutexGuard<'a, ()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if self.guard.is_some() {
            HOLDS_TURN.with(|holds| holds.set(false));
        }
    }
}

impl Db {
    /// Connects once directly (so a wrong password is reported as such), then pools.
    pub fn connect(url: &str, pool_size: u32, sqlite_synchronous: &str) -> Result<Db, DbError> {
        let (backend, target) = Backend::from_url(url)?;
        if backend == Backend::Postgres {
            init_tls();
        }
        let manager = Manager {
            backend,
            target,
            sqlite_synchronous: if sqlite_synchronous == "normal" { "NORMAL" } else { "FULL" },
            statements: Default::default(),
        };
        drop(manager.open()?);
        let statements = manager.statements.clone();
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(15))
            // A PostgreSQL connection may have been closed by the server since it was last
            // used, and `SELECT 1` finds out before a request does; a SQLite connection to
            // a local file cannot be, and the check was one more statement per request.
            .test_on_check_out(backend == Backend::Postgres)
            .build(manager)?;
        Ok(Db { pool, backend, writers: Default::default(), message_writes: Default::default(), statements })
    }

    /// On SQLite, waits for this process's other writers to finish before a write begins.
    /// SQLite lets one writer in at a time and makes the others poll, sleeping longer each
    /// time (its busy handler: 1, 2, 5 … 100 ms): under many concurrent writes some waited
    /// seconds while the median write took a millisecond. Waiting here instead, on a lock
    /// that wakes the next writer as soon as one commits, keeps each wait to the writes
    /// ahead of it; and a waiting writer holds no pooled connection, so reads go on. Other
    /// processes on the same file (the CLI) still meet the busy handler. PostgreSQL needs
    /// none of this: its row lock on the audit head queues writers itself.
    /// How many transactions through this pool have written system messages, counted
    /// after each commits: a rendering made from what was read before the count moved is
    /// stale (`services::system_messages::Rendered`).
    pub fn message_writes(&self) -> u64 {
        self.message_writes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// How many statements this pool's connections have run since it opened (BEGIN and
    /// COMMIT count; the pragmas of a new SQLite connection do not).
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn outermost(&self) -> Outermost<'_> {
        let outer = !WRITING.with(|writing| writing.replace(true));
        Outermost { db: outer.then_some(self) }
    }

    fn turn(&self) -> Turn<'_> {
        if self.backend != Backend::Sqlite || HOLDS_TURN.with(|holds| holds.get()) {
            return Turn { guard: None };
        }
        let guard = self.writers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        HOLDS_TURN.with(|holds| holds.set(true));
        Turn { guard: Some(guard) }
    }

    pub fn conn(&self) -> Result<Conn, DbError> {
        let asked = std::time::Instant::now();
        let conn = self.pool.get();
        metrics::histogram!("endring_db_pool_wait_seconds").record(asked.elapsed().as_secs_f64());
        Ok(conn?)
    }

    fn migrations(&self) -> EmbeddedMigrations {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => PG_MIGRATIONS,
        }
    }

    /// Applies pending migrations of this backend. Processes starting together take
    /// turns: the first migrates under a lock (PostgreSQL: an advisory lock; SQLite: the
    /// database's write lock, taken at once), the others wait for it and then find nothing
    /// left to do.
    pub fn migrate(&self) -> Result<usize, DbError> {
        let mut pooled = self.conn()?;
        let harness = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
        match &mut *pooled {
            DbConn::Sqlite(conn) => conn.immediate_transaction(|conn| {
                conn.run_pending_migrations(SQLITE_MIGRATIONS).map(|versions| versions.len()).map_err(harness)
            }),
            DbConn::Pg(conn) => {
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
                let applied = conn
                    .run_pending_migrations(PG_MIGRATIONS)
                    .map(|versions| versions.len())
                    .map_err(harness);
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
                applied
            }
        }
    }

    /// Reverts every migration (used by the migration round-trip test).
    pub fn revert_all(&self) -> Result<usize, DbError> {
        let mut conn = self.conn()?;
        let reverted =
            conn.revert_all_migrations(self.migrations()).map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(reverted.len())
    }

    /// A read-only unit of work in one transaction (one consistent snapshot on SQLite).
    pub fn read<T, E>(&self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error> + From<DbError>,
    {
        let mut pooled = self.conn()?;
        let conn: &mut DbConn = &mut pooled;
        conn.transaction(work)
    }

    /// A read of plain queries in one transaction.
    pub fn query<T>(&self, work: impl FnOnce(&mut DbConn) -> QueryResult<T>) -> Result<T, DbError> {
        self.read(|conn| work(conn).map_err(DbError::from))
    }

    /// A lookup of one statement, outside a transaction: a single statement sees one
    /// consistent state by itself, and BEGIN and COMMIT around it would be two statements
    /// more (two round trips more on PostgreSQL) on every request that authenticates.
    pub fn lookup<T>(&self, work: impl FnOnce(&mut DbConn) -> QueryResult<T>) -> Result<T, DbError> {
        let mut pooled = self.conn()?;
        work(&mut pooled).map_err(DbError::from)
    }

    /// A small write that needs no order with other writes (a session's last use): it
    /// does not take the audit chain's head row, so on PostgreSQL it waits for no other
    /// writer; on SQLite its first statement, a write, takes the database's lock as any
    /// write does (waiting up to `busy_timeout`).
    pub fn write_unordered<T>(&self, work: impl FnOnce(&mut DbConn) -> QueryResult<T>) -> Result<T, DbError> {
        let _outermost = self.outermost();
        let _turn = self.turn();
        let mut pooled = self.conn()?;
        let conn: &mut DbConn = &mut pooled;
        conn.transaction(|conn| work(conn).map_err(DbError::from))
    }

    /// A unit of work that writes. Its first statement takes the write lock: the update of
    /// the audit chain's head row. On PostgreSQL that row lock serialises writers (and so
    /// the hash chain and per-change decisions); on SQLite a write as first statement
    /// acquires the database's write lock at once, as `BEGIN IMMEDIATE` would, waiting up
    /// to `busy_timeout`. Everything `work` then reads is current. See docs/decisions.md.
    pub fn write<T, E>(&self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error> + From<DbError>,
    {
        let _outermost = self.outermost();
        let _turn = self.turn();
        let mut pooled = self.conn()?;
        let conn: &mut DbConn = &mut pooled;
        conn.transaction(|conn| {
            audit::lock_head(conn)?;
            work(conn)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_comes_from_the_scheme() {
        assert_eq!(Backend::from_url("sqlite://endring.db").unwrap(), (Backend::Sqlite, "endring.db".into()));
        assert_eq!(
            Backend::from_url("sqlite:/var/lib/e.db").unwrap(),
            (Backend::Sqlite, "/var/lib/e.db".into())
        );
        let pg = "postgres://u:p@db/endring";
        assert_eq!(Backend::from_url(pg).unwrap(), (Backend::Postgres, pg.into()));
        assert_eq!(Backend::from_url("postgresql://db/e").unwrap().0, Backend::Postgres);
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |backend: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
            names.sort();
            names
        };
        assert_eq!(names("sqlite"), names("postgres"));
        assert!(!names("sqlite").is_empty());
    }

    #[test]
    fn a_mistyped_url_is_an_error_not_a_new_sqlite_file() {
        for url in ["postgres:/db", "postgress://db/e", "mysql://db/e", "endring.db", "sqlite://"] {
            let err = Backend::from_url(url).unwrap_err();
            assert!(err.to_string().contains(url), "{err}");
        }
    }

    #[test]
    fn a_wrong_postgres_password_is_reported_as_such() {
        // Nothing listens on port 1: the driver's own message comes through.
        let Err(err) = Db::connect("postgres://nobody:wrong@127.0.0.1:1/none", 1, "full") else {
            panic!("connected to nothing");
        };
        assert!(err.to_string().starts_with("cannot connect to the database"), "{err}");
        assert!(!err.to_string().contains("multiconnection"), "{err}");
    }
}
