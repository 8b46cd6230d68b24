//! Typed records of the sales domain. Constructors validate, so a record that
//! exists is a record that makes sense: a call ends after it starts, talk time
//! fits inside the call, every record from a source has a non-empty id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Figures a plan line may name (daily minimums per person).
pub const PLAN_FIGURES: &[&str] = &[
    "calls_out",
    "calls_in",
    "connected",
    "successful_contacts",
    "talk_minutes",
    "cold_calls",
    "warm_calls",
    "new_client_calls",
    "meetings",
    "proposals",
    "emails",
    "cards_touched",
    "comments",
    "deals_won",
];

/// The figures a KPI indicator can pay on: the month's value of each.
pub const KPI_FIGURES: &[&str] = &[
    "calls_out",
    "calls_in",
    "missed",
    "connected",
    "successful_contacts",
    "talk_time",
    "talk_minutes",
    "talk_mean",
    "talk_median",
    "short_calls",
    "medium_calls",
    "long_calls",
    "cold_calls",
    "warm_calls",
    "new_client_calls",
    "existing_client_calls",
    "proposals",
    "meetings",
    "emails",
    "cards_touched",
    "overdue_tasks",
    "oldest_overdue_days",
    "postponed_without_action",
    "deals_without_next_task",
    "open_tasks_per_open_deal",
    "calls_without_trace",
    "calls_about_deals",
    "weak_comments",
    "comments",
    "weak_comment_share",
    "unfinished_tasks",
    "deals_won",
    "deals_lost",
    "win_rate",
    "revenue",
    "stuck_deals",
    "plan_completion",
];

/// The groups figures fall into (METRICS.md, sections 1 to 5): what a head
/// may keep from managers' view of their own figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureGroup {
    Telephony,
    Pulse,
    Plan,
    Funnel,
    Hygiene,
}

impl FigureGroup {
    pub const ALL: [FigureGroup; 5] = [
        FigureGroup::Telephony,
        FigureGroup::Pulse,
        FigureGroup::Plan,
        FigureGroup::Funnel,
        FigureGroup::Hygiene,
    ];

    /// The name in `[visibility] hide_from_managers`.
    pub fn name(self) -> &'static str {
        match self {
            FigureGroup::Telephony => "telephony",
            FigureGroup::Pulse => "pulse",
            FigureGroup::Plan => "plan",
            FigureGroup::Funnel => "funnel",
            FigureGroup::Hygiene => "hygiene",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The group of a figure key (`KPI_FIGURES`, plan lines): the one place
    /// that says which figure belongs where. Activities logged in the CRM
    /// (proposals, meetings, emails) are the activity plan's; the pulse has
    /// no single-number key (it is a day's time line).
    pub fn of(key: &str) -> Self {
        match key {
            "calls_out"
            | "calls_in"
            | "missed"
            | "connected"
            | "successful_contacts"
            | "talk_time"
            | "talk_minutes"
            | "talk_mean"
            | "talk_median"
            | "short_calls"
            | "medium_calls"
            | "long_calls"
            | "cold_calls"
            | "warm_calls"
            | "new_client_calls"
            | "existing_client_calls" => FigureGroup::Telephony,
            "proposals" | "meetings" | "emails" | "plan_completion" => FigureGroup::Plan,
            "deals_won" | "deals_lost" | "win_rate" | "revenue" | "stuck_deals" => {
                FigureGroup::Funnel
            }
            _ => FigureGroup::Hygiene,
        }
    }
}

impl fmt::Display for FigureGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("ends at {end} before it starts at {start}")]
    EndsBeforeStart {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    #[error("talk time {talk} s is longer than the call ({duration} s)")]
    TalkLongerThanCall { talk: i64, duration: i64 },
    #[error("{what} is negative ({value})")]
    Negative { what: &'static str, value: i64 },
    #[error("unknown {what} {value:?} (expected one of: {expected})")]
    Unknown {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{what} {value} s is longer than a day: not a plausible call")]
    CallTooLong { what: &'static str, value: i64 },
    #[error("{what} {value} is outside {FIRST_YEAR}-{LAST_YEAR}")]
    DateOutOfRange { what: &'static str, value: String },
    #[error("{what} {value} is over {} (in minor units: more than any deal)", MAX_AMOUNT_MINOR / 100)]
    AmountTooLarge { what: &'static str, value: i64 },
}

/// The longest call (and talk time) taken as real: one day.
pub const MAX_CALL_SECONDS: i64 = 86_400;
/// Records dated outside these years are typing errors or overflows.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;
/// The largest amount of one record, in minor units: 10^12 in the currency.
/// Sums of a million such amounts still fit an `i64`.
pub const MAX_AMOUNT_MINOR: i64 = 100 * 1_000_000_000_000;

/// Refuses instants outside [`FIRST_YEAR`]–[`LAST_YEAR`].
pub fn plausible_instant(what: &'static str, t: DateTime<Utc>) -> Result<(), DomainError> {
    use chrono::Datelike;
    if (FIRST_YEAR..=LAST_YEAR).contains(&t.year()) {
        Ok(())
    } else {
        Err(DomainError::DateOutOfRange {
            what,
            value: t.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
    }
}

/// Refuses seconds of a call outside 0..=[`MAX_CALL_SECONDS`].
pub fn plausible_call_seconds(what: &'static str, value: i64) -> Result<(), DomainError> {
    if value < 0 {
        return Err(DomainError::Negative { what, value });
    }
    if value > MAX_CALL_SECONDS {
        return Err(DomainError::CallTooLong { what, value });
    }
    Ok(())
}

/// Refuses amounts outside 0..=[`MAX_AMOUNT_MINOR`].
pub fn plausible_amount(what: &'static str, value: i64) -> Result<(), DomainError> {
    if value < 0 {
        return Err(DomainError::Negative { what, value });
    }
    if value > MAX_AMOUNT_MINOR {
        return Err(DomainError::AmountTooLarge { what, value });
    }
    Ok(())
}

/// The id a source gives a record (`uniqueid`, a CRM deal id): never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(raw: &str, what: &'static str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Empty(what));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number reduced to its digits, with the Russian trunk prefix `8`
/// of an 11-digit number rewritten to `7`, so that `8 (916) 123-45-67`,
/// `+7 916 1234567` and `79161234567` are one client.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn normalize(raw: &str) -> Self {
        let mut digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 11 && digits.starts_with('8') {
            digits.replace_range(0..1, "7");
        }
        Self(digits)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                let lower = raw.trim().to_ascii_lowercase();
                match lower.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(DomainError::Unknown {
                        what: $what,
                        value: raw.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a person does in the department; decides what they may see.
    Role, "role" { Manager = "manager", Head = "head", Owner = "owner", Admin = "admin" }
);
text_enum!(
    /// Which way a call went, seen from the department.
    Direction, "direction" { Inbound = "inbound", Outbound = "outbound", Internal = "internal" }
);
text_enum!(
    /// How a call ended, in Asterisk's words.
    Disposition, "disposition" {
        Answered = "answered", NoAnswer = "no answer", Busy = "busy", Failed = "failed", Congestion = "congestion"
    }
);
text_enum!(
    /// What a source says a call was, when it says it.
    CallKind, "call kind" { Cold = "cold", Warm = "warm" }
);
text_enum!(
    /// Where a pipeline stage leads.
    StageKind, "stage kind" { Open = "open", Won = "won", Lost = "lost" }
);
text_enum!(
    /// How ready a lead is to buy.
    Temperature, "lead temperature" { Hot = "hot", Warm = "warm", Cold = "cold" }
);
text_enum!(
    /// What kind of CRM activity a record is.
    ActivityKind, "activity kind" {
        Call = "call", Meeting = "meeting", Proposal = "proposal", Email = "email", Message = "message", Other = "other"
    }
);

/// A department's team: the unit a head of sales runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub timezone: chrono_tz::Tz,
}

/// A person the reports are about or for.
#[derive(Debug, Clone, PartialEq)]
pub struct Employee {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub position: Option<String>,
    pub team: String,
}

/// One call, its legs (ring-group fan-out, transfers) already merged: the
/// answered leg decides who took it and how long they talked.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub source: String,
    pub external_id: ExternalId,
    /// The employee the call is counted for, when the agent is mapped.
    pub employee_id: Option<String>,
    /// The agent as the source names them (an extension, a user id).
    pub agent: Option<String>,
    pub direction: Direction,
    /// The client's number (the other side of the call).
    pub number: Phone,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// Talk time (Asterisk `billsec`), in seconds.
    pub talk_seconds: i64,
    pub disposition: Disposition,
    /// The deal the source linked the call to, if it did.
    pub deal_ext: Option<String>,
    /// Cold or warm when the source says so; otherwise the figures decide.
    pub kind: Option<CallKind>,
    /// How many source rows (legs) were merged into this call.
    pub legs: i64,
    /// The legs merged into it (`leg_id` of each leg's key), sorted: legs
    /// of one call read from several files or batches are counted once
    /// each. Filled when the call is read from a source and when it is
    /// written; empty when it is read back for figures.
    pub leg_ids: Vec<u64>,
    /// Orders legs of one call: the leg with the higher rank wins a merge.
    pub rank: i64,
    /// Identifies the winning leg; breaks rank ties the same way every time.
    pub leg_key: String,
    /// Where the call's recording can be listened to, when the source
    /// links one (Asterisk's `recordingfile` through `recording_url`).
    pub recording_url: Option<String>,
}

/// The fields a source knows about a call, before validation.
#[derive(Debug, Clone)]
pub struct CallFields {
    pub source: String,
    pub external_id: String,
    pub employee_id: Option<String>,
    pub agent: Option<String>,
    pub direction: Direction,
    pub number: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub talk_seconds: i64,
    pub disposition: Disposition,
    pub deal_ext: Option<String>,
    pub kind: Option<CallKind>,
    pub leg_key: String,
}

impl Call {
    pub fn new(f: CallFields) -> Result<Self, DomainError> {
        let external_id = ExternalId::parse(&f.external_id, "call id")?;
        plausible_instant("start", f.started_at)?;
        plausible_instant("end", f.ended_at)?;
        if let Some(answered) = f.answered_at {
            plausible_instant("answer", answered)?;
        }
        if f.ended_at < f.started_at {
            return Err(DomainError::EndsBeforeStart {
                start: f.started_at,
                end: f.ended_at,
            });
        }
        plausible_call_seconds("talk time", f.talk_seconds)?;
        plausible_call_seconds("call length", (f.ended_at - f.started_at).num_seconds())?;
        if f.talk_seconds < 0 {
            return Err(DomainError::Negative {
                what: "talk time",
                value: f.talk_seconds,
            });
        }
        let duration = (f.ended_at - f.started_at).num_seconds();
        if f.talk_seconds > duration {
            return Err(DomainError::TalkLongerThanCall {
                talk: f.talk_seconds,
                duration,
            });
        }
        let answered = f.talk_seconds > 0 || f.disposition == Disposition::Answered;
        // Answered beats unanswered, then the longer conversation wins.
        let rank = (i64::from(answered) << 40) | f.talk_seconds.min((1 << 40) - 1);
        Ok(Self {
            source: f.source,
            external_id,
            employee_id: f.employee_id,
            agent: f.agent.filter(|a| !a.trim().is_empty()),
            direction: f.direction,
            number: Phone::normalize(&f.number),
            started_at: f.started_at,
            answered_at: f.answered_at,
            ended_at: f.ended_at,
            talk_seconds: f.talk_seconds,
            disposition: f.disposition,
            deal_ext: f.deal_ext.filter(|d| !d.trim().is_empty()),
            kind: f.kind,
            legs: 1,
            leg_ids: vec![leg_id(&f.leg_key)],
            rank,
            leg_key: f.leg_key,
            recording_url: None,
        })
    }

    /// Talk time > 0: somebody picked up.
    pub fn is_connected(&self) -> bool {
        self.talk_seconds > 0
    }

    /// Folds another leg of the same call into this one: the higher
    /// `(rank, leg_key)` wins, whatever order the legs come in.
    pub fn merge_leg(&mut self, other: Call) {
        // Each distinct leg once when both parts know their legs; else (a
        // call stored before legs were kept) their sum.
        let known = |c: &Call| !c.leg_ids.is_empty() && c.leg_ids.len() as i64 == c.legs;
        let both_known = known(self) && known(&other);
        let sum = self.legs + other.legs;
        let mut ids = self.leg_ids.clone();
        ids.extend(&other.leg_ids);
        ids.sort_unstable();
        ids.dedup();
        let legs = if both_known { ids.len() as i64 } else { sum };
        if (other.rank, &other.leg_key) > (self.rank, &self.leg_key) {
            let started = self.started_at.min(other.started_at);
            let recording = self.recording_url.take();
            *self = other;
            self.started_at = self.started_at.min(started);
            // The recording may hang on another leg than the winner.
            if self.recording_url.is_none() {
                self.recording_url = recording;
            }
        } else {
            self.started_at = self.started_at.min(other.started_at);
            if self.recording_url.is_none() {
                self.recording_url = other.recording_url;
            }
        }
        self.legs = legs;
        self.leg_ids = ids;
    }
}

/// A leg's id: a stable 64-bit hash (FNV-1a) of its key, the same in every
/// version and on every machine.
pub fn leg_id(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A CRM user as the CRM lists them, mapped to an employee when the config
/// names their id.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmUser {
    pub source: String,
    pub external_id: ExternalId,
    pub name: String,
    pub email: Option<String>,
    pub employee_id: Option<String>,
}

/// A deal (lead, opportunity) in the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    pub source: String,
    pub external_id: ExternalId,
    pub title: String,
    pub employee_id: Option<String>,
    /// The owner as the CRM names them.
    pub owner_ext: Option<String>,
    /// Our stage id (from the config's pipeline).
    pub stage: String,
    pub amount_minor: i64,
    pub currency: String,
    pub channel: Option<String>,
    pub temperature: Option<Temperature>,
    pub client_ext: Option<String>,
    pub phone: Option<Phone>,
    pub created_at: DateTime<Utc>,
    /// When the deal reached its current stage (for stuck deals).
    pub stage_since: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl Deal {
    pub fn validate(self) -> Result<Self, DomainError> {
        if self.stage.trim().is_empty() {
            return Err(DomainError::Empty("stage"));
        }
        plausible_amount("amount", self.amount_minor)?;
        plausible_instant("created", self.created_at)?;
        for (what, t) in [
            ("stage since", self.stage_since),
            ("closed", self.closed_at),
        ] {
            if let Some(t) = t {
                plausible_instant(what, t)?;
            }
        }
        if let Some(closed) = self.closed_at
            && closed < self.created_at
        {
            return Err(DomainError::EndsBeforeStart {
                start: self.created_at,
                end: closed,
            });
        }
        Ok(self)
    }
}

/// A deal moving from one stage to another.
#[derive(Debug, Clone, PartialEq)]
pub struct StageChange {
    pub source: String,
    pub external_id: ExternalId,
    pub deal_ext: ExternalId,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_at: DateTime<Utc>,
    pub employee_id: Option<String>,
    pub author_ext: Option<String>,
}

/// A CRM task: something somebody has to do by a due time.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub source: String,
    pub external_id: ExternalId,
    pub deal_ext: Option<String>,
    pub employee_id: Option<String>,
    pub owner_ext: Option<String>,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A task's due time moved later: recorded when a pull sees it, or given by
/// the source.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPostponement {
    pub source: String,
    pub task_ext: ExternalId,
    pub old_due: DateTime<Utc>,
    pub new_due: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
}

/// Something done on a deal: a meeting, a proposal sent, an email.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub source: String,
    pub external_id: ExternalId,
    pub deal_ext: Option<String>,
    pub employee_id: Option<String>,
    pub owner_ext: Option<String>,
    pub kind: ActivityKind,
    pub at: DateTime<Utc>,
}

/// A comment left on a deal or client card.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub source: String,
    pub external_id: ExternalId,
    pub deal_ext: Option<String>,
    pub employee_id: Option<String>,
    pub author_ext: Option<String>,
    pub at: DateTime<Utc>,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fields(talk: i64, disposition: Disposition, leg: &str) -> CallFields {
        let start = Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap();
        CallFields {
            source: "pbx".into(),
            external_id: "1.1".into(),
            employee_id: None,
            agent: Some(leg.into()),
            direction: Direction::Inbound,
            number: "8 (916) 123-45-67".into(),
            started_at: start,
            answered_at: None,
            ended_at: start + chrono::Duration::seconds(120),
            talk_seconds: talk,
            disposition,
            deal_ext: None,
            kind: None,
            leg_key: leg.into(),
        }
    }

    #[test]
    fn phone_numbers_of_one_client_normalize_alike() {
        assert_eq!(
            Phone::normalize("8 (916) 123-45-67").as_str(),
            "79161234567"
        );
        assert_eq!(Phone::normalize("+7 916 1234567").as_str(), "79161234567");
        assert_eq!(Phone::normalize("101").as_str(), "101");
    }

    #[test]
    fn talk_longer_than_the_call_is_refused() {
        let err = Call::new(fields(121, Disposition::Answered, "a")).unwrap_err();
        assert_eq!(
            err,
            DomainError::TalkLongerThanCall {
                talk: 121,
                duration: 120
            }
        );
    }

    #[test]
    fn answered_leg_wins_in_any_order() {
        let missed = Call::new(fields(0, Disposition::NoAnswer, "201")).unwrap();
        let answered = Call::new(fields(75, Disposition::Answered, "202")).unwrap();
        let mut a = missed.clone();
        a.merge_leg(answered.clone());
        let mut b = answered;
        b.merge_leg(missed);
        assert_eq!(a, b);
        assert_eq!(a.agent.as_deref(), Some("202"));
        assert_eq!(a.talk_seconds, 75);
        assert_eq!(a.legs, 2);
    }

    #[test]
    fn unknown_role_names_the_choices() {
        let err = Role::parse("boss").unwrap_err().to_string();
        assert!(err.contains("manager head owner admin"), "{err}");
    }
}
