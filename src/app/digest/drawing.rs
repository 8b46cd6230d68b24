//! The digest's charts, at most four: the team pulse heat map, the funnel
//! over its window, plan vs actual, and the team's day as one swimlane
//! picture.

use std::collections::HashMap;

use chrono::Timelike;

use crate::config::TeamConfig;
use crate::domain::Call;
use crate::metrics::funnel::Funnel;
use crate::metrics::pulse::HeatRow;
use crate::render::charts;
use crate::render::swimlane::{Lane, swimlane_chart};
use crate::report::digest::{IDLE_ALERT_SECS, short_name};
use crate::report::figures::{EmployeeFigures, FiguresReport};
use crate::words::{Arg, Words};

/// The pulse chart's legend: successful, short, not answered, idle.
pub(in crate::app) fn pulse_legend(words: Words) -> [String; 4] {
    [
        "chart-pulse-successful",
        "chart-pulse-short",
        "chart-pulse-unanswered",
        "chart-pulse-idle",
    ]
    .map(|id| words.text(id, &[]))
}

/// Teams up to this size get a pulse chart for everyone; larger ones only for
/// the people the digest flags.
const PULSE_CHARTS_FOR_ALL: usize = 20;

/// The most rows the team heat map and the plan chart show: a larger team's
/// charts show the people furthest behind their plan, and say how many
/// they leave out (a picture of hundreds of rows cannot be read in a chat).
const CHART_ROWS: usize = 40;

/// The people who get a pulse chart of `day`: everyone in a small team,
/// else those with an idle gap inside the working day.
pub(super) fn pulse_chart_people(report: &FiguresReport) -> Vec<&EmployeeFigures> {
    let day = report.period.first_day;
    let everyone = report.employees.len() <= PULSE_CHARTS_FOR_ALL;
    report
        .employees
        .iter()
        .filter(|e| {
            let Some(pulse) = e.pulse.iter().find(|p| p.day == day) else {
                return false;
            };
            everyone
                || pulse.idle_gaps.iter().any(|g| {
                    g.start != pulse.working_hours.start
                        && g.end != pulse.working_hours.end
                        && g.seconds() >= IDLE_ALERT_SECS
                })
        })
        .collect()
}

/// The most lanes of the team's day.
const SWIMLANES: usize = 20;

/// The lanes of the team's day: everyone in a small team, in its order;
/// else those with an idle gap inside the day, the longest idle first, at
/// most [`SWIMLANES`].
pub(super) fn swimlane_people(report: &FiguresReport) -> Vec<&EmployeeFigures> {
    let mut people = pulse_chart_people(report);
    if report.employees.len() > PULSE_CHARTS_FOR_ALL {
        let day = report.period.first_day;
        let idle = |e: &EmployeeFigures| -> i64 {
            e.pulse
                .iter()
                .filter(|p| p.day == day)
                .flat_map(|p| p.idle_gaps.iter().map(|g| g.seconds()))
                .sum()
        };
        people.sort_by_key(|e| (std::cmp::Reverse(idle(e)), e.employee_id.clone()));
        people.truncate(SWIMLANES);
    }
    people
}

/// The people the heat map and the plan chart show: a team up to
/// [`CHART_ROWS`] in its order, else those furthest behind their plan,
/// the furthest first; and how many are left out.
fn chart_people(report: &FiguresReport) -> (Vec<&str>, usize) {
    let mut people: Vec<&EmployeeFigures> = report.employees.iter().collect();
    if people.len() > CHART_ROWS {
        people.sort_by(|a, b| {
            let c = |e: &EmployeeFigures| e.plan.completion.unwrap_or(f64::INFINITY);
            c(a).total_cmp(&c(b))
                .then_with(|| a.employee_id.cmp(&b.employee_id))
        });
    }
    let shown: Vec<&str> = people
        .iter()
        .take(CHART_ROWS)
        .map(|e| e.employee_id.as_str())
        .collect();
    let left_out = report.employees.len() - shown.len();
    (shown, left_out)
}

/// A chart's title, with how many people it leaves out.
fn with_left_out(title: String, left_out: usize, words: Words) -> String {
    if left_out == 0 {
        return title;
    }
    let note = words.text("chart-left-out", &[("n", Arg::from(left_out))]);
    format!("{title} · {note}")
}

/// Per manager (those of `shown` in its order, or all), each plan line's
/// completion, for the plan vs actual chart.
pub(in crate::app) fn plan_chart_rows(
    report: &FiguresReport,
    shown: Option<&[&str]>,
    words: Words,
) -> Vec<(String, Vec<(String, f64)>)> {
    let people: Vec<&EmployeeFigures> = match shown {
        Some(ids) => ids
            .iter()
            .filter_map(|id| report.employees.iter().find(|e| e.employee_id == *id))
            .collect(),
        None => report.employees.iter().collect(),
    };
    people
        .into_iter()
        .map(|e| {
            let lines = e
                .plan
                .lines
                .iter()
                .filter_map(|l| l.completion.map(|c| (words.short_figure(&l.figure), c)))
                .collect();
            (short_name(&e.name), lines)
        })
        .collect()
}

/// What the digest's charts need beside the day's figures and calls.
pub(super) struct ChartInputs<'a> {
    pub success_secs: i64,
    /// The team's funnel over its window, and the window in days.
    pub funnel: (&'a Funnel, i64),
    pub words: Words<'a>,
}

/// Draws the digest's charts (off the async runtime's threads).
pub(super) fn draw_charts(
    report: &FiguresReport,
    calls: &[Call],
    team: &TeamConfig,
    inputs: ChartInputs<'_>,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let ChartInputs {
        success_secs,
        funnel: (window_funnel, window_days),
        words,
    } = inputs;
    let tz = team.timezone;
    let day = report.period.first_day;
    let names: HashMap<&str, &str> = report
        .employees
        .iter()
        .map(|e| (e.employee_id.as_str(), e.name.as_str()))
        .collect();
    let day_words = words.day(day);
    let on_day = |id: &str| words.text(id, &[("day", Arg::from(day_words.as_str()))]);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let timed = |name: String, started: std::time::Instant, png: Vec<u8>| {
        tracing::info!(chart = %name, millis = started.elapsed().as_secs_f64() * 1000.0, bytes = png.len(), "chart");
        (name, png)
    };
    let (shown, left_out) = chart_people(report);
    let heat_rows: Vec<(String, HeatRow)> = shown
        .iter()
        .filter_map(|id| report.heat_map.iter().find(|r| r.employee_id == *id))
        .map(|r| {
            (
                short_name(
                    names
                        .get(r.employee_id.as_str())
                        .copied()
                        .unwrap_or(&r.employee_id),
                ),
                r.clone(),
            )
        })
        .collect();
    let first_hour = team.work_start.hour().saturating_sub(1);
    let last_hour = team.work_end.hour().min(23);
    let title = with_left_out(on_day("chart-team-pulse"), left_out, words);
    let t = std::time::Instant::now();
    out.push(timed(
        "heatmap".to_owned(),
        t,
        charts::heat_map_chart(&title, &heat_rows, first_hour, last_hour)?,
    ));
    let title = words.text("chart-team-funnel", &[("days", Arg::from(window_days))]);
    let t = std::time::Instant::now();
    out.push(timed(
        "funnel".to_owned(),
        t,
        charts::funnel_chart(&title, window_funnel, None)?,
    ));
    let plan_rows = plan_chart_rows(report, Some(&shown), words);
    let title = with_left_out(on_day("chart-plan"), left_out, words);
    let t = std::time::Instant::now();
    out.push(timed(
        "plan".to_owned(),
        t,
        charts::plan_chart(&title, &plan_rows)?,
    ));
    // One picture of the team's day: a lane per manager (those the digest
    // flags, worst first, in a large team); their own pulse stays behind
    // `/pulse`.
    let people = swimlane_people(report);
    let lanes: Vec<Lane> = people
        .iter()
        .filter_map(|e| {
            let pulse = e.pulse.iter().find(|p| p.day == day)?;
            Some(Lane {
                name: short_name(&e.name),
                pulse,
                calls: calls
                    .iter()
                    .filter(|c| c.employee_id.as_deref() == Some(e.employee_id.as_str()))
                    .collect(),
            })
        })
        .collect();
    if !lanes.is_empty() {
        let left_out = report.employees.len() - lanes.len();
        let note =
            (left_out > 0).then(|| words.text("chart-left-out", &[("n", Arg::from(left_out))]));
        let title = on_day("chart-team-day");
        let t = std::time::Instant::now();
        let png = swimlane_chart(
            &title,
            note.as_deref(),
            &lanes,
            tz,
            success_secs,
            &pulse_legend(words),
        )?;
        out.push(timed("swimlane".to_owned(), t, png));
    }
    Ok(out)
}
