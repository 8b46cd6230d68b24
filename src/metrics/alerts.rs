//! Intraday alerts: what is going wrong while it can still be saved, as
//! pure functions of the day's calls, the team's calendar and "now". A
//! scheduler tick or a pull asks again with a later "now"; each answer is
//! keyed (rule, who or which number, day, occurrence) so it is sent once.
//!
//! - `missed_callback`: an inbound call nobody answered, not called back
//!   (an outbound call to the number, or a later answered inbound call from
//!   it) within the rule's minutes; a call missed outside working hours is
//!   due that many minutes after the next working hours begin.
//! - `no_calls_by`: by a local time of a working day, a manager has made
//!   fewer outbound calls than the rule asks.
//! - `idle_now`: within working hours, no call for longer than the rule
//!   allows (a lunch window aside).
//! - `trace_backlog`: successful calls about a deal today whose trace
//!   window has passed without a CRM trace, at least the rule's number.
//! - `plan_pace`: from a local time of a working day until its end, the
//!   activity plan's completion against the targets due so far (pro rata
//!   to the working hours passed) below the rule's per cent.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Serialize;

use crate::config::TeamConfig;
use crate::domain::{Call, Direction};
use crate::metrics::hygiene::{CrmRecords, HygieneRules, untraced_calls};
use crate::metrics::plan::{PlanResult, PlanStatus};

/// What became of a missed call at "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Callback {
    /// Not called back yet, and not due yet.
    Waiting,
    /// Called back in time: no alert.
    InTime { after_secs: i64 },
    /// Due and not called back: the alert.
    Overdue,
    /// Called back after it was due: the alert, answered by an edit.
    Late { after_secs: i64 },
}

impl Callback {
    /// Whether an alert is (or was) owed for it.
    pub fn alerts(self) -> bool {
        matches!(self, Callback::Overdue | Callback::Late { .. })
    }
}

/// Calls missed from one number before a call back: one occurrence, one
/// alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissedCallback {
    pub number: String,
    /// The first missed call of the occurrence.
    pub source: String,
    pub call_id: String,
    pub missed_at: DateTime<Utc>,
    /// How many calls from the number were missed before the call back.
    pub missed: usize,
    /// When the call back was due.
    pub due_at: DateTime<Utc>,
    /// The manager whose extension rang, when the source names one.
    pub rang: Option<String>,
    pub callback: Callback,
}

/// When a call back of a call missed at `at` is due: `within` after it
/// inside working hours; else `within` after the next working hours begin.
pub fn callback_due(team: &TeamConfig, at: DateTime<Utc>, within: Duration) -> DateTime<Utc> {
    let local = at.with_timezone(&team.timezone).naive_local();
    let mut day = local.date();
    // A year of days off would be a calendar mistake: then `within` after
    // the call.
    for _ in 0..370 {
        if team.is_working_day(day) {
            let start = day.and_time(team.work_start);
            if local < start {
                return crate::calendar::local_to_utc(team.timezone, start) + within;
            }
            if local < day.and_time(team.work_end) {
                return at + within;
            }
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    at + within
}

/// The missed calls of `calls` (any order; the calls of the day, and the
/// day before for calls missed after hours) and what became of each at
/// `now`. Calls that start after `now` are not known yet.
pub fn missed_callbacks(
    calls: &[Call],
    team: &TeamConfig,
    within: Duration,
    now: DateTime<Utc>,
) -> Vec<MissedCallback> {
    let mut known: Vec<&Call> = calls.iter().filter(|c| c.started_at <= now).collect();
    known.sort_by(|a, b| {
        (a.started_at, a.external_id.as_str()).cmp(&(b.started_at, b.external_id.as_str()))
    });
    let mut out: Vec<MissedCallback> = Vec::new();
    // The open occurrence of each number: its index in `out`.
    let mut open: HashMap<&str, usize> = HashMap::new();
    for call in known {
        let number = call.number.as_str();
        if number.is_empty() || call.direction == Direction::Internal {
            continue;
        }
        let missed = call.direction == Direction::Inbound && !call.is_connected();
        if missed {
            match open.get(number) {
                Some(&i) => out[i].missed += 1,
                None => {
                    open.insert(number, out.len());
                    out.push(MissedCallback {
                        number: number.to_owned(),
                        source: call.source.clone(),
                        call_id: call.external_id.to_string(),
                        missed_at: call.started_at,
                        missed: 1,
                        due_at: callback_due(team, call.started_at, within),
                        rang: call.employee_id.clone(),
                        callback: Callback::Waiting,
                    });
                }
            }
            continue;
        }
        // An outbound call to the number, or an answered call from it.
        if let Some(i) = open.remove(number) {
            let m = &mut out[i];
            let back = match call.direction {
                Direction::Inbound => call.answered_at.unwrap_or(call.started_at),
                _ => call.started_at,
            };
            let after_secs = (back - m.missed_at).num_seconds().max(0);
            m.callback = if back <= m.due_at {
                Callback::InTime { after_secs }
            } else {
                Callback::Late { after_secs }
            };
        }
    }
    for &i in open.values() {
        if now >= out[i].due_at {
            out[i].callback = Callback::Overdue;
        }
    }
    out
}

/// A manager short of outbound calls by a time of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FewCalls {
    pub employee_id: String,
    pub made: usize,
    pub wanted: usize,
}

/// `no_calls_by`: at or after `at` (local) on a working day, the managers
/// of `people` with fewer than `min_calls` outbound calls that day. Before
/// `at`, or on a day off, nobody.
pub fn few_calls_by(
    calls: &[Call],
    team: &TeamConfig,
    people: &[&str],
    at: NaiveTime,
    min_calls: usize,
    now: DateTime<Utc>,
) -> Vec<FewCalls> {
    let local = now.with_timezone(&team.timezone).naive_local();
    let day = local.date();
    if !team.is_working_day(day) || local.time() < at {
        return Vec::new();
    }
    let (from, _) = crate::calendar::day_range(team.timezone, day);
    let by = crate::calendar::local_to_utc(team.timezone, day.and_time(at));
    let mut made_by: HashMap<&str, usize> = HashMap::new();
    for c in calls
        .iter()
        .filter(|c| c.direction == Direction::Outbound && c.started_at >= from && c.started_at < by)
    {
        if let Some(e) = c.employee_id.as_deref() {
            *made_by.entry(e).or_default() += 1;
        }
    }
    people
        .iter()
        .filter_map(|p| {
            let made = made_by.get(p).copied().unwrap_or(0);
            (made < min_calls).then(|| FewCalls {
                employee_id: (*p).to_owned(),
                made,
                wanted: min_calls,
            })
        })
        .collect()
}

/// A manager without a call for too long, now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdleNow {
    pub employee_id: String,
    /// Since when: the end of their last call, or the start of working
    /// hours (or of the lunch window's end) when later.
    pub since: DateTime<Utc>,
    pub idle_secs: i64,
}

/// `idle_now`: within working hours of a working day, the managers of
/// `people` whose last call ended more than `idle` ago (counted from the
/// start of working hours, and from the end of `lunch` when it fell
/// inside). Nobody during the lunch window.
pub fn idle_now(
    calls: &[Call],
    team: &TeamConfig,
    people: &[&str],
    idle: Duration,
    lunch: Option<(NaiveTime, NaiveTime)>,
    now: DateTime<Utc>,
) -> Vec<IdleNow> {
    let tz = team.timezone;
    let local = now.with_timezone(&tz).naive_local();
    let day = local.date();
    let t = local.time();
    if !team.is_working_day(day) || t < team.work_start || t >= team.work_end {
        return Vec::new();
    }
    if lunch.is_some_and(|(a, b)| t >= a && t < b) {
        return Vec::new();
    }
    let start = crate::calendar::local_to_utc(tz, day.and_time(team.work_start));
    let after_lunch = lunch
        .map(|(_, b)| crate::calendar::local_to_utc(tz, day.and_time(b)))
        .filter(|b| *b <= now);
    // Each person's last call end (as of now), in one pass.
    let mut last_end: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for c in calls.iter().filter(|c| c.started_at <= now) {
        if let Some(e) = c.employee_id.as_deref() {
            let end = c.ended_at.min(now);
            let t = last_end.entry(e).or_insert(end);
            *t = (*t).max(end);
        }
    }
    people
        .iter()
        .filter_map(|p| {
            let last = last_end.get(p).copied();
            let mut since = last.map_or(start, |l| l.max(start));
            if let Some(b) = after_lunch {
                since = since.max(b);
            }
            let idle_secs = (now - since).num_seconds();
            (idle_secs > idle.num_seconds()).then(|| IdleNow {
                employee_id: (*p).to_owned(),
                since,
                idle_secs,
            })
        })
        .collect()
}

/// A manager's calls left without a CRM trace today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backlog {
    pub employee_id: String,
    /// Successful calls about a deal whose trace window has passed.
    pub about_deals: usize,
    /// Of those, the ones without a trace: the alert's number.
    pub untraced: usize,
    /// Their ids, oldest first.
    pub call_ids: Vec<String>,
}

/// `trace_backlog` for one person: of `calls` (theirs, today), those whose
/// trace window has passed by `now`, judged as `calls_without_trace` judges
/// them over `crm` (their records and anyone's on their deals). `None`
/// below `min_calls`.
pub fn trace_backlog(
    employee_id: &str,
    calls: &[Call],
    crm: &CrmRecords<'_>,
    rules: &HygieneRules<'_>,
    min_calls: usize,
    now: DateTime<Utc>,
) -> Option<Backlog> {
    let window = Duration::seconds(rules.trace_window_secs);
    let settled: Vec<Call> = calls
        .iter()
        .filter(|c| c.ended_at + window <= now)
        .cloned()
        .collect();
    let (about, untraced) = untraced_calls(&settled, crm, rules);
    (untraced.len() >= min_calls).then(|| {
        let mut untraced = untraced;
        untraced.sort_by_key(|c| c.started_at);
        Backlog {
            employee_id: employee_id.to_owned(),
            about_deals: about.len(),
            untraced: untraced.len(),
            call_ids: untraced.iter().map(|c| c.external_id.to_string()).collect(),
        }
    })
}

/// A manager behind the plan's pace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pace {
    pub employee_id: String,
    /// The plan's completion against the targets due by now, 0..=1.
    pub completion: f64,
    /// The line furthest behind: figure, actual, target due by now.
    pub worst: Option<(String, f64, f64)>,
}

/// `plan_pace`: from `at` (local) until working hours end on a working
/// day, the people whose plan for the day so far (`plans`, computed with
/// "now": targets pro rata to the working hours passed) is done below
/// `below_pct`. Nobody before `at`, after hours or on a day off; people
/// without a plan are not judged.
pub fn plan_pace(
    plans: &[(&str, &PlanResult)],
    team: &TeamConfig,
    at: NaiveTime,
    below_pct: u32,
    now: DateTime<Utc>,
) -> Vec<Pace> {
    let local = now.with_timezone(&team.timezone).naive_local();
    if !team.is_working_day(local.date()) || local.time() < at || local.time() >= team.work_end {
        return Vec::new();
    }
    let below = f64::from(below_pct) / 100.0;
    plans
        .iter()
        .filter(|(_, p)| p.status != PlanStatus::NoPlan)
        .filter_map(|(who, p)| {
            let completion = p.completion?;
            (completion < below).then(|| Pace {
                employee_id: (*who).to_owned(),
                completion,
                worst: p
                    .lines
                    .iter()
                    .filter_map(|l| l.completion.map(|c| (c, l)))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, l)| (l.figure.clone(), l.actual, l.target)),
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
