//! Telephony figures (METRICS.md, section 1): calls out and in, missed,
//! connected, successful contacts, talk time, duration mix, cold and warm
//! calls, new and existing clients. Internal calls are left out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// What the telephony figures of a period are made of, added up day by day
/// (the daily roll-up stores one per person and day): counts, and the talk
/// seconds of each connected call, which the median needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTally {
    pub out: usize,
    pub inbound: usize,
    pub missed: usize,
    pub successful: usize,
    pub short: usize,
    pub medium: usize,
    pub long: usize,
    pub cold: usize,
    pub warm: usize,
    pub new: usize,
    pub existing: usize,
    /// Talk seconds of the connected calls, one each.
    pub talks: Vec<i64>,
}

impl CallTally {
    /// The counts of `calls` (any order).
    pub fn of(calls: &[Call], history: &NumberHistory, success_secs: i64) -> Self {
        call_sets(calls, history, success_secs).tally()
    }

    /// Adds another period's counts to these.
    pub fn add(&mut self, o: &CallTally) {
        self.out += o.out;
        self.inbound += o.inbound;
        self.missed += o.missed;
        self.successful += o.successful;
        self.short += o.short;
        self.medium += o.medium;
        self.long += o.long;
        self.cold += o.cold;
        self.warm += o.warm;
        self.new += o.new;
        self.existing += o.existing;
        self.talks.extend_from_slice(&o.talks);
    }

    /// The figures these counts make, without records.
    pub fn figures(&self, success_secs: i64) -> Telephony {
        build(self, success_secs, None)
    }
}

impl CallSets<'_> {
    fn tally(&self) -> CallTally {
        CallTally {
            out: self.out.len(),
            inbound: self.inbound.len(),
            missed: self.missed.len(),
            successful: self.successful.len(),
            short: self.short.len(),
            medium: self.medium.len(),
            long: self.long.len(),
            cold: self.cold.len(),
            warm: self.warm.len(),
            new: self.new.len(),
            existing: self.existing.len(),
            talks: self.connected.iter().map(|c| c.talk_seconds).collect(),
        }
    }
}

/// A count figure of `n` with the calls of `set` behind it, when there are
/// sets to take them from.
fn counted(key: &'static str, rule: Rule, n: usize, set: Option<&[&Call]>) -> Figure {
    Figure {
        key,
        value: n as f64,
        unit: Unit::Count,
        rule,
        records: set.map(|s| refs(s.iter().copied())).unwrap_or_default(),
    }
}

/// Calls out, in, missed, connected and successful contacts.
fn contact_figures(t: &CallTally, success_secs: i64, s: Option<&CallSets<'_>>) -> [Figure; 5] {
    let total = t.out + t.inbound;
    let n_conn = t.talks.len();
    [
        counted(
            "calls_out",
            n_of("calls_out", t.out, total),
            t.out,
            s.map(|s| s.out.as_slice()),
        ),
        counted(
            "calls_in",
            n_of("calls_in", t.inbound, total),
            t.inbound,
            s.map(|s| s.inbound.as_slice()),
        ),
        counted(
            "missed",
            n_of("missed", t.missed, t.inbound),
            t.missed,
            s.map(|s| s.missed.as_slice()),
        ),
        counted(
            "connected",
            n_of("connected", n_conn, total),
            n_conn,
            s.map(|s| s.connected.as_slice()),
        ),
        counted(
            "successful_contacts",
            n_of("successful_contacts", t.successful, n_conn)
                .with("min_secs", Value::Seconds(success_secs)),
            t.successful,
            s.map(|s| s.successful.as_slice()),
        ),
    ]
}

/// Talk time, its mean and its median over the connected calls.
fn talk_figures(t: &CallTally, connected: Option<&[&Call]>) -> [Figure; 3] {
    let talk: i64 = t.talks.iter().sum();
    let mut talks = t.talks.clone();
    let talk_median = median(&mut talks);
    let n_conn = t.talks.len();
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
            records: connected
                .map(|c| refs(c.iter().copied()))
                .unwrap_or_default(),
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
fn duration_figures(t: &CallTally, s: Option<&CallSets<'_>>) -> [Figure; 3] {
    let n_conn = t.talks.len();
    [
        counted(
            "short_calls",
            n_of("short_calls", t.short, n_conn),
            t.short,
            s.map(|s| s.short.as_slice()),
        ),
        counted(
            "medium_calls",
            n_of("medium_calls", t.medium, n_conn),
            t.medium,
            s.map(|s| s.medium.as_slice()),
        ),
        counted(
            "long_calls",
            n_of("long_calls", t.long, n_conn),
            t.long,
            s.map(|s| s.long.as_slice()),
        ),
    ]
}

/// Cold and warm calls, calls to new and to existing clients.
fn client_figures(t: &CallTally, s: Option<&CallSets<'_>>) -> [Figure; 4] {
    let total = t.out + t.inbound;
    [
        counted(
            "cold_calls",
            n_of("cold_calls", t.cold, t.out),
            t.cold,
            s.map(|s| s.cold.as_slice()),
        ),
        counted(
            "warm_calls",
            n_of("warm_calls", t.warm, t.out),
            t.warm,
            s.map(|s| s.warm.as_slice()),
        ),
        counted(
            "new_client_calls",
            n_of("new_client_calls", t.new, total),
            t.new,
            s.map(|s| s.new.as_slice()),
        ),
        counted(
            "existing_client_calls",
            n_of("existing_client_calls", t.existing, total),
            t.existing,
            s.map(|s| s.existing.as_slice()),
        ),
    ]
}

/// The figures of `t`, with the calls of `sets` behind them when given.
fn build(t: &CallTally, success_secs: i64, sets: Option<&CallSets<'_>>) -> Telephony {
    let [calls_out, calls_in, missed, connected, successful_contacts] =
        contact_figures(t, success_secs, sets);
    let [talk_time, talk_mean, talk_median] = talk_figures(t, sets.map(|s| s.connected.as_slice()));
    let [short_calls, medium_calls, long_calls] = duration_figures(t, sets);
    let [
        cold_calls,
        warm_calls,
        new_client_calls,
        existing_client_calls,
    ] = client_figures(t, sets);
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

/// Computes the telephony figures of `calls` (any order), with the calls
/// behind each.
pub fn telephony(calls: &[Call], history: &NumberHistory, success_secs: i64) -> Telephony {
    let sets = call_sets(calls, history, success_secs);
    build(&sets.tally(), success_secs, Some(&sets))
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
