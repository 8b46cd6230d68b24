//! What is open now (METRICS.md, sections 4 and 5): a person's overdue
//! tasks, open tasks, open deals without a next task. These figures look at
//! "now", not at a period, so they are not added up over days: the
//! database counts them at each request (`storage::open_now`), and
//! [`open_work`] is the same definition over records in memory.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{Figure, RecordKind, RecordRef, Rule, Unit};
use crate::domain::{Deal, Task};

/// The oldest overdue task of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueTask {
    pub source: String,
    pub id: String,
    pub title: String,
    pub due_at: DateTime<Utc>,
}

/// A person's open work as of now: counts, and the records behind them
/// when they were asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenWork {
    /// Tasks open now and due before now.
    pub overdue: usize,
    pub oldest_overdue: Option<OverdueTask>,
    /// The overdue tasks, oldest first (empty unless records were asked for).
    pub overdue_records: Vec<RecordRef>,
    /// Tasks open now, created by now.
    pub open_tasks: usize,
    /// Deals in an open stage, created by now.
    pub open_deals: usize,
    /// Of those, the ones without an open task (anyone's) on them.
    pub without_task: usize,
    pub without_task_records: Vec<RecordRef>,
}

/// Whether the task is still open at `at`.
pub(super) fn is_open_at(task: &Task, at: DateTime<Utc>) -> bool {
    task.completed_at.is_none_or(|done| done > at)
}

pub(super) fn rref(kind: RecordKind, source: &str, id: &str) -> RecordRef {
    RecordRef {
        kind,
        source: source.to_owned(),
        id: id.to_owned(),
    }
}

/// The open work of `employee_id` among `deals` and `tasks` (the tasks of
/// anyone on those deals count as their next task), as of `now`.
pub fn open_work(
    employee_id: &str,
    deals: &[Deal],
    tasks: &[Task],
    open_stages: &[String],
    now: DateTime<Utc>,
) -> OpenWork {
    let mine = |e: &Option<String>| e.as_deref() == Some(employee_id);
    let my_tasks: Vec<&Task> = tasks.iter().filter(|t| mine(&t.employee_id)).collect();
    let mut overdue: Vec<&Task> = my_tasks
        .iter()
        .copied()
        .filter(|t| is_open_at(t, now) && t.due_at < now)
        .collect();
    overdue.sort_by(|a, b| {
        (a.due_at, &a.source, a.external_id.as_str()).cmp(&(
            b.due_at,
            &b.source,
            b.external_id.as_str(),
        ))
    });
    let open_deals: Vec<&Deal> = deals
        .iter()
        .filter(|d| mine(&d.employee_id) && open_stages.contains(&d.stage) && d.created_at <= now)
        .collect();
    let with_task: BTreeSet<(&str, &str)> = tasks
        .iter()
        .filter(|t| is_open_at(t, now) && t.created_at <= now)
        .filter_map(|t| t.deal_ext.as_deref().map(|d| (t.source.as_str(), d)))
        .collect();
    let without: Vec<&Deal> = open_deals
        .iter()
        .copied()
        .filter(|d| !with_task.contains(&(d.source.as_str(), d.external_id.as_str())))
        .collect();
    OpenWork {
        overdue: overdue.len(),
        oldest_overdue: overdue.first().map(|t| OverdueTask {
            source: t.source.clone(),
            id: t.external_id.to_string(),
            title: t.title.clone(),
            due_at: t.due_at,
        }),
        overdue_records: overdue
            .iter()
            .map(|t| rref(RecordKind::Task, &t.source, t.external_id.as_str()))
            .collect(),
        open_tasks: my_tasks
            .iter()
            .filter(|t| is_open_at(t, now) && t.created_at <= now)
            .count(),
        open_deals: open_deals.len(),
        without_task: without.len(),
        without_task_records: without
            .iter()
            .map(|d| rref(RecordKind::Deal, &d.source, d.external_id.as_str()))
            .collect(),
    }
}

/// A count whose records may have been left in the database.
fn counted(key: &'static str, n: usize, rule: Rule, records: &[RecordRef]) -> Figure {
    Figure {
        key,
        value: n as f64,
        unit: Unit::Count,
        rule,
        records: records.to_vec(),
    }
}

impl OpenWork {
    /// Overdue tasks and how late the oldest is.
    pub fn overdue_figures(&self, now: DateTime<Utc>) -> (Figure, Figure) {
        let oldest_days = self
            .oldest_overdue
            .as_ref()
            .map(|t| (now - t.due_at).num_days())
            .unwrap_or(0);
        let overdue_tasks = counted(
            "overdue_tasks",
            self.overdue,
            match &self.oldest_overdue {
                Some(t) => Rule::new("overdue_tasks_oldest")
                    .with("n", self.overdue)
                    .with("days", oldest_days)
                    .with("title", t.title.clone()),
                None => Rule::new("overdue_tasks").with("n", 0usize),
            },
            &self.overdue_records,
        );
        let oldest_overdue_days = Figure {
            key: "oldest_overdue_days",
            value: oldest_days as f64,
            unit: Unit::Count,
            rule: Rule::new("oldest_overdue_days").with("days", oldest_days),
            records: self
                .oldest_overdue
                .iter()
                .map(|t| rref(RecordKind::Task, &t.source, &t.id))
                .collect(),
        };
        (overdue_tasks, oldest_overdue_days)
    }

    /// Open deals without a next task, and open tasks per open deal.
    pub fn next_task_figures(&self) -> (Figure, Figure) {
        let deals_without_next_task = counted(
            "deals_without_next_task",
            self.without_task,
            Rule::new("deals_without_next_task")
                .with("n", self.without_task)
                .with("of", self.open_deals),
            &self.without_task_records,
        );
        let per_deal = if self.open_deals == 0 {
            0.0
        } else {
            self.open_tasks as f64 / self.open_deals as f64
        };
        let open_tasks_per_open_deal = Figure {
            key: "open_tasks_per_open_deal",
            value: per_deal,
            unit: Unit::Ratio,
            rule: Rule::new("open_tasks_per_open_deal")
                .with("tasks", self.open_tasks)
                .with("deals", self.open_deals)
                .with("per_deal", per_deal),
            records: Vec::new(),
        };
        (deals_without_next_task, open_tasks_per_open_deal)
    }

    /// The same counts without the records behind them.
    pub fn without_records(mut self) -> Self {
        self.overdue_records.clear();
        self.without_task_records.clear();
        self
    }
}
