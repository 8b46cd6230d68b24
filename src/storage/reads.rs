//! Reads outside a scope load: the calls of a period, the stored due
//! times of tasks (to notice postponements), the owners of the deals of
//! numbers (who should call a missed number back).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::call_row::CallRow;
use super::db::Value;
use super::in_list::InList;
use super::{Result, Store, query_err};
use crate::domain::Call;

#[derive(sqlx::FromRow)]
struct TaskDue {
    external_id: String,
    due_at: i64,
}

#[derive(sqlx::FromRow)]
struct PhoneOwner {
    phone: String,
    employee_id: String,
    is_open: i64,
    created_at: i64,
}

impl Store {
    /// The owner of each number's deal, of those of `phones` a deal has:
    /// the newest open deal's, else the newest deal's.
    pub async fn deal_owners(&self, phones: &[&str]) -> Result<HashMap<String, String>> {
        if phones.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<PhoneOwner> = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        }
        .fetch(
            "SELECT phone, employee_id, CAST(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS is_open, \
             created_at FROM deals WHERE employee_id IS NOT NULL AND ",
            "phone",
            phones,
            &[],
            "",
            "finding the owners of the numbers' deals",
        )
        .await?;
        let mut best: HashMap<String, (i64, i64, String)> = HashMap::new();
        for r in rows {
            let rank = (r.is_open, r.created_at);
            match best.get(&r.phone) {
                Some((open, at, _)) if (*open, *at) >= rank => {}
                _ => {
                    best.insert(r.phone, (r.is_open, r.created_at, r.employee_id));
                }
            }
        }
        Ok(best.into_iter().map(|(p, (_, _, e))| (p, e)).collect())
    }

    /// Stored due times of the given tasks of a source, to notice postponements.
    pub async fn task_dues(
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

    /// When the last call of `employees` before `before` started.
    pub async fn last_call_before(
        &self,
        employees: &[&str],
        before: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        #[derive(sqlx::FromRow)]
        struct Last {
            at: Option<i64>,
        }
        let rows: Vec<Last> = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        }
        .fetch(
            "SELECT MAX(started_at) AS at FROM calls WHERE started_at < {} AND ",
            "employee_id",
            employees,
            &[Value::Int(before.timestamp())],
            "",
            "finding the last call",
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.at)
            .max()
            .and_then(|at| DateTime::from_timestamp(at, 0)))
    }

    /// Calls that started in `[from, to)`, of the given employees (all calls
    /// when `employees` is empty), in start order.
    pub async fn calls_between(
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
}
