//! Scheduled pulls: bring a source up to date from where its last pull
//! stopped. A pull asks only for what is new since its cursor, stores the
//! records through the same upserts as `ingest`, and records the cursor only
//! after they are stored, so a failure mid-pull loses nothing and a re-run
//! duplicates nothing. `salespulse pull` runs one now; `serve` runs them on
//! their schedules.

pub mod all;
mod cdr_db;
mod digest;
mod files;
mod follow;
mod session;

pub use cdr_db::{CdrCursor, CdrPullTuning, pull_cdr_table};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceConfig, SourceKind};
use crate::connectors::amocrm::AmoCrm;
use crate::connectors::bitrix24::Bitrix24;
use crate::sources::Rejected;
use crate::storage::{StorageError, Store, Upserted};

/// How a pull is asked to run.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Start here instead of at the recorded cursor (`--since`).
    pub since: Option<DateTime<Utc>>,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
    pub now: DateTime<Utc>,
}

/// What one pull did.
#[derive(Debug, Clone, Default)]
pub struct PullReport {
    pub source: String,
    /// Records stored, by kind (`calls`, `deals`, ...).
    pub records: BTreeMap<&'static str, Upserted>,
    /// Rows set aside, with where they came from and why.
    pub rejects: Vec<Rejected>,
    /// Source users not mapped to any employee, with their record counts.
    pub unmapped: BTreeMap<String, u64>,
    /// Requests made to a remote API, or files read.
    pub requests: u64,
    /// The cursor before and after.
    pub cursor_before: Option<String>,
    pub cursor_after: Option<String>,
    pub seconds: f64,
    /// Source rows (lines, objects) read.
    pub rows_read: u64,
    /// Dropped files not read again: their content was read before.
    pub skipped: u64,
    /// What a person should know: a file skipped and why, a rotation followed.
    pub notes: Vec<String>,
    /// Files that could not be read; the pull went on with the others and
    /// tries them again next time. A pull with errors has failed.
    pub errors: Vec<String>,
}

impl PullReport {
    pub fn records_total(&self) -> u64 {
        self.records
            .values()
            .map(|u| u.inserted + u.updated + u.unchanged)
            .sum()
    }

    /// Adds one file's run to the pull's totals.
    pub fn add_file(&mut self, file: crate::app::ingest::FileReport) {
        self.rows_read += file.totals.rows_read;
        *self.records.entry(file.records).or_default() += file.totals.upserted;
        self.rejects.extend(file.rejects);
        for (who, n) in file.unmapped {
            *self.unmapped.entry(who).or_default() += n;
        }
        self.requests += 1;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(
        "source {0} has nothing to pull from: give it a `drop_folder` or a file to `follow` (e.g. Master.csv) in the config, or use `salespulse ingest`"
    )]
    NothingToPull(String),
    #[error(transparent)]
    Ingest(#[from] crate::app::ingest::IngestError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Remote(String),
}

/// Runs one pull of `source` now.
#[tracing::instrument(skip_all, fields(source = %source.name))]
pub async fn pull(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    let report = pull_source(store.clone(), config, source, options).await?;
    // A pull that ended well, with or without anything new: the source
    // answers (what the digest's stale-source line reads).
    store.mark_pulled(&source.name, options.now).await?;
    Ok(report)
}

async fn pull_source(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    match &source.kind {
        SourceKind::Bitrix24(api) => {
            session::pull_crm::<Bitrix24>(store.as_ref(), config, source, api, options).await
        }
        SourceKind::AmoCrm(api) => {
            session::pull_crm::<AmoCrm>(store.as_ref(), config, source, api, options).await
        }
        SourceKind::AsteriskDb(db) => {
            cdr_db::pull_cdr_table(
                store.as_ref(),
                config,
                source,
                db,
                options,
                &mut CdrPullTuning::default(),
            )
            .await
        }
        SourceKind::Asterisk(_) | SourceKind::CallsCsv(_) | SourceKind::CrmFiles => {
            files::pull(store, config, source, options).await
        }
    }
}

/// Whether the source is read from a CRM's API (rather than from files).
pub fn reads_api(source: &SourceConfig) -> bool {
    matches!(source.kind, SourceKind::Bitrix24(_) | SourceKind::AmoCrm(_))
}

/// Whether the source is read from a database table (Asterisk's CDR).
pub fn reads_database(source: &SourceConfig) -> bool {
    matches!(source.kind, SourceKind::AsteriskDb(_))
}

/// Whether `pull` can bring this source up to date by itself: a CRM API, a
/// CDR table, or a drop folder or a followed file.
pub fn pullable(source: &SourceConfig) -> bool {
    reads_api(source)
        || reads_database(source)
        || source.drop_folder.is_some()
        || source.follow.is_some()
}
