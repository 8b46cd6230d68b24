//! Upserts: a batch of records in one transaction, as multi-row
//! `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed` statements sized to
//! the backend's parameter limit, counted as inserted, updated or unchanged.

use std::collections::{HashMap, HashSet};

use super::db::{Dialect, Tx, Value};
use super::in_list::InList;
use super::records::StoredPostponement;
use super::records::{CrmTouch, Record, content_hash};
use super::sqlite_rows;
use super::upsert_sql::{batch_sql, column_list, stage_update_sql, upsert_sql_returning};
use super::{Result, RunId, Store, Upserted, query_err};
use crate::domain::{Activity, Comment, CrmUser, Deal, StageChange, Task, TaskPostponement};

impl Store {
    pub async fn upsert_crm_users(&self, run: RunId, rows: &[CrmUser]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }

    pub async fn upsert_deals(&self, run: RunId, rows: &[Deal]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }

    pub async fn upsert_stage_changes(&self, run: RunId, rows: &[StageChange]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }

    pub async fn upsert_tasks(&self, run: RunId, rows: &[Task]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }

    pub async fn upsert_postponements(
        &self,
        run: RunId,
        rows: Vec<TaskPostponement>,
    ) -> Result<Upserted> {
        let rows: Vec<StoredPostponement> = rows.into_iter().map(StoredPostponement::new).collect();
        self.upsert(run, &rows).await
    }

    pub async fn upsert_activities(&self, run: RunId, rows: &[Activity]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }

    pub async fn upsert_comments(&self, run: RunId, rows: &[Comment]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }

    /// Upserts a batch of records: a record already stored with the same
    /// content is left alone and counted unchanged.
    pub(super) async fn upsert<R: Record>(&self, run: RunId, rows: &[R]) -> Result<Upserted> {
        let (unique, mut counts) = last_of_each(rows);
        if unique.is_empty() {
            return Ok(counts);
        }
        // A CRM record replacing a stored one changes the days its stored
        // version counted for too: read those first (a bulk load drops
        // everyone's days instead).
        let stored = match R::STORED_TOUCH {
            Some(select) if unique.len() <= STORED_ASKED => {
                Some(self.stored_touches::<R>(select, &unique).await?)
            }
            _ => None,
        };

        let dialect = self.dialect();
        let (per_row, chunk_rows) = chunking::<R>(dialect);
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a batch"))?;
        let stage = format!("stage_{}", R::TABLE);
        if dialect == Dialect::Sqlite {
            // SQLite: the batch goes into an in-memory table first, row by
            // row, then into the real one in one statement, in key order.
            // One statement per batch journals each touched page once instead
            // of once per statement, and sorted keys touch few pages.
            tx.execute(
                &format!(
                    "CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {} FROM main.{} WHERE 0",
                    column_list::<R>(),
                    R::TABLE
                ),
                &[],
            )
            .await
            .map_err(query_err("preparing a batch"))?;
        }
        if let Some(conn) = tx.sqlite() {
            sqlite_rows::each_row(
                conn,
                &batch_sql::<R>(dialect, 1, &stage),
                &unique,
                |row, values| push_rows(values, &[row], run),
                "staging records",
            )
            .await?;
        } else {
            // Postgres: multi-row upserts, each handing back what it did.
            let mut values: Vec<Value<'_>> =
                Vec::with_capacity(chunk_rows.min(unique.len()) * per_row);
            let mut full_sql: Option<String> = None;
            for chunk in unique.chunks(chunk_rows) {
                values.clear();
                push_rows(&mut values, chunk, run);
                let sql = if chunk.len() == chunk_rows {
                    full_sql.get_or_insert_with(|| batch_sql::<R>(dialect, chunk_rows, &stage))
                } else {
                    &batch_sql::<R>(dialect, chunk.len(), &stage)
                };
                let returned = tx
                    .fetch_opt_ints(sql, &values)
                    .await
                    .map_err(query_err("upserting records"))?;
                counts.add_returned(&returned, chunk.len());
            }
        }
        if dialect == Dialect::Sqlite {
            counts += merge_stage::<R>(&mut tx, &stage, unique.len()).await?;
        }
        tx.commit().await.map_err(query_err("committing a batch"))?;
        self.note_written(counts, &unique, stored.as_ref());
        Ok(counts)
    }

    /// SQLite: records known not to be stored (the batch looked their keys
    /// up), inserted in key order straight into the table, with no stage
    /// table and nothing handed back per row. One stored meanwhile by
    /// another writer is still upserted; each row written counts as
    /// inserted. Keys must be unique within `rows`.
    pub(super) async fn insert_new<R: Record>(&self, run: RunId, rows: &[R]) -> Result<Upserted> {
        if rows.is_empty() {
            return Ok(Upserted::default());
        }
        // Postgres upserts every batch, with its counts handed back.
        if self.dialect() != Dialect::Sqlite {
            return self.upsert(run, rows).await;
        }
        let mut sorted: Vec<&R> = rows.iter().collect();
        sorted.sort_unstable_by(|a, b| {
            (a.source(), a.external_id()).cmp(&(b.source(), b.external_id()))
        });
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a batch"))?;
        let Some(conn) = tx.sqlite() else {
            drop(tx);
            return self.upsert(run, rows).await;
        };
        let inserted = sqlite_rows::each_row(
            conn,
            &upsert_sql_returning::<R>(Dialect::Sqlite, 1, false),
            &sorted,
            |row, values| push_rows(values, &[row], run),
            "inserting records",
        )
        .await?;
        tx.commit().await.map_err(query_err("committing a batch"))?;
        let counts = Upserted {
            inserted,
            updated: 0,
            unchanged: (rows.len() as u64).saturating_sub(inserted),
        };
        self.note_written(counts, &sorted, None);
        Ok(counts)
    }

    /// The stored versions of a batch's records: their content hash and
    /// whose figures they count for.
    async fn stored_touches<R: Record>(
        &self,
        select: &str,
        rows: &[&R],
    ) -> Result<HashMap<(String, String), StoredTouch>> {
        let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in rows {
            by_source
                .entry(r.source())
                .or_default()
                .push(r.external_id());
        }
        let list = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        };
        let head = format!(
            "SELECT source, external_id, row_hash, {select} FROM {} WHERE source = {{}} AND ",
            R::TABLE
        );
        let mut out = HashMap::with_capacity(rows.len());
        for (source, ids) in by_source {
            let found: Vec<StoredTouch> = list
                .fetch(
                    &head,
                    "external_id",
                    &ids,
                    &[Value::Text(source)],
                    "",
                    "reading the stored versions of CRM records",
                )
                .await?;
            out.extend(
                found
                    .into_iter()
                    .map(|t| ((t.source.clone(), t.external_id.clone()), t)),
            );
        }
        Ok(out)
    }
}

/// The records of a batch to write, the last of each key (one statement
/// may hold a key once), and the earlier ones counted: overwritten by the
/// last (updated), or the same as it (unchanged).
fn last_of_each<R: Record>(rows: &[R]) -> (Vec<&R>, Upserted) {
    let mut seen = HashSet::with_capacity(rows.len());
    let mut unique: Vec<&R> = rows
        .iter()
        .rev()
        .filter(|r| seen.insert((r.source(), r.external_id())))
        .collect();
    unique.reverse();
    let mut counts = Upserted::default();
    if unique.len() == rows.len() {
        return (unique, counts);
    }
    let hash_of = |r: &R| {
        let mut v = Vec::with_capacity(R::COLUMNS.len());
        r.push_values(&mut v);
        content_hash(&v)
    };
    let winners: HashMap<(&str, &str), i64> = unique
        .iter()
        .map(|r| ((r.source(), r.external_id()), hash_of(r)))
        .collect();
    let mut first = HashSet::with_capacity(rows.len());
    for r in rows.iter().rev() {
        let key = (r.source(), r.external_id());
        if first.insert(key) {
            continue;
        }
        if winners.get(&key) == Some(&hash_of(r)) {
            counts.unchanged += 1;
        } else {
            counts.updated += 1;
        }
    }
    (unique, counts)
}

/// SQLite: the staged batch of `staged` records into its table, the stored
/// rows it changes first, then the new ones, each counted by the rows it
/// wrote (no row handed back per record); the stage emptied.
async fn merge_stage<R: Record>(tx: &mut Tx, stage: &str, staged: usize) -> Result<Upserted> {
    let updated = tx
        .execute(&stage_update_sql::<R>(stage), &[])
        .await
        .map_err(query_err("updating records"))?;
    let inserted = tx
        .execute(
            &format!(
                "INSERT INTO main.{table} ({cols}) SELECT {cols} FROM temp.{stage} \
                 WHERE true ORDER BY source, external_id \
                 ON CONFLICT (source, external_id) DO NOTHING",
                table = R::TABLE,
                cols = column_list::<R>(),
            ),
            &[],
        )
        .await
        .map_err(query_err("inserting records"))?;
    tx.execute(&format!("DELETE FROM temp.{stage}"), &[])
        .await
        .map_err(query_err("clearing a batch"))?;
    Ok(Upserted {
        inserted,
        updated,
        unchanged: (staged as u64).saturating_sub(inserted + updated),
    })
}

/// Values bound per row (key, columns, content hash, run), and rows per
/// statement under the backend's limit.
fn chunking<R: Record>(dialect: Dialect) -> (usize, usize) {
    let per_row = R::COLUMNS.len() + 4;
    (per_row, (dialect.max_params() / per_row).max(1))
}

/// The values of rows as an upsert binds them: key, columns, content hash,
/// run.
fn push_rows<'a, R: Record>(values: &mut Vec<Value<'a>>, rows: &[&'a R], run: RunId) {
    for row in rows {
        values.push(Value::Text(row.source()));
        values.push(Value::Text(row.external_id()));
        let start = values.len();
        row.push_values(values);
        let hash = content_hash(&values[start..]);
        values.push(Value::Int(hash));
        values.push(Value::Int(run));
    }
}

/// More CRM records than this in one batch: a bulk load, which drops
/// everyone's days from its earliest record instead.
const STORED_ASKED: usize = 5_000;

/// A CRM record as stored before a batch: see [`Record::STORED_TOUCH`].
#[derive(sqlx::FromRow)]
struct StoredTouch {
    source: String,
    external_id: String,
    row_hash: i64,
    person: Option<String>,
    deal: Option<String>,
    phone: Option<String>,
    task: Option<String>,
    at: i64,
}

impl StoredTouch {
    fn touch(&self) -> Option<CrmTouch<'_>> {
        Some(CrmTouch {
            person: self.person.as_deref(),
            deal: self.deal.as_deref(),
            phone: self.phone.as_deref(),
            task: self.task.as_deref(),
            at: chrono::DateTime::from_timestamp(self.at, 0)?,
        })
    }
}

impl Store {
    /// What a batch wrote: counted for planner statistics, and whose days
    /// of the daily roll-up it can change. `stored`: the CRM records' stored
    /// versions before the batch, when they were read.
    fn note_written<R: Record>(
        &self,
        counts: Upserted,
        rows: &[&R],
        stored: Option<&HashMap<(String, String), StoredTouch>>,
    ) {
        self.written.add(R::TABLE, counts);
        if counts.inserted + counts.updated == 0 {
            return;
        }
        self.open_memo.clear();
        // New calls change their callers' days (and later calls to their
        // numbers); a changed call may have had another caller, so a batch
        // with one changes everyone's. A CRM record changes the days of
        // whoever it and its stored version count for.
        let new_calls = counts.updated == 0;
        let mut earliest = None;
        for r in rows {
            if let (Some(stored), Some(touch)) = (stored, r.crm()) {
                let old = stored.get(&(r.source().to_owned(), r.external_id().to_owned()));
                let mut values = Vec::with_capacity(R::COLUMNS.len());
                r.push_values(&mut values);
                if old.is_some_and(|o| o.row_hash == content_hash(&values)) {
                    continue;
                }
                let old = old.and_then(StoredTouch::touch);
                let new_phone = R::TABLE == "deals" && old.is_none_or(|o| o.phone != touch.phone);
                self.dirty.mark_crm(&touch, new_phone);
                if let Some(old) = old {
                    self.dirty.mark_crm(&old, new_phone);
                }
                continue;
            }
            match (r.call(), r.at()) {
                (Some((caller, number)), Some(at)) if new_calls => {
                    self.dirty.mark_call(caller, number, at)
                }
                (_, Some(at)) => {
                    earliest =
                        Some(earliest.map_or(at, |e: chrono::DateTime<chrono::Utc>| e.min(at)))
                }
                (_, None) => {}
            }
        }
        self.dirty.mark(earliest);
    }
}

impl Upserted {
    /// Counts what an upsert's `RETURNING updated_run` gave for `offered` rows.
    fn add_returned(&mut self, returned: &[Option<i64>], offered: usize) {
        let inserted = returned.iter().filter(|r| r.is_none()).count() as u64;
        self.inserted += inserted;
        self.updated += returned.len() as u64 - inserted;
        self.unchanged += (offered - returned.len()) as u64;
    }
}
