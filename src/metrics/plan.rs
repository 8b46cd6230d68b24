//! Activity plan vs actual (METRICS.md, section 3): daily minimums times the
//! working days of the period, plan ramps, the sales plan above the activity
//! plan, and the self-report check.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use super::Rule;
use crate::config::{PlanConfig, PlanTarget, TeamConfig};
use crate::domain::Role;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanLine {
    pub figure: String,
    pub target: f64,
    pub actual: f64,
    pub completion: Option<f64>,
    pub met: bool,
    pub rule: Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Every line at or above 100 %.
    Met,
    /// Some line below 100 %.
    Missed,
    /// Some line below 100 %, but the sales plan is met: shown as information.
    Info,
    /// No plan applies.
    NoPlan,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesResult {
    pub revenue_target_minor: Option<f64>,
    pub revenue_minor: i64,
    pub deals_won_target: Option<f64>,
    pub deals_won: usize,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanResult {
    pub working_days: u32,
    pub lines: Vec<PlanLine>,
    /// The mean of the lines' completions, each capped at 100 %.
    pub completion: Option<f64>,
    pub status: PlanStatus,
    pub sales: Option<SalesResult>,
}

/// The plan that applies to a person on a day: their own (the latest that
/// has started) before their role's.
pub fn plan_for<'p>(
    plans: &'p [PlanConfig],
    employee_id: &str,
    role: Role,
    day: NaiveDate,
) -> Option<&'p PlanConfig> {
    let started = |p: &&PlanConfig| p.from.is_none_or(|f| f <= day);
    let latest = |a: &&PlanConfig, b: &&PlanConfig| a.from.cmp(&b.from);
    plans
        .iter()
        .filter(|p| p.target == PlanTarget::Employee(employee_id.to_owned()))
        .filter(started)
        .max_by(latest)
        .or_else(|| {
            plans
                .iter()
                .filter(|p| p.target == PlanTarget::Role(role))
                .filter(started)
                .max_by(latest)
        })
}

/// The share of the full target that applies on `day` under the plan's ramp.
pub fn ramp_factor(plan: &PlanConfig, day: NaiveDate) -> f64 {
    let (Some(ramp), Some(from)) = (&plan.ramp, plan.from) else {
        return 1.0;
    };
    let steps = ((day - from).num_days().max(0) / ramp.every_days.max(1)) as f64;
    (ramp.start + ramp.step * steps).clamp(0.0, 1.0)
}

pub fn working_days_in_month(team: &TeamConfig, day: NaiveDate) -> u32 {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(first);
    team.working_days_between(first, last)
}

/// Plan vs actual for one person over the days `[first, last]`.
/// `actuals` maps figure names to the measured values over the period.
#[allow(clippy::too_many_arguments)]
pub fn plan_vs_actual(
    plans: &[PlanConfig],
    employee_id: &str,
    role: Role,
    team: &TeamConfig,
    first: NaiveDate,
    last: NaiveDate,
    actuals: &BTreeMap<String, f64>,
    revenue_minor: i64,
    deals_won: usize,
    now: DateTime<Utc>,
) -> PlanResult {
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| team.is_working_day(*d))
        .collect();
    let mut targets: BTreeMap<String, f64> = BTreeMap::new();
    let mut revenue_target = None::<f64>;
    let mut won_target = None::<f64>;
    let mut any_plan = false;
    for day in &days {
        let Some(plan) = plan_for(plans, employee_id, role, *day) else {
            continue;
        };
        any_plan = true;
        // A day under way asks for its share of the target so far.
        let worked = team.worked_share(*day, now);
        let factor = ramp_factor(plan, *day) * worked;
        for (figure, daily) in &plan.daily {
            *targets.entry(figure.clone()).or_default() += daily * factor;
        }
        let month_days = f64::from(working_days_in_month(team, *day).max(1));
        if let Some(r) = plan.monthly_revenue {
            *revenue_target.get_or_insert(0.0) += r * 100.0 * worked / month_days;
        }
        if let Some(w) = plan.monthly_deals_won {
            *won_target.get_or_insert(0.0) += w * worked / month_days;
        }
    }
    // Lines in the order figures are listed in, cold calls before proposals.
    let mut targets: Vec<(String, f64)> = targets.into_iter().collect();
    targets.sort_by_key(|(figure, _)| {
        crate::domain::PLAN_FIGURES
            .iter()
            .position(|f| f == figure)
            .unwrap_or(usize::MAX)
    });
    let lines: Vec<PlanLine> = targets
        .into_iter()
        .map(|(figure, target)| {
            let actual = actuals.get(&figure).copied().unwrap_or(0.0);
            let completion = (target > 0.0).then(|| actual / target);
            let met = completion.is_none_or(|c| c >= 1.0);
            let rule = format!(
                "{figure}: {actual} of {target:.0} over {} working days = {}",
                days.len(),
                completion
                    .map(|c| format!("{:.0} %", c * 100.0))
                    .unwrap_or_else(|| "no target".to_owned())
            );
            PlanLine {
                figure,
                target,
                actual,
                completion,
                met,
                rule: rule.into(),
            }
        })
        .collect();
    let capped: Vec<f64> = lines
        .iter()
        .filter_map(|l| l.completion)
        .map(|c| c.min(1.0))
        .collect();
    let completion = (!capped.is_empty()).then(|| capped.iter().sum::<f64>() / capped.len() as f64);
    let sales = (revenue_target.is_some() || won_target.is_some()).then(|| SalesResult {
        met: revenue_target.is_none_or(|t| revenue_minor as f64 >= t)
            && won_target.is_none_or(|t| deals_won as f64 >= t),
        revenue_target_minor: revenue_target,
        revenue_minor,
        deals_won_target: won_target,
        deals_won,
    });
    let all_met = lines.iter().all(|l| l.met);
    let status = match (any_plan, all_met, sales.as_ref().is_some_and(|s| s.met)) {
        (false, _, _) => PlanStatus::NoPlan,
        (true, true, _) => PlanStatus::Met,
        (true, false, true) => PlanStatus::Info,
        (true, false, false) => PlanStatus::Missed,
    };
    PlanResult {
        working_days: days.len() as u32,
        lines,
        completion,
        status,
        sales,
    }
}

/// One line of a self-report against the measured figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfReportLine {
    pub figure: String,
    pub reported: f64,
    pub measured: f64,
    pub difference: f64,
    /// The difference is beyond the tolerance: the head is told.
    pub flagged: bool,
}

/// Compares what a person reported with what was measured: a difference
/// beyond `pct` percent of the measured value, and beyond `min` units, is flagged.
pub fn check_self_report(
    reported: &BTreeMap<String, f64>,
    measured: &BTreeMap<String, f64>,
    pct: f64,
    min: i64,
) -> Vec<SelfReportLine> {
    reported
        .iter()
        .map(|(figure, value)| {
            let m = measured.get(figure).copied().unwrap_or(0.0);
            let difference = value - m;
            let allowed = (m.abs() * pct / 100.0).max(min as f64);
            SelfReportLine {
                figure: figure.clone(),
                reported: *value,
                measured: m,
                difference,
                flagged: difference.abs() > allowed,
            }
        })
        .collect()
}
