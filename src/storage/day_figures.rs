//! The daily roll-up's table: one row per person and local day with the
//! counts of that day (`metrics::day::DayTally`, as JSON) and its pulse,
//! under the version of the settings it was computed with. Read a period
//! at a time for many people in one indexed query; written a batch at a
//! time in one transaction; dropped from an instant on when records of
//! that time arrive or change (`stale_days`).

use chrono::{DateTime, NaiveDate, Utc};

use super::db::Value;
use super::in_list::InList;
use super::{Result, Store, query_err};

/// Which parts of stored days to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellParts {
    pub tally: bool,
    pub funnel: bool,
    pub pulse: bool,
}

/// One stored day of one person.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCell {
    pub employee_id: String,
    pub day: NaiveDate,
    /// The day's bounds in UTC (the team's local midnight to midnight).
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `metrics::day::DayTally` as JSON, without its funnel (`None` when
    /// not read).
    pub tally: Option<String>,
    /// The day's `metrics::funnel::FunnelTally` as JSON (`None` when not read).
    pub funnel: Option<String>,
    /// The day's `DayPulse` as JSON, for a day that has one.
    pub pulse: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Epoch {
    n: i64,
}

#[derive(sqlx::FromRow)]
struct CellRow {
    employee_id: String,
    day: String,
    starts_at: i64,
    ends_at: i64,
    tally: Option<String>,
    funnel: Option<String>,
    pulse: Option<String>,
}

fn corrupt(what: String) -> super::StorageError {
    super::StorageError::Corrupt(what)
}

impl CellRow {
    fn into_cell(self) -> Result<DayCell> {
        let instant =
            |s: i64| DateTime::from_timestamp(s, 0).ok_or_else(|| corrupt(format!("instant {s}")));
        Ok(DayCell {
            day: NaiveDate::parse_from_str(&self.day, "%Y-%m-%d")
                .map_err(|_| corrupt(format!("day {:?}", self.day)))?,
            starts_at: instant(self.starts_at)?,
            ends_at: instant(self.ends_at)?,
            employee_id: self.employee_id,
            tally: self.tally,
            funnel: self.funnel,
            pulse: self.pulse,
        })
    }
}

impl Store {
    /// The stored days `[first, last]` of `employees` computed under
    /// `version`, with the parts asked for; days missing from the answer
    /// are to be computed.
    pub async fn day_cells(
        &self,
        employees: &[&str],
        first: NaiveDate,
        last: NaiveDate,
        version: &str,
        parts: CellParts,
    ) -> Result<Vec<DayCell>> {
        let (first, last) = (first.to_string(), last.to_string());
        let column = |wanted: bool, name: &str| {
            if wanted {
                name.to_owned()
            } else {
                format!("NULL AS {name}")
            }
        };
        let head = format!(
            "SELECT employee_id, day, starts_at, ends_at, {}, {}, {} FROM day_figures \
             WHERE version = {{}} AND day >= {{}} AND day <= {{}} AND ",
            column(parts.tally, "tally"),
            column(parts.funnel, "funnel"),
            column(parts.pulse, "pulse"),
        );
        let rows: Vec<CellRow> = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        }
        .fetch(
            &head,
            "employee_id",
            employees,
            &[
                Value::Text(version),
                Value::Text(&first),
                Value::Text(&last),
            ],
            "",
            "reading the daily roll-up",
        )
        .await?;
        rows.into_iter().map(CellRow::into_cell).collect()
    }

    /// How many times days were dropped so far: read before the records a
    /// day is computed from, and handed to [`Store::put_day_cells`].
    pub async fn day_figures_epoch(&self) -> Result<i64> {
        let rows: Vec<Epoch> = self
            .pool
            .fetch_all("SELECT n FROM day_figures_epoch WHERE id = 1", &[])
            .await
            .map_err(query_err("reading the daily roll-up's epoch"))?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    /// Writes computed days under `version`, replacing what was stored for
    /// the same person and day; one transaction. Nothing is written when
    /// days were dropped since `epoch` (the records they were computed from
    /// may have changed): returns whether they were written.
    pub async fn put_day_cells(
        &self,
        cells: &[DayCell],
        version: &str,
        epoch: i64,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        if cells.is_empty() {
            return Ok(true);
        }
        const COLUMNS: usize = 9;
        let d = self.dialect();
        let per_chunk = (d.max_params() / COLUMNS).max(1);
        let days: Vec<String> = cells.iter().map(|c| c.day.to_string()).collect();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("writing the daily roll-up"))?;
        // Postgres: wait for a drop under way to commit, then see its epoch
        // (SQLite's write transactions take turns anyway).
        let lock = match d {
            super::db::Dialect::Postgres => " FOR UPDATE",
            super::db::Dialect::Sqlite => "",
        };
        let now_epoch = tx
            .fetch_opt_ints(
                &format!("SELECT n FROM day_figures_epoch WHERE id = 1{lock}"),
                &[],
            )
            .await
            .map_err(query_err("writing the daily roll-up"))?;
        if now_epoch.first().copied().flatten().unwrap_or(0) != epoch {
            return Ok(false);
        }
        for (chunk, chunk_days) in cells.chunks(per_chunk).zip(days.chunks(per_chunk)) {
            let mut sql = "INSERT INTO day_figures (employee_id, day, starts_at, ends_at, version, tally, funnel, pulse, computed_at) VALUES ".to_owned();
            let mut values: Vec<Value<'_>> = Vec::with_capacity(chunk.len() * COLUMNS);
            for (i, (c, day)) in chunk.iter().zip(chunk_days).enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for k in 0..COLUMNS {
                    if k > 0 {
                        sql.push_str(", ");
                    }
                    d.placeholder(&mut sql, i * COLUMNS + k + 1);
                }
                sql.push(')');
                values.extend([
                    Value::Text(&c.employee_id),
                    Value::Text(day),
                    Value::Int(c.starts_at.timestamp()),
                    Value::Int(c.ends_at.timestamp()),
                    Value::Text(version),
                    Value::Text(c.tally.as_deref().unwrap_or("{}")),
                    Value::Text(c.funnel.as_deref().unwrap_or("{}")),
                    Value::NullText(c.pulse.as_deref()),
                    Value::Int(at.timestamp()),
                ]);
            }
            sql.push_str(
                " ON CONFLICT (employee_id, day) DO UPDATE SET starts_at = excluded.starts_at, \
                 ends_at = excluded.ends_at, version = excluded.version, tally = excluded.tally, \
                 funnel = excluded.funnel, pulse = excluded.pulse, computed_at = excluded.computed_at",
            );
            tx.execute(&sql, &values)
                .await
                .map_err(query_err("writing the daily roll-up"))?;
        }
        tx.commit()
            .await
            .map_err(query_err("writing the daily roll-up"))?;
        Ok(true)
    }
}
