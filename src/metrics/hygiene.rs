//! CRM hygiene (METRICS.md, section 5): cards touched, overdue tasks,
//! tasks postponed without action, deals without a next task, calls without
//! a CRM trace, weak comments, unfinished tasks.
//! The figures of open work now are in `open_work.rs`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::moments::Moments;
use super::open_work::{OpenWork, rref};
use super::telephony::is_successful;
use super::{Figure, RecordKind, RecordRef, Rule, Unit, Value};
use crate::domain::{Activity, Call, Comment, Deal, StageChange, Task, TaskPostponement};

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

/// A comment is weak when it is short or says nothing but stock phrases.
pub fn is_weak_comment(text: &str, min_chars: usize, phrases: &[String]) -> bool {
    let trimmed = text.trim();
    if trimmed.chars().count() < min_chars {
        return true;
    }
    let mut rest: String = trimmed
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect();
    // Longest phrases first, so "не дозвонился" goes before "дозвонился".
    let mut sorted: Vec<&String> = phrases.iter().collect();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    for phrase in sorted {
        rest = rest.replace(phrase.as_str(), " ");
    }
    rest.trim().is_empty()
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
    let rules = s.rules;
    let mut by_phone: HashMap<&str, Vec<&Deal>> = HashMap::new();
    for d in s.crm.deals {
        if let Some(p) = &d.phone {
            by_phone.entry(p.as_str()).or_default().push(d);
        }
    }
    let window = Duration::seconds(rules.trace_window_secs);
    let traces = traces(&s.crm);
    let mut about_deals = Vec::new();
    let mut untraced = Vec::new();
    for call in s
        .calls
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

/// The comment figures of a person.
struct CommentFigures {
    weak_comments: Figure,
    comments: Figure,
    weak_comment_share: Figure,
}

/// The person's comments in the period, and the weak ones among them.
fn my_comments<'a>(s: &Scope<'a>) -> (Vec<&'a Comment>, Vec<&'a Comment>) {
    let rules = s.rules;
    let mine: Vec<&Comment> = s
        .crm
        .comments
        .iter()
        .filter(|c| s.mine(&c.employee_id) && s.in_period(c.at))
        .collect();
    let weak: Vec<&Comment> = mine
        .iter()
        .copied()
        .filter(|c| {
            is_weak_comment(
                &c.text,
                rules.weak_comment_min_chars,
                rules.weak_comment_phrases,
            )
        })
        .collect();
    (mine, weak)
}

fn comment_refs(comments: &[&Comment]) -> Vec<RecordRef> {
    comments
        .iter()
        .map(|c| rref(RecordKind::Comment, &c.source, c.external_id.as_str()))
        .collect()
}

/// Weak comments, all comments in the period, and the weak share.
fn comment_figures(
    all: usize,
    weak: usize,
    min_chars: usize,
    records: Option<(&[&Comment], &[&Comment])>,
) -> CommentFigures {
    let share = if all == 0 {
        0.0
    } else {
        weak as f64 / all as f64
    };
    let weak_comments = Figure::count_of(
        "weak_comments",
        Rule::new("weak_comments")
            .with("min_chars", min_chars)
            .with("n", weak)
            .with("of", all),
        weak,
        records.map(|(_, w)| comment_refs(w)).unwrap_or_default(),
    );
    let weak_comment_share = Figure {
        key: "weak_comment_share",
        value: share,
        unit: Unit::Ratio,
        rule: Rule::new("weak_comment_share")
            .with("n", weak)
            .with("of", all)
            .with("share", Value::Share(share)),
        records: Vec::new(),
    };
    let comments = Figure::count_of(
        "comments",
        Rule::new("comments").with("n", all),
        all,
        records.map(|(a, _)| comment_refs(a)).unwrap_or_default(),
    );
    CommentFigures {
        weak_comments,
        comments,
        weak_comment_share,
    }
}

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
    fn unfinished(&self, to: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let at = to.min(now);
        self.due < now && self.done.is_none_or(|done| done > at)
    }
}

/// The person's tasks due in the period.
fn due_tasks<'a>(s: &Scope<'a>, my_tasks: &[&'a Task]) -> Vec<&'a Task> {
    my_tasks
        .iter()
        .copied()
        .filter(|t| s.in_period(t.due_at))
        .collect()
}

fn due_of(t: &Task) -> TaskDue {
    TaskDue {
        due: t.due_at,
        done: t.completed_at,
    }
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

/// What the hygiene figures of a period are made of, added up day by day
/// (the daily roll-up keeps one per person and day). What is open now is
/// not in it: it is counted at each request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HygieneTally {
    /// The deals touched, as (source, deal): distinct over a period.
    pub cards: BTreeSet<(String, String)>,
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
            cards: touched(&s)
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
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
        self.cards.extend(o.cards.iter().cloned());
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
            cards_touched: cards_figure(self.cards.len(), Vec::new()),
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
