//! Turns the file as written into a `Config`, collecting every problem with
//! its key instead of stopping at the first.

use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::raw::{OneOrMany, RawConfig};
use super::*;
use crate::domain::{PLAN_FIGURES, Role, StageKind};

#[path = "validate_crm_api.rs"]
mod crm_api;
#[path = "validate_delivery.rs"]
mod delivery;
#[path = "validate_kpi.rs"]
mod kpi;
#[path = "validate_schedules.rs"]
mod schedules;
#[path = "validate_sources.rs"]
mod sources;
#[path = "validate_teams.rs"]
mod teams;
use sources::source;
use teams::team;

#[derive(Default)]
pub(super) struct Issues(Vec<ConfigIssue>);

impl Issues {
    pub(super) fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigIssue {
            key: key.into(),
            message: message.into(),
        });
    }

    /// A required string: present and not blank.
    pub(super) fn required(&mut self, key: &str, value: Option<String>) -> String {
        match value {
            Some(v) if !v.trim().is_empty() => v.trim().to_owned(),
            Some(_) => {
                self.add(key, "is empty (expected a non-empty string)");
                String::new()
            }
            None => {
                self.add(key, "is missing");
                String::new()
            }
        }
    }

    pub(super) fn positive(&mut self, key: &str, value: Option<i64>, default: i64) -> i64 {
        match value {
            None => default,
            Some(v) if v > 0 => v,
            Some(v) => {
                self.add(key, format!("{v} is not a positive whole number"));
                default
            }
        }
    }
}

pub(super) fn timezone(issues: &mut Issues, key: &str, raw: Option<&str>) -> Tz {
    let Some(raw) = raw else {
        issues.add(
            key,
            "is missing (expected an IANA timezone such as \"Europe/Moscow\")",
        );
        return Tz::UTC;
    };
    match raw.parse::<Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            let wanted = raw.trim().to_ascii_lowercase().replace(' ', "_");
            let hint = chrono_tz::TZ_VARIANTS
                .iter()
                .map(|tz| tz.name())
                .find(|name| {
                    let lower = name.to_ascii_lowercase();
                    lower == wanted || lower.rsplit('/').next() == Some(wanted.as_str())
                });
            let hint = match hint {
                Some(name) => format!(" (try \"{name}\")"),
                None => " (expected a name such as \"Europe/Moscow\")".to_owned(),
            };
            issues.add(key, format!("\"{raw}\" is not an IANA timezone{hint}"));
            Tz::UTC
        }
    }
}

pub(super) fn date(issues: &mut Issues, key: &str, raw: &str) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            issues.add(
                key,
                format!("\"{raw}\" is not a date (expected YYYY-MM-DD)"),
            );
            None
        }
    }
}

pub(super) fn env_secret(
    issues: &mut Issues,
    key: &str,
    var: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Secret> {
    let var = var?;
    match env(&var) {
        Some(value) if !value.is_empty() => Some(Secret::new(value)),
        _ => {
            issues.add(
                key,
                format!("names the env var {var}, which is not set (export it before starting)"),
            );
            None
        }
    }
}

pub(super) fn validate(
    raw: RawConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, Vec<ConfigIssue>> {
    let mut issues = Issues::default();

    let database_url = env(DATABASE_URL_ENV)
        .or(raw.database_url)
        .unwrap_or_else(|| "sqlite://salespulse.db".to_owned());
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        issues.add(
            "database_url",
            format!(
                "\"{}\" is not a database URL (expected sqlite://FILE or postgres://USER@HOST/DB)",
                redact_url(&database_url)
            ),
        );
    }

    let d = Thresholds::default();
    let t = raw.thresholds;
    let thresholds = Thresholds {
        success_talk_secs: issues.positive(
            "thresholds.success_talk_secs",
            t.success_talk_secs,
            d.success_talk_secs,
        ),
        idle_gap_mins: issues.positive(
            "thresholds.idle_gap_mins",
            t.idle_gap_mins,
            d.idle_gap_mins,
        ),
        trace_window_mins: issues.positive(
            "thresholds.trace_window_mins",
            t.trace_window_mins,
            d.trace_window_mins,
        ),
        weak_comment_min_chars: issues.positive(
            "thresholds.weak_comment_min_chars",
            t.weak_comment_min_chars,
            d.weak_comment_min_chars as i64,
        ) as usize,
        weak_comment_phrases: t
            .weak_comment_phrases
            .map(|p| p.into_iter().map(|s| s.trim().to_lowercase()).collect())
            .unwrap_or(d.weak_comment_phrases),
        stuck_after_days: issues.positive(
            "thresholds.stuck_after_days",
            t.stuck_after_days,
            d.stuck_after_days,
        ),
        self_report_tolerance_pct: match t.self_report_tolerance_pct {
            None => d.self_report_tolerance_pct,
            Some(p) if (0.0..=100.0).contains(&p) => p,
            Some(p) => {
                issues.add(
                    "thresholds.self_report_tolerance_pct",
                    format!("{p} is not a percentage (expected 0 to 100)"),
                );
                d.self_report_tolerance_pct
            }
        },
        self_report_tolerance_min: issues.positive(
            "thresholds.self_report_tolerance_min",
            t.self_report_tolerance_min,
            d.self_report_tolerance_min,
        ),
    };

    let teams: Vec<TeamConfig> = raw
        .teams
        .into_iter()
        .enumerate()
        .map(|(i, t)| team(&mut issues, i, t))
        .collect();
    if teams.is_empty() {
        issues.add(
            "teams",
            "is empty (expected at least one [[teams]] with an id and a timezone)",
        );
    }
    let mut seen = HashSet::new();
    for (i, t) in teams.iter().enumerate() {
        if !t.id.is_empty() && !seen.insert(t.id.clone()) {
            issues.add(
                format!("teams[{i}].id"),
                format!(
                    "\"{}\" is used by an earlier team (ids must be unique)",
                    t.id
                ),
            );
        }
    }

    let mut employees = Vec::new();
    let mut employee_ids = HashSet::new();
    let mut claimed: HashMap<(String, String), String> = HashMap::new();
    for (i, e) in raw.employees.into_iter().enumerate() {
        let key = |k: &str| format!("employees[{i}].{k}");
        let id = issues.required(&key("id"), e.id);
        if !id.is_empty() && !employee_ids.insert(id.clone()) {
            issues.add(
                key("id"),
                format!("\"{id}\" is used by an earlier employee (ids must be unique)"),
            );
        }
        let name = e.name.unwrap_or_else(|| id.clone());
        let role = match e.role.as_deref().map(Role::parse) {
            None => Role::Manager,
            Some(Ok(r)) => r,
            Some(Err(err)) => {
                issues.add(key("role"), err.to_string());
                Role::Manager
            }
        };
        let team = issues.required(&key("team"), e.team);
        if !team.is_empty() && !teams.iter().any(|t| t.id == team) {
            let known: Vec<_> = teams.iter().map(|t| t.id.as_str()).collect();
            issues.add(
                key("team"),
                format!(
                    "\"{team}\" is not a team id (expected one of: {})",
                    known.join(", ")
                ),
            );
        }
        let mut source_ids = BTreeMap::new();
        for (src, ids) in e.ids {
            let ids: Vec<String> = match ids {
                OneOrMany::One(v) => vec![v.into_string()],
                OneOrMany::Many(vs) => vs.into_iter().map(|v| v.into_string()).collect(),
            };
            for ext in &ids {
                if let Some(other) = claimed.insert((src.clone(), ext.clone()), id.clone()) {
                    issues.add(
                        format!("employees[{i}].ids.{src}"),
                        format!("\"{ext}\" is already the id of employee \"{other}\" in source {src} (an id maps to one person)"),
                    );
                }
            }
            source_ids.insert(src, ids);
        }
        let position_since = e
            .position_since
            .as_deref()
            .and_then(|d| date(&mut issues, &format!("employees[{i}].position_since"), d));
        if position_since.is_some() != e.previous_position.is_some() {
            issues.add(
                format!("employees[{i}].previous_position"),
                "goes with position_since (expected both: the position held before, and the day the current one began)",
            );
        }
        employees.push(EmployeeConfig {
            id,
            name,
            role,
            position: e.position,
            position_since,
            previous_position: e.previous_position,
            team,
            telegram_id: e.telegram_id,
            telegram_username: e
                .telegram_username
                .map(|u| u.trim_start_matches('@').to_owned()),
            email: e.email.inspect(|address| {
                delivery::address(&mut issues, &format!("employees[{i}].email"), address)
            }),
            source_ids,
        });
    }

    let mut stages = Vec::new();
    let mut stage_ids = HashSet::new();
    for (i, s) in raw.stages.into_iter().enumerate() {
        let key = |k: &str| format!("stages[{i}].{k}");
        let id = issues.required(&key("id"), s.id);
        if !id.is_empty() && !stage_ids.insert(id.clone()) {
            issues.add(
                key("id"),
                format!("\"{id}\" is used by an earlier stage (ids must be unique)"),
            );
        }
        let kind = match s.kind.as_deref().map(StageKind::parse) {
            None => StageKind::Open,
            Some(Ok(k)) => k,
            Some(Err(err)) => {
                issues.add(key("kind"), err.to_string());
                StageKind::Open
            }
        };
        stages.push(StageConfig {
            name: s.name.unwrap_or_else(|| id.clone()),
            id,
            kind,
            stuck_after_days: issues.positive(
                &key("stuck_after_days"),
                s.stuck_after_days,
                thresholds.stuck_after_days,
            ),
            crm_ids: s.crm_ids.into_iter().map(|v| v.into_string()).collect(),
        });
    }
    // A CRM stage id maps to one of our stages, never two.
    let mut crm_stage_of: std::collections::HashMap<&str, &str> = Default::default();
    for (i, stage) in stages.iter().enumerate() {
        for (j, crm_id) in stage.crm_ids.iter().enumerate() {
            if let Some(first) = crm_stage_of.insert(crm_id, &stage.id)
                && first != stage.id
            {
                issues.add(
                    format!("stages[{i}].crm_ids[{j}]"),
                    format!("\"{crm_id}\" is already a crm_id of stage \"{first}\" (a CRM stage maps to one stage)"),
                );
            }
        }
    }

    let mut plans = Vec::new();
    for (i, p) in raw.plans.into_iter().enumerate() {
        let key = |k: &str| format!("plans[{i}].{k}");
        let target = match (p.role, p.employee) {
            (Some(role), None) => match Role::parse(&role) {
                Ok(r) => Some(PlanTarget::Role(r)),
                Err(err) => {
                    issues.add(key("role"), err.to_string());
                    None
                }
            },
            (None, Some(e)) => {
                if !employee_ids.contains(&e) {
                    issues.add(key("employee"), format!("\"{e}\" is not an employee id"));
                }
                Some(PlanTarget::Employee(e))
            }
            _ => {
                issues.add(
                    format!("plans[{i}]"),
                    "needs exactly one of role = \"manager\" or employee = \"ID\"",
                );
                None
            }
        };
        let from = p
            .from
            .as_deref()
            .and_then(|d| date(&mut issues, &key("from"), d));
        for (figure, target) in &p.daily {
            if !PLAN_FIGURES.contains(&figure.as_str()) {
                issues.add(
                    format!("plans[{i}].daily.{figure}"),
                    format!(
                        "is not a figure (expected one of: {})",
                        PLAN_FIGURES.join(", ")
                    ),
                );
            } else if !target.is_finite() || *target < 0.0 {
                issues.add(
                    format!("plans[{i}].daily.{figure}"),
                    format!("{target} is not a non-negative number"),
                );
            }
        }
        let ramp = match (p.ramp_start_pct, p.ramp_step_pct, p.ramp_every_days) {
            (None, None, None) => None,
            (Some(start), Some(step), Some(every)) => {
                if from.is_none() {
                    issues.add(key("from"), "is missing (a ramp rises from this date)");
                }
                if !(0.0..=100.0).contains(&start) || !(0.0..=100.0).contains(&step) || every < 1 {
                    issues.add(
                        format!("plans[{i}]"),
                        "ramp_start_pct and ramp_step_pct must be 0 to 100, ramp_every_days at least 1",
                    );
                }
                Some(Ramp {
                    start: start / 100.0,
                    step: step / 100.0,
                    every_days: every,
                })
            }
            _ => {
                issues.add(
                    format!("plans[{i}]"),
                    "a ramp needs all of ramp_start_pct, ramp_step_pct and ramp_every_days",
                );
                None
            }
        };
        for (name, value) in [
            ("monthly_revenue", p.monthly_revenue),
            ("monthly_deals_won", p.monthly_deals_won),
        ] {
            if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                issues.add(key(name), "is not a non-negative number");
            }
        }
        if let Some(target) = target {
            plans.push(PlanConfig {
                target,
                from,
                daily: p.daily,
                ramp,
                monthly_revenue: p.monthly_revenue,
                monthly_deals_won: p.monthly_deals_won,
            });
        }
    }

    let sources: Vec<SourceConfig> = raw
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, s)| source(&mut issues, i, s, env))
        .collect();
    let mut names = HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        if !s.name.is_empty() && !names.insert(s.name.clone()) {
            issues.add(
                format!("sources[{i}].name"),
                format!(
                    "\"{}\" is used by an earlier source (names must be unique)",
                    s.name
                ),
            );
        }
    }
    for (i, e) in employees.iter().enumerate() {
        for src in e.source_ids.keys() {
            if !names.contains(src) {
                issues.add(
                    format!("employees[{i}].ids.{src}"),
                    format!(
                        "\"{src}\" is not a source name (expected one of: {})",
                        sources
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }

    let has_telegram = raw.telegram.is_some();
    let telegram = raw
        .telegram
        .and_then(|t| delivery::telegram(&mut issues, t, env));
    let email = raw.email.map(|e| delivery::email(&mut issues, e, env));

    let mut hidden_from_managers = Vec::new();
    for (i, group) in raw.visibility.hide_from_managers.iter().enumerate() {
        match FigureGroup::parse(group) {
            Some(g) if !hidden_from_managers.contains(&g) => hidden_from_managers.push(g),
            Some(_) => {}
            None => issues.add(
                format!("visibility.hide_from_managers[{i}]"),
                format!(
                    "\"{group}\" is not a figure group (expected one of: {})",
                    FigureGroup::ALL.map(FigureGroup::name).join(", ")
                ),
            ),
        }
    }

    if let Some(dir) = &raw.templates_dir
        && !dir.is_dir()
    {
        issues.add(
            "templates_dir",
            format!(
                "{} is not a folder (expected one laid out like report-templates/)",
                dir.display()
            ),
        );
    }

    let kpi = kpi::kpi(&mut issues, raw.kpi);
    // With KPI schemes, a position none of them names is a typing error.
    if !kpi.schemes.is_empty() {
        let known: std::collections::BTreeSet<&str> =
            kpi.schemes.iter().map(|s| s.position.as_str()).collect();
        for (i, e) in employees.iter().enumerate() {
            for (k, p) in [
                ("position", &e.position),
                ("previous_position", &e.previous_position),
            ] {
                if let Some(p) = p
                    && !known.contains(p.as_str())
                {
                    issues.add(
                        format!("employees[{i}].{k}"),
                        format!(
                            "\"{p}\" is not a position of any [[kpi.schemes]] (known: {})",
                            known.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
        }
    }
    let schedules = schedules::schedules(
        &mut issues,
        raw.schedules,
        &schedules::Known {
            teams: &teams,
            employees: &employees,
            sources: &sources,
            telegram: has_telegram,
            email: email.as_ref(),
        },
    );

    let serve = delivery::serve(&mut issues, raw.serve.unwrap_or_default());

    if issues.0.is_empty() {
        Ok(Config {
            kpi,
            schedules,
            serve,
            templates_dir: raw.templates_dir,
            hidden_from_managers,
            database_url: Secret::new(database_url),
            thresholds,
            teams,
            employees,
            stages,
            plans,
            sources,
            telegram,
            email,
        })
    } else {
        Err(issues.0)
    }
}
