//! The `[kpi]` section: schemes per position, versioned by month.

use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;

use super::super::EmployeeConfig;
use super::super::kpi::{KpiConfig, KpiIndicator, KpiRule, KpiScheme, LeaderboardScope, RawKpi};
use super::Issues;
use crate::domain::KPI_FIGURES;

fn month(issues: &mut Issues, key: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let Some(raw) = raw else {
        issues.add(
            key,
            "is missing (expected the month it takes effect, \"2026-11\")",
        );
        return None;
    };
    let parsed = NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d").ok();
    if parsed.is_none() {
        issues.add(
            key,
            format!("{raw:?} is not a month (expected \"YYYY-MM\", \"2026-11\")"),
        );
    }
    parsed
}

/// The most one indicator may pay for a month, in currency units.
const MAX_PAY: f64 = 1e9;
/// The largest target or step a figure may be given (revenue in currency
/// units included: 10^12, as the largest deal amount stored).
const MAX_TARGET: f64 = 1e12;

/// A money amount: above zero, at most `MAX_PAY`.
fn money(issues: &mut Issues, key: &str, value: Option<f64>, what: &str) -> f64 {
    bounded(issues, key, value, what, MAX_PAY)
}

/// A target: above zero, at most `MAX_TARGET`.
fn positive(issues: &mut Issues, key: &str, value: Option<f64>, what: &str) -> f64 {
    bounded(issues, key, value, what, MAX_TARGET)
}

fn bounded(issues: &mut Issues, key: &str, value: Option<f64>, what: &str, max: f64) -> f64 {
    match value {
        Some(v) if v > 0.0 && v <= max => v,
        Some(v) if v > max => {
            issues.add(
                key,
                format!("{v} is above {max:e}, not a plausible value (expected {what})"),
            );
            0.0
        }
        Some(v) => {
            issues.add(key, format!("{v} is not above zero (expected {what})"));
            0.0
        }
        None => {
            issues.add(key, format!("is missing (expected {what})"));
            0.0
        }
    }
}

fn rule(issues: &mut Issues, key: &str, raw: &super::super::kpi::RawIndicator) -> Option<KpiRule> {
    let field = |name: &str| format!("{key}.{name}");
    match raw.rule.as_deref() {
        Some("linear") => {
            let floor_pct = raw.floor_pct.unwrap_or(0.0);
            let cap_pct = raw.cap_pct.unwrap_or(100.0);
            if !(0.0..=1000.0).contains(&floor_pct) {
                issues.add(
                    field("floor_pct"),
                    format!("{floor_pct} is out of range (expected 0 to 1000)"),
                );
            }
            if cap_pct < floor_pct.max(1.0) {
                issues.add(
                    field("cap_pct"),
                    format!(
                        "{cap_pct} is below the floor (expected at least floor_pct and above 0)"
                    ),
                );
            }
            Some(KpiRule::Linear {
                target: positive(
                    issues,
                    &field("target"),
                    raw.target,
                    "the figure's target for the month",
                ),
                pay: money(
                    issues,
                    &field("pay"),
                    raw.pay,
                    "the amount paid at 100 % of the target",
                ),
                floor_pct,
                cap_pct,
            })
        }
        Some("steps") => {
            let steps = raw.steps.clone().unwrap_or_default();
            if steps.is_empty() {
                issues.add(
                    field("steps"),
                    "is missing (expected steps = [{ at = 3, amount = 5000 }, { at = 5, amount = 10000 }])",
                );
            }
            if steps.windows(2).any(|w| w[1].at <= w[0].at) {
                issues.add(
                    field("steps"),
                    "are not in rising order of `at` (expected each step above the one before)",
                );
            }
            if steps.iter().any(|s| !(0.0..=MAX_PAY).contains(&s.amount)) {
                issues.add(
                    field("steps"),
                    format!("has an amount below 0 or above {MAX_PAY:e} (expected amounts of 0 or more, per month)"),
                );
            }
            if steps.iter().any(|s| !(0.0..=MAX_TARGET).contains(&s.at)) {
                issues.add(
                    field("steps"),
                    format!("has an `at` below 0 or above {MAX_TARGET:e} (expected the figure's value from which the step pays)"),
                );
            }
            Some(KpiRule::Steps { steps })
        }
        Some("per_unit") => Some(KpiRule::PerUnit {
            amount: money(
                issues,
                &field("amount"),
                raw.amount,
                "the amount per unit, e.g. per meeting",
            ),
            max: raw.max.map(|max| {
                money(
                    issues,
                    &field("max"),
                    Some(max),
                    "the most it pays in a month",
                )
            }),
        }),
        Some("gate") => Some(KpiRule::Gate {
            target: match raw.target {
                Some(t) if (0.0..=MAX_TARGET).contains(&t) => t,
                Some(t) => {
                    issues.add(field("target"), format!("{t:e} is not between 0 and {MAX_TARGET:e} (expected the value the figure must reach for the bonus to be paid)"));
                    0.0
                }
                None => {
                    issues.add(field("target"), "is missing (expected the value the figure must reach for the bonus to be paid)");
                    0.0
                }
            },
            at_most: raw.at_most.unwrap_or(false),
            applies_to: raw.applies_to.clone().unwrap_or_default(),
        }),
        Some(other) => {
            issues.add(
                field("rule"),
                format!("\"{other}\" is not a rule (expected \"linear\", \"steps\", \"per_unit\" or \"gate\")"),
            );
            None
        }
        None => {
            issues.add(
                field("rule"),
                "is missing (expected \"linear\", \"steps\", \"per_unit\" or \"gate\")",
            );
            None
        }
    }
}

fn scheme(issues: &mut Issues, i: usize, raw: super::super::kpi::RawScheme) -> Option<KpiScheme> {
    let key = format!("kpi.schemes[{i}]");
    let position = issues.required(&format!("{key}.position"), raw.position);
    let from = month(issues, &format!("{key}.from"), raw.from.as_deref());
    if raw.indicators.is_empty() {
        issues.add(
            format!("{key}.indicators"),
            "is empty (expected at least one [[kpi.schemes.indicators]])",
        );
    }
    let mut indicators = Vec::new();
    let mut ids = HashSet::new();
    for (j, ind) in raw.indicators.iter().enumerate() {
        let key = format!("{key}.indicators[{j}]");
        let figure = issues.required(&format!("{key}.figure"), ind.figure.clone());
        if !figure.is_empty() && !KPI_FIGURES.contains(&figure.as_str()) {
            issues.add(
                format!("{key}.figure"),
                format!(
                    "\"{figure}\" is not a figure (expected one of: {})",
                    KPI_FIGURES.join(", ")
                ),
            );
        }
        if let Some(period) = &ind.period
            && period != "month"
        {
            issues.add(
                format!("{key}.period"),
                format!(
                    "\"{period}\" is not supported (expected \"month\": a scheme pays by the month)"
                ),
            );
        }
        let id = ind.id.clone().unwrap_or_else(|| figure.clone());
        if !ids.insert(id.clone()) {
            issues.add(
                format!("{key}.id"),
                format!(
                    "\"{id}\" is used twice in this scheme (expected a unique id per indicator)"
                ),
            );
        }
        if let Some(rule) = rule(issues, &key, ind) {
            indicators.push(KpiIndicator {
                name: ind.name.clone().unwrap_or_else(|| figure.clone()),
                id,
                figure,
                rule,
            });
        }
    }
    for (j, ind) in indicators.iter().enumerate() {
        if let KpiRule::Gate { applies_to, .. } = &ind.rule {
            for target in applies_to {
                if !ids.contains(target) || *target == ind.id {
                    issues.add(
                        format!("{key}.indicators[{j}].applies_to"),
                        format!("\"{target}\" is not another indicator of this scheme"),
                    );
                }
            }
        }
    }
    Some(KpiScheme {
        position,
        from: from?,
        indicators,
    })
}

pub(super) fn kpi(issues: &mut Issues, raw: Option<RawKpi>) -> KpiConfig {
    let Some(raw) = raw else {
        return KpiConfig::default();
    };
    let leaderboard = match raw.leaderboard.as_deref() {
        None | Some("own") => LeaderboardScope::Own,
        Some("everyone") => LeaderboardScope::Everyone,
        Some(other) => {
            issues.add(
                "kpi.leaderboard",
                format!("\"{other}\" is not a choice (expected \"own\": a manager sees their own line and rank, or \"everyone\")"),
            );
            LeaderboardScope::Own
        }
    };
    let schemes: Vec<KpiScheme> = raw
        .schemes
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| scheme(issues, i, s))
        .collect();
    let mut seen = HashSet::new();
    for (i, s) in schemes.iter().enumerate() {
        if !seen.insert((s.position.clone(), s.from)) {
            issues.add(
                format!("kpi.schemes[{i}]"),
                format!(
                    "a second scheme for \"{}\" from {} (expected one version per position and month)",
                    s.position,
                    s.month_label()
                ),
            );
        }
    }
    KpiConfig {
        currency: raw.currency.unwrap_or_else(|| "₽".into()),
        in_digest: raw.in_digest.unwrap_or(false),
        leaderboard,
        schemes,
    }
}

/// With KPI schemes, a position none of them names is a typing error.
pub(super) fn positions_known(issues: &mut Issues, kpi: &KpiConfig, employees: &[EmployeeConfig]) {
    if kpi.schemes.is_empty() {
        return;
    }
    let known: BTreeSet<&str> = kpi.schemes.iter().map(|s| s.position.as_str()).collect();
    for (i, e) in employees.iter().enumerate() {
        for (k, p) in [
            ("position", &e.position),
            ("previous_position", &e.previous_position),
        ] {
            if let Some(p) = p
                && !known.contains(p.as_str())
            {
                issues.add(
                    format!("employees[{i}].{k}"),
                    format!(
                        "\"{p}\" is not a position of any [[kpi.schemes]] (known: {})",
                        known.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
}
