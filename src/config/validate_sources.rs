//! Validation of `[[sources]]`: the kind and its rules (Asterisk direction
//! rules, a calls CSV's column mapping, a CRM API's address and mappings).

use std::collections::HashMap;

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
    SourceConfig {
        name,
        timezone,
        kind,
    }
}
