//! One pull of a CRM API, from the store's side: the cursor of each entity
//! (where the last finished pass started, and how far an unfinished one
//! got), pages stored as they arrive, and the cursor written only after the
//! page it covers is stored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::app::ingest::{records_name, store_chunk};
use crate::app::pull::{PullError, PullOptions, PullReport};
use crate::config::{Config, CrmApiConfig, SourceConfig};
use crate::connectors::{CrmConnector, CrmError, PageSink, Pass};
use crate::sources::{Records, Rejected};
use crate::storage::{RunId, RunTotals, Store};

/// Pulls a CRM source through its connector into the store: the session
/// starts the run, the connector pulls its entities page by page, and the
/// run ends with what was stored, also after a failure.
pub async fn pull_crm<C: CrmConnector>(
    store: &Store,
    config: &Config,
    source: &SourceConfig,
    api: &CrmApiConfig,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    let mut connector = C::connect(config, source, api, options.now)
        .map_err(|e| PullError::Remote(e.to_string()))?;
    let target = api.host();
    let mut session = Session::start(store, &source.name, C::KIND, &target, options).await?;
    let outcome = connector.run(&mut session).await.map_err(PullError::from);
    let unmapped = connector.take_unmapped();
    session
        .finish(connector.requests(), unmapped, outcome)
        .await
}

impl From<CrmError<PullError>> for PullError {
    fn from(e: CrmError<PullError>) -> Self {
        match e {
            CrmError::Remote(e) => PullError::Remote(e),
            CrmError::Sink(e) => e,
        }
    }
}

/// A session's failure as a connector sees it: its own remote errors stay
/// remote (one kind's failure), the store's concern them all.
fn as_sink(e: PullError) -> CrmError<PullError> {
    match e {
        PullError::Remote(e) => CrmError::Remote(e),
        e => CrmError::Sink(e),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct EntityCursor {
    /// The start of the last finished pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    done_from: Option<DateTime<Utc>>,
    /// A pass cut short, to resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pass: Option<Pass>,
}

/// The whole cursor of a CRM source, stored as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Cursor {
    entities: BTreeMap<String, EntityCursor>,
}

/// One CRM pull's run in the store: its cursor, the records held before a
/// store, the totals and the report.
pub struct Session<'a> {
    store: &'a Store,
    run: RunId,
    source: String,
    cursor: Cursor,
    options: PullOptions,
    totals: RunTotals,
    pub report: PullReport,
    bar: Option<ProgressBar>,
    started: std::time::Instant,
    pending: Pending,
    /// Rows the CRM counts, per entity, on a first pull.
    expected: BTreeMap<String, u64>,
}

/// Records taken but not stored yet, of one entity.
#[derive(Default)]
struct Pending {
    entity: String,
    batches: Vec<Records>,
    rejects: Vec<Rejected>,
    pass: Option<Pass>,
    rows: usize,
}

/// Records held before a store: enough for one big transaction, few
/// enough that a failure costs little to fetch again.
const FLUSH_ROWS: usize = 5_000;

/// Appends `records` to `batch` when they are of its kind; else hands
/// them back.
fn append(batch: &mut Records, records: Records) -> Option<Records> {
    match (batch, records) {
        (Records::Calls(a), Records::Calls(b)) => a.extend(b),
        (Records::CrmUsers(a), Records::CrmUsers(b)) => a.extend(b),
        (Records::Deals(a), Records::Deals(b)) => a.extend(b),
        (Records::StageChanges(a), Records::StageChanges(b)) => a.extend(b),
        (Records::Tasks(a), Records::Tasks(b)) => a.extend(b),
        (Records::Postponements(a), Records::Postponements(b)) => a.extend(b),
        (Records::Activities(a), Records::Activities(b)) => a.extend(b),
        (Records::Comments(a), Records::Comments(b)) => a.extend(b),
        (Records::MeetingsNotHeld(a), Records::MeetingsNotHeld(b)) => a.extend(b),
        (_, other) => return Some(other),
    }
    None
}

/// Adds records to the held batch of their kind.
fn absorb(held: &mut Vec<Records>, mut records: Records) {
    for batch in held.iter_mut() {
        match append(batch, records) {
            None => return,
            Some(back) => records = back,
        }
    }
    held.push(records);
}

impl<'a> Session<'a> {
    /// Reads the source's cursor and starts its run.
    pub async fn start(
        store: &'a Store,
        source: &str,
        kind: &str,
        target: &str,
        options: &PullOptions,
    ) -> Result<Session<'a>, PullError> {
        let before = store.pull_cursor(source).await?;
        let cursor = match &before {
            Some(text) => serde_json::from_str(text).map_err(|e| {
                PullError::Remote(format!(
                    "the stored cursor of source {source} cannot be read ({e}): pull again with --since DATE to start over"
                ))
            })?,
            None => Cursor::default(),
        };
        let run = store.start_run(source, kind, target, options.now).await?;
        let bar = options
            .progress
            .then(|| crate::progress::records_bar(source));
        Ok(Session {
            store,
            run,
            source: source.to_owned(),
            cursor,
            options: options.clone(),
            totals: RunTotals::default(),
            report: PullReport {
                source: source.to_owned(),
                cursor_before: before,
                ..PullReport::default()
            },
            bar,
            started: std::time::Instant::now(),
            pending: Pending::default(),
            expected: BTreeMap::new(),
        })
    }

    /// Takes a page's records and rejects, and how far the pass got. Pages
    /// are stored a few thousand records at a time (one transaction each),
    /// the cursor right after them.
    async fn save_page(
        &mut self,
        entity: &str,
        batches: Vec<Records>,
        rejects: Vec<Rejected>,
        progress: Option<&Pass>,
    ) -> Result<(), PullError> {
        if self.pending.entity != entity {
            self.flush().await?;
            self.pending.entity = entity.to_owned();
        }
        for records in batches {
            self.pending.rows += records.len();
            absorb(&mut self.pending.batches, records);
        }
        self.pending.rows += rejects.len();
        self.pending.rejects.extend(rejects);
        if let Some(pass) = progress {
            self.pending.pass = Some(pass.clone());
        }
        if let Some(bar) = &self.bar {
            let of = self
                .expected
                .get(entity)
                .map(|n| format!(" (of about {n})"))
                .unwrap_or_default();
            bar.set_message(format!("{} {entity}{of}", self.source));
        }
        if self.pending.rows >= FLUSH_ROWS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Marks a pass finished: the next one asks for changes from its start.
    async fn end_pass(&mut self, entity: &str, pass: &Pass) -> Result<(), PullError> {
        self.flush().await?;
        let entry = self.cursor.entities.entry(entity.to_owned()).or_default();
        entry.pass = None;
        entry.done_from = Some(pass.started);
        self.write_cursor().await
    }

    /// Stores what is held, then records how far its pass got.
    async fn flush(&mut self) -> Result<(), PullError> {
        let pending = std::mem::take(&mut self.pending);
        self.pending.entity = pending.entity.clone();
        if !pending.rejects.is_empty() {
            self.store
                .record_rejects(self.run, &self.source, &pending.rejects)
                .await?;
            self.totals.rejected += pending.rejects.len() as u64;
            self.report.rejects.extend(pending.rejects);
        }
        for records in pending.batches {
            if records.is_empty() {
                continue;
            }
            let n = records.len() as u64;
            let name = records_name(&records);
            let done = store_chunk(
                self.store,
                self.run,
                &self.source,
                records,
                self.options.now,
            )
            .await?;
            self.totals.rows_read += n;
            self.totals.upserted += done;
            *self.report.records.entry(name).or_default() += done;
            if let Some(bar) = &self.bar {
                bar.inc(n);
            }
        }
        if let Some(pass) = pending.pass {
            self.cursor.entities.entry(pending.entity).or_default().pass = Some(pass);
            self.write_cursor().await?;
        }
        Ok(())
    }

    /// Writes the cursor as it stands now.
    async fn write_cursor(&mut self) -> Result<(), PullError> {
        let text = serde_json::to_string(&self.cursor)
            .map_err(|e| PullError::Remote(format!("cannot write the cursor: {e}")))?;
        self.store
            .set_pull_cursor(&self.source, &text, self.options.now)
            .await?;
        self.report.cursor_after = Some(text);
        Ok(())
    }

    /// Ends the run (also after a failure) and hands over the report.
    pub async fn finish(
        mut self,
        requests: u64,
        unmapped: BTreeMap<String, u64>,
        outcome: Result<(), PullError>,
    ) -> Result<PullReport, PullError> {
        // Pages fetched before a failure are whole: keep them.
        let flushed = self.flush().await;
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.report.cursor_after.is_none() {
            self.report.cursor_after = self.report.cursor_before.clone();
        }
        self.totals.unmapped = unmapped.values().sum();
        self.report.unmapped = unmapped;
        self.report.requests = requests;
        self.report.seconds = self.started.elapsed().as_secs_f64();
        self.store
            .finish_run(
                self.run,
                &self.totals,
                crate::app::ingest::finished_at(self.options.now, self.started),
            )
            .await?;
        outcome.and(flushed).map(|()| self.report)
    }
}

impl PageSink for Session<'_> {
    type Error = PullError;

    /// Where a pass over `entity` starts: `--since`, else an unfinished
    /// pass, else the start of the last finished one.
    fn pass(&self, entity: &str) -> Pass {
        let now = self.options.now;
        if let Some(since) = self.options.since {
            return Pass {
                started: now,
                from: Some(since),
                last_id: 0,
                page: 1,
            };
        }
        let stored = self.cursor.entities.get(entity);
        if let Some(pass) = stored.and_then(|c| c.pass.clone()) {
            return pass;
        }
        Pass {
            started: now,
            from: stored.and_then(|c| c.done_from),
            last_id: 0,
            page: 1,
        }
    }

    /// A first pull (no cursor, no `--since`) reads the whole history: says
    /// how many rows of `entity` the CRM counts, on the progress bar and in
    /// the summary.
    fn expect(&mut self, entity: &str, total: u64) {
        let note = format!(
            "{entity}: first pull, the whole history: {total} rows (pull with --since DAY to start from a day)"
        );
        self.expected.insert(entity.to_owned(), total);
        tracing::info!(source = %self.source, entity, total, "first pull reads the whole history");
        self.report.notes.push(note);
    }

    fn note(&mut self, note: String) {
        self.report.notes.push(note);
    }

    async fn save(
        &mut self,
        entity: &str,
        batches: Vec<Records>,
        rejects: Vec<Rejected>,
        progress: Option<&Pass>,
    ) -> Result<(), CrmError<PullError>> {
        self.save_page(entity, batches, rejects, progress)
            .await
            .map_err(as_sink)
    }

    async fn finish_pass(&mut self, entity: &str, pass: &Pass) -> Result<(), CrmError<PullError>> {
        self.end_pass(entity, pass).await.map_err(as_sink)
    }
}
