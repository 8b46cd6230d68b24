//! Records a source takes back: a meeting stored as held that the CRM now
//! shows as planned (reopened, or read by an earlier version that counted
//! planned meetings) is removed, so that it is no longer counted.

use super::Result;
use super::Store;
use super::db::Value;
use super::in_list::InList;
use crate::domain::{Activity, ActivityKind};

impl Store {
    /// Removes these activities where they are stored as meetings held;
    /// returns how many were.
    pub async fn remove_meetings(&self, rows: &[Activity]) -> Result<u64> {
        let list = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        };
        let mut by_source: Vec<(&str, Vec<&str>)> = Vec::new();
        for a in rows {
            match by_source.iter_mut().find(|(s, _)| *s == a.source) {
                Some((_, ids)) => ids.push(a.external_id.as_str()),
                None => by_source.push((&a.source, vec![a.external_id.as_str()])),
            }
        }
        let mut removed = 0;
        for (source, ids) in by_source {
            removed += list
                .execute(
                    "DELETE FROM activities WHERE kind = {} AND source = {} AND ",
                    "external_id",
                    &ids,
                    &[
                        Value::Text(ActivityKind::Meeting.as_str()),
                        Value::Text(source),
                    ],
                    "",
                    "removing meetings not held",
                )
                .await?;
        }
        if removed > 0 {
            self.dirty.mark(rows.iter().map(|a| a.at).min());
        }
        Ok(removed)
    }
}
