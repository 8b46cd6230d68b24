//! KPI schemes as the config states them: per position, versioned by month,
//! each a list of indicators with their rule (`METRICS.md`, section 6).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Who sees whose line of a leaderboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaderboardScope {
    /// Everyone of the team sees everyone's line.
    Everyone,
    /// A manager sees their own line and rank; heads and owners see all.
    Own,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KpiConfig {
    /// Shown after amounts: "₽", "€", "USD".
    pub currency: String,
    /// A KPI line per manager in the morning digest.
    pub in_digest: bool,
    pub leaderboard: LeaderboardScope,
    pub schemes: Vec<KpiScheme>,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            currency: "₽".into(),
            in_digest: false,
            leaderboard: LeaderboardScope::Own,
            schemes: Vec::new(),
        }
    }
}

/// One version of a position's scheme, in force from the first day of
/// `from` until the next version's month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiScheme {
    pub position: String,
    /// The first day of the month it takes effect.
    pub from: NaiveDate,
    pub indicators: Vec<KpiIndicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiIndicator {
    pub id: String,
    /// The name people read; the figure's key when not given.
    pub name: String,
    /// A figure of `METRICS.md` (`domain::KPI_FIGURES`).
    pub figure: String,
    pub rule: KpiRule,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum KpiRule {
    /// pay × actual / target; nothing below `floor_pct` of the target,
    /// at most `cap_pct` of it.
    Linear {
        target: f64,
        pay: f64,
        floor_pct: f64,
        cap_pct: f64,
    },
    /// The amount of the highest step reached.
    Steps { steps: Vec<Step> },
    /// An amount per unit of the figure, at most `max` in all.
    PerUnit { amount: f64, max: Option<f64> },
    /// Pays nothing itself; the indicators in `applies_to` (all others when
    /// empty) pay only when the figure is at least the target (at most, for
    /// `at_most`).
    Gate {
        target: f64,
        at_most: bool,
        applies_to: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The figure's value from which this step pays.
    pub at: f64,
    pub amount: f64,
}

/// The first day of the month holding `day`.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl KpiScheme {
    /// The scheme as stored to tell later whether it changed.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn month_label(&self) -> String {
        self.from.format("%Y-%m").to_string()
    }
}

impl KpiConfig {
    /// The version of `position`'s scheme in force in the month of `day`.
    pub fn scheme_for(&self, position: &str, day: NaiveDate) -> Option<&KpiScheme> {
        let month = month_of(day);
        self.schemes
            .iter()
            .filter(|s| s.position == position && s.from <= month)
            .max_by_key(|s| s.from)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawKpi {
    pub currency: Option<String>,
    pub in_digest: Option<bool>,
    pub leaderboard: Option<String>,
    #[serde(default)]
    pub schemes: Vec<RawScheme>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheme {
    pub position: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub id: Option<String>,
    pub name: Option<String>,
    pub figure: Option<String>,
    pub period: Option<String>,
    pub rule: Option<String>,
    pub target: Option<f64>,
    pub pay: Option<f64>,
    pub floor_pct: Option<f64>,
    pub cap_pct: Option<f64>,
    pub amount: Option<f64>,
    pub max: Option<f64>,
    pub steps: Option<Vec<Step>>,
    pub at_most: Option<bool>,
    pub applies_to: Option<Vec<String>>,
}

/// The last day of the month holding `day`.
pub fn month_end(day: NaiveDate) -> NaiveDate {
    let first = month_of(day);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(first)
}
