//! The team's funnel over a rolling window up to a day
//! (`[thresholds] funnel_window_days`, 30 by default): conversion needs more
//! than one day of moves, so the morning digest shows the last month's.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::figures::{self, FiguresError};
use crate::config::{Config, TeamConfig};
use crate::metrics::funnel::Funnel;
use crate::storage::Store;

/// The team's funnel over the `days` days that end on `last`, as of `now`:
/// the sum of its managers' days in the daily roll-up.
pub async fn team_funnel_over(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    last: NaiveDate,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Funnel, FiguresError> {
    let first = last - Duration::days(days.max(1) - 1);
    figures::team_funnel(store, config, team, first, last, now).await
}
