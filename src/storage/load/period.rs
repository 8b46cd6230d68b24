//! The people's tasks and deals that matter to a period: tasks done, due or
//! created since the period began, or moved in it; deals closed or created
//! since then, or moved between stages in it. Found one of two ways
//! (`Reading`), which find the same records:
//! - each person: one query with every condition over each person's
//!   records, their whole history; cheap for a few people;
//! - each condition: each as one range of the people's indexes, and those
//!   moved from the period's moves; cheap for many people, whatever the
//!   history kept.

use super::super::db::{AnyRow, Value};
use super::{DEAL_COLUMNS, DealRow, Loader, Reading, Result, TASK_COLUMNS, TaskRow};

/// `a, b` as `t.a, t.b`.
fn qualified(table: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Loader<'_> {
    /// The people's rows of each range: a query (ending in `AND `), the
    /// column naming the person in it, and its values.
    async fn each_range<R: AnyRow, const N: usize>(
        &self,
        ranges: [(String, &str, &[Value<'_>]); N],
        doing: &'static str,
    ) -> Result<Vec<R>> {
        let mut rows = Vec::new();
        for (head, column, fixed) in ranges {
            rows.extend(
                self.list
                    .fetch::<R>(&head, column, &self.people, fixed, "", doing)
                    .await?,
            );
        }
        Ok(rows)
    }

    /// The tasks done, due or created since the period began, or moved in
    /// it, as one query (ending in `AND `) and its values. A task moved
    /// after the period and not created, due or done since it began plays
    /// no part in it: moves count in their period only.
    pub(super) fn recent_tasks(&self) -> (String, [Value<'static>; 5]) {
        let [from, to] = [self.q.from, self.q.to].map(|t| Value::Int(t.timestamp()));
        let select = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE (completed_at >= {{}} OR due_at >= {{}} \
             OR created_at >= {{}} OR (source, external_id) IN (SELECT source, task_ext \
             FROM task_postponements WHERE changed_at >= {{}} AND changed_at < {{}})) AND "
        );
        (select, [from, from, from, from, to])
    }

    /// The people's tasks of the period (a task may come more than once).
    pub(super) async fn people_tasks(&self) -> Result<Vec<TaskRow>> {
        if self.reading != Reading::EachCondition {
            let (select, fixed) = self.recent_tasks();
            return self
                .list
                .fetch(
                    &select,
                    "employee_id",
                    &self.people,
                    &fixed,
                    "",
                    "loading tasks",
                )
                .await;
        }
        let [from, to] = [self.q.from, self.q.to].map(|t| Value::Int(t.timestamp()));
        // Each range leaves out what an earlier one read.
        let not_done = "(completed_at IS NULL OR completed_at < {})";
        let done = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE completed_at >= {{}} AND ");
        let due =
            format!("SELECT {TASK_COLUMNS} FROM tasks WHERE due_at >= {{}} AND {not_done} AND ");
        let created = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE created_at >= {{}} AND due_at < {{}} AND {not_done} AND "
        );
        // The period's moves first, then their tasks that no range read.
        let moved = format!(
            "SELECT {} FROM task_postponements p CROSS JOIN tasks t WHERE p.changed_at >= {{}} \
             AND p.changed_at < {{}} AND t.source = p.source AND t.external_id = p.task_ext \
             AND t.created_at < {{}} AND t.due_at < {{}} \
             AND (t.completed_at IS NULL OR t.completed_at < {{}}) AND ",
            qualified("t", TASK_COLUMNS)
        );
        self.each_range(
            [
                (done, "employee_id", &[from][..]),
                (due, "employee_id", &[from, from][..]),
                (created, "employee_id", &[from, from, from][..]),
                (moved, "t.employee_id", &[from, to, from, from, from][..]),
            ],
            "loading tasks",
        )
        .await
    }

    /// The people's deals of the period (a deal may come more than once).
    pub(super) async fn people_deals(&self) -> Result<Vec<DealRow>> {
        let [from, to] = [self.q.from, self.q.to].map(|t| Value::Int(t.timestamp()));
        if self.reading != Reading::EachCondition {
            let select = format!(
                "SELECT {DEAL_COLUMNS} FROM deals WHERE (closed_at >= {{}} OR created_at >= {{}} \
                 OR EXISTS (SELECT 1 FROM stage_changes c WHERE c.deal_ext = deals.external_id \
                 AND c.source = deals.source AND c.changed_at >= {{}} AND c.changed_at < {{}})) AND "
            );
            return self
                .list
                .fetch(
                    &select,
                    "employee_id",
                    &self.people,
                    &[from, from, from, to],
                    "",
                    "loading deals",
                )
                .await;
        }
        // Each range leaves out what an earlier one read.
        let open = "(closed_at IS NULL OR closed_at < {})";
        let closed = format!("SELECT {DEAL_COLUMNS} FROM deals WHERE closed_at >= {{}} AND ");
        let created =
            format!("SELECT {DEAL_COLUMNS} FROM deals WHERE created_at >= {{}} AND {open} AND ");
        // The period's stage changes first, then their deals no range read.
        let moved = format!(
            "SELECT {} FROM stage_changes c CROSS JOIN deals d WHERE c.changed_at >= {{}} \
             AND c.changed_at < {{}} AND d.source = c.source AND d.external_id = c.deal_ext \
             AND d.created_at < {{}} AND (d.closed_at IS NULL OR d.closed_at < {{}}) AND ",
            qualified("d", DEAL_COLUMNS)
        );
        self.each_range(
            [
                (closed, "employee_id", &[from][..]),
                (created, "employee_id", &[from, from][..]),
                (moved, "d.employee_id", &[from, to, from, from][..]),
            ],
            "loading deals",
        )
        .await
    }
}
