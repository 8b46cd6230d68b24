//! The weekly owner report: the week against plan and against the week
//! before, revenue against the sales plan, the funnel with its bottlenecks,
//! channels, lead temperature against benchmarks, and CRM hygiene.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::digest::short_name;
use super::figures::{EmployeeFigures, FiguresReport};
use crate::metrics::Figure;
use crate::words::Words;

/// Monday of the week `day` is in.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub label: String,
    pub this_week: String,
    pub last_week: String,
    /// `▲ 12 %`, `▼ 5 %`, `=`.
    pub change: String,
    /// Whether the change is good news (drives the colour).
    pub better: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeeklyRow {
    pub name: String,
    pub completion_pct: Option<i64>,
    pub calls: i64,
    pub successful: i64,
    pub talk: String,
    pub proposals: i64,
    pub deals_won: i64,
    pub revenue: String,
    pub untraced: i64,
    pub overdue: i64,
    pub bottleneck: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageLine {
    pub name: String,
    pub open: usize,
    pub entered: usize,
    pub conversion_pct: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelLine {
    pub channel: String,
    pub leads: usize,
    pub won: usize,
    pub revenue: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemperatureLine {
    pub temperature: String,
    pub closed: usize,
    pub won: usize,
    pub rate_pct: Option<i64>,
    pub benchmark: String,
    /// Below the benchmark range.
    pub below: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Weekly {
    pub team_name: String,
    pub week_number: u32,
    pub period: String,
    /// The week's revenue, written out, for the subject line.
    pub revenue: String,
    /// Revenue as a share of the revenue plan, when there is one.
    pub revenue_plan_pct: Option<i64>,
    pub deals_won: i64,
    pub headlines: Vec<Headline>,
    pub rows: Vec<WeeklyRow>,
    pub stages: Vec<StageLine>,
    pub channels: Vec<ChannelLine>,
    pub temperature: Vec<TemperatureLine>,
    pub overdue_tasks: i64,
    pub calls_without_trace: i64,
    pub deals_without_next_task: i64,
    pub weak_comment_pct: i64,
    pub stuck_deals: usize,
}

fn total(report: &FiguresReport, pick: impl Fn(&EmployeeFigures) -> f64) -> f64 {
    report.employees.iter().map(pick).sum()
}

fn activity(e: &EmployeeFigures, key: &str) -> f64 {
    e.activities
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.value)
        .unwrap_or(0.0)
}

fn change(now: f64, before: f64, higher_is_better: bool) -> (String, Option<bool>) {
    if before == 0.0 {
        return (
            if now == 0.0 { "=".into() } else { "▲".into() },
            (now > 0.0).then_some(higher_is_better),
        );
    }
    let pct = ((now - before) / before * 100.0).round() as i64;
    match pct {
        0 => ("=".into(), None),
        p if p > 0 => (format!("▲ {p} %"), Some(higher_is_better)),
        p => (format!("▼ {} %", -p), Some(!higher_is_better)),
    }
}

/// One headline: a figure this week and last, and how it changed.
fn headline(
    label: &str,
    now: f64,
    before: f64,
    show: &dyn Fn(f64) -> String,
    higher: bool,
) -> Headline {
    let (c, better) = change(now, before, higher);
    Headline {
        label: label.to_owned(),
        this_week: show(now),
        last_week: show(before),
        change: c,
        better,
    }
}

/// A figure's value, for totals over people.
fn value_of(f: fn(&EmployeeFigures) -> &Figure) -> impl Fn(&EmployeeFigures) -> f64 {
    move |e: &EmployeeFigures| f(e).value
}

/// The team's calls, out and in.
fn team_calls(r: &FiguresReport) -> f64 {
    total(r, |e| {
        e.telephony.calls_out.value + e.telephony.calls_in.value
    })
}

/// The headlines: this week's figures against last week's.
fn headlines(this: &FiguresReport, last: &FiguresReport, words: Words) -> Vec<Headline> {
    let word = |key: &str| words.figure(key);
    let int = |v: f64| words.number(v.round(), 0);
    let money = |v: f64| words.catalog.money_short(words.locale, v / 100.0, "RUB");
    let both =
        |f: fn(&EmployeeFigures) -> &Figure| (total(this, value_of(f)), total(last, value_of(f)));
    let (successful_now, successful_before) = both(|e| &e.telephony.successful_contacts);
    let (talk_now, talk_before) = both(|e| &e.telephony.talk_time);
    let (overdue_now, overdue_before) = both(|e| &e.hygiene.overdue_tasks);
    vec![
        headline(
            &word("revenue"),
            this.team_funnel.revenue.value,
            last.team_funnel.revenue.value,
            &money,
            true,
        ),
        headline(
            &word("deals_won"),
            this.team_funnel.won.value,
            last.team_funnel.won.value,
            &int,
            true,
        ),
        headline(
            &word("calls"),
            team_calls(this),
            team_calls(last),
            &int,
            true,
        ),
        headline(
            &word("successful_contacts"),
            successful_now,
            successful_before,
            &int,
            true,
        ),
        headline(
            &word("talk_time"),
            talk_now,
            talk_before,
            &|v| words.duration(v as i64),
            true,
        ),
        headline(
            &word("proposals"),
            total(this, |e| activity(e, "proposals")),
            total(last, |e| activity(e, "proposals")),
            &int,
            true,
        ),
        headline(
            &word("overdue_tasks"),
            overdue_now,
            overdue_before,
            &int,
            false,
        ),
    ]
}

/// A row per person: plan, calls, talk, proposals, deals, hygiene, bottleneck.
fn rows(this: &FiguresReport, words: Words) -> Vec<WeeklyRow> {
    this.employees
        .iter()
        .map(|e| WeeklyRow {
            name: short_name(&e.name),
            completion_pct: e.plan.completion.map(|c| (c * 100.0).round() as i64),
            calls: (e.telephony.calls_out.value + e.telephony.calls_in.value) as i64,
            successful: e.telephony.successful_contacts.value as i64,
            talk: words.duration(e.telephony.talk_time.value as i64),
            proposals: activity(e, "proposals") as i64,
            deals_won: e.funnel.won.value as i64,
            revenue: words
                .catalog
                .money_short(words.locale, e.funnel.revenue.value / 100.0, "RUB"),
            untraced: e.hygiene.calls_without_trace.value as i64,
            overdue: e.hygiene.overdue_tasks.value as i64,
            bottleneck: e.bottleneck.as_ref().and_then(|b| {
                this.team_funnel
                    .stages
                    .iter()
                    .find(|s| s.stage == b.stage)
                    .map(|s| s.name.clone())
            }),
        })
        .collect()
}

/// Win rates per lead temperature against their benchmarks.
fn temperature_lines(this: &FiguresReport, words: Words) -> Vec<TemperatureLine> {
    this.team_funnel
        .temperature
        .iter()
        .map(|t| TemperatureLine {
            temperature: words.text(
                "lead-temperature",
                &[(
                    "temperature",
                    crate::words::Arg::from(t.temperature.as_str()),
                )],
            ),
            closed: t.closed,
            won: t.won,
            rate_pct: t.win_rate.map(|r| (r * 100.0).round() as i64),
            benchmark: words.text(
                "percent-range",
                &[
                    ("low", crate::words::Arg::from(t.benchmark.0 * 100.0)),
                    ("high", crate::words::Arg::from(t.benchmark.1 * 100.0)),
                ],
            ),
            below: t.win_rate.is_some_and(|r| r < t.benchmark.0),
        })
        .collect()
}

/// The team's open stages: open deals, entries, conversion.
fn stage_lines(this: &FiguresReport) -> Vec<StageLine> {
    this.team_funnel
        .stages
        .iter()
        .map(|s| StageLine {
            name: s.name.clone(),
            open: s.open_deals,
            entered: s.entered,
            conversion_pct: s.conversion.map(|c| (c * 100.0).round() as i64),
        })
        .collect()
}

/// The team's channels: leads, deals won, revenue.
fn channel_lines(this: &FiguresReport, words: Words) -> Vec<ChannelLine> {
    this.team_funnel
        .channels
        .iter()
        .map(|c| ChannelLine {
            channel: c.channel.clone(),
            leads: c.leads,
            won: c.won,
            revenue: words
                .catalog
                .money_short(words.locale, c.revenue_minor as f64 / 100.0, "RUB"),
        })
        .collect()
}

/// Builds the weekly report from this week's and last week's team figures.
pub fn weekly(this: &FiguresReport, last: &FiguresReport, words: Words) -> Weekly {
    let revenue_now = this.team_funnel.revenue.value;
    let revenue_target: f64 = this
        .employees
        .iter()
        .filter_map(|e| e.plan.sales.as_ref().and_then(|s| s.revenue_target_minor))
        .sum();
    let team_total = |f: fn(&EmployeeFigures) -> &Figure| total(this, value_of(f));
    let comments = team_total(|e| &e.hygiene.comments);
    let weak = team_total(|e| &e.hygiene.weak_comments);
    Weekly {
        team_name: this.team_name.clone(),
        week_number: this.period.first_day.iso_week().week(),
        period: words.period(this.period.first_day, this.period.last_day),
        revenue: words
            .catalog
            .money_short(words.locale, revenue_now / 100.0, "RUB"),
        revenue_plan_pct: (revenue_target > 0.0)
            .then(|| (revenue_now / revenue_target * 100.0).round() as i64),
        deals_won: this.team_funnel.won.value as i64,
        headlines: headlines(this, last, words),
        rows: rows(this, words),
        stages: stage_lines(this),
        channels: channel_lines(this, words),
        temperature: temperature_lines(this, words),
        overdue_tasks: team_total(|e| &e.hygiene.overdue_tasks) as i64,
        calls_without_trace: team_total(|e| &e.hygiene.calls_without_trace) as i64,
        deals_without_next_task: team_total(|e| &e.hygiene.deals_without_next_task) as i64,
        weak_comment_pct: if comments > 0.0 {
            (weak / comments * 100.0).round() as i64
        } else {
            0
        },
        stuck_deals: this.team_funnel.stuck.len(),
    }
}
