//! The call pulse (METRICS.md, section 2): one person's day of calls on a
//! time line. Active zones, idle gaps inside working hours, the share of the
//! shift spent in active zones, wrap-up time between calls, the peak hour.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::telephony::is_successful;
use super::{Figure, RecordKind, RecordRef, Rule, Unit, Value, median};
use crate::calendar::local_to_utc;
use crate::domain::{Call, Direction};

/// A stretch of time on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds().max(0)
    }
    fn clip(&self, to: &Span) -> Option<Span> {
        let start = self.start.max(to.start);
        let end = self.end.min(to.end);
        (end > start).then_some(Span { start, end })
    }
}

/// A maximal run of calls with no pause longer than the idle gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveZone {
    pub span: Span,
    pub calls: usize,
}

/// Settings of the pulse: the working hours and thresholds.
#[derive(Debug, Clone, Copy)]
pub struct PulseRules {
    pub timezone: Tz,
    pub work_start: NaiveTime,
    pub work_end: NaiveTime,
    pub idle_gap_secs: i64,
    pub success_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayPulse {
    pub day: NaiveDate,
    pub working_hours: Span,
    pub calls: usize,
    pub first_call: Option<DateTime<Utc>>,
    pub last_call_end: Option<DateTime<Utc>>,
    pub active_zones: Vec<ActiveZone>,
    /// Idle gaps inside working hours, in time order.
    pub idle_gaps: Vec<Span>,
    pub idle_total_secs: i64,
    pub longest_idle: Option<Span>,
    pub share_in_calls: f64,
    /// Wrap-ups inside active zones, in seconds, split by the earlier call.
    pub wrapups_after_unsuccessful: Vec<i64>,
    pub wrapups_after_successful: Vec<i64>,
    pub wrapup_unsuccessful_median: Option<f64>,
    pub wrapup_successful_median: Option<f64>,
    /// The clock hour (team time) with the most calls, and their number.
    pub peak_hour: Option<u32>,
    pub peak_calls: usize,
    pub potential: usize,
    pub utilisation: Option<f64>,
    /// Made again from the fields above when read back (`restored`).
    #[serde(skip_deserializing)]
    pub figures: Vec<Figure>,
    /// The day's calls on the line that have a recording, in time order.
    pub recordings: Vec<PulseRecording>,
}

/// A call on the pulse line with a link to its recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulseRecording {
    pub started_at: DateTime<Utc>,
    /// Its start in team time, `HH:MM`.
    pub local_time: String,
    pub talk_seconds: i64,
    pub successful: bool,
    pub url: String,
}

fn local_hm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// The calls on the line: the external ones, by start and end.
fn call_line(calls: &[Call]) -> Vec<&Call> {
    let mut line: Vec<&Call> = calls
        .iter()
        .filter(|c| c.direction != Direction::Internal)
        .collect();
    line.sort_by_key(|c| (c.started_at, c.ended_at));
    line
}

/// Active zones of a day, and the wrap-ups inside them by the earlier call.
struct Zones {
    zones: Vec<ActiveZone>,
    after_unsuccessful: Vec<i64>,
    after_successful: Vec<i64>,
}

/// Runs of calls with no pause over the idle gap, and the wrap-ups in them.
fn active_zones(line: &[&Call], rules: &PulseRules) -> Zones {
    let idle = Duration::seconds(rules.idle_gap_secs);
    let mut zones: Vec<ActiveZone> = Vec::new();
    let mut after_unsuccessful = Vec::new();
    let mut after_successful = Vec::new();
    let mut previous: Option<&Call> = None;
    for &call in line {
        match zones.last_mut() {
            Some(zone) if call.started_at <= zone.span.end + idle => {
                if let Some(prev) = previous {
                    let wrap = (call.started_at - prev.ended_at).num_seconds().max(0);
                    if is_successful(prev, rules.success_secs) {
                        after_successful.push(wrap);
                    } else {
                        after_unsuccessful.push(wrap);
                    }
                }
                zone.span.end = zone.span.end.max(call.ended_at);
                zone.calls += 1;
            }
            _ => zones.push(ActiveZone {
                span: Span {
                    start: call.started_at,
                    end: call.ended_at,
                },
                calls: 1,
            }),
        }
        // Overlapping calls: the wrap-up runs from the call that ends last.
        previous = match previous {
            Some(p) if p.ended_at > call.ended_at => Some(p),
            _ => Some(call),
        };
    }
    Zones {
        zones,
        after_unsuccessful,
        after_successful,
    }
}

/// Idle gaps: the spaces between zones, and before the first and after
/// the last, inside working hours, longer than the idle threshold.
fn idle_gaps(zones: &[ActiveZone], work: Span, idle_gap_secs: i64) -> Vec<Span> {
    let mut gaps = Vec::new();
    let mut cursor = work.start;
    for zone in zones {
        if let Some(gap) = (Span {
            start: cursor,
            end: zone.span.start,
        })
        .clip(&work)
            && gap.seconds() > idle_gap_secs
        {
            gaps.push(gap);
        }
        cursor = cursor.max(zone.span.end);
    }
    if let Some(gap) = (Span {
        start: cursor,
        end: work.end,
    })
    .clip(&work)
        && gap.seconds() > idle_gap_secs
    {
        gaps.push(gap);
    }
    gaps
}

/// Peak hour: the clock hour with the most calls (the earliest on a tie),
/// and their number.
fn peak_hour(line: &[&Call], tz: Tz) -> (Option<u32>, usize) {
    let mut per_hour = [0usize; 24];
    for call in line {
        per_hour[call.started_at.with_timezone(&tz).hour() as usize] += 1;
    }
    per_hour
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .max_by_key(|(h, n)| (**n, std::cmp::Reverse(*h)))
        .map(|(h, n)| (Some(h as u32), *n))
        .unwrap_or((None, 0))
}

/// Working hours as a whole number of hours.
fn work_hours(work: &Span) -> usize {
    (work.seconds() as f64 / 3600.0).round() as usize
}

/// Seconds of the active zones inside working hours.
fn seconds_in_zones(zones: &[ActiveZone], work: &Span) -> i64 {
    zones
        .iter()
        .filter_map(|z| z.span.clip(work))
        .map(|s| s.seconds())
        .sum()
}

/// The idle gaps, their total and the longest.
fn idle_figures(p: &DayPulse, rules: &PulseRules) -> [Figure; 3] {
    let tz = rules.timezone;
    let gap = |g: &Span| {
        Rule::new("idle_gap")
            .with("from", local_hm(g.start, tz))
            .with("to", local_hm(g.end, tz))
            .with("length", Value::Seconds(g.seconds()))
    };
    let idle_total = p.idle_total_secs;
    [
        Figure {
            key: "idle_gaps",
            value: p.idle_gaps.len() as f64,
            unit: Unit::Count,
            rule: Rule::new("idle_gaps")
                .with("min", Value::Seconds(rules.idle_gap_secs))
                .with("from", rules.work_start.format("%H:%M").to_string())
                .with("to", rules.work_end.format("%H:%M").to_string())
                .with("n", p.idle_gaps.len())
                .with("total", Value::Seconds(idle_total))
                .with("gaps", Value::Rules(p.idle_gaps.iter().map(gap).collect())),
            records: Vec::new(),
        },
        Figure {
            key: "idle_total",
            value: idle_total as f64,
            unit: Unit::Seconds,
            rule: Rule::new("idle_total").with("total", Value::Seconds(idle_total)),
            records: Vec::new(),
        },
        Figure {
            key: "longest_idle",
            value: p.longest_idle.map(|g| g.seconds()).unwrap_or(0) as f64,
            unit: Unit::Seconds,
            rule: match p.longest_idle {
                Some(g) => Rule::new("longest_idle").with("gap", gap(&g)),
                None => Rule::new("longest_idle_none"),
            },
            records: Vec::new(),
        },
    ]
}

/// The share of the shift in active zones, with the day's calls behind it.
fn share_figure(p: &DayPulse, line: &[&Call]) -> Figure {
    let work = &p.working_hours;
    Figure {
        key: "share_in_calls",
        value: p.share_in_calls,
        unit: Unit::Ratio,
        rule: Rule::new("share_in_calls")
            .with(
                "in_zones",
                Value::Seconds(seconds_in_zones(&p.active_zones, work)),
            )
            .with("zones", p.active_zones.len())
            .with("work", Value::Seconds(work.seconds()))
            .with("share", Value::Share(p.share_in_calls)),
        records: line
            .iter()
            .map(|c| RecordRef {
                kind: RecordKind::Call,
                source: c.source.clone(),
                id: c.external_id.to_string(),
            })
            .collect(),
    }
}

/// A median wrap-up over its pauses, or the rule `none` when there were none.
fn wrapup_rule(rule: Rule, none: Rule, median: Option<f64>, pauses: usize) -> Rule {
    match median {
        Some(m) => rule
            .with("median", Value::Seconds(m.round() as i64))
            .with("n", pauses),
        None => none,
    }
}

/// The median wrap-ups after unsuccessful and after successful calls.
fn wrapup_figures(p: &DayPulse) -> [Figure; 2] {
    [
        Figure {
            key: "wrapup_after_unsuccessful",
            value: p.wrapup_unsuccessful_median.unwrap_or(0.0),
            unit: Unit::Seconds,
            rule: wrapup_rule(
                Rule::new("wrapup_after_unsuccessful"),
                Rule::new("wrapup_after_unsuccessful_none"),
                p.wrapup_unsuccessful_median,
                p.wrapups_after_unsuccessful.len(),
            ),
            records: Vec::new(),
        },
        Figure {
            key: "wrapup_after_successful",
            value: p.wrapup_successful_median.unwrap_or(0.0),
            unit: Unit::Seconds,
            rule: wrapup_rule(
                Rule::new("wrapup_after_successful"),
                Rule::new("wrapup_after_successful_none"),
                p.wrapup_successful_median,
                p.wrapups_after_successful.len(),
            ),
            records: Vec::new(),
        },
    ]
}

/// The peak hour and the utilisation of the day against it.
fn peak_figures(p: &DayPulse) -> [Figure; 2] {
    let (peak_calls, potential) = (p.peak_calls, p.potential);
    let work_hours = work_hours(&p.working_hours);
    [
        Figure {
            key: "peak_hour",
            value: p.peak_hour.map(f64::from).unwrap_or(0.0),
            unit: Unit::Count,
            rule: match p.peak_hour {
                Some(h) => Rule::new("peak_hour")
                    .with("from", format!("{h:02}:00"))
                    .with("to", format!("{:02}:00", h + 1))
                    .with("calls", peak_calls),
                None => Rule::new("peak_hour_none"),
            },
            records: Vec::new(),
        },
        Figure {
            key: "utilisation",
            value: p.utilisation.unwrap_or(0.0),
            unit: Unit::Ratio,
            rule: match p.utilisation {
                Some(u) => Rule::new("utilisation")
                    .with("calls", p.calls)
                    .with("peak", peak_calls)
                    .with("hours", work_hours)
                    .with("potential", potential)
                    .with("share", Value::Share(u)),
                None => Rule::new("utilisation_none"),
            },
            records: Vec::new(),
        },
    ]
}

/// The figures of a day's pulse, in report order.
fn pulse_figures(p: &DayPulse, line: &[&Call], rules: &PulseRules) -> Vec<Figure> {
    let mut figures = Vec::with_capacity(8);
    figures.extend(idle_figures(p, rules));
    figures.push(share_figure(p, line));
    figures.extend(wrapup_figures(p));
    figures.extend(peak_figures(p));
    figures
}

/// The day's calls that have a recording, in time order.
fn recordings(line: &[&Call], rules: &PulseRules) -> Vec<PulseRecording> {
    line.iter()
        .filter_map(|c| {
            Some(PulseRecording {
                started_at: c.started_at,
                local_time: local_hm(c.started_at, rules.timezone),
                talk_seconds: c.talk_seconds,
                successful: is_successful(c, rules.success_secs),
                url: c.recording_url.clone()?,
            })
        })
        .collect()
}

/// The pulse of one day. `calls` are that person's calls that started on
/// `day` (team time); internal calls are left out.
pub fn day_pulse(day: NaiveDate, calls: &[Call], rules: &PulseRules) -> DayPulse {
    let tz = rules.timezone;
    let work = Span {
        start: local_to_utc(tz, day.and_time(rules.work_start)),
        end: local_to_utc(tz, day.and_time(rules.work_end)),
    };
    let line = call_line(calls);
    let Zones {
        zones,
        after_unsuccessful,
        after_successful,
    } = active_zones(&line, rules);
    let gaps = idle_gaps(&zones, work, rules.idle_gap_secs);
    let idle_total: i64 = gaps.iter().map(Span::seconds).sum();
    let longest = gaps
        .iter()
        .copied()
        .max_by_key(|g| (g.seconds(), std::cmp::Reverse(g.start)));
    let in_zones = seconds_in_zones(&zones, &work);
    let work_secs = work.seconds();
    let share = if work_secs > 0 {
        in_zones as f64 / work_secs as f64
    } else {
        0.0
    };
    let (peak_hour, peak_calls) = peak_hour(&line, tz);
    let potential = peak_calls * work_hours(&work);
    let utilisation = (potential > 0).then(|| line.len() as f64 / potential as f64);
    let mut pulse = DayPulse {
        day,
        working_hours: work,
        calls: line.len(),
        first_call: line.first().map(|c| c.started_at),
        last_call_end: line.iter().map(|c| c.ended_at).max(),
        active_zones: zones,
        idle_total_secs: idle_total,
        longest_idle: longest,
        idle_gaps: gaps,
        share_in_calls: share,
        wrapup_unsuccessful_median: median(&mut after_unsuccessful.clone()),
        wrapup_successful_median: median(&mut after_successful.clone()),
        wrapups_after_unsuccessful: after_unsuccessful,
        wrapups_after_successful: after_successful,
        peak_hour,
        peak_calls,
        potential,
        utilisation,
        figures: Vec::new(),
        recordings: recordings(&line, rules),
    };
    pulse.figures = pulse_figures(&pulse, &line, rules);
    pulse
}

impl DayPulse {
    /// A day's pulse read back from the daily roll-up, with its figures made
    /// again (without the calls behind them).
    pub fn restored(mut self, rules: &PulseRules) -> Self {
        self.figures = pulse_figures(&self, &[], rules);
        self
    }
}

/// Team pulse: per person, calls and talk minutes by clock hour (team time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatRow {
    pub employee_id: String,
    pub calls: [u32; 24],
    pub talk_minutes: [f64; 24],
}

/// Calls and talk seconds by clock hour: what a heat map row is made of,
/// added up over days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatCounts {
    pub calls: [u32; 24],
    pub talk_secs: [i64; 24],
}

impl HeatCounts {
    /// The external calls of `calls` by the hour they started (team time).
    pub fn of(calls: &[Call], tz: Tz) -> Self {
        let mut h = HeatCounts::default();
        for c in calls.iter().filter(|c| c.direction != Direction::Internal) {
            let hour = c.started_at.with_timezone(&tz).hour() as usize;
            h.calls[hour] += 1;
            h.talk_secs[hour] += c.talk_seconds;
        }
        h
    }

    pub fn add(&mut self, o: &HeatCounts) {
        for i in 0..24 {
            self.calls[i] += o.calls[i];
            self.talk_secs[i] += o.talk_secs[i];
        }
    }

    /// The heat map row of `employee_id`.
    pub fn row(&self, employee_id: &str) -> HeatRow {
        HeatRow {
            employee_id: employee_id.to_owned(),
            calls: self.calls,
            talk_minutes: self.talk_secs.map(|s| s as f64 / 60.0),
        }
    }
}

pub fn heat_map<'a>(
    people: impl IntoIterator<Item = (&'a str, &'a [Call])>,
    tz: Tz,
) -> Vec<HeatRow> {
    people
        .into_iter()
        .map(|(id, calls)| HeatCounts::of(calls, tz).row(id))
        .collect()
}
