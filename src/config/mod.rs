//! The one TOML file an admin writes: database, teams, people, pipeline,
//! thresholds, plans and sources. Loading validates everything up front and
//! reports every problem with the key and what was expected, before anything
//! starts. Secrets are never in the file: it names the env vars that hold them.

pub mod alerts;
pub mod kpi;
mod raw;
mod schedules;
mod secret;
mod telegram;
mod validate;

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::domain::{CallKind, Direction, FigureGroup, Role, StageKind, Temperature};
pub use alerts::{AlertConfig, AlertRecipient, AlertRule};
pub use kpi::{KpiConfig, KpiIndicator, KpiRule, KpiScheme, LeaderboardScope};
pub use schedules::{DEFAULT_GRACE_HOURS, Delivery, ScheduleConfig, ScheduleJob};
pub use secret::{Secret, redact_url};
pub use telegram::TelegramFormat;

/// The commented example that `salespulse init` writes.
pub const EXAMPLE: &str = include_str!("example.toml");

/// Env var that names the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "SALESPULSE_CONFIG";
/// Env var that overrides `database_url` (handy for a password in the URL).
pub const DATABASE_URL_ENV: &str = "SALESPULSE_DATABASE_URL";

/// One problem in the config: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read the config file {path}: {source}\n  (write an example with `salespulse init`, or point --config / {CONFIG_ENV} at yours)"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path} has {} problem(s):\n{}", issues.len(), issues.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        issues: Vec<ConfigIssue>,
    },
}

/// Thresholds of `METRICS.md`, with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// A connected call is a successful contact from this talk time on.
    pub success_talk_secs: i64,
    /// A pause longer than this ends an active zone.
    pub idle_gap_mins: i64,
    /// How long after a successful call a CRM trace must appear.
    pub trace_window_mins: i64,
    /// Comments shorter than this are weak.
    pub weak_comment_min_chars: usize,
    /// Comments made only of these phrases are weak.
    pub weak_comment_phrases: Vec<String>,
    /// Default "stuck after N days" for stages that do not set one.
    pub stuck_after_days: i64,
    /// The digest's funnel converts over this many days up to its day: one
    /// day is too short a window for conversion.
    pub funnel_window_days: i64,
    /// Self-report tolerance: percent, and at least this many units.
    pub self_report_tolerance_pct: f64,
    pub self_report_tolerance_min: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            success_talk_secs: 40,
            idle_gap_mins: 15,
            trace_window_mins: 120,
            weak_comment_min_chars: 20,
            weak_comment_phrases: [
                "called",
                "contacted",
                "call back",
                "no answer",
                "связался",
                "позвонил",
                "созвонились",
                "перезвонить",
                "не дозвонился",
                "недозвон",
            ]
            .map(String::from)
            .to_vec(),
            stuck_after_days: 7,
            funnel_window_days: 30,
            self_report_tolerance_pct: 10.0,
            self_report_tolerance_min: 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Ru,
    En,
}

/// A team with its clock and its working calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamConfig {
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    pub locale: Locale,
    pub work_start: NaiveTime,
    pub work_end: NaiveTime,
    pub weekends: Vec<Weekday>,
    pub holidays: Vec<NaiveDate>,
    /// Days that are worked although they fall on a weekend.
    pub working_days: Vec<NaiveDate>,
    /// A Telegram group chat that gets the team's morning digest.
    pub telegram_chat_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeConfig {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub position: Option<String>,
    /// The day `position` began, when it changed lately; before it the
    /// person held `previous_position`.
    pub position_since: Option<NaiveDate>,
    pub previous_position: Option<String>,
    pub team: String,
    pub telegram_id: Option<i64>,
    pub telegram_username: Option<String>,
    pub email: Option<String>,
    /// Their ids in each source, by source name: PBX extensions, CRM user ids.
    pub source_ids: BTreeMap<String, Vec<String>>,
}

impl EmployeeConfig {
    /// The position whose KPI scheme pays the month of `day`: the one held
    /// on the month's first day. A change mid-month takes effect on the
    /// next month, as a scheme change does, so a month is paid under one
    /// set of rules.
    pub fn position_for_month(&self, day: NaiveDate) -> Option<&str> {
        let first = kpi::month_of(day);
        match (self.position_since, &self.previous_position) {
            (Some(since), Some(previous)) if since > first => Some(previous),
            _ => self.position.as_deref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageConfig {
    pub id: String,
    pub name: String,
    pub kind: StageKind,
    pub stuck_after_days: i64,
    /// The ids CRMs use for this stage; the stage's own id always matches.
    pub crm_ids: Vec<String>,
}

/// Who a plan applies to: every employee of a role, or one person (which
/// wins over their role's plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanTarget {
    Role(Role),
    Employee(String),
}

/// A plan that rises step by step from `from`: `start` of the target on the
/// first day, `step` more every `every_days` days, up to the full target.
#[derive(Debug, Clone, PartialEq)]
pub struct Ramp {
    pub start: f64,
    pub step: f64,
    pub every_days: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    pub target: PlanTarget,
    /// The first day the plan applies (inclusive), if it has one.
    pub from: Option<NaiveDate>,
    /// Daily minimums by figure name.
    pub daily: BTreeMap<String, f64>,
    pub ramp: Option<Ramp>,
    /// The sales plan above the activity plan: revenue (in currency units)
    /// and deals won per month.
    pub monthly_revenue: Option<f64>,
    pub monthly_deals_won: Option<f64>,
}

/// How to tell the direction and the agent of an Asterisk CDR row.
#[derive(Debug, Clone, PartialEq)]
pub struct AsteriskRules {
    /// Channel patterns (`*` wildcard) of provider trunks: `SIP/trunk-*`.
    pub trunks: Vec<String>,
    pub inbound_contexts: Vec<String>,
    pub outbound_contexts: Vec<String>,
    /// Numbers with at most this many digits are internal extensions.
    pub extension_max_digits: usize,
}

/// A CDR table in MySQL/MariaDB (`cdr_mysql`, `cdr_adaptive_odbc`, as
/// FreePBX and Issabel keep it) or Postgres (`cdr_pgsql`), read incrementally.
#[derive(Debug, Clone, PartialEq)]
pub struct AsteriskDbConfig {
    /// Direction and extension rules, as for `Master.csv`.
    pub rules: AsteriskRules,
    /// `mysql://…` or `postgres://…`, password included: never logged.
    pub url: Secret,
    /// The env var the URL came from, to name it in errors.
    pub url_env: String,
    /// The CDR table (`cdr`, or `schema.cdr` / `db.cdr`).
    pub table: String,
    /// How far before the cursor's `calldate` each pull looks again: rows
    /// are written when a call ends, so a long call's row comes late.
    pub overlap: chrono::Duration,
    /// Rows asked for in one query.
    pub page_rows: u32,
    /// A link to a call's recording, filled from `recordingfile`:
    /// `{yyyy}`, `{mm}`, `{dd}` (the call's local day) and `{file}`.
    pub recording_url: Option<String>,
}

impl AsteriskDbConfig {
    /// The database's host, for logs and run records (no password).
    pub fn host(&self) -> String {
        url::Url::parse(self.url.expose())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Column mapping of a generic calls CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsCsvRules {
    pub delimiter: u8,
    pub date_format: String,
    pub columns: CallsCsvColumns,
    pub direction_values: HashMap<String, Direction>,
    /// Status values that mean nobody answered (case-insensitive).
    pub missed_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallsCsvColumns {
    pub id: String,
    pub started_at: String,
    pub direction: String,
    pub agent: String,
    pub number: String,
    pub talk: String,
    pub duration: Option<String>,
    pub status: Option<String>,
    pub deal: Option<String>,
    pub kind: Option<String>,
}

/// A CRM's REST API (Bitrix24 or amoCRM): where it is, how fast it may be
/// asked, and how its fields map to ours.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmApiConfig {
    /// Bitrix24: the inbound webhook URL, secret included
    /// (`https://PORTAL/rest/USER_ID/SECRET/`); amoCRM: the account's URL
    /// (`https://SUBDOMAIN.amocrm.ru`).
    pub base_url: Secret,
    /// amoCRM: the long-lived token.
    pub token: Option<Secret>,
    /// The env var the secret came from, to name it in errors.
    pub secret_env: String,
    /// How far back before the cursor each pull looks again, for records
    /// changed late (a call's duration filled in after it ended).
    pub overlap: chrono::Duration,
    pub requests_per_second: f64,
    pub timeout: std::time::Duration,
    /// Tries after a rate-limit answer, a 5xx or a dropped connection.
    pub retries: u32,
    /// The first wait before such a retry; doubled after each.
    pub retry_base: std::time::Duration,
    /// The deal field that holds the channel (Bitrix24 default `SOURCE_ID`;
    /// amoCRM: a custom field's id or name).
    pub channel_field: Option<String>,
    /// CRM source values to our channel names; others are kept as written.
    pub channels: HashMap<String, String>,
    /// The deal field that holds the lead temperature, and its values.
    pub temperature_field: Option<String>,
    pub temperature_values: HashMap<String, Temperature>,
    /// The deal field that says a new (cold) or existing (warm) client; it
    /// decides the kind of the calls linked to the deal.
    pub client_kind_field: Option<String>,
    pub client_kind_values: HashMap<String, CallKind>,
}

impl CrmApiConfig {
    /// The CRM's host, for logs and run records (the secret in the URL's
    /// path stays out).
    pub fn host(&self) -> String {
        url::Url::parse(self.base_url.expose())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    Asterisk(AsteriskRules),
    /// Asterisk's CDR table in a database.
    AsteriskDb(Box<AsteriskDbConfig>),
    CallsCsv(Box<CallsCsvRules>),
    /// The exchange format for CRM data (one file per entity).
    CrmFiles,
    /// Bitrix24 through an inbound webhook.
    Bitrix24(Box<CrmApiConfig>),
    /// amoCRM (Kommo) API v4 with a long-lived token.
    AmoCrm(Box<CrmApiConfig>),
}

impl SourceKind {
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Asterisk(_) => "asterisk",
            SourceKind::AsteriskDb(_) => "asterisk_db",
            SourceKind::CallsCsv(_) => "calls_csv",
            SourceKind::CrmFiles => "crm_files",
            SourceKind::Bitrix24(_) => "bitrix24",
            SourceKind::AmoCrm(_) => "amocrm",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub name: String,
    /// The timezone of local times written by the source.
    pub timezone: Tz,
    pub kind: SourceKind,
    /// A folder whose files `pull` reads, each once (by content hash).
    pub drop_folder: Option<PathBuf>,
    /// A file `pull` reads from where it stopped, across log rotation.
    pub follow: Option<PathBuf>,
}

/// Where the Telegram bot token comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramConfig {
    pub token: Secret,
    pub admin_chat_id: Option<i64>,
    /// Webhook mode instead of long polling, when set.
    pub webhook: Option<WebhookConfig>,
    /// How the digest goes to a chat.
    pub format: TelegramFormat,
}

/// Telegram posts updates to `url`; the bot serves them on `listen` and
/// refuses any post without the secret token.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    pub url: url::Url,
    pub listen: std::net::SocketAddr,
    pub secret: Secret,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused without it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network (port 25).
    None,
}

impl SmtpSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// The SMTP server and the envelope of the weekly email.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The env var the password came from, to name it in errors.
    pub password_env: Option<String>,
    pub from: String,
    pub reply_to: Option<String>,
    /// Recipients of the weekly report; when empty, the owners with an
    /// address, else the team's heads.
    pub to: Vec<String>,
    /// A PEM file of certificates to trust besides the usual roots (a
    /// company CA, or a relay's own certificate).
    pub ca_file: Option<PathBuf>,
    /// Limit for connecting and for each SMTP command.
    pub timeout: std::time::Duration,
    /// Tries per recipient on temporary failures, the first included.
    pub attempts: u32,
    /// Wait before the second try; doubled after each further failure.
    pub backoff: std::time::Duration,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub database_url: Secret,
    pub thresholds: Thresholds,
    pub teams: Vec<TeamConfig>,
    pub employees: Vec<EmployeeConfig>,
    pub stages: Vec<StageConfig>,
    pub plans: Vec<PlanConfig>,
    pub sources: Vec<SourceConfig>,
    pub telegram: Option<TelegramConfig>,
    pub email: Option<EmailConfig>,
    /// Figure groups managers do not see of their own figures.
    pub hidden_from_managers: Vec<FigureGroup>,
    /// A folder of edited report templates, used before the built-in ones.
    pub templates_dir: Option<PathBuf>,
    pub kpi: KpiConfig,
    /// What runs when under `serve`.
    pub schedules: Vec<ScheduleConfig>,
    /// Intraday alerts (`[[alerts]]`).
    pub alerts: Vec<AlertConfig>,
    pub serve: ServeConfig,
}

/// `[serve]`: the HTTP endpoint, where reports are written, the tick and
/// the delivery workers.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// `/healthz` and `/metrics` (none when empty).
    pub listen: Option<std::net::SocketAddr>,
    /// Where scheduled reports are rendered.
    pub out_dir: PathBuf,
    /// A JSON line per message sent is appended here.
    pub journal: Option<PathBuf>,
    /// How often the schedules are looked at.
    pub tick: chrono::Duration,
    pub workers: usize,
    /// How long a worker's claim on a row holds (at least the send timeout).
    pub lease: chrono::Duration,
    /// The longest one message, media group or email may take (real time).
    pub send_timeout: chrono::Duration,
    pub max_attempts: i64,
    pub retry_base: chrono::Duration,
    pub retry_cap: chrono::Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9464))),
            out_dir: PathBuf::from("out"),
            journal: None,
            tick: chrono::Duration::seconds(20),
            workers: 2,
            lease: chrono::Duration::seconds(120),
            send_timeout: chrono::Duration::seconds(120),
            max_attempts: 8,
            retry_base: chrono::Duration::seconds(30),
            retry_cap: chrono::Duration::seconds(3600),
        }
    }
}

impl Config {
    /// Whether a person of `role` may see the figure group `group` of the
    /// figures they are allowed to look at (METRICS.md, section 7).
    pub fn visible(&self, role: Role, group: FigureGroup) -> bool {
        role != Role::Manager || !self.hidden_from_managers.contains(&group)
    }

    /// Reads and validates the file; env vars fill in the secrets.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path, &|name| std::env::var(name).ok())
    }

    /// Validates config text; `env` looks up env vars (tests pass their own).
    pub fn parse(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut raw: raw::RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        // Paths a pull reads are relative to the config file, not to
        // wherever the scheduler happens to start.
        let base = path.parent().unwrap_or(Path::new(""));
        for s in &mut raw.sources {
            for p in [&mut s.drop_folder, &mut s.follow].into_iter().flatten() {
                if p.is_relative() && !p.as_os_str().is_empty() {
                    *p = base.join(&*p);
                }
            }
        }
        validate::validate(raw, env).map_err(|issues| ConfigError::Invalid {
            path: path.to_owned(),
            issues,
        })
    }

    /// The config file to use: the flag, then the env var, then the default.
    pub fn path(flag: Option<PathBuf>) -> PathBuf {
        flag.or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("salespulse.toml"))
    }

    pub fn team(&self, id: &str) -> Option<&TeamConfig> {
        self.teams.iter().find(|t| t.id == id)
    }

    pub fn employee(&self, id: &str) -> Option<&EmployeeConfig> {
        self.employees.iter().find(|e| e.id == id)
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }

    pub fn schedule(&self, name: &str) -> Option<&ScheduleConfig> {
        self.schedules.iter().find(|s| s.name == name)
    }

    /// Maps a source's user id (an extension, a CRM user id) to an employee id.
    pub fn employee_index(&self, source: &str) -> HashMap<String, String> {
        let mut index = HashMap::new();
        for employee in &self.employees {
            if let Some(ids) = employee.source_ids.get(source) {
                for id in ids {
                    index.insert(id.clone(), employee.id.clone());
                }
            }
        }
        index
    }

    /// Maps a CRM's stage ids (and our own stage ids) to our stage ids.
    pub fn stage_index(&self) -> HashMap<String, String> {
        let mut index = HashMap::new();
        for stage in &self.stages {
            index.insert(stage.id.clone(), stage.id.clone());
            for crm_id in &stage.crm_ids {
                index.insert(crm_id.clone(), stage.id.clone());
            }
        }
        index
    }
}

#[cfg(test)]
mod tests;
