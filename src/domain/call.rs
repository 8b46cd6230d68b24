//! A call, its legs merged, built from what a source knows about it; and
//! what the database knows of a number from before.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use super::*;

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
    LegId::new().feed(key.as_bytes()).id()
}

/// [`leg_id`] of a key fed in pieces, without building the key.
#[derive(Debug, Clone, Copy)]
pub struct LegId(u64);

impl LegId {
    pub fn new() -> Self {
        LegId(0xcbf2_9ce4_8422_2325)
    }

    /// The id so far with `bytes` added at the end of the key.
    pub fn feed(self, bytes: &[u8]) -> Self {
        LegId(bytes.iter().fold(self.0, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        }))
    }

    pub fn id(self) -> u64 {
        self.0
    }
}

impl Default for LegId {
    fn default() -> Self {
        Self::new()
    }
}

/// What the database knows about a number from before: its first contact,
/// its first successful contact, and the first deal with it as the phone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumberFacts {
    pub first_contact: Option<DateTime<Utc>>,
    pub first_success: Option<DateTime<Utc>>,
    pub first_deal: Option<DateTime<Utc>>,
}

/// Facts by normalized number.
pub type NumberHistory = HashMap<String, NumberFacts>;
