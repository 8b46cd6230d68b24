//! Loading what the figures of a scope and a period need, in a fixed number
//! of indexed queries (IN lists chunked to the backend's parameter limit):
//! no per-employee or per-record round trips.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::db::{Dialect, Pool, Value};
use super::{Result, StorageError, query_err};
use crate::domain::{
    Activity, ActivityKind, Call, Comment, Deal, ExternalId, Phone, StageChange, Task,
    TaskPostponement, Temperature,
};
use crate::metrics::telephony::NumberHistory;

/// What to load: the people, the period, and the settings that decide how
/// far around the period to look.
#[derive(Debug, Clone)]
pub struct ScopeQuery {
    pub employees: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub success_secs: i64,
    pub trace_window_secs: i64,
    /// Stage ids that are open: open deals are loaded whatever their age.
    pub open_stages: Vec<String>,
}

/// The records of a scope and a period.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub calls: Vec<Call>,
    pub numbers: NumberHistory,
    pub deals: Vec<Deal>,
    pub stage_changes: Vec<StageChange>,
    pub tasks: Vec<Task>,
    pub postponements: Vec<TaskPostponement>,
    pub activities: Vec<Activity>,
    pub comments: Vec<Comment>,
}

fn instant(secs: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| StorageError::Corrupt(format!("instant {secs}")))
}

fn ext(id: &str) -> Result<ExternalId> {
    ExternalId::parse(id, "id").map_err(|e| StorageError::Corrupt(e.to_string()))
}

fn corrupt(e: crate::domain::DomainError) -> StorageError {
    StorageError::Corrupt(e.to_string())
}

#[derive(sqlx::FromRow)]
struct NumberRow {
    number: String,
    first_contact: Option<i64>,
    first_success: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PhoneRow {
    phone: String,
    first_deal: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct DealRow {
    source: String,
    external_id: String,
    title: String,
    employee_id: Option<String>,
    owner_ext: Option<String>,
    stage: String,
    amount_minor: i64,
    currency: String,
    channel: Option<String>,
    temperature: Option<String>,
    client_ext: Option<String>,
    phone: Option<String>,
    created_at: i64,
    stage_since: Option<i64>,
    closed_at: Option<i64>,
}

impl DealRow {
    fn into_deal(self) -> Result<Deal> {
        Ok(Deal {
            external_id: ext(&self.external_id)?,
            temperature: self
                .temperature
                .as_deref()
                .map(Temperature::parse)
                .transpose()
                .map_err(corrupt)?,
            phone: self.phone.as_deref().map(Phone::normalize),
            created_at: instant(self.created_at)?,
            stage_since: self.stage_since.map(instant).transpose()?,
            closed_at: self.closed_at.map(instant).transpose()?,
            source: self.source,
            title: self.title,
            employee_id: self.employee_id,
            owner_ext: self.owner_ext,
            stage: self.stage,
            amount_minor: self.amount_minor,
            currency: self.currency,
            channel: self.channel,
            client_ext: self.client_ext,
        })
    }
}

#[derive(sqlx::FromRow)]
struct StageChangeRow {
    source: String,
    external_id: String,
    deal_ext: String,
    from_stage: Option<String>,
    to_stage: String,
    changed_at: i64,
    employee_id: Option<String>,
    author_ext: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    source: String,
    external_id: String,
    deal_ext: Option<String>,
    employee_id: Option<String>,
    owner_ext: Option<String>,
    title: String,
    created_at: i64,
    due_at: i64,
    completed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PostponementRow {
    source: String,
    task_ext: String,
    old_due: i64,
    new_due: i64,
    changed_at: i64,
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    source: String,
    external_id: String,
    deal_ext: Option<String>,
    employee_id: Option<String>,
    owner_ext: Option<String>,
    kind: String,
    at: i64,
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    source: String,
    external_id: String,
    deal_ext: Option<String>,
    employee_id: Option<String>,
    author_ext: Option<String>,
    at: i64,
    body: String,
}

/// Builds `... IN (?, ?, ...)` queries over a long list, a chunk at a time.
pub(super) struct InList<'a> {
    pub(super) pool: &'a Pool,
    pub(super) dialect: Dialect,
}

impl InList<'_> {
    /// Runs `head` + `column IN (...)` + `tail` over `items` in chunks;
    /// `fixed` values are bound before each chunk's list.
    pub(super) async fn fetch<T: super::db::AnyRow>(
        &self,
        head: &str,
        column: &str,
        items: &[&str],
        fixed: &[Value<'_>],
        tail: &str,
        doing: &'static str,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for chunk in items.chunks(self.room(fixed)) {
            let (sql, values) = self.statement(head, column, chunk, fixed, tail);
            out.extend(
                self.pool
                    .fetch_all::<T>(&sql, &values)
                    .await
                    .map_err(query_err(doing))?,
            );
        }
        Ok(out)
    }

    /// Runs a writing `head` + `column IN (...)` + `tail` over `items` in
    /// chunks; returns the rows it changed.
    pub(super) async fn execute(
        &self,
        head: &str,
        column: &str,
        items: &[&str],
        fixed: &[Value<'_>],
        tail: &str,
        doing: &'static str,
    ) -> Result<u64> {
        let mut changed = 0;
        for chunk in items.chunks(self.room(fixed)) {
            let (sql, values) = self.statement(head, column, chunk, fixed, tail);
            changed += self
                .pool
                .execute(&sql, &values)
                .await
                .map_err(query_err(doing))?;
        }
        Ok(changed)
    }

    fn room(&self, fixed: &[Value<'_>]) -> usize {
        self.dialect.max_params().saturating_sub(fixed.len()).max(1)
    }

    /// One chunk's statement and its values.
    fn statement<'v>(
        &self,
        head: &str,
        column: &str,
        chunk: &[&'v str],
        fixed: &[Value<'v>],
        tail: &str,
    ) -> (String, Vec<Value<'v>>) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * 4 + 64);
        let mut n = 0;
        // Placeholders of fixed values are written by the caller as `{}`.
        for (i, part) in head.split("{}").enumerate() {
            if i > 0 {
                n += 1;
                self.dialect.placeholder(&mut sql, n);
            }
            sql.push_str(part);
        }
        sql.push_str(column);
        sql.push_str(" IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            self.dialect.placeholder(&mut sql, n);
        }
        sql.push(')');
        sql.push_str(tail);
        let mut values: Vec<Value<'v>> = fixed.to_vec();
        values.extend(chunk.iter().map(|s| Value::Text(s)));
        (sql, values)
    }
}

/// How far back a postponed task is checked for a call or activity on its deal.
pub const POSTPONEMENT_LOOKBACK_DAYS: i64 = 7;

const DEAL_COLUMNS: &str = "source, external_id, title, employee_id, owner_ext, stage, amount_minor, currency, \
                            channel, temperature, client_ext, phone, created_at, stage_since, closed_at";

pub(super) async fn load_scope(pool: &Pool, q: &ScopeQuery, calls: Vec<Call>) -> Result<Dataset> {
    let list = InList {
        pool,
        dialect: pool.dialect(),
    };
    let people: Vec<&str> = q.employees.iter().map(String::as_str).collect();

    // What each number had before: first contact, first success, first deal.
    let numbers: BTreeSet<&str> = calls
        .iter()
        .map(|c| c.number.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    let numbers: Vec<&str> = numbers.into_iter().collect();
    let to = Value::Int(q.to.timestamp());
    let number_rows: Vec<NumberRow> = list
        .fetch(
            "SELECT number, MIN(started_at) AS first_contact, \
             MIN(CASE WHEN talk_seconds >= {} THEN started_at END) AS first_success \
             FROM calls WHERE started_at < {} AND ",
            "number",
            &numbers,
            &[Value::Int(q.success_secs.max(1)), to],
            " GROUP BY number",
            "loading number history",
        )
        .await?;
    let phone_rows: Vec<PhoneRow> = list
        .fetch(
            "SELECT phone, MIN(created_at) AS first_deal FROM deals WHERE ",
            "phone",
            &numbers,
            &[],
            " GROUP BY phone",
            "loading deal history of numbers",
        )
        .await?;
    let mut history: NumberHistory = HashMap::with_capacity(numbers.len());
    for r in number_rows {
        let facts = history.entry(r.number).or_default();
        facts.first_contact = r.first_contact.map(instant).transpose()?;
        facts.first_success = r.first_success.map(instant).transpose()?;
    }
    for r in phone_rows {
        history.entry(r.phone).or_default().first_deal = r.first_deal.map(instant).transpose()?;
    }

    // Deals: the people's open ones, the ones that moved in the period, and
    // the ones their calls were about.
    let open_marks: String = q
        .open_stages
        .iter()
        .map(|_| "{}")
        .collect::<Vec<_>>()
        .join(", ");
    let mut fixed: Vec<Value<'_>> = q.open_stages.iter().map(|s| Value::Text(s)).collect();
    fixed.push(Value::Int(q.from.timestamp()));
    fixed.push(Value::Int(q.from.timestamp()));
    let open_clause = if q.open_stages.is_empty() {
        "0 = 1".to_owned()
    } else {
        format!("stage IN ({open_marks})")
    };
    let mut deal_rows: Vec<DealRow> = list
        .fetch(
            &format!(
                "SELECT {DEAL_COLUMNS} FROM deals WHERE ({open_clause} OR closed_at >= {{}} OR created_at >= {{}}) AND "
            ),
            "employee_id",
            &people,
            &fixed,
            "",
            "loading deals",
        )
        .await?;
    deal_rows.extend(
        list.fetch::<DealRow>(
            &format!("SELECT {DEAL_COLUMNS} FROM deals WHERE "),
            "phone",
            &numbers,
            &[],
            "",
            "loading deals of calls",
        )
        .await?,
    );
    let mut seen = BTreeSet::new();
    let mut deals = Vec::with_capacity(deal_rows.len());
    for row in deal_rows {
        if seen.insert((row.source.clone(), row.external_id.clone())) {
            deals.push(row.into_deal()?);
        }
    }
    let deal_ids: Vec<&str> = deals.iter().map(|d| d.external_id.as_str()).collect();

    // Stage changes of those deals from a month before the period on: the
    // period's moves, and when open deals reached their stage.
    let stage_changes: Vec<StageChangeRow> = list
        .fetch(
            "SELECT source, external_id, deal_ext, from_stage, to_stage, changed_at, employee_id, author_ext \
             FROM stage_changes WHERE changed_at >= {} AND ",
            "deal_ext",
            &deal_ids,
            &[Value::Int((q.from - chrono::Duration::days(31)).timestamp())],
            " ORDER BY changed_at",
            "loading stage changes",
        )
        .await?;
    let stage_changes = stage_changes
        .into_iter()
        .map(|r| {
            Ok(StageChange {
                external_id: ext(&r.external_id)?,
                deal_ext: ext(&r.deal_ext)?,
                changed_at: instant(r.changed_at)?,
                source: r.source,
                from_stage: r.from_stage,
                to_stage: r.to_stage,
                employee_id: r.employee_id,
                author_ext: r.author_ext,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    // Tasks: the people's, and those on the deals loaded.
    const TASK_COLUMNS: &str = "SELECT source, external_id, deal_ext, employee_id, owner_ext, title, created_at, due_at, completed_at FROM tasks WHERE ";
    // The tasks that matter to the period, the people's and those on the
    // deals loaded: open ones, and any created, due or done since it began.
    let since_from = Value::Int(q.from.timestamp());
    let recent_tasks = format!(
        "{TASK_COLUMNS}(completed_at IS NULL OR completed_at >= {{}} OR due_at >= {{}} OR created_at >= {{}}) AND "
    );
    let mut task_rows: Vec<TaskRow> = list
        .fetch(
            &recent_tasks,
            "employee_id",
            &people,
            &[since_from, since_from, since_from],
            "",
            "loading tasks",
        )
        .await?;
    task_rows.extend(
        list.fetch::<TaskRow>(
            &recent_tasks,
            "deal_ext",
            &deal_ids,
            &[since_from, since_from, since_from],
            "",
            "loading tasks of deals",
        )
        .await?,
    );
    let mut seen = BTreeSet::new();
    let mut tasks = Vec::new();
    for r in task_rows {
        if !seen.insert((r.source.clone(), r.external_id.clone())) {
            continue;
        }
        tasks.push(Task {
            external_id: ext(&r.external_id)?,
            created_at: instant(r.created_at)?,
            due_at: instant(r.due_at)?,
            completed_at: r.completed_at.map(instant).transpose()?,
            source: r.source,
            deal_ext: r.deal_ext,
            employee_id: r.employee_id,
            owner_ext: r.owner_ext,
            title: r.title,
        });
    }
    let task_ids: Vec<&str> = tasks.iter().map(|t| t.external_id.as_str()).collect();
    let postponements: Vec<PostponementRow> = list
        .fetch(
            "SELECT source, task_ext, old_due, new_due, changed_at FROM task_postponements WHERE ",
            "task_ext",
            &task_ids,
            &[],
            "",
            "loading postponements",
        )
        .await?;
    let postponements = postponements
        .into_iter()
        .map(|r| {
            Ok(TaskPostponement {
                task_ext: ext(&r.task_ext)?,
                old_due: instant(r.old_due)?,
                new_due: instant(r.new_due)?,
                changed_at: instant(r.changed_at)?,
                source: r.source,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    // Activities and comments: the people's around the period (a week back,
    // for postponements), and anyone's on the deals loaded.
    let since =
        Value::Int((q.from - chrono::Duration::days(POSTPONEMENT_LOOKBACK_DAYS)).timestamp());
    let until = Value::Int((q.to + chrono::Duration::seconds(q.trace_window_secs)).timestamp());
    const ACTIVITY: &str = "SELECT source, external_id, deal_ext, employee_id, owner_ext, kind, at FROM activities WHERE at >= {} AND at < {} AND ";
    let mut activity_rows: Vec<ActivityRow> = list
        .fetch(
            ACTIVITY,
            "employee_id",
            &people,
            &[since, until],
            "",
            "loading activities",
        )
        .await?;
    activity_rows.extend(
        list.fetch::<ActivityRow>(
            ACTIVITY,
            "deal_ext",
            &deal_ids,
            &[since, until],
            "",
            "loading activities of deals",
        )
        .await?,
    );
    let mut seen = BTreeSet::new();
    let mut activities = Vec::new();
    for r in activity_rows {
        if !seen.insert((r.source.clone(), r.external_id.clone())) {
            continue;
        }
        activities.push(Activity {
            external_id: ext(&r.external_id)?,
            kind: ActivityKind::parse(&r.kind).map_err(corrupt)?,
            at: instant(r.at)?,
            source: r.source,
            deal_ext: r.deal_ext,
            employee_id: r.employee_id,
            owner_ext: r.owner_ext,
        });
    }
    const COMMENT: &str = "SELECT source, external_id, deal_ext, employee_id, author_ext, at, body FROM comments WHERE at >= {} AND at < {} AND ";
    let mut comment_rows: Vec<CommentRow> = list
        .fetch(
            COMMENT,
            "employee_id",
            &people,
            &[since, until],
            "",
            "loading comments",
        )
        .await?;
    comment_rows.extend(
        list.fetch::<CommentRow>(
            COMMENT,
            "deal_ext",
            &deal_ids,
            &[since, until],
            "",
            "loading comments of deals",
        )
        .await?,
    );
    let mut seen = BTreeSet::new();
    let mut comments = Vec::new();
    for r in comment_rows {
        if !seen.insert((r.source.clone(), r.external_id.clone())) {
            continue;
        }
        comments.push(Comment {
            external_id: ext(&r.external_id)?,
            at: instant(r.at)?,
            source: r.source,
            deal_ext: r.deal_ext,
            employee_id: r.employee_id,
            author_ext: r.author_ext,
            text: r.body,
        });
    }

    Ok(Dataset {
        calls,
        numbers: history,
        deals,
        stage_changes,
        tasks,
        postponements,
        activities,
        comments,
    })
}
