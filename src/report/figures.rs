//! Every figure of a scope (one person or a team) over a period: loads the
//! records once, then computes per person off the async runtime.
//! The file is over 600 lines: loading the scope and computing each part
//! of a person's figures are short steps that share one set of types.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::slices::{PersonRecords, Slices};
use crate::calendar::{day_range, local_day};
use crate::config::{Config, EmployeeConfig, TeamConfig};
use crate::domain::{ActivityKind, Call, Deal, Role, StageKind};
use crate::metrics::funnel::{Bottleneck, Funnel, bottleneck, funnel, open_deals_funnel};
use crate::metrics::hygiene::{CrmRecords, Hygiene, HygieneRules, hygiene};
use crate::metrics::plan::{PlanResult, plan_vs_actual};
use crate::metrics::pulse::{DayPulse, HeatRow, PulseRules, day_pulse, heat_map};
use crate::metrics::telephony::{Telephony, telephony};
use crate::metrics::{Figure, RecordKind, RecordRef};
use crate::storage::{Dataset, ScopeQuery, Store};

/// The version of the JSON schema below; bumped on any incompatible change.
pub const SCHEMA: &str = "salespulse.figures/1";

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
    Loaded(Dataset),
    /// Only the team's open deals per stage.
    OpenDeals(Vec<crate::storage::OpenDeals>),
}

/// Loads and computes every figure of the scope for the days `[first, last]`.
/// For one person, the team's funnel holds only its open deals per stage
/// (what their bottleneck is measured against); see [`build_with`].
pub async fn build(
    store: &Store,
    config: &Config,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<FiguresReport, FiguresError> {
    build_with(
        store,
        config,
        scope,
        first,
        last,
        now,
        TeamFunnel::OpenDeals,
    )
    .await
}

/// [`build`], choosing how much of the team's funnel a person's report carries.
pub async fn build_with(
    store: &Store,
    config: &Config,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    team_funnel: TeamFunnel,
) -> Result<FiguresReport, FiguresError> {
    if last < first {
        return Err(FiguresError::BadPeriod(first, last));
    }
    let (team, people): (&TeamConfig, Vec<EmployeeConfig>) = match scope {
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
    };
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
    let query = ScopeQuery {
        employees: people.iter().map(|e| e.id.clone()).collect(),
        from,
        to,
        now,
        success_secs: config.thresholds.success_talk_secs,
        trace_window_secs: config.thresholds.trace_window_mins * 60,
        open_stages: open_stages.clone(),
    };
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
            employees: team_people,
            ..query.clone()
        };
        TeamBasis::Loaded(store.load_scope(&q).await?)
    } else {
        TeamBasis::OpenDeals(
            store
                .open_deals_by_stage(&team_people, &open_stages, now)
                .await?,
        )
    };
    let config = config.clone();
    let team = team.clone();
    tokio::task::spawn_blocking(move || {
        compute(
            &config,
            &team,
            people,
            data,
            team_basis,
            Window {
                first,
                last,
                from,
                to,
                now,
            },
            open_stages,
        )
    })
    .await
    .map_err(|e| FiguresError::Compute(e.to_string()))
}

/// The days and instants a computation covers.
#[derive(Debug, Clone, Copy)]
struct Window {
    first: NaiveDate,
    last: NaiveDate,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Window {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.from && t < self.to
    }
}

/// Each person's calls, by employee id.
fn calls_by_employee(data: &Dataset) -> HashMap<&str, Vec<Call>> {
    let mut calls_of: HashMap<&str, Vec<Call>> = HashMap::new();
    for c in &data.calls {
        if let Some(e) = &c.employee_id {
            calls_of.entry(e.as_str()).or_default().push(c.clone());
        }
    }
    calls_of
}

/// The team's funnel: from its records, or only its open deals per stage.
fn team_funnel(
    config: &Config,
    team: &TeamConfig,
    data: &Dataset,
    team_basis: &TeamBasis,
    w: Window,
) -> Funnel {
    let team_source = match team_basis {
        TeamBasis::Loaded(d) => d,
        TeamBasis::Same => data,
        TeamBasis::OpenDeals(counts) => {
            return open_deals_funnel(
                &config.stages,
                counts.iter().map(|c| {
                    (
                        c.stage.as_str(),
                        usize::try_from(c.deals).unwrap_or(0),
                        c.amount_minor,
                    )
                }),
                w.from,
                w.to,
                w.now,
            );
        }
    };
    let team_ids: HashSet<&str> = config
        .employees
        .iter()
        .filter(|p| p.team == team.id)
        .map(|p| p.id.as_str())
        .collect();
    let team_deal_refs: Vec<&Deal> = team_source
        .deals
        .iter()
        .filter(|d| {
            d.employee_id
                .as_deref()
                .is_some_and(|e| team_ids.contains(e))
        })
        .collect();
    funnel(
        &team_deal_refs,
        &team_source.stage_changes,
        &config.stages,
        w.from,
        w.to,
        w.now,
    )
}

/// Proposals, meetings and emails a person logged in the CRM in the period.
fn activity_figures(records: &PersonRecords, employee_id: &str, w: Window) -> Vec<Figure> {
    let activity = |kind: ActivityKind, key: &'static str, label: &str| {
        let found: Vec<RecordRef> = records
            .activities
            .iter()
            .filter(|a| {
                a.kind == kind && a.employee_id.as_deref() == Some(employee_id) && w.contains(a.at)
            })
            .map(|a| RecordRef {
                kind: RecordKind::Activity,
                source: a.source.clone(),
                id: a.external_id.to_string(),
            })
            .collect();
        Figure::count(
            key,
            format!(
                "{label} = {kind} activities logged in the CRM = {}",
                found.len()
            ),
            found,
        )
    };
    vec![
        activity(ActivityKind::Proposal, "proposals", "proposals sent"),
        activity(ActivityKind::Meeting, "meetings", "meetings"),
        activity(ActivityKind::Email, "emails", "emails"),
    ]
}

/// The actual values a plan is held against, by figure key.
fn plan_actuals(
    tel: &Telephony,
    activities: &[Figure],
    hyg: &Hygiene,
    fun: &Funnel,
) -> BTreeMap<String, f64> {
    let mut actuals: BTreeMap<String, f64> = BTreeMap::new();
    for f in tel
        .all()
        .into_iter()
        .chain(activities.iter())
        .chain(hyg.all())
    {
        actuals.insert(f.key.to_owned(), f.value);
    }
    actuals.insert("talk_minutes".into(), tel.talk_time.value / 60.0);
    actuals.insert("deals_won".into(), fun.won.value);
    actuals
}

/// What every person's figures are computed with.
struct Computation<'a> {
    config: &'a Config,
    team: &'a TeamConfig,
    data: &'a Dataset,
    slices: Slices<'a>,
    calls_of: &'a HashMap<&'a str, Vec<Call>>,
    hygiene_rules: HygieneRules<'a>,
    pulse_rules: PulseRules,
    days: Vec<NaiveDate>,
    team_funnel: &'a Funnel,
    w: Window,
}

impl Computation<'_> {
    /// The person's calls in the period.
    fn calls(&self, id: &str) -> &[Call] {
        self.calls_of.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    /// A pulse for each working day, and each other day with calls.
    fn pulse(&self, calls: &[Call]) -> Vec<DayPulse> {
        let tz = self.team.timezone;
        self.days
            .iter()
            .filter(|d| {
                self.team.is_working_day(**d)
                    || calls.iter().any(|c| local_day(tz, c.started_at) == **d)
            })
            .map(|d| {
                let of_day: Vec<Call> = calls
                    .iter()
                    .filter(|c| local_day(tz, c.started_at) == *d)
                    .cloned()
                    .collect();
                day_pulse(*d, &of_day, &self.pulse_rules)
            })
            .collect()
    }

    /// Every figure of one person.
    fn person(&self, person: &EmployeeConfig) -> EmployeeFigures {
        let (config, w) = (self.config, self.w);
        let calls = self.calls(&person.id);
        let records = self.slices.person(&person.id, calls);
        let tel = telephony(
            calls,
            &self.data.numbers,
            config.thresholds.success_talk_secs,
        );
        let activities = activity_figures(&records, &person.id, w);
        let crm = CrmRecords {
            deals: &records.deals,
            stage_changes: &records.stage_changes,
            tasks: &records.tasks,
            postponements: &records.postponements,
            activities: &records.activities,
            comments: &records.comments,
        };
        let hyg = hygiene(
            &person.id,
            calls,
            crm,
            w.from,
            w.to,
            w.now,
            &self.hygiene_rules,
        );
        let my_deals: Vec<&Deal> = records
            .deals
            .iter()
            .filter(|d| d.employee_id.as_deref() == Some(person.id.as_str()))
            .collect();
        let fun = funnel(
            &my_deals,
            &records.stage_changes,
            &config.stages,
            w.from,
            w.to,
            w.now,
        );
        let neck = bottleneck(&fun, self.team_funnel);
        let plan = plan_vs_actual(
            &config.plans,
            &person.id,
            person.role,
            self.team,
            w.first,
            w.last,
            &plan_actuals(&tel, &activities, &hyg, &fun),
            fun.revenue.value as i64,
            fun.won.records.len(),
        );
        EmployeeFigures {
            employee_id: person.id.clone(),
            name: person.name.clone(),
            role: person.role,
            telephony: tel,
            activities,
            plan,
            pulse: self.pulse(calls),
            hygiene: hyg,
            funnel: fun,
            bottleneck: neck,
        }
    }
}

fn compute(
    config: &Config,
    team: &TeamConfig,
    people: Vec<EmployeeConfig>,
    data: Dataset,
    team_basis: TeamBasis,
    w: Window,
    open_stages: Vec<String>,
) -> FiguresReport {
    let th = &config.thresholds;
    let tz = team.timezone;
    let calls_of = calls_by_employee(&data);
    let team_funnel = team_funnel(config, team, &data, &team_basis, w);
    let computation = Computation {
        config,
        team,
        data: &data,
        slices: Slices::new(&data),
        calls_of: &calls_of,
        hygiene_rules: HygieneRules {
            success_secs: th.success_talk_secs,
            trace_window_secs: th.trace_window_mins * 60,
            weak_comment_min_chars: th.weak_comment_min_chars,
            weak_comment_phrases: &th.weak_comment_phrases,
            open_stages: &open_stages,
            postponement_lookback_days: crate::storage::POSTPONEMENT_LOOKBACK_DAYS,
        },
        pulse_rules: PulseRules {
            timezone: tz,
            work_start: team.work_start,
            work_end: team.work_end,
            idle_gap_secs: th.idle_gap_mins * 60,
            success_secs: th.success_talk_secs,
        },
        days: w.first.iter_days().take_while(|d| *d <= w.last).collect(),
        team_funnel: &team_funnel,
        w,
    };
    let employees: Vec<EmployeeFigures> = people.iter().map(|p| computation.person(p)).collect();
    let heat = heat_map(
        people
            .iter()
            .map(|p| (p.id.as_str(), computation.calls(&p.id))),
        tz,
    );
    drop(computation);
    FiguresReport {
        schema: SCHEMA,
        team: team.id.clone(),
        team_name: team.name.clone(),
        period: Period {
            first_day: w.first,
            last_day: w.last,
            timezone: tz.name().to_owned(),
            from: w.from,
            to: w.to,
        },
        now: w.now,
        employees,
        team_funnel,
        heat_map: heat,
    }
}
