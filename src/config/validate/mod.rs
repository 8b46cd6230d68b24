//! Turns the file as written into a `Config`, collecting every problem with
//! its key instead of stopping at the first.

use chrono::NaiveDate;
use chrono_tz::Tz;
use std::path::Path;

use super::raw::RawConfig;
use super::*;

mod alerts;
mod crm_api;
mod delivery;
mod employees;
mod kpi;
mod plans;
mod schedules;
mod sources;
mod stages;
mod teams;
mod thresholds;

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

/// Every section in the order of the file's documentation; a later section
/// may name what an earlier one defines.
pub(super) fn validate(
    raw: RawConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, Vec<ConfigIssue>> {
    let mut issues = Issues::default();
    let database_url = database_url(&mut issues, raw.database_url, env);
    let thresholds = thresholds::thresholds(&mut issues, raw.thresholds);
    let teams = teams::teams(&mut issues, raw.teams);
    let employees = employees::employees(&mut issues, raw.employees, &teams);
    let stages = stages::stages(&mut issues, raw.stages, &thresholds);
    let plans = plans::plans(&mut issues, raw.plans, &employees);
    let sources = sources::sources(&mut issues, raw.sources, env);
    employees::source_ids_known(&mut issues, &employees, &sources);

    let has_telegram = raw.telegram.is_some();
    let telegram = raw
        .telegram
        .and_then(|t| delivery::telegram(&mut issues, t, env));
    let email = raw.email.map(|e| delivery::email(&mut issues, e, env));
    let hidden_from_managers =
        hidden_from_managers(&mut issues, &raw.visibility.hide_from_managers);
    templates_dir(&mut issues, raw.templates_dir.as_deref());
    let kpi = kpi::kpi(&mut issues, raw.kpi);
    kpi::positions_known(&mut issues, &kpi, &employees);
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
    let alerts = alerts::alerts(&mut issues, raw.alerts, &teams, has_telegram);
    let serve = delivery::serve(&mut issues, raw.serve.unwrap_or_default());

    if issues.0.is_empty() {
        Ok(Config {
            kpi,
            schedules,
            alerts,
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

/// `database_url` (the env var wins over the file): SQLite or Postgres.
fn database_url(
    issues: &mut Issues,
    raw: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let database_url = env(DATABASE_URL_ENV)
        .or(raw)
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
    database_url
}

/// `[visibility] hide_from_managers`: figure groups, each once.
fn hidden_from_managers(issues: &mut Issues, groups: &[String]) -> Vec<FigureGroup> {
    let mut hidden = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        match FigureGroup::parse(group) {
            Some(g) if !hidden.contains(&g) => hidden.push(g),
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
    hidden
}

/// `templates_dir`, when set, must be a folder.
fn templates_dir(issues: &mut Issues, dir: Option<&Path>) {
    if let Some(dir) = dir
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
}
