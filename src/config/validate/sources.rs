//! Validation of `[[sources]]`: the kind and its rules (Asterisk direction
//! rules, a calls CSV's column mapping, a CRM API's address and mappings),
//! and where a pull of files reads from.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use super::super::raw::{RawColumns, RawSource};
use super::super::*;
use super::crm_api::{Crm, crm_api, stray_keys};
use super::{Issues, env_secret, timezone};
use crate::domain::Direction;

/// Every source, names unique.
pub(super) fn sources(
    issues: &mut Issues,
    raw: Vec<RawSource>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<SourceConfig> {
    let sources: Vec<SourceConfig> = raw
        .into_iter()
        .enumerate()
        .map(|(i, s)| source(issues, i, s, env))
        .collect();
    let mut names = HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        if !s.name.is_empty() && !names.insert(s.name.clone()) {
            issues.add(
                format!("sources[{i}].name"),
                format!(
                    "\"{}\" is used by an earlier source (names must be unique)",
                    s.name
                ),
            );
        }
    }
    sources
}

/// One source: its name, timezone, kind with its rules, and pull paths.
fn source(
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
    let db_overlap = if kind_name == "asterisk_db" {
        raw.overlap_minutes.take()
    } else {
        None
    };
    stray_keys_of_other_kinds(issues, i, &kind_name, &raw);
    let kind = kind(issues, i, &kind_name, raw, db_overlap, env);
    let (drop_folder, follow) = if matches!(
        kind_name.as_str(),
        "bitrix24" | "amocrm" | "kommo" | "asterisk_db"
    ) {
        no_pull_paths(
            issues,
            i,
            &kind_name,
            drop_folder.is_some(),
            follow.is_some(),
        );
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

/// The keys of asterisk_db and of the CRM APIs, set on a source of
/// another kind.
fn stray_keys_of_other_kinds(issues: &mut Issues, i: usize, kind_name: &str, raw: &RawSource) {
    let key = |k: &str| format!("sources[{i}].{k}");
    if kind_name != "asterisk_db" {
        for (stray, set) in [
            ("url_env", raw.url_env.is_some()),
            ("table", raw.table.is_some()),
            ("page_rows", raw.page_rows.is_some()),
            ("recording_url", raw.recording_url.is_some()),
        ] {
            if set {
                issues.add(
                    key(stray),
                    format!("is for asterisk_db sources, not {kind_name}"),
                );
            }
        }
    }
    if !matches!(kind_name, "bitrix24" | "amocrm") {
        for stray in stray_keys(raw) {
            issues.add(
                key(stray),
                format!("is for bitrix24 and amocrm sources, not {kind_name}"),
            );
        }
    }
}

/// The kind named by `kind` with its rules; a kind whose rules fail falls
/// back to `crm_files` (the issues already say why).
fn kind(
    issues: &mut Issues,
    i: usize,
    kind_name: &str,
    mut raw: RawSource,
    db_overlap: Option<i64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> SourceKind {
    match kind_name {
        "bitrix24" => crm_api(issues, i, Crm::Bitrix24, raw, env)
            .map(|c| SourceKind::Bitrix24(Box::new(c)))
            .unwrap_or(SourceKind::CrmFiles),
        "amocrm" | "kommo" => crm_api(issues, i, Crm::AmoCrm, raw, env)
            .map(|c| SourceKind::AmoCrm(Box::new(c)))
            .unwrap_or(SourceKind::CrmFiles),
        "asterisk" => SourceKind::Asterisk(asterisk_rules(issues, i, &mut raw)),
        "asterisk_db" => {
            let rules = asterisk_rules(issues, i, &mut raw);
            match asterisk_db(issues, i, rules, raw, db_overlap, env) {
                Some(db) => SourceKind::AsteriskDb(Box::new(db)),
                None => SourceKind::CrmFiles,
            }
        }
        "calls_csv" => calls_csv(issues, i, raw)
            .map(|rules| SourceKind::CallsCsv(Box::new(rules)))
            .unwrap_or(SourceKind::CrmFiles),
        "crm_files" => SourceKind::CrmFiles,
        "" => SourceKind::CrmFiles,
        other => {
            issues.add(
                format!("sources[{i}].kind"),
                format!(
                    "\"{other}\" is not a source kind (expected asterisk, asterisk_db, calls_csv, crm_files, bitrix24 or amocrm)"
                ),
            );
            SourceKind::CrmFiles
        }
    }
}

/// A CRM API source's pull reads the API, a CDR table's pull the table;
/// their exports go to a file source of their own.
fn no_pull_paths(issues: &mut Issues, i: usize, kind_name: &str, drop_folder: bool, follow: bool) {
    for (k, set) in [("drop_folder", drop_folder), ("follow", follow)] {
        if set {
            issues.add(
                format!("sources[{i}].{k}"),
                if kind_name == "asterisk_db" {
                    format!(
                        "is for file sources (asterisk, calls_csv, crm_files), not {kind_name}: its pull reads the CDR table (for a Master.csv add an asterisk source)"
                    )
                } else {
                    format!(
                        "is for file sources (asterisk, calls_csv, crm_files), not {kind_name}: its pull reads the CRM's API (for exported files add a crm_files source)"
                    )
                },
            );
        }
    }
}

/// `kind = "calls_csv"`: the delimiter, the date format, the column names
/// and the values meaning a direction or a missed call.
fn calls_csv(issues: &mut Issues, i: usize, raw: RawSource) -> Option<CallsCsvRules> {
    let key = |k: &str| format!("sources[{i}].{k}");
    let delimiter = delimiter(issues, &key("delimiter"), raw.delimiter.as_deref());
    let date_format = raw
        .date_format
        .unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".to_owned());
    if chrono::format::StrftimeItems::new(&date_format)
        .any(|item| matches!(item, chrono::format::Item::Error))
    {
        issues.add(
            key("date_format"),
            format!(
                "\"{date_format}\" is not a strftime format (expected e.g. \"%d.%m.%Y %H:%M:%S\")"
            ),
        );
    }
    let columns = columns(issues, i, raw.columns);
    let direction_values = direction_values(issues, i, raw.direction_values);
    Some(CallsCsvRules {
        delimiter,
        date_format,
        columns: columns?,
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
    })
}

/// A calls CSV's delimiter: one ASCII character, `\t` for a tab.
fn delimiter(issues: &mut Issues, key: &str, raw: Option<&str>) -> u8 {
    match raw {
        None => b',',
        Some("\\t") | Some("\t") => b'\t',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => {
            issues.add(
                key,
                format!("\"{d}\" is not one ASCII character (expected \",\", \";\" or \"\\t\")"),
            );
            b','
        }
    }
}

/// A calls CSV's header names: the six required, the rest optional.
fn columns(issues: &mut Issues, i: usize, raw: Option<RawColumns>) -> Option<CallsCsvColumns> {
    let Some(c) = raw else {
        issues.add(format!("sources[{i}].columns"), "is missing (expected the header names: id, started_at, direction, agent, number, talk)");
        return None;
    };
    let mut col =
        |k: &str, v: Option<String>| issues.required(&format!("sources[{i}].columns.{k}"), v);
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

/// The values of the direction column per direction, lowercased; English
/// defaults when none are given.
fn direction_values(
    issues: &mut Issues,
    i: usize,
    raw: Option<BTreeMap<String, Vec<String>>>,
) -> HashMap<String, Direction> {
    let mut direction_values = HashMap::new();
    for (dir, values) in raw.unwrap_or_default() {
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
    direction_values
}

/// Direction and extension rules of Asterisk CDR rows (file or table).
fn asterisk_rules(issues: &mut Issues, i: usize, raw: &mut RawSource) -> AsteriskRules {
    AsteriskRules {
        trunks: raw.trunks.take().unwrap_or_default(),
        inbound_contexts: raw.inbound_contexts.take().unwrap_or_default(),
        outbound_contexts: raw.outbound_contexts.take().unwrap_or_default(),
        extension_max_digits: issues.positive(
            &format!("sources[{i}].extension_max_digits"),
            raw.extension_max_digits,
            4,
        ) as usize,
    }
}

/// The placeholders a `recording_url` may hold.
pub const RECORDING_PLACEHOLDERS: &[&str] = &["yyyy", "mm", "dd", "file"];

/// The problem with a `recording_url` template, if any.
fn recording_url_problem(template: &str) -> Option<String> {
    let mut rest = template;
    let mut has_file = false;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Some(format!("{template:?} opens a {{ it does not close"));
        };
        let name = &rest[open + 1..open + close];
        if !RECORDING_PLACEHOLDERS.contains(&name) {
            return Some(format!(
                "{template:?} has the placeholder {{{name}}} (expected {{yyyy}}, {{mm}}, {{dd}}, {{file}})"
            ));
        }
        has_file |= name == "file";
        rest = &rest[open + close + 1..];
    }
    if !has_file {
        return Some(format!(
            "{template:?} has no {{file}} (expected e.g. \"https://pbx.example.com/recordings/{{yyyy}}/{{mm}}/{{dd}}/{{file}}\")"
        ));
    }
    match url::Url::parse(&template.replace(['{', '}'], "")) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => None,
        _ => Some(format!("{template:?} is not an http(s) URL")),
    }
}

/// A table name as SQL may name it: `cdr`, `asteriskcdrdb.cdr`.
fn table_problem(table: &str) -> Option<String> {
    let parts: Vec<&str> = table.split('.').collect();
    let ok = parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 64
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    (!ok).then(|| {
        format!("{table:?} is not a table name (expected letters, digits and _, e.g. \"cdr\" or \"asteriskcdrdb.cdr\")")
    })
}

/// `kind = "asterisk_db"`: the database URL's env var, the table, the
/// overlap, the page size and the recordings' address.
fn asterisk_db(
    issues: &mut Issues,
    i: usize,
    rules: AsteriskRules,
    raw: RawSource,
    overlap_minutes: Option<i64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<AsteriskDbConfig> {
    let key = |k: &str| format!("sources[{i}].{k}");
    let overlap = issues.positive(&key("overlap_minutes"), overlap_minutes, 120);
    let page_rows = issues.positive(&key("page_rows"), raw.page_rows, 1000);
    let page_rows = if page_rows > 100_000 {
        issues.add(
            key("page_rows"),
            format!("{page_rows} is more than 100000 rows in one query"),
        );
        1000
    } else {
        page_rows as u32
    };
    let table = raw.table.unwrap_or_else(|| "cdr".to_owned());
    if let Some(problem) = table_problem(&table) {
        issues.add(key("table"), problem);
    }
    let recording_url = raw.recording_url.filter(|t| {
        let problem = recording_url_problem(t);
        if let Some(p) = &problem {
            issues.add(key("recording_url"), p.clone());
        }
        problem.is_none()
    });
    let Some(var) = raw.url_env else {
        issues.add(
            key("url_env"),
            "is missing (expected the name of the env var holding the CDR database URL, mysql://USER:PASSWORD@HOST/asteriskcdrdb or postgres://USER:PASSWORD@HOST/DB)",
        );
        return None;
    };
    let url = env_secret(issues, &key("url_env"), Some(var.clone()), env)?;
    let scheme = url.expose().split("://").next().unwrap_or_default();
    let parsed_ok = url::Url::parse(url.expose()).is_ok_and(|u| u.host_str().is_some());
    if !matches!(scheme, "mysql" | "mariadb" | "postgres" | "postgresql") || !parsed_ok {
        issues.add(
            key("url_env"),
            format!(
                "the env var {var} does not hold a mysql://USER:PASSWORD@HOST/DB or postgres://USER:PASSWORD@HOST/DB URL"
            ),
        );
        return None;
    }
    Some(AsteriskDbConfig {
        rules,
        url,
        url_env: var,
        table,
        overlap: chrono::Duration::minutes(overlap),
        page_rows,
        recording_url,
    })
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
