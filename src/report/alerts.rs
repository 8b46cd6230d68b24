//! Intraday alerts of a team at "now": each rule of `[[alerts]]` run over
//! what it reads (`Inputs`) by `metrics::alerts`, as data (rule id, key,
//! person, values), then worded from the catalog. The key (rule, person or
//! number, day, occurrence) is what makes an alert be sent once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::figures::hygiene_rules;
use super::slices::Slices;
use crate::calendar::local_day;
use crate::config::{AlertConfig, AlertRule, Config, TeamConfig};
use crate::domain::Call;
use crate::metrics::alerts::{self, Callback};
use crate::metrics::open_work::OpenWork;
use crate::metrics::plan::PlanResult;
use crate::storage::Dataset;
use crate::words::{Arg, Words};

/// What a team's rules read at "now" (loaded by `app::alerts`, each part
/// only when a rule reads it).
#[derive(Debug, Default)]
pub struct Inputs {
    /// The team's calls since the last working day began, and the calls
    /// no employee took (a ring group nobody answered).
    pub calls: Vec<Call>,
    /// The owner of the deal of each missed number no extension rang.
    pub deal_owners: HashMap<String, String>,
    /// Today's records of the team's managers (`trace_backlog`).
    pub today: Option<Dataset>,
    /// Each manager's plan for today so far (`plan_pace`).
    pub plans: Vec<(String, PlanResult)>,
}

/// One alert owed at "now".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `missed_callback`, `no_calls_by`, `idle_now`, `trace_backlog`,
    /// `plan_pace`.
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
    TraceBacklog {
        untraced: usize,
        about_deals: usize,
        window_secs: i64,
        call_ids: Vec<String>,
    },
    PlanPace {
        completion: f64,
        /// The line furthest behind: figure, actual, target due by now.
        worst: Option<(String, f64, f64)>,
    },
}

/// The alerts of `team`'s rules at `now`, over `inputs`.
pub fn evaluate(
    config: &Config,
    team: &TeamConfig,
    inputs: &Inputs,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let managers = managers(config, team);
    let mut out = Vec::new();
    for rule in config.alerts.iter().filter(|a| a.team == team.id) {
        out.extend(of_rule(config, rule, team, inputs, &managers, now));
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
    config: &Config,
    rule: &AlertConfig,
    team: &TeamConfig,
    inputs: &Inputs,
    managers: &[&str],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let day = local_day(team.timezone, now);
    let name = rule.rule.name();
    let calls = &inputs.calls;
    let about = |who: &str, occurrence: &str, what: AlertWhat| Alert {
        rule: name,
        key: format!("{name}:{who}:{day}:{occurrence}"),
        employee_id: Some(who.to_owned()),
        what,
    };
    match &rule.rule {
        AlertRule::MissedCallback { within } => missed(inputs, team, *within, name, now),
        AlertRule::NoCallsBy { at, min_calls } => {
            alerts::few_calls_by(calls, team, managers, *at, *min_calls, now)
                .into_iter()
                .map(|f| {
                    let what = AlertWhat::NoCallsBy {
                        made: f.made,
                        wanted: f.wanted,
                    };
                    about(&f.employee_id, &at.format("%H%M").to_string(), what)
                })
                .collect()
        }
        AlertRule::IdleNow { idle, lunch } => {
            alerts::idle_now(calls, team, managers, *idle, *lunch, now)
                .into_iter()
                .map(|i| {
                    let what = AlertWhat::IdleNow {
                        since: i.since,
                        idle_secs: i.idle_secs,
                    };
                    about(&i.employee_id, &i.since.timestamp().to_string(), what)
                })
                .collect()
        }
        AlertRule::TraceBacklog { min_calls } => {
            let Some(data) = &inputs.today else {
                return Vec::new();
            };
            let rules = hygiene_rules(config);
            backlogs(data, managers, &rules, *min_calls, now)
                .into_iter()
                .map(|b| {
                    let what = AlertWhat::TraceBacklog {
                        untraced: b.untraced,
                        about_deals: b.about_deals,
                        window_secs: rules.trace_window_secs,
                        call_ids: b.call_ids,
                    };
                    about(&b.employee_id, "1", what)
                })
                .collect()
        }
        AlertRule::PlanPace { at, below_pct } => {
            let plans: Vec<(&str, &PlanResult)> = inputs
                .plans
                .iter()
                .filter(|(who, _)| managers.contains(&who.as_str()))
                .map(|(who, p)| (who.as_str(), p))
                .collect();
            alerts::plan_pace(&plans, team, *at, *below_pct, now)
                .into_iter()
                .map(|p| {
                    let what = AlertWhat::PlanPace {
                        completion: p.completion,
                        worst: p.worst,
                    };
                    about(&p.employee_id, &at.format("%H%M").to_string(), what)
                })
                .collect()
        }
    }
}

/// `missed_callback`: each missed number's alert, about the manager whose
/// extension rang, else the owner of the number's deal.
fn missed(
    inputs: &Inputs,
    team: &TeamConfig,
    within: chrono::Duration,
    name: &'static str,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    alerts::missed_callbacks(&inputs.calls, team, within, now)
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
            employee_id: m
                .rang
                .clone()
                .or_else(|| inputs.deal_owners.get(&m.number).cloned()),
            what: AlertWhat::MissedCallback {
                number: m.number,
                missed_at: m.missed_at,
                missed: m.missed,
                due_at: m.due_at,
                callback: m.callback,
            },
        })
        .collect()
}

/// `trace_backlog` over today's records: each manager's calls, and the
/// records on their deals.
fn backlogs(
    data: &Dataset,
    managers: &[&str],
    rules: &crate::metrics::hygiene::HygieneRules<'_>,
    min_calls: usize,
    now: DateTime<Utc>,
) -> Vec<alerts::Backlog> {
    let slices = Slices::new(data);
    let open = OpenWork::default();
    let mut by_person: HashMap<&str, Vec<Call>> = HashMap::new();
    for c in &data.calls {
        if let Some(e) = c.employee_id.as_deref() {
            by_person.entry(e).or_default().push(c.clone());
        }
    }
    managers
        .iter()
        .filter_map(|who| {
            let calls = by_person.get(who)?;
            let records = slices.person(who, calls);
            let crm = records.crm(&[], &open);
            alerts::trace_backlog(who, calls, &crm, rules, min_calls, now)
        })
        .collect()
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
            let args = vec![
                ("number", Arg::Text(number.to_owned())),
                ("time", Arg::Text(hm(*missed_at))),
                ("due", Arg::Text(hm(*due_at))),
                ("n", Arg::from(*missed as i64)),
                ("name", Arg::Text(name.to_owned())),
            ];
            let alert = words.text("alert-missed-callback", &args);
            match callback {
                // The alert as it went out, and its answer below it.
                Callback::Late { after_secs } => {
                    let after = Arg::Text(words.duration(*after_secs));
                    let answer = words.text("alert-missed-callback-late", &[("after", after)]);
                    format!("{alert}\n{answer}")
                }
                _ => alert,
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
        AlertWhat::TraceBacklog {
            untraced,
            about_deals,
            window_secs,
            ..
        } => words.text(
            "alert-trace-backlog",
            &[
                ("name", Arg::Text(name.to_owned())),
                ("n", Arg::from(*untraced as i64)),
                ("of", Arg::from(*about_deals as i64)),
                ("window", Arg::Text(words.duration(*window_secs))),
            ],
        ),
        AlertWhat::PlanPace { completion, worst } => {
            let pct = (completion * 100.0).floor() as i64;
            let mut args = vec![
                ("name", Arg::Text(name.to_owned())),
                ("pct", Arg::from(pct)),
            ];
            match worst {
                Some((figure, actual, target)) => {
                    args.push((
                        "figure",
                        Arg::Text(words.text(&format!("figure-{figure}"), &[])),
                    ));
                    args.push(("actual", Arg::from(actual.round() as i64)));
                    args.push(("target", Arg::from(target.round() as i64)));
                    words.text("alert-plan-pace-line", &args)
                }
                None => words.text("alert-plan-pace", &args),
            }
        }
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

/// How many alerts of one rule went out on a day, as the next morning's
/// digest tells them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    /// `no_calls_by`, `idle_now`, …
    pub rule_id: String,
    /// The rule, in the reader's words.
    pub rule: String,
    pub n: usize,
}

/// The figure group an alert rule is about: whom its alerts may be shown
/// to (`[visibility]`).
pub fn rule_group(rule: &str) -> crate::domain::FigureGroup {
    use crate::domain::FigureGroup;
    match rule {
        "idle_now" => FigureGroup::Pulse,
        "trace_backlog" => FigureGroup::Hygiene,
        "plan_pace" => FigureGroup::Plan,
        _ => FigureGroup::Telephony,
    }
}

/// The alerts sent on a day by rule, from the slots of its firings
/// (`rule:subject:day:occurrence`), answers and limit notes aside, in the
/// order of `rules`; `missed_callback` has a line of its own.
pub fn day_alerts(slots: &[String], rules: &[&'static str], words: Words<'_>) -> Vec<RuleCount> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for slot in slots {
        if slot.ends_with(":answered") || slot.ends_with(":limit") {
            continue;
        }
        if let Some((rule, _)) = slot.split_once(':') {
            *counts.entry(rule).or_default() += 1;
        }
    }
    rules
        .iter()
        .filter(|r| **r != "missed_callback")
        .filter_map(|r| {
            let n = counts.get(r).copied().filter(|n| *n > 0)?;
            Some(RuleCount {
                rule_id: (*r).to_owned(),
                rule: words.text(&format!("alert-rule-{r}"), &[]),
                n,
            })
        })
        .collect()
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
