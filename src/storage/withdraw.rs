//! Records a source takes back: a meeting stored as held that the CRM now
//! shows as planned (reopened, or read by an earlier version that counted
//! planned meetings) is removed, so that it is no longer counted.

use super::db::Value;
use super::sql_store::SqlStore;
use super::{Result, query_err};
use crate::domain::{Activity, ActivityKind};

impl SqlStore {
    pub(super) async fn delete_meetings(&self, rows: &[Activity]) -> Result<u64> {
        let d = self.dialect();
        let mut removed = 0;
        for chunk in rows.chunks(d.max_params().saturating_sub(2).max(1)) {
            let mut by_source: Vec<(&str, Vec<&str>)> = Vec::new();
            for a in chunk {
                match by_source.iter_mut().find(|(s, _)| *s == a.source) {
                    Some((_, ids)) => ids.push(a.external_id.as_str()),
                    None => by_source.push((&a.source, vec![a.external_id.as_str()])),
                }
            }
            for (source, ids) in by_source {
                let mut sql = "DELETE FROM activities WHERE kind = ".to_owned();
                d.placeholder(&mut sql, 1);
                sql.push_str(" AND source = ");
                d.placeholder(&mut sql, 2);
                sql.push_str(" AND external_id IN (");
                for i in 0..ids.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    d.placeholder(&mut sql, i + 3);
                }
                sql.push(')');
                let mut values = vec![
                    Value::Text(ActivityKind::Meeting.as_str()),
                    Value::Text(source),
                ];
                values.extend(ids.iter().map(|id| Value::Text(id)));
                removed += self
                    .pool
                    .execute(&sql, &values)
                    .await
                    .map_err(query_err("removing meetings not held"))?;
            }
        }
        Ok(removed)
    }
}
