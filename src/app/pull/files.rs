//! Pulls of file sources: a drop folder whose files are each read once (by
//! the hash of their content, whatever their name), then the followed CDR
//! file (`follow.rs`) from where the last pull stopped.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::app::ingest::{self, IngestError, IngestOptions, Input};
use crate::config::{Config, SourceConfig};
use crate::storage::Store;

use super::digest::{hash_file, hex};
use super::{PullError, PullOptions, PullReport};

/// A dropped file changed this recently may still be being copied in: it
/// waits for the next pull.
pub const SETTLE_SECONDS: i64 = 5;

/// Pulls a file source: its drop folder, then its followed file.
pub(super) async fn pull(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    if source.drop_folder.is_none() && source.follow.is_none() {
        return Err(PullError::NothingToPull(source.name.clone()));
    }
    let started = std::time::Instant::now();
    let mut report = PullReport {
        source: source.name.clone(),
        ..PullReport::default()
    };
    if let Some(folder) = &source.drop_folder {
        read_drop_folder(store.clone(), config, source, folder, options, &mut report).await?;
    }
    if let Some(file) = &source.follow {
        super::follow::pull(store, config, source, file, options, &mut report).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Names a writer uses while a file is not complete yet (write, then
/// rename): such files are not read.
fn is_unfinished_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with('.')
        || lower.ends_with('~')
        || [".part", ".partial", ".tmp", ".crdownload", ".filepart"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// Reads every new file of the drop folder, in the order `ingest` reads a
/// folder (CRM entities in dependency order, else by name). Files stay where
/// they are; the store remembers their hashes.
async fn read_drop_folder(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    folder: &Path,
    options: &PullOptions,
    report: &mut PullReport,
) -> Result<(), PullError> {
    let mut older_than_since = 0u64;
    for path in ingest::expand(folder)? {
        let shown = path.display().to_string();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_unfinished_name(name) {
            continue;
        }
        let modified = match std::fs::metadata(&path).and_then(|m| m.modified()) {
            Ok(t) => DateTime::<Utc>::from(t),
            Err(e) => {
                report.errors.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        if (options.now - modified).num_seconds() < SETTLE_SECONDS {
            report.notes.push(format!(
                "{shown}: changed less than {SETTLE_SECONDS} s ago, left for the next pull (still being copied?)"
            ));
            continue;
        }
        if options.since.is_some_and(|since| modified < since) {
            older_than_since += 1;
            continue;
        }
        let crm = match ingest::crm_kind(source, &path) {
            Ok(crm) => crm,
            Err(e) => {
                report.notes.push(format!("{e}; left alone"));
                continue;
            }
        };
        let before = match hash_file(&path).await {
            Ok(hash) => hash,
            Err(e) => {
                report.errors.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        if let Some(first) = store.ingested_file(&source.name, &before).await? {
            // Files stay in the folder: the ones read before are only counted,
            // a copy under another name is named.
            report.skipped += 1;
            if first != shown {
                report
                    .notes
                    .push(format!("{shown}: already read (as {first})"));
            }
            continue;
        }
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                report.errors.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let digest = Arc::new(Mutex::new(Sha256::new()));
        let input = Input {
            reader: HashingReader {
                inner: file,
                digest: digest.clone(),
            },
            label: shown.clone(),
            line_offset: 0,
            size,
        };
        let run = IngestOptions {
            progress: options.progress,
            now: options.now,
        };
        match ingest::ingest_input(store.clone(), config, source, input, crm, &run).await {
            Ok(file_report) => report.add_file(file_report),
            Err(IngestError::Storage(e)) => return Err(e.into()),
            Err(e) => {
                // Not recorded as read: it is tried again next time.
                report.errors.push(e.to_string());
                continue;
            }
        }
        // What was stored is what was hashed while reading.
        let read = match digest.lock() {
            Ok(d) => hex(&d.clone().finalize()),
            Err(_) => continue,
        };
        if read != before {
            report.notes.push(format!(
                "{shown}: changed while it was read; read again next pull"
            ));
        }
        store
            .record_ingested_file(&source.name, &read, &shown, options.now)
            .await?;
    }
    if older_than_since > 0 {
        report.notes.push(format!(
            "{older_than_since} file(s) in {} changed before --since: left alone",
            folder.display()
        ));
    }
    Ok(())
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    digest: Arc<Mutex<Sha256>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut d) = self.digest.lock() {
            d.update(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_names_are_left_alone() {
        for name in [".deals.jsonl", "deals.jsonl.part", "calls.csv.tmp", "x~"] {
            assert!(is_unfinished_name(name), "{name}");
        }
        for name in ["deals.jsonl", "2026-11-16_tasks.csv", "Master.csv"] {
            assert!(!is_unfinished_name(name), "{name}");
        }
    }
}
