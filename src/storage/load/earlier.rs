//! The calls a postponement early in a period looks back at: the people's
//! calls in the week before it to the deals of the tasks moved in it.

use std::collections::BTreeSet;

use super::super::call_row::CallRow;
use super::super::db::Value;
use super::{Loader, POSTPONEMENT_LOOKBACK_DAYS, Result};
use crate::domain::{Call, Deal, Task, TaskPostponement};

impl Loader<'_> {
    /// The people's calls in the week before the period to the deals of
    /// the tasks moved in it (linked, or to the deal's phone).
    pub(super) async fn earlier_calls(
        &self,
        deals: &[Deal],
        tasks: &[Task],
        postponements: &[TaskPostponement],
    ) -> Result<Vec<Call>> {
        let q = self.q;
        let moved: BTreeSet<&str> = postponements
            .iter()
            .filter(|p| p.changed_at >= q.from && p.changed_at < q.to)
            .map(|p| p.task_ext.as_str())
            .collect();
        let deal_ids: BTreeSet<&str> = tasks
            .iter()
            .filter(|t| moved.contains(t.external_id.as_str()))
            .filter_map(|t| t.deal_ext.as_deref())
            .collect();
        if deal_ids.is_empty() {
            return Ok(Vec::new());
        }
        let phones: BTreeSet<&str> = deals
            .iter()
            .filter(|d| deal_ids.contains(d.external_id.as_str()))
            .filter_map(|d| d.phone.as_ref().map(|p| p.as_str()))
            .collect();
        let around = [
            Value::Int((q.from - chrono::Duration::days(POSTPONEMENT_LOOKBACK_DAYS)).timestamp()),
            Value::Int(q.from.timestamp()),
        ];
        // The people's calls of that week through their index, kept when
        // they are about one of those deals (linked, or to its phone).
        let head = "SELECT source, external_id, employee_id, agent, direction, number, started_at, \
                    answered_at, ended_at, talk_seconds, disposition, deal_ext, kind, legs, rank, leg_key, \
                    recording_url FROM calls WHERE started_at >= {} AND started_at < {} AND ";
        let rows: Vec<CallRow> = self
            .list
            .fetch(
                head,
                "employee_id",
                &self.people,
                &around,
                "",
                "loading calls before the period",
            )
            .await?;
        let mut calls = Vec::new();
        for row in rows {
            let call = row.into_call()?;
            let about = phones.contains(call.number.as_str())
                || call
                    .deal_ext
                    .as_deref()
                    .is_some_and(|d| deal_ids.contains(d));
            if about {
                calls.push(call);
            }
        }
        Ok(calls)
    }
}
