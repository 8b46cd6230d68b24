//! `report kpi` and the guard that keeps a month's KPI rules fixed: a
//! scheme is recorded in the database when its month arrives, and a config
//! that changes a recorded scheme, or slips a new one under a month already
//! under way, is refused with what to do instead.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::config::kpi::month_of;
use crate::metrics::kpi::{IndicatorResult, SchemeResult};
use crate::metrics::{Rule, Unit, Value};
use crate::report::figures_text::Speech;
use crate::report::kpi::{KpiReport, KpiRow, Place};
use crate::storage::{RecordedScheme, Store};
use crate::words::Arg;

/// The config's today: the first team's calendar day at `now`.
pub fn today(config: &Config, now: DateTime<Utc>) -> NaiveDate {
    config
        .teams
        .first()
        .map(|t| crate::calendar::local_day(t.timezone, now))
        .unwrap_or_else(|| now.date_naive())
}

fn next_month(month: NaiveDate) -> String {
    month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month)
        .format("%Y-%m")
        .to_string()
}

/// What in the config's `[kpi]` would change the rules of a month already
/// begun, against the schemes recorded so far; empty when nothing would.
pub fn scheme_changes(
    config: &Config,
    recorded: &[RecordedScheme],
    today: NaiveDate,
) -> Vec<String> {
    let current = month_of(today);
    let label = current.format("%Y-%m").to_string();
    let stored: BTreeMap<(&str, &str), &RecordedScheme> = recorded
        .iter()
        .map(|r| ((r.position.as_str(), r.from_month.as_str()), r))
        .collect();
    let mut issues = Vec::new();
    for (i, s) in config.kpi.schemes.iter().enumerate() {
        if s.from > current {
            continue;
        }
        let from = s.month_label();
        match stored.get(&(s.position.as_str(), from.as_str())) {
            Some(r) if r.scheme != s.canonical() => issues.push(format!(
                "kpi.schemes[{i}]: the scheme for \"{}\" from {from} is in force (recorded {}) and this config changes it; the rules of a month do not change while people work under them: keep this one as it was and put the change in a new [[kpi.schemes]] with from = \"{}\"",
                s.position,
                DateTime::from_timestamp(r.recorded_at, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                next_month(current)
            )),
            Some(_) => {}
            None => {
                let earlier = recorded
                    .iter()
                    .filter(|r| r.position == s.position && r.from_month.as_str() <= label.as_str())
                    .map(|r| r.from_month.clone())
                    .max();
                if let Some(earlier) = earlier {
                    issues.push(format!(
                        "kpi.schemes[{i}]: from = \"{from}\" would change the rules of \"{}\" in a month already begun ({label} is under way, paid under the scheme from {earlier}); a new scheme takes effect from the next month at the earliest: from = \"{}\"",
                        s.position,
                        next_month(current)
                    ));
                }
            }
        }
    }
    for r in recorded
        .iter()
        .filter(|r| r.from_month.as_str() <= label.as_str())
    {
        let kept = config
            .kpi
            .schemes
            .iter()
            .any(|s| s.position == r.position && s.month_label() == r.from_month);
        if !kept {
            issues.push(format!(
                "kpi: the scheme for \"{}\" from {} was in force and is gone from the config; past months keep the scheme they had: put it back (its recorded copy is in the table kpi_schemes)",
                r.position, r.from_month
            ));
        }
    }
    issues
}

/// Refuses a config that changes a month's rules; records the schemes
/// whose month has arrived.
pub async fn guard(store: &Store, config: &Config, now: DateTime<Utc>) -> anyhow::Result<()> {
    if config.kpi.schemes.is_empty() {
        return Ok(());
    }
    let today = today(config, now);
    let recorded = store.kpi_schemes().await?;
    let issues = scheme_changes(config, &recorded, today);
    if !issues.is_empty() {
        anyhow::bail!(
            "the KPI schemes in the config are refused:\n  {}",
            issues.join("\n  ")
        );
    }
    // Schemes of months to come are recorded as they stand, so that one
    // set up ahead is not mistaken, when its month comes, for one slipped
    // into a month under way.
    let current = month_of(today);
    let new: Vec<RecordedScheme> = config
        .kpi
        .schemes
        .iter()
        .filter(|s| {
            s.from > current
                || !recorded
                    .iter()
                    .any(|r| r.position == s.position && r.from_month == s.month_label())
        })
        .map(|s| RecordedScheme {
            position: s.position.clone(),
            from_month: s.month_label(),
            scheme: s.canonical(),
            recorded_at: now.timestamp(),
        })
        .collect();
    store
        .record_kpi_schemes(&current.format("%Y-%m").to_string(), &new)
        .await?;
    Ok(())
}

/// What `check-config` says of the KPI schemes: none changes a month already
/// begun (judged against those recorded, read only), or that they could not
/// be judged; an error names each change refused. `None` without schemes.
pub async fn check_schemes(
    config: &Config,
    path: &std::path::Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    if config.kpi.schemes.is_empty() {
        return Ok(None);
    }
    let store = match crate::storage::open(config.database_url.expose()).await {
        Ok(store) => store,
        Err(e) => {
            return Ok(Some(format!(
                "  KPI schemes not checked against those in force: the database cannot be opened ({e})"
            )));
        }
    };
    let recorded = store.kpi_schemes().await;
    store.close().await;
    let issues = scheme_changes(config, &recorded?, today(config, now));
    if !issues.is_empty() {
        anyhow::bail!(
            "{} is not valid: {} KPI scheme problem(s):\n  {}",
            path.display(),
            issues.len(),
            issues.join("\n  ")
        );
    }
    Ok(Some(format!(
        "  KPI schemes: {} version(s), none changes a month already begun",
        config.kpi.schemes.len()
    )))
}

/// Opens the database and checks the KPI schemes against it.
pub async fn open_guarded(config: &Config, now: DateTime<Utc>) -> anyhow::Result<Arc<Store>> {
    let store = super::open_store(config).await?;
    guard(store.as_ref(), config, now).await?;
    Ok(store)
}

/// The KPI report as text in `s`'s words: the bonus table, then each
/// person's amounts opened into their rules; with `explain`, each figure's
/// own rule and the records behind it.
pub fn render_text_in(
    s: Speech<'_>,
    report: &KpiReport,
    places: &[&Place],
    explain: bool,
) -> String {
    let mut out = bonus_table(s, report, places);
    let rows = places
        .iter()
        .filter_map(|p| report.rows.iter().find(|r| r.employee_id == p.employee_id));
    for row in rows {
        person_rules(&mut out, s, report, row, explain);
    }
    out
}

/// An amount in the report's currency, in `s`'s words.
fn money(s: Speech<'_>, report: &KpiReport, amount: f64) -> String {
    s.catalog.money(s.locale, amount, &report.currency)
}

/// The heading and the ranked bonus table, with the forecast column for a
/// month under way.
fn bonus_table(s: Speech<'_>, report: &KpiReport, places: &[&Place]) -> String {
    let mut out = s.say(
        "cli-kpi-title",
        &[
            ("team", Arg::from(report.team_name.as_str())),
            (
                "month",
                Arg::from(s.catalog.month(s.locale, report.first_day)),
            ),
            ("through", Arg::from(s.date(report.through))),
            ("gone", Arg::from(report.working_days_gone)),
            ("days", Arg::from(u64::from(report.working_days))),
        ],
    );
    out.push('\n');
    let forecast = report.total_forecast.is_some();
    let forecast_head = if forecast {
        format!(" {:>14}", s.say("cli-kpi-forecast", &[]))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n{:>3}  {:<28} {:>14}{forecast_head}",
        "#",
        "",
        s.say("cli-kpi-bonus", &[])
    );
    for place in places {
        let Some(row) = report
            .rows
            .iter()
            .find(|r| r.employee_id == place.employee_id)
        else {
            continue;
        };
        let bonus = row
            .result
            .as_ref()
            .map(|r| money(s, report, r.bonus))
            .unwrap_or_else(|| s.say("cli-kpi-no-scheme", &[]));
        let ahead = row
            .forecast
            .as_ref()
            .map(|f| format!(" {:>14}", money(s, report, f.bonus)))
            .unwrap_or_default();
        let position = row
            .position
            .clone()
            .unwrap_or_else(|| s.say("cli-kpi-no-position", &[]));
        let who = format!("{} ({position})", row.name);
        let _ = writeln!(out, "{:>3}  {:<28} {:>14}{ahead}", place.rank, who, bonus);
    }
    let _ = writeln!(
        out,
        "     {:<28} {:>14}{}",
        s.say("cli-kpi-total", &[]),
        money(s, report, report.total_bonus),
        report
            .total_forecast
            .map(|f| format!(" {:>14}", money(s, report, f)))
            .unwrap_or_default()
    );
    out
}

/// The records behind an indicator, the first twelve by id.
fn records_line(s: Speech<'_>, ind: &IndicatorResult) -> String {
    let shown: Vec<String> = ind
        .records
        .iter()
        .take(12)
        .map(|r| format!("{}:{}", r.source, r.id))
        .collect();
    let more = ind.records.len().saturating_sub(shown.len());
    let args = [
        ("n", Arg::from(ind.records.len())),
        ("list", Arg::from(shown.join(", "))),
        ("more", Arg::from(more)),
    ];
    if more > 0 {
        s.say("cli-kpi-records-more", &args)
    } else {
        s.say("cli-kpi-records", &args)
    }
}

/// An indicator's figure in the rule's terms, with the figure's unit.
fn in_unit(report: &KpiReport, row: &KpiRow, i: &IndicatorResult) -> Value {
    match row.figures.get(&i.figure).map(|f| f.unit) {
        Some(Unit::Ratio) => Value::Share(i.actual / 100.0),
        Some(Unit::Money) => Value::Money {
            amount: i.actual,
            currency: report.currency.clone(),
        },
        Some(Unit::Seconds) => Value::Seconds(i.actual.round() as i64),
        Some(Unit::Count) | None => Value::Number(i.actual),
    }
}

/// Where the month lands at its pace so far, as a rule: the bonus and each
/// indicator's projected figure or gate.
pub fn forecast_rule(report: &KpiReport, row: &KpiRow, forecast: &SchemeResult) -> Rule {
    let parts: Vec<Rule> = forecast
        .indicators
        .iter()
        .map(|i| match i.passed {
            None => Rule::new("kpi_forecast_part")
                .with("name", i.name.as_str())
                .with("actual", in_unit(report, row, i)),
            Some(true) => Rule::new("kpi_forecast_gate_passed").with("name", i.name.as_str()),
            Some(false) => Rule::new("kpi_forecast_gate_failed")
                .with("name", i.name.as_str())
                .with("actual", in_unit(report, row, i)),
        })
        .collect();
    Rule::new("kpi_forecast")
        .with("gone", Value::Number(report.working_days_gone))
        .with("days", Value::Count(i64::from(report.working_days)))
        .with(
            "bonus",
            Value::Money {
                amount: forecast.bonus,
                currency: report.currency.clone(),
            },
        )
        .with("parts", parts)
}

/// One person's amounts opened into their rules (with `explain`, each
/// figure's rule and records), and their forecast.
fn person_rules(out: &mut String, s: Speech<'_>, report: &KpiReport, row: &KpiRow, explain: bool) {
    let position = row.position.as_deref().unwrap_or_default();
    let Some(result) = &row.result else {
        let line = s.say(
            "cli-kpi-person-no-scheme",
            &[
                ("name", Arg::from(row.name.as_str())),
                ("position", Arg::from(position)),
                (
                    "month",
                    Arg::from(s.catalog.month(s.locale, report.first_day)),
                ),
            ],
        );
        let _ = writeln!(out, "\n{line}");
        return;
    };
    let head = s.say(
        "cli-kpi-person",
        &[
            ("name", Arg::from(row.name.as_str())),
            ("position", Arg::from(position)),
            (
                "from",
                Arg::from(row.scheme_from.as_deref().unwrap_or_default()),
            ),
            ("bonus", Arg::from(money(s, report, result.bonus))),
        ],
    );
    let _ = writeln!(out, "\n{head}");
    for ind in &result.indicators {
        let _ = writeln!(out, "  {}", s.rule(&ind.rule));
        if explain {
            let _ = writeln!(out, "      {}", s.rule(&ind.figure_rule));
            if !ind.records.is_empty() {
                let _ = writeln!(out, "      {}", records_line(s, ind));
            }
        }
    }
    let amounts = result
        .indicators
        .iter()
        .filter(|i| i.passed.is_none())
        .map(|i| money(s, report, i.amount))
        .collect::<Vec<_>>()
        .join(" + ");
    let _ = writeln!(out, "  = {amounts} = {}", money(s, report, result.bonus));
    if let Some(f) = &row.forecast {
        let _ = writeln!(out, "  {}", s.rule(&forecast_rule(report, row, f)));
    }
}
