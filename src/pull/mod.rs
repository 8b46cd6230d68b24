//! Scheduled pulls: bring a source up to date from where its last pull
//! stopped. A pull asks only for what is new since its cursor, stores the
//! records through the same upserts as `ingest`, and records the cursor only
//! after they are stored, so a failure mid-pull loses nothing and a re-run
//! duplicates nothing. `salespulse pull` runs one now; `serve` runs them on
//! their schedules.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceConfig, SourceKind};
use crate::storage::{Rejected, Storage, StorageError, Upserted};

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
}

impl PullReport {
    pub fn records_total(&self) -> u64 {
        self.records
            .values()
            .map(|u| u.inserted + u.updated + u.unchanged)
            .sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(
        "source {0} has nothing to pull from: give it a `path` (a drop folder or a Master.csv to follow) or use `salespulse ingest`"
    )]
    NothingToPull(String),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Remote(String),
}

/// Runs one pull of `source` now.
pub async fn pull(
    store: Arc<dyn Storage>,
    config: &Config,
    source: &SourceConfig,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    match &source.kind {
        SourceKind::Bitrix24(api) => {
            crate::connectors::bitrix24::pull(store.as_ref(), config, source, api, options).await
        }
        SourceKind::AmoCrm(api) => {
            crate::connectors::amocrm::pull(store.as_ref(), config, source, api, options).await
        }
        _ => Err(PullError::NothingToPull(source.name.clone())),
    }
}

/// Whether `pull` can bring this source up to date by itself.
pub fn pullable(source: &SourceConfig) -> bool {
    matches!(source.kind, SourceKind::Bitrix24(_) | SourceKind::AmoCrm(_))
}
