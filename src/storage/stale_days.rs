//! Which days of the daily roll-up the records written make stale, and
//! dropping them: new calls their callers' days and those of later calls
//! to the numbers; CRM records the days of the people they and their
//! stored versions count for, of whoever works on their deals or called
//! them, and of the owners of the tasks moved; anything else, and bulk
//! loads, everyone's days from the earliest record.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::db::Value;
use super::in_list::InList;
use super::records::CrmTouch;
use super::{Result, Store, query_err};

/// How far before the earliest record written its figures may reach,
/// unless the store is told the trace window: a comment or task is the
/// trace of a call up to the trace window before it (at most a day,
/// `config::validate::thresholds`). Everything else a record changes lies
/// on its own day or after it: later calls to a number (warm, new client),
/// later moves of a task (postponed without action), the deal's entries
/// and closing after its creation.
pub const REACH_BACK: Duration = Duration::days(1);

/// More numbers than this called in one run: the run is a bulk load, and
/// everyone's days are dropped from its earliest call rather than asking
/// who called each number later.
const NUMBERS_ASKED: usize = 5_000;

/// What the records written since the last look can change.
#[derive(Default)]
struct Changed {
    /// Everyone's days from this instant (less the reach back) on.
    everyone: Option<DateTime<Utc>>,
    /// Calls: each caller's days from their earliest call written on.
    callers: HashMap<String, DateTime<Utc>>,
    /// The numbers called, and the earliest call written to any: later
    /// calls to them, anyone's, may turn warm or to an existing client.
    numbers: BTreeSet<String>,
    first_call: Option<DateTime<Utc>>,
    /// CRM records, new and as they were stored before.
    crm: CrmChanged,
}

/// What CRM records written can change: the people they are credited to,
/// each from their earliest record; and from the earliest of all, whoever
/// works on their deals, calls the deals' phones, or owns the tasks moved.
#[derive(Default)]
struct CrmChanged {
    first: Option<DateTime<Utc>>,
    people: HashMap<String, DateTime<Utc>>,
    deals: BTreeSet<String>,
    /// Deals new, or with another phone, and their phones (new and old).
    new_deals: BTreeSet<String>,
    phones: BTreeSet<String>,
    tasks: BTreeSet<String>,
}

impl CrmChanged {
    fn lookups(&self) -> usize {
        self.deals.len() + self.phones.len() + self.tasks.len()
    }
}

/// What the records written lately can change, and how far before a
/// record its figures reach.
#[derive(Default)]
pub(super) struct Dirty(Mutex<Changed>, Mutex<Option<Duration>>);

fn earliest(t: &mut Option<DateTime<Utc>>, at: DateTime<Utc>) {
    *t = Some(t.map_or(at, |x| x.min(at)));
}

impl Dirty {
    fn reach_back(&self) -> Duration {
        self.1
            .lock()
            .ok()
            .and_then(|r| *r)
            .unwrap_or(REACH_BACK)
            .min(REACH_BACK)
    }

    /// Records were written; `at` is the earliest instant among them
    /// (`None`: they name no instant, such as CRM users).
    pub(super) fn mark(&self, at: Option<DateTime<Utc>>) {
        let Some(at) = at else { return };
        if let Ok(mut d) = self.0.lock() {
            earliest(&mut d.everyone, at);
        }
    }

    /// A call was written: by `caller` (if mapped), to `number`, at `at`.
    pub(super) fn mark_call(&self, caller: Option<&str>, number: &str, at: DateTime<Utc>) {
        let Ok(mut d) = self.0.lock() else { return };
        if let Some(c) = caller {
            // A caller seen before is not copied again.
            match d.callers.get_mut(c) {
                Some(t) => *t = (*t).min(at),
                None => {
                    d.callers.insert(c.to_owned(), at);
                }
            }
        }
        // Past the limit the run counts as a bulk load: no need to keep
        // more numbers.
        if !number.is_empty() && d.numbers.len() <= NUMBERS_ASKED {
            d.numbers.insert(number.to_owned());
        }
        earliest(&mut d.first_call, at);
    }

    /// A CRM record was written, or the version it replaced was stored.
    /// `new_phone`: a deal that was not stored, or stored with another
    /// phone (every call to its phones is about a deal now, or no more).
    pub(super) fn mark_crm(&self, t: &CrmTouch<'_>, new_phone: bool) {
        let Ok(mut d) = self.0.lock() else { return };
        let crm = &mut d.crm;
        earliest(&mut crm.first, t.at);
        if let Some(p) = t.person {
            let at = crm.people.entry(p.to_owned()).or_insert(t.at);
            *at = (*at).min(t.at);
        }
        let (new_deal, phone) = match new_phone {
            true => (t.deal, t.phone),
            false => (None, None),
        };
        for (set, value) in [
            (&mut crm.deals, t.deal),
            (&mut crm.new_deals, new_deal),
            (&mut crm.phones, phone),
            (&mut crm.tasks, t.task),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                set.insert(v.to_owned());
            }
        }
    }

    fn take(&self) -> Changed {
        self.0
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }
}

#[derive(sqlx::FromRow)]
struct DealOwner {
    employee_id: Option<String>,
    phone: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Owner {
    employee_id: String,
}

#[derive(sqlx::FromRow)]
struct LaterCall {
    employee_id: String,
    first: i64,
}

impl Store {
    /// Drops the stored days that the records written since the last call
    /// can change; returns how many.
    pub async fn forget_dirty_days(&self) -> Result<u64> {
        let mut changed = self.dirty.take();
        if changed.numbers.len() > NUMBERS_ASKED
            && let Some(first) = changed.first_call
        {
            earliest(&mut changed.everyone, first);
            changed.callers.clear();
            changed.numbers.clear();
        }
        if changed.crm.lookups() > NUMBERS_ASKED
            && let Some(first) = changed.crm.first
        {
            earliest(&mut changed.everyone, first);
            changed.crm = CrmChanged::default();
        }
        let mut dropped = 0;
        if let Some(t) = changed.everyone {
            dropped += self.forget_days_after(t - self.dirty.reach_back()).await?;
        }
        // Calls change their callers' days from the call on, and the days
        // of later calls to the same numbers.
        let mut people = changed.callers;
        if let Some(first) = changed.first_call
            && !changed.numbers.is_empty()
        {
            let numbers: Vec<&str> = changed.numbers.iter().map(String::as_str).collect();
            let later: Vec<LaterCall> = InList {
                pool: &self.pool,
                dialect: self.dialect(),
            }
            .fetch(
                "SELECT employee_id, MIN(started_at) AS first FROM calls \
                 WHERE employee_id IS NOT NULL AND started_at >= {} AND ",
                "number",
                &numbers,
                &[Value::Int(first.timestamp())],
                " GROUP BY employee_id",
                "finding later calls to the numbers called",
            )
            .await?;
            for l in later {
                let Some(at) = DateTime::from_timestamp(l.first, 0) else {
                    continue;
                };
                let t = people.entry(l.employee_id).or_insert(at);
                *t = (*t).min(at);
            }
        }
        self.crm_people(changed.crm, &mut people).await?;
        if !people.is_empty() {
            dropped += self.forget_people_days(&people).await?;
        }
        Ok(dropped)
    }

    /// Adds the people whose days the CRM records written can change, each
    /// with the instant their days change from (the trace window before the
    /// record: a record on a deal can be the trace of a call before it).
    async fn crm_people(
        &self,
        mut crm: CrmChanged,
        people: &mut HashMap<String, DateTime<Utc>>,
    ) -> Result<()> {
        let Some(first) = crm.first else {
            return Ok(());
        };
        let back = self.dirty.reach_back();
        let mut add = |who: String, at: DateTime<Utc>| {
            let t = people.entry(who).or_insert(at);
            *t = (*t).min(at);
        };
        for (who, at) in std::mem::take(&mut crm.people) {
            add(who, at - back);
        }
        let since = first - back;
        let list = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        };
        let deals: Vec<&str> = crm.deals.iter().map(String::as_str).collect();
        let tasks: Vec<&str> = crm.tasks.iter().map(String::as_str).collect();
        // The deals' owners and phones as stored now.
        let owners: Vec<DealOwner> = list
            .fetch(
                "SELECT employee_id, phone FROM deals WHERE ",
                "external_id",
                &deals,
                &[],
                "",
                "finding the owners of the deals written",
            )
            .await?;
        let mut named: Vec<String> = Vec::new();
        let mut phones = BTreeSet::new();
        for o in owners {
            named.extend(o.employee_id);
            phones.extend(o.phone.filter(|p| !p.is_empty() && !crm.phones.contains(p)));
        }
        // Whoever has tasks on the deals (a move is judged by actions on
        // the deal), and whoever owns the tasks moved.
        for (column, ids, doing) in [
            ("deal_ext", &deals, "finding the tasks on the deals written"),
            (
                "external_id",
                &tasks,
                "finding the owners of the tasks moved",
            ),
        ] {
            let owners: Vec<Owner> = list
                .fetch(
                    "SELECT DISTINCT employee_id FROM tasks WHERE employee_id IS NOT NULL AND ",
                    column,
                    ids,
                    &[],
                    "",
                    doing,
                )
                .await?;
            named.extend(owners.into_iter().map(|o| o.employee_id));
        }
        for who in named {
            add(who, since);
        }
        let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
        self.callers_of_deals(&crm, &deals, &phones, since, &mut add)
            .await
    }

    /// Whoever called the deals: those calls may now have a trace, or be to
    /// an existing client. A deal written (new, or with another phone)
    /// makes every call to its phones, and every call linked to it, a call
    /// about a deal, however early; any other record only the calls in the
    /// trace window before it (`since`), to `phones` or linked to `deals`.
    async fn callers_of_deals(
        &self,
        crm: &CrmChanged,
        deals: &[&str],
        phones: &[&str],
        since: DateTime<Utc>,
        add: &mut impl FnMut(String, DateTime<Utc>),
    ) -> Result<()> {
        let list = InList {
            pool: &self.pool,
            dialect: self.dialect(),
        };
        let new_deals: Vec<&str> = crm.new_deals.iter().map(String::as_str).collect();
        let written: Vec<&str> = crm.phones.iter().map(String::as_str).collect();
        let ever = DateTime::<Utc>::UNIX_EPOCH;
        for (column, ids, from, doing) in [
            (
                "deal_ext",
                new_deals.as_slice(),
                ever,
                "finding calls linked to the deals new",
            ),
            (
                "deal_ext",
                deals,
                since,
                "finding calls linked to the deals written to",
            ),
            (
                "number",
                written.as_slice(),
                ever,
                "finding calls to the phones of the deals new",
            ),
            (
                "number",
                phones,
                since,
                "finding calls to the phones of the deals written to",
            ),
        ] {
            let head = format!(
                "SELECT employee_id, MIN(started_at) AS first FROM calls \
                 WHERE employee_id IS NOT NULL AND {column} IS NOT NULL AND started_at >= {{}} AND "
            );
            let callers: Vec<LaterCall> = list
                .fetch(
                    &head,
                    column,
                    ids,
                    &[Value::Int(from.timestamp())],
                    " GROUP BY employee_id",
                    doing,
                )
                .await?;
            for c in callers {
                if let Some(at) = DateTime::from_timestamp(c.first, 0) {
                    add(c.employee_id, at);
                }
            }
        }
        Ok(())
    }

    /// Drops each person's stored days that end after their instant.
    async fn forget_people_days(&self, people: &HashMap<String, DateTime<Utc>>) -> Result<u64> {
        let doing = "dropping days of the daily roll-up";
        let sql = self
            .dialect()
            .numbered("DELETE FROM day_figures WHERE employee_id = {} AND ends_at > {}");
        let mut tx = self.pool.begin().await.map_err(query_err(doing))?;
        tx.execute("UPDATE day_figures_epoch SET n = n + 1 WHERE id = 1", &[])
            .await
            .map_err(query_err(doing))?;
        let mut dropped = 0;
        for (person, t) in people {
            dropped += tx
                .execute(&sql, &[Value::Text(person), Value::Int(t.timestamp())])
                .await
                .map_err(query_err(doing))?;
        }
        tx.commit().await.map_err(query_err(doing))?;
        Ok(dropped)
    }

    /// The trace window of the config: how far before a record written the
    /// days it can change begin (a day when not told; never more).
    pub fn set_trace_window(&self, window: Duration) {
        if let Ok(mut r) = self.dirty.1.lock() {
            *r = Some(window);
        }
    }

    /// Drops every stored day that ends after `t`: records of that time
    /// arrived or changed. Returns the days dropped.
    pub async fn forget_days_after(&self, t: DateTime<Utc>) -> Result<u64> {
        let doing = "dropping days of the daily roll-up";
        let mut tx = self.pool.begin().await.map_err(query_err(doing))?;
        tx.execute("UPDATE day_figures_epoch SET n = n + 1 WHERE id = 1", &[])
            .await
            .map_err(query_err(doing))?;
        let sql = self
            .dialect()
            .numbered("DELETE FROM day_figures WHERE ends_at > {}");
        let dropped = tx
            .execute(&sql, &[Value::Int(t.timestamp())])
            .await
            .map_err(query_err(doing))?;
        tx.commit().await.map_err(query_err(doing))?;
        Ok(dropped)
    }
}
