//! `salespulse rollup`: the daily roll-up computed ahead of time. Reports
//! and chat answers compute the days they lack on their own; after a large
//! ingest this takes that wait off the first of them.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

use crate::calendar::local_day;
use crate::config::Config;
use crate::report::figures;
use crate::storage::Store;

/// What the roll-up of one team took.
#[derive(Debug, Clone)]
pub struct Filled {
    pub team: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Person-days computed now.
    pub computed: usize,
    /// Person-days that were stored already.
    pub kept: usize,
    pub seconds: f64,
}

/// The first day of the month before the one holding `day`: what the
/// month's KPI and a month against the one before read.
fn start_of_last_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(1)))
        .unwrap_or(day)
}

/// Computes the days each team (or `only` that one) lacks in
/// `[from, to]`; by default from the first day of last month to today in
/// the team's time.
pub async fn fill(
    store: &Store,
    config: &Config,
    only: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Filled>> {
    if let Some(t) = only
        && config.team(t).is_none()
    {
        anyhow::bail!(
            "no team {t:?} in the config (known: {})",
            config
                .teams
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut out = Vec::new();
    for team in config
        .teams
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.id))
    {
        let today = local_day(team.timezone, now);
        let last = to.unwrap_or(today);
        let first = from.unwrap_or_else(|| start_of_last_month(last));
        let started = std::time::Instant::now();
        let (computed, kept) =
            figures::fill_roll_up(store, config, &team.id, first, last, now).await?;
        out.push(Filled {
            team: team.id.clone(),
            first,
            last,
            computed,
            kept,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_month_starts_on_its_first_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(start_of_last_month(d("2026-11-20")), d("2026-10-01"));
        assert_eq!(start_of_last_month(d("2026-01-31")), d("2025-12-01"));
    }
}
