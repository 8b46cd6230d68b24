//! Figures from the daily roll-up: each person's days are computed once
//! from their records (`metrics::day::DayTally` and the day's pulse),
//! stored (`storage::day_figures`), and a period is made from the sum of
//! its days. Days missing from the store, or computed under other
//! settings, are computed a week at a time from the records and stored
//! before the answer. Records behind the figures are never read here:
//! `/why`, `--with-records` and the KPI drill-down take the raw path
//! (`compute.rs`), and a test holds both equal.

use super::compute::{self, Families, Window, activity_counts, activity_figures_of};
use super::open::OpenAt;
use super::*;
use crate::metrics::day::DayTally;
use crate::metrics::funnel::FunnelTally;
use crate::metrics::hygiene::HygieneTally;
use crate::metrics::open_work::OpenWork;
use crate::metrics::pulse::HeatCounts;
use crate::metrics::telephony::CallTally;
use crate::storage::{CellParts, DayCell, OpenDeals, OpenNow};

/// Days, and people, computed from one load of records when the roll-up
/// lacks them: a week of a hundred people loads in well under a second and
/// holds a bounded amount of memory.
const FILL_DAYS: usize = 7;
const FILL_PEOPLE: usize = 100;

/// The format of a stored day; bumped when `DayTally` or `DayPulse`
/// change shape or meaning.
const CELL_FORMAT: &str = "1";

/// The settings a stored day of `team` was computed under: the cell
/// format and a hash of the thresholds, stages and the team's calendar
/// and hours. A day stored under another version is computed again.
pub fn settings_version(config: &Config, team: &TeamConfig) -> String {
    let settings = format!("{:?}|{:?}|{:?}", config.thresholds, config.stages, team);
    // FNV-1a: the same on every machine and every run.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in settings.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{CELL_FORMAT}-{h:016x}")
}

/// One person's day, computed.
pub(super) struct Cell {
    employee_id: String,
    day: NaiveDate,
    tally: DayTally,
    pulse: Option<DayPulse>,
}

/// Every day of `days` of each of `people`, from the records of those days
/// (`data`, loaded for the span of `days`).
pub(super) fn compute_cells(
    config: &Config,
    team: &TeamConfig,
    people: &[EmployeeConfig],
    data: &Dataset,
    days: &[NaiveDate],
) -> Vec<Cell> {
    let tz = team.timezone;
    let success = config.thresholds.success_talk_secs;
    let rules = hygiene_rules(config);
    let pulses = pulse_rules(config, team);
    let slices = Slices::new(data);
    let no_open = OpenWork::default();
    let mut calls_of: HashMap<&str, Vec<Call>> = HashMap::new();
    for c in &data.calls {
        if let Some(e) = &c.employee_id {
            calls_of.entry(e.as_str()).or_default().push(c.clone());
        }
    }
    let mut cells = Vec::with_capacity(people.len() * days.len());
    for person in people {
        let calls = calls_of.remove(person.id.as_str()).unwrap_or_default();
        let records = slices.person(&person.id, &calls);
        // A move looks back at the person's calls before it, on any day.
        let earlier: Vec<Call> = records
            .earlier_calls
            .iter()
            .chain(calls.iter())
            .cloned()
            .collect();
        let my_deals: Vec<&Deal> = records
            .deals
            .iter()
            .filter(|d| d.employee_id.as_deref() == Some(person.id.as_str()))
            .collect();
        let mut by_day: BTreeMap<NaiveDate, Vec<Call>> = BTreeMap::new();
        for c in &calls {
            by_day
                .entry(local_day(tz, c.started_at))
                .or_default()
                .push(c.clone());
        }
        for &day in days {
            let (from, to) = day_range(tz, day);
            let day_calls = by_day.remove(&day).unwrap_or_default();
            let w = Window {
                first: day,
                last: day,
                from,
                to,
                now: to,
            };
            let crm = records.crm(&earlier, &no_open);
            let pulse = (team.is_working_day(day) || !day_calls.is_empty())
                .then(|| day_pulse(day, &day_calls, &pulses));
            let tally = DayTally {
                calls: CallTally::of(&day_calls, &data.numbers, success),
                activities: activity_counts(&records, &person.id, w),
                hygiene: HygieneTally::of(&person.id, &day_calls, crm, from, to, &rules),
                funnel: FunnelTally::of(
                    &my_deals,
                    &records.stage_changes,
                    &config.stages,
                    from,
                    to,
                ),
                heat: HeatCounts::of(&day_calls, tz),
            };
            cells.push(Cell {
                employee_id: person.id.clone(),
                day,
                tally,
                pulse,
            });
        }
    }
    cells
}

impl Cell {
    fn stored(&self, tz: chrono_tz::Tz) -> Result<DayCell, FiguresError> {
        let (starts_at, ends_at) = day_range(tz, self.day);
        let json = |e: serde_json::Error| FiguresError::Compute(e.to_string());
        Ok(DayCell {
            employee_id: self.employee_id.clone(),
            day: self.day,
            starts_at,
            ends_at,
            tally: Some(serde_json::to_string(&self.tally).map_err(json)?),
            funnel: Some(serde_json::to_string(&self.tally.funnel).map_err(json)?),
            pulse: self
                .pulse
                .as_ref()
                .map(|p| {
                    // The figures are made again when read back.
                    let mut p = p.clone();
                    p.figures.clear();
                    serde_json::to_string(&p)
                })
                .transpose()
                .map_err(json)?,
        })
    }

    /// A stored day, with the parts it was read with.
    fn read(c: DayCell, rules: &PulseRules) -> Result<Cell, FiguresError> {
        let bad = |e: serde_json::Error| {
            FiguresError::Compute(format!(
                "the daily roll-up of {} on {} cannot be read: {e}",
                c.employee_id, c.day
            ))
        };
        let mut tally: DayTally = match &c.tally {
            Some(t) => serde_json::from_str(t).map_err(bad)?,
            None => DayTally::default(),
        };
        if let Some(f) = &c.funnel {
            tally.funnel = serde_json::from_str(f).map_err(bad)?;
        }
        Ok(Cell {
            tally,
            pulse: c
                .pulse
                .as_deref()
                .map(serde_json::from_str::<DayPulse>)
                .transpose()
                .map_err(bad)?
                .map(|p| p.restored(rules)),
            employee_id: c.employee_id,
            day: c.day,
        })
    }
}

/// Each person's days added up as they are read, so that a month of a
/// large team is never held day by day.
#[derive(Default)]
struct Sums {
    people: HashMap<String, Summed>,
}

impl Sums {
    fn add(&mut self, c: Cell) {
        let s = self.people.entry(c.employee_id).or_default();
        s.tally.add(&c.tally);
        s.pulse.extend(c.pulse);
    }

    /// The sums, each person's pulses in day order.
    fn done(mut self) -> HashMap<String, Summed> {
        for s in self.people.values_mut() {
            s.pulse.sort_by_key(|p| p.day);
        }
        self.people
    }
}

/// The days of `[first, last]` of `people` from the roll-up, added up per
/// person, computing and storing those it lacks; with the parts asked for.
/// Also says how many days were computed and how many were stored.
#[allow(clippy::too_many_arguments)]
async fn cells(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    people: &[EmployeeConfig],
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    parts: CellParts,
) -> Result<(HashMap<String, Summed>, usize, usize), FiguresError> {
    // Records this process wrote outside a run change days too.
    store.forget_dirty_days().await?;
    let version = settings_version(config, team);
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    let rules = pulse_rules(config, team);
    let stored = store.day_cells(&ids, first, last, &version, parts).await?;
    let mut have: HashSet<(String, NaiveDate)> = HashSet::with_capacity(stored.len());
    let mut sums = Sums::default();
    for c in stored {
        have.insert((c.employee_id.clone(), c.day));
        sums.add(Cell::read(c, &rules)?);
    }
    let kept = have.len();
    // Only the days someone lacks are computed, a week of them at a time.
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| people.iter().any(|p| !have.contains(&(p.id.clone(), *d))))
        .collect();
    let mut computed = 0;
    for chunk in days.chunks(FILL_DAYS) {
        let lacking: Vec<EmployeeConfig> = people
            .iter()
            .filter(|p| chunk.iter().any(|d| !have.contains(&(p.id.clone(), *d))))
            .cloned()
            .collect();
        for group in lacking.chunks(FILL_PEOPLE) {
            let fresh = compute_and_store(store, config, team, group, chunk, &have, now).await?;
            computed += fresh.len();
            // Filling ahead of time reads nothing back: nothing is added up.
            if !(parts.tally || parts.funnel || parts.pulse) {
                continue;
            }
            for mut c in fresh {
                if !parts.pulse {
                    c.pulse = None;
                }
                sums.add(c);
            }
        }
    }
    Ok((sums.done(), computed, kept))
}

/// Computes the days `days` of `people` from their records and stores
/// those not in `have`; returns them.
async fn compute_and_store(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    people: &[EmployeeConfig],
    days: &[NaiveDate],
    have: &HashSet<(String, NaiveDate)>,
    now: DateTime<Utc>,
) -> Result<Vec<Cell>, FiguresError> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(Vec::new());
    };
    let (from, _) = day_range(team.timezone, *first);
    let (_, to) = day_range(team.timezone, *last);
    let ids = people.iter().map(|e| e.id.clone()).collect();
    let query = scope_query(config, ids, from, to, now);
    let started = std::time::Instant::now();
    let epoch = store.day_figures_epoch().await?;
    let data = store.load_scope(&query).await?;
    let (config_c, team_c, people_c, days_c) =
        (config.clone(), team.clone(), people.to_vec(), days.to_vec());
    let computed = tokio::task::spawn_blocking(move || {
        compute_cells(&config_c, &team_c, &people_c, &data, &days_c)
    })
    .await
    .map_err(|e| FiguresError::Compute(e.to_string()))?;
    let fresh: Vec<Cell> = computed
        .into_iter()
        .filter(|c| !have.contains(&(c.employee_id.clone(), c.day)))
        .collect();
    let rows = fresh
        .iter()
        .map(|c| c.stored(team.timezone))
        .collect::<Result<Vec<_>, _>>()?;
    let version = settings_version(config, team);
    // Days whose records changed meanwhile answer this request only.
    let kept = store.put_day_cells(&rows, &version, epoch, now).await?;
    tracing::info!(
        days = rows.len(),
        kept,
        people = people.len(),
        first = %first,
        seconds = started.elapsed().as_secs_f64(),
        "computed days of the roll-up"
    );
    Ok(fresh)
}

/// Computes and stores the days of `[first, last]` of the team's managers
/// that the roll-up lacks (after a large ingest, so that the first report
/// does not wait for them); returns how many were computed and how many
/// were stored already.
pub async fn fill(
    store: &Store,
    config: &Config,
    team: &str,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(usize, usize), FiguresError> {
    if last < first {
        return Err(FiguresError::BadPeriod(first, last));
    }
    let (team, people) = scope_people(config, &Scope::Team(team.to_owned()))?;
    let parts = CellParts {
        tally: false,
        funnel: false,
        pulse: false,
    };
    let (_, computed, kept) = cells(store, config, team, &people, first, last, now, parts).await?;
    Ok((computed, kept))
}

/// The funnel of the team's managers over `[first, last]`, as of `now`,
/// from the funnel part of their days in the roll-up.
pub async fn team_funnel(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Funnel, FiguresError> {
    let (team, people) = scope_people(config, &Scope::Team(team.id.clone()))?;
    let parts = CellParts {
        tally: false,
        funnel: true,
        pulse: false,
    };
    let (summed, _, _) = cells(store, config, team, &people, first, last, now, parts).await?;
    let mut t = FunnelTally::default();
    for s in summed.values() {
        t.add(&s.tally.funnel);
    }
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    let open = store
        .open_now(&OpenNowQuery {
            employees: &ids,
            open_stages: &stuck_after(config),
            now,
            records: false,
        })
        .await?;
    let open = OpenAt::new(&open, config, now);
    let (stages, stuck) = open.deals(ids.iter().map(String::as_str));
    let (_, to) = day_range(team.timezone, last);
    Ok(t.figures(&config.stages, to).with_open(stages, stuck))
}

/// A person's days added up, and their pulses in day order.
#[derive(Default)]
struct Summed {
    tally: DayTally,
    pulse: Vec<DayPulse>,
}

/// Every figure of one person from their days added up.
fn summed_figures(
    config: &Config,
    team: &TeamConfig,
    person: &EmployeeConfig,
    summed: Summed,
    team_funnel: &Funnel,
    open: &OpenAt<'_>,
    w: Window,
) -> EmployeeFigures {
    let t = &summed.tally;
    let tel = t.calls.figures(config.thresholds.success_talk_secs);
    let activities = activity_figures_of(t.activities, None);
    let hyg = t
        .hygiene
        .figures(&open.work(&person.id), w.to, w.now, &hygiene_rules(config));
    let (stages, stuck) = open.deals([person.id.as_str()]);
    let fun = t
        .funnel
        .figures(&config.stages, w.to)
        .with_open(stages, stuck);
    let families = Families {
        telephony: tel,
        activities,
        hygiene: hyg,
        funnel: fun,
        pulse: summed.pulse,
    };
    compute::person_figures(config, team, person, families, team_funnel, w)
}

/// What is open now for `people`; and the open deals per stage of the
/// `team` (the yardstick of a person's funnel) when it is not them.
async fn open_work(
    store: &Store,
    config: &Config,
    people: &[String],
    team: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<(OpenNow, Vec<OpenDeals>), FiguresError> {
    let stuck_stages = stuck_after(config);
    let open_stages: Vec<String> = stuck_stages.iter().map(|(s, _)| s.clone()).collect();
    let q = OpenNowQuery {
        employees: people,
        open_stages: &stuck_stages,
        now,
        records: false,
    };
    let open = store.open_now(&q).await?;
    let counts = match team {
        Some(ids) => store.open_deals_by_stage(ids, &open_stages, now).await?,
        None => Vec::new(),
    };
    Ok((open, counts))
}

/// The figures of the scope for `[first, last]` from the daily roll-up,
/// without the records behind them; each day's pulse when `pulse`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn build(
    store: &Store,
    config: &Config,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    team_funnel: TeamFunnel,
    pulse: bool,
) -> Result<FiguresReport, FiguresError> {
    let (team, people) = scope_people(config, scope)?;
    let tz = team.timezone;
    let (from, _) = day_range(tz, first);
    let (_, to) = day_range(tz, last);
    let team_people: Vec<EmployeeConfig> = config
        .employees
        .iter()
        .filter(|e| e.team == team.id && e.role == Role::Manager)
        .cloned()
        .collect();
    let team_ids: Vec<String> = team_people.iter().map(|e| e.id.clone()).collect();
    // A person's report with the team's whole funnel reads the team's days.
    let whole_team = team_people.len() == people.len() || team_funnel == TeamFunnel::Full;
    let read_people = if whole_team { &team_people } else { &people };
    let parts = CellParts {
        tally: true,
        funnel: true,
        pulse,
    };
    let open_people: Vec<String> = if whole_team {
        team_ids.clone()
    } else {
        people.iter().map(|e| e.id.clone()).collect()
    };
    let yardstick = (!whole_team).then_some(team_ids.as_slice());
    // Asked one after another: concurrent reads each warm a connection's
    // page cache of their own, which costs memory and saves no time here.
    let (mut summed, _, _) =
        cells(store, config, team, read_people, first, last, now, parts).await?;
    let (open, open_counts) = open_work(store, config, &open_people, yardstick, now).await?;
    let w = Window {
        first,
        last,
        from,
        to,
        now,
    };
    let open = OpenAt::new(&open, config, now);
    let team_funnel = if whole_team {
        let mut t = FunnelTally::default();
        for id in &team_ids {
            if let Some(s) = summed.get(id) {
                t.add(&s.tally.funnel);
            }
        }
        let (stages, stuck) = open.deals(team_ids.iter().map(String::as_str));
        t.figures(&config.stages, to).with_open(stages, stuck)
    } else {
        open_deals_funnel(
            &config.stages,
            open_counts.iter().map(|c| {
                (
                    c.stage.as_str(),
                    usize::try_from(c.deals).unwrap_or(0),
                    c.amount_minor,
                )
            }),
            from,
            to,
            now,
        )
    };
    let mut heat = Vec::with_capacity(people.len());
    let mut employees = Vec::with_capacity(people.len());
    for p in &people {
        let s = summed.remove(&p.id).unwrap_or_default();
        heat.push(s.tally.heat.row(&p.id));
        employees.push(summed_figures(config, team, p, s, &team_funnel, &open, w));
    }
    let report = FiguresReport {
        schema: SCHEMA,
        team: team.id.clone(),
        team_name: team.name.clone(),
        period: Period {
            first_day: first,
            last_day: last,
            timezone: tz.name().to_owned(),
            from,
            to,
        },
        now,
        employees,
        team_funnel,
        heat_map: heat,
    };
    // What is open now names its records; a report from the roll-up
    // carries none.
    Ok(report.without_records())
}
