//! The crontab a person writes (`min hour dom month dow`, Sunday = 0 or 7,
//! Monday = 1), parsed into explicit sets and translated into the `cron`
//! crate's 6-field syntax (seconds first, Sunday = 1, Monday = 2).
//!
//! We expand every field ourselves and hand the crate explicit lists, so no
//! numbering or step convention of the crate can shift a weekday.

use std::collections::BTreeSet;

/// A crontab that cannot be read: the expression and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{expression}\": {problem}")]
pub struct CronError {
    pub expression: String,
    pub problem: String,
}

/// One of the five fields, with its range and names.
#[derive(Clone, Copy)]
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names accepted instead of numbers, as (prefix of 3 letters, value).
    names: &'static [(&'static str, u32)],
    expected: &'static str,
    /// Said after an out-of-range number.
    hint: &'static str,
}

const MINUTE: FieldSpec = FieldSpec {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
    expected: "0-59",
    hint: "",
};
const HOUR: FieldSpec = FieldSpec {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    expected: "0-23",
    hint: "",
};
const DAY_OF_MONTH: FieldSpec = FieldSpec {
    name: "day of month",
    min: 1,
    max: 31,
    names: &[],
    expected: "1-31",
    hint: "",
};
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
    expected: "1-12 or jan-dec",
    hint: " (or jan-dec)",
};
/// 0 and 7 are both Sunday, as in every crontab.
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day of week",
    min: 0,
    max: 7,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
    expected: "0-7 (0 and 7 = Sunday, 1 = Monday) or mon-sun",
    hint: " (0 and 7 = Sunday, 1 = Monday; or mon-sun)",
};

/// Full names people also write; mapped to the 3-letter ones.
const LONG_NAMES: &[(&str, &str)] = &[
    ("sunday", "sun"),
    ("monday", "mon"),
    ("tuesday", "tue"),
    ("wednesday", "wed"),
    ("thursday", "thu"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
];

/// A parsed 5-field crontab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Crontab {
    pub minutes: BTreeSet<u32>,
    pub hours: BTreeSet<u32>,
    pub days_of_month: BTreeSet<u32>,
    pub months: BTreeSet<u32>,
    /// 0 = Sunday .. 6 = Saturday (a 7 is folded into 0).
    pub days_of_week: BTreeSet<u32>,
    /// Whether the day-of-month / day-of-week field started with `*`. When
    /// neither did, cron fires on a day matching either (not both).
    dom_star: bool,
    dow_star: bool,
}

impl Crontab {
    pub(super) fn parse(expression: &str) -> Result<Self, CronError> {
        let fail = |problem: String| CronError {
            expression: expression.to_owned(),
            problem,
        };
        let text = expression.trim();
        let text = match shorthand(text) {
            Some(Ok(expanded)) => expanded,
            Some(Err(problem)) => return Err(fail(problem)),
            None => text,
        };
        let fields: Vec<&str> = text.split_whitespace().collect();
        match fields.len() {
            5 => {}
            0 => return Err(fail(format!("is empty ({FIVE_FIELDS})"))),
            6 | 7 => {
                return Err(fail(format!(
                    "has {} fields; we take standard 5-field cron without seconds or years ({FIVE_FIELDS})",
                    fields.len()
                )));
            }
            n => return Err(fail(format!("has {n} fields ({FIVE_FIELDS})"))),
        }
        let minutes = field(fields[0], MINUTE).map_err(fail)?;
        let hours = field(fields[1], HOUR).map_err(fail)?;
        let days_of_month = field(fields[2], DAY_OF_MONTH).map_err(fail)?;
        let months = field(fields[3], MONTH).map_err(fail)?;
        let days_of_week: BTreeSet<u32> = field(fields[4], DAY_OF_WEEK)
            .map_err(fail)?
            .into_iter()
            .map(|d| d % 7)
            .collect();
        let tab = Crontab {
            minutes,
            hours,
            days_of_month,
            months,
            days_of_week,
            dom_star: fields[2].starts_with('*'),
            dow_star: fields[4].starts_with('*'),
        };
        if tab.dow_star {
            // The days come from the day of month: refuse one that none of
            // the chosen months has, such as 31 February.
            const LONGEST: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let possible = tab
                .days_of_month
                .iter()
                .any(|&d| tab.months.iter().any(|&m| d <= LONGEST[m as usize - 1]));
            if !possible {
                return Err(fail(format!(
                    "day of month {} never occurs in month {} (it would never fire)",
                    list(&tab.days_of_month),
                    list(&tab.months)
                )));
            }
        }
        Ok(tab)
    }

    /// The `cron` crate expressions (6 fields, seconds first, Sunday = 1)
    /// whose union is this crontab: one, or two when both day fields are
    /// restricted (the crate would require both to match; cron wants either).
    pub(super) fn crate_expressions(&self) -> Vec<String> {
        let minutes = explicit(&self.minutes, MINUTE);
        let hours = explicit(&self.hours, HOUR);
        let dom = explicit(&self.days_of_month, DAY_OF_MONTH);
        let months = explicit(&self.months, MONTH);
        let dow = if self.days_of_week.len() == 7 {
            "*".to_owned()
        } else {
            list(&self.days_of_week.iter().map(|d| d + 1).collect())
        };
        let with = |dom: &str, dow: &str| format!("0 {minutes} {hours} {dom} {months} {dow}");
        if !self.dom_star && !self.dow_star {
            vec![with(&dom, "*"), with("*", &dow)]
        } else {
            vec![with(&dom, &dow)]
        }
    }
}

const FIVE_FIELDS: &str =
    "expected 5 fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\"";

/// `@daily` and friends, as Vixie cron reads them.
fn shorthand(text: &str) -> Option<Result<&'static str, String>> {
    let word = text.strip_prefix('@')?;
    Some(match word.to_ascii_lowercase().as_str() {
        "yearly" | "annually" => Ok("0 0 1 1 *"),
        "monthly" => Ok("0 0 1 * *"),
        "weekly" => Ok("0 0 * * 0"),
        "daily" | "midnight" => Ok("0 0 * * *"),
        "hourly" => Ok("0 * * * *"),
        _ => Err(format!(
            "@{word} is not a schedule we take (expected @hourly, @daily, @weekly, @monthly, @yearly or 5 fields)"
        )),
    })
}

fn list(values: &BTreeSet<u32>) -> String {
    values
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `*` for a full field, else the values listed.
fn explicit(values: &BTreeSet<u32>, spec: FieldSpec) -> String {
    if values.len() as u32 == spec.max - spec.min + 1 {
        "*".to_owned()
    } else {
        list(values)
    }
}

/// One field: a comma list of `*`, `N`, `N-M`, each with an optional `/step`.
fn field(text: &str, spec: FieldSpec) -> Result<BTreeSet<u32>, String> {
    let mut values = BTreeSet::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step = step
                    .parse::<u32>()
                    .map_err(|_| format!("{} step \"{step}\" is not a whole number", spec.name))?;
                if step == 0 {
                    return Err(format!("{} step must be at least 1", spec.name));
                }
                (range, step)
            }
            None => (part, 1),
        };
        let (low, high) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (low, high) = (value(a, spec)?, value(b, spec)?);
            if low > high {
                return Err(format!(
                    "{} range {range} runs backwards (expected low-high within {})",
                    spec.name, spec.expected
                ));
            }
            (low, high)
        } else {
            let low = value(range, spec)?;
            // `5/15` means from 5 to the end in steps of 15.
            (low, if part.contains('/') { spec.max } else { low })
        };
        values.extend((low..=high).step_by(step as usize));
    }
    Ok(values)
}

fn value(text: &str, spec: FieldSpec) -> Result<u32, String> {
    if text.is_empty() {
        return Err(format!(
            "{} has an empty value (expected {})",
            spec.name, spec.expected
        ));
    }
    if let Ok(n) = text.parse::<u32>() {
        return if (spec.min..=spec.max).contains(&n) {
            Ok(n)
        } else {
            Err(format!(
                "{} {n} is out of {}-{}{}",
                spec.name, spec.min, spec.max, spec.hint
            ))
        };
    }
    let lower = text.to_ascii_lowercase();
    let short = LONG_NAMES
        .iter()
        .find(|(long, _)| *long == lower)
        .map_or(lower.as_str(), |(_, short)| short);
    spec.names
        .iter()
        .find(|(name, _)| *name == short)
        .map(|(_, n)| *n)
        .ok_or_else(|| {
            format!(
                "{} \"{text}\" is not a value (expected {})",
                spec.name, spec.expected
            )
        })
}
