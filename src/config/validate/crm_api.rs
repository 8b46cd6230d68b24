//! Validation of the CRM API sources (`kind = "bitrix24"`, `kind = "amocrm"`):
//! where the API is, the secret's env var, the pace, and the field mappings.

use std::collections::{BTreeMap, HashMap};

use super::super::raw::{IdValue, RawSource};
use super::super::*;
use super::{Issues, env_secret};
use crate::domain::{CallKind, Temperature};

/// Which CRM the source is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Crm {
    Bitrix24,
    AmoCrm,
}

fn url_problem(raw: &str) -> Option<&'static str> {
    match url::Url::parse(raw) {
        Err(_) => Some("is not a URL"),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Some("is not an http(s) URL"),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("has no host"),
        Ok(_) => None,
    }
}

/// A Bitrix24 webhook URL's path must be `/rest/USER_ID/SECRET/`.
fn webhook_path_ok(raw: &str) -> bool {
    let Ok(u) = url::Url::parse(raw) else {
        return false;
    };
    let parts: Vec<&str> = u.path().split('/').filter(|p| !p.is_empty()).collect();
    matches!(parts.as_slice(), [.., "rest", id, secret] if id.chars().all(|c| c.is_ascii_digit()) && !secret.is_empty())
}

fn with_slash(mut url: String) -> String {
    if !url.ends_with('/') {
        url.push('/');
    }
    url
}

fn bitrix_url(
    issues: &mut Issues,
    key: &dyn Fn(&str) -> String,
    raw: &mut RawSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(Secret, String)> {
    if let Some(var) = raw.webhook_url_env.take() {
        let url = env_secret(issues, &key("webhook_url_env"), Some(var.clone()), env)?;
        let text = url.expose().trim().to_owned();
        if let Some(problem) = url_problem(&text).or_else(|| {
            (!webhook_path_ok(&text)).then_some("does not end in /rest/USER_ID/SECRET/")
        }) {
            issues.add(
                key("webhook_url_env"),
                format!(
                    "the env var {var} {problem} (expected the inbound webhook URL https://PORTAL/rest/USER_ID/SECRET/ from Bitrix24 > Developer resources > Inbound webhook)"
                ),
            );
            return None;
        }
        return Some((Secret::new(with_slash(text)), var));
    }
    let (Some(portal), Some(user), Some(var)) = (
        raw.portal.take(),
        raw.user_id.take(),
        raw.webhook_secret_env.take(),
    ) else {
        issues.add(
            key("webhook_url_env"),
            "is missing (expected the name of the env var holding the inbound webhook URL https://PORTAL/rest/USER_ID/SECRET/, or portal + user_id + webhook_secret_env)",
        );
        return None;
    };
    let portal = portal.trim().trim_end_matches('/').to_owned();
    let portal = if portal.contains("://") {
        portal
    } else {
        format!("https://{portal}")
    };
    if let Some(problem) = url_problem(&portal) {
        issues.add(
            key("portal"),
            format!("\"{portal}\" {problem} (expected e.g. \"mycompany.bitrix24.ru\")"),
        );
        return None;
    }
    let user = user.into_string();
    if user.is_empty() || !user.chars().all(|c| c.is_ascii_digit()) {
        issues.add(
            key("user_id"),
            format!("\"{user}\" is not a user id (expected the number in /rest/USER_ID/SECRET/)"),
        );
        return None;
    }
    let secret = env_secret(issues, &key("webhook_secret_env"), Some(var.clone()), env)?;
    let url = format!("{portal}/rest/{user}/{}/", secret.expose().trim());
    Some((Secret::new(url), var))
}

fn amo_url(
    issues: &mut Issues,
    key: &dyn Fn(&str) -> String,
    raw: &mut RawSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(Secret, Secret, String)> {
    let base = issues.required(&key("base_url"), raw.base_url.take());
    let base = base.trim_end_matches('/').to_owned();
    let mut base_ok = !base.is_empty();
    if base_ok && let Some(problem) = url_problem(&base) {
        issues.add(
            key("base_url"),
            format!("\"{base}\" {problem} (expected e.g. \"https://mycompany.amocrm.ru\" or \"https://mycompany.kommo.com\")"),
        );
        base_ok = false;
    }
    let Some(var) = raw.token_env.take() else {
        issues.add(
            key("token_env"),
            "is missing (expected the name of the env var holding the long-lived token from amoCRM > Settings > Integrations)",
        );
        return None;
    };
    let token = env_secret(issues, &key("token_env"), Some(var.clone()), env)?;
    base_ok.then(|| (Secret::new(base), token, var))
}

/// `{ hot = ["Горячий", 45], ... }` to a lookup by CRM value.
fn value_map<T: Copy>(
    issues: &mut Issues,
    key: &str,
    raw: Option<BTreeMap<String, Vec<IdValue>>>,
    parse: fn(&str) -> Result<T, crate::domain::DomainError>,
    expected: &str,
) -> HashMap<String, T> {
    let mut map = HashMap::new();
    for (ours, values) in raw.unwrap_or_default() {
        match parse(&ours) {
            Ok(v) => {
                for value in values {
                    map.insert(value.into_string().trim().to_lowercase(), v);
                }
            }
            Err(_) => issues.add(
                format!("{key}.{ours}"),
                format!("is not one of ours (expected {expected})"),
            ),
        }
    }
    map
}

/// Builds the API part of a `bitrix24` or `amocrm` source.
pub(super) fn crm_api(
    issues: &mut Issues,
    i: usize,
    crm: Crm,
    mut raw: RawSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<CrmApiConfig> {
    let key = |k: &str| format!("sources[{i}].{k}");
    let address = match crm {
        Crm::Bitrix24 => {
            for (name, set) in [
                ("base_url", raw.base_url.is_some()),
                ("token_env", raw.token_env.is_some()),
            ] {
                if set {
                    issues.add(key(name), "is for amocrm sources (a bitrix24 source takes webhook_url_env, or portal + user_id + webhook_secret_env)");
                }
            }
            bitrix_url(issues, &key, &mut raw, env).map(|(url, var)| (url, None, var))
        }
        Crm::AmoCrm => {
            for (name, set) in [
                ("webhook_url_env", raw.webhook_url_env.is_some()),
                ("portal", raw.portal.is_some()),
                ("webhook_secret_env", raw.webhook_secret_env.is_some()),
            ] {
                if set {
                    issues.add(
                        key(name),
                        "is for bitrix24 sources (an amocrm source takes base_url and token_env)",
                    );
                }
            }
            amo_url(issues, &key, &mut raw, env).map(|(url, token, var)| (url, Some(token), var))
        }
    };
    let overlap = raw.overlap_minutes.unwrap_or(60);
    if overlap < 0 {
        issues.add(
            key("overlap_minutes"),
            format!("{overlap} is negative (expected minutes to look back, e.g. 60)"),
        );
    }
    let default_rate = match crm {
        Crm::Bitrix24 => 2.0,
        Crm::AmoCrm => 7.0,
    };
    let rate = raw.requests_per_second.unwrap_or(default_rate);
    if !(rate > 0.0 && rate <= 1000.0) {
        issues.add(
            key("requests_per_second"),
            format!("{rate} is out of range (expected more than 0; Bitrix24 allows 2, amoCRM 7)"),
        );
    }
    let timeout = issues.positive(&key("timeout_secs"), raw.timeout_secs, 30);
    let retries = match raw.retries {
        None => 8,
        Some(n) if (0..=100).contains(&n) => n,
        Some(n) => {
            issues.add(
                key("retries"),
                format!("{n} is out of range (expected 0 to 100)"),
            );
            8
        }
    };
    let retry_base_ms = issues.positive(&key("retry_base_ms"), raw.retry_base_ms, 1000);
    let channel_field = raw.channel_field.or_else(|| match crm {
        Crm::Bitrix24 => Some("SOURCE_ID".to_owned()),
        Crm::AmoCrm => None,
    });
    let (base_url, token, secret_env) = address?;
    Some(CrmApiConfig {
        base_url,
        token,
        secret_env,
        overlap: chrono::Duration::minutes(overlap.max(0)),
        requests_per_second: if rate > 0.0 { rate } else { default_rate },
        timeout: std::time::Duration::from_secs(timeout as u64),
        retries: retries as u32,
        retry_base: std::time::Duration::from_millis(retry_base_ms as u64),
        channel_field,
        channels: raw
            .channels
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.trim().to_lowercase(), v))
            .collect(),
        temperature_field: raw.temperature_field,
        temperature_values: value_map(
            issues,
            &key("temperature_values"),
            raw.temperature_values,
            Temperature::parse,
            "hot, warm or cold",
        ),
        client_kind_field: raw.client_kind_field,
        client_kind_values: value_map(
            issues,
            &key("client_kind_values"),
            raw.client_kind_values,
            CallKind::parse,
            "cold for a new client, warm for an existing one",
        ),
    })
}

/// Keys of the CRM API sources that other kinds must not carry.
pub(super) fn stray_keys(raw: &RawSource) -> Vec<&'static str> {
    [
        ("webhook_url_env", raw.webhook_url_env.is_some()),
        ("portal", raw.portal.is_some()),
        ("user_id", raw.user_id.is_some()),
        ("webhook_secret_env", raw.webhook_secret_env.is_some()),
        ("base_url", raw.base_url.is_some()),
        ("token_env", raw.token_env.is_some()),
        ("overlap_minutes", raw.overlap_minutes.is_some()),
        ("requests_per_second", raw.requests_per_second.is_some()),
        ("channel_field", raw.channel_field.is_some()),
        ("channels", raw.channels.is_some()),
        ("temperature_field", raw.temperature_field.is_some()),
        ("temperature_values", raw.temperature_values.is_some()),
        ("client_kind_field", raw.client_kind_field.is_some()),
        ("client_kind_values", raw.client_kind_values.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect()
}
