//! Validation of `[[sources]]`: the kind and its rules (Asterisk direction
//! rules, a calls CSV's column mapping, a CRM API's address and mappings),
//! and where a pull of files reads from.

use std::collections::HashMap;
use std::path::PathBuf;

use super::super::raw::RawSource;
use super::super::*;
use super::crm_api::{Crm, crm_api, stray_keys};
use super::{Issues, timezone};
use crate::domain::Direction;

pub(super) fn source(
    issues: &mut Issues,
    i: usize,
    mut raw: RawSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> SourceConfig {
    let key = |k: &str| format!("sources[{i}].{k}");
    let name = issues.required(&key("name"), raw.name.take());
    let timezone = timezone(issues, &key("timezone"), raw.timezone.as_deref());
    let kind_name = issues.required(&key("kind"), raw.kind.take());
    // Taken before the kind's rules consume the rest of `raw`.
    let (drop_folder, follow) = (raw.drop_folder.take(), raw.follow.take());
    if !matches!(kind_name.as_str(), "bitrix24" | "amocrm") {
        for stray in stray_keys(&raw) {
            issues.add(
                key(stray),
                format!("is for bitrix24 and amocrm sources, not {kind_name}"),
            );
        }
    }
    let kind = match kind_name.as_str() {
        "bitrix24" => crm_api(issues, i, Crm::Bitrix24, raw, env)
            .map(|c| SourceKind::Bitrix24(Box::new(c)))
            .unwrap_or(SourceKind::CrmFiles),
        "amocrm" | "kommo" => crm_api(issues, i, Crm::AmoCrm, raw, env)
            .map(|c| SourceKind::AmoCrm(Box::new(c)))
            .unwrap_or(SourceKind::CrmFiles),
        "asterisk" => SourceKind::Asterisk(AsteriskRules {
            trunks: raw.trunks.unwrap_or_default(),
            inbound_contexts: raw.inbound_contexts.unwrap_or_default(),
            outbound_contexts: raw.outbound_contexts.unwrap_or_default(),
            extension_max_digits: issues.positive(
                &key("extension_max_digits"),
                raw.extension_max_digits,
                4,
            ) as usize,
        }),
        "calls_csv" => {
            let delimiter = match raw.delimiter.as_deref() {
                None => b',',
                Some("\\t") | Some("\t") => b'\t',
                Some(d) if d.len() == 1 => d.as_bytes()[0],
                Some(d) => {
                    issues.add(
                        key("delimiter"),
                        format!(
                            "\"{d}\" is not one ASCII character (expected \",\", \";\" or \"\\t\")"
                        ),
                    );
                    b','
                }
            };
            let date_format = raw
                .date_format
                .unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".to_owned());
            if chrono::format::StrftimeItems::new(&date_format)
                .any(|item| matches!(item, chrono::format::Item::Error))
            {
                issues.add(key("date_format"), format!("\"{date_format}\" is not a strftime format (expected e.g. \"%d.%m.%Y %H:%M:%S\")"));
            }
            let columns = match raw.columns {
                None => {
                    issues.add(key("columns"), "is missing (expected the header names: id, started_at, direction, agent, number, talk)");
                    None
                }
                Some(c) => {
                    let mut col = |k: &str, v: Option<String>| {
                        issues.required(&format!("sources[{i}].columns.{k}"), v)
                    };
                    Some(CallsCsvColumns {
                        id: col("id", c.id),
                        started_at: col("started_at", c.started_at),
                        direction: col("direction", c.direction),
                        agent: col("agent", c.agent),
                        number: col("number", c.number),
                        talk: col("talk", c.talk),
                        duration: c.duration,
                        status: c.status,
                        deal: c.deal,
                        kind: c.kind,
                    })
                }
            };
            let mut direction_values = HashMap::new();
            for (dir, values) in raw.direction_values.unwrap_or_default() {
                match Direction::parse(&dir) {
                    Ok(d) => {
                        for v in values {
                            direction_values.insert(v.trim().to_lowercase(), d);
                        }
                    }
                    Err(_) => issues.add(
                        format!("sources[{i}].direction_values.{dir}"),
                        "is not a direction (expected inbound, outbound or internal)",
                    ),
                }
            }
            if direction_values.is_empty() {
                for (v, d) in [
                    ("in", Direction::Inbound),
                    ("inbound", Direction::Inbound),
                    ("incoming", Direction::Inbound),
                    ("out", Direction::Outbound),
                    ("outbound", Direction::Outbound),
                    ("outgoing", Direction::Outbound),
                    ("internal", Direction::Internal),
                ] {
                    direction_values.insert(v.to_owned(), d);
                }
            }
            match columns {
                Some(columns) => SourceKind::CallsCsv(Box::new(CallsCsvRules {
                    delimiter,
                    date_format,
                    columns,
                    direction_values,
                    missed_values: raw
                        .missed_values
                        .unwrap_or_else(|| {
                            vec![
                                "missed".into(),
                                "no answer".into(),
                                "busy".into(),
                                "failed".into(),
                            ]
                        })
                        .into_iter()
                        .map(|v| v.trim().to_lowercase())
                        .collect(),
                })),
                None => SourceKind::CrmFiles,
            }
        }
        "crm_files" => SourceKind::CrmFiles,
        "" => SourceKind::CrmFiles,
        other => {
            issues.add(
                key("kind"),
                format!(
                    "\"{other}\" is not a source kind (expected asterisk, calls_csv, crm_files, bitrix24 or amocrm)"
                ),
            );
            SourceKind::CrmFiles
        }
    };
    let (drop_folder, follow) = if matches!(kind_name.as_str(), "bitrix24" | "amocrm" | "kommo") {
        // A CRM API source's pull reads the API; its exports go to a
        // crm_files source of their own.
        for (k, set) in [
            ("drop_folder", drop_folder.is_some()),
            ("follow", follow.is_some()),
        ] {
            if set {
                issues.add(
                    key(k),
                    format!(
                        "is for file sources (asterisk, calls_csv, crm_files), not {kind_name}: its pull reads the CRM's API (for exported files add a crm_files source)"
                    ),
                );
            }
        }
        (None, None)
    } else {
        pull_paths(issues, i, &kind, drop_folder, follow)
    };
    SourceConfig {
        name,
        timezone,
        kind,
        drop_folder,
        follow,
    }
}

/// `drop_folder` must be a folder that exists; `follow` a file (it may not
/// exist yet: Asterisk writes Master.csv at the first call) in a folder that
/// does, for the kinds whose files grow line by line.
fn pull_paths(
    issues: &mut Issues,
    i: usize,
    kind: &SourceKind,
    drop_folder: Option<PathBuf>,
    follow: Option<PathBuf>,
) -> (Option<PathBuf>, Option<PathBuf>) {
    let key = |k: &str| format!("sources[{i}].{k}");
    let drop_folder = drop_folder.filter(|dir| {
        let ok = dir.is_dir();
        if !ok {
            issues.add(
                key("drop_folder"),
                format!(
                    "{:?} is not a folder (expected an existing folder where exports are dropped, absolute or relative to the config file)",
                    dir.display().to_string()
                ),
            );
        }
        ok
    });
    let follow = follow.filter(|file| {
        let shown = file.display().to_string();
        let problem = if matches!(kind, SourceKind::CrmFiles) {
            Some("only asterisk and calls_csv sources can follow a file (for CRM exports use drop_folder)".to_owned())
        } else if file.is_dir() {
            Some(format!("{shown:?} is a folder (expected a file such as /var/log/asterisk/cdr-csv/Master.csv; for a folder of exports use drop_folder)"))
        } else if !file.parent().is_some_and(|p| p.as_os_str().is_empty() || p.is_dir()) {
            Some(format!("{shown:?} is not in an existing folder (expected the path of the CDR file, absolute or relative to the config file)"))
        } else if drop_folder.as_ref().is_some_and(|d| file.starts_with(d)) {
            Some(format!("{shown:?} is inside drop_folder (a followed file must not also be read whole as a dropped file)"))
        } else {
            None
        };
        if let Some(problem) = &problem {
            issues.add(key("follow"), problem.clone());
        }
        problem.is_none()
    });
    (drop_folder, follow)
}
