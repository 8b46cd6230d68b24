//! The KPI report: each person's bonus for a month under the scheme of their
//! position, every amount opening into its rule, the figure's explanation
//! and the records; for the month under way, where it lands at the pace so
//! far; and leaderboards.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::figures::{self, EmployeeFigures, FiguresError, Scope};
use crate::config::kpi::{month_end, month_of};
use crate::config::{Config, LeaderboardScope};
use crate::domain::Role;
use crate::metrics::kpi::{SchemeResult, evaluate, project};
use crate::metrics::plan::working_days_in_month;
use crate::metrics::{Figure, Rule, Unit, Value};
use crate::storage::Store;

pub const SCHEMA: &str = "salespulse.kpi/2";

#[derive(Debug, Clone, Serialize)]
pub struct KpiRow {
    pub employee_id: String,
    pub name: String,
    /// The position whose scheme pays this month.
    pub position: Option<String>,
    /// The month the scheme in force took effect (`2026-11`).
    pub scheme_from: Option<String>,
    /// `None` when the position has no scheme in force.
    pub result: Option<SchemeResult>,
    /// Where the month lands at the pace so far (the month under way only).
    pub forecast: Option<SchemeResult>,
    /// Activity plan completion over the month so far, 0.86 = 86 %.
    pub plan_completion: Option<f64>,
    /// The figures the indicators read, for leaderboards by any figure.
    #[serde(skip)]
    pub figures: BTreeMap<String, Figure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    pub schema: &'static str,
    pub team: String,
    pub team_name: String,
    /// `2026-11`.
    pub month: String,
    pub first_day: NaiveDate,
    /// The last day the figures cover: the month's end, or today.
    pub through: NaiveDate,
    pub working_days: u32,
    /// Working days gone, a day under way pro rata (1.5 at noon of the
    /// second).
    pub working_days_gone: f64,
    pub currency: String,
    pub rows: Vec<KpiRow>,
    pub total_bonus: f64,
    pub total_forecast: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    #[error(transparent)]
    Figures(#[from] FiguresError),
    #[error("{0} has not begun yet (today is {1})")]
    Future(String, NaiveDate),
}

/// Every figure a KPI indicator can read, by key (`domain::KPI_FIGURES`).
pub fn figure_map(e: &EmployeeFigures) -> BTreeMap<String, Figure> {
    let mut map: BTreeMap<String, Figure> = e
        .telephony
        .all()
        .into_iter()
        .chain(e.activities.iter())
        .chain(e.hygiene.all())
        .map(|f| (f.key.to_owned(), f.clone()))
        .collect();
    let t = &e.telephony.talk_time;
    map.insert(
        "talk_minutes".into(),
        Figure {
            key: "talk_minutes",
            value: (t.value / 60.0).round(),
            unit: Unit::Count,
            rule: Rule::new("talk_minutes").with("talk", t.rule.clone()),
            records: t.records.clone(),
        },
    );
    let f = &e.funnel;
    for (key, figure) in [
        ("deals_won", &f.won),
        ("deals_lost", &f.lost),
        ("win_rate", &f.win_rate),
        ("revenue", &f.revenue),
        ("stuck_deals", &f.stuck_deals),
    ] {
        map.insert(key.into(), figure.clone());
    }
    let lines: Vec<Rule> = e
        .plan
        .lines
        .iter()
        .map(|l| {
            Rule::new("plan_completion_line")
                .with("figure", Value::Figure(l.figure.clone()))
                .with("actual", l.actual)
                .with("target", l.target.round())
        })
        .collect();
    map.insert(
        "plan_completion".into(),
        Figure {
            key: "plan_completion",
            value: e.plan.completion.unwrap_or(0.0),
            unit: Unit::Ratio,
            rule: if lines.is_empty() {
                Rule::new("plan_completion_none")
            } else {
                Rule::new("plan_completion").with("lines", lines)
            },
            records: Vec::new(),
        },
    );
    map
}

/// The KPI of `scope` for the month holding `month`, judged at `now`;
/// with the records behind each figure (the drill-down) when `records`,
/// else from the daily roll-up.
pub async fn build(
    store: &Store,
    config: &Config,
    scope: &Scope,
    month: NaiveDate,
    now: DateTime<Utc>,
    records: bool,
) -> Result<KpiReport, KpiError> {
    let first = month_of(month);
    let end = month_end(month);
    // The team's today decides how much of the month is gone.
    let team_id = match scope {
        Scope::Team(t) => t.clone(),
        Scope::Employee(who) => figures::find_employee(config, who)?.team.clone(),
    };
    let team = config.team(&team_id).cloned();
    let today = team
        .as_ref()
        .map(|t| crate::calendar::local_day(t.timezone, now))
        .unwrap_or_else(|| now.date_naive());
    if first > today {
        return Err(KpiError::Future(first.format("%Y-%m").to_string(), today));
    }
    let through = end.min(today);
    let report = if records {
        figures::build(store, config, scope, first, through, now).await?
    } else {
        figures::summary(store, config, scope, first, through, now).await?
    };
    // A day under way counts pro rata to its working hours passed.
    let (working_days, gone) = match &team {
        Some(t) => (
            working_days_in_month(t, first),
            t.working_days_worked(first, through, now),
        ),
        None => (0, 0.0),
    };
    let month_over = gone >= f64::from(working_days);
    let pace = (!month_over && gone > 0.0).then(|| f64::from(working_days) / gone);
    let currency = &config.kpi.currency;
    let rows: Vec<KpiRow> = report
        .employees
        .iter()
        .map(|e| {
            let person = config.employees.iter().find(|p| p.id == e.employee_id);
            let position = person.and_then(|p| p.position_for_month(first));
            let scheme = position.and_then(|p| config.kpi.scheme_for(p, first));
            let map = figure_map(e);
            let result = scheme.map(|s| evaluate(s, &map, currency));
            let forecast = scheme
                .zip(pace)
                .map(|(s, pace)| evaluate(s, &project(&map, pace), currency));
            KpiRow {
                employee_id: e.employee_id.clone(),
                name: e.name.clone(),
                position: position.map(str::to_owned),
                scheme_from: scheme.map(|s| s.month_label()),
                result,
                forecast,
                plan_completion: e.plan.completion,
                figures: map,
            }
        })
        .collect();
    let total_bonus = rows
        .iter()
        .filter_map(|r| r.result.as_ref())
        .map(|r| r.bonus)
        .sum();
    let total_forecast = pace.map(|_| {
        rows.iter()
            .filter_map(|r| r.forecast.as_ref())
            .map(|r| r.bonus)
            .sum()
    });
    Ok(KpiReport {
        schema: SCHEMA,
        team: report.team,
        team_name: report.team_name,
        month: first.format("%Y-%m").to_string(),
        first_day: first,
        through,
        working_days,
        working_days_gone: gone,
        currency: currency.clone(),
        rows,
        total_bonus,
        total_forecast,
    })
}

/// What a leaderboard ranks by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RankBy {
    Bonus,
    Plan,
    Figure(String),
}

impl std::str::FromStr for RankBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bonus" => Ok(RankBy::Bonus),
            "plan" => Ok(RankBy::Plan),
            f if crate::domain::KPI_FIGURES.contains(&f) => Ok(RankBy::Figure(f.to_owned())),
            other => Err(format!(
                "\"{other}\" is not something to rank by (expected bonus, plan or a figure: {})",
                crate::domain::KPI_FIGURES.join(", ")
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub rank: usize,
    pub employee_id: String,
    pub name: String,
    pub value: f64,
    /// The value as the reader's catalog words it (an amount, a share, a
    /// number).
    pub shown: crate::metrics::Value,
}

/// The team ranked, highest first; equal values share a rank.
pub fn leaderboard(report: &KpiReport, by: &RankBy) -> Vec<Place> {
    let mut places: Vec<(f64, crate::metrics::Value, &KpiRow)> = report
        .rows
        .iter()
        .map(|r| {
            let (value, shown) = match by {
                RankBy::Bonus => {
                    let b = r.result.as_ref().map(|x| x.bonus).unwrap_or(0.0);
                    (
                        b,
                        crate::metrics::Value::Money {
                            amount: b,
                            currency: report.currency.clone(),
                        },
                    )
                }
                RankBy::Plan => {
                    let p = r.plan_completion.unwrap_or(0.0);
                    (
                        p * 100.0,
                        crate::metrics::Value::Share((p * 100.0).round() / 100.0),
                    )
                }
                RankBy::Figure(key) => {
                    let v = r
                        .figures
                        .get(key)
                        .map(crate::metrics::kpi::in_rule_terms)
                        .unwrap_or(0.0);
                    (v, crate::metrics::Value::Number(v))
                }
            };
            (value, shown, r)
        })
        .collect();
    places.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.name.cmp(&b.2.name)));
    let mut out: Vec<Place> = Vec::with_capacity(places.len());
    for (i, (value, shown, r)) in places.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.value == value => prev.rank,
            _ => i + 1,
        };
        out.push(Place {
            rank,
            employee_id: r.employee_id.clone(),
            name: r.name.clone(),
            value,
            shown,
        });
    }
    out
}

/// The lines of a leaderboard `viewer` may see: heads and owners all of
/// them; a manager all of them or only their own, as `kpi.leaderboard` says.
pub fn visible_places<'a>(config: &Config, viewer: &str, places: &'a [Place]) -> Vec<&'a Place> {
    let role = config
        .employees
        .iter()
        .find(|e| e.id == viewer)
        .map(|e| e.role);
    match (role, config.kpi.leaderboard) {
        (Some(Role::Head | Role::Owner | Role::Admin), _)
        | (Some(Role::Manager), LeaderboardScope::Everyone) => places.iter().collect(),
        (Some(Role::Manager), LeaderboardScope::Own) => {
            places.iter().filter(|p| p.employee_id == viewer).collect()
        }
        (None, _) => Vec::new(),
    }
}

/// A line of the bonus table in a report, written out.
#[derive(Debug, Clone, Serialize)]
pub struct KpiLine {
    pub rank: usize,
    pub name: String,
    pub position: String,
    pub bonus: String,
    pub forecast: Option<String>,
}

/// The bonus table as reports show it: ranked by bonus, amounts written
/// out in the config's currency.
#[derive(Debug, Clone, Serialize)]
pub struct KpiSection {
    pub month: String,
    pub through: String,
    pub lines: Vec<KpiLine>,
    pub total: String,
    pub total_forecast: Option<String>,
}

pub fn section(report: &KpiReport, words: crate::words::Words) -> KpiSection {
    let money = |v: f64| words.money(v, &report.currency);
    let lines = leaderboard(report, &RankBy::Bonus)
        .into_iter()
        .filter_map(|place| {
            let row = report
                .rows
                .iter()
                .find(|r| r.employee_id == place.employee_id)?;
            let result = row.result.as_ref()?;
            Some(KpiLine {
                rank: place.rank,
                name: row.name.clone(),
                position: row.position.clone().unwrap_or_default(),
                bonus: money(result.bonus),
                forecast: row.forecast.as_ref().map(|f| money(f.bonus)),
            })
        })
        .collect();
    KpiSection {
        month: words.month(report.first_day),
        through: report.through.format("%d.%m").to_string(),
        lines,
        total: money(report.total_bonus),
        total_forecast: report.total_forecast.map(money),
    }
}
