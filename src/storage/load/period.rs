//! The people's tasks and deals that matter to a period, read a condition
//! at a time, each as one range of a person's index: tasks done, due or
//! created since the period began, or moved in it; deals closed or created
//! since then, or moved between stages in it. One query with all the
//! conditions would read each person's whole history to find them.

use super::super::db::Value;
use super::{DEAL_COLUMNS, DealRow, Loader, Result, TASK_COLUMNS, TaskRow};

/// `a, b` as `t.a, t.b`.
fn qualified(table: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Loader<'_> {
    /// The people's tasks done, due or created since the period began, or
    /// moved since then (a moved task may come twice).
    pub(super) async fn people_tasks(&self) -> Result<Vec<TaskRow>> {
        let from = Value::Int(self.q.from.timestamp());
        // Each range leaves out what an earlier one read.
        let not_done = "(completed_at IS NULL OR completed_at < {})";
        let done = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE completed_at >= {{}} AND ");
        let due =
            format!("SELECT {TASK_COLUMNS} FROM tasks WHERE due_at >= {{}} AND {not_done} AND ");
        let created = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE created_at >= {{}} AND due_at < {{}} AND {not_done} AND "
        );
        // The moves first, then their tasks: the moves are few.
        let moved = format!(
            "SELECT {} FROM task_postponements p CROSS JOIN tasks t WHERE p.changed_at >= {{}} \
             AND t.source = p.source AND t.external_id = p.task_ext AND ",
            qualified("t", TASK_COLUMNS)
        );
        let mut rows = Vec::new();
        for (head, column, fixed) in [
            (done, "employee_id", 1),
            (due, "employee_id", 2),
            (created, "employee_id", 3),
            (moved, "t.employee_id", 1),
        ] {
            rows.extend(
                self.list
                    .fetch::<TaskRow>(
                        &head,
                        column,
                        &self.people,
                        &[from; 3][..fixed],
                        "",
                        "loading tasks",
                    )
                    .await?,
            );
        }
        Ok(rows)
    }

    /// The people's deals closed or created since the period began, or
    /// moved between stages in it (a deal moved twice comes twice).
    pub(super) async fn people_deals(&self) -> Result<Vec<DealRow>> {
        let q = self.q;
        let from = Value::Int(q.from.timestamp());
        let to = Value::Int(q.to.timestamp());
        // Each range leaves out what an earlier one read.
        let open = "(closed_at IS NULL OR closed_at < {})";
        let closed = format!("SELECT {DEAL_COLUMNS} FROM deals WHERE closed_at >= {{}} AND ");
        let created =
            format!("SELECT {DEAL_COLUMNS} FROM deals WHERE created_at >= {{}} AND {open} AND ");
        // The stage changes of the period first, then their deals.
        let moved = format!(
            "SELECT {} FROM stage_changes c CROSS JOIN deals d WHERE c.changed_at >= {{}} \
             AND c.changed_at < {{}} AND d.source = c.source AND d.external_id = c.deal_ext \
             AND d.created_at < {{}} AND (d.closed_at IS NULL OR d.closed_at < {{}}) AND ",
            qualified("d", DEAL_COLUMNS)
        );
        let mut rows = Vec::new();
        for (head, column, fixed) in [
            (closed, "employee_id", &[from][..]),
            (created, "employee_id", &[from, from][..]),
            (moved, "d.employee_id", &[from, to, from, from][..]),
        ] {
            rows.extend(
                self.list
                    .fetch::<DealRow>(&head, column, &self.people, fixed, "", "loading deals")
                    .await?,
            );
        }
        Ok(rows)
    }
}
