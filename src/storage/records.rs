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
    /// The earliest instant whose figures the record can change (a call's
    /// start, a deal's creation, a task's creation or due time); `None`
    /// when it changes none (the daily roll-up keeps its days).
    fn at(&self) -> Option<DateTime<Utc>> {
        None
    }
    /// For a call: who made it and the number. A call changes only its
    /// caller's days and those of later calls to the number; any other
    /// record can change anyone's.
    fn call(&self) -> Option<(Option<&str>, &str)> {
        None
    }
    /// For a CRM record: whose figures it can change.
    fn crm(&self) -> Option<CrmTouch<'_>> {
        None
    }
    /// For a CRM record: the select list that reads the same from a stored
    /// row (`person, deal, phone, task, at`), so a changed record also
    /// names whom its earlier version counted for.
    const STORED_TOUCH: Option<&'static str> = None;
}

/// Whose days of the daily roll-up a CRM record can change: the person it
/// is credited to; through its deal, the deal's owner, the owners of tasks
/// on it and whoever called it (a trace, a new client); the owner of the
/// task it moves; from `at` on (less the trace window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrmTouch<'a> {
    pub person: Option<&'a str>,
    pub deal: Option<&'a str>,
    /// A deal's own phone.
    pub phone: Option<&'a str>,
    /// A postponement's task.
    pub task: Option<&'a str>,
    pub at: DateTime<Utc>,
}

impl<'a> CrmTouch<'a> {
    /// A record credited to `person` on `deal`, at `at`.
    fn on_deal(person: Option<&'a str>, deal: Option<&'a str>, at: DateTime<Utc>) -> Self {
        CrmTouch {
            person,
            deal,
            phone: None,
            task: None,
            at,
        }
    }
}

/// The stored-row side of [`CrmTouch`] for records credited to
/// `employee_id` on `deal_ext`, at the instant `at`.
macro_rules! on_deal_sql {
    ($at:literal) => {
        concat!(
            "employee_id AS person, deal_ext AS deal, CAST(NULL AS TEXT) AS phone, ",
            "CAST(NULL AS TEXT) AS task, ",
            $at,
            " AS at"
        )
    };
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

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Sorted leg ids as stored: 16 hex digits each, comma-separated.
pub fn leg_ids_text(ids: &[u64]) -> String {
    let mut out = String::with_capacity(ids.len() * 17);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for shift in (0..16).rev() {
            out.push(char::from(HEX[((id >> (shift * 4)) & 0xf) as usize]));
        }
    }
    out
}

/// The stored text back into ids; a damaged id is left out.
pub fn parse_leg_ids(text: &str) -> Vec<u64> {
    text.split(',')
        .filter_map(|h| u64::from_str_radix(h, 16).ok())
        .collect()
}

/// Declares how a record is stored: its table, and column by column the
/// value that goes in it, so columns and values cannot drift apart.
macro_rules! stored_as {
    (
        $ty:ty => $table:literal, |$r:ident| source $source:expr, id $id:expr,
        { $($col:literal: $val:expr),+ $(,)? } $(, at $at:expr)? $(, call $call:expr)?
        $(, crm $crm:expr, stored $stored:expr)? $(, wins $wins:expr)?
    ) => {
        impl Record for $ty {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$($col),+];
            $(const WINS: Option<&'static str> = Some($wins);)?
            $(const STORED_TOUCH: Option<&'static str> = Some($stored);)?
            fn source(&self) -> &str {
                let $r = self;
                $source
            }
            fn external_id(&self) -> &str {
                let $r = self;
                $id
            }
            fn push_values<'a>(&'a self, out: &mut Vec<Value<'a>>) {
                let $r = self;
                out.extend([$($val),+]);
            }
            $(fn at(&self) -> Option<DateTime<Utc>> {
                let $r = self;
                Some($at)
            })?
            $(fn call(&self) -> Option<(Option<&str>, &str)> {
                let $r = self;
                $call
            })?
            $(fn crm(&self) -> Option<CrmTouch<'_>> {
                let $r = self;
                Some($crm)
            })?
        }
    };
}

impl StoredCall {
    fn caller(&self) -> Option<(Option<&str>, &str)> {
        Some((self.call.employee_id.as_deref(), self.call.number.as_str()))
    }
}

stored_as!(StoredCall => "calls", |r| source &r.call.source, id r.call.external_id.as_str(), {
    "employee_id": opt_text(&r.call.employee_id),
    "agent": opt_text(&r.call.agent),
    "direction": Value::Text(r.call.direction.as_str()),
    "number": Value::Text(r.call.number.as_str()),
    "started_at": ts(r.call.started_at),
    "answered_at": opt_ts(r.call.answered_at),
    "ended_at": ts(r.call.ended_at),
    "talk_seconds": Value::Int(r.call.talk_seconds),
    "disposition": Value::Text(r.call.disposition.as_str()),
    "deal_ext": opt_text(&r.call.deal_ext),
    "kind": Value::NullText(r.call.kind.map(|k| k.as_str())),
    "legs": Value::Int(r.call.legs),
    "rank": Value::Int(r.call.rank),
    "leg_key": Value::Text(&r.call.leg_key),
    "leg_ids": Value::Text(&r.leg_ids),
    "recording_url": opt_text(&r.call.recording_url),
}, at r.call.started_at, call r.caller(),
// Legs of one call may come in separate batches or files: the stored call
// changes only for a better leg, so any order of legs ends the same.
wins "(excluded.rank > calls.rank OR (excluded.rank = calls.rank AND \
      (excluded.leg_key > calls.leg_key OR excluded.leg_key = calls.leg_key)))");

stored_as!(CrmUser => "crm_users", |r| source &r.source, id r.external_id.as_str(), {
    "name": Value::Text(&r.name),
    "email": opt_text(&r.email),
    "employee_id": opt_text(&r.employee_id),
});

stored_as!(Deal => "deals", |r| source &r.source, id r.external_id.as_str(), {
    "title": Value::Text(&r.title),
    "employee_id": opt_text(&r.employee_id),
    "owner_ext": opt_text(&r.owner_ext),
    "stage": Value::Text(&r.stage),
    "amount_minor": Value::Int(r.amount_minor),
    "currency": Value::Text(&r.currency),
    "channel": opt_text(&r.channel),
    "temperature": Value::NullText(r.temperature.map(|t| t.as_str())),
    "client_ext": opt_text(&r.client_ext),
    "phone": Value::NullText(r.phone.as_ref().map(|p| p.as_str())),
    "created_at": ts(r.created_at),
    "stage_since": opt_ts(r.stage_since),
    "closed_at": opt_ts(r.closed_at),
}, at r.created_at, crm CrmTouch {
    person: r.employee_id.as_deref(),
    deal: Some(r.external_id.as_str()),
    phone: r.phone.as_ref().map(|p| p.as_str()),
    task: None,
    at: r.created_at,
}, stored "employee_id AS person, external_id AS deal, phone AS phone, \
           CAST(NULL AS TEXT) AS task, created_at AS at");

stored_as!(StageChange => "stage_changes", |r| source &r.source, id r.external_id.as_str(), {
    "deal_ext": Value::Text(r.deal_ext.as_str()),
    "from_stage": opt_text(&r.from_stage),
    "to_stage": Value::Text(&r.to_stage),
    "changed_at": ts(r.changed_at),
    "employee_id": opt_text(&r.employee_id),
    "author_ext": opt_text(&r.author_ext),
}, at r.changed_at,
crm CrmTouch::on_deal(r.employee_id.as_deref(), Some(r.deal_ext.as_str()), r.changed_at),
stored on_deal_sql!("changed_at"));

stored_as!(Task => "tasks", |r| source &r.source, id r.external_id.as_str(), {
    "deal_ext": opt_text(&r.deal_ext),
    "employee_id": opt_text(&r.employee_id),
    "owner_ext": opt_text(&r.owner_ext),
    "title": Value::Text(&r.title),
    "created_at": ts(r.created_at),
    "due_at": ts(r.due_at),
    "completed_at": opt_ts(r.completed_at),
}, at r.created_at.min(r.due_at),
crm CrmTouch::on_deal(r.employee_id.as_deref(), r.deal_ext.as_deref(), r.created_at.min(r.due_at)),
stored on_deal_sql!("CASE WHEN created_at < due_at THEN created_at ELSE due_at END"));

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

stored_as!(StoredPostponement => "task_postponements", |r| source &r.record.source, id &r.key, {
    "task_ext": Value::Text(r.record.task_ext.as_str()),
    "old_due": ts(r.record.old_due),
    "new_due": ts(r.record.new_due),
    "changed_at": ts(r.record.changed_at),
}, at r.record.changed_at, crm CrmTouch {
    person: None,
    deal: None,
    phone: None,
    task: Some(r.record.task_ext.as_str()),
    at: r.record.changed_at,
}, stored "CAST(NULL AS TEXT) AS person, CAST(NULL AS TEXT) AS deal, \
           CAST(NULL AS TEXT) AS phone, task_ext AS task, changed_at AS at");

stored_as!(Activity => "activities", |r| source &r.source, id r.external_id.as_str(), {
    "deal_ext": opt_text(&r.deal_ext),
    "employee_id": opt_text(&r.employee_id),
    "owner_ext": opt_text(&r.owner_ext),
    "kind": Value::Text(r.kind.as_str()),
    "at": ts(r.at),
}, at r.at,
crm CrmTouch::on_deal(r.employee_id.as_deref(), r.deal_ext.as_deref(), r.at),
stored on_deal_sql!("at"));

stored_as!(Comment => "comments", |r| source &r.source, id r.external_id.as_str(), {
    "deal_ext": opt_text(&r.deal_ext),
    "employee_id": opt_text(&r.employee_id),
    "author_ext": opt_text(&r.author_ext),
    "at": ts(r.at),
    "body": Value::Text(&r.text),
}, at r.at,
crm CrmTouch::on_deal(r.employee_id.as_deref(), r.deal_ext.as_deref(), r.at),
stored on_deal_sql!("at"));

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leg_ids_are_sixteen_hex_digits_each_and_read_back() {
        let ids = [0, 1, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef];
        let text = leg_ids_text(&ids);
        let expected: Vec<String> = ids.iter().map(|id| format!("{id:016x}")).collect();
        assert_eq!(text, expected.join(","));
        assert_eq!(parse_leg_ids(&text), ids);
    }
}
