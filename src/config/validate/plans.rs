//! `[[plans]]`: daily and monthly targets of a role or one employee, and the
//! ramp a newcomer's targets rise by.

use std::collections::HashSet;

use super::super::raw::RawPlan;
use super::super::*;
use super::{Issues, date};
use crate::domain::{PLAN_FIGURES, Role};

/// Every plan whose target (a role or an employee) is valid.
pub(super) fn plans(
    issues: &mut Issues,
    raw: Vec<RawPlan>,
    employees: &[EmployeeConfig],
) -> Vec<PlanConfig> {
    let employee_ids: HashSet<&str> = employees
        .iter()
        .map(|e| e.id.as_str())
        .filter(|id| !id.is_empty())
        .collect();
    let mut plans = Vec::new();
    for (i, p) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("plans[{i}].{k}");
        let target = target(issues, i, p.role, p.employee, &employee_ids);
        let from = p
            .from
            .as_deref()
            .and_then(|d| date(issues, &key("from"), d));
        daily(issues, i, &p.daily);
        let ramp = ramp(
            issues,
            i,
            from.is_some(),
            (p.ramp_start_pct, p.ramp_step_pct, p.ramp_every_days),
        );
        for (name, value) in [
            ("monthly_revenue", p.monthly_revenue),
            ("monthly_deals_won", p.monthly_deals_won),
        ] {
            if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                issues.add(key(name), "is not a non-negative number");
            }
        }
        if let Some(target) = target {
            plans.push(PlanConfig {
                target,
                from,
                daily: p.daily,
                ramp,
                monthly_revenue: p.monthly_revenue,
                monthly_deals_won: p.monthly_deals_won,
            });
        }
    }
    plans
}

/// Whom the plan is for: exactly one of a role or an employee id.
fn target(
    issues: &mut Issues,
    i: usize,
    role: Option<String>,
    employee: Option<String>,
    employee_ids: &HashSet<&str>,
) -> Option<PlanTarget> {
    let key = |k: &str| format!("plans[{i}].{k}");
    match (role, employee) {
        (Some(role), None) => match Role::parse(&role) {
            Ok(r) => Some(PlanTarget::Role(r)),
            Err(err) => {
                issues.add(key("role"), err.to_string());
                None
            }
        },
        (None, Some(e)) => {
            if !employee_ids.contains(e.as_str()) {
                issues.add(key("employee"), format!("\"{e}\" is not an employee id"));
            }
            Some(PlanTarget::Employee(e))
        }
        _ => {
            issues.add(
                format!("plans[{i}]"),
                "needs exactly one of role = \"manager\" or employee = \"ID\"",
            );
            None
        }
    }
}

/// `daily`: plan figures only, each a non-negative number.
fn daily(issues: &mut Issues, i: usize, daily: &std::collections::BTreeMap<String, f64>) {
    for (figure, target) in daily {
        if !PLAN_FIGURES.contains(&figure.as_str()) {
            issues.add(
                format!("plans[{i}].daily.{figure}"),
                format!(
                    "is not a figure (expected one of: {})",
                    PLAN_FIGURES.join(", ")
                ),
            );
        } else if !target.is_finite() || *target < 0.0 {
            issues.add(
                format!("plans[{i}].daily.{figure}"),
                format!("{target} is not a non-negative number"),
            );
        }
    }
}

/// The ramp (start, step in percent, every so many days): all three keys or
/// none, rising from the plan's `from`.
fn ramp(
    issues: &mut Issues,
    i: usize,
    has_from: bool,
    (start, step, every): (Option<f64>, Option<f64>, Option<i64>),
) -> Option<Ramp> {
    match (start, step, every) {
        (None, None, None) => None,
        (Some(start), Some(step), Some(every)) => {
            if !has_from {
                issues.add(
                    format!("plans[{i}].from"),
                    "is missing (a ramp rises from this date)",
                );
            }
            if !(0.0..=100.0).contains(&start) || !(0.0..=100.0).contains(&step) || every < 1 {
                issues.add(
                    format!("plans[{i}]"),
                    "ramp_start_pct and ramp_step_pct must be 0 to 100, ramp_every_days at least 1",
                );
            }
            Some(Ramp {
                start: start / 100.0,
                step: step / 100.0,
                every_days: every,
            })
        }
        _ => {
            issues.add(
                format!("plans[{i}]"),
                "a ramp needs all of ramp_start_pct, ramp_step_pct and ramp_every_days",
            );
            None
        }
    }
}
