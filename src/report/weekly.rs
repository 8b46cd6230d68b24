//! The weekly owner report: the week against plan and against the week
//! before, revenue against the sales plan, the funnel with its bottlenecks,
//! channels, lead temperature against benchmarks, and CRM hygiene.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::digest::{day_label, duration_words, short_name};
use super::figures::{EmployeeFigures, FiguresReport};
use crate::config::Locale;
use crate::metrics::Figure;

/// Monday of the week `day` is in.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Money for people: `4,2 млн ₽`, `850 тыс. ₽`; `RUB 4.2M`, `RUB 850K`.
pub fn money(minor: f64, locale: Locale) -> String {
    let units = minor / 100.0;
    let (value, ru, en) = if units >= 1_000_000.0 {
        (units / 1_000_000.0, "млн ₽", "M")
    } else if units >= 1_000.0 {
        (units / 1_000.0, "тыс. ₽", "K")
    } else {
        (units, "₽", "")
    };
    match locale {
        Locale::Ru => format!("{} {ru}", format!("{value:.1}").replace('.', ",")),
        Locale::En => format!("RUB {value:.1}{en}"),
    }
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
fn headlines(this: &FiguresReport, last: &FiguresReport, locale: Locale) -> Vec<Headline> {
    let ru = locale == Locale::Ru;
    let word = |r: &'static str, e: &'static str| if ru { r } else { e };
    let int = |v: f64| format!("{v:.0}");
    let both =
        |f: fn(&EmployeeFigures) -> &Figure| (total(this, value_of(f)), total(last, value_of(f)));
    let (successful_now, successful_before) = both(|e| &e.telephony.successful_contacts);
    let (talk_now, talk_before) = both(|e| &e.telephony.talk_time);
    let (overdue_now, overdue_before) = both(|e| &e.hygiene.overdue_tasks);
    vec![
        headline(
            word("Выручка", "Revenue"),
            this.team_funnel.revenue.value,
            last.team_funnel.revenue.value,
            &|v| money(v, locale),
            true,
        ),
        headline(
            word("Выиграно сделок", "Deals won"),
            this.team_funnel.won.value,
            last.team_funnel.won.value,
            &int,
            true,
        ),
        headline(
            word("Звонки", "Calls"),
            team_calls(this),
            team_calls(last),
            &int,
            true,
        ),
        headline(
            word("Результативные контакты", "Successful contacts"),
            successful_now,
            successful_before,
            &int,
            true,
        ),
        headline(
            word("Время разговоров", "Talk time"),
            talk_now,
            talk_before,
            &|v| duration_words(v as i64, locale),
            true,
        ),
        headline(
            word("КП отправлено", "Proposals sent"),
            total(this, |e| activity(e, "proposals")),
            total(last, |e| activity(e, "proposals")),
            &int,
            true,
        ),
        headline(
            word("Просроченные задачи", "Overdue tasks"),
            overdue_now,
            overdue_before,
            &int,
            false,
        ),
    ]
}

/// A row per person: plan, calls, talk, proposals, deals, hygiene, bottleneck.
fn rows(this: &FiguresReport, locale: Locale) -> Vec<WeeklyRow> {
    this.employees
        .iter()
        .map(|e| WeeklyRow {
            name: short_name(&e.name),
            completion_pct: e.plan.completion.map(|c| (c * 100.0).round() as i64),
            calls: (e.telephony.calls_out.value + e.telephony.calls_in.value) as i64,
            successful: e.telephony.successful_contacts.value as i64,
            talk: duration_words(e.telephony.talk_time.value as i64, locale),
            proposals: activity(e, "proposals") as i64,
            deals_won: e.funnel.won.value as i64,
            revenue: money(e.funnel.revenue.value, locale),
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
fn temperature_lines(this: &FiguresReport, ru: bool) -> Vec<TemperatureLine> {
    this.team_funnel
        .temperature
        .iter()
        .map(|t| TemperatureLine {
            temperature: match (t.temperature.as_str(), ru) {
                ("hot", true) => "горячие".into(),
                ("warm", true) => "тёплые".into(),
                ("cold", true) => "холодные".into(),
                (other, _) => other.to_owned(),
            },
            closed: t.closed,
            won: t.won,
            rate_pct: t.win_rate.map(|r| (r * 100.0).round() as i64),
            benchmark: format!(
                "{:.0}–{:.0} %",
                t.benchmark.0 * 100.0,
                t.benchmark.1 * 100.0
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
fn channel_lines(this: &FiguresReport, locale: Locale) -> Vec<ChannelLine> {
    this.team_funnel
        .channels
        .iter()
        .map(|c| ChannelLine {
            channel: c.channel.clone(),
            leads: c.leads,
            won: c.won,
            revenue: money(c.revenue_minor as f64, locale),
        })
        .collect()
}

/// Builds the weekly report from this week's and last week's team figures.
pub fn weekly(this: &FiguresReport, last: &FiguresReport, locale: Locale) -> Weekly {
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
        period: format!(
            "{} – {}",
            day_label(this.period.first_day, locale),
            day_label(this.period.last_day, locale)
        ),
        revenue: money(revenue_now, locale),
        revenue_plan_pct: (revenue_target > 0.0)
            .then(|| (revenue_now / revenue_target * 100.0).round() as i64),
        deals_won: this.team_funnel.won.value as i64,
        headlines: headlines(this, last, locale),
        rows: rows(this, locale),
        stages: stage_lines(this),
        channels: channel_lines(this, locale),
        temperature: temperature_lines(this, locale == Locale::Ru),
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
