//! Telephony figures (METRICS.md, section 1): calls out and in, missed,
//! connected, successful contacts, talk time, duration mix, cold and warm
//! calls, new and existing clients. Internal calls are left out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Figure, RecordKind, RecordRef, Unit, human_duration, median};
use crate::domain::{Call, CallKind, Direction, NumberHistory};

/// A call to a number with a successful contact before it is warm; the
/// source's own word wins.
pub fn call_kind(call: &Call, history: &NumberHistory) -> CallKind {
    if let Some(kind) = call.kind {
        return kind;
    }
    match history
        .get(call.number.as_str())
        .and_then(|f| f.first_success)
    {
        Some(first) if first < call.started_at => CallKind::Warm,
        _ => CallKind::Cold,
    }
}

/// A call to a number with no earlier call and no earlier deal is to a new client.
pub fn is_new_client(call: &Call, history: &NumberHistory) -> bool {
    let facts = history
        .get(call.number.as_str())
        .copied()
        .unwrap_or_default();
    let earlier = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t < call.started_at);
    !earlier(facts.first_contact) && !earlier(facts.first_deal)
}

pub fn is_successful(call: &Call, success_secs: i64) -> bool {
    call.talk_seconds > 0 && call.talk_seconds >= success_secs
}

/// Telephony figures of one person (or a team) over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Telephony {
    pub calls_out: Figure,
    pub calls_in: Figure,
    pub missed: Figure,
    pub connected: Figure,
    pub successful_contacts: Figure,
    pub talk_time: Figure,
    pub talk_mean: Figure,
    pub talk_median: Figure,
    pub short_calls: Figure,
    pub medium_calls: Figure,
    pub long_calls: Figure,
    pub cold_calls: Figure,
    pub warm_calls: Figure,
    pub new_client_calls: Figure,
    pub existing_client_calls: Figure,
}

fn refs<'a>(calls: impl Iterator<Item = &'a Call>) -> Vec<RecordRef> {
    calls
        .map(|c| RecordRef {
            kind: RecordKind::Call,
            source: c.source.clone(),
            id: c.external_id.to_string(),
        })
        .collect()
}

/// Computes the telephony figures of `calls` (any order).
pub fn telephony(calls: &[Call], history: &NumberHistory, success_secs: i64) -> Telephony {
    let external: Vec<&Call> = calls
        .iter()
        .filter(|c| c.direction != Direction::Internal)
        .collect();
    let total = external.len();
    let out: Vec<&Call> = external
        .iter()
        .copied()
        .filter(|c| c.direction == Direction::Outbound)
        .collect();
    let inbound: Vec<&Call> = external
        .iter()
        .copied()
        .filter(|c| c.direction == Direction::Inbound)
        .collect();
    let missed: Vec<&Call> = inbound
        .iter()
        .copied()
        .filter(|c| !c.is_connected())
        .collect();
    let connected: Vec<&Call> = external
        .iter()
        .copied()
        .filter(|c| c.is_connected())
        .collect();
    let successful: Vec<&Call> = connected
        .iter()
        .copied()
        .filter(|c| is_successful(c, success_secs))
        .collect();
    let talk: i64 = connected.iter().map(|c| c.talk_seconds).sum();
    let mut talks: Vec<i64> = connected.iter().map(|c| c.talk_seconds).collect();
    let talk_median = median(&mut talks);
    let n_conn = connected.len();
    let mean = if n_conn > 0 {
        talk as f64 / n_conn as f64
    } else {
        0.0
    };
    let short: Vec<&Call> = connected
        .iter()
        .copied()
        .filter(|c| c.talk_seconds < 60)
        .collect();
    let medium: Vec<&Call> = connected
        .iter()
        .copied()
        .filter(|c| (60..=180).contains(&c.talk_seconds))
        .collect();
    let long: Vec<&Call> = connected
        .iter()
        .copied()
        .filter(|c| c.talk_seconds > 180)
        .collect();
    let (warm, cold): (Vec<&Call>, Vec<&Call>) = out
        .iter()
        .copied()
        .partition(|c| call_kind(c, history) == CallKind::Warm);
    let (new, existing): (Vec<&Call>, Vec<&Call>) = external
        .iter()
        .copied()
        .partition(|c| is_new_client(c, history));

    let n = |v: &Vec<&Call>| v.len();
    Telephony {
        calls_out: Figure::count(
            "calls_out",
            format!(
                "outbound calls = {} of {total} calls (internal left out)",
                n(&out)
            ),
            refs(out.iter().copied()),
        ),
        calls_in: Figure::count(
            "calls_in",
            format!(
                "inbound calls = {} of {total} calls (internal left out)",
                n(&inbound)
            ),
            refs(inbound.iter().copied()),
        ),
        missed: Figure::count(
            "missed",
            format!(
                "missed = inbound calls never answered = {} of {}",
                n(&missed),
                n(&inbound)
            ),
            refs(missed.iter().copied()),
        ),
        connected: Figure::count(
            "connected",
            format!("connected = calls with talk time > 0 = {n_conn} of {total}"),
            refs(connected.iter().copied()),
        ),
        successful_contacts: Figure::count(
            "successful_contacts",
            format!(
                "successful contacts = connected calls with talk >= {success_secs} s = {} of {n_conn}",
                n(&successful)
            ),
            refs(successful.iter().copied()),
        ),
        talk_time: Figure {
            key: "talk_time",
            value: talk as f64,
            unit: Unit::Seconds,
            rule: format!(
                "talk time = sum of talk over {n_conn} connected calls = {}",
                human_duration(talk)
            ),
            records: refs(connected.iter().copied()),
        },
        talk_mean: Figure {
            key: "talk_mean",
            value: mean,
            unit: Unit::Seconds,
            rule: format!("mean talk = {talk} s / {n_conn} connected calls = {mean:.0} s"),
            records: Vec::new(),
        },
        talk_median: Figure {
            key: "talk_median",
            value: talk_median.unwrap_or(0.0),
            unit: Unit::Seconds,
            rule: match talk_median {
                Some(m) => format!("median talk over {n_conn} connected calls = {m:.0} s"),
                None => "median talk: no connected calls".to_owned(),
            },
            records: Vec::new(),
        },
        short_calls: Figure::count(
            "short_calls",
            format!("connected calls under 1 min = {} of {n_conn}", n(&short)),
            refs(short.iter().copied()),
        ),
        medium_calls: Figure::count(
            "medium_calls",
            format!("connected calls of 1 to 3 min = {} of {n_conn}", n(&medium)),
            refs(medium.iter().copied()),
        ),
        long_calls: Figure::count(
            "long_calls",
            format!("connected calls over 3 min = {} of {n_conn}", n(&long)),
            refs(long.iter().copied()),
        ),
        cold_calls: Figure::count(
            "cold_calls",
            format!(
                "cold calls = outbound calls to numbers with no successful contact before = {} of {}",
                n(&cold),
                n(&out)
            ),
            refs(cold.iter().copied()),
        ),
        warm_calls: Figure::count(
            "warm_calls",
            format!(
                "warm calls = outbound calls to numbers with a successful contact before = {} of {}",
                n(&warm),
                n(&out)
            ),
            refs(warm.iter().copied()),
        ),
        new_client_calls: Figure::count(
            "new_client_calls",
            format!(
                "calls to numbers with no earlier call or deal = {} of {total}",
                n(&new)
            ),
            refs(new.iter().copied()),
        ),
        existing_client_calls: Figure::count(
            "existing_client_calls",
            format!("calls to existing clients = {} of {total}", n(&existing)),
            refs(existing.iter().copied()),
        ),
    }
}

impl Telephony {
    /// The figures in report order.
    pub fn all(&self) -> [&Figure; 15] {
        [
            &self.calls_out,
            &self.calls_in,
            &self.missed,
            &self.connected,
            &self.successful_contacts,
            &self.talk_time,
            &self.talk_mean,
            &self.talk_median,
            &self.short_calls,
            &self.medium_calls,
            &self.long_calls,
            &self.cold_calls,
            &self.warm_calls,
            &self.new_client_calls,
            &self.existing_client_calls,
        ]
    }
}
