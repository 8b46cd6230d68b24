//! The call pulse (METRICS.md, section 2): one person's day of calls on a
//! time line. Active zones, idle gaps inside working hours, the share of the
//! shift spent in active zones, wrap-up time between calls, the peak hour.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::telephony::is_successful;
use super::{Figure, RecordKind, RecordRef, Rule, Unit, human_duration, median};
use crate::calendar::local_to_utc;
use crate::domain::{Call, Direction};

/// A stretch of time on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub figures: Vec<Figure>,
    /// The day's calls on the line that have a recording, in time order.
    pub recordings: Vec<PulseRecording>,
}

/// A call on the pulse line with a link to its recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    let gap_list = p
        .idle_gaps
        .iter()
        .map(|g| {
            format!(
                "{}-{} ({})",
                local_hm(g.start, tz),
                local_hm(g.end, tz),
                human_duration(g.seconds())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let idle_total = p.idle_total_secs;
    [
        Figure {
            key: "idle_gaps",
            value: p.idle_gaps.len() as f64,
            unit: Unit::Count,
            rule: format!(
                "idle gaps = pauses over {} inside {}-{}: {} totalling {}{}",
                human_duration(rules.idle_gap_secs),
                rules.work_start.format("%H:%M"),
                rules.work_end.format("%H:%M"),
                p.idle_gaps.len(),
                human_duration(idle_total),
                if gap_list.is_empty() {
                    String::new()
                } else {
                    format!(": {gap_list}")
                }
            )
            .into(),
            records: Vec::new(),
        },
        Figure {
            key: "idle_total",
            value: idle_total as f64,
            unit: Unit::Seconds,
            rule: format!("idle total = {}", human_duration(idle_total)).into(),
            records: Vec::new(),
        },
        Figure {
            key: "longest_idle",
            value: p.longest_idle.map(|g| g.seconds()).unwrap_or(0) as f64,
            unit: Unit::Seconds,
            rule: Rule::from(match p.longest_idle {
                Some(g) => format!(
                    "longest idle gap = {} ({}-{})",
                    human_duration(g.seconds()),
                    local_hm(g.start, tz),
                    local_hm(g.end, tz)
                ),
                None => "longest idle gap: none".to_owned(),
            }),
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
        rule: format!(
            "share of the shift in calls = {} in {} active zones / {} of working hours = {:.0} %",
            human_duration(seconds_in_zones(&p.active_zones, work)),
            p.active_zones.len(),
            human_duration(work.seconds()),
            p.share_in_calls * 100.0
        )
        .into(),
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

/// The median wrap-ups after unsuccessful and after successful calls.
fn wrapup_figures(p: &DayPulse) -> [Figure; 2] {
    [
        Figure {
            key: "wrapup_after_unsuccessful",
            value: p.wrapup_unsuccessful_median.unwrap_or(0.0),
            unit: Unit::Seconds,
            rule: Rule::from(match p.wrapup_unsuccessful_median {
                Some(m) => format!(
                    "median wrap-up after an unsuccessful call = {m:.0} s over {} pauses",
                    p.wrapups_after_unsuccessful.len()
                ),
                None => "wrap-up after unsuccessful calls: none inside active zones".to_owned(),
            }),
            records: Vec::new(),
        },
        Figure {
            key: "wrapup_after_successful",
            value: p.wrapup_successful_median.unwrap_or(0.0),
            unit: Unit::Seconds,
            rule: Rule::from(match p.wrapup_successful_median {
                Some(m) => format!(
                    "median wrap-up after a successful call = {m:.0} s over {} pauses",
                    p.wrapups_after_successful.len()
                ),
                None => "wrap-up after successful calls: none inside active zones".to_owned(),
            }),
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
            rule: Rule::from(match p.peak_hour {
                Some(h) => format!(
                    "peak hour = {h:02}:00-{:02}:00 with {peak_calls} calls",
                    h + 1
                ),
                None => "peak hour: no calls".to_owned(),
            }),
            records: Vec::new(),
        },
        Figure {
            key: "utilisation",
            value: p.utilisation.unwrap_or(0.0),
            unit: Unit::Ratio,
            rule: Rule::from(match p.utilisation {
                Some(u) => format!(
                    "utilisation = {} calls / potential ({peak_calls} in the peak hour x {work_hours} working hours = {potential}) = {:.0} %",
                    p.calls,
                    u * 100.0
                ),
                None => "utilisation: no calls".to_owned(),
            }),
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

/// Team pulse: per person, calls and talk minutes by clock hour (team time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatRow {
    pub employee_id: String,
    pub calls: [u32; 24],
    pub talk_minutes: [f64; 24],
}

pub fn heat_map<'a>(
    people: impl IntoIterator<Item = (&'a str, &'a [Call])>,
    tz: Tz,
) -> Vec<HeatRow> {
    people
        .into_iter()
        .map(|(id, calls)| {
            let mut row = HeatRow {
                employee_id: id.to_owned(),
                calls: [0; 24],
                talk_minutes: [0.0; 24],
            };
            for c in calls.iter().filter(|c| c.direction != Direction::Internal) {
                let h = c.started_at.with_timezone(&tz).hour() as usize;
                row.calls[h] += 1;
                row.talk_minutes[h] += c.talk_seconds as f64 / 60.0;
            }
            row
        })
        .collect()
}
