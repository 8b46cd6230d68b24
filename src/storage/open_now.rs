//! What is open now, counted in the database per person: open deals per
//! stage, stuck deals, open and overdue tasks, open deals without a next
//! task. These figures look at "now", not at a period; counting them in SQL
//! keeps a request from loading every open deal and task of a department
//! (`metrics::open_work` is the same definition over records in memory).
//! The records behind the counts are read only when they are asked for.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::db::Value;
use super::in_list::InList;
use super::{Result, StorageError, Store};

/// Whose open work to count, and as of when.
#[derive(Debug, Clone)]
pub struct OpenNowQuery<'a> {
    pub employees: &'a [String],
    /// The open stages with the days after which a deal in them is stuck.
    pub open_stages: &'a [(String, i64)],
    pub now: DateTime<Utc>,
    /// Read the ids behind overdue tasks and deals without a next task.
    pub records: bool,
}

/// What is open now for each person, by employee id.
#[derive(Debug, Clone, Default)]
pub struct OpenNow {
    pub people: HashMap<String, PersonOpen>,
    /// Whether the records behind the counts were read.
    pub records: bool,
}

/// One person's open work now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonOpen {
    /// Tasks open now, created by now.
    pub open_tasks: usize,
    /// Tasks open now, due before now.
    pub overdue: usize,
    /// The overdue tasks oldest first: all of them when records were
    /// asked for, else only the oldest.
    pub overdue_tasks: Vec<DueTask>,
    /// Open deals per stage: `(stage, deals, amount in minor units)`.
    pub open_deals: Vec<(String, usize, i64)>,
    /// Open deals without an open task on them (anyone's).
    pub without_task: usize,
    /// Those deals as `(source, external id)`, when records were asked for.
    pub without_task_deals: Vec<(String, String)>,
    /// Open deals longer in their stage than it allows.
    pub stuck: Vec<StuckRow>,
}

/// An overdue task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTask {
    pub source: String,
    pub external_id: String,
    pub title: String,
    pub due_at: DateTime<Utc>,
}

/// A stuck deal: in its stage since `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckRow {
    pub source: String,
    pub external_id: String,
    pub title: String,
    pub stage: String,
    pub amount_minor: i64,
    pub since: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Count {
    employee_id: String,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct TaskDue {
    employee_id: String,
    source: String,
    external_id: String,
    title: String,
    due_at: i64,
}

/// One person's open deals in one stage: how many, their amount, and how
/// many have no open task.
#[derive(sqlx::FromRow)]
struct StageCount {
    employee_id: String,
    stage: String,
    n: i64,
    amount_minor: i64,
    without_task: i64,
}

/// A stuck deal: longer in its open stage than the stage allows.
#[derive(sqlx::FromRow)]
struct StuckDealRow {
    employee_id: String,
    source: String,
    external_id: String,
    title: String,
    stage: String,
    amount_minor: i64,
    since: i64,
}

/// An open deal without an open task (read only with records).
#[derive(sqlx::FromRow)]
struct DealKey {
    employee_id: String,
    source: String,
    external_id: String,
}

/// An open task on the deal `d` at `now` (its two `{}`).
const HAS_OPEN_TASK: &str = "EXISTS (SELECT 1 FROM tasks t \
     WHERE t.deal_ext = d.external_id AND t.source = d.source \
     AND (t.completed_at IS NULL OR t.completed_at > {}) AND t.created_at <= {})";

/// A task open at `now`, as two ranges of the index of open work, each
/// read on its own (an `OR` would read every task the person ever had):
/// open still, and done after `now` (a question about the past). The second is bound to
/// `now`, the first to a value it ignores, so both take the same values.
const OPEN_TASK_RANGES: [&str; 2] = [
    "completed_at IS NULL AND {} IS NOT NULL",
    "completed_at > {}",
];

/// When a deal reached its stage: the CRM's word, else its last move into
/// it, else its creation (`metrics::funnel::stage_since`).
const SINCE: &str = "COALESCE(d.stage_since, (SELECT MAX(c.changed_at) FROM stage_changes c \
     WHERE c.deal_ext = d.external_id AND c.source = d.source AND c.to_stage = d.stage), d.created_at)";

/// The person's entry, made empty when it is the first.
fn person(people: &mut HashMap<String, PersonOpen>, employee_id: String) -> &mut PersonOpen {
    people.entry(employee_id).or_default()
}

/// How many rows each person has, from a list of their ids.
fn count_each<'r>(employees: impl Iterator<Item = &'r str>) -> Vec<Count> {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for e in employees {
        *counts.entry(e).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(e, n)| Count {
            employee_id: e.to_owned(),
            n,
        })
        .collect()
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn instant(secs: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| StorageError::Corrupt(format!("instant {secs}")))
}

struct Counter<'a> {
    list: InList<'a>,
    people: Vec<&'a str>,
    q: &'a OpenNowQuery<'a>,
    /// `d.stage IN (...)` with one `{}` per open stage.
    open_stage: String,
}

impl<'a> Counter<'a> {
    fn now(&self) -> Value<'static> {
        Value::Int(self.q.now.timestamp())
    }

    /// `now` then the open stages: the values of `created_at <= {} AND stage IN (...)`.
    fn open_deal_values(&self) -> Vec<Value<'a>> {
        let mut fixed = vec![self.now()];
        fixed.extend(self.q.open_stages.iter().map(|(s, _)| Value::Text(s)));
        fixed
    }

    /// The people's open deals per stage, counted in the database: how
    /// many, their amount, how many without a next task.
    async fn deal_counts(&self) -> Result<Vec<StageCount>> {
        let mut fixed = vec![self.now(), self.now()];
        fixed.extend(self.open_deal_values());
        self.list
            .fetch(
                &format!(
                    "SELECT d.employee_id, d.stage, COUNT(*) AS n, \
                     CAST(SUM(d.amount_minor) AS BIGINT) AS amount_minor, \
                     CAST(SUM(CASE WHEN {HAS_OPEN_TASK} THEN 0 ELSE 1 END) AS BIGINT) AS without_task \
                     FROM deals d WHERE d.created_at <= {{}} AND {} AND ",
                    self.open_stage
                ),
                "d.employee_id",
                &self.people,
                &fixed,
                " GROUP BY d.employee_id, d.stage",
                "counting open deals",
            )
            .await
    }

    /// The people's stuck deals: in an open stage since before its
    /// cutoff (`now` less the stage's days).
    async fn stuck_deals(&self) -> Result<Vec<StuckDealRow>> {
        let mut fixed = Vec::new();
        let mut cutoff = String::from("CASE d.stage");
        for (stage, days) in self.q.open_stages {
            cutoff.push_str(" WHEN {} THEN {}");
            fixed.push(Value::Text(stage));
            fixed.push(Value::Int(self.q.now.timestamp() - (days + 1) * 86_400));
        }
        cutoff.push_str(" END");
        // The cutoff's values come first: it is written before the rest.
        let mut values = fixed;
        values.extend(self.open_deal_values());
        self.list
            .fetch(
                &format!(
                    "SELECT d.employee_id, d.source, d.external_id, d.title, d.stage, \
                     d.amount_minor, since FROM (SELECT d.employee_id, d.source, d.external_id, \
                     d.title, d.stage, d.amount_minor, {SINCE} AS since, {cutoff} AS cutoff \
                     FROM deals d WHERE d.created_at <= {{}} AND {} AND ",
                    self.open_stage
                ),
                "d.employee_id",
                &self.people,
                &values,
                ") d WHERE since <= cutoff",
                "reading stuck deals",
            )
            .await
    }

    /// The people's open deals without an open task (for their records).
    async fn deals_without_task(&self) -> Result<Vec<DealKey>> {
        let mut fixed = vec![self.now(), self.now()];
        fixed.extend(self.open_deal_values());
        self.list
            .fetch(
                &format!(
                    "SELECT d.employee_id, d.source, d.external_id FROM deals d \
                     WHERE NOT {HAS_OPEN_TASK} AND d.created_at <= {{}} AND {} AND ",
                    self.open_stage
                ),
                "d.employee_id",
                &self.people,
                &fixed,
                "",
                "reading open deals without a task",
            )
            .await
    }

    async fn open_tasks(&self) -> Result<Vec<Count>> {
        let mut counts = Vec::new();
        for open in OPEN_TASK_RANGES {
            counts.extend(
                self.list
                    .fetch::<Count>(
                        // `+created_at`: counted from the index of open
                        // work, not from every task created before now.
                        &format!(
                            "SELECT employee_id, COUNT(*) AS n FROM tasks \
                             WHERE {open} AND +created_at <= {{}} AND "
                        ),
                        "employee_id",
                        &self.people,
                        &[self.now(), self.now()],
                        " GROUP BY employee_id",
                        "counting open tasks",
                    )
                    .await?,
            );
        }
        Ok(counts)
    }

    /// Overdue tasks, oldest first: all of them, or with `records` off
    /// the oldest of each person beside a count.
    async fn overdue(&self) -> Result<(Vec<Count>, Vec<TaskDue>)> {
        if !self.q.records {
            return self.oldest_overdue().await;
        }
        let now = [self.now(), self.now()];
        // `+due_at`: the open tasks are found through the covering index of
        // open work, not through every task due before now.
        let mut rows: Vec<TaskDue> = Vec::new();
        for open in OPEN_TASK_RANGES {
            rows.extend(
                self.list
                    .fetch::<TaskDue>(
                        &format!(
                            "SELECT employee_id, source, external_id, title, due_at FROM tasks \
                             WHERE {open} AND +due_at < {{}} AND "
                        ),
                        "employee_id",
                        &self.people,
                        &now,
                        "",
                        if self.q.records {
                            "reading overdue tasks"
                        } else {
                            "counting overdue tasks"
                        },
                    )
                    .await?,
            );
        }
        rows.sort_by(|a, b| {
            (a.due_at, &a.source, &a.external_id).cmp(&(b.due_at, &b.source, &b.external_id))
        });
        let counts = count_each(rows.iter().map(|r| r.employee_id.as_str()));
        Ok((counts, rows))
    }

    /// Overdue tasks counted in the database, with each person's oldest
    /// (by due time, then key), oldest first. Each range is counted from
    /// the index of open work alone, with its earliest due time; only the
    /// tasks due at that time are read.
    async fn oldest_overdue(&self) -> Result<(Vec<Count>, Vec<TaskDue>)> {
        let mut counts: HashMap<String, i64> = HashMap::new();
        let mut oldest: HashMap<String, TaskDue> = HashMap::new();
        let order = |t: &TaskDue| (t.due_at, t.source.clone(), t.external_id.clone());
        for (open, same) in OPEN_TASK_RANGES.iter().zip(OLDEST_OF_RANGE) {
            let rows: Vec<OldestDue> = self
                .list
                .fetch(
                    &format!(
                        "WITH m AS (SELECT employee_id, COUNT(*) AS n, MIN(due_at) AS due, \
                         {{}} AS at FROM tasks WHERE {open} AND due_at < {{}} AND "
                    ),
                    "employee_id",
                    &self.people,
                    &[self.now(), self.now(), self.now()],
                    &format!(
                        " GROUP BY employee_id) SELECT t.employee_id, t.source, t.external_id, \
                         t.title, t.due_at, m.n FROM m JOIN tasks t \
                         ON t.employee_id = m.employee_id AND t.due_at = m.due AND {same}"
                    ),
                    "counting overdue tasks",
                )
                .await?;
            // A person's tasks due at the same earliest time come once each,
            // with the count beside each.
            let mut counted: HashMap<String, i64> = HashMap::new();
            for r in rows {
                counted.insert(r.task.employee_id.clone(), r.n);
                match oldest.get(&r.task.employee_id) {
                    Some(have) if order(have) <= order(&r.task) => {}
                    _ => {
                        oldest.insert(r.task.employee_id.clone(), r.task);
                    }
                }
            }
            for (person, n) in counted {
                *counts.entry(person).or_default() += n;
            }
        }
        let mut rows: Vec<TaskDue> = oldest.into_values().collect();
        rows.sort_by_key(order);
        let counts = counts
            .into_iter()
            .map(|(employee_id, n)| Count { employee_id, n })
            .collect();
        Ok((counts, rows))
    }
}

/// The tasks `t` of a range of [`OPEN_TASK_RANGES`], with `m.at` the
/// instant asked about.
const OLDEST_OF_RANGE: [&str; 2] = ["t.completed_at IS NULL", "t.completed_at > m.at"];

/// A person's oldest overdue task, and how many they have.
#[derive(sqlx::FromRow)]
struct OldestDue {
    #[sqlx(flatten)]
    task: TaskDue,
    n: i64,
}

/// The question an answer of [`Store::open_now`] was for.
type MemoKey = (Vec<String>, Vec<(String, i64)>, DateTime<Utc>, bool);

/// How long an answer is reused for the same question: the parts of one
/// request (a report asks for the day, the month and the funnel's window
/// at one `now`), not across requests.
const MEMO_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The last answer of [`Store::open_now`]; forgotten when this process
/// writes records.
#[derive(Default)]
pub(super) struct OpenMemo(std::sync::Mutex<Option<(MemoKey, std::time::Instant, OpenNow)>>);

impl OpenMemo {
    fn get(&self, key: &MemoKey) -> Option<OpenNow> {
        let memo = self.0.lock().ok()?;
        let (k, at, answer) = memo.as_ref()?;
        (k == key && at.elapsed() < MEMO_FOR).then(|| answer.clone())
    }

    fn put(&self, key: MemoKey, answer: &OpenNow) {
        if let Ok(mut memo) = self.0.lock() {
            *memo = Some((key, std::time::Instant::now(), answer.clone()));
        }
    }

    pub(super) fn clear(&self) {
        if let Ok(mut memo) = self.0.lock() {
            *memo = None;
        }
    }
}

impl Store {
    /// The open work of each of the people as of `now`, in a fixed number
    /// of grouped queries; the same question asked again within a request
    /// is answered once.
    pub async fn open_now(&self, q: &OpenNowQuery<'_>) -> Result<OpenNow> {
        let key: MemoKey = (
            q.employees.to_vec(),
            q.open_stages.to_vec(),
            q.now,
            q.records,
        );
        if let Some(answer) = self.open_memo.get(&key) {
            return Ok(answer);
        }
        let answer = self.count_open_now(q).await?;
        self.open_memo.put(key, &answer);
        Ok(answer)
    }

    async fn count_open_now(&self, q: &OpenNowQuery<'_>) -> Result<OpenNow> {
        let mut out = OpenNow {
            records: q.records,
            ..OpenNow::default()
        };
        if q.employees.is_empty() {
            return Ok(out);
        }
        let counter = Counter {
            list: InList {
                pool: &self.pool,
                dialect: self.pool.dialect(),
            },
            people: q.employees.iter().map(String::as_str).collect(),
            q,
            open_stage: if q.open_stages.is_empty() {
                "0 = 1".to_owned()
            } else {
                format!(
                    "d.stage IN ({})",
                    vec!["{}"; q.open_stages.len()].join(", ")
                )
            },
        };

        for r in counter.open_tasks().await? {
            person(&mut out.people, r.employee_id).open_tasks += to_usize(r.n);
        }
        let (counts, tasks) = counter.overdue().await?;
        for r in counts {
            person(&mut out.people, r.employee_id).overdue = to_usize(r.n);
        }
        for t in tasks {
            person(&mut out.people, t.employee_id)
                .overdue_tasks
                .push(DueTask {
                    source: t.source,
                    external_id: t.external_id,
                    title: t.title,
                    due_at: instant(t.due_at)?,
                });
        }
        if q.open_stages.is_empty() {
            return Ok(out);
        }
        for c in counter.deal_counts().await? {
            let p = person(&mut out.people, c.employee_id);
            p.open_deals.push((c.stage, to_usize(c.n), c.amount_minor));
            p.without_task += to_usize(c.without_task);
        }
        if q.records {
            let mut rows = counter.deals_without_task().await?;
            rows.sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
            for d in rows {
                person(&mut out.people, d.employee_id)
                    .without_task_deals
                    .push((d.source, d.external_id));
            }
        }
        let mut rows = counter.stuck_deals().await?;
        rows.sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
        for d in rows {
            person(&mut out.people, d.employee_id).stuck.push(StuckRow {
                source: d.source,
                external_id: d.external_id,
                title: d.title,
                stage: d.stage,
                amount_minor: d.amount_minor,
                since: instant(d.since)?,
            });
        }
        for p in out.people.values_mut() {
            p.open_deals.sort();
        }
        Ok(out)
    }
}
