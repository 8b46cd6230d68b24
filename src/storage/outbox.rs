//! The scheduler's marks and firings, and the outbox: rows to send, claimed
//! by workers under a lease (`FOR UPDATE SKIP LOCKED` on Postgres), marked
//! sent only after they were sent.

use chrono::{DateTime, Utc};

use super::db::{Dialect, Value};
use super::upsert_sql::push_value_rows;
use super::{
    FiringCount, FiringRecord, NewOutboxRow, OutboxCount, OutboxRow, Recipient, Result,
    StorageError, Store, query_err,
};

#[derive(sqlx::FromRow)]
struct MarkRow {
    last_seen: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    n: i64,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    status: String,
    message_id: Option<i64>,
}

/// What a row came to when it went: its parts and the Telegram message
/// of its last text part, when known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    pub parts: Option<i64>,
    pub message_id: Option<i64>,
}

/// The Telegram message an outbox row became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentMessage {
    /// Not sent yet: an edit of it waits.
    Waiting,
    /// Sent as this message.
    Sent(i64),
    /// Failed, sent without a text, or not there: nothing to edit.
    Gone,
}

impl Store {
    /// How far the scheduler has looked at a schedule's firings.
    pub async fn schedule_mark(&self, schedule: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = self
            .pool
            .dialect()
            .numbered("SELECT last_seen FROM schedule_marks WHERE schedule = {}");
        let rows: Vec<MarkRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(schedule)])
            .await
            .map_err(query_err("reading a schedule's mark"))?;
        rows.first()
            .map(|r| {
                DateTime::from_timestamp(r.last_seen, 0)
                    .ok_or_else(|| StorageError::Corrupt(format!("schedule mark {}", r.last_seen)))
            })
            .transpose()
    }

    /// Moves a schedule's mark forward (never back: another instance may be
    /// ahead).
    pub async fn set_schedule_mark(&self, schedule: &str, last_seen: DateTime<Utc>) -> Result<()> {
        let d = self.pool.dialect();
        let greatest = match d {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        };
        let sql = d.numbered(&format!(
            "INSERT INTO schedule_marks (schedule, last_seen) VALUES ({{}}, {{}}) \
                 ON CONFLICT (schedule) DO UPDATE SET last_seen = \
                 {greatest}(schedule_marks.last_seen, excluded.last_seen)"
        ));
        self.pool
            .execute(
                &sql,
                &[Value::Text(schedule), Value::Int(last_seen.timestamp())],
            )
            .await
            .map_err(query_err("moving a schedule's mark"))?;
        Ok(())
    }

    /// How many firings of `schedule` have a slot that begins with `prefix`
    /// (an alert rule's alerts about one person or number on one day), the
    /// answers to them (`…:answered`) aside.
    pub async fn firings_starting(&self, schedule: &str, prefix: &str) -> Result<i64> {
        let sql = self.pool.dialect().numbered(
            "SELECT COUNT(*) AS n FROM firings WHERE schedule = {} \
             AND substr(slot, 1, CAST({} AS INTEGER)) = {} AND slot NOT LIKE '%:answered'",
        );
        let rows: Vec<CountRow> = self
            .pool
            .fetch_all(
                &sql,
                &[
                    Value::Text(schedule),
                    Value::Int(prefix.chars().count() as i64),
                    Value::Text(prefix),
                ],
            )
            .await
            .map_err(query_err("counting alerts sent"))?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    /// The slots of `schedule`'s firings whose key names local `day`
    /// (`rule:subject:day:occurrence`): the alerts of a day.
    pub async fn firing_slots_of_day(&self, schedule: &str, day: &str) -> Result<Vec<String>> {
        #[derive(sqlx::FromRow)]
        struct SlotRow {
            slot: String,
        }
        let sql = self.pool.dialect().numbered(
            "SELECT slot FROM firings WHERE schedule = {} AND slot LIKE {} ORDER BY slot",
        );
        let pattern = format!("%:{day}:%");
        let rows: Vec<SlotRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(schedule), Value::Text(&pattern)])
            .await
            .map_err(query_err("reading the alerts of a day"))?;
        Ok(rows.into_iter().map(|r| r.slot).collect())
    }

    /// Whether a firing was recorded (by any instance).
    pub async fn firing_recorded(&self, schedule: &str, slot: &str) -> Result<bool> {
        let sql = self
            .pool
            .dialect()
            .numbered("SELECT COUNT(*) AS n FROM firings WHERE schedule = {} AND slot = {}");
        let rows: Vec<CountRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(schedule), Value::Text(slot)])
            .await
            .map_err(query_err("looking up a firing"))?;
        Ok(rows.first().is_some_and(|r| r.n > 0))
    }

    /// Records a firing and its outbox rows in one transaction; `false` when
    /// the firing was recorded before (by this instance or another), in
    /// which case nothing is added.
    pub async fn record_firing(
        &self,
        firing: &FiringRecord<'_>,
        now: DateTime<Utc>,
        rows: &[NewOutboxRow],
    ) -> Result<bool> {
        let FiringRecord {
            schedule,
            slot,
            status,
            due_at,
            detail,
        } = *firing;
        let d = self.pool.dialect();
        let err = || query_err("recording a firing");
        let mut tx = self.pool.begin().await.map_err(err())?;
        let sql = d.numbered(
            "INSERT INTO firings (schedule, slot, status, due_at, decided_at, detail) \
             VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (schedule, slot) DO NOTHING",
        );
        let added = tx
            .execute(
                &sql,
                &[
                    Value::Text(schedule),
                    Value::Text(slot),
                    Value::Text(status.as_str()),
                    Value::Int(due_at.timestamp()),
                    Value::Int(now.timestamp()),
                    Value::NullText(detail),
                ],
            )
            .await
            .map_err(err())?;
        if added == 0 {
            return Ok(false);
        }
        let keys: Vec<String> = rows.iter().map(|r| r.recipient.to_string()).collect();
        for (chunk, keys) in rows.chunks(500).zip(keys.chunks(500)) {
            let mut sql =
                "INSERT INTO outbox (schedule, slot, recipient, channel, payload, status, \
                           next_at, created_at) VALUES "
                    .to_owned();
            push_value_rows(&mut sql, d, chunk.len(), 8);
            let values: Vec<Value<'_>> = chunk
                .iter()
                .zip(keys)
                .flat_map(|(r, key)| {
                    [
                        Value::Text(schedule),
                        Value::Text(slot),
                        Value::Text(key),
                        Value::Text(r.recipient.channel().as_str()),
                        Value::Text(&r.payload),
                        Value::Text("pending"),
                        Value::Int(now.timestamp()),
                        Value::Int(now.timestamp()),
                    ]
                })
                .collect();
            sql.push_str(" ON CONFLICT (schedule, slot, recipient) DO NOTHING");
            tx.execute(&sql, &values).await.map_err(err())?;
        }
        tx.commit().await.map_err(err())?;
        Ok(true)
    }

    /// Claims up to `limit` rows due by `now` (or whose lease ran out) for
    /// `worker`, until `lease_until`; a row claimed `max_attempts` times is
    /// never claimed again.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        max_attempts: i64,
    ) -> Result<Vec<OutboxRow>> {
        let d = self.pool.dialect();
        let lock = match d {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = d.numbered(
            &format!(
                "UPDATE outbox SET status = 'sending', claimed_by = {{}}, claimed_until = {{}}, \
                 attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE \
                 ((status = 'pending' AND next_at <= {{}}) OR (status = 'sending' AND claimed_until < {{}})) \
                 AND attempts < {{}} ORDER BY id LIMIT {{}}{lock}) \
                 RETURNING id, schedule, slot, recipient, channel, payload, parts_sent, attempts"
            ),
        );
        let mut rows: Vec<OutboxRow> = self
            .pool
            .fetch_written(
                &sql,
                &[
                    Value::Text(worker),
                    Value::Int(lease_until.timestamp()),
                    Value::Int(now.timestamp()),
                    Value::Int(now.timestamp()),
                    Value::Int(max_attempts),
                    Value::Int(limit),
                ],
            )
            .await
            .map_err(query_err("claiming outbox rows"))?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Marks failed the rows whose last allowed claim ran out (the worker
    /// died or hung mid-send), and returns them.
    pub async fn outbox_exhausted(
        &self,
        now: DateTime<Utc>,
        max_attempts: i64,
        error: &str,
    ) -> Result<Vec<OutboxRow>> {
        let sql = self.pool.dialect().numbered(
            "UPDATE outbox SET status = 'failed', last_error = {}, claimed_until = NULL \
             WHERE status = 'sending' AND claimed_until < {} AND attempts >= {} \
             RETURNING id, schedule, slot, recipient, channel, payload, parts_sent, attempts",
        );
        let mut rows: Vec<OutboxRow> = self
            .pool
            .fetch_written(
                &sql,
                &[
                    Value::Text(error),
                    Value::Int(now.timestamp()),
                    Value::Int(max_attempts),
                ],
            )
            .await
            .map_err(query_err("failing exhausted outbox rows"))?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Records that the first `parts_sent` parts of a claimed row went out
    /// (the last of them, when a text, became Telegram message
    /// `message_id`), and extends the claim to `lease_until`; `false` when
    /// `worker` no longer holds the row or its lease ran out by `now`: then
    /// it must not send any more of it.
    pub async fn outbox_progress(
        &self,
        id: i64,
        worker: &str,
        progress: (i64, Option<i64>),
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let (parts_sent, message_id) = progress;
        let sql = self.pool.dialect().numbered(
            "UPDATE outbox SET parts_sent = {}, message_id = COALESCE({}, message_id), \
             claimed_until = {} \
             WHERE id = {} AND claimed_by = {} AND status = 'sending' AND claimed_until >= {}",
        );
        let changed = self
            .pool
            .execute(
                &sql,
                &[
                    Value::Int(parts_sent),
                    Value::NullInt(message_id),
                    Value::Int(lease_until.timestamp()),
                    Value::Int(id),
                    Value::Text(worker),
                    Value::Int(now.timestamp()),
                ],
            )
            .await
            .map_err(query_err("renewing an outbox claim"))?;
        Ok(changed > 0)
    }

    /// What became of the row (schedule, slot, recipient): the message an
    /// edit of it names.
    pub async fn outbox_message(
        &self,
        schedule: &str,
        slot: &str,
        recipient: &Recipient,
    ) -> Result<SentMessage> {
        let sql = self.pool.dialect().numbered(
            "SELECT status, message_id FROM outbox \
             WHERE schedule = {} AND slot = {} AND recipient = {}",
        );
        let key = recipient.to_string();
        let rows: Vec<MessageRow> = self
            .pool
            .fetch_all(
                &sql,
                &[Value::Text(schedule), Value::Text(slot), Value::Text(&key)],
            )
            .await
            .map_err(query_err("looking up a sent message"))?;
        Ok(match rows.first() {
            None => SentMessage::Gone,
            Some(r) => match (r.status.as_str(), r.message_id) {
                ("pending" | "sending", _) => SentMessage::Waiting,
                ("sent", Some(id)) => SentMessage::Sent(id),
                _ => SentMessage::Gone,
            },
        })
    }

    /// Updates a claimed row, if `worker` still holds it; `false` otherwise.
    async fn update_claimed(
        &self,
        id: i64,
        worker: &str,
        set: &str,
        values: &[Value<'_>],
    ) -> Result<bool> {
        // `set` carries a `{}` mark for each of `values`.
        let sql = self.pool.dialect().numbered(&format!(
            "UPDATE outbox SET {set} WHERE id = {{}} AND claimed_by = {{}}"
        ));
        let mut all = values.to_vec();
        all.push(Value::Int(id));
        all.push(Value::Text(worker));
        let changed = self
            .pool
            .execute(&sql, &all)
            .await
            .map_err(query_err("updating an outbox row"))?;
        Ok(changed > 0)
    }

    /// Marks a claimed row sent: `done` is the parts it had when it went,
    /// and the Telegram message its last text part became, when known.
    pub async fn outbox_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
        done: Sent,
    ) -> Result<bool> {
        self.update_claimed(
            id,
            worker,
            "status = 'sent', sent_at = {}, last_error = NULL, \
             parts_sent = COALESCE({}, parts_sent), message_id = COALESCE({}, message_id)",
            &[
                Value::Int(now.timestamp()),
                Value::NullInt(done.parts),
                Value::NullInt(done.message_id),
            ],
        )
        .await
    }

    /// Gives a claimed row back, to be tried again at `next_at`.
    pub async fn outbox_retry(
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

    /// Marks a claimed row failed for good.
    pub async fn outbox_failed(&self, id: i64, worker: &str, error: &str) -> Result<bool> {
        self.update_claimed(
            id,
            worker,
            "status = 'failed', last_error = {}, claimed_until = NULL",
            &[Value::Text(error)],
        )
        .await
    }

    /// Firings of each schedule by what became of them.
    pub async fn firing_counts(&self) -> Result<Vec<FiringCount>> {
        self.pool
            .fetch_all(
                "SELECT schedule, status, COUNT(*) AS rows FROM firings \
                 GROUP BY schedule, status ORDER BY schedule, status",
                &[],
            )
            .await
            .map_err(query_err("counting firings"))
    }

    /// Outbox rows by channel and status.
    pub async fn outbox_counts(&self) -> Result<Vec<OutboxCount>> {
        self.pool
            .fetch_all(
                "SELECT channel, status, COUNT(*) AS rows FROM outbox GROUP BY channel, status \
                 ORDER BY channel, status",
                &[],
            )
            .await
            .map_err(query_err("counting the outbox"))
    }
}
