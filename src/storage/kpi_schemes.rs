//! The KPI schemes as recorded when their month arrived.

use super::Store;
use super::db::Value;
use super::upsert_sql::push_value_rows;
use super::{RecordedScheme, Result, query_err};

impl Store {
    /// The KPI schemes recorded so far.
    pub async fn kpi_schemes(&self) -> Result<Vec<RecordedScheme>> {
        self.pool
            .fetch_all(
                "SELECT position, from_month, scheme, recorded_at FROM kpi_schemes \
                 ORDER BY position, from_month",
                &[],
            )
            .await
            .map_err(query_err("reading the recorded KPI schemes"))
    }

    /// Records schemes: those of months after `after` (`2026-11`) are
    /// replaced wholesale by the ones given (the future may change); a
    /// recorded scheme of `after` or earlier is never changed.
    pub async fn record_kpi_schemes(&self, after: &str, schemes: &[RecordedScheme]) -> Result<()> {
        let d = self.pool.dialect();
        let err = || query_err("recording KPI schemes");
        let mut tx = self.pool.begin().await.map_err(err())?;
        let mut sql = "DELETE FROM kpi_schemes WHERE from_month > ".to_owned();
        d.placeholder(&mut sql, 1);
        tx.execute(&sql, &[Value::Text(after)])
            .await
            .map_err(err())?;
        for chunk in schemes.chunks(d.max_params() / 4) {
            let values: Vec<Value<'_>> = chunk
                .iter()
                .flat_map(|s| {
                    [
                        Value::Text(&s.position),
                        Value::Text(&s.from_month),
                        Value::Text(&s.scheme),
                        Value::Int(s.recorded_at),
                    ]
                })
                .collect();
            let mut sql =
                "INSERT INTO kpi_schemes (position, from_month, scheme, recorded_at) VALUES "
                    .to_owned();
            push_value_rows(&mut sql, d, chunk.len(), 4);
            sql.push_str(" ON CONFLICT (position, from_month) DO NOTHING");
            tx.execute(&sql, &values).await.map_err(err())?;
        }
        tx.commit().await.map_err(err())
    }
}
