//! Telephony figures (METRICS.md, section 1): calls out and in, missed,
//! connected, successful contacts, talk time, duration mix, cold and warm
//! calls, new and existing clients. Internal calls are left out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Figure, RecordKind, RecordRef, Rule, Unit, Value, median};
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

/// The calls of a period sorted into the sets the figures count.
struct CallSets<'a> {
    /// External calls: all but internal ones.
    total: usize,
    out: Vec<&'a Call>,
    inbound: Vec<&'a Call>,
    missed: Vec<&'a Call>,
    connected: Vec<&'a Call>,
    successful: Vec<&'a Call>,
    short: Vec<&'a Call>,
    medium: Vec<&'a Call>,
    long: Vec<&'a Call>,
    warm: Vec<&'a Call>,
    cold: Vec<&'a Call>,
    new: Vec<&'a Call>,
    existing: Vec<&'a Call>,
}

/// The calls of `from` that pass `keep`.
fn only<'a>(from: &[&'a Call], keep: impl Fn(&Call) -> bool) -> Vec<&'a Call> {
    from.iter().copied().filter(|c| keep(c)).collect()
}

/// Sorts `calls` into direction, connection, duration, kind and client sets.
fn call_sets<'a>(calls: &'a [Call], history: &NumberHistory, success_secs: i64) -> CallSets<'a> {
    let external: Vec<&Call> = calls
        .iter()
        .filter(|c| c.direction != Direction::Internal)
        .collect();
    let out = only(&external, |c| c.direction == Direction::Outbound);
    let inbound = only(&external, |c| c.direction == Direction::Inbound);
    let missed = only(&inbound, |c| !c.is_connected());
    let connected = only(&external, |c| c.is_connected());
    let successful = only(&connected, |c| is_successful(c, success_secs));
    let short = only(&connected, |c| c.talk_seconds < 60);
    let medium = only(&connected, |c| (60..=180).contains(&c.talk_seconds));
    let long = only(&connected, |c| c.talk_seconds > 180);
    let (warm, cold): (Vec<&Call>, Vec<&Call>) = out
        .iter()
        .copied()
        .partition(|c| call_kind(c, history) == CallKind::Warm);
    let (new, existing): (Vec<&Call>, Vec<&Call>) = external
        .iter()
        .copied()
        .partition(|c| is_new_client(c, history));
    CallSets {
        total: external.len(),
        out,
        inbound,
        missed,
        connected,
        successful,
        short,
        medium,
        long,
        warm,
        cold,
        new,
        existing,
    }
}

/// A count out of a whole: `rule-<id>` with `n` and `of`.
fn n_of(id: &'static str, n: usize, of: usize) -> Rule {
    Rule::new(id).with("n", n).with("of", of)
}

/// Calls out, in, missed, connected and successful contacts.
fn contact_figures(s: &CallSets<'_>, success_secs: i64) -> [Figure; 5] {
    let total = s.total;
    let n_conn = s.connected.len();
    [
        Figure::count(
            "calls_out",
            n_of("calls_out", s.out.len(), total),
            refs(s.out.iter().copied()),
        ),
        Figure::count(
            "calls_in",
            n_of("calls_in", s.inbound.len(), total),
            refs(s.inbound.iter().copied()),
        ),
        Figure::count(
            "missed",
            n_of("missed", s.missed.len(), s.inbound.len()),
            refs(s.missed.iter().copied()),
        ),
        Figure::count(
            "connected",
            n_of("connected", n_conn, total),
            refs(s.connected.iter().copied()),
        ),
        Figure::count(
            "successful_contacts",
            n_of("successful_contacts", s.successful.len(), n_conn)
                .with("min_secs", Value::Seconds(success_secs)),
            refs(s.successful.iter().copied()),
        ),
    ]
}

/// Talk time, its mean and its median over the connected calls.
fn talk_figures(connected: &[&Call]) -> [Figure; 3] {
    let talk: i64 = connected.iter().map(|c| c.talk_seconds).sum();
    let mut talks: Vec<i64> = connected.iter().map(|c| c.talk_seconds).collect();
    let talk_median = median(&mut talks);
    let n_conn = connected.len();
    let mean = if n_conn > 0 {
        talk as f64 / n_conn as f64
    } else {
        0.0
    };
    [
        Figure {
            key: "talk_time",
            value: talk as f64,
            unit: Unit::Seconds,
            rule: Rule::new("talk_time")
                .with("n", n_conn)
                .with("talk", Value::Seconds(talk)),
            records: refs(connected.iter().copied()),
        },
        Figure {
            key: "talk_mean",
            value: mean,
            unit: Unit::Seconds,
            rule: Rule::new("talk_mean")
                .with("talk", Value::Seconds(talk))
                .with("n", n_conn)
                .with("mean", Value::Seconds(mean.round() as i64)),
            records: Vec::new(),
        },
        Figure {
            key: "talk_median",
            value: talk_median.unwrap_or(0.0),
            unit: Unit::Seconds,
            rule: match talk_median {
                Some(m) => Rule::new("talk_median")
                    .with("n", n_conn)
                    .with("median", Value::Seconds(m.round() as i64)),
                None => Rule::new("talk_median_none"),
            },
            records: Vec::new(),
        },
    ]
}

/// Short, medium and long connected calls.
fn duration_figures(s: &CallSets<'_>) -> [Figure; 3] {
    let n_conn = s.connected.len();
    [
        Figure::count(
            "short_calls",
            n_of("short_calls", s.short.len(), n_conn),
            refs(s.short.iter().copied()),
        ),
        Figure::count(
            "medium_calls",
            n_of("medium_calls", s.medium.len(), n_conn),
            refs(s.medium.iter().copied()),
        ),
        Figure::count(
            "long_calls",
            n_of("long_calls", s.long.len(), n_conn),
            refs(s.long.iter().copied()),
        ),
    ]
}

/// Cold and warm calls, calls to new and to existing clients.
fn client_figures(s: &CallSets<'_>) -> [Figure; 4] {
    let total = s.total;
    [
        Figure::count(
            "cold_calls",
            n_of("cold_calls", s.cold.len(), s.out.len()),
            refs(s.cold.iter().copied()),
        ),
        Figure::count(
            "warm_calls",
            n_of("warm_calls", s.warm.len(), s.out.len()),
            refs(s.warm.iter().copied()),
        ),
        Figure::count(
            "new_client_calls",
            n_of("new_client_calls", s.new.len(), total),
            refs(s.new.iter().copied()),
        ),
        Figure::count(
            "existing_client_calls",
            n_of("existing_client_calls", s.existing.len(), total),
            refs(s.existing.iter().copied()),
        ),
    ]
}

/// Computes the telephony figures of `calls` (any order).
pub fn telephony(calls: &[Call], history: &NumberHistory, success_secs: i64) -> Telephony {
    let sets = call_sets(calls, history, success_secs);
    let [calls_out, calls_in, missed, connected, successful_contacts] =
        contact_figures(&sets, success_secs);
    let [talk_time, talk_mean, talk_median] = talk_figures(&sets.connected);
    let [short_calls, medium_calls, long_calls] = duration_figures(&sets);
    let [
        cold_calls,
        warm_calls,
        new_client_calls,
        existing_client_calls,
    ] = client_figures(&sets);
    Telephony {
        calls_out,
        calls_in,
        missed,
        connected,
        successful_contacts,
        talk_time,
        talk_mean,
        talk_median,
        short_calls,
        medium_calls,
        long_calls,
        cold_calls,
        warm_calls,
        new_client_calls,
        existing_client_calls,
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
