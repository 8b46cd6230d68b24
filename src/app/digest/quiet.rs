//! A digest with nothing to show, and sources that stopped: a day without
//! a call or a CRM record (a holiday, a PBX outage) is one line that says
//! when the last call was; a source whose last pull is older than its pull
//! schedule is named at the top.

use chrono::{DateTime, Utc};

use crate::config::{Config, ScheduleJob, TeamConfig};
use crate::report::figures::FiguresReport;
use crate::storage::Store;
use crate::words::{Arg, Words};

/// Whether the team's figures of the day hold no call and no CRM record.
fn nothing_happened(report: &FiguresReport) -> bool {
    report.employees.iter().all(|e| {
        let t = &e.telephony;
        let h = &e.hygiene;
        t.calls_out.value + t.calls_in.value + t.missed.value == 0.0
            && h.cards_touched.value + h.comments.value == 0.0
            && e.activities.iter().all(|a| a.value == 0.0)
    })
}

/// «Данных за пн 04.11 нет — последний звонок пт 01.11 18:02», for a day
/// nothing happened on.
pub(super) async fn quiet_line(
    store: &Store,
    report: &FiguresReport,
    team: &TeamConfig,
    words: Words<'_>,
) -> anyhow::Result<Option<String>> {
    if !nothing_happened(report) {
        return Ok(None);
    }
    let ids: Vec<&str> = report
        .employees
        .iter()
        .map(|e| e.employee_id.as_str())
        .collect();
    let last = store.last_call_before(&ids, report.period.from).await?;
    let day = words.day(report.period.first_day);
    Ok(Some(match last {
        Some(at) => {
            let local = at.with_timezone(&team.timezone);
            let last = format!(
                "{} {}",
                words.day(local.date_naive()),
                local.format("%H:%M")
            );
            words.text(
                "digest-quiet",
                &[("day", Arg::Text(day)), ("last", Arg::Text(last))],
            )
        }
        None => words.text("digest-quiet-never", &[("day", Arg::Text(day))]),
    }))
}

/// The sources pulled on a schedule whose last whole pull was before the
/// schedule's last two firings by `now`: a pull or more is missing (the
/// source stopped answering, or `serve` was down).
pub(super) async fn stale_sources(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    now: DateTime<Utc>,
    words: Words<'_>,
) -> anyhow::Result<Vec<String>> {
    let pulled: Vec<_> = config
        .schedules
        .iter()
        .filter_map(|s| match &s.job {
            ScheduleJob::Pull { source } => Some((s, source.as_str())),
            _ => None,
        })
        .collect();
    if pulled.is_empty() {
        return Ok(Vec::new());
    }
    let pulls = store.last_pulls().await?;
    let mut out = Vec::new();
    for (schedule, source) in pulled {
        let last = pulls.iter().find(|(s, _)| s == source).map(|(_, at)| *at);
        // Never pulled (its records come by `ingest`, or it is new): not
        // judged.
        let Some(last) = last else {
            continue;
        };
        let missed = schedule
            .schedule
            .next_after(last)
            .and_then(|first| schedule.schedule.next_after(first.at))
            .is_some_and(|second| second.at <= now);
        if missed {
            let local = last.with_timezone(&team.timezone);
            let since = format!(
                "{} {}",
                words.day(local.date_naive()),
                local.format("%H:%M")
            );
            out.push(words.text(
                "digest-source-stale",
                &[
                    ("source", Arg::from(source)),
                    ("since", Arg::Text(since)),
                    ("schedule", Arg::from(schedule.name.as_str())),
                ],
            ));
        }
    }
    Ok(out)
}
