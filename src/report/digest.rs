//! The morning digest for a head of sales: yesterday's plan vs actual per
//! manager as a compact table, best and weakest, then the alerts, worst news
//! first, each with the command that opens it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::figures::{EmployeeFigures, FiguresReport};
use super::visibility::View;
use crate::config::StageConfig;
use crate::domain::FigureGroup;
use crate::metrics::plan::PlanStatus;
use crate::words::Words;

/// Talk time as `1:42` (hours:minutes), narrow enough for a phone table.
pub fn hours_minutes(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round() as i64;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// The short name a table row shows: the surname.
pub fn short_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_owned()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestRow {
    pub name: String,
    /// `met`, `missed`, `info` or `no_plan`.
    pub status: &'static str,
    pub cold: i64,
    pub warm: i64,
    pub proposals: i64,
    pub successful: i64,
    pub talk: String,
    pub completion_pct: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdleAlert {
    pub name: String,
    pub duration: String,
    pub start: String,
    pub end: String,
    pub command: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TraceAlert {
    pub name: String,
    pub untraced: i64,
    pub linked: i64,
    pub command: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub team_name: String,
    pub day: String,
    pub met: usize,
    pub managers: usize,
    pub rows: Vec<DigestRow>,
    pub totals: DigestRow,
    /// The plan's totals for the team (cold, warm, proposals).
    pub plan_cold: i64,
    pub plan_warm: i64,
    pub plan_proposals: i64,
    pub best: Option<String>,
    pub weakest: Option<String>,
    pub idle: Vec<IdleAlert>,
    pub untraced: Vec<TraceAlert>,
    /// The day's missed calls and their call backs, when the team has a
    /// `missed_callback` alert rule.
    pub missed_calls: Option<super::alerts::DayMissed>,
    /// The day's other alerts by rule, when the team has `[[alerts]]`.
    pub alerts_sent: Vec<super::alerts::RuleCount>,
    /// A day without a call or a CRM record: this one line instead of a
    /// table of zeros.
    pub quiet: Option<String>,
    /// Sources whose last pull is older than their schedule, at the top.
    pub stale_sources: Vec<String>,
    pub stuck_deals: usize,
    pub stuck_top_stage: Option<String>,
    pub stuck_top_stage_count: usize,
    pub overdue_tasks: i64,
    pub oldest_overdue_days: i64,
    /// The month's bonus so far per manager, when `kpi.in_digest` asks.
    pub kpi: Option<super::kpi::KpiSection>,
    /// The team's funnel conversion over its rolling window.
    pub funnel: Option<DigestFunnel>,
    /// The figure groups left out (the copy for a team chat managers read).
    pub hidden: Vec<FigureGroup>,
}

/// The team's conversion stage by stage over the last `days` days.
#[derive(Debug, Clone, Serialize)]
pub struct DigestFunnel {
    pub days: i64,
    pub stages: Vec<DigestStage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestStage {
    pub name: String,
    /// «42 %», or «—» when no deal entered the stage in the window.
    pub conversion: String,
}

impl DigestFunnel {
    /// The open stages of `funnel` with their conversion, in funnel order.
    pub fn new(funnel: &crate::metrics::funnel::Funnel, days: i64, words: Words) -> Self {
        DigestFunnel {
            days,
            stages: funnel
                .stages
                .iter()
                .map(|s| DigestStage {
                    name: s.name.clone(),
                    conversion: s
                        .conversion
                        .map(|c| words.percent((c * 100.0).round() / 100.0))
                        .unwrap_or_else(|| "—".to_owned()),
                })
                .collect(),
        }
    }
}

impl Digest {
    /// The digest as managers may read it in their team's chat: the groups
    /// `view` hides left out (their data blanked, not only unshown), and the
    /// bonuses unless everyone may see everyone's (`kpi.leaderboard`).
    pub fn seen_by(mut self, view: &View, everyones_bonus: bool) -> Self {
        let hidden = view.hidden().to_vec();
        if hidden.contains(&FigureGroup::Telephony) || hidden.contains(&FigureGroup::Plan) {
            // The table is the plan's lines of telephony and activities.
            self.rows.clear();
            self.totals = DigestRow::default();
            (self.plan_cold, self.plan_warm, self.plan_proposals) = (0, 0, 0);
        }
        if hidden.contains(&FigureGroup::Plan) {
            (self.met, self.managers) = (0, 0);
            (self.best, self.weakest) = (None, None);
        }
        if hidden.contains(&FigureGroup::Telephony) {
            self.missed_calls = None;
        }
        self.alerts_sent
            .retain(|a| !hidden.contains(&super::alerts::rule_group(&a.rule_id)));
        if hidden.contains(&FigureGroup::Pulse) {
            self.idle.clear();
        }
        if hidden.contains(&FigureGroup::Hygiene) {
            self.untraced.clear();
            (self.overdue_tasks, self.oldest_overdue_days) = (0, 0);
        }
        if hidden.contains(&FigureGroup::Funnel) {
            (
                self.stuck_deals,
                self.stuck_top_stage,
                self.stuck_top_stage_count,
            ) = (0, None, 0);
            self.funnel = None;
        }
        if !everyones_bonus {
            self.kpi = None;
        }
        self.hidden = hidden;
        self
    }
}

/// Alerts start at these sizes.
pub const IDLE_ALERT_SECS: i64 = 90 * 60;
pub const TRACE_ALERT_SHARE: f64 = 0.5;
pub const TRACE_ALERT_MIN: i64 = 3;

fn row(e: &EmployeeFigures) -> DigestRow {
    let t = &e.telephony;
    let proposals = e
        .activities
        .iter()
        .find(|f| f.key == "proposals")
        .map(|f| f.value)
        .unwrap_or(0.0);
    DigestRow {
        name: short_name(&e.name),
        status: match e.plan.status {
            PlanStatus::Met => "met",
            PlanStatus::Missed => "missed",
            PlanStatus::Info => "info",
            PlanStatus::NoPlan => "no_plan",
        },
        cold: t.cold_calls.value as i64,
        warm: t.warm_calls.value as i64,
        proposals: proposals as i64,
        successful: t.successful_contacts.value as i64,
        talk: hours_minutes(t.talk_time.value),
        completion_pct: e.plan.completion.map(|c| (c * 100.0).round() as i64),
    }
}

fn hm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// The team's line of the table: the sums of the rows and the team's talk time.
fn totals_row(report: &FiguresReport, rows: &[DigestRow]) -> DigestRow {
    let sum = |f: fn(&DigestRow) -> i64| rows.iter().map(f).sum::<i64>();
    let talk: f64 = report
        .employees
        .iter()
        .map(|e| e.telephony.talk_time.value)
        .sum();
    DigestRow {
        name: String::new(),
        status: "",
        cold: sum(|r| r.cold),
        warm: sum(|r| r.warm),
        proposals: sum(|r| r.proposals),
        successful: sum(|r| r.successful),
        talk: hours_minutes(talk),
        completion_pct: None,
    }
}

/// The team's plan for one figure: the sum of everyone's targets.
fn plan_total(report: &FiguresReport, figure: &str) -> i64 {
    report
        .employees
        .iter()
        .flat_map(|e| e.plan.lines.iter())
        .filter(|l| l.figure == figure)
        .map(|l| l.target)
        .sum::<f64>()
        .round() as i64
}

/// The people with a plan, best completion first.
fn ranked(report: &FiguresReport) -> Vec<&EmployeeFigures> {
    let mut v: Vec<&EmployeeFigures> = report
        .employees
        .iter()
        .filter(|e| e.plan.completion.is_some())
        .collect();
    v.sort_by(|a, b| {
        b.plan
            .completion
            .partial_cmp(&a.plan.completion)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    v
}

/// Long pauses between calls (not before the first or after the last),
/// longest first.
fn idle_alerts(report: &FiguresReport, tz: Tz, words: Words) -> Vec<IdleAlert> {
    let mut idle: Vec<(i64, IdleAlert)> = Vec::new();
    for e in &report.employees {
        for day in &e.pulse {
            let inner = day
                .idle_gaps
                .iter()
                .filter(|g| g.start != day.working_hours.start && g.end != day.working_hours.end)
                .max_by_key(|g| g.seconds());
            if let Some(g) = inner
                && g.seconds() >= IDLE_ALERT_SECS
            {
                let name = short_name(&e.name);
                idle.push((
                    g.seconds(),
                    IdleAlert {
                        command: format!("/pulse {name}"),
                        name,
                        duration: words.duration(g.seconds()),
                        start: hm(g.start, tz),
                        end: hm(g.end, tz),
                    },
                ));
            }
        }
    }
    idle.sort_by_key(|a| std::cmp::Reverse(a.0));
    idle.into_iter().map(|(_, a)| a).collect()
}

/// People with many successful calls about deals left without a CRM trace,
/// most first.
fn trace_alerts(report: &FiguresReport) -> Vec<TraceAlert> {
    let mut untraced: Vec<TraceAlert> = report
        .employees
        .iter()
        .filter_map(|e| {
            let f = &e.hygiene.calls_without_trace;
            let linked = e.hygiene.calls_about_deals.value as i64;
            let n = f.value as i64;
            (n >= TRACE_ALERT_MIN && n as f64 >= TRACE_ALERT_SHARE * linked as f64).then(|| {
                let name = short_name(&e.name);
                TraceAlert {
                    command: format!("/why trace {name}"),
                    name,
                    untraced: n,
                    linked,
                }
            })
        })
        .collect();
    untraced.sort_by_key(|a| std::cmp::Reverse(a.untraced));
    untraced
}

/// Stuck deals per stage name, most first; stages with none left out.
fn stuck_per_stage(report: &FiguresReport, stages: &[StageConfig]) -> Vec<(String, usize)> {
    let stuck = &report.team_funnel.stuck;
    let mut per_stage: Vec<(String, usize)> = stages
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                stuck.iter().filter(|d| d.stage == s.id).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    per_stage.sort_by_key(|a| std::cmp::Reverse(a.1));
    per_stage
}

/// The team's overdue tasks, and how many days late the oldest is.
fn overdue_summary(report: &FiguresReport) -> (i64, i64) {
    let overdue: i64 = report
        .employees
        .iter()
        .map(|e| e.hygiene.overdue_tasks.value as i64)
        .sum();
    let oldest = report
        .employees
        .iter()
        .map(|e| e.hygiene.oldest_overdue_days.value as i64)
        .max()
        .unwrap_or(0);
    (overdue, oldest)
}

/// Builds the digest of one day from the team's figures of that day.
pub fn digest(report: &FiguresReport, stages: &[StageConfig], words: Words) -> Digest {
    let tz: Tz = report.period.timezone.parse().unwrap_or(Tz::UTC);
    let rows: Vec<DigestRow> = report.employees.iter().map(row).collect();
    let ranked = ranked(report);
    let per_stage = stuck_per_stage(report, stages);
    let (overdue, oldest) = overdue_summary(report);
    Digest {
        team_name: report.team_name.clone(),
        day: words.day(report.period.first_day),
        met: rows.iter().filter(|r| r.status == "met").count(),
        managers: rows.len(),
        totals: totals_row(report, &rows),
        plan_cold: plan_total(report, "cold_calls"),
        plan_warm: plan_total(report, "warm_calls"),
        plan_proposals: plan_total(report, "proposals"),
        best: ranked.first().map(|e| short_name(&e.name)),
        weakest: (ranked.len() > 1)
            .then(|| ranked.last().map(|e| short_name(&e.name)))
            .flatten(),
        rows,
        idle: idle_alerts(report, tz, words).into_iter().take(3).collect(),
        untraced: trace_alerts(report).into_iter().take(3).collect(),
        missed_calls: None,
        alerts_sent: Vec::new(),
        quiet: None,
        stale_sources: Vec::new(),
        stuck_deals: report.team_funnel.stuck.len(),
        stuck_top_stage_count: per_stage.first().map(|s| s.1).unwrap_or(0),
        stuck_top_stage: per_stage.into_iter().next().map(|s| s.0),
        overdue_tasks: overdue,
        oldest_overdue_days: oldest,
        kpi: None,
        funnel: None,
        hidden: Vec::new(),
    }
}

/// The day a morning digest is about: the last working day before `today`.
pub fn digest_day(today: NaiveDate, is_working: impl Fn(NaiveDate) -> bool) -> NaiveDate {
    let mut day = today.pred_opt().unwrap_or(today);
    for _ in 0..14 {
        if is_working(day) {
            return day;
        }
        day = day.pred_opt().unwrap_or(day);
    }
    today.pred_opt().unwrap_or(today)
}

/// One line of a manager's plan: `Холодные 27/30`.
#[derive(Debug, Clone, Serialize)]
pub struct CardLine {
    pub label: String,
    pub actual: i64,
    pub target: i64,
    pub met: bool,
}

/// The manager card (`/me`): one person, a day or a period. A section the
/// reader may not see (`View`) is absent, so no template can show it.
#[derive(Debug, Clone, Serialize)]
pub struct ManagerCard {
    pub name: String,
    pub period: String,
    pub single_day: bool,
    pub plan: Option<CardPlan>,
    pub calls: Option<CardCalls>,
    pub pulse: Option<CardPulse>,
    pub hygiene: Option<CardHygiene>,
}

/// The card's activity plan: completion and each line.
#[derive(Debug, Clone, Serialize)]
pub struct CardPlan {
    pub completion_pct: Option<i64>,
    pub lines: Vec<CardLine>,
}

/// The card's telephony: successful contacts of connected calls, talk time.
#[derive(Debug, Clone, Serialize)]
pub struct CardCalls {
    pub successful: i64,
    pub success_secs: i64,
    pub connected: i64,
    pub calls: i64,
    /// Talk time, seconds (the template words it).
    pub talk_secs: i64,
}

/// The card's pulse: the day's first and last call, peak hour, idle gap.
#[derive(Debug, Clone, Serialize)]
pub struct CardPulse {
    pub first_call: Option<String>,
    pub last_call: Option<String>,
    pub peak_hour: Option<u32>,
    pub peak_calls: usize,
    pub potential: usize,
    pub longest_idle: Option<String>,
}

/// The card's CRM hygiene: calls without a trace, overdue tasks.
#[derive(Debug, Clone, Serialize)]
pub struct CardHygiene {
    pub calls_without_trace: i64,
    pub overdue_tasks: i64,
}

/// The card of one person from their figures, as `view` may see it.
pub fn manager_card(
    e: &EmployeeFigures,
    report: &FiguresReport,
    success_secs: i64,
    words: Words,
    view: &View,
) -> ManagerCard {
    let tz: Tz = report.period.timezone.parse().unwrap_or(Tz::UTC);
    let (first, last) = (report.period.first_day, report.period.last_day);
    let single_day = first == last;
    let t = &e.telephony;
    let day = e
        .pulse
        .iter()
        .find(|p| p.day == last)
        .filter(|_| single_day);
    let longest = e
        .pulse
        .iter()
        .flat_map(|p| {
            p.idle_gaps
                .iter()
                .filter(move |g| g.start != p.working_hours.start && g.end != p.working_hours.end)
        })
        .max_by_key(|g| g.seconds());
    let plan = CardPlan {
        completion_pct: e.plan.completion.map(|c| (c * 100.0).round() as i64),
        lines: e
            .plan
            .lines
            .iter()
            .map(|l| CardLine {
                label: words.short_figure(&l.figure),
                actual: l.actual.round() as i64,
                target: l.target.round() as i64,
                met: l.met,
            })
            .collect(),
    };
    let calls = CardCalls {
        successful: t.successful_contacts.value as i64,
        success_secs,
        connected: t.connected.value as i64,
        calls: (t.calls_out.value + t.calls_in.value) as i64,
        talk_secs: t.talk_time.value as i64,
    };
    let pulse = CardPulse {
        first_call: day.and_then(|d| d.first_call).map(|c| hm(c, tz)),
        last_call: day.and_then(|d| d.last_call_end).map(|c| hm(c, tz)),
        peak_hour: day.and_then(|d| d.peak_hour),
        peak_calls: day.map(|d| d.peak_calls).unwrap_or(0),
        potential: day.map(|d| d.potential).unwrap_or(0),
        longest_idle: longest.map(|g| {
            format!(
                "{} ({}–{})",
                words.duration(g.seconds()),
                hm(g.start, tz),
                hm(g.end, tz)
            )
        }),
    };
    let hygiene = CardHygiene {
        calls_without_trace: e.hygiene.calls_without_trace.value as i64,
        overdue_tasks: e.hygiene.overdue_tasks.value as i64,
    };
    ManagerCard {
        name: e.name.clone(),
        period: words.period(first, last),
        single_day,
        plan: view.shows(FigureGroup::Plan).then_some(plan),
        calls: view.shows(FigureGroup::Telephony).then_some(calls),
        pulse: view.shows(FigureGroup::Pulse).then_some(pulse),
        hygiene: view.shows(FigureGroup::Hygiene).then_some(hygiene),
    }
}
