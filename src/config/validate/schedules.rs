//! Validation of `[[schedules]]`: the crontab in its timezone, the job and
//! what it names (a team, a source), and that its delivery can reach someone.

use std::collections::HashSet;

use super::super::raw::RawSchedule;
use super::super::*;
use super::{Issues, timezone};
use crate::domain::Role;
use crate::scheduler::Schedule;

/// Grace periods longer than this are refused: a month-old report is news
/// to nobody.
const MAX_GRACE_HOURS: i64 = 30 * 24;

/// What the rest of the config already defines, for the schedules to name.
pub(super) struct Known<'a> {
    pub teams: &'a [TeamConfig],
    pub employees: &'a [EmployeeConfig],
    pub sources: &'a [SourceConfig],
    /// Whether there is a `[telegram]` section (even one with problems of its own).
    pub telegram: bool,
    pub email: Option<&'a EmailConfig>,
}

pub(super) fn schedules(
    issues: &mut Issues,
    raw: Vec<RawSchedule>,
    known: &Known<'_>,
) -> Vec<ScheduleConfig> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, s) in raw.into_iter().enumerate() {
        let name = issues.required(&format!("schedules[{i}].name"), s.name.clone());
        if !name.is_empty() && !names.insert(name.clone()) {
            issues.add(
                format!("schedules[{i}].name"),
                format!("\"{name}\" is used by an earlier schedule (names must be unique)"),
            );
        }
        if let Some(config) = schedule(issues, i, name, s, known) {
            out.push(config);
        }
    }
    out
}

fn schedule(
    issues: &mut Issues,
    i: usize,
    name: String,
    s: RawSchedule,
    known: &Known<'_>,
) -> Option<ScheduleConfig> {
    let key = |k: &str| format!("schedules[{i}].{k}");
    let (job, job_timezone) = match s.job.as_deref().map(str::trim) {
        Some(kind @ ("digest" | "weekly")) => {
            if s.source.is_some() {
                issues.add(
                    key("source"),
                    "is for job = \"pull\" (a report is of a team)",
                );
            }
            let team = team(issues, &key("team"), s.team.as_deref(), known.teams);
            let deliver = deliver(
                issues,
                &key("deliver"),
                kind,
                s.deliver.as_deref(),
                team,
                known,
            );
            match (team, deliver) {
                (Some(team), Some(deliver)) => {
                    let team_id = team.id.clone();
                    let job = if kind == "digest" {
                        ScheduleJob::Digest {
                            team: team_id,
                            deliver,
                        }
                    } else {
                        ScheduleJob::Weekly {
                            team: team_id,
                            deliver,
                        }
                    };
                    (Some(job), team.timezone)
                }
                (team, _) => (None, team.map_or(Tz::UTC, |t| t.timezone)),
            }
        }
        Some("pull") => {
            if s.team.is_some() {
                issues.add(
                    key("team"),
                    "is for digest and weekly (a pull runs in `timezone`, else the first team's)",
                );
            }
            if s.deliver.is_some() {
                issues.add(
                    key("deliver"),
                    "is for digest and weekly (a pull delivers nothing)",
                );
            }
            let source = source(issues, &key("source"), s.source, known.sources);
            let first_team = known.teams.first().map_or(Tz::UTC, |t| t.timezone);
            (
                source.map(|source| ScheduleJob::Pull { source }),
                first_team,
            )
        }
        Some("cards") => cards(issues, &key, &s, known),
        other => {
            let found = match other {
                None => "is missing".to_owned(),
                Some(other) => format!("\"{other}\" is not a job"),
            };
            issues.add(
                key("job"),
                format!("{found} (expected \"digest\", \"weekly\", \"cards\" or \"pull\")"),
            );
            (None, Tz::UTC)
        }
    };
    let tz = match s.timezone.as_deref() {
        Some(raw) => timezone(issues, &key("timezone"), Some(raw)),
        None => job_timezone,
    };
    let grace_hours = match s.grace_hours {
        None => DEFAULT_GRACE_HOURS,
        Some(h) if (1..=MAX_GRACE_HOURS).contains(&h) => h,
        Some(h) => {
            issues.add(
                key("grace_hours"),
                format!("{h} is not a number of hours from 1 to {MAX_GRACE_HOURS}"),
            );
            DEFAULT_GRACE_HOURS
        }
    };
    let schedule = match s.cron.as_deref() {
        None => {
            issues.add(
                key("cron"),
                "is missing (expected 5-field cron such as \"0 9 * * 1-5\": 09:00 Monday to Friday)",
            );
            None
        }
        Some(text) => Schedule::parse(text, tz)
            .map_err(|e| issues.add(key("cron"), e.to_string()))
            .ok(),
    };
    Some(ScheduleConfig {
        name,
        schedule: schedule?,
        job: job?,
        grace: chrono::Duration::hours(grace_hours),
    })
}

/// The team a report is of: the one named, or the only one.
fn team<'a>(
    issues: &mut Issues,
    key: &str,
    raw: Option<&str>,
    teams: &'a [TeamConfig],
) -> Option<&'a TeamConfig> {
    let ids = || {
        teams
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match raw {
        Some(id) => {
            let found = teams.iter().find(|t| t.id == id.trim());
            if found.is_none() {
                issues.add(
                    key,
                    format!("\"{id}\" is not a team id (expected one of: {})", ids()),
                );
            }
            found
        }
        None if teams.len() > 1 => {
            issues.add(
                key,
                format!(
                    "is missing (there are several teams: {}; name the one whose report this is)",
                    ids()
                ),
            );
            None
        }
        // No team at all is reported at `teams`.
        None => teams.first(),
    }
}

fn source(
    issues: &mut Issues,
    key: &str,
    raw: Option<String>,
    sources: &[SourceConfig],
) -> Option<String> {
    let names = || {
        let names: Vec<_> = sources.iter().map(|s| s.name.as_str()).collect();
        if names.is_empty() {
            "none is configured: add a [[sources]] entry".to_owned()
        } else {
            format!("expected one of: {}", names.join(", "))
        }
    };
    match raw {
        None => {
            issues.add(key, format!("is missing (the source to pull; {})", names()));
            None
        }
        Some(name) if sources.iter().any(|s| s.name == name.trim()) => Some(name.trim().to_owned()),
        Some(name) => {
            issues.add(
                key,
                format!("\"{name}\" is not a source name ({})", names()),
            );
            None
        }
    }
}

/// Where a report goes, and whether anyone is there to get it.
fn deliver(
    issues: &mut Issues,
    key: &str,
    kind: &str,
    raw: Option<&str>,
    team: Option<&TeamConfig>,
    known: &Known<'_>,
) -> Option<Delivery> {
    let allowed = Delivery::of_job(kind);
    let expected = allowed
        .iter()
        .map(|d| format!("\"{}\"", d.name()))
        .collect::<Vec<_>>()
        .join(" or ");
    let parsed = match raw.map(str::trim) {
        None => {
            issues.add(key, format!("is missing (expected {expected})"));
            return None;
        }
        Some(name) => match allowed.iter().find(|d| d.name() == name) {
            Some(d) => *d,
            None => {
                issues.add(
                    key,
                    format!(
                        "\"{name}\" is not a delivery of job = \"{kind}\" (expected {expected})"
                    ),
                );
                return None;
            }
        },
    };
    // Whether a head of the team has the address `has` looks for.
    let a_head = |team: &TeamConfig, has: fn(&EmployeeConfig) -> bool| {
        known
            .employees
            .iter()
            .any(|e| e.team == team.id && e.role == Role::Head && has(e))
    };
    match (&parsed, team) {
        (Delivery::Telegram, _) if !known.telegram => issues.add(
            key,
            "\"telegram\" needs a [telegram] section (token_env), or deliver = \"file\"",
        ),
        (Delivery::Telegram, Some(team))
            if team.telegram_chat_id.is_none() && !a_head(team, |e| e.telegram_id.is_some()) =>
        {
            issues.add(
                key,
                format!(
                    "nobody of team {} gets the digest in Telegram: give a head of the team a telegram_id, or the team a telegram_chat_id",
                    team.id
                ),
            )
        }
        (Delivery::Email, _) if known.email.is_none() => issues.add(
            key,
            "\"email\" needs an [email] section (smtp_host, from), or deliver = \"file\"",
        ),
        (Delivery::Email, Some(team)) => {
            let listed = known.email.is_some_and(|e| !e.to.is_empty());
            let owners = known
                .employees
                .iter()
                .any(|e| e.role == Role::Owner && e.email.is_some());
            if !listed && !owners && !a_head(team, |e| e.email.is_some()) {
                issues.add(
                    key,
                    format!(
                        "nobody gets team {}'s weekly email: set email.to, or give an owner or a head of the team an email",
                        team.id
                    ),
                );
            }
        }
        _ => {}
    }
    Some(parsed)
}

/// `job = "cards"`: a team; Telegram is where they go.
fn cards(
    issues: &mut Issues,
    key: &dyn Fn(&str) -> String,
    s: &RawSchedule,
    known: &Known<'_>,
) -> (Option<ScheduleJob>, Tz) {
    if s.source.is_some() {
        issues.add(key("source"), "is for job = \"pull\" (cards are of a team)");
    }
    if s.deliver.as_deref().is_some_and(|d| d.trim() != "telegram") {
        issues.add(
            key("deliver"),
            "cards go to each manager's Telegram chat: leave it out, or \"telegram\"",
        );
    }
    if !known.telegram {
        issues.add(key("job"), "cards go to Telegram: add a [telegram] section");
    }
    let team = team(issues, &key("team"), s.team.as_deref(), known.teams);
    (
        team.map(|t| ScheduleJob::Cards { team: t.id.clone() }),
        team.map_or(Tz::UTC, |t| t.timezone),
    )
}
