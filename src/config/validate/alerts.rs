//! Validation of `[[alerts]]`: the rule and its thresholds, the team, who
//! gets it, quiet hours. A key that does not belong to the rule is named,
//! not ignored.

use chrono::{Duration, NaiveTime};

use super::super::alerts::*;
use super::super::raw::{RawAlert, RawRecipient};
use super::super::*;
use super::Issues;

/// The rules, as the file names them.
const RULES: &str =
    "\"missed_callback\", \"no_calls_by\", \"idle_now\", \"trace_backlog\" or \"plan_pace\"";

pub(super) fn alerts(
    issues: &mut Issues,
    raw: Vec<RawAlert>,
    teams: &[TeamConfig],
    telegram: bool,
) -> Vec<AlertConfig> {
    let mut out = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        if let Some(alert) = alert(issues, i, a, teams) {
            if !telegram {
                issues.add(
                    format!("alerts[{i}]"),
                    "goes to Telegram chats: add a [telegram] section",
                );
            }
            out.push(alert);
        }
    }
    out
}

fn alert(issues: &mut Issues, i: usize, a: RawAlert, teams: &[TeamConfig]) -> Option<AlertConfig> {
    let key = |k: &str| format!("alerts[{i}].{k}");
    let team = match a.team.as_deref().map(str::trim) {
        None => {
            issues.add(key("team"), "is missing (expected a team id)");
            None
        }
        Some(t) if teams.iter().any(|x| x.id == t) => Some(t.to_owned()),
        Some(t) => {
            issues.add(key("team"), format!("\"{t}\" is not a team id"));
            None
        }
    };
    // Keys that only some rules read.
    let mut unused = |name: &str, set: bool, rule: &str| {
        if set {
            issues.add(key(name), format!("is not read by rule \"{rule}\""));
        }
    };
    let rule = match a.rule.as_deref().map(str::trim) {
        Some(r @ "missed_callback") => {
            unused("at", a.at.is_some(), r);
            unused("min_calls", a.min_calls.is_some(), r);
            unused("idle_mins", a.idle_mins.is_some(), r);
            unused("lunch", a.lunch.is_some(), r);
            unused("below_pct", a.below_pct.is_some(), r);
            let within = issues.positive(&key("within_mins"), a.within_mins, DEFAULT_WITHIN_MINS);
            Some(AlertRule::MissedCallback {
                within: Duration::minutes(within),
            })
        }
        Some(r @ "no_calls_by") => {
            unused("within_mins", a.within_mins.is_some(), r);
            unused("idle_mins", a.idle_mins.is_some(), r);
            unused("lunch", a.lunch.is_some(), r);
            unused("below_pct", a.below_pct.is_some(), r);
            let at = required_time(issues, &key("at"), a.at.as_deref());
            let min_calls = issues.positive(&key("min_calls"), a.min_calls, 1);
            at.map(|at| AlertRule::NoCallsBy {
                at,
                min_calls: usize::try_from(min_calls).unwrap_or(1),
            })
        }
        Some(r @ "idle_now") => {
            unused("within_mins", a.within_mins.is_some(), r);
            unused("at", a.at.is_some(), r);
            unused("min_calls", a.min_calls.is_some(), r);
            unused("below_pct", a.below_pct.is_some(), r);
            let idle = issues.positive(&key("idle_mins"), a.idle_mins, DEFAULT_IDLE_MINS);
            let lunch = a
                .lunch
                .as_deref()
                .and_then(|l| range(issues, &key("lunch"), l));
            Some(AlertRule::IdleNow {
                idle: Duration::minutes(idle),
                lunch,
            })
        }
        Some(r @ "trace_backlog") => {
            unused("within_mins", a.within_mins.is_some(), r);
            unused("at", a.at.is_some(), r);
            unused("idle_mins", a.idle_mins.is_some(), r);
            unused("lunch", a.lunch.is_some(), r);
            unused("below_pct", a.below_pct.is_some(), r);
            let min_calls = issues.positive(&key("min_calls"), a.min_calls, DEFAULT_BACKLOG_CALLS);
            Some(AlertRule::TraceBacklog {
                min_calls: usize::try_from(min_calls).unwrap_or(1),
            })
        }
        Some(r @ "plan_pace") => {
            unused("within_mins", a.within_mins.is_some(), r);
            unused("min_calls", a.min_calls.is_some(), r);
            unused("idle_mins", a.idle_mins.is_some(), r);
            unused("lunch", a.lunch.is_some(), r);
            let at = required_time(issues, &key("at"), a.at.as_deref());
            let below = issues.positive(&key("below_pct"), a.below_pct, DEFAULT_BELOW_PCT);
            if below > 100 {
                issues.add(
                    key("below_pct"),
                    format!("{below} is over 100 (a per cent)"),
                );
            }
            at.map(|at| AlertRule::PlanPace {
                at,
                below_pct: u32::try_from(below.min(100)).unwrap_or(100),
            })
        }
        Some(other) => {
            issues.add(
                key("rule"),
                format!("\"{other}\" is not an alert rule (expected {RULES})"),
            );
            None
        }
        None => {
            issues.add(key("rule"), format!("is missing (expected {RULES})"));
            None
        }
    };
    let to = recipients(issues, &key("to"), a.to);
    let quiet = a
        .quiet_hours
        .as_deref()
        .and_then(|q| range(issues, &key("quiet_hours"), q));
    let max_per_day = issues.positive(
        &key("max_per_day"),
        a.max_per_day,
        i64::from(DEFAULT_MAX_PER_DAY),
    );
    Some(AlertConfig {
        team: team?,
        rule: rule?,
        to,
        quiet,
        max_per_day: u32::try_from(max_per_day).unwrap_or(DEFAULT_MAX_PER_DAY),
    })
}

fn recipients(
    issues: &mut Issues,
    key: &str,
    raw: Option<Vec<RawRecipient>>,
) -> Vec<AlertRecipient> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return vec![AlertRecipient::Heads];
    };
    raw.into_iter()
        .filter_map(|r| match r {
            RawRecipient::Name(n) if n.trim() == "heads" => Some(AlertRecipient::Heads),
            RawRecipient::Name(n) if n.trim() == "manager" => Some(AlertRecipient::Manager),
            RawRecipient::Chat(id) => Some(AlertRecipient::Chat(id)),
            RawRecipient::Name(n) => match n.trim().parse::<i64>() {
                Ok(id) => Some(AlertRecipient::Chat(id)),
                Err(_) => {
                    issues.add(
                        key,
                        format!("\"{n}\" is not a recipient (expected \"heads\", \"manager\" or a Telegram chat id)"),
                    );
                    None
                }
            },
        })
        .collect()
}

/// `"HH:MM"` that the rule cannot go without.
fn required_time(issues: &mut Issues, key: &str, raw: Option<&str>) -> Option<NaiveTime> {
    match raw {
        None => {
            issues.add(key, "is missing (expected a local time such as \"11:00\")");
            None
        }
        Some(t) => time(issues, key, t),
    }
}

/// `"HH:MM"`.
fn time(issues: &mut Issues, key: &str, raw: &str) -> Option<NaiveTime> {
    let parsed = NaiveTime::parse_from_str(raw.trim(), "%H:%M").ok();
    if parsed.is_none() {
        issues.add(
            key,
            format!("\"{raw}\" is not a local time (expected \"11:00\")"),
        );
    }
    parsed
}

/// `"HH:MM-HH:MM"`; quiet hours may run past midnight (`"21:00-09:00"`).
fn range(issues: &mut Issues, key: &str, raw: &str) -> Option<(NaiveTime, NaiveTime)> {
    let parsed = raw.split_once('-').and_then(|(a, b)| {
        let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
        let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
        (a != b).then_some((a, b))
    });
    if parsed.is_none() {
        issues.add(
            key,
            format!("\"{raw}\" is not a range of local times (expected \"13:00-14:00\")"),
        );
    }
    parsed
}
