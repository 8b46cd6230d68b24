//! Storage: one trait, with SQLite (the embedded default) and Postgres behind
//! it, chosen once from the database URL. Records from sources are upserted
//! under their unique `(source, external_id)`, in batched transactions with
//! multi-row statements, so reading the same data twice changes nothing.

mod bulk;
mod call_legs;
mod call_row;
mod db;
mod kpi_schemes;
mod links;
mod load;
mod outbox;
mod postgres;
mod pulls;
mod records;
mod sql_store;
mod sqlite;
mod upsert;
mod upsert_sql;
mod withdraw;
mod yardstick;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;

use crate::config::redact_url;
use crate::domain::{
    Activity, Call, Comment, CrmUser, Deal, Employee, StageChange, Task, TaskPostponement, Team,
};
use crate::sources::Rejected;
pub use db::SessionLock;
pub use load::{Dataset, POSTPONEMENT_LOOKBACK_DAYS, ScopeQuery};

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
    /// `telegram:-100777`, `email:owner@example.com`, `file:moscow`.
    pub recipient: String,
    /// `telegram`, `email` or `file`.
    pub channel: String,
    /// What to send, rendered at the firing (JSON).
    pub payload: String,
}

/// A firing as the scheduler decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiringRecord<'a> {
    pub schedule: &'a str,
    /// The firing's local wall time, its key (`2026-11-23T09:00`).
    pub slot: &'a str,
    /// `fired`, `missed` or `failed`.
    pub status: &'a str,
    pub due_at: DateTime<Utc>,
    pub detail: Option<&'a str>,
}

/// An outbox row claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub schedule: String,
    pub slot: String,
    pub recipient: String,
    pub channel: String,
    pub payload: String,
    /// Parts (messages) of the payload sent before, by an earlier claim.
    pub parts_sent: i64,
    /// Claims so far, this one included.
    pub attempts: i64,
}

/// Outbox rows by channel and status (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxCount {
    pub channel: String,
    pub status: String,
    pub rows: i64,
}

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

#[async_trait]
pub trait Storage: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Brings the schema up to date.
    async fn migrate(&self) -> Result<()>;
    /// Writes the config's teams and employees, so reports can join on them.
    async fn sync_directory(&self, teams: &[Team], employees: &[Employee]) -> Result<()>;

    async fn start_run(
        &self,
        source: &str,
        kind: &str,
        target: &str,
        at: DateTime<Utc>,
    ) -> Result<RunId>;
    async fn finish_run(&self, run: RunId, totals: &RunTotals, at: DateTime<Utc>) -> Result<()>;
    /// Records rows set aside; one entry per (source, file, line, record).
    async fn record_rejects(&self, run: RunId, source: &str, rejects: &[Rejected]) -> Result<()>;
    /// The rows set aside for a source, in file and line order.
    async fn rejects(&self, source: &str) -> Result<Vec<Rejected>>;

    async fn upsert_calls(&self, run: RunId, rows: &[Call]) -> Result<Upserted>;
    async fn upsert_crm_users(&self, run: RunId, rows: &[CrmUser]) -> Result<Upserted>;
    async fn upsert_deals(&self, run: RunId, rows: &[Deal]) -> Result<Upserted>;
    async fn upsert_stage_changes(&self, run: RunId, rows: &[StageChange]) -> Result<Upserted>;
    async fn upsert_tasks(&self, run: RunId, rows: &[Task]) -> Result<Upserted>;
    async fn upsert_postponements(
        &self,
        run: RunId,
        rows: Vec<TaskPostponement>,
    ) -> Result<Upserted>;
    async fn upsert_activities(&self, run: RunId, rows: &[Activity]) -> Result<Upserted>;
    /// Removes these activities where they are stored as meetings held;
    /// returns how many were.
    async fn remove_meetings(&self, rows: &[Activity]) -> Result<u64>;
    async fn upsert_comments(&self, run: RunId, rows: &[Comment]) -> Result<Upserted>;

    /// The KPI schemes recorded so far.
    async fn kpi_schemes(&self) -> Result<Vec<RecordedScheme>>;
    /// Records schemes: those of months after `after` (`2026-11`) are
    /// replaced wholesale by the ones given (the future may change); a
    /// recorded scheme of `after` or earlier is never changed.
    async fn record_kpi_schemes(&self, after: &str, schemes: &[RecordedScheme]) -> Result<()>;

    /// Stores a one-time invite code for `employee_id`.
    async fn create_invite(
        &self,
        code: &str,
        employee_id: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Uses an invite code once, linking `telegram_id` to its employee.
    async fn redeem_invite(
        &self,
        code: &str,
        telegram_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Redeemed>;
    /// The employee a Telegram account was linked to.
    async fn telegram_link(&self, telegram_id: i64) -> Result<Option<String>>;
    /// Marks a chat that refused the bot (`None` clears the mark).
    async fn set_chat_disabled(
        &self,
        chat_id: i64,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Why a chat is not sent to, when it is not.
    async fn chat_disabled(&self, chat_id: i64) -> Result<Option<String>>;
    /// Stores a day's self-report (figures as JSON); a later one replaces it.
    async fn store_self_report(
        &self,
        employee_id: &str,
        day: NaiveDate,
        figures: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The self-report of a day, as stored.
    async fn self_report(&self, employee_id: &str, day: NaiveDate) -> Result<Option<String>>;

    /// Open deals per stage of `employees` created by `now`, counted in the
    /// database (the yardstick of a person's bottleneck).
    async fn open_deals_by_stage(
        &self,
        employees: &[String],
        open_stages: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<OpenDeals>>;
    /// A number that changes whenever an ingestion run starts or finishes:
    /// what was computed from the data under an older number may be stale.
    async fn data_version(&self) -> Result<i64>;

    /// How far the scheduler has looked at a schedule's firings.
    async fn schedule_mark(&self, schedule: &str) -> Result<Option<DateTime<Utc>>>;
    /// Moves a schedule's mark forward (never back).
    async fn set_schedule_mark(&self, schedule: &str, last_seen: DateTime<Utc>) -> Result<()>;
    /// Whether a firing was recorded (by any instance).
    async fn firing_recorded(&self, schedule: &str, slot: &str) -> Result<bool>;
    /// Records a firing and its outbox rows at once; `false` (and nothing
    /// added) when the firing was recorded before.
    async fn record_firing(
        &self,
        firing: &FiringRecord<'_>,
        now: DateTime<Utc>,
        rows: &[NewOutboxRow],
    ) -> Result<bool>;
    /// Claims up to `limit` outbox rows that are due, or whose lease ran
    /// out, and that have been claimed fewer than `max_attempts` times.
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        max_attempts: i64,
    ) -> Result<Vec<OutboxRow>>;
    /// Marks failed the rows whose last allowed claim ran out (the worker
    /// died or hung mid-send), and returns them.
    async fn outbox_exhausted(
        &self,
        now: DateTime<Utc>,
        max_attempts: i64,
        error: &str,
    ) -> Result<Vec<OutboxRow>>;
    /// Records that the first `parts_sent` parts of a claimed row went out,
    /// and extends the claim to `lease_until`; `false` when `worker` no
    /// longer holds the row or its lease ran out by `now`: then it must not
    /// send any more of it.
    async fn outbox_progress(
        &self,
        id: i64,
        worker: &str,
        parts_sent: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Marks a claimed row sent.
    async fn outbox_sent(&self, id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Gives a claimed row back, to be tried again at `next_at`.
    async fn outbox_retry(
        &self,
        id: i64,
        worker: &str,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool>;
    /// Marks a claimed row failed for good.
    async fn outbox_failed(&self, id: i64, worker: &str, error: &str) -> Result<bool>;
    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>>;
    /// Firings by status (`fired`, `missed`, `failed`), as `OutboxCount`
    /// rows with the schedule in `channel`.
    async fn firing_counts(&self) -> Result<Vec<OutboxCount>>;
    /// Each source's ingestion runs.
    async fn run_stats(&self) -> Result<Vec<RunStat>>;
    /// Takes the lock `key` for this process (one Telegram poller among
    /// several instances); `None` when another process holds it.
    async fn try_session_lock(&self, key: i64) -> Result<Option<SessionLock>>;

    /// Where a scheduled pull of `source` stopped, as it recorded it.
    async fn pull_cursor(&self, source: &str) -> Result<Option<String>>;
    /// Records a pull's cursor; call only once the records it covers are stored.
    async fn set_pull_cursor(&self, source: &str, cursor: &str, now: DateTime<Utc>) -> Result<()>;
    /// The path a file of this content hash was read from, when it was.
    async fn ingested_file(&self, source: &str, hash: &str) -> Result<Option<String>>;
    /// Records a dropped file as read (by content hash).
    async fn record_ingested_file(
        &self,
        source: &str,
        hash: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Stored due times of the given tasks of a source, to notice postponements.
    async fn task_dues(
        &self,
        source: &str,
        external_ids: &[&str],
    ) -> Result<Vec<(String, DateTime<Utc>)>>;

    /// Calls that started in `[from, to)`, of the given employees (all calls
    /// when `employees` is empty), in start order.
    async fn calls_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        employees: &[String],
    ) -> Result<Vec<Call>>;

    /// Prepares a table for a load of about `expected_rows` rows. When the
    /// load is large next to what the table holds, SQLite drops the table's
    /// secondary indexes, to build them once, sorted, in `end_bulk_load`
    /// (much faster than a million scattered inserts). Returns whether it did.
    async fn begin_bulk_load(&self, table: &str, expected_rows: u64) -> Result<bool>;
    /// Rebuilds any secondary index that is missing.
    async fn end_bulk_load(&self) -> Result<()>;

    /// Everything the figures of a scope and a period need, in a fixed
    /// number of indexed queries.
    async fn load_scope(&self, query: &ScopeQuery) -> Result<Dataset>;

    /// Row counts of every table, by name.
    async fn table_counts(&self) -> Result<Vec<(String, i64)>>;

    async fn close(&self);
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
pub async fn open(url: &str) -> Result<Arc<dyn Storage>> {
    let pool = if url.starts_with("sqlite:") {
        sqlite::connect(url).await?
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::connect(url).await?
    } else {
        return Err(StorageError::UnknownScheme(redact_url(url)));
    };
    let store = sql_store::SqlStore::new(pool);
    store.migrate().await?;
    // A bulk load cut short leaves indexes missing: put them back, unless a
    // load of another process is running (it will).
    store.restore_bulk_indexes().await?;
    Ok(Arc::new(store))
}

/// The store every caller holds.
pub type Store = dyn Storage;
