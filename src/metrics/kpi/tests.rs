//! Each KPI rule with its numbers put in: amounts, caps, gates and the
//! wording people read.

use super::*;
use crate::config::Locale;
use chrono::NaiveDate;

/// A rule as the English catalog words it.
fn en(rule: &Rule) -> String {
    crate::words::Catalog::built_in().rule(Locale::En, rule)
}

/// A rule as the Russian catalog words it.
fn ru(rule: &Rule) -> String {
    crate::words::Catalog::built_in().rule(Locale::Ru, rule)
}

fn money(amount: f64) -> Value {
    Value::Money {
        amount,
        currency: "₽".into(),
    }
}

fn scheme(indicators: Vec<(&str, &str, KpiRule)>) -> KpiScheme {
    KpiScheme {
        position: "closer".into(),
        from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        indicators: indicators
            .into_iter()
            .map(|(id, figure, rule)| KpiIndicator {
                id: id.into(),
                name: id.replace('_', " "),
                figure: figure.into(),
                rule,
            })
            .collect(),
    }
}

fn figures(values: &[(&'static str, f64, Unit)]) -> BTreeMap<String, Figure> {
    values
        .iter()
        .map(|(key, value, unit)| {
            (
                key.to_string(),
                Figure {
                    key,
                    value: *value,
                    unit: *unit,
                    rule: Rule::new("meetings").with("n", Value::Number(*value)),
                    records: Vec::new(),
                },
            )
        })
        .collect()
}

fn linear(target: f64, pay: f64, floor_pct: f64, cap_pct: f64) -> KpiRule {
    KpiRule::Linear {
        target,
        pay,
        floor_pct,
        cap_pct,
    }
}

#[test]
fn per_unit_pays_each_meeting() {
    let s = scheme(vec![(
        "meetings_held",
        "meetings",
        KpiRule::PerUnit {
            amount: 500.0,
            max: None,
        },
    )]);
    let r = evaluate(&s, &figures(&[("meetings", 14.0, Unit::Count)]), "₽");
    assert_eq!(r.bonus, 7000.0);
    assert_eq!(
        en(&r.indicators[0].rule),
        "meetings held: 14 × ₽ 500 = ₽ 7,000"
    );
    assert_eq!(
        r.indicators[0].rule,
        Rule::new("kpi_per_unit")
            .with("name", "meetings held")
            .with("actual", Value::Number(14.0))
            .with("amount", money(500.0))
            .with("total", money(7000.0))
    );
    // The figure's own rule travels with the indicator.
    assert_eq!(
        en(&r.indicators[0].figure_rule),
        "meetings = meeting activities logged in the CRM = 14"
    );
}

#[test]
fn per_unit_stops_at_its_cap() {
    let s = scheme(vec![(
        "contacts",
        "successful_contacts",
        KpiRule::PerUnit {
            amount: 40.0,
            max: Some(5000.0),
        },
    )]);
    let r = evaluate(
        &s,
        &figures(&[("successful_contacts", 254.0, Unit::Count)]),
        "₽",
    );
    assert_eq!(r.bonus, 5000.0);
    assert_eq!(
        en(&r.indicators[0].rule),
        "contacts: 254 × ₽ 40 = ₽ 10,160, capped at ₽ 5,000"
    );
}

#[test]
fn linear_pays_in_proportion_between_floor_and_cap() {
    // Revenue is in kopecks; targets are in roubles.
    let s = scheme(vec![(
        "revenue",
        "revenue",
        linear(3_000_000.0, 20_000.0, 50.0, 150.0),
    )]);
    let at = |roubles: f64| {
        evaluate(
            &s,
            &figures(&[("revenue", roubles * 100.0, Unit::Money)]),
            "₽",
        )
    };
    let r = at(2_400_000.0);
    assert_eq!(r.bonus, 16_000.0);
    assert_eq!(
        en(&r.indicators[0].rule),
        "revenue: ₽ 2,400,000 of ₽ 3,000,000 = 80 % × ₽ 20,000 = ₽ 16,000"
    );
    let below = at(1_200_000.0);
    assert_eq!(below.bonus, 0.0);
    assert_eq!(
        en(&below.indicators[0].rule),
        "revenue: ₽ 1,200,000 of ₽ 3,000,000 = 40 %, below the floor of 50 %: ₽ 0"
    );
    // Exactly at the floor pays.
    assert_eq!(at(1_500_000.0).bonus, 10_000.0);
    let above = at(4_800_000.0);
    assert_eq!(above.bonus, 30_000.0);
    assert_eq!(
        en(&above.indicators[0].rule),
        "revenue: ₽ 4,800,000 of ₽ 3,000,000 = 160 %, capped at 150 % × ₽ 20,000 = ₽ 30,000"
    );
}

#[test]
fn steps_pay_the_highest_step_reached() {
    let s = scheme(vec![(
        "won",
        "deals_won",
        KpiRule::Steps {
            steps: vec![
                Step {
                    at: 3.0,
                    amount: 5000.0,
                },
                Step {
                    at: 5.0,
                    amount: 10000.0,
                },
                Step {
                    at: 8.0,
                    amount: 20000.0,
                },
            ],
        },
    )]);
    let at = |n: f64| evaluate(&s, &figures(&[("deals_won", n, Unit::Count)]), "₽");
    assert_eq!(at(2.0).bonus, 0.0);
    assert_eq!(
        en(&at(2.0).indicators[0].rule),
        "won: 2, below the first step (3): ₽ 0 (steps: from 3 → ₽ 5,000; from 5 → ₽ 10,000; from 8 → ₽ 20,000)"
    );
    assert_eq!(at(3.0).bonus, 5000.0);
    assert_eq!(at(7.0).bonus, 10000.0);
    assert_eq!(
        en(&at(7.0).indicators[0].rule),
        "won: 7, the step from 5 reached: ₽ 10,000 (steps: from 3 → ₽ 5,000; from 5 → ₽ 10,000; from 8 → ₽ 20,000)"
    );
    assert_eq!(at(12.0).bonus, 20000.0);
}

#[test]
fn a_failed_gate_holds_back_what_it_covers() {
    let per_meeting = KpiRule::PerUnit {
        amount: 500.0,
        max: None,
    };
    let s = scheme(vec![
        (
            "plan",
            "plan_completion",
            KpiRule::Gate {
                target: 80.0,
                at_most: false,
                applies_to: vec!["meetings".into()],
            },
        ),
        ("meetings", "meetings", per_meeting),
        (
            "revenue",
            "revenue",
            linear(1_000_000.0, 10_000.0, 0.0, 100.0),
        ),
    ]);
    let values = |plan: f64| {
        figures(&[
            ("plan_completion", plan, Unit::Ratio),
            ("meetings", 10.0, Unit::Count),
            ("revenue", 50_000_000.0, Unit::Money),
        ])
    };
    let failed = evaluate(&s, &values(0.72), "₽");
    // The gate covers meetings only: revenue still pays 5 000.
    assert_eq!(failed.bonus, 5000.0);
    assert_eq!(failed.indicators[0].passed, Some(false));
    assert_eq!(
        en(&failed.indicators[0].rule),
        "gate plan: 72 % < 80 %: not passed: meetings pay nothing"
    );
    assert_eq!(failed.indicators[1].amount, 0.0);
    assert_eq!(failed.indicators[1].blocked_by.as_deref(), Some("plan"));
    assert_eq!(
        en(&failed.indicators[1].rule),
        "meetings: 10 × ₽ 500 = ₽ 5,000, held back by the gate plan: ₽ 0"
    );
    let passed = evaluate(&s, &values(0.86), "₽");
    assert_eq!(passed.bonus, 10_000.0);
    assert_eq!(
        en(&passed.indicators[0].rule),
        "gate plan: 86 % ≥ 80 %: passed"
    );
    // The same data in a Russian team.
    assert_eq!(
        ru(&failed.indicators[0].rule),
        "условие «plan»: 72 % < 80 % — не выполнено: meetings не выплачиваются"
    );
    assert_eq!(
        ru(&failed.indicators[1].rule),
        "meetings: 10 × 500 ₽ = 5\u{a0}000 ₽, но не выполнено условие «plan»: 0 ₽"
    );
    assert_eq!(
        ru(&passed.indicators[0].rule),
        "условие «plan»: 86 % ≥ 80 % — выполнено"
    );
}

#[test]
fn an_at_most_gate_with_no_list_covers_every_other_indicator() {
    let s = scheme(vec![
        (
            "trace",
            "calls_without_trace",
            KpiRule::Gate {
                target: 5.0,
                at_most: true,
                applies_to: Vec::new(),
            },
        ),
        (
            "meetings",
            "meetings",
            KpiRule::PerUnit {
                amount: 500.0,
                max: None,
            },
        ),
    ]);
    let at = |untraced: f64| {
        evaluate(
            &s,
            &figures(&[
                ("calls_without_trace", untraced, Unit::Count),
                ("meetings", 4.0, Unit::Count),
            ]),
            "₽",
        )
    };
    assert_eq!(at(5.0).bonus, 2000.0);
    assert_eq!(en(&at(5.0).indicators[0].rule), "gate trace: 5 ≤ 5: passed");
    assert_eq!(at(6.0).bonus, 0.0);
    assert_eq!(
        en(&at(6.0).indicators[0].rule),
        "gate trace: 6 > 5: not passed: meetings pay nothing"
    );
}

#[test]
fn the_forecast_carries_sums_at_the_pace_and_leaves_shares() {
    let now = figures(&[
        ("meetings", 10.0, Unit::Count),
        ("plan_completion", 0.9, Unit::Ratio),
        ("overdue_tasks", 4.0, Unit::Count),
    ]);
    // 10 of 21 working days gone.
    let ahead = project(&now, 21.0 / 10.0);
    assert_eq!(ahead["meetings"].value, 21.0);
    assert_eq!(ahead["plan_completion"].value, 0.9);
    assert_eq!(ahead["overdue_tasks"].value, 4.0);
    assert_eq!(
        en(&ahead["meetings"].rule),
        "meetings = meeting activities logged in the CRM = 10 at the month's pace (× 2.1)"
    );
    assert_eq!(
        ru(&ahead["meetings"].rule),
        "встречи = встречи, отмеченные в CRM за период = 10 в темпе месяца (× 2,1)"
    );
    // A share is not carried forward, nor is its rule.
    assert_eq!(ahead["plan_completion"].rule, now["plan_completion"].rule);
}
