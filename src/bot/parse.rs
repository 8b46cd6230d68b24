//! Chat commands as people type them: `/me вчера`, `/why trace Иванов 16.11`,
//! `/kpi @ivanov 2026-10`. Dates in both languages.

use chrono::{Datelike, Duration, NaiveDate};

/// A period named in a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn day(d: NaiveDate) -> Self {
        Period { first: d, last: d }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start(Option<String>),
    Help,
    Me(Option<Period>),
    Pulse {
        who: Option<String>,
        day: Option<NaiveDate>,
    },
    Plan {
        who: Option<String>,
    },
    Funnel {
        who: Option<String>,
    },
    /// `from`: the first line shown (a list's «ещё 20» button: `+20`).
    Stuck {
        who: Option<String>,
        from: usize,
    },
    Overdue {
        who: Option<String>,
        from: usize,
    },
    Top {
        period: Option<Period>,
    },
    Team,
    Report(String),
    /// `from`: the first record listed (its «ещё 20» button: `+20`).
    Why {
        figure: String,
        who: Option<String>,
        day: Option<NaiveDate>,
        from: usize,
    },
    Kpi {
        who: Option<String>,
        month: Option<NaiveDate>,
    },
}

/// The commands, in the order /help and Telegram's menu list them; each
/// one's description is the catalog's `bot-command-<name>`.
pub const COMMANDS: &[&str] = &[
    "me", "pulse", "plan", "funnel", "stuck", "overdue", "top", "team", "kpi", "why", "report",
    "help",
];

/// What was wrong with a message, with the values a reply names; the answer
/// words it in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Longer than `MAX_COMMAND_CHARS`.
    TooLong { length: usize, max: usize },
    /// No leading `/`.
    NotACommand,
    /// `/name` is none of `COMMANDS` (the name as echoed).
    UnknownCommand(String),
    /// A word that should have been a day or a period (as echoed).
    NotAPeriod(String),
    /// `/me` with more than one word.
    MeTakesOne,
    /// `/report` with nothing after it.
    ReportNeedsFigures,
    /// `/why` with nothing after it.
    WhyNeedsFigure,
}

/// A day or a period from a word: `today`/`сегодня`, `yesterday`/`вчера`,
/// `week`/`неделя` (this week so far), `month`/`месяц`, `2026-11-20`,
/// `20.11`, `20.11.2026`. `None` when the word is not a date.
pub fn period(word: &str, today: NaiveDate) -> Option<Period> {
    let w = word.trim().to_lowercase();
    match w.as_str() {
        "today" | "сегодня" | "day" | "день" => return Some(Period::day(today)),
        "yesterday" | "вчера" => return Some(Period::day(today - Duration::days(1))),
        "week" | "неделя" | "неделю" => {
            let monday = today - Duration::days(today.weekday().num_days_from_monday().into());
            return Some(Period {
                first: monday,
                last: today,
            });
        }
        "month" | "месяц" => {
            return Some(Period {
                first: today.with_day(1)?,
                last: today,
            });
        }
        _ => {}
    }
    day(&w, today).map(Period::day)
}

/// A single day: `2026-11-20`, `20.11.2026`, `20.11` (the latest such day
/// not after today), `today`, `yesterday`; none outside the years records
/// may have (`domain::FIRST_YEAR` to `LAST_YEAR`).
pub fn day(word: &str, today: NaiveDate) -> Option<NaiveDate> {
    any_day(word, today).filter(|d| plausible(*d))
}

fn plausible(d: NaiveDate) -> bool {
    (crate::domain::FIRST_YEAR..=crate::domain::LAST_YEAR).contains(&d.year())
}

fn any_day(word: &str, today: NaiveDate) -> Option<NaiveDate> {
    let w = word.trim().to_lowercase();
    match w.as_str() {
        "today" | "сегодня" => return Some(today),
        "yesterday" | "вчера" => return Some(today - Duration::days(1)),
        _ => {}
    }
    if let Ok(d) = NaiveDate::parse_from_str(&w, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(&w, "%d.%m.%Y") {
        return Some(d);
    }
    let (d, m) = w.split_once('.')?;
    let (d, m): (u32, u32) = (d.parse().ok()?, m.parse().ok()?);
    let this_year = NaiveDate::from_ymd_opt(today.year(), m, d)?;
    if this_year <= today {
        Some(this_year)
    } else {
        NaiveDate::from_ymd_opt(today.year() - 1, m, d)
    }
}

fn month(word: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", word.trim()), "%Y-%m-%d")
        .ok()
        .filter(|d| plausible(*d))
}

/// Splits the words after a command into an optional person and an
/// optional trailing date (the last word, when it reads as one).
fn who_and_day(args: &[&str], today: NaiveDate) -> (Option<String>, Option<NaiveDate>) {
    match args.split_last() {
        Some((last, rest)) if day(last, today).is_some() => {
            (non_empty(rest.join(" ")), day(last, today))
        }
        _ => (non_empty(args.join(" ")), None),
    }
}

/// Who, and the first line of a list to show: a last word `+N`.
fn who_and_from(args: &[&str]) -> (Option<String>, usize) {
    match args.split_last() {
        Some((last, rest)) if last.starts_with('+') => match last[1..].parse() {
            Ok(from) => (non_empty(rest.join(" ")), from),
            Err(_) => (non_empty(args.join(" ")), 0),
        },
        _ => (non_empty(args.join(" ")), 0),
    }
}

fn non_empty(s: String) -> Option<String> {
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// The longest message read as a command, in characters.
pub const MAX_COMMAND_CHARS: usize = 500;

/// A word of the reader's message as it is echoed back in an answer: at most
/// 40 characters, so that a long message never comes back whole.
pub fn echo(word: &str) -> String {
    const MAX: usize = 40;
    if word.chars().count() <= MAX {
        return word.to_owned();
    }
    let head: String = word.chars().take(MAX - 1).collect();
    format!("{head}…")
}

/// Parses a message; `Err` says what was wrong, for a reply with help.
pub fn parse(text: &str, today: NaiveDate) -> Result<Command, ParseError> {
    let text = text.trim();
    let length = text.chars().count();
    if length > MAX_COMMAND_CHARS {
        return Err(ParseError::TooLong {
            length,
            max: MAX_COMMAND_CHARS,
        });
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(ParseError::NotACommand);
    };
    let mut words = rest.split_whitespace();
    let head = words.next().unwrap_or_default();
    // `/me@salespulse_bot` in groups.
    let name = head.split('@').next().unwrap_or_default().to_lowercase();
    let args: Vec<&str> = words.collect();
    let who = || non_empty(args.join(" "));
    Ok(match name.as_str() {
        "start" => Command::Start(args.first().map(|s| (*s).to_owned())),
        "help" => Command::Help,
        "me" => match args.as_slice() {
            [] => Command::Me(None),
            [w] => Command::Me(Some(
                period(w, today).ok_or_else(|| ParseError::NotAPeriod(echo(w)))?,
            )),
            _ => return Err(ParseError::MeTakesOne),
        },
        "pulse" => {
            let (who, day) = who_and_day(&args, today);
            Command::Pulse { who, day }
        }
        "plan" => Command::Plan { who: who() },
        "funnel" => Command::Funnel { who: who() },
        "stuck" => {
            let (who, from) = who_and_from(&args);
            Command::Stuck { who, from }
        }
        "overdue" => {
            let (who, from) = who_and_from(&args);
            Command::Overdue { who, from }
        }
        "team" => Command::Team,
        "top" => Command::Top {
            period: match args.first() {
                None => None,
                Some(w) => Some(period(w, today).ok_or_else(|| ParseError::NotAPeriod(echo(w)))?),
            },
        },
        "report" => {
            if args.is_empty() {
                return Err(ParseError::ReportNeedsFigures);
            }
            Command::Report(args.join(" "))
        }
        "why" => {
            let Some((figure, rest)) = args.split_first() else {
                return Err(ParseError::WhyNeedsFigure);
            };
            let (rest, from) = match rest.split_last() {
                Some((last, before)) if last.starts_with('+') => match last[1..].parse() {
                    Ok(from) => (before, from),
                    Err(_) => (rest, 0),
                },
                _ => (rest, 0),
            };
            let (who, day) = who_and_day(rest, today);
            Command::Why {
                figure: (*figure).to_owned(),
                who,
                day,
                from,
            }
        }
        "kpi" => match args.split_last() {
            Some((last, rest)) if month(last).is_some() => Command::Kpi {
                who: non_empty(rest.join(" ")),
                month: month(last),
            },
            _ => Command::Kpi {
                who: who(),
                month: None,
            },
        },
        other => return Err(ParseError::UnknownCommand(echo(other))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn a_long_message_or_word_is_not_echoed_whole_and_dates_stay_plausible() {
        let today = d(11, 22);
        let long = format!("/{}", "x".repeat(9_000));
        assert_eq!(
            parse(&long, today),
            Err(ParseError::TooLong {
                length: 9_001,
                max: MAX_COMMAND_CHARS
            })
        );
        let Err(ParseError::UnknownCommand(name)) = parse(&format!("/{}", "я".repeat(300)), today)
        else {
            panic!("an unknown command");
        };
        assert_eq!(name.chars().count(), 40, "{name}");
        assert!(name.ends_with('…'), "{name}");
        let Err(ParseError::NotAPeriod(word)) = parse(&format!("/me {}", "&".repeat(300)), today)
        else {
            panic!("not a period");
        };
        assert_eq!(word.chars().count(), 40, "{word}");
        for far in ["9999-12-31", "31.12.0001", "1999-12-31"] {
            assert_eq!(day(far, today), None, "{far}");
        }
        assert_eq!(month("9999-12"), None);
        assert!(parse("/me 9999-12-31", today).is_err());
    }

    #[test]
    fn dates_in_both_languages() {
        let today = d(11, 22); // a Sunday
        assert_eq!(period("вчера", today), Some(Period::day(d(11, 21))));
        assert_eq!(period("yesterday", today), Some(Period::day(d(11, 21))));
        assert_eq!(period("today", today), Some(Period::day(today)));
        assert_eq!(
            period("неделя", today),
            Some(Period {
                first: d(11, 16),
                last: today
            })
        );
        assert_eq!(
            period("month", today),
            Some(Period {
                first: d(11, 1),
                last: today
            })
        );
        assert_eq!(period("2026-11-20", today), Some(Period::day(d(11, 20))));
        assert_eq!(period("20.11", today), Some(Period::day(d(11, 20))));
        // A day later in the year than today is last year's.
        assert_eq!(day("25.12", today), NaiveDate::from_ymd_opt(2025, 12, 25));
        assert_eq!(
            day("20.11.2025", today),
            NaiveDate::from_ymd_opt(2025, 11, 20)
        );
        assert_eq!(period("Иванов", today), None);
        assert_eq!(day("31.02", today), None);
    }

    #[test]
    fn commands_with_people_and_dates() {
        let today = d(11, 22);
        assert_eq!(parse("/me", today), Ok(Command::Me(None)));
        assert_eq!(
            parse("/me@pulse_bot вчера", today),
            Ok(Command::Me(Some(Period::day(d(11, 21)))))
        );
        assert_eq!(
            parse("/why trace Иванов 16.11", today),
            Ok(Command::Why {
                figure: "trace".into(),
                who: Some("Иванов".into()),
                day: Some(d(11, 16)),
                from: 0
            })
        );
        assert_eq!(
            parse("/pulse Петрова Анна", today),
            Ok(Command::Pulse {
                who: Some("Петрова Анна".into()),
                day: None
            })
        );
        assert_eq!(
            parse("/kpi @ivanov 2026-10", today),
            Ok(Command::Kpi {
                who: Some("@ivanov".into()),
                month: Some(d(10, 1))
            })
        );
        assert_eq!(
            parse("/kpi", today),
            Ok(Command::Kpi {
                who: None,
                month: None
            })
        );
        assert_eq!(
            parse("/start ABC123", today),
            Ok(Command::Start(Some("ABC123".into())))
        );
        assert_eq!(
            parse("/me tomorrow-ish", today),
            Err(ParseError::NotAPeriod("tomorrow-ish".into()))
        );
        assert_eq!(
            parse("/dance", today),
            Err(ParseError::UnknownCommand("dance".into()))
        );
        assert_eq!(parse("/why", today), Err(ParseError::WhyNeedsFigure));
        assert_eq!(parse("/report", today), Err(ParseError::ReportNeedsFigures));
        assert_eq!(
            parse("/me вчера неделя", today),
            Err(ParseError::MeTakesOne)
        );
        assert_eq!(parse("hello", today), Err(ParseError::NotACommand));
    }

    #[test]
    fn a_list_goes_on_from_a_line() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(
            parse("/stuck Иванов +20", today),
            Ok(Command::Stuck {
                who: Some("Иванов".into()),
                from: 20
            })
        );
        assert_eq!(
            parse("/overdue +40", today),
            Ok(Command::Overdue {
                who: None,
                from: 40
            })
        );
        assert_eq!(
            parse("/why trace Иванов 16.11 +40", today),
            Ok(Command::Why {
                figure: "trace".into(),
                who: Some("Иванов".into()),
                day: NaiveDate::from_ymd_opt(2026, 11, 16),
                from: 40
            })
        );
        // Not a number: part of the name.
        assert_eq!(
            parse("/stuck +Иванов", today),
            Ok(Command::Stuck {
                who: Some("+Иванов".into()),
                from: 0
            })
        );
    }
}
