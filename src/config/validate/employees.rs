//! `[[employees]]`: who each person is, their team and role, their ids in
//! each source (one person per id) and their position history.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::super::raw::{OneOrMany, RawEmployee};
use super::super::*;
use super::{Issues, date, delivery};
use crate::domain::Role;

/// Every employee, with ids unique and teams known.
pub(super) fn employees(
    issues: &mut Issues,
    raw: Vec<RawEmployee>,
    teams: &[TeamConfig],
) -> Vec<EmployeeConfig> {
    let mut employees = Vec::new();
    let mut employee_ids = HashSet::new();
    let mut claimed: HashMap<(String, String), String> = HashMap::new();
    for (i, e) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("employees[{i}].{k}");
        let id = issues.required(&key("id"), e.id);
        if !id.is_empty() && !employee_ids.insert(id.clone()) {
            issues.add(
                key("id"),
                format!("\"{id}\" is used by an earlier employee (ids must be unique)"),
            );
        }
        let name = e.name.unwrap_or_else(|| id.clone());
        let role = match e.role.as_deref().map(Role::parse) {
            None => Role::Manager,
            Some(Ok(r)) => r,
            Some(Err(err)) => {
                issues.add(key("role"), err.to_string());
                Role::Manager
            }
        };
        let team = issues.required(&key("team"), e.team);
        team_known(issues, &key("team"), &team, teams);
        let source_ids = source_ids(issues, i, &id, e.ids, &mut claimed);
        let position_since = e
            .position_since
            .as_deref()
            .and_then(|d| date(issues, &format!("employees[{i}].position_since"), d));
        if position_since.is_some() != e.previous_position.is_some() {
            issues.add(
                format!("employees[{i}].previous_position"),
                "goes with position_since (expected both: the position held before, and the day the current one began)",
            );
        }
        employees.push(EmployeeConfig {
            id,
            name,
            role,
            position: e.position,
            position_since,
            previous_position: e.previous_position,
            team,
            telegram_id: e.telegram_id,
            telegram_username: e
                .telegram_username
                .map(|u| u.trim_start_matches('@').to_owned()),
            email: e.email.inspect(|address| {
                delivery::address(issues, &format!("employees[{i}].email"), address)
            }),
            source_ids,
        });
    }
    employees
}

/// An employee's `team` must be the id of a `[[teams]]` entry.
fn team_known(issues: &mut Issues, key: &str, team: &str, teams: &[TeamConfig]) {
    if !team.is_empty() && !teams.iter().any(|t| t.id == team) {
        let known: Vec<_> = teams.iter().map(|t| t.id.as_str()).collect();
        issues.add(
            key,
            format!(
                "\"{team}\" is not a team id (expected one of: {})",
                known.join(", ")
            ),
        );
    }
}

/// `ids`: the employee's ids per source; an id already `claimed` by another
/// employee in the same source is named.
fn source_ids(
    issues: &mut Issues,
    i: usize,
    id: &str,
    raw: BTreeMap<String, OneOrMany>,
    claimed: &mut HashMap<(String, String), String>,
) -> BTreeMap<String, Vec<String>> {
    let mut source_ids = BTreeMap::new();
    for (src, ids) in raw {
        let ids: Vec<String> = match ids {
            OneOrMany::One(v) => vec![v.into_string()],
            OneOrMany::Many(vs) => vs.into_iter().map(|v| v.into_string()).collect(),
        };
        for ext in &ids {
            if let Some(other) = claimed.insert((src.clone(), ext.clone()), id.to_owned()) {
                issues.add(
                    format!("employees[{i}].ids.{src}"),
                    format!("\"{ext}\" is already the id of employee \"{other}\" in source {src} (an id maps to one person)"),
                );
            }
        }
        source_ids.insert(src, ids);
    }
    source_ids
}

/// Each source an employee has ids in must be a `[[sources]]` name.
pub(super) fn source_ids_known(
    issues: &mut Issues,
    employees: &[EmployeeConfig],
    sources: &[SourceConfig],
) {
    let names: HashSet<&str> = sources
        .iter()
        .map(|s| s.name.as_str())
        .filter(|name| !name.is_empty())
        .collect();
    for (i, e) in employees.iter().enumerate() {
        for src in e.source_ids.keys() {
            if !names.contains(src.as_str()) {
                issues.add(
                    format!("employees[{i}].ids.{src}"),
                    format!(
                        "\"{src}\" is not a source name (expected one of: {})",
                        sources
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}
