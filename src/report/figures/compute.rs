//! Computing a scope's figures from its loaded records: per person the
//! telephony, pulse, plan, funnel, hygiene and activities, then the team's
//! funnel.

use super::open::OpenAt;
use super::*;
use crate::metrics::Rule;
use crate::metrics::day::ActivityCounts;

/// The days and instants a computation covers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) first: NaiveDate,
    pub(super) last: NaiveDate,
    pub(super) from: DateTime<Utc>,
    pub(super) to: DateTime<Utc>,
    pub(super) now: DateTime<Utc>,
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
    open: &OpenAt<'_>,
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
    // The team's managers: a team's funnel is the sum of theirs.
    let team_ids: HashSet<&str> = config
        .employees
        .iter()
        .filter(|p| p.team == team.id && p.role == Role::Manager)
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
    let (stages, stuck) = open.deals(team_ids.iter().copied());
    funnel(
        &team_deal_refs,
        &team_source.stage_changes,
        &config.stages,
        w.from,
        w.to,
        w.now,
    )
    .with_open(stages, stuck)
}

/// The activities of a kind a person logged in the CRM in the window.
fn activities_of(
    records: &PersonRecords,
    employee_id: &str,
    kind: ActivityKind,
    w: Window,
) -> Vec<RecordRef> {
    records
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
        .collect()
}

/// The kinds of activity counted, with their figure keys.
const ACTIVITIES: [(ActivityKind, &str); 3] = [
    (ActivityKind::Proposal, "proposals"),
    (ActivityKind::Meeting, "meetings"),
    (ActivityKind::Email, "emails"),
];

/// Proposals, meetings and emails a person logged in the CRM in the window.
pub(super) fn activity_counts(
    records: &PersonRecords,
    employee_id: &str,
    w: Window,
) -> ActivityCounts {
    let [proposals, meetings, emails] =
        ACTIVITIES.map(|(kind, _)| activities_of(records, employee_id, kind, w).len());
    ActivityCounts {
        proposals,
        meetings,
        emails,
    }
}

/// The activity figures of counts, with the activities behind them when given.
pub(super) fn activity_figures_of(
    counts: ActivityCounts,
    mut records: Option<[Vec<RecordRef>; 3]>,
) -> Vec<Figure> {
    let n = [counts.proposals, counts.meetings, counts.emails];
    ACTIVITIES
        .iter()
        .enumerate()
        .map(|(i, (_, key))| {
            let key: &'static str = key;
            Figure::count_of(
                key,
                Rule::new(key).with("n", n[i]),
                n[i],
                records
                    .as_mut()
                    .map(|r| std::mem::take(&mut r[i]))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Proposals, meetings and emails a person logged in the CRM in the period.
fn activity_figures(records: &PersonRecords, employee_id: &str, w: Window) -> Vec<Figure> {
    let found = ACTIVITIES.map(|(kind, _)| activities_of(records, employee_id, kind, w));
    let counts = ActivityCounts {
        proposals: found[0].len(),
        meetings: found[1].len(),
        emails: found[2].len(),
    };
    activity_figures_of(counts, Some(found))
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

/// One person's figure families, before the plan and the bottleneck.
pub(super) struct Families {
    pub(super) telephony: Telephony,
    pub(super) activities: Vec<Figure>,
    pub(super) hygiene: Hygiene,
    pub(super) funnel: Funnel,
    pub(super) pulse: Vec<DayPulse>,
}

/// A person's figures: their families, the bottleneck against the team's
/// funnel and the plan held against them.
pub(super) fn person_figures(
    config: &Config,
    team: &TeamConfig,
    person: &EmployeeConfig,
    f: Families,
    team_funnel: &Funnel,
    w: Window,
) -> EmployeeFigures {
    let neck = bottleneck(&f.funnel, team_funnel);
    let plan = plan_vs_actual(
        &config.plans,
        &person.id,
        person.role,
        team,
        w.first,
        w.last,
        &plan_actuals(&f.telephony, &f.activities, &f.hygiene, &f.funnel),
        f.funnel.revenue.value as i64,
        f.funnel.won.value as usize,
        w.now,
    );
    EmployeeFigures {
        employee_id: person.id.clone(),
        name: person.name.clone(),
        role: person.role,
        telephony: f.telephony,
        activities: f.activities,
        plan,
        pulse: f.pulse,
        hygiene: f.hygiene,
        funnel: f.funnel,
        bottleneck: neck,
    }
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
    open: &'a OpenAt<'a>,
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
        let work = self.open.work(&person.id);
        let crm = records.crm(&records.earlier_calls, &work);
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
        let (stages, stuck) = self.open.deals([person.id.as_str()]);
        let fun = funnel(
            &my_deals,
            &records.stage_changes,
            &config.stages,
            w.from,
            w.to,
            w.now,
        )
        .with_open(stages, stuck);
        let families = Families {
            telephony: tel,
            activities,
            hygiene: hyg,
            funnel: fun,
            pulse: self.pulse(calls),
        };
        person_figures(config, self.team, person, families, self.team_funnel, w)
    }
}

pub(super) fn compute(
    config: &Config,
    team: &TeamConfig,
    people: Vec<EmployeeConfig>,
    data: Dataset,
    team_basis: TeamBasis,
    open: &OpenNow,
    w: Window,
) -> FiguresReport {
    let open = &OpenAt::new(open, config, w.now);
    let tz = team.timezone;
    let calls_of = calls_by_employee(&data);
    let team_funnel = team_funnel(config, team, &data, &team_basis, open, w);
    let computation = Computation {
        config,
        team,
        data: &data,
        slices: Slices::new(&data),
        calls_of: &calls_of,
        hygiene_rules: hygiene_rules(config),
        pulse_rules: pulse_rules(config, team),
        days: w.first.iter_days().take_while(|d| *d <= w.last).collect(),
        team_funnel: &team_funnel,
        open,
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
