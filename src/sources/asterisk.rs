//! Asterisk CDR `Master.csv` (the cdr_csv module). No header; the 16
//! standard columns, optionally followed by uniqueid, userfield, then
//! peeraccount, linkedid, sequence. Several rows can be one call: rows with
//! one linkedid (or, without it, one uniqueid) are merged and the answered
//! leg wins. Direction and agent come from the source's rules.

use std::collections::HashMap;
use std::io::Read;

use crate::calendar::LocalClock;
use crate::config::AsteriskRules;
use crate::domain::{Call, CallFields, Direction, Disposition, LegId, plausible_call_seconds};
use crate::sources::Rejected;

use super::fields::{clean, iso_local};
use super::lines::{PieceKind, Quotes, RecordReader, split_fields};
use super::{CHUNK_ROWS, Chunk, Mapping, Records};

/// Calls being merged from their legs, by call id.
pub(crate) type CallsById = HashMap<String, Call, foldhash::fast::RandomState>;

const SRC: usize = 1;
const DST: usize = 2;
const DCONTEXT: usize = 3;
const CHANNEL: usize = 5;
const DSTCHANNEL: usize = 6;
const START: usize = 9;
const ANSWER: usize = 10;
const END: usize = 11;
const DURATION: usize = 12;
const BILLSEC: usize = 13;
const DISPOSITION: usize = 14;
const UNIQUEID: usize = 16;
const LINKEDID: usize = 19;
const SEQUENCE: usize = 20;

/// The peer of a channel name: `SIP/101-0000abcd` → `101`,
/// `PJSIP/trunk-mts-00000012` → `trunk-mts`, `Local/101@from-queue-1;2` → `101`.
pub fn channel_peer(channel: &str) -> &str {
    let Some((_, rest)) = channel.split_once('/') else {
        return channel;
    };
    if let Some((peer, _)) = rest.split_once('@') {
        return peer;
    }
    match rest.rfind('-') {
        Some(i) => &rest[..i],
        None => rest,
    }
}

/// `*` matches any run of characters; everything else matches itself,
/// ASCII letters in either case.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let last = pattern.bytes().filter(|b| *b == b'*').count();
    if last == 0 {
        return pattern.eq_ignore_ascii_case(text);
    }
    let mut rest = text.as_bytes();
    for (i, part) in pattern.split('*').map(str::as_bytes).enumerate() {
        if i == 0 {
            match rest.get(..part.len()) {
                Some(head) if head.eq_ignore_ascii_case(part) => rest = &rest[part.len()..],
                _ => return false,
            }
        } else if i == last {
            return rest.len() >= part.len()
                && rest[rest.len() - part.len()..].eq_ignore_ascii_case(part);
        } else {
            match (0..=rest.len().saturating_sub(part.len())).find(|&at| {
                rest.len() >= part.len() && rest[at..at + part.len()].eq_ignore_ascii_case(part)
            }) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Which way a CDR row went and who on our side took part.
struct Classified<'a> {
    direction: Direction,
    /// Candidates for our agent, best first (channel peer, then the number).
    agents: [&'a str; 2],
    /// The other side's number.
    number: &'a str,
}

fn is_extension(number: &str, rules: &AsteriskRules) -> bool {
    !number.is_empty()
        && number.len() <= rules.extension_max_digits
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn classify<'a>(
    rules: &AsteriskRules,
    src: &'a str,
    dst: &'a str,
    dcontext: &str,
    channel: &'a str,
    dstchannel: &'a str,
) -> Classified<'a> {
    let is_trunk = |ch: &str| !ch.is_empty() && rules.trunks.iter().any(|p| glob_match(p, ch));
    let inbound = Classified {
        direction: Direction::Inbound,
        agents: [channel_peer(dstchannel), dst],
        number: src,
    };
    let outbound = Classified {
        direction: Direction::Outbound,
        agents: [channel_peer(channel), src],
        number: dst,
    };
    match (is_trunk(channel), is_trunk(dstchannel)) {
        (true, false) => return inbound,
        (false, true) => return outbound,
        _ => {}
    }
    if rules.inbound_contexts.iter().any(|c| c == dcontext) {
        return inbound;
    }
    if rules.outbound_contexts.iter().any(|c| c == dcontext) {
        return outbound;
    }
    match (is_extension(src, rules), is_extension(dst, rules)) {
        (true, true) => Classified {
            direction: Direction::Internal,
            agents: [channel_peer(channel), src],
            number: dst,
        },
        (true, false) => outbound,
        _ => inbound,
    }
}

/// Reads a Master.csv stream, handing over chunks of merged calls.
/// `emit` returns false to stop early (the receiver is gone). Every physical
/// line is a leg of a call, a blank line, or a reject with its line.
pub fn read<R: Read>(
    input: R,
    file: &str,
    mapping: &Mapping,
    rules: &AsteriskRules,
    emit: &mut dyn FnMut(Chunk) -> bool,
) -> std::io::Result<()> {
    let mut reader = RecordReader::new(
        std::io::BufReader::with_capacity(1 << 20, input),
        Quotes::OneLine,
    );
    let mut clock = LocalClock::new(mapping.source.timezone);
    let mut record = csv::ByteRecord::new();
    let mut calls = CallsById::with_capacity_and_hasher(CHUNK_ROWS, Default::default());
    let mut rejects = Vec::new();
    let mut unmapped: HashMap<String, u64> = HashMap::new();
    let mut lines = 0u64;
    let mut pieces = 0u64;
    while let Some(piece) = reader.next_piece()? {
        lines += piece.lines;
        pieces += 1;
        match piece.kind {
            PieceKind::Blank => {}
            PieceKind::Broken(why, raw) => rejects.push(Rejected::new(
                file,
                piece.line,
                why.to_string(),
                &String::from_utf8_lossy(&raw),
            )),
            PieceKind::Record(text) => {
                split_fields(&text, b',', &mut record);
                match parse_row(&record, mapping, rules, &mut clock) {
                    Ok((call, unmapped_agent)) => {
                        if let Some(agent) = unmapped_agent {
                            *unmapped.entry(agent).or_default() += 1;
                        }
                        merge_into(&mut calls, call);
                    }
                    Err(reason) => rejects.push(Rejected::new(
                        file,
                        piece.line,
                        reason,
                        &String::from_utf8_lossy(&text),
                    )),
                }
            }
        }
        if pieces.is_multiple_of(CHUNK_ROWS as u64) {
            let chunk = Chunk {
                records: Records::Calls(in_id_order(&mut calls)),
                rejects: std::mem::take(&mut rejects),
                rows_read: std::mem::take(&mut lines),
                bytes_read: reader.bytes_read(),
                unmapped: std::mem::take(&mut unmapped),
            };
            if !emit(chunk) {
                return Ok(());
            }
        }
    }
    let chunk = Chunk {
        records: Records::Calls(in_id_order(&mut calls)),
        rejects,
        rows_read: lines,
        bytes_read: reader.bytes_read(),
        unmapped,
    };
    emit(chunk);
    Ok(())
}

/// The calls read so far, taken out in the order of their ids: the store
/// then finds them sorted, as its unique index wants them.
fn in_id_order(calls: &mut CallsById) -> Vec<Call> {
    let mut out: Vec<Call> = calls.drain().map(|(_, c)| c).collect();
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_unstable_by(|&a, &b| out[a].external_id.as_str().cmp(out[b].external_id.as_str()));
    // Place k takes the call at `order[k]`, in place: each cycle of the
    // order is walked once, and every call moved once.
    for first in 0..order.len() {
        let mut at = first;
        while order[at] != usize::MAX {
            let from = order[at];
            order[at] = usize::MAX;
            if from == first {
                break;
            }
            out.swap(at, from);
            at = from;
        }
    }
    out
}

/// Adds a leg to the calls read so far: a call's legs (one linkedid, else
/// one uniqueid) are merged, the answered leg wins.
pub(crate) fn merge_into(calls: &mut CallsById, call: Call) {
    match calls.get_mut(call.external_id.as_str()) {
        Some(existing) => existing.merge_leg(call),
        None => {
            calls.insert(call.external_id.as_str().to_owned(), call);
        }
    }
}

/// The leg id of a row: [`crate::domain::leg_id`] of [`raw_line`], fed
/// field by field.
fn row_leg_id(record: &csv::ByteRecord) -> u64 {
    let ascii = record.as_slice().is_ascii();
    let mut id = LegId::new();
    for (i, field) in record.iter().enumerate() {
        if i > 0 {
            id = id.feed(b",");
        }
        id = match ascii || std::str::from_utf8(field).is_ok() {
            true => id.feed(field),
            false => id.feed(String::from_utf8_lossy(field).as_bytes()),
        };
    }
    id.id()
}

/// `a/b/c`.
fn slash_joined(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

/// The row as one line: its fields joined by commas (quotes undone).
fn raw_line(record: &csv::ByteRecord) -> String {
    let fields: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    fields.join(",")
}

/// One CDR row (the Master.csv columns) as a call (one leg of it), and the
/// agent id when it is not mapped to an employee.
pub(crate) fn parse_row(
    record: &csv::ByteRecord,
    mapping: &Mapping,
    rules: &AsteriskRules,
    clock: &mut LocalClock,
) -> Result<(Call, Option<String>), String> {
    let n = record.len();
    if !matches!(n, 16..=19 | 21) {
        return Err(format!("{n} columns (expected 16, 17, 18, 19 or 21)"));
    }
    let f = |i: usize| clean(record.get(i).unwrap_or_default());
    let (src, dst, dcontext, channel, dstchannel) =
        (f(SRC), f(DST), f(DCONTEXT), f(CHANNEL), f(DSTCHANNEL));
    let time = |i: usize, what: &str, clock: &mut LocalClock| {
        let raw = f(i);
        iso_local(&raw)
            .map(|t| clock.to_utc(t))
            .ok_or_else(|| format!("{what} {raw:?} is not a time (expected YYYY-MM-DD HH:MM:SS)"))
    };
    let start = time(START, "start", clock)?;
    let answer_raw = f(ANSWER);
    let answered_at = if answer_raw.is_empty() {
        None
    } else {
        Some(time(ANSWER, "answer", clock)?)
    };
    let end = time(END, "end", clock)?;
    let number = |i: usize, what: &str| {
        let raw = f(i);
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("{what} {raw:?} is not a whole number of seconds"))
    };
    let duration = number(DURATION, "duration")?;
    let billsec = number(BILLSEC, "billsec")?;
    // Bounded before any time arithmetic: a huge duration would overflow it.
    plausible_call_seconds("duration", duration).map_err(|e| e.to_string())?;
    plausible_call_seconds("billsec", billsec).map_err(|e| e.to_string())?;
    if billsec > duration {
        return Err(format!(
            "billsec {billsec} is longer than duration {duration}"
        ));
    }
    let disposition_raw = f(DISPOSITION);
    let disposition = Disposition::parse(&disposition_raw).map_err(|e| e.to_string())?;
    if end < start {
        return Err(format!("end {} is before start {}", f(END), f(START)));
    }
    // Times are whole seconds but duration is measured finer: let the call
    // last at least its duration.
    let ended_at = end.max(start + chrono::Duration::seconds(duration));

    let uniqueid = if n > UNIQUEID {
        f(UNIQUEID)
    } else {
        Default::default()
    };
    let linkedid = if n > LINKEDID {
        f(LINKEDID)
    } else {
        Default::default()
    };
    let sequence = if n > SEQUENCE {
        f(SEQUENCE)
    } else {
        Default::default()
    };
    let external_id = if !linkedid.is_empty() {
        linkedid.into_owned()
    } else if !uniqueid.is_empty() {
        uniqueid.to_string()
    } else {
        // No ids at all (16 columns): identical rows are one call.
        format!("{}|{}|{}|{}", start.timestamp(), src, dst, channel)
    };
    let leg_key = if !uniqueid.is_empty() {
        slash_joined(&[&uniqueid, &sequence, channel_peer(&dstchannel)])
    } else {
        raw_line(record)
    };

    let c = classify(rules, &src, &dst, &dcontext, &channel, &dstchannel);
    let agent = c
        .agents
        .iter()
        .find(|a| mapping.employees.contains_key(**a))
        .or_else(|| c.agents.iter().find(|a| is_extension(a, rules)))
        .map(|a| (*a).to_owned());
    let employee_id = agent
        .as_ref()
        .and_then(|a| mapping.employees.get(a))
        .cloned();
    let unmapped = match (&agent, &employee_id) {
        (Some(a), None) if c.direction != Direction::Internal => Some(a.clone()),
        _ => None,
    };
    // A leg is this row: the same row read again is the same leg, another
    // row of the same channel (a forked CDR) another leg.
    let leg = row_leg_id(record);
    let mut call = Call::new(CallFields {
        source: mapping.source.name.clone(),
        external_id,
        employee_id,
        agent,
        direction: c.direction,
        number: c.number.to_owned(),
        started_at: start,
        answered_at,
        ended_at,
        talk_seconds: billsec,
        disposition,
        deal_ext: None,
        kind: None,
        leg_key,
    })
    .map_err(|e| e.to_string())?;
    call.leg_ids = vec![leg];
    Ok((call, unmapped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_peers() {
        assert_eq!(channel_peer("SIP/101-0000abcd"), "101");
        assert_eq!(channel_peer("PJSIP/trunk-mts-00000012"), "trunk-mts");
        assert_eq!(channel_peer("Local/101@from-queue-0001;2"), "101");
        assert_eq!(channel_peer(""), "");
    }

    #[test]
    fn a_rows_leg_id_is_that_of_its_line() {
        for line in [
            &b"\"\",\"101\",\"79001234567\",\"from-internal\",\"\",\"SIP/101-1\",\"\",\"Dial\""[..],
            b"a,\"b,\"\"c\"\"\",,d\xff\xfee,",
            b"",
        ] {
            let mut record = csv::ByteRecord::new();
            crate::sources::lines::split_fields(line, b',', &mut record);
            assert_eq!(
                row_leg_id(&record),
                crate::domain::leg_id(&raw_line(&record)),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn calls_leave_in_the_order_of_their_ids() {
        let at = chrono::DateTime::from_timestamp(1_795_000_000, 0).expect("an instant");
        let mut calls = CallsById::default();
        // Scrambled: 37 is prime to 1000, so every id comes once, and one twice.
        let mut legs: Vec<(String, String)> = (0..1000)
            .map(|i| (format!("{:04}", (i * 37 + 11) % 1000), format!("leg{i}")))
            .collect();
        legs.push(("0012".into(), "another".into()));
        for (id, leg) in legs {
            let call = Call::new(CallFields {
                source: "pbx".into(),
                external_id: id,
                employee_id: None,
                agent: None,
                direction: Direction::Inbound,
                number: "79001234567".into(),
                started_at: at,
                answered_at: None,
                ended_at: at,
                talk_seconds: 0,
                disposition: Disposition::NoAnswer,
                deal_ext: None,
                kind: None,
                leg_key: leg,
            })
            .expect("a call");
            merge_into(&mut calls, call);
        }
        let out = in_id_order(&mut calls);
        let ids: Vec<&str> = out.iter().map(|c| c.external_id.as_str()).collect();
        let expected: Vec<String> = (0..1000).map(|i| format!("{i:04}")).collect();
        assert_eq!(ids, expected);
        assert_eq!(out[12].legs, 2, "the legs of 0012 merged");
        assert!(out.iter().enumerate().all(|(i, c)| i == 12 || c.legs == 1));
        assert!(calls.is_empty());
    }

    #[test]
    fn globs() {
        assert!(glob_match("SIP/trunk-*", "SIP/trunk-0000001"));
        assert!(glob_match("*trunk*", "PJSIP/mytrunk-01"));
        assert!(!glob_match("SIP/trunk-*", "SIP/101-0001"));
        assert!(glob_match("SIP/101-0001", "sip/101-0001"));
        assert!(glob_match("sip/*-*", "SIP/trunk-01"));
        assert!(!glob_match("*trunk*x", "trunk"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("ab*ba", "aba"));
    }
}
