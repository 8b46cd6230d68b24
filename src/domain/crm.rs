//! CRM records: users, deals and their stage moves, tasks and their
//! postponements, activities and comments.

use chrono::{DateTime, Utc};

use super::*;

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
