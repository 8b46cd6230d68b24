//! `[[schedules]]`: what runs when. The validated shape; reading it is in
//! `validate/schedules.rs`.

use crate::scheduler::Schedule;

/// How long after its time a firing missed during downtime still runs.
pub const DEFAULT_GRACE_HOURS: i64 = 6;

/// One schedule: a crontab in a timezone and the job it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleConfig {
    /// Unique; the key of its firings in the outbox.
    pub name: String,
    /// The crontab in the team's timezone (or the `timezone` override).
    pub schedule: Schedule,
    pub job: ScheduleJob,
    /// A firing missed during downtime still runs at start when at most
    /// this late; older ones are reported as missed.
    pub grace: chrono::Duration,
}

/// The work a schedule starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleJob {
    /// The team's morning digest of the last working day.
    Digest {
        team: String,
        deliver: DigestDelivery,
    },
    /// The weekly owner report of the team.
    Weekly {
        team: String,
        deliver: WeeklyDelivery,
    },
    /// Pull new records from a `[[sources]]` entry.
    Pull { source: String },
}

impl ScheduleJob {
    /// The `job` value in the file.
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleJob::Digest { .. } => "digest",
            ScheduleJob::Weekly { .. } => "weekly",
            ScheduleJob::Pull { .. } => "pull",
        }
    }
}

/// Where a scheduled digest goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestDelivery {
    /// To the team's heads and group chat.
    Telegram,
    /// Written to files only.
    File,
}

/// Where a scheduled weekly report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeeklyDelivery {
    /// Over SMTP (`[email]`).
    Email,
    /// Written as an `.eml` file beside the page.
    File,
}
