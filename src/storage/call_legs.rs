//! Legs of one call that arrive in separate files or batches: each leg is
//! counted once (the stored call keeps the ids of its legs), the call starts
//! at its earliest leg, and the better leg wins whatever the order. Reading
//! the same files again changes nothing.

use std::collections::{HashMap, HashSet};

use super::Store;
use super::bulk::FreshKeys;
use super::db::{Dialect, Value};
use super::in_list::InList;
use super::records::{StoredCall, leg_ids_text, parse_leg_ids};
use super::upsert_sql::push_value_rows;
use super::{Result, RunId, Upserted, query_err};
use crate::domain::Call;

#[derive(sqlx::FromRow)]
struct LegRow {
    external_id: String,
    legs: i64,
    leg_ids: String,
    started_at: i64,
    recording_url: Option<String>,
}

/// A stored call's legs and start after a batch's legs were added.
struct Fixup {
    external_id: String,
    legs: i64,
    leg_ids: String,
    started_at: i64,
    /// The recording, when one of the legs links it.
    recording_url: Option<String>,
}

/// A bulk load's batch (`calls` of them) is freed on a blocking thread: the
/// writer goes on with the next batch meanwhile.
fn free_beside<T: Send + 'static>(calls: usize, batch: T) {
    if calls >= 1_000 {
        tokio::task::spawn_blocking(move || drop(batch));
    }
}

impl Store {
    pub async fn upsert_calls(&self, run: RunId, rows: &[Call]) -> Result<Upserted> {
        self.upsert_call_batch(run, rows.to_vec()).await
    }

    /// [`Store::upsert_calls`] of a batch it may keep (a reader's chunk).
    pub async fn upsert_call_batch(&self, run: RunId, rows: Vec<Call>) -> Result<Upserted> {
        let mut counts = Upserted::default();
        // The batch's legs of one call merged first: each row's first row
        // of the same call, then the rows moved into their calls.
        let first: Vec<usize> = {
            let mut seen: HashMap<(&str, &str), usize, foldhash::fast::RandomState> =
                HashMap::with_capacity_and_hasher(rows.len(), Default::default());
            rows.iter()
                .enumerate()
                .map(|(i, row)| {
                    *seen
                        .entry((row.source.as_str(), row.external_id.as_str()))
                        .or_insert(i)
                })
                .collect()
        };
        let mut calls: Vec<Call> = Vec::with_capacity(rows.len());
        // Where each call's first row went in `calls`.
        let mut slot = vec![usize::MAX; first.len()];
        for (i, row) in rows.into_iter().enumerate() {
            match slot[first[i]] {
                usize::MAX => {
                    slot[i] = calls.len();
                    calls.push(row);
                }
                c => {
                    // A further leg of a call of this batch: the call is
                    // counted once, by the upsert below.
                    counts.unchanged += 1;
                    calls[c].merge_leg(row);
                }
            }
        }
        // Then with the legs already stored.
        let mut fixups: HashMap<String, Vec<Fixup>> = HashMap::new();
        let mut by_source: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in calls.iter().enumerate() {
            by_source.entry(c.source.as_str()).or_default().push(i);
        }
        let mut stored_of: HashMap<usize, LegRow> = HashMap::new();
        // A load into an empty table looks up only the calls it wrote.
        let fresh: Vec<u64> = match self.fresh_calls.tracking() {
            true => calls
                .iter()
                .map(|c| FreshKeys::hash(&c.source, c.external_id.as_str()))
                .collect(),
            false => Vec::new(),
        };
        let may_hold = self.fresh_calls.may_hold(&fresh);
        for (source, indexes) in &by_source {
            let ids: Vec<&str> = indexes
                .iter()
                .filter(|&&i| {
                    may_hold
                        .as_ref()
                        .is_none_or(|m| m.get(i).copied().unwrap_or(true))
                })
                .map(|&i| calls[i].external_id.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut found = self.stored_legs(source, &ids).await?;
            for &i in indexes {
                if let Some(row) = found.remove(calls[i].external_id.as_str()) {
                    stored_of.insert(i, row);
                }
            }
        }
        let was_stored: HashSet<usize> = stored_of.keys().copied().collect();
        for (i, stored) in stored_of {
            let call = &mut calls[i];
            let before = parse_leg_ids(&stored.leg_ids);
            if before.is_empty() {
                // Stored before legs were kept: its count stands.
                call.legs = call.legs.max(stored.legs);
            } else {
                call.leg_ids.extend(before);
                call.leg_ids.sort_unstable();
                call.leg_ids.dedup();
                call.legs = call.leg_ids.len() as i64;
            }
            if let Some(start) = chrono::DateTime::from_timestamp(stored.started_at, 0) {
                call.started_at = call.started_at.min(start);
            }
            // A recording linked by a leg stored before stays.
            if call.recording_url.is_none() {
                call.recording_url = stored.recording_url;
            }
            fixups.entry(call.source.clone()).or_default().push(Fixup {
                external_id: call.external_id.to_string(),
                legs: call.legs,
                leg_ids: leg_ids_text(&call.leg_ids),
                started_at: call.started_at.timestamp(),
                recording_url: call.recording_url.clone(),
            });
        }
        // On SQLite the calls not stored yet (most of a new file) go
        // straight into the table; the others are upserted.
        let straight = self.dialect() == Dialect::Sqlite;
        let mut new = Vec::new();
        let mut known = Vec::new();
        for (i, call) in calls.into_iter().enumerate() {
            let call = StoredCall::new(call);
            match straight && !was_stored.contains(&i) {
                true => new.push(call),
                false => known.push(call),
            }
        }
        counts += self.insert_new(run, &new).await?;
        counts += self.upsert(run, &known).await?;
        free_beside(new.len() + known.len(), (new, known));
        self.fresh_calls.add(&fresh);
        // Where the stored leg stays the better one, the upsert left the row
        // alone: its legs and start still take the batch's legs in.
        for (source, rows) in &fixups {
            self.apply_fixups(source, rows).await?;
        }
        Ok(counts)
    }

    async fn stored_legs(&self, source: &str, ids: &[&str]) -> Result<HashMap<String, LegRow>> {
        let list = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        };
        let rows: Vec<LegRow> = list
            .fetch(
                "SELECT external_id, legs, leg_ids, started_at, recording_url FROM calls \
                 WHERE source = {} AND ",
                "external_id",
                ids,
                &[Value::Text(source)],
                "",
                "reading the legs of stored calls",
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.external_id.clone(), r))
            .collect())
    }

    async fn apply_fixups(&self, source: &str, rows: &[Fixup]) -> Result<()> {
        let d = self.dialect();
        let width = 6;
        for chunk in rows.chunks((d.max_params() / width).max(1)) {
            let mut sql =
                "WITH v (source, external_id, legs, leg_ids, started_at, recording_url) AS (VALUES "
                    .to_owned();
            push_value_rows(&mut sql, d, chunk.len(), width);
            sql.push_str(
                ") UPDATE calls SET legs = v.legs, leg_ids = v.leg_ids, started_at = v.started_at, \
                 recording_url = COALESCE(calls.recording_url, v.recording_url) \
                 FROM v WHERE calls.source = v.source AND calls.external_id = v.external_id \
                 AND (calls.legs <> v.legs OR calls.leg_ids <> v.leg_ids \
                 OR calls.started_at <> v.started_at \
                 OR (calls.recording_url IS NULL AND v.recording_url IS NOT NULL))",
            );
            let values: Vec<Value<'_>> = chunk
                .iter()
                .flat_map(|f| {
                    [
                        Value::Text(source),
                        Value::Text(&f.external_id),
                        Value::Int(f.legs),
                        Value::Text(&f.leg_ids),
                        Value::Int(f.started_at),
                        Value::NullText(f.recording_url.as_deref()),
                    ]
                })
                .collect();
            let changed = self
                .pool
                .execute(&sql, &values)
                .await
                .map_err(query_err("adding legs to stored calls"))?;
            // A call's start moved to its earliest leg, or it has another
            // leg now: the days from there on (a call read again changes
            // nothing, and drops nothing).
            if changed > 0 {
                self.dirty.mark(
                    chunk
                        .iter()
                        .filter_map(|f| chrono::DateTime::from_timestamp(f.started_at, 0))
                        .min(),
                );
            }
        }
        Ok(())
    }
}
