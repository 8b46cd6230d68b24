//! Intraday alerts of a team at "now": each rule of `[[alerts]]` run over
//! the calls by `metrics::alerts`, as data (rule id, key, person, values),
//! then worded from the catalog. The key (rule, person or number, day,
//! occurrence) is what makes an alert be sent once.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calendar::local_day;
use crate::config::{AlertConfig, AlertRule, Config, TeamConfig};
use crate::domain::Call;
use crate::metrics::alerts::{self, Callback};
use crate::words::{Arg, Words};

/// One alert owed at "now".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `missed_callback`, `no_calls_by`, `idle_now`.
    pub rule: &'static str,
    /// Unique per occurrence: rule, person or number, local day (of a
    /// missed call, the day its call back fell due), occurrence.
    pub key: String,
    /// Whom it is about: the manager (or, for a missed call, who should
    /// call back), when known.
    pub employee_id: Option<String>,
    pub what: AlertWhat,
}

/// The values of an alert, by rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum AlertWhat {
    MissedCallback {
        number: String,
        missed_at: DateTime<Utc>,
        missed: usize,
        due_at: DateTime<Utc>,
        callback: Callback,
    },
    NoCallsBy {
        made: usize,
        wanted: usize,
    },
    IdleNow {
        since: DateTime<Utc>,
        idle_secs: i64,
    },
}

/// The alerts of `team`'s rules at `now`, over `calls` (the team's calls
/// since the day before, and calls no employee took).
pub fn evaluate(
    config: &Config,
    team: &TeamConfig,
    calls: &[Call],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let managers = managers(config, team);
    let mut out = Vec::new();
    for rule in config.alerts.iter().filter(|a| a.team == team.id) {
        out.extend(of_rule(rule, team, calls, &managers, now));
    }
    out
}

/// The managers of `team`, whom the rules about people look at.
pub fn managers<'c>(config: &'c Config, team: &TeamConfig) -> Vec<&'c str> {
    config
        .employees
        .iter()
        .filter(|e| e.team == team.id && e.role == crate::domain::Role::Manager)
        .map(|e| e.id.as_str())
        .collect()
}

/// The alerts one rule owes at `now`.
pub fn of_rule(
    rule: &AlertConfig,
    team: &TeamConfig,
    calls: &[Call],
    managers: &[&str],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let day = local_day(team.timezone, now);
    let name = rule.rule.name();
    match &rule.rule {
        AlertRule::MissedCallback { within } => alerts::missed_callbacks(calls, team, *within, now)
            .into_iter()
            .filter(|m| m.callback.alerts())
            .map(|m| Alert {
                rule: name,
                key: format!(
                    "{name}:{}:{}:{}",
                    m.number,
                    local_day(team.timezone, m.due_at),
                    m.call_id
                ),
                employee_id: m.rang.clone(),
                what: AlertWhat::MissedCallback {
                    number: m.number,
                    missed_at: m.missed_at,
                    missed: m.missed,
                    due_at: m.due_at,
                    callback: m.callback,
                },
            })
            .collect(),
        AlertRule::NoCallsBy { at, min_calls } => {
            alerts::few_calls_by(calls, team, managers, *at, *min_calls, now)
                .into_iter()
                .map(|f| Alert {
                    rule: name,
                    key: format!("{name}:{}:{day}:{}", f.employee_id, at.format("%H%M")),
                    employee_id: Some(f.employee_id),
                    what: AlertWhat::NoCallsBy {
                        made: f.made,
                        wanted: f.wanted,
                    },
                })
                .collect()
        }
        AlertRule::IdleNow { idle, lunch } => {
            alerts::idle_now(calls, team, managers, *idle, *lunch, now)
                .into_iter()
                .map(|i| Alert {
                    rule: name,
                    key: format!("{name}:{}:{day}:{}", i.employee_id, i.since.timestamp()),
                    employee_id: Some(i.employee_id),
                    what: AlertWhat::IdleNow {
                        since: i.since,
                        idle_secs: i.idle_secs,
                    },
                })
                .collect()
        }
    }
}

/// One alert in the words of `team`'s readers: about its person by name
/// (the team's, when nobody rang), its number as `shown` gives it (in full
/// or masked, by who reads it).
pub fn worded(
    config: &Config,
    words: Words<'_>,
    team: &TeamConfig,
    alert: &Alert,
    shown: &dyn Fn(&str) -> String,
) -> String {
    let name = alert
        .employee_id
        .as_deref()
        .and_then(|e| config.employee(e))
        .map(|e| e.name.clone())
        .unwrap_or_else(|| words.text("alert-team", &[]));
    let number = match &alert.what {
        AlertWhat::MissedCallback { number, .. } => shown(number),
        _ => String::new(),
    };
    text(alert, words, team, &name, &number)
}

/// One alert in the reader's words: `name` is who it is about (a name, or
/// the team's when nobody rang), `number` the number as the reader may see
/// it (masked for those who are not its owner's head).
pub fn text(
    alert: &Alert,
    words: Words<'_>,
    team: &TeamConfig,
    name: &str,
    number: &str,
) -> String {
    let hm = |t: DateTime<Utc>| t.with_timezone(&team.timezone).format("%H:%M").to_string();
    match &alert.what {
        AlertWhat::MissedCallback {
            missed_at,
            missed,
            due_at,
            callback,
            ..
        } => {
            let mut args = vec![
                ("number", Arg::Text(number.to_owned())),
                ("time", Arg::Text(hm(*missed_at))),
                ("due", Arg::Text(hm(*due_at))),
                ("n", Arg::from(*missed as i64)),
                ("name", Arg::Text(name.to_owned())),
            ];
            match callback {
                Callback::Late { after_secs } => {
                    args.push(("after", Arg::Text(words.duration(*after_secs))));
                    words.text("alert-missed-callback-late", &args)
                }
                _ => words.text("alert-missed-callback", &args),
            }
        }
        AlertWhat::NoCallsBy { made, wanted } => words.text(
            "alert-no-calls-by",
            &[
                ("name", Arg::Text(name.to_owned())),
                ("made", Arg::from(*made as i64)),
                ("wanted", Arg::from(*wanted as i64)),
            ],
        ),
        AlertWhat::IdleNow { since, idle_secs } => words.text(
            "alert-idle-now",
            &[
                ("name", Arg::Text(name.to_owned())),
                ("since", Arg::Text(hm(*since))),
                ("idle", Arg::Text(words.duration(*idle_secs))),
            ],
        ),
    }
}

impl Alert {
    /// The part of the key that names the rule, whom or which number it is
    /// about, and the day: what `max_per_day` counts.
    pub fn day_key(&self) -> &str {
        match self.key.match_indices(':').nth(2) {
            Some((i, _)) => &self.key[..=i],
            None => &self.key,
        }
    }

    /// A missed call called back late: what answers its alert.
    pub fn is_answer(&self) -> bool {
        matches!(
            self.what,
            AlertWhat::MissedCallback {
                callback: Callback::Late { .. },
                ..
            }
        )
    }
}

/// The missed calls whose call back fell due on a day, as the next
/// morning's digest tells them: how many, how many were called back late
/// and never, and the mean time to call back of those called back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayMissed {
    pub missed: usize,
    pub late: usize,
    pub never: usize,
    /// «34 мин», when any was called back.
    pub average: Option<String>,
}

/// The day's missed calls (their call back due on `day`) at `now`, over
/// `calls` (the team's, since the working day before); `None` without any.
pub fn day_missed(
    calls: &[Call],
    team: &TeamConfig,
    within: chrono::Duration,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
    words: Words<'_>,
) -> Option<DayMissed> {
    let of_day: Vec<_> = alerts::missed_callbacks(calls, team, within, now)
        .into_iter()
        .filter(|m| local_day(team.timezone, m.due_at) == day)
        .collect();
    if of_day.is_empty() {
        return None;
    }
    let backs: Vec<i64> = of_day
        .iter()
        .filter_map(|m| match m.callback {
            Callback::InTime { after_secs } | Callback::Late { after_secs } => Some(after_secs),
            _ => None,
        })
        .collect();
    let average = (!backs.is_empty()).then(|| {
        let mean = backs.iter().sum::<i64>() as f64 / backs.len() as f64;
        words.duration(mean.round() as i64)
    });
    Some(DayMissed {
        missed: of_day.len(),
        late: of_day
            .iter()
            .filter(|m| matches!(m.callback, Callback::Late { .. }))
            .count(),
        never: of_day
            .iter()
            .filter(|m| matches!(m.callback, Callback::Overdue | Callback::Waiting))
            .count(),
        average,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Direction;
    use crate::metrics::alerts::tests::{at, call, team};

    #[test]
    fn the_digest_counts_the_days_missed_calls_and_the_mean_call_back() {
        let words = crate::words::Catalog::built_in().words(crate::config::Locale::Ru);
        let (a, b, c) = ("79160000001", "79160000002", "79160000003");
        let calls = vec![
            // Called back in 5 minutes.
            call("1", "m1", Direction::Inbound, a, "2026-12-04 10:00", 0),
            call("2", "m1", Direction::Outbound, a, "2026-12-04 10:05", 60),
            // Called back late, after 35 minutes.
            call("3", "m1", Direction::Inbound, b, "2026-12-04 11:00", 0),
            call("4", "m2", Direction::Outbound, b, "2026-12-04 11:35", 60),
            // Never, though the client rang again after hours (the same
            // occurrence, not a second one).
            call("5", "m2", Direction::Inbound, c, "2026-12-04 12:00", 0),
            call("6", "m2", Direction::Inbound, c, "2026-12-04 19:00", 0),
        ];
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let got = day_missed(
            &calls,
            &team(),
            chrono::Duration::minutes(15),
            day,
            at("2026-12-04 23:00"),
            words,
        );
        assert_eq!(
            got,
            Some(DayMissed {
                missed: 3,
                late: 1,
                never: 1,
                average: Some(words.duration(20 * 60)),
            })
        );
        let quiet = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            day_missed(
                &calls,
                &team(),
                chrono::Duration::minutes(15),
                quiet,
                at("2026-12-04 23:00"),
                words
            ),
            None
        );
    }
}
