//! Planner statistics after a large load. Postgres plans from the statistics
//! `ANALYZE` gathers; a table filled by one big ingest or pull has none until
//! autovacuum comes by, and meanwhile picks slow plans (a person's day read
//! by a full scan). Each upsert counts the rows it wrote per table; when a
//! run finishes, every table that took many rows since it was last analyzed
//! is analyzed then, as `pg_restore` users are told to do by hand.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::db::Dialect;
use super::{Result, Store, Upserted, query_err};

/// Rows written to one table after which its statistics are gathered again.
/// `ANALYZE` samples a bounded number of rows, so it costs well under a
/// second on any table size; below this the old statistics still hold.
pub const ANALYZE_AFTER_ROWS: u64 = 10_000;

/// Rows written per table since its last `ANALYZE`.
#[derive(Default)]
pub(super) struct Written(Mutex<BTreeMap<&'static str, u64>>);

impl Written {
    pub(super) fn add(&self, table: &'static str, done: Upserted) {
        let n = done.inserted + done.updated;
        if n == 0 {
            return;
        }
        if let Ok(mut w) = self.0.lock() {
            *w.entry(table).or_insert(0) += n;
        }
    }

    /// The tables due for statistics, taken off the count.
    fn take_due(&self) -> Vec<&'static str> {
        let Ok(mut w) = self.0.lock() else {
            return Vec::new();
        };
        let due: Vec<&'static str> = w
            .iter()
            .filter(|(_, n)| **n >= ANALYZE_AFTER_ROWS)
            .map(|(t, _)| *t)
            .collect();
        for t in &due {
            w.remove(t);
        }
        due
    }
}

impl Store {
    /// Gathers planner statistics of the tables that took at least
    /// [`ANALYZE_AFTER_ROWS`] rows since they were last gathered; returns
    /// the tables analyzed. SQLite plans by its indexes alone here: nothing.
    pub async fn refresh_statistics(&self) -> Result<Vec<&'static str>> {
        if self.dialect() != Dialect::Postgres {
            return Ok(Vec::new());
        }
        let due = self.written.take_due();
        if due.is_empty() {
            return Ok(due);
        }
        let started = std::time::Instant::now();
        // Table names come from the record types, never from input.
        self.pool
            .execute(&format!("ANALYZE {}", due.join(", ")), &[])
            .await
            .map_err(query_err("gathering planner statistics after a load"))?;
        tracing::info!(
            tables = due.join(", "),
            seconds = started.elapsed().as_secs_f64(),
            "planner statistics gathered after a large load"
        );
        Ok(due)
    }
}
