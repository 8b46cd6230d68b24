//! Storage: one concrete [`Store`] over SQLite (the embedded default) or
//! Postgres, chosen once from the database URL; each operation lives, under
//! one name, in the file that owns its tables. Records from sources are upserted
//! under their unique `(source, external_id)`, in batched transactions with
//! multi-row statements, so reading the same data twice changes nothing.

mod bulk;
mod buttons;
mod call_legs;
mod call_row;
mod day_figures;
mod db;
mod directory;
mod in_list;
mod kpi_schemes;
mod links;
mod load;
mod open_now;
mod outbox;
mod postgres;
mod pulls;
mod reads;
mod records;
mod runs;
mod sqlite;
mod sqlite_rows;
mod stale_days;
mod statistics;
mod upsert;
mod upsert_sql;
mod withdraw;
mod yardstick;

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::config::redact_url;
use crate::sources::Rejected;
pub use buttons::KeptButton;
pub use day_figures::{CellParts, DayCell};
pub use db::SessionLock;
pub use load::{Dataset, FEW_PEOPLE, POSTPONEMENT_LOOKBACK_DAYS, Reading, ScopeQuery};
pub use open_now::{DueTask, OpenNow, OpenNowQuery, PersonOpen, StuckRow};
pub use outbox::{Sent, SentMessage};
pub use statistics::ANALYZE_AFTER_ROWS;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "database URL {0} is neither sqlite://FILE nor postgres://USER@HOST/DB (set database_url in the config)"
    )]
    UnknownScheme(String),
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database holds a record this version cannot read ({0}); was it written by a newer salespulse?"
    )]
    Corrupt(String),
    #[error("cannot use the lock file {0}")]
    Io(String),
    #[error("database error while {doing}: {source}")]
    Query {
        doing: &'static str,
        source: sqlx::Error,
    },
    #[error("database error while {doing}: {message} (SQLite code {code})")]
    Sqlite {
        doing: &'static str,
        code: i32,
        message: String,
    },
}

pub type Result<T> = std::result::Result<T, StorageError>;

fn query_err(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Query { doing, source }
}

/// What an upsert did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for Upserted {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// A KPI scheme as recorded when its month arrived.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordedScheme {
    pub position: String,
    /// `2026-11`.
    pub from_month: String,
    /// The scheme's canonical JSON.
    pub scheme: String,
    pub recorded_at: i64,
}

/// A team's open deals at one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeals {
    pub stage: String,
    pub deals: i64,
    pub amount_minor: i64,
}

/// A row to add to the outbox at a firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxRow {
    pub recipient: Recipient,
    /// What to send, rendered at the firing (JSON).
    pub payload: String,
}

/// Who an outbox row goes to, stored as `telegram:-100777`,
/// `email:owner@example.com` or `file:moscow` (a firing sends to each once).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    Telegram(i64),
    Email(String),
    /// A team's report written to the output folder.
    File(String),
}

impl Recipient {
    /// The channel it goes out through.
    pub fn channel(&self) -> Channel {
        match self {
            Recipient::Telegram(_) => Channel::Telegram,
            Recipient::Email(_) => Channel::Email,
            Recipient::File(_) => Channel::File,
        }
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Telegram(chat) => write!(f, "telegram:{chat}"),
            Recipient::Email(to) => write!(f, "email:{to}"),
            Recipient::File(team) => write!(f, "file:{team}"),
        }
    }
}

impl TryFrom<String> for Recipient {
    type Error = StorageError;
    fn try_from(stored: String) -> Result<Self> {
        let parsed = match stored.split_once(':') {
            Some(("telegram", chat)) => chat.parse().ok().map(Recipient::Telegram),
            Some(("email", to)) => Some(Recipient::Email(to.to_owned())),
            Some(("file", team)) => Some(Recipient::File(team.to_owned())),
            _ => None,
        };
        parsed.ok_or_else(|| StorageError::Corrupt(format!("outbox recipient {stored:?}")))
    }
}

/// A firing as the scheduler decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiringRecord<'a> {
    pub schedule: &'a str,
    /// The firing's local wall time, its key (`2026-11-23T09:00`).
    pub slot: &'a str,
    pub status: FiringStatus,
    pub due_at: DateTime<Utc>,
    pub detail: Option<&'a str>,
}

/// An outbox row claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub schedule: String,
    pub slot: String,
    #[sqlx(try_from = "String")]
    pub recipient: Recipient,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub payload: String,
    /// Parts (messages) of the payload sent before, by an earlier claim.
    pub parts_sent: i64,
    /// Claims so far, this one included.
    pub attempts: i64,
}

/// Outbox rows by channel and status (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxCount {
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: OutboxStatus,
    pub rows: i64,
}

/// A schedule's firings by what became of them (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FiringCount {
    pub schedule: String,
    #[sqlx(try_from = "String")]
    pub status: FiringStatus,
    pub rows: i64,
}

/// A table and how many rows it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub rows: i64,
}

/// Statuses stored as words in a text column: each has its word, and a word
/// read back that names none is a record this version cannot read.
macro_rules! stored_words {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl TryFrom<String> for $name {
            type Error = StorageError;
            fn try_from(word: String) -> Result<Self> {
                match word.as_str() {
                    $($word => Ok($name::$variant),)+
                    _ => Err(StorageError::Corrupt(format!(
                        concat!(stringify!($name), " {:?}"),
                        word
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_words!(
    /// What the scheduler decided of a firing.
    FiringStatus { Fired = "fired", Missed = "missed", Failed = "failed" }
);
stored_words!(
    /// The way an outbox row goes out.
    Channel { Telegram = "telegram", Email = "email", File = "file" }
);
stored_words!(
    /// Where an outbox row is on its way out.
    OutboxStatus { Pending = "pending", Sending = "sending", Sent = "sent", Failed = "failed" }
);

/// A source's ingestion runs (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunStat {
    pub source: String,
    pub runs: i64,
    /// When its last run finished (epoch seconds), if one did.
    pub last_finished: Option<i64>,
    /// Records inserted or updated over all runs.
    pub rows_stored: i64,
}

/// What became of an invite code offered in `/start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// Linked to this employee now.
    Linked(String),
    Unknown,
    Expired,
    /// Used before (by this Telegram account or another).
    Used,
}

/// The totals of one ingestion run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTotals {
    pub rows_read: u64,
    pub upserted: Upserted,
    pub rejected: u64,
    /// Records kept without an employee: their agent or owner is not mapped.
    pub unmapped: u64,
}

pub type RunId = i64;

/// The store every caller holds: one database (SQLite or Postgres), its
/// operations in the files that own their tables (`runs`, `upsert`,
/// `outbox`, `links`, `pulls`, `load`, ...).
pub struct Store {
    pool: db::Pool,
    /// Team yardsticks computed lately (see `yardstick.rs`).
    yardsticks: yardstick::Cache,
    /// The bulk-load lock while this process has indexes down (`bulk.rs`).
    bulk_hold: bulk::Hold,
    /// The calls a bulk load into an empty table wrote (`bulk.rs`).
    fresh_calls: bulk::FreshKeys,
    /// Rows written per table since its statistics were gathered (`statistics.rs`).
    written: statistics::Written,
    /// The earliest instant records written lately can change (`day_figures.rs`).
    dirty: stale_days::Dirty,
    /// The last count of open work, for the parts of one request (`open_now.rs`).
    open_memo: open_now::OpenMemo,
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

impl Store {
    fn new(pool: db::Pool) -> Self {
        Self {
            pool,
            yardsticks: Default::default(),
            bulk_hold: Default::default(),
            fresh_calls: Default::default(),
            written: Default::default(),
            dirty: Default::default(),
            open_memo: Default::default(),
        }
    }

    fn dialect(&self) -> db::Dialect {
        self.pool.dialect()
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.dialect() {
            db::Dialect::Sqlite => "sqlite",
            db::Dialect::Postgres => "postgres",
        }
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            db::Pool::Sqlite { writer, .. } => self.migrate_sqlite(writer).await?,
            db::Pool::Postgres(p) => postgres::MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// Takes the lock `key` for this process (one Telegram poller among
    /// several instances); `None` when another process holds it.
    pub async fn try_session_lock(&self, key: i64) -> Result<Option<SessionLock>> {
        self.pool
            .try_session_lock(key)
            .await
            .map_err(query_err("taking a session lock"))
    }

    /// Row counts of every table, in schema order.
    pub async fn table_counts(&self) -> Result<Vec<TableCount>> {
        // Numbered branches: UNION ALL alone does not promise an order.
        let branches: Vec<String> = TABLES
            .iter()
            .enumerate()
            .map(|(i, t)| format!("SELECT {i} AS k, (SELECT COUNT(*) FROM {t}) AS n"))
            .collect();
        let sql = format!(
            "SELECT n FROM ({}) AS counts ORDER BY k",
            branches.join(" UNION ALL ")
        );
        let rows: Vec<Count> = self
            .pool
            .fetch_all(&sql, &[])
            .await
            .map_err(query_err("counting rows"))?;
        Ok(TABLES
            .iter()
            .zip(rows)
            .map(|(table, c)| TableCount { table, rows: c.n })
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        // Indexes still down are left to the next process to build.
        self.release_bulk_lock();
    }
}

/// Tables `table_counts` reports, in schema order.
pub const TABLES: &[&str] = &[
    "teams",
    "employees",
    "ingest_runs",
    "ingest_errors",
    "calls",
    "crm_users",
    "deals",
    "stage_changes",
    "tasks",
    "task_postponements",
    "activities",
    "comments",
];

/// Secondary indexes of SQLite tables that bulk loads may drop and rebuild:
/// (name, table, columns). They match the migration that creates them.
pub const SQLITE_BULK_INDEXES: &[(&str, &str, &str)] = &[
    ("calls_employee_time", "calls", "employee_id, started_at"),
    ("calls_number_time", "calls", "number, started_at"),
];

/// Opens the database the URL names (creating a SQLite file if missing) and
/// brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<Store>> {
    let pool = if url.starts_with("sqlite:") {
        sqlite::connect(url).await?
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::connect(url).await?
    } else {
        return Err(StorageError::UnknownScheme(redact_url(url)));
    };
    let store = Store::new(pool);
    store.migrate().await?;
    // A bulk load cut short leaves indexes missing: put them back, unless a
    // load of another process is running (it will).
    store.restore_bulk_indexes().await?;
    Ok(Arc::new(store))
}
