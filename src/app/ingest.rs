//! Runs a source over a file and upserts what it yields: parsing on a
//! blocking thread, writing on the async side, so the two overlap. Bad rows
//! are set aside with file, line and reason; good rows go in. Every run is
//! recorded with its totals.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::config::{Config, SourceConfig, SourceKind};
use crate::domain::TaskPostponement;
use crate::sources::Rejected;
use crate::sources::crm_files::{self, Entity, Format};
use crate::sources::{Chunk, Mapping, Records, asterisk, calls_csv};
use crate::storage::{RunId, RunTotals, StorageError, Store, Upserted};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: cannot tell which CRM entity this file holds: name it after one of {} (e.g. deals.jsonl), as .jsonl or .csv",
        Entity::NAMES
    )]
    UnknownEntity { path: PathBuf },
    #[error("{0}")]
    Source(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// How an ingest is asked to run.
#[derive(Debug, Clone, Copy)]
pub struct IngestOptions {
    /// Show a progress bar (on a terminal).
    pub progress: bool,
    /// When the run begins.
    pub now: DateTime<Utc>,
}

/// What one file's run did.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub run: RunId,
    /// `calls`, or the CRM entity.
    pub records: &'static str,
    pub totals: RunTotals,
    /// The rows set aside (all of them; the CLI shows the first few).
    pub rejects: Vec<Rejected>,
    /// Agents or owners not mapped to any employee, with their record counts.
    pub unmapped: BTreeMap<String, u64>,
    pub seconds: f64,
}

/// The files to read for a path: the file itself, or a folder's files in
/// name order (CRM exchange files in entity order).
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, IngestError> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| IngestError::Open {
        path: path.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    let order = |p: &PathBuf| {
        Entity::from_path(p)
            .map(|e| e as usize)
            .unwrap_or(usize::MAX)
    };
    files.sort_by(|a, b| order(a).cmp(&order(b)).then_with(|| a.cmp(b)));
    Ok(files)
}

/// When a run that began at `now` (the `started` instant) ends: `now` plus
/// the time it took.
pub fn finished_at(now: DateTime<Utc>, started: std::time::Instant) -> DateTime<Utc> {
    now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default()
}

/// The name of a kind of records, as summaries give it.
pub fn records_name(records: &Records) -> &'static str {
    match records {
        Records::Calls(_) => "calls",
        Records::CrmUsers(_) => "employees",
        Records::Deals(_) => "deals",
        Records::StageChanges(_) => "stage_changes",
        Records::Tasks(_) => "tasks",
        Records::Postponements(_) => "task_postponements",
        Records::Activities(_) => "activities",
        Records::Comments(_) => "comments",
        Records::MeetingsNotHeld(_) => "activities",
    }
}

/// Tasks whose stored due time is earlier than the one read now were
/// postponed: record that, once.
async fn detect_postponements(
    store: &Store,
    run: RunId,
    source: &str,
    tasks: &[crate::domain::Task],
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let ids: Vec<&str> = tasks.iter().map(|t| t.external_id.as_str()).collect();
    let stored: HashMap<String, chrono::DateTime<Utc>> =
        store.task_dues(source, &ids).await?.into_iter().collect();
    let moved: Vec<TaskPostponement> = tasks
        .iter()
        .filter_map(|t| {
            let old = *stored.get(t.external_id.as_str())?;
            (t.due_at > old && t.completed_at.is_none()).then(|| TaskPostponement {
                source: source.to_owned(),
                task_ext: t.external_id.clone(),
                old_due: old,
                new_due: t.due_at,
                // Seen now; the source did not say when it happened.
                changed_at: now,
            })
        })
        .collect();
    if !moved.is_empty() {
        store.upsert_postponements(run, moved).await?;
    }
    Ok(())
}

/// Upserts one batch of records (tasks after noticing their postponements).
pub async fn store_chunk(
    store: &Store,
    run: RunId,
    source: &str,
    records: Records,
    now: DateTime<Utc>,
) -> Result<Upserted, StorageError> {
    match records {
        Records::Calls(v) => store.upsert_call_batch(run, v).await,
        Records::CrmUsers(v) => store.upsert_crm_users(run, &v).await,
        Records::Deals(v) => store.upsert_deals(run, &v).await,
        Records::StageChanges(v) => store.upsert_stage_changes(run, &v).await,
        Records::Tasks(v) => {
            detect_postponements(store, run, source, &v, now).await?;
            store.upsert_tasks(run, &v).await
        }
        Records::Postponements(v) => store.upsert_postponements(run, v).await,
        Records::Activities(v) => store.upsert_activities(run, &v).await,
        Records::Comments(v) => store.upsert_comments(run, &v).await,
        Records::MeetingsNotHeld(v) => {
            // A meeting stored as held and no longer so changed: updated.
            let removed = store.remove_meetings(&v).await?;
            Ok(Upserted {
                updated: removed,
                unchanged: v.len() as u64 - removed,
                ..Upserted::default()
            })
        }
    }
}

/// What one run reads: a stream, the file it comes from, and where in that
/// file it starts (a pull reads a growing file from where it stopped).
pub struct Input<R> {
    pub reader: R,
    /// The file's name in rejects and in the run's record.
    pub label: String,
    /// Added to the line numbers the source counts in `reader`, so rejects
    /// name the line of the file, not of the stream.
    pub line_offset: i64,
    /// Bytes expected (progress bar, bulk-load hint).
    pub size: u64,
}

/// The CRM entity and format a file of a `crm_files` source holds, from its name.
pub fn crm_kind(
    source: &SourceConfig,
    path: &Path,
) -> Result<Option<(Entity, Format)>, IngestError> {
    match &source.kind {
        SourceKind::CrmFiles => {
            let entity = Entity::from_path(path).ok_or_else(|| IngestError::UnknownEntity {
                path: path.to_owned(),
            })?;
            let format = Format::from_path(path).unwrap_or(Format::JsonLines);
            Ok(Some((entity, format)))
        }
        _ => Ok(None),
    }
}

/// Reads one file of a source into the store.
pub async fn ingest_file(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    path: &Path,
    options: &IngestOptions,
) -> Result<FileReport, IngestError> {
    if matches!(source.kind, SourceKind::Bitrix24(_) | SourceKind::AmoCrm(_)) {
        return Err(IngestError::Source(format!(
            "source {} ({}) is read from its API, not from files: run `salespulse pull {}`",
            source.name,
            source.kind.name(),
            source.name
        )));
    }
    let crm = crm_kind(source, path)?;
    let reader = File::open(path).map_err(|source| IngestError::Open {
        path: path.to_owned(),
        source,
    })?;
    let size = reader.metadata().map(|m| m.len()).unwrap_or(0);
    let input = Input {
        reader,
        label: path.display().to_string(),
        line_offset: 0,
        size,
    };
    ingest_input(store, config, source, input, crm, options).await
}

/// Reads a stream of a source into the store, as one run.
#[tracing::instrument(skip_all, fields(source = %source.name, file = %input.label))]
pub async fn ingest_input<R: Read + Send + 'static>(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    input: Input<R>,
    crm_kind: Option<(Entity, Format)>,
    options: &IngestOptions,
) -> Result<FileReport, IngestError> {
    let (show_progress, now) = (options.progress, options.now);
    let started = std::time::Instant::now();
    let Input {
        reader: input,
        label: file_label,
        line_offset,
        size,
    } = input;

    let run = store
        .start_run(&source.name, source.kind.name(), &file_label, now)
        .await?;
    // A CDR row is about 250 bytes: a big file may load faster in bulk.
    let bulk = match source.kind {
        SourceKind::CrmFiles => false,
        _ => store.begin_bulk_load("calls", size / 250).await?,
    };
    let mapping = Mapping::new(config, source);
    let (tx, mut rx) = mpsc::channel::<Chunk>(1);
    let kind = source.kind.clone();
    let label = file_label.clone();
    let reading = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut emit = |chunk: Chunk| tx.blocking_send(chunk).is_ok();
        match (&kind, crm_kind) {
            (SourceKind::Asterisk(rules), _) => {
                asterisk::read(input, &label, &mapping, rules, &mut emit)
                    .map_err(|e| format!("{label}: {e}"))
            }
            // A CDR table's Master.csv export reads with the table's rules.
            (SourceKind::AsteriskDb(db), _) => {
                asterisk::read(input, &label, &mapping, &db.rules, &mut emit)
                    .map_err(|e| format!("{label}: {e}"))
            }
            (SourceKind::CallsCsv(rules), _) => {
                calls_csv::read(input, &label, &mapping, rules, &mut emit)
                    .map_err(|e| e.to_string())
            }
            (SourceKind::CrmFiles, Some((entity, format))) => {
                crm_files::read(input, &label, entity, format, &mapping, &mut emit)
                    .map_err(|e| e.to_string())
            }
            (SourceKind::CrmFiles, None) => Ok(()),
            (SourceKind::Bitrix24(_) | SourceKind::AmoCrm(_), _) => Ok(()),
        }
    });

    let bar = show_progress.then(|| crate::progress::progress_bar(size, &file_label));
    let mut totals = RunTotals::default();
    let mut rejects = Vec::new();
    let mut unmapped = BTreeMap::new();
    let mut records = "calls";
    let mut failure = None;
    while let Some(mut chunk) = rx.recv().await {
        totals.rows_read += chunk.rows_read;
        totals.rejected += chunk.rejects.len() as u64;
        for (who, n) in chunk.unmapped {
            totals.unmapped += n;
            *unmapped.entry(who).or_insert(0) += n;
        }
        records = records_name(&chunk.records);
        for r in chunk.rejects.iter_mut().filter(|r| r.line > 0) {
            r.line += line_offset;
        }
        if !chunk.rejects.is_empty()
            && let Err(e) = store
                .record_rejects(run, &source.name, &chunk.rejects)
                .await
        {
            failure = Some(e);
            break;
        }
        rejects.extend(chunk.rejects);
        match store_chunk(store.as_ref(), run, &source.name, chunk.records, now).await {
            Ok(done) => totals.upserted += done,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if let Some(bar) = &bar {
            bar.set_position(chunk.bytes_read);
        }
    }
    drop(rx);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let read_result = reading
        .await
        .map_err(|e| IngestError::Source(format!("{file_label}: the reader stopped: {e}")))?;
    if bulk {
        store.end_bulk_load().await?;
    }
    store
        .finish_run(run, &totals, finished_at(now, started))
        .await?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    read_result.map_err(IngestError::Source)?;
    Ok(FileReport {
        file: file_label,
        run,
        records,
        totals,
        rejects,
        unmapped,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl FileReport {
    /// The summary a person reads after a run.
    pub fn summary(&self, max_rejects: usize) -> String {
        use std::fmt::Write;
        let t = &self.totals;
        let mut out = format!(
            "{}: {} rows read -> {} {}: {} inserted, {} updated, {} unchanged; {} rejected ({:.2} s, {:.0} rows/s)\n",
            self.file,
            t.rows_read,
            t.upserted.inserted + t.upserted.updated + t.upserted.unchanged,
            self.records,
            t.upserted.inserted,
            t.upserted.updated,
            t.upserted.unchanged,
            t.rejected,
            self.seconds,
            t.rows_read as f64 / self.seconds.max(1e-9),
        );
        for r in self.rejects.iter().take(max_rejects) {
            let _ = writeln!(out, "  rejected {}:{}: {}", r.file, r.line, r.reason);
        }
        if self.rejects.len() > max_rejects {
            let _ = writeln!(
                out,
                "  ... and {} more (all are in the ingest_errors table)",
                self.rejects.len() - max_rejects
            );
        }
        if !self.unmapped.is_empty() {
            let list: Vec<String> = self
                .unmapped
                .iter()
                .take(10)
                .map(|(who, n)| format!("{who} ({n})"))
                .collect();
            let _ = writeln!(
                out,
                "  kept without an employee (add these ids to employees[].ids): {}{}",
                list.join(", "),
                if self.unmapped.len() > 10 {
                    ", ..."
                } else {
                    ""
                }
            );
        }
        out
    }
}
