//! Every figure of a scope (one person or a team) over a period. Without
//! the records behind them, from the daily roll-up: a period is the sum of
//! its stored days (`rollup.rs`). With them (`/why`, `--with-records`, the
//! KPI drill-down), from the records: loaded once, then computed per
//! person off the async runtime (`compute.rs`).

mod compute;
mod open;
mod rollup;

pub use open::OpenAt;
pub use rollup::{fill as fill_roll_up, settings_version, team_funnel};

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::slices::{PersonRecords, Slices};
use crate::calendar::{day_range, local_day};
use crate::config::{Config, EmployeeConfig, TeamConfig};
use crate::domain::{ActivityKind, Call, Deal, Role, StageKind};
use crate::metrics::funnel::{Bottleneck, Funnel, bottleneck, funnel, open_deals_funnel};
use crate::metrics::hygiene::{Hygiene, HygieneRules, hygiene};
use crate::metrics::plan::{PlanResult, plan_vs_actual};
use crate::metrics::pulse::{DayPulse, HeatRow, PulseRules, day_pulse, heat_map};
use crate::metrics::telephony::{Telephony, telephony};
use crate::metrics::{Figure, RecordKind, RecordRef};
use crate::storage::{Dataset, OpenNow, OpenNowQuery, ScopeQuery, Store};
use compute::{Window, compute};

/// The version of the JSON schema below; bumped on any incompatible change.
pub const SCHEMA: &str = "salespulse.figures/2";

#[derive(Debug, Clone)]
pub enum Scope {
    Employee(String),
    Team(String),
}

#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    #[error("no employee {0:?} in the config (use their id or a unique part of their name)")]
    UnknownEmployee(String),
    #[error("{0:?} matches several employees: {1} (be more specific)")]
    Ambiguous(String, String),
    #[error("no team {0:?} in the config (known: {1})")]
    UnknownTeam(String, String),
    #[error("the period ends ({1}) before it starts ({0})")]
    BadPeriod(NaiveDate, NaiveDate),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("computing figures stopped: {0}")]
    Compute(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub timezone: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployeeFigures {
    pub employee_id: String,
    pub name: String,
    pub role: Role,
    pub telephony: Telephony,
    /// Activities logged in the CRM: proposals, meetings, emails.
    pub activities: Vec<Figure>,
    pub plan: PlanResult,
    pub pulse: Vec<DayPulse>,
    pub hygiene: Hygiene,
    pub funnel: Funnel,
    pub bottleneck: Option<Bottleneck>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FiguresReport {
    pub schema: &'static str,
    pub team: String,
    pub team_name: String,
    pub period: Period,
    pub now: DateTime<Utc>,
    pub employees: Vec<EmployeeFigures>,
    pub team_funnel: Funnel,
    pub heat_map: Vec<HeatRow>,
}

impl FiguresReport {
    /// Drops the record lists behind every figure: the JSON of a month for
    /// hundreds of people is otherwise mostly call ids.
    pub fn without_records(mut self) -> Self {
        for e in &mut self.employees {
            let t = &mut e.telephony;
            for f in [
                &mut t.calls_out,
                &mut t.calls_in,
                &mut t.missed,
                &mut t.connected,
                &mut t.successful_contacts,
                &mut t.talk_time,
                &mut t.talk_mean,
                &mut t.talk_median,
                &mut t.short_calls,
                &mut t.medium_calls,
                &mut t.long_calls,
                &mut t.cold_calls,
                &mut t.warm_calls,
                &mut t.new_client_calls,
                &mut t.existing_client_calls,
            ] {
                f.records.clear();
            }
            let h = &mut e.hygiene;
            for f in [
                &mut h.cards_touched,
                &mut h.overdue_tasks,
                &mut h.oldest_overdue_days,
                &mut h.postponed_without_action,
                &mut h.deals_without_next_task,
                &mut h.open_tasks_per_open_deal,
                &mut h.calls_without_trace,
                &mut h.calls_about_deals,
                &mut h.comments,
                &mut h.weak_comments,
                &mut h.weak_comment_share,
                &mut h.unfinished_tasks,
            ] {
                f.records.clear();
            }
            for f in e
                .activities
                .iter_mut()
                .chain(e.pulse.iter_mut().flat_map(|d| d.figures.iter_mut()))
            {
                f.records.clear();
            }
            for f in [
                &mut e.funnel.won,
                &mut e.funnel.lost,
                &mut e.funnel.revenue,
                &mut e.funnel.stuck_deals,
            ] {
                f.records.clear();
            }
        }
        for f in [
            &mut self.team_funnel.won,
            &mut self.team_funnel.lost,
            &mut self.team_funnel.revenue,
            &mut self.team_funnel.stuck_deals,
        ] {
            f.records.clear();
        }
        self
    }
}

/// The hygiene thresholds of the config.
pub(crate) fn hygiene_rules(config: &Config) -> HygieneRules<'_> {
    let th = &config.thresholds;
    HygieneRules {
        success_secs: th.success_talk_secs,
        trace_window_secs: th.trace_window_mins * 60,
        weak_comment_min_chars: th.weak_comment_min_chars,
        weak_comment_phrases: &th.weak_comment_phrases,
        postponement_lookback_days: crate::storage::POSTPONEMENT_LOOKBACK_DAYS,
    }
}

/// The pulse thresholds of the config, in the team's hours.
fn pulse_rules(config: &Config, team: &TeamConfig) -> PulseRules {
    let th = &config.thresholds;
    PulseRules {
        timezone: team.timezone,
        work_start: team.work_start,
        work_end: team.work_end,
        idle_gap_secs: th.idle_gap_mins * 60,
        success_secs: th.success_talk_secs,
    }
}

/// The load of `employees`' records over `[from, to)`.
pub(crate) fn scope_query(
    config: &Config,
    employees: Vec<String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ScopeQuery {
    ScopeQuery {
        employees,
        from,
        to,
        now,
        success_secs: config.thresholds.success_talk_secs,
        trace_window_secs: config.thresholds.trace_window_mins * 60,
    }
}

/// Finds an employee by id, or by a unique, case-insensitive part of their name.
pub fn find_employee<'c>(
    config: &'c Config,
    who: &str,
) -> Result<&'c EmployeeConfig, FiguresError> {
    if let Some(e) = config.employees.iter().find(|e| e.id == who) {
        return Ok(e);
    }
    let needle = who.trim_start_matches('@').to_lowercase();
    let matches: Vec<&EmployeeConfig> = config
        .employees
        .iter()
        .filter(|e| {
            e.name.to_lowercase().contains(&needle)
                || e.telegram_username
                    .as_deref()
                    .is_some_and(|u| u.to_lowercase() == needle)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(FiguresError::UnknownEmployee(who.to_owned())),
        many => Err(FiguresError::Ambiguous(
            who.to_owned(),
            many.iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// The open stages with the days after which a deal in them is stuck.
pub fn stuck_after(config: &Config) -> Vec<(String, i64)> {
    config
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .map(|s| (s.id.clone(), s.stuck_after_days))
        .collect()
}

/// How much of the team's funnel a person's figures need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamFunnel {
    /// All of it, from the team's records (`report figures` prints it).
    Full,
    /// Only the open deals per stage, counted in the database: the yardstick
    /// of each person's bottleneck. The rest of `team_funnel` stays empty.
    OpenDeals,
}

/// What the team's funnel is computed from.
enum TeamBasis {
    /// The scope is the team: its own records.
    Same,
    /// The team's records, loaded beside the person's.
    Loaded(Box<Dataset>),
    /// Only the team's open deals per stage.
    OpenDeals(Vec<crate::storage::OpenDeals>),
}

/// Loads and computes every figure of the scope for the days `[first, last]`,
/// with the records behind each (what `/why` lists). For one person, the
/// team's funnel holds only its open deals per stage (what their
/// bottleneck is measured against); see [`build_with`].
pub async fn build(
    store: &Store,
    config: &Config,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<FiguresReport, FiguresError> {
    let want = Want {
        team_funnel: TeamFunnel::OpenDeals,
        records: true,
    };
    build_with(store, config, scope, first, last, now, want).await
}

/// [`build`] without the records behind any figure, from the daily
/// roll-up: what reports and tables show. A day's pulse comes with a
/// one-day period only (a longer one's day-by-day pulse is for `report
/// figures`, [`build_with`]).
pub async fn summary(
    store: &Store,
    config: &Config,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<FiguresReport, FiguresError> {
    if last < first {
        return Err(FiguresError::BadPeriod(first, last));
    }
    let pulse = first == last;
    rollup::build(
        store,
        config,
        scope,
        first,
        last,
        now,
        TeamFunnel::OpenDeals,
        pulse,
    )
    .await
}

/// What a report carries beside its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    pub team_funnel: TeamFunnel,
    /// The records behind each figure: computed from the records, not
    /// from the daily roll-up.
    pub records: bool,
}

/// The scope's team and the people whose figures it shows: the person, or
/// the team's managers.
fn scope_people<'c>(
    config: &'c Config,
    scope: &Scope,
) -> Result<(&'c TeamConfig, Vec<EmployeeConfig>), FiguresError> {
    Ok(match scope {
        Scope::Employee(who) => {
            let e = find_employee(config, who)?;
            let team = config
                .team(&e.team)
                .ok_or_else(|| FiguresError::UnknownTeam(e.team.clone(), String::new()))?;
            (team, vec![e.clone()])
        }
        Scope::Team(id) => {
            let team = config.team(id).ok_or_else(|| {
                FiguresError::UnknownTeam(
                    id.clone(),
                    config
                        .teams
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
            let people = config
                .employees
                .iter()
                .filter(|e| e.team == team.id && e.role == Role::Manager)
                .cloned()
                .collect();
            (team, people)
        }
    })
}

/// [`build`], choosing how much of the team's funnel a person's report
/// carries and whether the records behind open work are read.
pub async fn build_with(
    store: &Store,
    config: &Config,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    want: Want,
) -> Result<FiguresReport, FiguresError> {
    let team_funnel = want.team_funnel;
    if last < first {
        return Err(FiguresError::BadPeriod(first, last));
    }
    if !want.records {
        return rollup::build(store, config, scope, first, last, now, team_funnel, true).await;
    }
    let (team, people) = scope_people(config, scope)?;
    let (from, _) = day_range(team.timezone, first);
    let (_, to) = day_range(team.timezone, last);
    let open_stages: Vec<String> = config
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .map(|s| s.id.clone())
        .collect();
    // The team's funnel is the yardstick for each person's bottleneck.
    let team_people: Vec<String> = config
        .employees
        .iter()
        .filter(|e| e.team == team.id && e.role == Role::Manager)
        .map(|e| e.id.clone())
        .collect();
    let query = scope_query(
        config,
        people.iter().map(|e| e.id.clone()).collect(),
        from,
        to,
        now,
    );
    let started = std::time::Instant::now();
    let data = store.load_scope(&query).await?;
    tracing::info!(
        calls = data.calls.len(),
        deals = data.deals.len(),
        stage_changes = data.stage_changes.len(),
        tasks = data.tasks.len(),
        activities = data.activities.len(),
        comments = data.comments.len(),
        seconds = started.elapsed().as_secs_f64(),
        "loaded the scope"
    );
    let team_basis = if team_people.len() == people.len() {
        TeamBasis::Same
    } else if team_funnel == TeamFunnel::Full {
        let q = ScopeQuery {
            employees: team_people.clone(),
            ..query.clone()
        };
        TeamBasis::Loaded(Box::new(store.load_scope(&q).await?))
    } else {
        TeamBasis::OpenDeals(
            store
                .open_deals_by_stage(&team_people, &open_stages, now)
                .await?,
        )
    };
    // What is open now: the people's, and for a team's funnel that of the
    // team's managers (as the yardstick counts it).
    let open_people: Vec<String> = match &team_basis {
        TeamBasis::OpenDeals(_) => query.employees.clone(),
        _ => team_people.clone(),
    };
    let open = store
        .open_now(&OpenNowQuery {
            employees: &open_people,
            open_stages: &stuck_after(config),
            now,
            records: want.records,
        })
        .await?;
    let config = config.clone();
    let team = team.clone();
    tokio::task::spawn_blocking(move || {
        compute(
            &config,
            &team,
            people,
            data,
            team_basis,
            &open,
            Window {
                first,
                last,
                from,
                to,
                now,
            },
        )
    })
    .await
    .map_err(|e| FiguresError::Compute(e.to_string()))
}
