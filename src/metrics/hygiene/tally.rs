//! Hygiene of a period as the daily roll-up adds it up: counts per day,
//! the deals touched (distinct over the period), and each task due with
//! when it was done (unfinished is judged at the period's end).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    CommentFigures, CrmRecords, Hygiene, HygieneRules, Scope, cards_figure, comment_figures,
    due_tasks, moves, my_comments, postponed_figure, touched, trace_figures, traced,
    unfinished_figure,
};
use crate::domain::Call;
use crate::domain::Task;
use crate::metrics::open_work::OpenWork;

/// A task due in a period: when it was due and when it was done. Whether
/// it is unfinished is judged at the end of the period it is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDue {
    #[serde(with = "chrono::serde::ts_seconds")]
    pub due: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_seconds_option")]
    pub done: Option<DateTime<Utc>>,
}

impl TaskDue {
    /// Unfinished: due before `now` and still open at the period's end
    /// `to` (or now, if that comes first).
    pub(super) fn unfinished(&self, to: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let at = to.min(now);
        self.due < now && self.done.is_none_or(|done| done > at)
    }
}

pub(super) fn due_of(t: &Task) -> TaskDue {
    TaskDue {
        due: t.due_at,
        done: t.completed_at,
    }
}

/// What the hygiene figures of a period are made of, added up day by day
/// (the daily roll-up keeps one per person and day). What is open now is
/// not in it: it is counted at each request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HygieneTally {
    /// The deals touched, by source: distinct over a period.
    pub cards: BTreeMap<String, BTreeSet<String>>,
    pub moves: usize,
    pub postponed: usize,
    pub calls_about_deals: usize,
    pub calls_without_trace: usize,
    pub comments: usize,
    pub weak_comments: usize,
    pub tasks_due: Vec<TaskDue>,
}

impl HygieneTally {
    /// The counts of one person over `[from, to)` (as [`hygiene`] takes
    /// them; `crm.open` is not read).
    pub fn of(
        employee_id: &str,
        calls: &[Call],
        crm: CrmRecords<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        rules: &HygieneRules<'_>,
    ) -> Self {
        let s = Scope {
            employee_id,
            calls,
            crm,
            from,
            to,
            rules,
        };
        let my_tasks = s.my_tasks();
        let deals_by_id = s.deals_by_id();
        let (moves, postponed) = moves(&s, &my_tasks, &deals_by_id);
        let (about, untraced) = traced(&s, &deals_by_id);
        let (comments, weak) = my_comments(&s);
        HygieneTally {
            cards: touched(&s).into_iter().fold(
                BTreeMap::<String, BTreeSet<String>>::new(),
                |mut cards, (source, deal)| {
                    cards
                        .entry(source.to_owned())
                        .or_default()
                        .insert(deal.to_owned());
                    cards
                },
            ),
            moves,
            postponed: postponed.len(),
            calls_about_deals: about.len(),
            calls_without_trace: untraced.len(),
            comments: comments.len(),
            weak_comments: weak.len(),
            tasks_due: due_tasks(&s, &my_tasks).into_iter().map(due_of).collect(),
        }
    }

    /// Adds another period's counts to these.
    pub fn add(&mut self, o: &HygieneTally) {
        for (source, deals) in &o.cards {
            self.cards
                .entry(source.clone())
                .or_default()
                .extend(deals.iter().cloned());
        }
        self.moves += o.moves;
        self.postponed += o.postponed;
        self.calls_about_deals += o.calls_about_deals;
        self.calls_without_trace += o.calls_without_trace;
        self.comments += o.comments;
        self.weak_comments += o.weak_comments;
        self.tasks_due.extend_from_slice(&o.tasks_due);
    }

    /// The figures of a period ending at `to`, as of `now`, with the open
    /// work counted now; without records.
    pub fn figures(
        &self,
        open: &OpenWork,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        rules: &HygieneRules<'_>,
    ) -> Hygiene {
        let (overdue_tasks, oldest_overdue_days) = open.overdue_figures(now);
        let (deals_without_next_task, open_tasks_per_open_deal) = open.next_task_figures();
        let (calls_without_trace, calls_about_deals) = trace_figures(
            self.calls_about_deals,
            self.calls_without_trace,
            rules.trace_window_secs,
            None,
        );
        let CommentFigures {
            weak_comments,
            comments,
            weak_comment_share,
        } = comment_figures(
            self.comments,
            self.weak_comments,
            rules.weak_comment_min_chars,
            None,
        );
        let unfinished = self
            .tasks_due
            .iter()
            .filter(|t| t.unfinished(to, now))
            .count();
        Hygiene {
            cards_touched: cards_figure(self.cards.values().map(BTreeSet::len).sum(), Vec::new()),
            overdue_tasks,
            oldest_overdue_days,
            postponed_without_action: postponed_figure(self.postponed, self.moves, Vec::new()),
            deals_without_next_task,
            open_tasks_per_open_deal,
            calls_without_trace,
            calls_about_deals,
            weak_comments,
            comments,
            weak_comment_share,
            unfinished_tasks: unfinished_figure(unfinished, self.tasks_due.len(), Vec::new()),
        }
    }
}
