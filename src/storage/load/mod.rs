//! Loading what the figures of a scope and a period need, in a fixed number
//! of indexed queries (IN lists chunked to the backend's parameter limit):
//! no per-employee or per-record round trips.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::db::{Pool, Value};
use super::in_list::InList;
use super::{Result, StorageError, Store};
use crate::domain::{
    Activity, ActivityKind, Call, Comment, Deal, ExternalId, NumberHistory, Phone, StageChange,
    Task, TaskPostponement, Temperature,
};

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
}

/// How the people's tasks and deals of a period are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// By the number of people (what `load_scope` does): each person for a
    /// few, each condition for more.
    Auto,
    /// One query over each person's records with every condition: cheap
    /// for a few people, whatever the period.
    EachPerson,
    /// A condition at a time, each a range of the people's indexes, and the
    /// period's moves: cheap for many people, whatever their history.
    EachCondition,
}

/// Up to this many people, `Reading::Auto` reads each person's records:
/// a person's history costs less than the department's moves of a period.
pub const FEW_PEOPLE: usize = 10;

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
    /// The people's calls in the week before the period about the deals of
    /// tasks moved in it: a move early in the period looks back at them for
    /// an action (`POSTPONEMENT_LOOKBACK_DAYS`).
    pub earlier_calls: Vec<Call>,
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

/// How far back a postponed task is checked for a call or activity on its deal.
pub const POSTPONEMENT_LOOKBACK_DAYS: i64 = 7;

mod earlier;
mod period;

const TASK_COLUMNS: &str = "source, external_id, deal_ext, employee_id, owner_ext, title, created_at, due_at, completed_at";
const DEAL_COLUMNS: &str = "source, external_id, title, employee_id, owner_ext, stage, amount_minor, currency, \
                            channel, temperature, client_ext, phone, created_at, stage_since, closed_at";

/// One scope load: the query, its people, and the list-query helper.
struct Loader<'a> {
    list: InList<'a>,
    q: &'a ScopeQuery,
    people: Vec<&'a str>,
    /// `EachPerson` or `EachCondition`.
    reading: Reading,
}

/// Rows fetched twice over (by person, by deal), each kept once by its
/// `(source, external_id)`.
fn once_each<R>(rows: Vec<R>, key: impl Fn(&R) -> (&str, &str)) -> Vec<R> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (source, id) = key(&r);
        if seen.insert((source.to_owned(), id.to_owned())) {
            out.push(r);
        }
    }
    out
}

impl<'a> Loader<'a> {
    /// Rows of `select` (ending in `AND `) for the people, then for the
    /// deals loaded, each kept once.
    async fn by_people_and_deals<R: super::db::AnyRow>(
        &self,
        select: &str,
        fixed: &[Value<'_>],
        deal_ids: &[&str],
        doing: [&'static str; 2],
        key: impl Fn(&R) -> (&str, &str),
    ) -> Result<Vec<R>> {
        let mut rows: Vec<R> = self
            .list
            .fetch(select, "employee_id", &self.people, fixed, "", doing[0])
            .await?;
        rows.extend(
            self.list
                .fetch::<R>(select, "deal_ext", deal_ids, fixed, "", doing[1])
                .await?,
        );
        Ok(once_each(rows, key))
    }

    /// What each number had before the period's end: first contact, first
    /// success (each found walking its calls from the first), first deal.
    async fn number_history(&self, numbers: &[&str]) -> Result<NumberHistory> {
        let to = Value::Int(self.q.to.timestamp());
        let number_rows: Vec<NumberRow> = self
            .list
            .fetch_each(
                "n(number)",
                "SELECT n.number, \
                 (SELECT c.started_at FROM calls c WHERE c.number = n.number AND c.started_at < {} \
                 ORDER BY c.started_at LIMIT 1) AS first_contact, \
                 (SELECT c.started_at FROM calls c WHERE c.number = n.number AND c.started_at < {} \
                 AND c.talk_seconds >= {} ORDER BY c.started_at LIMIT 1) AS first_success FROM n",
                numbers,
                &[to, to, Value::Int(self.q.success_secs.max(1))],
                "loading number history",
            )
            .await?;
        let phone_rows: Vec<PhoneRow> = self
            .list
            .fetch(
                "SELECT phone, MIN(created_at) AS first_deal FROM deals WHERE ",
                "phone",
                numbers,
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
            history.entry(r.phone).or_default().first_deal =
                r.first_deal.map(instant).transpose()?;
        }
        Ok(history)
    }

    /// The people's deals created, closed or moved in the period, and the
    /// ones their calls were about (by number or by the call's own link).
    /// Open deals that did nothing in the period stay in the database:
    /// what is open now is counted there (`open_now`).
    async fn deals(&self, calls: &[Call], numbers: &[&str]) -> Result<Vec<Deal>> {
        let mut deal_rows = self.people_deals().await?;
        deal_rows.extend(
            self.list
                .fetch::<DealRow>(
                    &format!("SELECT {DEAL_COLUMNS} FROM deals WHERE "),
                    "phone",
                    numbers,
                    &[],
                    "",
                    "loading deals of calls",
                )
                .await?,
        );
        let linked: BTreeSet<&str> = calls.iter().filter_map(|c| c.deal_ext.as_deref()).collect();
        let linked: Vec<&str> = linked.into_iter().collect();
        deal_rows.extend(
            self.deals_by_id(&linked, "loading deals linked to calls")
                .await?,
        );
        once_each(deal_rows, |r| (&r.source, &r.external_id))
            .into_iter()
            .map(DealRow::into_deal)
            .collect()
    }

    async fn deals_by_id(&self, ids: &[&str], doing: &'static str) -> Result<Vec<DealRow>> {
        self.list
            .fetch::<DealRow>(
                &format!("SELECT {DEAL_COLUMNS} FROM deals WHERE "),
                "external_id",
                ids,
                &[],
                "",
                doing,
            )
            .await
    }

    /// The deals of the people's tasks moved in the period that are not
    /// loaded yet: a move is judged by the calls to its deal's phone.
    async fn deals_of_moved_tasks(
        &self,
        deals: &[Deal],
        tasks: &[Task],
        postponements: &[TaskPostponement],
    ) -> Result<Vec<Deal>> {
        let moved: BTreeSet<&str> = postponements.iter().map(|p| p.task_ext.as_str()).collect();
        let loaded: BTreeSet<&str> = deals.iter().map(|d| d.external_id.as_str()).collect();
        let wanted: BTreeSet<&str> = tasks
            .iter()
            .filter(|t| moved.contains(t.external_id.as_str()))
            .filter_map(|t| t.deal_ext.as_deref())
            .filter(|d| !loaded.contains(d))
            .collect();
        let wanted: Vec<&str> = wanted.into_iter().collect();
        let rows = self
            .deals_by_id(&wanted, "loading deals of moved tasks")
            .await?;
        let known: BTreeSet<(&str, &str)> = deals
            .iter()
            .map(|d| (d.source.as_str(), d.external_id.as_str()))
            .collect();
        rows.into_iter()
            .filter(|r| !known.contains(&(r.source.as_str(), r.external_id.as_str())))
            .map(DealRow::into_deal)
            .collect()
    }

    /// Stage changes of the deals from the period's start on: its moves and
    /// where they led (when an open deal reached its stage is read by
    /// `open_now`).
    async fn stage_changes(&self, deal_ids: &[&str]) -> Result<Vec<StageChange>> {
        let rows: Vec<StageChangeRow> = self
            .list
            .fetch(
                "SELECT source, external_id, deal_ext, from_stage, to_stage, changed_at, employee_id, author_ext \
                 FROM stage_changes WHERE changed_at >= {} AND ",
                "deal_ext",
                deal_ids,
                &[Value::Int(self.q.from.timestamp())],
                " ORDER BY changed_at",
                "loading stage changes",
            )
            .await?;
        rows.into_iter()
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
            .collect()
    }

    /// The tasks that matter to the period, the people's and those on the
    /// deals loaded: any created, due, done or moved since it began (what is
    /// open now is counted apart, in `open_now`).
    async fn tasks(&self, deal_ids: &[&str]) -> Result<Vec<Task>> {
        let mut rows = self.people_tasks().await?;
        let (recent, fixed) = self.recent_tasks();
        rows.extend(
            self.list
                .fetch::<TaskRow>(
                    &recent,
                    "deal_ext",
                    deal_ids,
                    &fixed,
                    "",
                    "loading tasks of deals",
                )
                .await?,
        );
        let rows = once_each(rows, |r: &TaskRow| (&r.source, &r.external_id));
        rows.into_iter()
            .map(|r| {
                Ok(Task {
                    external_id: ext(&r.external_id)?,
                    created_at: instant(r.created_at)?,
                    due_at: instant(r.due_at)?,
                    completed_at: r.completed_at.map(instant).transpose()?,
                    source: r.source,
                    deal_ext: r.deal_ext,
                    employee_id: r.employee_id,
                    owner_ext: r.owner_ext,
                    title: r.title,
                })
            })
            .collect()
    }

    /// The postponements of the tasks loaded.
    async fn postponements(&self, task_ids: &[&str]) -> Result<Vec<TaskPostponement>> {
        let rows: Vec<PostponementRow> = self
            .list
            .fetch(
                "SELECT source, task_ext, old_due, new_due, changed_at FROM task_postponements WHERE ",
                "task_ext",
                task_ids,
                &[],
                "",
                "loading postponements",
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TaskPostponement {
                    task_ext: ext(&r.task_ext)?,
                    old_due: instant(r.old_due)?,
                    new_due: instant(r.new_due)?,
                    changed_at: instant(r.changed_at)?,
                    source: r.source,
                })
            })
            .collect()
    }

    /// From a week before the period (for postponements) to the end of its
    /// trace window.
    fn around(&self) -> [Value<'static>; 2] {
        let q = self.q;
        [
            Value::Int((q.from - chrono::Duration::days(POSTPONEMENT_LOOKBACK_DAYS)).timestamp()),
            Value::Int((q.to + chrono::Duration::seconds(q.trace_window_secs)).timestamp()),
        ]
    }

    /// The people's activities around the period, and anyone's on the deals
    /// loaded.
    async fn activities(&self, deal_ids: &[&str]) -> Result<Vec<Activity>> {
        const ACTIVITY: &str = "SELECT source, external_id, deal_ext, employee_id, owner_ext, kind, at FROM activities WHERE at >= {} AND at < {} AND ";
        let rows: Vec<ActivityRow> = self
            .by_people_and_deals(
                ACTIVITY,
                &self.around(),
                deal_ids,
                ["loading activities", "loading activities of deals"],
                |r: &ActivityRow| (&r.source, &r.external_id),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Activity {
                    external_id: ext(&r.external_id)?,
                    kind: ActivityKind::parse(&r.kind).map_err(corrupt)?,
                    at: instant(r.at)?,
                    source: r.source,
                    deal_ext: r.deal_ext,
                    employee_id: r.employee_id,
                    owner_ext: r.owner_ext,
                })
            })
            .collect()
    }

    /// The people's comments around the period, and anyone's on the deals
    /// loaded.
    async fn comments(&self, deal_ids: &[&str]) -> Result<Vec<Comment>> {
        const COMMENT: &str = "SELECT source, external_id, deal_ext, employee_id, author_ext, at, body FROM comments WHERE at >= {} AND at < {} AND ";
        let rows: Vec<CommentRow> = self
            .by_people_and_deals(
                COMMENT,
                &self.around(),
                deal_ids,
                ["loading comments", "loading comments of deals"],
                |r: &CommentRow| (&r.source, &r.external_id),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Comment {
                    external_id: ext(&r.external_id)?,
                    at: instant(r.at)?,
                    source: r.source,
                    deal_ext: r.deal_ext,
                    employee_id: r.employee_id,
                    author_ext: r.author_ext,
                    text: r.body,
                })
            })
            .collect()
    }
}

async fn load_rest(
    pool: &Pool,
    q: &ScopeQuery,
    calls: Vec<Call>,
    reading: Reading,
) -> Result<Dataset> {
    let reading = match reading {
        Reading::Auto if q.employees.len() <= FEW_PEOPLE => Reading::EachPerson,
        Reading::Auto => Reading::EachCondition,
        chosen => chosen,
    };
    let loader = Loader {
        reading,
        list: InList {
            pool,
            dialect: pool.dialect(),
        },
        q,
        people: q.employees.iter().map(String::as_str).collect(),
    };
    let numbers: BTreeSet<&str> = calls
        .iter()
        .map(|c| c.number.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    let numbers: Vec<&str> = numbers.into_iter().collect();
    let history = loader.number_history(&numbers).await?;
    let mut deals = loader.deals(&calls, &numbers).await?;
    let deal_ids: Vec<&str> = deals.iter().map(|d| d.external_id.as_str()).collect();
    let stage_changes = loader.stage_changes(&deal_ids).await?;
    let tasks = loader.tasks(&deal_ids).await?;
    let task_ids: Vec<&str> = tasks.iter().map(|t| t.external_id.as_str()).collect();
    let postponements = loader.postponements(&task_ids).await?;
    let more = loader
        .deals_of_moved_tasks(&deals, &tasks, &postponements)
        .await?;
    deals.extend(more);
    let deal_ids: Vec<&str> = deals.iter().map(|d| d.external_id.as_str()).collect();
    let activities = loader.activities(&deal_ids).await?;
    let comments = loader.comments(&deal_ids).await?;
    let earlier_calls = loader.earlier_calls(&deals, &tasks, &postponements).await?;
    Ok(Dataset {
        earlier_calls,
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

impl Store {
    /// Everything the figures of a scope and a period need, in a fixed
    /// number of indexed queries.
    pub async fn load_scope(&self, query: &ScopeQuery) -> Result<Dataset> {
        self.load_scope_reading(query, Reading::Auto).await
    }

    /// `load_scope`, with the people's tasks and deals found as `reading`
    /// says (each way finds the same records).
    pub async fn load_scope_reading(
        &self,
        query: &ScopeQuery,
        reading: Reading,
    ) -> Result<Dataset> {
        if query.employees.is_empty() {
            return Ok(Dataset::default());
        }
        let calls = self
            .calls_between(query.from, query.to, &query.employees)
            .await?;
        load_rest(&self.pool, query, calls, reading).await
    }
}
