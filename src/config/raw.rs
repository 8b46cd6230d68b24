//! The file as written: every key optional where the product has a default,
//! unknown keys refused (a typo must not silently mean "use the default").

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    pub templates_dir: Option<std::path::PathBuf>,
    #[serde(default)]
    pub thresholds: RawThresholds,
    #[serde(default)]
    pub teams: Vec<RawTeam>,
    #[serde(default)]
    pub employees: Vec<RawEmployee>,
    #[serde(default)]
    pub stages: Vec<RawStage>,
    #[serde(default)]
    pub plans: Vec<RawPlan>,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    pub telegram: Option<RawTelegram>,
    pub email: Option<RawEmail>,
    #[serde(default)]
    pub serve: Option<RawServe>,
    #[serde(default)]
    pub visibility: RawVisibility,
    pub kpi: Option<super::kpi::RawKpi>,
    #[serde(default)]
    pub schedules: Vec<RawSchedule>,
    #[serde(default)]
    pub alerts: Vec<RawAlert>,
}

/// `[[alerts]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlert {
    pub rule: Option<String>,
    pub team: Option<String>,
    pub within_mins: Option<i64>,
    pub at: Option<String>,
    pub min_calls: Option<i64>,
    pub idle_mins: Option<i64>,
    pub lunch: Option<String>,
    pub below_pct: Option<i64>,
    pub to: Option<Vec<RawRecipient>>,
    pub quiet_hours: Option<String>,
    pub max_per_day: Option<i64>,
}

/// A recipient: `"heads"`, `"manager"`, or a chat id (a number or a string).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRecipient {
    Chat(i64),
    Name(String),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawVisibility {
    #[serde(default)]
    pub hide_from_managers: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    pub success_talk_secs: Option<i64>,
    pub idle_gap_mins: Option<i64>,
    pub trace_window_mins: Option<i64>,
    pub weak_comment_min_chars: Option<i64>,
    pub weak_comment_phrases: Option<Vec<String>>,
    pub stuck_after_days: Option<i64>,
    pub funnel_window_days: Option<i64>,
    pub self_report_tolerance_pct: Option<f64>,
    pub self_report_tolerance_min: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub id: Option<String>,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub work_hours: Option<String>,
    pub weekends: Option<Vec<String>>,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub working_days: Vec<String>,
    /// A Telegram group chat that gets the team's morning digest.
    pub telegram_chat_id: Option<i64>,
}

/// One id or several: `pbx = "101"` or `pbx = ["101", "201"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(IdValue),
    Many(Vec<IdValue>),
}

/// Ids may be written as strings or numbers.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum IdValue {
    Text(String),
    Number(i64),
}

impl IdValue {
    pub fn into_string(self) -> String {
        match self {
            IdValue::Text(s) => s,
            IdValue::Number(n) => n.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmployee {
    pub id: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub position: Option<String>,
    /// The day the current position began, when it changed lately.
    pub position_since: Option<String>,
    /// The position held before `position_since`.
    pub previous_position: Option<String>,
    pub team: Option<String>,
    pub telegram_id: Option<i64>,
    pub telegram_username: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub ids: BTreeMap<String, OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub stuck_after_days: Option<i64>,
    #[serde(default)]
    pub crm_ids: Vec<IdValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub role: Option<String>,
    pub employee: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub daily: BTreeMap<String, f64>,
    pub ramp_start_pct: Option<f64>,
    pub ramp_step_pct: Option<f64>,
    pub ramp_every_days: Option<i64>,
    pub monthly_revenue: Option<f64>,
    pub monthly_deals_won: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub timezone: Option<String>,
    // asterisk
    pub trunks: Option<Vec<String>>,
    pub inbound_contexts: Option<Vec<String>>,
    pub outbound_contexts: Option<Vec<String>>,
    pub extension_max_digits: Option<i64>,
    // asterisk_db (a CDR table in MySQL/MariaDB or Postgres)
    pub url_env: Option<String>,
    pub table: Option<String>,
    pub page_rows: Option<i64>,
    pub recording_url: Option<String>,
    // calls_csv
    pub delimiter: Option<String>,
    pub date_format: Option<String>,
    pub columns: Option<RawColumns>,
    pub direction_values: Option<BTreeMap<String, Vec<String>>>,
    pub missed_values: Option<Vec<String>>,
    // bitrix24 and amocrm (see validate/crm_api.rs)
    pub webhook_url_env: Option<String>,
    pub portal: Option<String>,
    pub user_id: Option<IdValue>,
    pub webhook_secret_env: Option<String>,
    pub base_url: Option<String>,
    pub token_env: Option<String>,
    pub overlap_minutes: Option<i64>,
    pub requests_per_second: Option<f64>,
    pub timeout_secs: Option<i64>,
    pub retries: Option<i64>,
    pub retry_base_ms: Option<i64>,
    pub channel_field: Option<String>,
    pub channels: Option<BTreeMap<String, String>>,
    pub temperature_field: Option<String>,
    pub temperature_values: Option<BTreeMap<String, Vec<IdValue>>>,
    pub client_kind_field: Option<String>,
    pub client_kind_values: Option<BTreeMap<String, Vec<IdValue>>>,
    // scheduled pulls from files
    /// A folder where exports are dropped, each file read once.
    pub drop_folder: Option<std::path::PathBuf>,
    /// A CDR file read incrementally (Asterisk's Master.csv).
    pub follow: Option<std::path::PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumns {
    pub id: Option<String>,
    pub started_at: Option<String>,
    pub direction: Option<String>,
    pub agent: Option<String>,
    pub number: Option<String>,
    pub talk: Option<String>,
    pub duration: Option<String>,
    pub status: Option<String>,
    pub deal: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    pub token_env: Option<String>,
    pub admin_chat_id: Option<i64>,
    /// The public HTTPS address Telegram posts updates to (webhook mode).
    pub webhook_url: Option<String>,
    /// Where the webhook is served (`0.0.0.0:8443`).
    pub webhook_listen: Option<String>,
    /// The env var holding the secret token each webhook post must carry.
    pub webhook_secret_env: Option<String>,
    /// `rich` (default) or `html`: how the digest goes to a chat.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    pub ca_file: Option<std::path::PathBuf>,
    pub timeout_secs: Option<i64>,
    pub attempts: Option<i64>,
    pub backoff_ms: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub name: Option<String>,
    pub cron: Option<String>,
    pub job: Option<String>,
    pub team: Option<String>,
    pub deliver: Option<String>,
    pub source: Option<String>,
    pub grace_hours: Option<i64>,
    pub timezone: Option<String>,
}

/// `[serve]`: the long-running process.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServe {
    pub listen: Option<String>,
    pub out_dir: Option<std::path::PathBuf>,
    pub journal: Option<std::path::PathBuf>,
    pub tick_secs: Option<i64>,
    pub workers: Option<i64>,
    pub lease_secs: Option<i64>,
    pub send_timeout_secs: Option<i64>,
    pub max_attempts: Option<i64>,
    pub retry_base_secs: Option<i64>,
    pub retry_cap_secs: Option<i64>,
}
