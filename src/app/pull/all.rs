//! `salespulse pull [SOURCE] [--since DATE]`: brings sources up to date now,
//! each from where its last pull stopped (the new files of a drop folder, the
//! lines added to a followed Master.csv, a CRM API's changes), and says what
//! each pull did.

use std::fmt::Write;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};

use crate::app::pull::{self, PullError, PullOptions, PullReport};
use crate::config::{Config, SourceConfig};

/// One source's pull: what it did, or why it failed.
pub struct SourcePull {
    pub source: String,
    /// Read from a CRM's API (requests, records per kind) rather than from
    /// files (files read and skipped, notes): what its summary tells.
    pub from_api: bool,
    pub outcome: Result<PullReport, PullError>,
}

impl SourcePull {
    /// A pull failed when it stopped, or could not read some of its files.
    pub fn failed(&self) -> bool {
        self.outcome.as_ref().map_or(true, |r| !r.errors.is_empty())
    }
}

/// `--since`: a day (midnight in the source's zone) or an RFC 3339 instant.
pub fn parse_since(raw: &str, tz: chrono_tz::Tz) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").with_context(|| {
        format!("--since {raw:?} is not a date (expected YYYY-MM-DD or an RFC 3339 time)")
    })?;
    Ok(crate::calendar::local_to_utc(
        tz,
        day.and_time(chrono::NaiveTime::MIN),
    ))
}

/// Pulls one source, or without a name every source that has something to
/// pull. `since` starts a pull there instead of at its cursor (for a drop
/// folder: files changed before it are left alone; a followed file always
/// goes on from its cursor). One source's failure does not stop the others.
pub async fn pull(
    config: &Config,
    source_name: Option<&str>,
    since: Option<&str>,
    progress: bool,
) -> anyhow::Result<Vec<SourcePull>> {
    let sources: Vec<&SourceConfig> = match source_name {
        Some(name) => vec![config.source(name).with_context(|| {
            format!(
                "no source named {name:?} in the config (known: {})",
                crate::app::source_names(config)
            )
        })?],
        None => config
            .sources
            .iter()
            .filter(|s| pull::pullable(s))
            .collect(),
    };
    if sources.is_empty() {
        anyhow::bail!(
            "no source in the config can be pulled: give a source a `drop_folder` or a file to `follow`, \
             or add a [[sources]] of kind bitrix24 or amocrm (see the README); \
             read files once with `salespulse ingest`"
        );
    }
    // A bad --since is said before anything is opened.
    let starts = sources
        .iter()
        .map(|s| since.map(|raw| parse_since(raw, s.timezone)).transpose())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let store = crate::app::open_store(config).await?;
    crate::app::sync_directory(store.as_ref(), config).await?;
    let mut pulls = Vec::new();
    for (source, since) in sources.into_iter().zip(starts) {
        let options = PullOptions {
            since,
            progress,
            now: Utc::now(),
        };
        let outcome = pull::pull(store.clone(), config, source, &options).await;
        pulls.push(SourcePull {
            source: source.name.clone(),
            from_api: pull::reads_api(source) || pull::reads_database(source),
            outcome,
        });
    }
    store.close().await;
    Ok(pulls)
}

/// What a person reads after a pull.
pub fn summary(pull: &SourcePull, max_rejects: usize) -> String {
    let r = match &pull.outcome {
        Ok(r) => r,
        Err(e) => return format!("{}: FAILED: {e}\n", pull.source),
    };
    let mut out = if pull.from_api {
        api_lines(r)
    } else {
        file_line(r)
    };
    for e in &r.errors {
        let _ = writeln!(out, "  FAILED {e}");
    }
    for note in &r.notes {
        let _ = writeln!(out, "  {note}");
    }
    for reject in r.rejects.iter().take(max_rejects) {
        // An API's reject names the method and the record's id; a file's,
        // the file and line.
        let _ = if pull.from_api {
            let id = if reject.record.is_empty() {
                reject.line.to_string()
            } else {
                reject.record.clone()
            };
            writeln!(out, "  rejected {} ID {id}: {}", reject.file, reject.reason)
        } else {
            writeln!(
                out,
                "  rejected {}:{}: {}",
                reject.file, reject.line, reject.reason
            )
        };
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
        let whose = if pull.from_api { "CRM user ids" } else { "ids" };
        let _ = writeln!(
            out,
            "  kept without an employee (add these {whose} to employees[].ids.{}): {}{more}",
            r.source,
            list.join(", ")
        );
    }
    out
}

/// A file source's pull on one line: files read and skipped, rows, records.
fn file_line(r: &PullReport) -> String {
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
    out
}

/// An API source's pull: requests and pace, then the records of each kind.
fn api_lines(r: &PullReport) -> String {
    let mut out = format!(
        "{}: {} records in {:.1} s ({:.0} records/s), {} requests, {} rejected\n",
        r.source,
        r.records_total(),
        r.seconds,
        r.records_total() as f64 / r.seconds.max(1e-9),
        r.requests,
        r.rejects.len()
    );
    for (kind, u) in &r.records {
        let _ = writeln!(
            out,
            "  {kind}: {} inserted, {} updated, {} unchanged",
            u.inserted, u.updated, u.unchanged
        );
    }
    // What was set aside, per method (one kind of record each), and why.
    let mut aside: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, u64>> =
        std::collections::BTreeMap::new();
    for reject in &r.rejects {
        let why = reject.reason.split(':').next().unwrap_or_default();
        *aside
            .entry(reject.file.as_str())
            .or_default()
            .entry(why)
            .or_default() += 1;
    }
    for (method, reasons) in &aside {
        let total: u64 = reasons.values().sum();
        let why: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(reason, n)| format!("{n} × {reason}"))
            .collect();
        let more = if reasons.len() > 3 { "; ..." } else { "" };
        let _ = writeln!(
            out,
            "  set aside from {method}: {total} ({}{more})",
            why.join("; ")
        );
    }
    out
}
