//! A stored call read back into the domain type.

use chrono::{DateTime, Utc};

use super::{Result, StorageError};
use crate::domain::Call;

#[derive(sqlx::FromRow)]
pub(super) struct CallRow {
    source: String,
    external_id: String,
    employee_id: Option<String>,
    agent: Option<String>,
    direction: String,
    number: String,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: i64,
    talk_seconds: i64,
    disposition: String,
    deal_ext: Option<String>,
    kind: Option<String>,
    legs: i64,
    rank: i64,
    leg_key: String,
    recording_url: Option<String>,
}

fn instant(secs: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| StorageError::Corrupt(format!("instant {secs}")))
}

impl CallRow {
    pub(super) fn into_call(self) -> Result<Call> {
        use crate::domain::{CallKind, Direction, Disposition, ExternalId, Phone};
        let corrupt = |e: crate::domain::DomainError| {
            StorageError::Corrupt(format!("call {}: {e}", self.external_id))
        };
        Ok(Call {
            direction: Direction::parse(&self.direction).map_err(corrupt)?,
            disposition: Disposition::parse(&self.disposition).map_err(corrupt)?,
            kind: self
                .kind
                .as_deref()
                .map(CallKind::parse)
                .transpose()
                .map_err(corrupt)?,
            external_id: ExternalId::parse(&self.external_id, "call id").map_err(corrupt)?,
            number: Phone::normalize(&self.number),
            started_at: instant(self.started_at)?,
            answered_at: self.answered_at.map(instant).transpose()?,
            ended_at: instant(self.ended_at)?,
            source: self.source,
            employee_id: self.employee_id,
            agent: self.agent,
            talk_seconds: self.talk_seconds,
            deal_ext: self.deal_ext,
            legs: self.legs,
            leg_ids: Vec::new(),
            rank: self.rank,
            leg_key: self.leg_key,
            recording_url: self.recording_url,
        })
    }
}
