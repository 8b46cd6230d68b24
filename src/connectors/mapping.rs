//! A CRM's ids and values in our terms, through the config: users to
//! employees, stages to our pipeline, sources to channels, custom fields to
//! lead temperature and client kind. Records of users nobody mapped are kept
//! and counted, never dropped.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::config::{Config, CrmApiConfig, SourceConfig};
use crate::domain::{CallKind, StageKind, Temperature};
use crate::sources::Mapping;

/// What the CRM itself says about one of its stages.
#[derive(Debug, Clone)]
pub struct CrmStage {
    pub name: String,
    /// Won or lost when the CRM marks the stage final.
    pub kind: Option<StageKind>,
}

pub struct CrmMapping {
    pub base: Mapping,
    pub api: CrmApiConfig,
    /// Our stages' kinds, and the first won and lost stage (where a CRM's
    /// final stage goes when the config does not name it).
    first_won: Option<String>,
    first_lost: Option<String>,
    /// The CRM's stages, by id, as its pipelines list them.
    pub crm_stages: HashMap<String, CrmStage>,
    pub unmapped: BTreeMap<String, u64>,
}

impl CrmMapping {
    pub fn new(config: &Config, source: &SourceConfig, api: &CrmApiConfig) -> Self {
        let first = |kind: StageKind| {
            config
                .stages
                .iter()
                .find(|s| s.kind == kind)
                .map(|s| s.id.clone())
        };
        Self {
            base: Mapping::new(config, source),
            api: api.clone(),
            first_won: first(StageKind::Won),
            first_lost: first(StageKind::Lost),
            crm_stages: HashMap::new(),
            unmapped: BTreeMap::new(),
        }
    }

    pub fn source(&self) -> &str {
        &self.base.source.name
    }

    pub fn timezone(&self) -> chrono_tz::Tz {
        self.base.source.timezone
    }

    /// The employee of a CRM user id; an unmapped id is counted.
    pub fn employee(&mut self, user: Option<&str>) -> Option<String> {
        let user = user?;
        let found = self.base.employees.get(user).cloned();
        if found.is_none() {
            *self.unmapped.entry(user.to_owned()).or_default() += 1;
        }
        found
    }

    /// Our stage for a CRM stage id: the config's `crm_ids` first, then,
    /// for a stage the CRM marks won or lost, our first stage of that kind.
    pub fn stage(&self, crm_id: &str) -> Result<String, String> {
        if let Some(ours) = self.base.stages.get(crm_id) {
            return Ok(ours.clone());
        }
        let known = self.crm_stages.get(crm_id);
        let fallback = match known.and_then(|s| s.kind) {
            Some(StageKind::Won) => self.first_won.clone(),
            Some(StageKind::Lost) => self.first_lost.clone(),
            _ => None,
        };
        fallback.ok_or_else(|| {
            let name = known
                .map(|s| format!(" ({:?} in the CRM)", s.name))
                .unwrap_or_default();
            format!(
                "stage {crm_id:?}{name} is not in the pipeline: add it to the crm_ids of one of [[stages]] ({}), then pull again with --since",
                self.base.stage_names.join(", ")
            )
        })
    }

    /// The channel of a CRM source value: the config's name for it, else
    /// the value as written.
    pub fn channel(&self, raw: Option<&str>) -> Option<String> {
        let raw = raw?.trim();
        if raw.is_empty() {
            return None;
        }
        Some(
            self.api
                .channels
                .get(&raw.to_lowercase())
                .cloned()
                .unwrap_or_else(|| raw.to_owned()),
        )
    }

    /// The lead temperature of a field's values (any of them that maps).
    pub fn temperature(&self, values: &[String]) -> Option<Temperature> {
        values.iter().find_map(|v| {
            let key = v.trim().to_lowercase();
            self.api
                .temperature_values
                .get(&key)
                .copied()
                .or_else(|| Temperature::parse(&key).ok())
        })
    }

    /// Cold (a new client) or warm (an existing one) from a field's values.
    pub fn client_kind(&self, values: &[String]) -> Option<CallKind> {
        values.iter().find_map(|v| {
            let key = v.trim().to_lowercase();
            self.api
                .client_kind_values
                .get(&key)
                .copied()
                .or_else(|| CallKind::parse(&key).ok())
        })
    }
}

/// A JSON value as text: strings as they are, numbers written out, null
/// and empty strings as nothing.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A JSON number or numeric string as an integer.
pub fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Every scalar of a value (a list's items, an object's `value`s) as text.
pub fn values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().flat_map(|i| values(Some(i))).collect(),
        Some(Value::Object(map)) => ["value", "enum_id", "enum_code", "VALUE"]
            .iter()
            .filter_map(|k| text(map.get(*k)))
            .collect(),
        other => text(other).into_iter().collect(),
    }
}
