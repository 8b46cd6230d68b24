//! The storage trait over either backend: each method here, or a thin call
//! into the file that owns its tables (`upsert.rs`, `load.rs`, `outbox.rs`,
//! `links.rs`, ...).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

use super::call_row::CallRow;
use super::db::{Dialect, Pool, Value};
use super::records::StoredPostponement;
use super::upsert_sql::push_value_rows;
use super::*;

pub(super) struct SqlStore {
    pub(super) pool: Pool,
    /// Team yardsticks computed lately (see `yardstick.rs`).
    pub(super) yardsticks: super::yardstick::Cache,
    /// The bulk-load lock while this process has indexes down (`bulk.rs`).
    pub(super) bulk_hold: super::bulk::Hold,
}

impl SqlStore {
    pub(super) fn new(pool: Pool) -> Self {
        Self {
            pool,
            yardsticks: Default::default(),
            bulk_hold: Default::default(),
        }
    }

    pub(super) fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }
}

#[derive(sqlx::FromRow)]
struct TaskDue {
    external_id: String,
    due_at: i64,
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
}

#[async_trait]
impl Storage for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite { writer, .. } => self.migrate_sqlite(writer).await?,
            Pool::Postgres(p) => postgres::MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    async fn sync_directory(&self, teams: &[Team], employees: &[Employee]) -> Result<()> {
        let d = self.dialect();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("syncing teams"))?;
        if !teams.is_empty() {
            let tz: Vec<&str> = teams.iter().map(|t| t.timezone.name()).collect();
            let values: Vec<Value<'_>> = teams
                .iter()
                .zip(&tz)
                .flat_map(|(t, tz)| [Value::Text(&t.id), Value::Text(&t.name), Value::Text(tz)])
                .collect();
            let mut sql = "INSERT INTO teams (id, name, timezone) VALUES ".to_owned();
            push_value_rows(&mut sql, d, teams.len(), 3);
            sql.push_str(
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone",
            );
            tx.execute(&sql, &values)
                .await
                .map_err(query_err("syncing teams"))?;
        }
        for chunk in employees.chunks(d.max_params() / 5) {
            let values: Vec<Value<'_>> = chunk
                .iter()
                .flat_map(|e| {
                    [
                        Value::Text(&e.id),
                        Value::Text(&e.name),
                        Value::Text(e.role.as_str()),
                        Value::NullText(e.position.as_deref()),
                        Value::Text(&e.team),
                    ]
                })
                .collect();
            let mut sql =
                "INSERT INTO employees (id, name, role, position, team_id) VALUES ".to_owned();
            push_value_rows(&mut sql, d, chunk.len(), 5);
            sql.push_str(
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, \
                 position = excluded.position, team_id = excluded.team_id",
            );
            tx.execute(&sql, &values)
                .await
                .map_err(query_err("syncing employees"))?;
        }
        tx.commit().await.map_err(query_err("syncing employees"))
    }

    async fn start_run(
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

    async fn finish_run(&self, run: RunId, t: &RunTotals, at: DateTime<Utc>) -> Result<()> {
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
        Ok(())
    }

    async fn record_rejects(&self, run: RunId, source: &str, rejects: &[Rejected]) -> Result<()> {
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

    async fn rejects(&self, source: &str) -> Result<Vec<Rejected>> {
        let mut sql =
            "SELECT file, line, record, reason, raw FROM ingest_errors WHERE source = ".to_owned();
        self.dialect().placeholder(&mut sql, 1);
        sql.push_str(" ORDER BY file, line, record");
        self.pool
            .fetch_all(&sql, &[Value::Text(source)])
            .await
            .map_err(query_err("listing rejected rows"))
    }

    async fn kpi_schemes(&self) -> Result<Vec<RecordedScheme>> {
        self.recorded_schemes().await
    }
    async fn record_kpi_schemes(&self, after: &str, schemes: &[RecordedScheme]) -> Result<()> {
        self.record_schemes(after, schemes).await
    }

    async fn create_invite(
        &self,
        code: &str,
        employee_id: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.insert_invite(code, employee_id, now, expires_at).await
    }
    async fn redeem_invite(
        &self,
        code: &str,
        telegram_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Redeemed> {
        self.redeem(code, telegram_id, now).await
    }
    async fn telegram_link(&self, telegram_id: i64) -> Result<Option<String>> {
        self.link_of(telegram_id).await
    }
    async fn set_chat_disabled(
        &self,
        chat_id: i64,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.mark_chat(chat_id, reason, now).await
    }
    async fn chat_disabled(&self, chat_id: i64) -> Result<Option<String>> {
        self.chat_mark(chat_id).await
    }
    async fn store_self_report(
        &self,
        employee_id: &str,
        day: NaiveDate,
        figures: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_self_report(employee_id, day, figures, now).await
    }
    async fn self_report(&self, employee_id: &str, day: NaiveDate) -> Result<Option<String>> {
        self.get_self_report(employee_id, day).await
    }
    async fn open_deals_by_stage(
        &self,
        employees: &[String],
        open_stages: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<OpenDeals>> {
        self.count_open_deals(employees, open_stages, now).await
    }
    async fn data_version(&self) -> Result<i64> {
        self.runs_version().await
    }
    async fn schedule_mark(&self, schedule: &str) -> Result<Option<DateTime<Utc>>> {
        self.get_schedule_mark(schedule)
            .await?
            .map(|t| {
                DateTime::from_timestamp(t, 0)
                    .ok_or_else(|| StorageError::Corrupt(format!("schedule mark {t}")))
            })
            .transpose()
    }
    async fn set_schedule_mark(&self, schedule: &str, last_seen: DateTime<Utc>) -> Result<()> {
        self.put_schedule_mark(schedule, last_seen.timestamp())
            .await
    }
    async fn firing_recorded(&self, schedule: &str, slot: &str) -> Result<bool> {
        self.get_firing(schedule, slot).await
    }
    async fn record_firing(
        &self,
        f: &FiringRecord<'_>,
        now: DateTime<Utc>,
        rows: &[NewOutboxRow],
    ) -> Result<bool> {
        self.put_firing(f.schedule, f.slot, f.status, f.due_at, now, f.detail, rows)
            .await
    }
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        max_attempts: i64,
    ) -> Result<Vec<OutboxRow>> {
        self.claim_rows(worker, now, lease_until, limit, max_attempts)
            .await
    }
    async fn outbox_exhausted(
        &self,
        now: DateTime<Utc>,
        max_attempts: i64,
        error: &str,
    ) -> Result<Vec<OutboxRow>> {
        self.fail_exhausted(now, max_attempts, error).await
    }
    async fn outbox_progress(
        &self,
        id: i64,
        worker: &str,
        parts_sent: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        self.renew_claim(id, worker, parts_sent, now, lease_until)
            .await
    }
    async fn outbox_sent(&self, id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool> {
        self.update_claimed(
            id,
            worker,
            "status = 'sent', sent_at = {}, last_error = NULL",
            &[Value::Int(now.timestamp())],
        )
        .await
    }
    async fn outbox_retry(
        &self,
        id: i64,
        worker: &str,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool> {
        self.update_claimed(
            id,
            worker,
            "status = 'pending', next_at = {}, last_error = {}, claimed_until = NULL",
            &[Value::Int(next_at.timestamp()), Value::Text(error)],
        )
        .await
    }
    async fn outbox_failed(&self, id: i64, worker: &str, error: &str) -> Result<bool> {
        self.update_claimed(
            id,
            worker,
            "status = 'failed', last_error = {}, claimed_until = NULL",
            &[Value::Text(error)],
        )
        .await
    }
    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>> {
        self.count_outbox().await
    }
    async fn firing_counts(&self) -> Result<Vec<OutboxCount>> {
        self.pool
            .fetch_all(
                "SELECT schedule AS channel, status, COUNT(*) AS rows FROM firings \
                 GROUP BY schedule, status ORDER BY schedule, status",
                &[],
            )
            .await
            .map_err(query_err("counting firings"))
    }
    async fn run_stats(&self) -> Result<Vec<RunStat>> {
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
    async fn try_session_lock(&self, key: i64) -> Result<Option<SessionLock>> {
        self.pool
            .try_session_lock(key)
            .await
            .map_err(query_err("taking a session lock"))
    }
    async fn pull_cursor(&self, source: &str) -> Result<Option<String>> {
        self.get_pull_cursor(source).await
    }
    async fn set_pull_cursor(&self, source: &str, cursor: &str, now: DateTime<Utc>) -> Result<()> {
        self.put_pull_cursor(source, cursor, now).await
    }
    async fn ingested_file(&self, source: &str, hash: &str) -> Result<Option<String>> {
        self.get_ingested_file(source, hash).await
    }
    async fn record_ingested_file(
        &self,
        source: &str,
        hash: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_ingested_file(source, hash, path, now).await
    }

    async fn upsert_calls(&self, run: RunId, rows: &[Call]) -> Result<Upserted> {
        self.upsert_call_legs(run, rows).await
    }
    async fn upsert_crm_users(&self, run: RunId, rows: &[CrmUser]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }
    async fn upsert_deals(&self, run: RunId, rows: &[Deal]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }
    async fn upsert_stage_changes(&self, run: RunId, rows: &[StageChange]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }
    async fn upsert_tasks(&self, run: RunId, rows: &[Task]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }
    async fn upsert_postponements(
        &self,
        run: RunId,
        rows: Vec<TaskPostponement>,
    ) -> Result<Upserted> {
        let rows: Vec<StoredPostponement> = rows.into_iter().map(StoredPostponement::new).collect();
        self.upsert(run, &rows).await
    }
    async fn upsert_activities(&self, run: RunId, rows: &[Activity]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }
    async fn upsert_comments(&self, run: RunId, rows: &[Comment]) -> Result<Upserted> {
        self.upsert(run, rows).await
    }
    async fn remove_meetings(&self, rows: &[Activity]) -> Result<u64> {
        self.delete_meetings(rows).await
    }

    async fn task_dues(
        &self,
        source: &str,
        external_ids: &[&str],
    ) -> Result<Vec<(String, DateTime<Utc>)>> {
        let d = self.dialect();
        let mut out = Vec::with_capacity(external_ids.len());
        for chunk in external_ids.chunks(d.max_params() - 1) {
            let mut sql = "SELECT external_id, due_at FROM tasks WHERE source = ".to_owned();
            d.placeholder(&mut sql, 1);
            sql.push_str(" AND external_id IN (");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                d.placeholder(&mut sql, i + 2);
            }
            sql.push(')');
            let mut values = vec![Value::Text(source)];
            values.extend(chunk.iter().map(|id| Value::Text(id)));
            let rows: Vec<TaskDue> = self
                .pool
                .fetch_all(&sql, &values)
                .await
                .map_err(query_err("reading task due times"))?;
            out.extend(rows.into_iter().filter_map(|r| {
                DateTime::from_timestamp(r.due_at, 0).map(|due| (r.external_id, due))
            }));
        }
        Ok(out)
    }

    async fn calls_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        employees: &[String],
    ) -> Result<Vec<Call>> {
        let d = self.dialect();
        let mut sql = "SELECT source, external_id, employee_id, agent, direction, number, started_at, \
                       answered_at, ended_at, talk_seconds, disposition, deal_ext, kind, legs, rank, leg_key, \
                       recording_url FROM calls WHERE started_at >= "
            .to_owned();
        d.placeholder(&mut sql, 1);
        sql.push_str(" AND started_at < ");
        d.placeholder(&mut sql, 2);
        let mut values = vec![Value::Int(from.timestamp()), Value::Int(to.timestamp())];
        if !employees.is_empty() {
            sql.push_str(" AND employee_id IN (");
            for (i, e) in employees.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                d.placeholder(&mut sql, i + 3);
                values.push(Value::Text(e));
            }
            sql.push(')');
        }
        sql.push_str(" ORDER BY started_at, id");
        let rows: Vec<CallRow> = self
            .pool
            .fetch_all(&sql, &values)
            .await
            .map_err(query_err("loading calls"))?;
        rows.into_iter().map(CallRow::into_call).collect()
    }

    async fn begin_bulk_load(&self, table: &str, expected_rows: u64) -> Result<bool> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(false);
        }
        if !SQLITE_BULK_INDEXES.iter().any(|(_, t, _)| *t == table) || expected_rows < 200_000 {
            return Ok(false);
        }
        let held: Vec<Count> = self
            .pool
            .fetch_all(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .await
            .map_err(query_err("sizing a bulk load"))?;
        let held = held.first().map(|c| c.n).unwrap_or(0).max(0) as u64;
        if expected_rows < held {
            return Ok(false);
        }
        self.drop_bulk_indexes(table).await
    }

    async fn end_bulk_load(&self) -> Result<()> {
        self.restore_bulk_indexes().await
    }

    async fn load_scope(&self, query: &ScopeQuery) -> Result<Dataset> {
        if query.employees.is_empty() {
            return Ok(Dataset::default());
        }
        let calls = self
            .calls_between(query.from, query.to, &query.employees)
            .await?;
        super::load::load_scope(&self.pool, query, calls).await
    }

    async fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        // Numbered branches: UNION ALL alone does not promise an order.
        let branches: Vec<String> = TABLES
            .iter()
            .enumerate()
            .map(|(i, t)| format!("SELECT {i} AS k, (SELECT COUNT(*) FROM {t}) AS n"))
            .collect();
        let sql = format!(
            "SELECT n FROM ({}) AS counts ORDER BY k",
            branches.join(" UNION ALL ")
        );
        let rows: Vec<Count> = self
            .pool
            .fetch_all(&sql, &[])
            .await
            .map_err(query_err("counting rows"))?;
        Ok(TABLES
            .iter()
            .map(|t| (*t).to_owned())
            .zip(rows.into_iter().map(|c| c.n))
            .collect())
    }

    async fn close(&self) {
        self.pool.close().await;
        // Indexes still down are left to the next process to build.
        self.release_bulk_lock();
    }
}
