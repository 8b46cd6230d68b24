//! The team's funnel over a rolling window up to a day
//! (`[thresholds] funnel_window_days`, 30 by default): conversion needs more
//! than one day of moves, so the morning digest shows the last month's.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::figures::FiguresError;
use crate::calendar::day_range;
use crate::config::{Config, TeamConfig};
use crate::domain::Role;
use crate::metrics::funnel::{Funnel, funnel};
use crate::storage::{OpenNowQuery, ScopeQuery, Store};

/// The team's funnel over the `days` days that end on `last`, as of `now`.
pub async fn team_funnel_over(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    last: NaiveDate,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Funnel, FiguresError> {
    let first = last - Duration::days(days.max(1) - 1);
    let (from, _) = day_range(team.timezone, first);
    let (_, to) = day_range(team.timezone, last);
    let query = ScopeQuery {
        employees: config
            .employees
            .iter()
            .filter(|e| e.team == team.id && e.role == Role::Manager)
            .map(|e| e.id.clone())
            .collect(),
        from,
        to,
        now,
        success_secs: config.thresholds.success_talk_secs,
        trace_window_secs: config.thresholds.trace_window_mins * 60,
    };
    let (deals, changes) = store.load_funnel(&query).await?;
    let open = store
        .open_now(&OpenNowQuery {
            employees: &query.employees,
            open_stages: &super::figures::stuck_after(config),
            now,
            records: false,
        })
        .await?;
    let deals: Vec<_> = deals.iter().collect();
    let open = super::figures::OpenAt::new(&open, config, now);
    let (stages, stuck) = open.all_deals();
    Ok(funnel(&deals, &changes, &config.stages, from, to, now).with_open(stages, stuck))
}
