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

mod call;
mod crm;
mod ids;

pub use call::{Call, CallFields, LegId, NumberFacts, NumberHistory, leg_id};
pub use crm::{Activity, Comment, CrmUser, Deal, StageChange, Task, TaskPostponement};
pub use ids::{ExternalId, Phone};

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
