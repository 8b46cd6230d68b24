//! `pull`: brings sources up to date now, from where their last pulls
//! stopped, and says what each pull did.

use std::fmt::Write;

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};

use crate::config::{Config, SourceConfig};
use crate::pull::{self, PullError, PullOptions, PullReport};

/// One source's pull: what it did, or why it failed.
pub struct SourcePull {
    pub source: String,
    pub outcome: Result<PullReport, PullError>,
}

impl SourcePull {
    /// A pull failed when it stopped, or could not read some of its files.
    pub fn failed(&self) -> bool {
        self.outcome.as_ref().map_or(true, |r| !r.errors.is_empty())
    }
}

/// The start of `day` in the source's timezone.
fn since_instant(source: &SourceConfig, day: NaiveDate) -> chrono::DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    source
        .timezone
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// Pulls one source, or without a name every source that has something to
/// pull. `since` starts a pull at that day instead of at its cursor (for a
/// drop folder: files changed before it are left alone; a followed file
/// always goes on from its cursor).
pub async fn pull(
    config: &Config,
    source_name: Option<&str>,
    since: Option<NaiveDate>,
    progress: bool,
) -> anyhow::Result<Vec<SourcePull>> {
    let sources: Vec<&SourceConfig> = match source_name {
        Some(name) => vec![config.source(name).with_context(|| {
            format!(
                "no source named {name:?} in the config (known: {})",
                super::source_names(config)
            )
        })?],
        None => config.sources.iter().collect(),
    };
    let store = crate::storage::open(config.database_url.expose()).await?;
    super::sync_directory(store.as_ref(), config).await?;
    let mut pulls = Vec::new();
    for source in sources {
        let options = PullOptions {
            since: since.map(|d| since_instant(source, d)),
            progress,
            now: Utc::now(),
        };
        let outcome = pull::pull(store.clone(), config, source, &options).await;
        // Without a name, sources with nothing to pull from are not asked.
        if source_name.is_none() && matches!(outcome, Err(PullError::NothingToPull(_))) {
            continue;
        }
        pulls.push(SourcePull {
            source: source.name.clone(),
            outcome,
        });
    }
    store.close().await;
    if pulls.is_empty() {
        anyhow::bail!(
            "no source has anything to pull from: give a source a `drop_folder` or a file to `follow` \
             in the config, or read files once with `salespulse ingest`"
        );
    }
    Ok(pulls)
}

/// What a person reads after a pull.
pub fn summary(pull: &SourcePull, max_rejects: usize) -> String {
    let r = match &pull.outcome {
        Ok(r) => r,
        Err(e) => return format!("{}: FAILED: {e}\n", pull.source),
    };
    let mut out = format!(
        "{}: {} file(s) read, {} skipped as already read; {} rows read",
        r.source, r.requests, r.skipped, r.rows_read
    );
    for (records, u) in &r.records {
        let _ = write!(
            out,
            "; {records}: {} inserted, {} updated, {} unchanged",
            u.inserted, u.updated, u.unchanged
        );
    }
    let _ = writeln!(out, "; {} rejected ({:.2} s)", r.rejects.len(), r.seconds);
    for e in &r.errors {
        let _ = writeln!(out, "  FAILED {e}");
    }
    for note in &r.notes {
        let _ = writeln!(out, "  {note}");
    }
    for reject in r.rejects.iter().take(max_rejects) {
        let _ = writeln!(
            out,
            "  rejected {}:{}: {}",
            reject.file, reject.line, reject.reason
        );
    }
    if r.rejects.len() > max_rejects {
        let _ = writeln!(
            out,
            "  ... and {} more (all are in the ingest_errors table)",
            r.rejects.len() - max_rejects
        );
    }
    if !r.unmapped.is_empty() {
        let list: Vec<String> = r
            .unmapped
            .iter()
            .take(10)
            .map(|(who, n)| format!("{who} ({n})"))
            .collect();
        let more = if r.unmapped.len() > 10 { ", ..." } else { "" };
        let _ = writeln!(
            out,
            "  kept without an employee (add these ids to employees[].ids): {}{more}",
            list.join(", ")
        );
    }
    out
}
