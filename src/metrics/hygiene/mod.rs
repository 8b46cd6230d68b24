//! CRM hygiene (METRICS.md, section 5): cards touched, overdue tasks,
//! tasks postponed without action, deals without a next task, calls without
//! a CRM trace, weak comments, unfinished tasks.
//! The figures of open work now are in `open_work.rs`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::moments::Moments;
use super::open_work::{OpenWork, rref};
use super::telephony::is_successful;
use super::{Figure, RecordKind, RecordRef, Rule, Value};
use crate::domain::{Activity, Call, Comment, Deal, StageChange, Task, TaskPostponement};

mod comments;
mod tally;

pub use comments::is_weak_comment;
use comments::{CommentFigures, comment_figures, my_comments};
use tally::due_of;
pub use tally::{HygieneTally, TaskDue};

/// The CRM records one computation looks at.
#[derive(Debug, Clone, Copy)]
pub struct CrmRecords<'a> {
    pub deals: &'a [Deal],
    pub stage_changes: &'a [StageChange],
    pub tasks: &'a [Task],
    pub postponements: &'a [TaskPostponement],
    pub activities: &'a [Activity],
    pub comments: &'a [Comment],
    /// The person's calls before the period (any superset of the week
    /// before it will do): a postponement early in the period looks back
    /// at them for an action, so that a period judges each move as its own
    /// day does.
    pub earlier_calls: &'a [Call],
    /// The person's open work now, counted by the database (or by
    /// [`super::open_work::open_work`] over records).
    pub open: &'a OpenWork,
}

#[derive(Debug, Clone, Copy)]
pub struct HygieneRules<'a> {
    pub success_secs: i64,
    pub trace_window_secs: i64,
    pub weak_comment_min_chars: usize,
    pub weak_comment_phrases: &'a [String],
    /// A postponement looks back at most this many days for an action.
    pub postponement_lookback_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hygiene {
    pub cards_touched: Figure,
    pub overdue_tasks: Figure,
    /// Days the oldest overdue task is late.
    pub oldest_overdue_days: Figure,
    pub postponed_without_action: Figure,
    pub deals_without_next_task: Figure,
    pub open_tasks_per_open_deal: Figure,
    pub calls_without_trace: Figure,
    /// Successful calls about a deal: what `calls_without_trace` is out of.
    pub calls_about_deals: Figure,
    pub weak_comments: Figure,
    /// Their comments in the period: what `weak_comments` is out of.
    pub comments: Figure,
    pub weak_comment_share: Figure,
    pub unfinished_tasks: Figure,
}

impl Hygiene {
    pub fn all(&self) -> [&Figure; 12] {
        [
            &self.cards_touched,
            &self.overdue_tasks,
            &self.oldest_overdue_days,
            &self.postponed_without_action,
            &self.deals_without_next_task,
            &self.open_tasks_per_open_deal,
            &self.calls_without_trace,
            &self.calls_about_deals,
            &self.weak_comments,
            &self.comments,
            &self.weak_comment_share,
            &self.unfinished_tasks,
        ]
    }
}

fn in_period(t: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    t >= from && t < to
}

/// The deals a call is about: the one the source linked, and those whose
/// phone is the call's number.
pub fn deals_of_call<'d>(
    call: &Call,
    by_phone: &HashMap<&str, Vec<&'d Deal>>,
    by_id: &HashMap<&str, &'d Deal>,
) -> Vec<&'d Deal> {
    let mut deals: Vec<&Deal> = by_phone
        .get(call.number.as_str())
        .cloned()
        .unwrap_or_default();
    if let Some(d) = call.deal_ext.as_deref().and_then(|id| by_id.get(id)) {
        deals.push(d);
    }
    deals
}

/// One person's records, period and rules: what every hygiene figure reads.
struct Scope<'a> {
    employee_id: &'a str,
    calls: &'a [Call],
    crm: CrmRecords<'a>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rules: &'a HygieneRules<'a>,
}

impl<'a> Scope<'a> {
    /// Whether a record's employee is the person.
    fn mine(&self, e: &Option<String>) -> bool {
        e.as_deref() == Some(self.employee_id)
    }

    fn in_period(&self, t: DateTime<Utc>) -> bool {
        in_period(t, self.from, self.to)
    }

    /// The person's tasks.
    fn my_tasks(&self) -> Vec<&'a Task> {
        self.crm
            .tasks
            .iter()
            .filter(|t| self.mine(&t.employee_id))
            .collect()
    }

    /// The deals by external id.
    fn deals_by_id(&self) -> HashMap<&'a str, &'a Deal> {
        self.crm
            .deals
            .iter()
            .map(|d| (d.external_id.as_str(), d))
            .collect()
    }
}

/// The deals the person changed in the period, as (source, deal).
fn touched<'a>(s: &Scope<'a>) -> BTreeSet<(&'a str, &'a str)> {
    let crm = &s.crm;
    let mut touched: BTreeSet<(&str, &str)> = BTreeSet::new();
    for c in crm
        .comments
        .iter()
        .filter(|c| s.mine(&c.employee_id) && s.in_period(c.at))
    {
        if let Some(d) = &c.deal_ext {
            touched.insert((&c.source, d));
        }
    }
    for a in crm
        .activities
        .iter()
        .filter(|a| s.mine(&a.employee_id) && s.in_period(a.at))
    {
        if let Some(d) = &a.deal_ext {
            touched.insert((&a.source, d));
        }
    }
    for c in crm
        .stage_changes
        .iter()
        .filter(|c| s.mine(&c.employee_id) && s.in_period(c.changed_at))
    {
        touched.insert((&c.source, c.deal_ext.as_str()));
    }
    for t in crm.tasks.iter().filter(|t| s.mine(&t.employee_id)) {
        let acted = s.in_period(t.created_at) || t.completed_at.is_some_and(|c| s.in_period(c));
        if let (true, Some(d)) = (acted, &t.deal_ext) {
            touched.insert((&t.source, d));
        }
    }
    touched
}

/// Cards touched: distinct deals the person changed in the period.
fn cards_figure(n: usize, records: Vec<RecordRef>) -> Figure {
    Figure::count_of(
        "cards_touched",
        Rule::new("cards_touched").with("n", n),
        n,
        records,
    )
}

/// When anyone acted on each deal: activities on it, calls linked to it, and
/// calls by number (a deal's phone).
struct Actions<'a> {
    activities: Moments<'a>,
    calls_by_deal: Moments<'a>,
    calls_by_number: Moments<'a>,
}

impl<'a> Actions<'a> {
    fn new(s: &Scope<'a>) -> Self {
        Self {
            activities: Moments::new(
                s.crm
                    .activities
                    .iter()
                    .map(|a| (a.deal_ext.as_deref(), a.at)),
            ),
            calls_by_deal: Moments::new(
                s.calls
                    .iter()
                    .chain(s.crm.earlier_calls)
                    .map(|c| (c.deal_ext.as_deref(), c.started_at)),
            ),
            calls_by_number: Moments::new(
                s.calls
                    .iter()
                    .chain(s.crm.earlier_calls)
                    .map(|c| (Some(c.number.as_str()), c.started_at)),
            ),
        }
    }

    /// Whether anyone acted on the task's deal between `since` and the move
    /// `p`: an activity on the deal, or a call about it (linked or to its
    /// phone).
    fn before_move(
        &self,
        task: &Task,
        deals_by_id: &HashMap<&str, &Deal>,
        since: DateTime<Utc>,
        p: &TaskPostponement,
    ) -> bool {
        let until = p.changed_at;
        let Some(deal) = task.deal_ext.as_deref() else {
            return false;
        };
        let phone = deals_by_id.get(deal).and_then(|d| d.phone.as_ref());
        self.activities.any_within(deal, since, until)
            || self.calls_by_deal.any_within(deal, since, until)
            || phone.is_some_and(|ph| self.calls_by_number.any_within(ph.as_str(), since, until))
    }
}

/// The person's moves of a task in the period, and of those the ones
/// made with no call or activity on the deal since the task was set (or
/// last moved).
fn moves<'a>(
    s: &Scope<'a>,
    my_tasks: &[&Task],
    deals_by_id: &HashMap<&str, &Deal>,
) -> (usize, Vec<&'a TaskPostponement>) {
    let tasks_by_id: HashMap<(&str, &str), &Task> = my_tasks
        .iter()
        .map(|t| ((t.source.as_str(), t.external_id.as_str()), *t))
        .collect();
    let mut postponed = Vec::new();
    let mut moves_in_period = 0usize;
    let mut sorted_moves: Vec<&TaskPostponement> = s.crm.postponements.iter().collect();
    sorted_moves.sort_by_key(|p| p.changed_at);
    let actions = Actions::new(s);
    // Each task's move before the one in hand.
    let mut last_move: HashMap<(&str, &str), DateTime<Utc>> = HashMap::new();
    for p in sorted_moves {
        let key = (p.source.as_str(), p.task_ext.as_str());
        let previous = last_move.insert(key, p.changed_at);
        let Some(task) = tasks_by_id.get(&key) else {
            continue;
        };
        if !s.in_period(p.changed_at) {
            continue;
        }
        moves_in_period += 1;
        let since = previous
            .unwrap_or(task.created_at)
            .max(p.changed_at - Duration::days(s.rules.postponement_lookback_days));
        if !actions.before_move(task, deals_by_id, since, p) {
            postponed.push(p);
        }
    }
    (moves_in_period, postponed)
}

/// Postponed without action, out of the moves in the period.
fn postponed_figure(n: usize, moves: usize, records: Vec<RecordRef>) -> Figure {
    Figure::count_of(
        "postponed_without_action",
        Rule::new("postponed_without_action")
            .with("n", n)
            .with("of", moves),
        n,
        records,
    )
}

/// When anything was written on each deal: comments, activities, tasks set,
/// stage changes (what counts as a call's trace).
fn traces<'a>(crm: &CrmRecords<'a>) -> Moments<'a> {
    Moments::new(
        crm.comments
            .iter()
            .map(|c| (c.deal_ext.as_deref(), c.at))
            .chain(crm.activities.iter().map(|a| (a.deal_ext.as_deref(), a.at)))
            .chain(
                crm.tasks
                    .iter()
                    .map(|t| (t.deal_ext.as_deref(), t.created_at)),
            )
            .chain(
                crm.stage_changes
                    .iter()
                    .map(|c| (Some(c.deal_ext.as_str()), c.changed_at)),
            ),
    )
}

/// Whether the CRM holds a trace on one of `deals` within the trace window
/// after `call` ended.
fn is_traced(traces: &Moments<'_>, call: &Call, deals: &[&Deal], window: Duration) -> bool {
    let (start, end) = (call.ended_at, call.ended_at + window);
    deals
        .iter()
        .any(|d| traces.any_within(d.external_id.as_str(), start, end))
}

/// The successful calls about a deal, and of those the ones without a
/// CRM trace.
fn traced<'a>(s: &Scope<'a>, deals_by_id: &HashMap<&str, &Deal>) -> (Vec<&'a Call>, Vec<&'a Call>) {
    calls_and_traces(s.calls, &s.crm, s.rules, deals_by_id)
}

/// Of `calls`, the successful ones about a deal of `crm`, and of those
/// the ones without a CRM trace within the trace window after them: what
/// `calls_without_trace` counts, for the intraday `trace_backlog` alert.
pub fn untraced_calls<'a>(
    calls: &'a [Call],
    crm: &CrmRecords<'_>,
    rules: &HygieneRules<'_>,
) -> (Vec<&'a Call>, Vec<&'a Call>) {
    let deals_by_id: HashMap<&str, &Deal> = crm
        .deals
        .iter()
        .map(|d| (d.external_id.as_str(), d))
        .collect();
    calls_and_traces(calls, crm, rules, &deals_by_id)
}

fn calls_and_traces<'a>(
    calls: &'a [Call],
    crm: &CrmRecords<'_>,
    rules: &HygieneRules<'_>,
    deals_by_id: &HashMap<&str, &Deal>,
) -> (Vec<&'a Call>, Vec<&'a Call>) {
    let mut by_phone: HashMap<&str, Vec<&Deal>> = HashMap::new();
    for d in crm.deals {
        if let Some(p) = &d.phone {
            by_phone.entry(p.as_str()).or_default().push(d);
        }
    }
    let window = Duration::seconds(rules.trace_window_secs);
    let traces = traces(crm);
    let mut about_deals = Vec::new();
    let mut untraced = Vec::new();
    for call in calls
        .iter()
        .filter(|c| is_successful(c, rules.success_secs))
    {
        let deals = deals_of_call(call, &by_phone, deals_by_id);
        if deals.is_empty() {
            continue;
        }
        about_deals.push(call);
        if !is_traced(&traces, call, &deals, window) {
            untraced.push(call);
        }
    }
    (about_deals, untraced)
}

fn call_refs(calls: &[&Call]) -> Vec<RecordRef> {
    calls
        .iter()
        .map(|c| rref(RecordKind::Call, &c.source, c.external_id.as_str()))
        .collect()
}

/// Calls without a CRM trace, and the successful calls about a deal they are
/// out of.
fn trace_figures(
    about: usize,
    untraced: usize,
    window_secs: i64,
    records: Option<(&[&Call], &[&Call])>,
) -> (Figure, Figure) {
    let calls_without_trace = Figure::count_of(
        "calls_without_trace",
        Rule::new("calls_without_trace")
            .with("window", Value::Seconds(window_secs))
            .with("n", untraced)
            .with("of", about),
        untraced,
        records.map(|(_, u)| call_refs(u)).unwrap_or_default(),
    );
    let calls_about_deals = Figure::count_of(
        "calls_about_deals",
        Rule::new("calls_about_deals").with("n", about),
        about,
        records.map(|(a, _)| call_refs(a)).unwrap_or_default(),
    );
    (calls_without_trace, calls_about_deals)
}

/// The person's tasks due in the period.
fn due_tasks<'a>(s: &Scope<'a>, my_tasks: &[&'a Task]) -> Vec<&'a Task> {
    my_tasks
        .iter()
        .copied()
        .filter(|t| s.in_period(t.due_at))
        .collect()
}

/// Unfinished: due in the period, still open at its end.
fn unfinished_figure(n: usize, due: usize, records: Vec<RecordRef>) -> Figure {
    Figure::count_of(
        "unfinished_tasks",
        Rule::new("unfinished_tasks").with("n", n).with("of", due),
        n,
        records,
    )
}

/// Hygiene of one person over `[from, to)`, as of `now`. `calls` are their
/// calls in the period; `crm` holds their records and the records of the
/// deals their calls are about (actions on those may be anyone's), and
/// their open work now.
pub fn hygiene(
    employee_id: &str,
    calls: &[Call],
    crm: CrmRecords<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &HygieneRules<'_>,
) -> Hygiene {
    let open = crm.open;
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
    let (overdue_tasks, oldest_overdue_days) = open.overdue_figures(now);
    let (deals_without_next_task, open_tasks_per_open_deal) = open.next_task_figures();
    let (about, untraced) = traced(&s, &deals_by_id);
    let (calls_without_trace, calls_about_deals) = trace_figures(
        about.len(),
        untraced.len(),
        rules.trace_window_secs,
        Some((&about, &untraced)),
    );
    let (mine, weak) = my_comments(&s);
    let CommentFigures {
        weak_comments,
        comments,
        weak_comment_share,
    } = comment_figures(
        mine.len(),
        weak.len(),
        rules.weak_comment_min_chars,
        Some((&mine, &weak)),
    );
    let touched = touched(&s);
    let (moves, postponed) = moves(&s, &my_tasks, &deals_by_id);
    let due = due_tasks(&s, &my_tasks);
    let unfinished: Vec<&Task> = due
        .iter()
        .copied()
        .filter(|t| due_of(t).unfinished(to, now))
        .collect();
    Hygiene {
        cards_touched: cards_figure(
            touched.len(),
            touched
                .iter()
                .map(|(s, d)| rref(RecordKind::Deal, s, d))
                .collect(),
        ),
        overdue_tasks,
        oldest_overdue_days,
        postponed_without_action: postponed_figure(
            postponed.len(),
            moves,
            postponed
                .iter()
                .map(|p| rref(RecordKind::Task, &p.source, p.task_ext.as_str()))
                .collect(),
        ),
        deals_without_next_task,
        open_tasks_per_open_deal,
        calls_without_trace,
        calls_about_deals,
        weak_comments,
        comments,
        weak_comment_share,
        unfinished_tasks: unfinished_figure(
            unfinished.len(),
            due.len(),
            unfinished
                .iter()
                .map(|t| rref(RecordKind::Task, &t.source, t.external_id.as_str()))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases() -> Vec<String> {
        ["позвонил", "связался", "не дозвонился", "called"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn stock_phrases_and_short_notes_are_weak() {
        assert!(is_weak_comment("позвонил", 20, &phrases()));
        assert!(is_weak_comment(
            "Позвонил, связался!!! не дозвонился",
            5,
            &phrases()
        ));
        assert!(!is_weak_comment(
            "Обсудили объём, ждут КП до пятницы",
            20,
            &phrases()
        ));
        assert!(is_weak_comment("ок", 20, &phrases()));
    }
}
