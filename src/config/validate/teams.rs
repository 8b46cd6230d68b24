//! `[[teams]]`: the timezone, locale, working hours and calendar of each team.

use std::collections::HashSet;

use chrono::{NaiveTime, Weekday};

use super::super::raw::RawTeam;
use super::super::*;
use super::{Issues, date, timezone};

fn weekday(raw: &str) -> Option<Weekday> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" | "пн" => Some(Weekday::Mon),
        "tue" | "tuesday" | "вт" => Some(Weekday::Tue),
        "wed" | "wednesday" | "ср" => Some(Weekday::Wed),
        "thu" | "thursday" | "чт" => Some(Weekday::Thu),
        "fri" | "friday" | "пт" => Some(Weekday::Fri),
        "sat" | "saturday" | "сб" => Some(Weekday::Sat),
        "sun" | "sunday" | "вс" => Some(Weekday::Sun),
        _ => None,
    }
}

fn work_hours(issues: &mut Issues, key: &str, raw: Option<&str>) -> (NaiveTime, NaiveTime) {
    let default = (
        NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
        NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
    );
    let Some(raw) = raw else { return default };
    let parsed = raw.split_once('-').and_then(|(a, b)| {
        let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
        let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
        (a < b).then_some((a, b))
    });
    parsed.unwrap_or_else(|| {
        issues.add(
            key,
            format!("\"{raw}\" is not a working-hours range (expected \"09:00-18:00\", start before end)"),
        );
        default
    })
}

fn team(issues: &mut Issues, i: usize, raw: RawTeam) -> TeamConfig {
    let key = |k: &str| format!("teams[{i}].{k}");
    let id = issues.required(&key("id"), raw.id);
    let name = raw.name.unwrap_or_else(|| id.clone());
    let timezone = timezone(issues, &key("timezone"), raw.timezone.as_deref());
    let locale = match raw.locale.as_deref().map(str::trim) {
        None | Some("ru") => Locale::Ru,
        Some("en") => Locale::En,
        Some(other) => {
            issues.add(
                key("locale"),
                format!("\"{other}\" is not a locale (expected \"ru\" or \"en\")"),
            );
            Locale::Ru
        }
    };
    let (work_start, work_end) = work_hours(issues, &key("work_hours"), raw.work_hours.as_deref());
    let weekends = match raw.weekends {
        None => vec![Weekday::Sat, Weekday::Sun],
        Some(days) => days
            .iter()
            .enumerate()
            .filter_map(|(j, d)| {
                let day = weekday(d);
                if day.is_none() {
                    issues.add(
                        format!("teams[{i}].weekends[{j}]"),
                        format!("\"{d}\" is not a day of the week (expected mon, tue, wed, thu, fri, sat or sun)"),
                    );
                }
                day
            })
            .collect(),
    };
    let holidays = raw
        .holidays
        .iter()
        .enumerate()
        .filter_map(|(j, d)| date(issues, &format!("teams[{i}].holidays[{j}]"), d))
        .collect();
    let working_days = raw
        .working_days
        .iter()
        .enumerate()
        .filter_map(|(j, d)| date(issues, &format!("teams[{i}].working_days[{j}]"), d))
        .collect();
    TeamConfig {
        id,
        name,
        timezone,
        locale,
        work_start,
        work_end,
        weekends,
        holidays,
        working_days,
        telegram_chat_id: raw.telegram_chat_id,
    }
}

/// Every team; at least one, ids unique.
pub(super) fn teams(issues: &mut Issues, raw: Vec<RawTeam>) -> Vec<TeamConfig> {
    let teams: Vec<TeamConfig> = raw
        .into_iter()
        .enumerate()
        .map(|(i, t)| team(issues, i, t))
        .collect();
    if teams.is_empty() {
        issues.add(
            "teams",
            "is empty (expected at least one [[teams]] with an id and a timezone)",
        );
    }
    let mut seen = HashSet::new();
    for (i, t) in teams.iter().enumerate() {
        if !t.id.is_empty() && !seen.insert(t.id.clone()) {
            issues.add(
                format!("teams[{i}].id"),
                format!(
                    "\"{}\" is used by an earlier team (ids must be unique)",
                    t.id
                ),
            );
        }
    }
    teams
}
