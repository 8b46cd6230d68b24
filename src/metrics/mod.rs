//! Figures: pure functions from records of a scope and a period to numbers
//! that explain themselves. Nothing here reads a clock, a file or the
//! database: "now" and every threshold come in as parameters. The
//! definitions are those of `METRICS.md`.

pub mod alerts;
pub mod day;
pub mod funnel;
pub mod hygiene;
pub mod kpi;
pub mod moments;
pub mod open_work;
pub mod plan;
pub mod pulse;
pub mod rule;
pub mod telephony;

pub use rule::{Rule, Value};

use serde::Serialize;

/// What a figure counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Seconds,
    /// A share: 0.25 is 25 %.
    Ratio,
    /// Money in minor units (kopecks).
    Money,
}

/// Which kind of record a figure points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Call,
    Deal,
    Task,
    Activity,
    Comment,
    StageChange,
    Postponement,
}

/// A record behind a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordRef {
    pub kind: RecordKind,
    pub source: String,
    pub id: String,
}

/// One figure: its value, the rule with the numbers put in (as data: an id
/// and named values, worded by `words`), and the records it was computed
/// from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub key: &'static str,
    pub value: f64,
    pub unit: Unit,
    pub rule: Rule,
    pub records: Vec<RecordRef>,
}

impl Figure {
    pub fn count(key: &'static str, rule: Rule, records: Vec<RecordRef>) -> Self {
        Self {
            key,
            value: records.len() as f64,
            unit: Unit::Count,
            rule,
            records,
        }
    }

    /// A count of `n`, with the records behind it when they were gathered
    /// (none when the count comes from the daily roll-up).
    pub fn count_of(key: &'static str, rule: Rule, n: usize, records: Vec<RecordRef>) -> Self {
        Self {
            key,
            value: n as f64,
            unit: Unit::Count,
            rule,
            records,
        }
    }
}

/// The median of whole seconds (the mean of the two middle values for an
/// even count); `None` for no values.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    })
}

/// A share as a rounded percentage, `None` when there is nothing to divide by.
pub fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
