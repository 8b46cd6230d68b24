//! Upserts: a batch of records in one transaction, as multi-row
//! `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed` statements sized to
//! the backend's parameter limit, counted as inserted, updated or unchanged.

use std::collections::HashSet;

use super::db::{Dialect, Value};
use super::records::StoredPostponement;
use super::records::{Record, content_hash};
use super::upsert_sql::{batch_sql, column_list, conflict_clause};
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
        // Within one statement a key may appear once: the last record wins.
        let mut seen = HashSet::with_capacity(rows.len());
        let mut unique: Vec<&R> = rows
            .iter()
            .rev()
            .filter(|r| seen.insert((r.source(), r.external_id())))
            .collect();
        unique.reverse();
        let mut counts = Upserted::default();
        if unique.len() < rows.len() {
            // A key repeated within the batch: the last record is stored; an
            // earlier one with other content was overwritten by it (updated),
            // one with the same content changed nothing.
            let hash_of = |r: &R| {
                let mut v = Vec::with_capacity(R::COLUMNS.len());
                r.push_values(&mut v);
                content_hash(&v)
            };
            let winners: std::collections::HashMap<(&str, &str), i64> = unique
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
        }
        if unique.is_empty() {
            return Ok(counts);
        }

        let per_row = R::COLUMNS.len() + 4;
        let dialect = self.dialect();
        let chunk_rows = (dialect.max_params() / per_row).max(1);
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a batch"))?;
        let mut values: Vec<Value<'_>> = Vec::with_capacity(chunk_rows.min(unique.len()) * per_row);
        let mut full_sql: Option<String> = None;
        let stage = format!("stage_{}", R::TABLE);
        if dialect == Dialect::Sqlite {
            // SQLite: the batch goes into an in-memory table first, then into
            // the real one in one statement, in key order.
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
        for chunk in unique.chunks(chunk_rows) {
            values.clear();
            for row in chunk {
                values.push(Value::Text(row.source()));
                values.push(Value::Text(row.external_id()));
                let start = values.len();
                row.push_values(&mut values);
                let hash = content_hash(&values[start..]);
                values.push(Value::Int(hash));
                values.push(Value::Int(run));
            }
            let sql = if chunk.len() == chunk_rows {
                full_sql.get_or_insert_with(|| batch_sql::<R>(dialect, chunk_rows, &stage))
            } else {
                &batch_sql::<R>(dialect, chunk.len(), &stage)
            };
            match dialect {
                Dialect::Sqlite => {
                    tx.execute(sql, &values)
                        .await
                        .map_err(query_err("staging records"))?;
                }
                Dialect::Postgres => {
                    let returned = tx
                        .fetch_opt_ints(sql, &values)
                        .await
                        .map_err(query_err("upserting records"))?;
                    counts.add_returned(&returned, chunk.len());
                }
            }
        }
        if dialect == Dialect::Sqlite {
            let sql = format!(
                "INSERT INTO main.{table} ({cols}) SELECT {cols} FROM temp.{stage} WHERE true ORDER BY source, external_id{conflict}",
                table = R::TABLE,
                cols = column_list::<R>(),
                conflict = conflict_clause::<R>(),
            );
            let returned = tx
                .fetch_opt_ints(&sql, &[])
                .await
                .map_err(query_err("upserting records"))?;
            counts.add_returned(&returned, unique.len());
            tx.execute(&format!("DELETE FROM temp.{stage}"), &[])
                .await
                .map_err(query_err("clearing a batch"))?;
        }
        tx.commit().await.map_err(query_err("committing a batch"))?;
        self.note_written(counts, &unique);
        Ok(counts)
    }
}

impl Store {
    /// What a batch wrote: counted for planner statistics, and the
    /// earliest instant it can change for the daily roll-up.
    fn note_written<R: Record>(&self, counts: Upserted, rows: &[&R]) {
        self.written.add(R::TABLE, counts);
        if counts.inserted + counts.updated > 0 {
            // New calls change their callers' days (and later calls to
            // their numbers); a changed call may have had another caller,
            // so a batch with one changes everyone's.
            let new_calls = counts.updated == 0;
            let mut earliest = None;
            for r in rows {
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
            self.open_memo.clear();
        }
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
