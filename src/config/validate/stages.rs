//! `[[stages]]`: the deal pipeline, each stage's kind, when a deal in it is
//! stuck, and the CRM stage ids that map to it (each to one stage).

use std::collections::{HashMap, HashSet};

use super::super::raw::RawStage;
use super::super::*;
use super::Issues;
use crate::domain::StageKind;

/// Every stage, with ids unique; `stuck_after_days` defaults to the
/// threshold's.
pub(super) fn stages(
    issues: &mut Issues,
    raw: Vec<RawStage>,
    thresholds: &Thresholds,
) -> Vec<StageConfig> {
    let mut stages = Vec::new();
    let mut stage_ids = HashSet::new();
    for (i, s) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("stages[{i}].{k}");
        let id = issues.required(&key("id"), s.id);
        if !id.is_empty() && !stage_ids.insert(id.clone()) {
            issues.add(
                key("id"),
                format!("\"{id}\" is used by an earlier stage (ids must be unique)"),
            );
        }
        let kind = match s.kind.as_deref().map(StageKind::parse) {
            None => StageKind::Open,
            Some(Ok(k)) => k,
            Some(Err(err)) => {
                issues.add(key("kind"), err.to_string());
                StageKind::Open
            }
        };
        stages.push(StageConfig {
            name: s.name.unwrap_or_else(|| id.clone()),
            id,
            kind,
            stuck_after_days: issues.positive(
                &key("stuck_after_days"),
                s.stuck_after_days,
                thresholds.stuck_after_days,
            ),
            crm_ids: s.crm_ids.into_iter().map(|v| v.into_string()).collect(),
        });
    }
    crm_ids_unique(issues, &stages);
    stages
}

/// A CRM stage id maps to one of our stages, never two.
fn crm_ids_unique(issues: &mut Issues, stages: &[StageConfig]) {
    let mut crm_stage_of: HashMap<&str, &str> = HashMap::new();
    for (i, stage) in stages.iter().enumerate() {
        for (j, crm_id) in stage.crm_ids.iter().enumerate() {
            if let Some(first) = crm_stage_of.insert(crm_id, &stage.id)
                && first != stage.id
            {
                issues.add(
                    format!("stages[{i}].crm_ids[{j}]"),
                    format!("\"{crm_id}\" is already a crm_id of stage \"{first}\" (a CRM stage maps to one stage)"),
                );
            }
        }
    }
}
