//! Ingestion runs and what they set aside: a run is started and finished
//! around every file or pull, its rejected rows kept once per line.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use super::db::Value;
use super::upsert_sql::push_value_rows;
use super::{Rejected, Result, RunId, RunStat, RunTotals, StorageError, Store, query_err};

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
}

impl Store {
    pub async fn start_run(
        &self,
        source: &str,
        kind: &str,
        target: &str,
        at: DateTime<Utc>,
    ) -> Result<RunId> {
        let mut sql =
            "INSERT INTO ingest_runs (source, kind, target, started_at) VALUES ".to_owned();
        push_value_rows(&mut sql, self.dialect(), 1, 4);
        sql.push_str(" RETURNING id");
        let rows: Vec<RunRow> = self
            .pool
            .fetch_all(
                &sql,
                &[
                    Value::Text(source),
                    Value::Text(kind),
                    Value::Text(target),
                    Value::Int(at.timestamp()),
                ],
            )
            .await
            .map_err(query_err("starting an ingest run"))?;
        rows.first().map(|r| r.id).ok_or(StorageError::Query {
            doing: "starting an ingest run",
            source: sqlx::Error::RowNotFound,
        })
    }

    pub async fn finish_run(&self, run: RunId, t: &RunTotals, at: DateTime<Utc>) -> Result<()> {
        let d = self.dialect();
        let mut sql = "UPDATE ingest_runs SET ".to_owned();
        let cols = [
            "finished_at",
            "rows_read",
            "inserted",
            "updated",
            "unchanged",
            "rejected",
            "unmapped",
        ];
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(c);
            sql.push_str(" = ");
            d.placeholder(&mut sql, i + 1);
        }
        sql.push_str(" WHERE id = ");
        d.placeholder(&mut sql, cols.len() + 1);
        let n = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
        self.pool
            .execute(
                &sql,
                &[
                    Value::Int(at.timestamp()),
                    n(t.rows_read),
                    n(t.upserted.inserted),
                    n(t.upserted.updated),
                    n(t.upserted.unchanged),
                    n(t.rejected),
                    n(t.unmapped),
                    Value::Int(run),
                ],
            )
            .await
            .map_err(query_err("finishing an ingest run"))?;
        // A large run leaves Postgres planning without statistics of what
        // it wrote: gathered now, before the first question is asked.
        self.refresh_statistics().await?;
        // The days of the daily roll-up that what it wrote can change.
        self.forget_dirty_days().await?;
        Ok(())
    }

    /// Records rows set aside; one entry per (source, file, line, record).
    pub async fn record_rejects(
        &self,
        run: RunId,
        source: &str,
        rejects: &[Rejected],
    ) -> Result<()> {
        if rejects.is_empty() {
            return Ok(());
        }
        // Postgres text cannot hold NUL: a reject carrying one is cleaned.
        let cleaned: Vec<Rejected>;
        let rejects = if rejects.iter().any(Rejected::holds_nul) {
            cleaned = rejects.iter().map(Rejected::cleaned).collect();
            &cleaned[..]
        } else {
            rejects
        };
        let d = self.dialect();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("recording rejected rows"))?;
        // One entry per line: within a statement the last reason wins.
        let mut seen = HashSet::new();
        let unique: Vec<&Rejected> = rejects
            .iter()
            .rev()
            .filter(|r| seen.insert((r.file.as_str(), r.line, r.record.as_str())))
            .collect();
        for chunk in unique.chunks(d.max_params() / 7) {
            let values: Vec<Value<'_>> = chunk
                .iter()
                .flat_map(|r| {
                    [
                        Value::Text(source),
                        Value::Text(&r.file),
                        Value::Int(r.line),
                        Value::Text(&r.record),
                        Value::Text(&r.reason),
                        Value::Text(&r.raw),
                        Value::Int(run),
                    ]
                })
                .collect();
            let mut sql =
                "INSERT INTO ingest_errors (source, file, line, record, reason, raw, run_id) VALUES "
                    .to_owned();
            push_value_rows(&mut sql, d, chunk.len(), 7);
            sql.push_str(
                " ON CONFLICT (source, file, line, record) DO UPDATE SET reason = excluded.reason, \
                 raw = excluded.raw, run_id = excluded.run_id",
            );
            tx.execute(&sql, &values)
                .await
                .map_err(query_err("recording rejected rows"))?;
        }
        tx.commit()
            .await
            .map_err(query_err("recording rejected rows"))
    }

    /// The rows set aside for a source, in file and line order.
    pub async fn rejects(&self, source: &str) -> Result<Vec<Rejected>> {
        let mut sql =
            "SELECT file, line, record, reason, raw FROM ingest_errors WHERE source = ".to_owned();
        self.dialect().placeholder(&mut sql, 1);
        sql.push_str(" ORDER BY file, line, record");
        self.pool
            .fetch_all(&sql, &[Value::Text(source)])
            .await
            .map_err(query_err("listing rejected rows"))
    }

    /// Each source's ingestion runs.
    pub async fn run_stats(&self) -> Result<Vec<RunStat>> {
        self.pool
            .fetch_all(
                "SELECT source, COUNT(*) AS runs, MAX(finished_at) AS last_finished, \
                 CAST(COALESCE(SUM(inserted + updated), 0) AS BIGINT) AS rows_stored \
                 FROM ingest_runs GROUP BY source ORDER BY source",
                &[],
            )
            .await
            .map_err(query_err("reading ingestion runs"))
    }
}
