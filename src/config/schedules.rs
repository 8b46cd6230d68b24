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
    Digest { team: String, deliver: Delivery },
    /// The weekly owner report of the team.
    Weekly { team: String, deliver: Delivery },
    /// Pull new records from a `[[sources]]` entry.
    Pull { source: String },
    /// Each manager of the team their own card of the last working day, in
    /// Telegram.
    Cards { team: String },
}

impl ScheduleJob {
    /// The `job` value in the file.
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleJob::Digest { .. } => "digest",
            ScheduleJob::Weekly { .. } => "weekly",
            ScheduleJob::Pull { .. } => "pull",
            ScheduleJob::Cards { .. } => "cards",
        }
    }
}

/// Where a report goes: the one delivery kind of schedules and commands.
/// A digest goes by `File` or `Telegram`, a weekly report by `File` or
/// `Email` (validation and the command line accept only those).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Written to files only (a weekly email as an `.eml` beside the page).
    File,
    /// To the team's heads and group chat.
    Telegram,
    /// Over SMTP (`[email]`).
    Email,
}

impl Delivery {
    /// The value in the file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Delivery::File => "file",
            Delivery::Telegram => "telegram",
            Delivery::Email => "email",
        }
    }

    /// The deliveries of a job (`digest`, `weekly`).
    pub fn of_job(job: &str) -> &'static [Delivery] {
        match job {
            "digest" => &[Delivery::Telegram, Delivery::File],
            _ => &[Delivery::Email, Delivery::File],
        }
    }
}
