//! What the digest tells beside the day's figures: the month's bonuses,
//! the day's missed calls and alerts, a day nothing happened on, sources
//! that stopped.

use chrono::{DateTime, NaiveDate, Utc};

use super::quiet;
use crate::config::Config;
use crate::report::figures::Scope;
use crate::storage::Store;
use crate::words::Words;

/// What the digest tells beside the day's figures: the month's bonuses
/// (`kpi.in_digest`), the missed calls and the alerts of the day, a day
/// nothing happened on, sources that stopped.
pub(super) async fn add_day_notes(
    store: &Store,
    config: &Config,
    (team, day, now): (&crate::config::TeamConfig, NaiveDate, DateTime<Utc>),
    report: &crate::report::figures::FiguresReport,
    words: Words<'_>,
    model: &mut crate::report::digest::Digest,
) -> anyhow::Result<()> {
    if config.kpi.in_digest && !config.kpi.schemes.is_empty() {
        model.kpi = Some(kpi_section(store, config, &team.id, day, now, words).await?);
    }
    model.missed_calls = missed_calls(store, config, team, day, now, words).await?;
    model.alerts_sent = alerts_sent(store, config, team, day, words).await?;
    model.quiet = quiet::quiet_line(store, report, team, words).await?;
    model.stale_sources = quiet::stale_sources(store, config, team, now, words).await?;
    Ok(())
}

/// The digest's bonus section: the month so far, by short names.
async fn kpi_section(
    store: &Store,
    config: &Config,
    team: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
    words: crate::words::Words<'_>,
) -> anyhow::Result<crate::report::kpi::KpiSection> {
    let scope = Scope::Team(team.to_owned());
    let kpi = crate::report::kpi::build(store, config, &scope, day, now, false).await?;
    let mut section = crate::report::kpi::section(&kpi, words);
    for line in &mut section.lines {
        line.name = crate::report::digest::short_name(&line.name);
    }
    Ok(section)
}

/// The day's missed calls and call backs, when the team has a
/// `missed_callback` alert rule (its minutes judge "in time").
async fn missed_calls(
    store: &Store,
    config: &Config,
    team: &crate::config::TeamConfig,
    day: NaiveDate,
    now: DateTime<Utc>,
    words: crate::words::Words<'_>,
) -> anyhow::Result<Option<crate::report::alerts::DayMissed>> {
    let Some(within) = config.callback_within(&team.id) else {
        return Ok(None);
    };
    let at = crate::calendar::day_range(team.timezone, day).1.min(now);
    let calls = crate::app::alerts::team_calls(store, config, team, at).await?;
    Ok(crate::report::alerts::day_missed(
        &calls, team, within, day, at, words,
    ))
}

/// The alerts the team's rules sent on `day`, by rule.
async fn alerts_sent(
    store: &Store,
    config: &Config,
    team: &crate::config::TeamConfig,
    day: NaiveDate,
    words: crate::words::Words<'_>,
) -> anyhow::Result<Vec<crate::report::alerts::RuleCount>> {
    let rules: Vec<&'static str> = config
        .alerts
        .iter()
        .filter(|a| a.team == team.id)
        .map(|a| a.rule.name())
        .collect();
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let slots = store
        .firing_slots_of_day(&format!("alert:{}", team.id), &day.to_string())
        .await?;
    Ok(crate::report::alerts::day_alerts(&slots, &rules, words))
}
