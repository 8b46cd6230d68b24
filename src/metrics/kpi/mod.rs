//! KPI and bonus (`METRICS.md`, section 6): each indicator of a scheme
//! applied to the month's figure, with its rule as an id and the values
//! it names (amounts, shares, caps, gates); the bonus is their sum. Pure:
//! the figures come in.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Figure, RecordRef, Rule, Unit, Value};
use crate::config::kpi::{KpiIndicator, KpiRule, KpiScheme, Step};

/// Figures that add up over a month, so that the month's pace carries them
/// forward; the others (shares, means, snapshots such as overdue tasks)
/// are forecast as they stand.
pub const CUMULATIVE: &[&str] = &[
    "calls_out",
    "calls_in",
    "missed",
    "connected",
    "successful_contacts",
    "talk_time",
    "talk_minutes",
    "short_calls",
    "medium_calls",
    "long_calls",
    "cold_calls",
    "warm_calls",
    "new_client_calls",
    "existing_client_calls",
    "proposals",
    "meetings",
    "emails",
    "cards_touched",
    "calls_without_trace",
    "calls_about_deals",
    "weak_comments",
    "comments",
    "deals_won",
    "deals_lost",
    "revenue",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorResult {
    pub id: String,
    pub name: String,
    pub figure: String,
    /// The figure in the rule's terms: counts as they are, shares in
    /// percent, money in currency units, durations in seconds.
    pub actual: f64,
    /// What it pays, in currency units.
    pub amount: f64,
    /// The rule with the numbers put in.
    pub rule: Rule,
    /// For a gate: whether it was passed.
    pub passed: Option<bool>,
    /// The gate that held this indicator's pay back.
    pub blocked_by: Option<String>,
    /// The figure's own explanation.
    pub figure_rule: Rule,
    pub records: Vec<RecordRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeResult {
    pub indicators: Vec<IndicatorResult>,
    /// The sum of the indicators' amounts.
    pub bonus: f64,
}

/// A figure's value in the terms a target is written in.
pub fn in_rule_terms(f: &Figure) -> f64 {
    match f.unit {
        Unit::Count | Unit::Seconds => f.value,
        Unit::Ratio => f.value * 100.0,
        Unit::Money => f.value / 100.0,
    }
}

fn round_money(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One indicator's figure as a rule reads it.
struct Reading<'a> {
    /// The indicator's name.
    name: &'a str,
    unit: Unit,
    /// The figure in the rule's terms.
    actual: f64,
    currency: &'a str,
}

impl Reading<'_> {
    fn money(&self, v: f64) -> Value {
        Value::Money {
            amount: v,
            currency: self.currency.to_owned(),
        }
    }

    /// A number in the rule's terms, with the figure's unit: a share, a
    /// duration, an amount, or a plain number.
    fn shown(&self, v: f64) -> Value {
        match self.unit {
            Unit::Count => Value::Number(v),
            Unit::Seconds => Value::Seconds(v.round() as i64),
            Unit::Ratio => Value::Share(v / 100.0),
            Unit::Money => self.money(v),
        }
    }

    /// A rule about this figure: its name and value first.
    fn rule(&self, rule: Rule) -> Rule {
        rule.with("name", self.name)
            .with("actual", self.shown(self.actual))
    }
}

/// What one rule makes of a figure: the amount, the rule, and for a gate
/// whether it was passed.
type Applied = (f64, Rule, Option<bool>);

/// An amount per unit of the figure, at most `max` in all.
fn per_unit(r: &Reading<'_>, amount: f64, max: Option<f64>) -> Applied {
    let raw = r.actual.max(0.0) * amount;
    let rule = r
        .rule(Rule::new("kpi_per_unit"))
        .with("amount", r.money(amount))
        .with("total", r.money(raw));
    match max {
        Some(m) if raw > m => (
            m,
            Rule::new("kpi_capped")
                .with("rule", rule)
                .with("cap", r.money(m)),
            None,
        ),
        _ => (raw, rule, None),
    }
}

/// pay × actual / target, between the floor and the cap.
fn linear(r: &Reading<'_>, target: f64, pay: f64, floor_pct: f64, cap_pct: f64) -> Applied {
    let pct = r.actual / target * 100.0;
    let head = |rule: Rule| {
        r.rule(rule)
            .with("target", r.shown(target))
            .with("pct", Value::Share(pct.round() / 100.0))
    };
    if pct < floor_pct {
        let rule = head(Rule::new("kpi_linear_below_floor"))
            .with("floor", Value::Share(floor_pct / 100.0))
            .with("paid", r.money(0.0));
        (0.0, rule, None)
    } else if pct > cap_pct {
        let amount = pay * cap_pct / 100.0;
        let rule = head(Rule::new("kpi_linear_capped"))
            .with("cap", Value::Share(cap_pct / 100.0))
            .with("pay", r.money(pay))
            .with("total", r.money(amount));
        (amount, rule, None)
    } else {
        let amount = pay * r.actual / target;
        let rule = head(Rule::new("kpi_linear"))
            .with("pay", r.money(pay))
            .with("total", r.money(amount));
        (amount, rule, None)
    }
}

/// The amount of the highest step reached.
fn steps(r: &Reading<'_>, steps: &[Step]) -> Applied {
    let ladder: Vec<Rule> = steps
        .iter()
        .map(|s| {
            Rule::new("kpi_step")
                .with("at", r.shown(s.at))
                .with("amount", r.money(s.amount))
        })
        .collect();
    match steps.iter().rev().find(|s| r.actual >= s.at) {
        Some(step) => (
            step.amount,
            r.rule(Rule::new("kpi_steps"))
                .with("at", r.shown(step.at))
                .with("amount", r.money(step.amount))
                .with("steps", ladder),
            None,
        ),
        None => (
            0.0,
            r.rule(Rule::new("kpi_steps_below"))
                .with("first", r.shown(steps.first().map(|s| s.at).unwrap_or(0.0)))
                .with("paid", r.money(0.0))
                .with("steps", ladder),
            None,
        ),
    }
}

/// A gate: passed when the figure is at least (at most) the target.
fn gate(r: &Reading<'_>, target: f64, at_most: bool) -> Applied {
    let ok = if at_most {
        r.actual <= target
    } else {
        r.actual >= target
    };
    let rule = match (at_most, ok) {
        (false, true) => Rule::new("kpi_gate_min_passed"),
        (false, false) => Rule::new("kpi_gate_min_failed"),
        (true, true) => Rule::new("kpi_gate_max_passed"),
        (true, false) => Rule::new("kpi_gate_max_failed"),
    };
    let rule = r.rule(rule).with("target", r.shown(target));
    (0.0, rule, Some(ok))
}

/// One indicator applied to its figure, before any gate holds it back.
fn indicator(ind: &KpiIndicator, figure: &Figure, currency: &str) -> IndicatorResult {
    let actual = in_rule_terms(figure);
    let r = Reading {
        name: &ind.name,
        unit: figure.unit,
        actual,
        currency,
    };
    let (amount, rule, passed) = match &ind.rule {
        KpiRule::PerUnit { amount, max } => per_unit(&r, *amount, *max),
        KpiRule::Linear {
            target,
            pay,
            floor_pct,
            cap_pct,
        } => linear(&r, *target, *pay, *floor_pct, *cap_pct),
        KpiRule::Steps { steps: s } => steps(&r, s),
        KpiRule::Gate {
            target, at_most, ..
        } => gate(&r, *target, *at_most),
    };
    IndicatorResult {
        id: ind.id.clone(),
        name: ind.name.clone(),
        figure: ind.figure.clone(),
        actual,
        amount: round_money(amount),
        rule,
        passed,
        blocked_by: None,
        figure_rule: figure.rule.clone(),
        records: figure.records.clone(),
    }
}

/// A failed gate holds back the pay of what it covers (all others when
/// `applies_to` is empty) and names them in its own rule.
fn hold_back(
    gate: &KpiIndicator,
    applies_to: &[String],
    results: &mut [IndicatorResult],
    currency: &str,
) {
    let failed = results
        .iter()
        .any(|r| r.id == gate.id && r.passed == Some(false));
    if !failed {
        return;
    }
    let mut held = Vec::new();
    for r in results.iter_mut() {
        let covered = r.id != gate.id
            && r.passed.is_none()
            && (applies_to.is_empty() || applies_to.contains(&r.id));
        if covered && r.blocked_by.is_none() {
            if r.amount > 0.0 {
                r.rule = Rule::new("kpi_held_back")
                    .with("rule", r.rule.clone())
                    .with("gate", gate.name.clone())
                    .with(
                        "paid",
                        Value::Money {
                            amount: 0.0,
                            currency: currency.to_owned(),
                        },
                    );
            }
            r.amount = 0.0;
            r.blocked_by = Some(gate.id.clone());
            held.push(r.name.clone());
        }
    }
    if let Some(r) = results.iter_mut().find(|r| r.id == gate.id)
        && !held.is_empty()
    {
        r.rule = Rule::new("kpi_gate_holds")
            .with("rule", r.rule.clone())
            .with("held", held.join(", "));
    }
}

/// Applies `scheme` to the month's figures (by key).
pub fn evaluate(
    scheme: &KpiScheme,
    figures: &BTreeMap<String, Figure>,
    currency: &str,
) -> SchemeResult {
    let empty = Figure::count("missing", Rule::new("kpi_no_figure"), Vec::new());
    let mut results: Vec<IndicatorResult> = scheme
        .indicators
        .iter()
        .map(|ind| indicator(ind, figures.get(&ind.figure).unwrap_or(&empty), currency))
        .collect();
    for ind in scheme.indicators.iter() {
        if let KpiRule::Gate { applies_to, .. } = &ind.rule {
            hold_back(ind, applies_to, &mut results, currency);
        }
    }
    let bonus = round_money(results.iter().map(|r| r.amount).sum());
    SchemeResult {
        indicators: results,
        bonus,
    }
}

/// The month's figures carried to its end at the pace so far: cumulative
/// figures × `pace` (working days of the month / working days gone).
pub fn project(figures: &BTreeMap<String, Figure>, pace: f64) -> BTreeMap<String, Figure> {
    figures
        .iter()
        .map(|(key, f)| {
            let mut f = f.clone();
            if CUMULATIVE.contains(&key.as_str()) {
                f.value = (f.value * pace).round();
                f.rule = Rule::new("kpi_at_pace")
                    .with("rule", f.rule.clone())
                    .with("pace", pace);
            }
            (key.clone(), f)
        })
        .collect()
}

#[cfg(test)]
mod tests;
