//! Team-wide counts computed in the database: what a person's figures are
//! measured against, without loading the team's records. The counts are
//! kept for a few minutes while the data does not change (no ingestion run
//! started or finished): a morning of `/me` from a 500-person team counts
//! the team's open deals once, not once per question.

use chrono::{DateTime, Utc};

use super::Store;
use super::db::Value;
use super::in_list::InList;
use super::{OpenDeals, Result, query_err};

/// How long counts are reused while the data stays the same: a deal
/// created meanwhile by the clock alone (`created_at <= now`) is a
/// difference no yardstick notices.
const REUSE_FOR: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Default)]
pub(super) struct Cache(std::sync::Mutex<Vec<Cached>>);

struct Cached {
    employees: Vec<String>,
    open_stages: Vec<String>,
    version: i64,
    now: DateTime<Utc>,
    counts: Vec<OpenDeals>,
}

impl Cache {
    fn get(
        &self,
        employees: &[String],
        stages: &[String],
        version: i64,
        now: DateTime<Utc>,
    ) -> Option<Vec<OpenDeals>> {
        let cached = self.0.lock().ok()?;
        cached
            .iter()
            .find(|c| {
                c.version == version
                    && (now - c.now).abs() <= REUSE_FOR
                    && c.employees == employees
                    && c.open_stages == stages
            })
            .map(|c| c.counts.clone())
    }

    fn put(&self, entry: Cached) {
        if let Ok(mut cached) = self.0.lock() {
            cached.retain(|c| {
                !(c.employees == entry.employees && c.open_stages == entry.open_stages)
            });
            // A few teams at most; an unbounded list would be a leak.
            if cached.len() >= 32 {
                cached.remove(0);
            }
            cached.push(entry);
        }
    }
}

#[derive(sqlx::FromRow)]
struct OpenRow {
    stage: String,
    deals: i64,
    amount_minor: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    runs: i64,
    finished: i64,
}

impl Store {
    /// Open deals per stage of `employees` created by `now`, counted in the
    /// database (the yardstick of a person's bottleneck).
    pub async fn open_deals_by_stage(
        &self,
        employees: &[String],
        open_stages: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<OpenDeals>> {
        if open_stages.is_empty() || employees.is_empty() {
            return Ok(Vec::new());
        }
        let version = self.data_version().await?;
        if let Some(counts) = self.yardsticks.get(employees, open_stages, version, now) {
            return Ok(counts);
        }
        let list = InList {
            pool: &self.pool,
            dialect: self.pool.dialect(),
        };
        let people: Vec<&str> = employees.iter().map(String::as_str).collect();
        let marks = vec!["{}"; open_stages.len()].join(", ");
        let mut fixed: Vec<Value<'_>> = vec![Value::Int(now.timestamp())];
        fixed.extend(open_stages.iter().map(|s| Value::Text(s)));
        let rows: Vec<OpenRow> = list
            .fetch(
                &format!(
                    "SELECT stage, COUNT(*) AS deals, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS amount_minor \
                     FROM deals WHERE created_at <= {{}} AND stage IN ({marks}) AND "
                ),
                "employee_id",
                &people,
                &fixed,
                " GROUP BY stage",
                "counting the team's open deals",
            )
            .await?;
        // IN lists over the parameter limit come back in several chunks.
        let mut out: Vec<OpenDeals> = Vec::new();
        for r in rows {
            match out.iter_mut().find(|o| o.stage == r.stage) {
                Some(o) => {
                    o.deals += r.deals;
                    o.amount_minor += r.amount_minor;
                }
                None => out.push(OpenDeals {
                    stage: r.stage,
                    deals: r.deals,
                    amount_minor: r.amount_minor,
                }),
            }
        }
        self.yardsticks.put(Cached {
            employees: employees.to_vec(),
            open_stages: open_stages.to_vec(),
            version,
            now,
            counts: out.clone(),
        });
        Ok(out)
    }

    /// A number that changes whenever an ingestion run starts or finishes:
    /// what was computed from the data under an older number may be stale.
    pub async fn data_version(&self) -> Result<i64> {
        let rows: Vec<VersionRow> = self
            .pool
            .fetch_all(
                "SELECT COUNT(*) AS runs, COUNT(finished_at) AS finished FROM ingest_runs",
                &[],
            )
            .await
            .map_err(query_err("reading the data version"))?;
        Ok(rows
            .first()
            .map(|r| r.runs * 1_000_000 + r.finished)
            .unwrap_or(0))
    }
}
