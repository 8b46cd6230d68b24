//! `salespulse pull [SOURCE] [--since DATE]`: brings sources up to date now
//! and says what each pull did.

use std::fmt::Write;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::pull::{self, PullOptions, PullReport};

/// `--since`: a day (midnight in the source's zone) or an RFC 3339 instant.
pub fn parse_since(raw: &str, tz: chrono_tz::Tz) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").with_context(|| {
        format!("--since {raw:?} is not a date (expected YYYY-MM-DD or an RFC 3339 time)")
    })?;
    Ok(crate::calendar::local_to_utc(
        tz,
        day.and_time(chrono::NaiveTime::MIN),
    ))
}

/// Pulls one source, or every source that can be pulled.
pub async fn pull(
    config: &Config,
    source: Option<&str>,
    since: Option<&str>,
    progress: bool,
) -> anyhow::Result<Vec<PullReport>> {
    let sources: Vec<_> = match source {
        Some(name) => vec![config.source(name).with_context(|| {
            let known: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
            format!(
                "no source named {name:?} in the config (known: {})",
                known.join(", ")
            )
        })?],
        None => config
            .sources
            .iter()
            .filter(|s| pull::pullable(s))
            .collect(),
    };
    if sources.is_empty() {
        anyhow::bail!(
            "no source in the config can be pulled: add a [[sources]] of kind bitrix24 or amocrm (see the README)"
        );
    }
    let store = crate::storage::open(config.database_url.expose()).await?;
    super::sync_directory(store.as_ref(), config).await?;
    let mut reports = Vec::new();
    let mut failure = None;
    for source in sources {
        let options = PullOptions {
            since: since.map(|s| parse_since(s, source.timezone)).transpose()?,
            progress,
            now: Utc::now(),
        };
        match pull::pull(store.clone(), config, source, &options).await {
            Ok(report) => reports.push(report),
            Err(e) => {
                failure = Some(anyhow::anyhow!("pull of {}: {e}", source.name));
                break;
            }
        }
    }
    store.close().await;
    match failure {
        Some(e) if reports.is_empty() => Err(e),
        Some(e) => {
            for r in &reports {
                eprint!("{}", summary(r, 10));
            }
            Err(e)
        }
        None => Ok(reports),
    }
}

/// What a person reads after a pull.
pub fn summary(report: &PullReport, max_rejects: usize) -> String {
    let mut out = format!(
        "{}: {} records in {:.1} s ({:.0} records/s), {} requests\n",
        report.source,
        report.records_total(),
        report.seconds,
        report.records_total() as f64 / report.seconds.max(1e-9),
        report.requests
    );
    for (kind, u) in &report.records {
        let _ = writeln!(
            out,
            "  {kind}: {} inserted, {} updated, {} unchanged",
            u.inserted, u.updated, u.unchanged
        );
    }
    if !report.rejects.is_empty() {
        let _ = writeln!(
            out,
            "  {} rejected (all are in the ingest_errors table):",
            report.rejects.len()
        );
        for r in report.rejects.iter().take(max_rejects) {
            let _ = writeln!(out, "    {} ID {}: {}", r.file, r.line, r.reason);
        }
        if report.rejects.len() > max_rejects {
            let _ = writeln!(
                out,
                "    ... and {} more",
                report.rejects.len() - max_rejects
            );
        }
    }
    if !report.unmapped.is_empty() {
        let list: Vec<String> = report
            .unmapped
            .iter()
            .take(10)
            .map(|(who, n)| format!("{who} ({n})"))
            .collect();
        let _ = writeln!(
            out,
            "  kept without an employee (add these CRM user ids to employees[].ids.{}): {}{}",
            report.source,
            list.join(", "),
            if report.unmapped.len() > 10 {
                ", ..."
            } else {
                ""
            }
        );
    }
    out
}
