//! How each source record maps onto its table: the columns, the values, and
//! when a re-read record replaces the stored one.

use super::db::Value;
use crate::domain::{Activity, Call, Comment, CrmUser, Deal, StageChange, Task, TaskPostponement};
use chrono::{DateTime, Utc};

/// A record that comes from a source and is stored under a unique
/// `(source, external_id)`.
pub trait Record: Send + Sync {
    const TABLE: &'static str;
    /// Columns after `source` and `external_id`.
    const COLUMNS: &'static [&'static str];
    /// Extra condition for an update to win, beyond changed content.
    const WINS: Option<&'static str> = None;
    fn source(&self) -> &str;
    fn external_id(&self) -> &str;
    /// Values of `COLUMNS`, in order.
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>);
}

fn ts(t: DateTime<Utc>) -> Value<'static> {
    Value::Int(t.timestamp())
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value<'static> {
    Value::NullInt(t.map(|t| t.timestamp()))
}

fn opt_text(s: &Option<String>) -> Value<'_> {
    Value::NullText(s.as_deref())
}

/// A call as written: with its legs' ids as the text stored.
pub struct StoredCall {
    pub call: Call,
    pub leg_ids: String,
}

impl StoredCall {
    pub fn new(call: Call) -> Self {
        let leg_ids = leg_ids_text(&call.leg_ids);
        StoredCall { call, leg_ids }
    }
}

/// Sorted leg ids as stored: 16 hex digits each, comma-separated.
pub fn leg_ids_text(ids: &[u64]) -> String {
    let mut out = String::with_capacity(ids.len() * 17);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("{id:016x}"));
    }
    out
}

/// The stored text back into ids; a damaged id is left out.
pub fn parse_leg_ids(text: &str) -> Vec<u64> {
    text.split(',')
        .filter_map(|h| u64::from_str_radix(h, 16).ok())
        .collect()
}

impl Record for StoredCall {
    const TABLE: &'static str = "calls";
    const COLUMNS: &'static [&'static str] = &[
        "employee_id",
        "agent",
        "direction",
        "number",
        "started_at",
        "answered_at",
        "ended_at",
        "talk_seconds",
        "disposition",
        "deal_ext",
        "kind",
        "legs",
        "rank",
        "leg_key",
        "leg_ids",
        "recording_url",
    ];
    // Legs of one call may come in separate batches or files: the stored call
    // changes only for a better leg, so any order of legs ends the same.
    const WINS: Option<&'static str> = Some(
        "(excluded.rank > calls.rank OR (excluded.rank = calls.rank AND \
         (excluded.leg_key > calls.leg_key OR excluded.leg_key = calls.leg_key)))",
    );
    fn source(&self) -> &str {
        &self.call.source
    }
    fn external_id(&self) -> &str {
        self.call.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        let call = &self.call;
        out.extend([
            opt_text(&call.employee_id),
            opt_text(&call.agent),
            Value::Text(call.direction.as_str()),
            Value::Text(call.number.as_str()),
            ts(call.started_at),
            opt_ts(call.answered_at),
            ts(call.ended_at),
            Value::Int(call.talk_seconds),
            Value::Text(call.disposition.as_str()),
            opt_text(&call.deal_ext),
            Value::NullText(call.kind.map(|k| k.as_str())),
            Value::Int(call.legs),
            Value::Int(call.rank),
            Value::Text(&call.leg_key),
            Value::Text(&self.leg_ids),
            opt_text(&call.recording_url),
        ]);
    }
}

impl Record for CrmUser {
    const TABLE: &'static str = "crm_users";
    const COLUMNS: &'static [&'static str] = &["name", "email", "employee_id"];
    fn source(&self) -> &str {
        &self.source
    }
    fn external_id(&self) -> &str {
        self.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            Value::Text(&self.name),
            opt_text(&self.email),
            opt_text(&self.employee_id),
        ]);
    }
}

impl Record for Deal {
    const TABLE: &'static str = "deals";
    const COLUMNS: &'static [&'static str] = &[
        "title",
        "employee_id",
        "owner_ext",
        "stage",
        "amount_minor",
        "currency",
        "channel",
        "temperature",
        "client_ext",
        "phone",
        "created_at",
        "stage_since",
        "closed_at",
    ];
    fn source(&self) -> &str {
        &self.source
    }
    fn external_id(&self) -> &str {
        self.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            Value::Text(&self.title),
            opt_text(&self.employee_id),
            opt_text(&self.owner_ext),
            Value::Text(&self.stage),
            Value::Int(self.amount_minor),
            Value::Text(&self.currency),
            opt_text(&self.channel),
            Value::NullText(self.temperature.map(|t| t.as_str())),
            opt_text(&self.client_ext),
            Value::NullText(self.phone.as_ref().map(|p| p.as_str())),
            ts(self.created_at),
            opt_ts(self.stage_since),
            opt_ts(self.closed_at),
        ]);
    }
}

impl Record for StageChange {
    const TABLE: &'static str = "stage_changes";
    const COLUMNS: &'static [&'static str] = &[
        "deal_ext",
        "from_stage",
        "to_stage",
        "changed_at",
        "employee_id",
        "author_ext",
    ];
    fn source(&self) -> &str {
        &self.source
    }
    fn external_id(&self) -> &str {
        self.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            Value::Text(self.deal_ext.as_str()),
            opt_text(&self.from_stage),
            Value::Text(&self.to_stage),
            ts(self.changed_at),
            opt_text(&self.employee_id),
            opt_text(&self.author_ext),
        ]);
    }
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
    const COLUMNS: &'static [&'static str] = &[
        "deal_ext",
        "employee_id",
        "owner_ext",
        "title",
        "created_at",
        "due_at",
        "completed_at",
    ];
    fn source(&self) -> &str {
        &self.source
    }
    fn external_id(&self) -> &str {
        self.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            opt_text(&self.deal_ext),
            opt_text(&self.employee_id),
            opt_text(&self.owner_ext),
            Value::Text(&self.title),
            ts(self.created_at),
            ts(self.due_at),
            opt_ts(self.completed_at),
        ]);
    }
}

/// A postponement is identified by its task and the due time it moved to.
pub struct StoredPostponement {
    pub record: TaskPostponement,
    pub key: String,
}

impl StoredPostponement {
    pub fn new(record: TaskPostponement) -> Self {
        let key = format!("{}@{}", record.task_ext, record.new_due.timestamp());
        Self { record, key }
    }
}

impl Record for StoredPostponement {
    const TABLE: &'static str = "task_postponements";
    const COLUMNS: &'static [&'static str] = &["task_ext", "old_due", "new_due", "changed_at"];
    fn source(&self) -> &str {
        &self.record.source
    }
    fn external_id(&self) -> &str {
        &self.key
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            Value::Text(self.record.task_ext.as_str()),
            ts(self.record.old_due),
            ts(self.record.new_due),
            ts(self.record.changed_at),
        ]);
    }
}

impl Record for Activity {
    const TABLE: &'static str = "activities";
    const COLUMNS: &'static [&'static str] =
        &["deal_ext", "employee_id", "owner_ext", "kind", "at"];
    fn source(&self) -> &str {
        &self.source
    }
    fn external_id(&self) -> &str {
        self.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            opt_text(&self.deal_ext),
            opt_text(&self.employee_id),
            opt_text(&self.owner_ext),
            Value::Text(self.kind.as_str()),
            ts(self.at),
        ]);
    }
}

impl Record for Comment {
    const TABLE: &'static str = "comments";
    const COLUMNS: &'static [&'static str] =
        &["deal_ext", "employee_id", "author_ext", "at", "body"];
    fn source(&self) -> &str {
        &self.source
    }
    fn external_id(&self) -> &str {
        self.external_id.as_str()
    }
    fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
        out.extend([
            opt_text(&self.deal_ext),
            opt_text(&self.employee_id),
            opt_text(&self.author_ext),
            ts(self.at),
            Value::Text(&self.text),
        ]);
    }
}

/// A stable 64-bit FNV-1a hash of a record's values: a changed record has a
/// changed hash, so a re-read that changes nothing writes nothing.
pub fn content_hash(values: &[Value<'_>]) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for v in values {
        match *v {
            Value::Int(i) | Value::NullInt(Some(i)) => {
                feed(&[1]);
                feed(&i.to_le_bytes());
            }
            Value::Text(s) | Value::NullText(Some(s)) => {
                feed(&[2]);
                feed(&(s.len() as u64).to_le_bytes());
                feed(s.as_bytes());
            }
            Value::NullInt(None) | Value::NullText(None) => feed(&[0]),
        }
    }
    h as i64
}
