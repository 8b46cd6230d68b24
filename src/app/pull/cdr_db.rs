//! Pulls of Asterisk's CDR table (`kind = "asterisk_db"`): pages read in
//! `(calldate, uniqueid, sequence)` order from the cursor's `calldate` less
//! the overlap (a row is written when its call ends, so a long call's row
//! comes after shorter later ones). The rows of the overlap read before are
//! known by their id and skipped, so each row is read once. Legs are merged
//! as in `Master.csv`; calls and rejects are stored in batches, the cursor
//! right after the rows it covers, so a dropped connection loses nothing.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::app::ingest::store_chunk;
use crate::calendar::LocalClock;
use crate::config::{AsteriskDbConfig, Config, SourceConfig};
use crate::domain::Call;
use crate::sources::Rejected;
use crate::sources::asterisk::{CallsById, merge_into, parse_row};
use crate::sources::asterisk_db::{CdrDb, CdrRow, Param, Schema, db_error};
use crate::sources::{CHUNK_ROWS, Mapping, Records};
use crate::storage::{RunId, RunTotals, Store};

use super::{PullError, PullOptions, PullReport};

/// Where a CDR table's pull stopped, stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CdrCursor {
    /// The latest `calldate` read (local time, as the table holds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calldate: Option<String>,
    /// The rows read within the overlap before `calldate`, by their
    /// `calldate`: the next pull reads that stretch again and skips them.
    #[serde(default)]
    pub seen: BTreeMap<String, Vec<String>>,
}

const CALLDATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn parse_calldate(text: &str) -> Option<NaiveDateTime> {
    crate::sources::fields::iso_local(crate::sources::asterisk_db::whole_seconds(text))
}

impl CdrCursor {
    /// Where the next pull starts: the overlap before the latest calldate.
    fn from(&self, overlap: chrono::Duration) -> Option<String> {
        let latest = parse_calldate(self.calldate.as_deref()?)?;
        Some((latest - overlap).format(CALLDATE_FORMAT).to_string())
    }

    /// Adds the rows just stored, and forgets those the next pull will not
    /// read again.
    fn advance(&mut self, read: Vec<(String, String)>, overlap: chrono::Duration) {
        for (calldate, id) in read {
            let later = match &self.calldate {
                Some(c) => calldate > *c,
                None => true,
            };
            if later && parse_calldate(&calldate).is_some() {
                self.calldate = Some(calldate.clone());
            }
            self.seen.entry(calldate).or_default().push(id);
        }
        match self.from(overlap) {
            Some(from) => self.seen = self.seen.split_off(&from),
            None => self.seen.clear(),
        }
    }
}

/// How a pull of a CDR table is paced; the defaults suit production, tests
/// make batches small and act between pages.
pub struct CdrPullTuning {
    /// Rows held before they are stored (with the cursor after them).
    pub flush_rows: usize,
    /// Called after each page with the page's number (from 1) and the CDR
    /// database's id of the pull's session.
    #[allow(clippy::type_complexity)]
    pub after_page: Option<Box<dyn FnMut(u64, i64) -> BoxFuture<'static, ()> + Send>>,
}

impl Default for CdrPullTuning {
    fn default() -> Self {
        Self {
            flush_rows: CHUNK_ROWS,
            after_page: None,
        }
    }
}

/// What is read but not stored yet.
#[derive(Default)]
struct Held {
    calls: CallsById,
    rejects: Vec<Rejected>,
    /// `(calldate, id)` of every row held.
    read: Vec<(String, String)>,
}

/// One pull of a CDR table under way: where it writes, and what it holds.
struct CdrRun<'a> {
    store: &'a Store,
    run: RunId,
    source: &'a SourceConfig,
    db: &'a AsteriskDbConfig,
    options: &'a PullOptions,
    cursor: CdrCursor,
    totals: RunTotals,
    report: PullReport,
    held: Held,
}

/// The stored cursor of a source, as text and read.
async fn read_cursor(
    store: &Store,
    source: &SourceConfig,
) -> Result<(Option<String>, CdrCursor), PullError> {
    let before = store.pull_cursor(&source.name).await?;
    let cursor: CdrCursor = match &before {
        Some(text) => serde_json::from_str(text).map_err(|e| {
            PullError::Remote(format!(
                "the stored cursor of source {} cannot be read ({e}): pull again with --since DATE to start over",
                source.name
            ))
        })?,
        None => CdrCursor::default(),
    };
    Ok((before, cursor))
}

/// The `calldate` a pull reads from: `--since`, else the cursor less the
/// overlap; none on a first pull.
fn start_from(
    cursor: &mut CdrCursor,
    source: &SourceConfig,
    db: &AsteriskDbConfig,
    options: &PullOptions,
) -> Option<String> {
    match options.since {
        Some(since) => {
            // From a day on: rows read before are read again (the upserts
            // keep them once).
            cursor.seen.clear();
            Some(
                since
                    .with_timezone(&source.timezone)
                    .naive_local()
                    .format(CALLDATE_FORMAT)
                    .to_string(),
            )
        }
        None => cursor.from(db.overlap),
    }
}

/// The CDR database's failure while reading, as a pull reports it.
fn read_error(url: &str, e: &sqlx::Error) -> PullError {
    PullError::Remote(db_error(url, "the CDR database failed while reading", e))
}

/// Runs one pull of a CDR table now.
pub async fn pull_cdr_table(
    store: &Store,
    config: &Config,
    source: &SourceConfig,
    db: &AsteriskDbConfig,
    options: &PullOptions,
    tuning: &mut CdrPullTuning,
) -> Result<PullReport, PullError> {
    let started = std::time::Instant::now();
    let (before, mut cursor) = read_cursor(store, source).await?;
    let url = db.url.expose();
    let mut conn = CdrDb::connect(db).await.map_err(PullError::Remote)?;
    let schema = conn.schema(&db.table).await.map_err(PullError::Remote)?;
    let session = conn
        .session_id()
        .await
        .map_err(|e| PullError::Remote(db_error(url, "cannot use the CDR database", &e)))?;
    let from = start_from(&mut cursor, source, db, options);
    let skip: HashSet<String> = cursor.seen.values().flatten().cloned().collect();
    let target = format!("{}/{}", db.host(), db.table);
    let run = store
        .start_run(&source.name, "asterisk_db", &target, options.now)
        .await?;
    let mut pull = CdrRun {
        store,
        run,
        source,
        db,
        options,
        cursor,
        totals: RunTotals::default(),
        report: PullReport {
            source: source.name.clone(),
            cursor_before: before.clone(),
            cursor_after: before,
            ..PullReport::default()
        },
        held: Held::default(),
    };
    if !schema.missing.is_empty() {
        pull.report.notes.push(format!(
            "the table {} lacks {}",
            db.table,
            schema.missing.join(", ")
        ));
    }
    let mut reader = PageReader {
        mapping: Mapping::new(config, source),
        clock: LocalClock::new(source.timezone),
        schema: &schema,
        skip,
        url,
    };
    // Rows without a calldate are out of every page: set aside on a first
    // pull (or one --since a day), which reads the whole table.
    if from.is_none() || options.since.is_some() {
        let undated = conn
            .undated(&schema, source.timezone, db.page_rows)
            .await
            .map_err(|e| read_error(url, &e))?;
        pull.report.requests += 1;
        pull.reject_undated(&schema, &undated);
    }
    let outcome = reader
        .read_pages(&mut pull, &mut conn, from.as_deref(), tuning, session)
        .await;
    // Pages read before a failure are whole: keep them.
    let flushed = pull.flush().await;
    conn.close().await;
    pull.finish(outcome.and(flushed), started).await
}

/// What reading the pages needs besides the run: how rows map to calls,
/// and the rows read before.
struct PageReader<'s> {
    mapping: Mapping,
    clock: LocalClock,
    schema: &'s Schema,
    /// Ids of the overlap's rows read by the last pull.
    skip: HashSet<String>,
    url: &'s str,
}

impl PageReader<'_> {
    /// Reads the table page by page from `from`, storing every few pages
    /// (and the cursor after them).
    async fn read_pages(
        &mut self,
        pull: &mut CdrRun<'_>,
        conn: &mut CdrDb,
        from: Option<&str>,
        tuning: &mut CdrPullTuning,
        session: i64,
    ) -> Result<(), PullError> {
        let (source, db) = (pull.source, pull.db);
        let mut after: Option<Vec<Param>> = None;
        let mut page_no = 0u64;
        loop {
            let page = conn
                .page(
                    self.schema,
                    source.timezone,
                    from,
                    after.as_deref(),
                    db.page_rows,
                )
                .await
                .map_err(|e| read_error(self.url, &e))?;
            page_no += 1;
            pull.report.requests += 1;
            for values in &page {
                self.take_row(pull, values);
            }
            let last = page.last().map(|values| {
                CdrRow {
                    schema: self.schema,
                    values,
                }
                .key()
            });
            let done = page.len() < db.page_rows as usize;
            if pull.held.read.len() >= tuning.flush_rows || done {
                pull.flush().await?;
            }
            if done {
                return Ok(());
            }
            after = last;
            if let Some(hook) = tuning.after_page.as_mut() {
                hook(page_no, session).await;
            }
        }
    }

    /// One row of a page: skipped when read before, else a call held or a
    /// reject.
    fn take_row(&mut self, pull: &mut CdrRun<'_>, values: &[Option<String>]) {
        let db = pull.db;
        let row = CdrRow {
            schema: self.schema,
            values,
        };
        let id = row.id();
        if self.skip.contains(&id) {
            return;
        }
        pull.report.rows_read += 1;
        pull.totals.rows_read += 1;
        match parse_row(
            &row.as_master_csv(),
            &self.mapping,
            &db.rules,
            &mut self.clock,
        ) {
            Ok((mut call, unmapped)) => {
                if let Some(agent) = unmapped {
                    *pull.report.unmapped.entry(agent).or_default() += 1;
                }
                call.recording_url = row.recording_url(db.recording_url.as_deref());
                merge_into(&mut pull.held.calls, call);
            }
            Err(reason) => {
                let mut reject = Rejected::new(&db.table, 0, reason, &row.raw());
                reject.record = id.clone();
                pull.held.rejects.push(reject);
            }
        }
        pull.held
            .read
            .push((row.get("calldate").trim().to_owned(), id));
    }
}

impl CdrRun<'_> {
    /// Sets aside the rows without a calldate.
    fn reject_undated(&mut self, schema: &Schema, undated: &[Vec<Option<String>>]) {
        for values in undated {
            let row = CdrRow { schema, values };
            let mut reject = Rejected::new(
                &self.db.table,
                0,
                "calldate is NULL (expected the call's start)".to_owned(),
                &row.raw(),
            );
            reject.record = row.id();
            self.held.rejects.push(reject);
            self.report.rows_read += 1;
            self.totals.rows_read += 1;
        }
    }

    /// Stores what is held, then the cursor that covers it.
    async fn flush(&mut self) -> Result<(), PullError> {
        let (store, run, source) = (self.store, self.run, self.source);
        if self.held.read.is_empty() && self.held.rejects.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        if !held.rejects.is_empty() {
            store
                .record_rejects(run, &source.name, &held.rejects)
                .await?;
            self.totals.rejected += held.rejects.len() as u64;
            self.report.rejects.extend(held.rejects);
        }
        let calls: Vec<Call> = held.calls.into_values().collect();
        if !calls.is_empty() {
            let records = Records::Calls(calls);
            let done = store_chunk(store, run, &source.name, records, self.options.now).await?;
            self.totals.upserted += done;
            *self.report.records.entry("calls").or_default() += done;
        }
        self.cursor.advance(held.read, self.db.overlap);
        let text = serde_json::to_string(&self.cursor)
            .map_err(|e| PullError::Remote(format!("cannot write the cursor: {e}")))?;
        store
            .set_pull_cursor(&source.name, &text, self.options.now)
            .await?;
        self.report.cursor_after = Some(text);
        Ok(())
    }

    /// Ends the run (also after a failure) and hands over the report.
    async fn finish(
        mut self,
        outcome: Result<(), PullError>,
        started: std::time::Instant,
    ) -> Result<PullReport, PullError> {
        let (source, db) = (self.source, self.db);
        let mut report = std::mem::take(&mut self.report);
        self.totals.unmapped = report.unmapped.values().sum();
        let finished = crate::app::ingest::finished_at(self.options.now, started);
        self.store
            .finish_run(self.run, &self.totals, finished)
            .await?;
        report.seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            source = %source.name,
            host = %db.host(),
            table = %db.table,
            queries = report.requests,
            rows = report.rows_read,
            rejected = report.rejects.len(),
            ok = outcome.is_ok(),
            "pulled the CDR table"
        );
        outcome.map(|()| report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_keeps_only_the_overlap() {
        let mut c = CdrCursor::default();
        let hour = chrono::Duration::hours(1);
        c.advance(
            vec![
                ("2026-11-16 08:00:00".into(), "a/1".into()),
                ("2026-11-16 09:30:00".into(), "b/1".into()),
                ("0000-00-00 00:00:00".into(), "z/1".into()),
                ("2026-11-16 10:00:00".into(), "c/1".into()),
            ],
            hour,
        );
        assert_eq!(c.calldate.as_deref(), Some("2026-11-16 10:00:00"));
        assert_eq!(c.from(hour).as_deref(), Some("2026-11-16 09:00:00"));
        let kept: Vec<&String> = c.seen.values().flatten().collect();
        assert_eq!(kept, ["b/1", "c/1"]);
    }
}
