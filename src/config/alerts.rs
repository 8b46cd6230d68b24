//! `[[alerts]]`: intraday alerts, per team. The validated shape; reading it
//! is in `validate/alerts.rs`, the rules themselves in `metrics::alerts`.

use chrono::{Duration, NaiveTime};

/// One alert rule of one team.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertConfig {
    pub team: String,
    pub rule: AlertRule,
    /// Who gets it.
    pub to: Vec<AlertRecipient>,
    /// Local hours when nothing is sent (what falls due then waits).
    pub quiet: Option<(NaiveTime, NaiveTime)>,
    /// At most this many alerts of the rule per person (or number) a day;
    /// then one summary.
    pub max_per_day: u32,
}

/// A rule and its thresholds.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertRule {
    /// An inbound call nobody answered, not called back within `within`.
    MissedCallback { within: Duration },
    /// By `at` on a working day, fewer than `min_calls` outbound calls.
    NoCallsBy { at: NaiveTime, min_calls: usize },
    /// No call for longer than `idle` within working hours, `lunch` aside.
    IdleNow {
        idle: Duration,
        lunch: Option<(NaiveTime, NaiveTime)>,
    },
    /// At least `min_calls` successful calls about a deal today left
    /// without a CRM trace once the trace window after each passed.
    TraceBacklog { min_calls: usize },
    /// From `at` on a working day, the activity plan, pro rata to the
    /// working hours passed, done below `below_pct` per cent.
    PlanPace { at: NaiveTime, below_pct: u32 },
}

impl AlertRule {
    /// The `rule` value in the file.
    pub fn name(&self) -> &'static str {
        match self {
            AlertRule::MissedCallback { .. } => "missed_callback",
            AlertRule::NoCallsBy { .. } => "no_calls_by",
            AlertRule::IdleNow { .. } => "idle_now",
            AlertRule::TraceBacklog { .. } => "trace_backlog",
            AlertRule::PlanPace { .. } => "plan_pace",
        }
    }
}

/// Where an alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertRecipient {
    /// The team's heads.
    Heads,
    /// The manager it is about (the one who should call back).
    Manager,
    /// A Telegram chat.
    Chat(i64),
}

/// Defaults of the file's keys.
pub const DEFAULT_WITHIN_MINS: i64 = 15;
pub const DEFAULT_IDLE_MINS: i64 = 40;
pub const DEFAULT_MAX_PER_DAY: u32 = 10;
pub const DEFAULT_BACKLOG_CALLS: i64 = 3;
pub const DEFAULT_BELOW_PCT: i64 = 70;

impl super::Config {
    /// The minutes a missed call of `team` is to be called back in: its
    /// `missed_callback` alert rule's, when it has one.
    pub fn callback_within(&self, team: &str) -> Option<chrono::Duration> {
        self.alerts.iter().find_map(|a| match a.rule {
            AlertRule::MissedCallback { within } if a.team == team => Some(within),
            _ => None,
        })
    }
}
