//! A calls CSV from another PBX or a cloud telephony export, read through
//! the column mapping in the source's config (header names, date format,
//! direction and status values).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use chrono::NaiveDateTime;

use crate::calendar::LocalClock;
use crate::config::CallsCsvRules;
use crate::domain::{Call, CallFields, CallKind, Disposition};
use crate::sources::Rejected;

use super::fields::{clean, seconds};
use super::lines::{PieceKind, Quotes, RecordReader, split_fields};
use super::{CHUNK_ROWS, Chunk, Mapping, Records};

#[derive(Debug, thiserror::Error)]
pub enum CallsCsvError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: the header has no column {column:?} (set sources.columns.{key}; the header has: {found})"
    )]
    MissingColumn {
        file: String,
        key: &'static str,
        column: String,
        found: String,
    },
}

struct Positions {
    id: usize,
    started_at: usize,
    direction: usize,
    agent: usize,
    number: usize,
    talk: usize,
    duration: Option<usize>,
    status: Option<usize>,
    deal: Option<usize>,
    kind: Option<usize>,
}

/// Reads up to the header, the first line that is not blank, into
/// `record`; a broken line before it is set aside. Says how many lines
/// that took.
fn read_header<B: BufRead>(
    reader: &mut RecordReader<B>,
    file: &str,
    rules: &CallsCsvRules,
    record: &mut csv::ByteRecord,
    rejects: &mut Vec<Rejected>,
) -> std::io::Result<u64> {
    let mut lines = 0u64;
    while let Some(piece) = reader.next_piece()? {
        lines += piece.lines;
        match piece.kind {
            PieceKind::Blank => continue,
            PieceKind::Broken(why, raw) => {
                rejects.push(Rejected::new(
                    file,
                    piece.line,
                    format!("header: {why}"),
                    &String::from_utf8_lossy(&raw),
                ));
                continue;
            }
            PieceKind::Record(text) => {
                split_fields(&text, rules.delimiter, record);
                break;
            }
        }
    }
    Ok(lines)
}

impl Positions {
    /// The configured columns' places in the header.
    fn find(
        record: &csv::ByteRecord,
        file: &str,
        rules: &CallsCsvRules,
    ) -> Result<Self, CallsCsvError> {
        let header: Vec<String> = record
            .iter()
            .map(|h| clean(h).trim_start_matches('\u{feff}').to_owned())
            .collect();
        let find = |key: &'static str, name: &str| {
            header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| CallsCsvError::MissingColumn {
                    file: file.to_owned(),
                    key,
                    column: name.to_owned(),
                    found: header.join(", "),
                })
        };
        let optional = |key: &'static str, name: &Option<String>| {
            name.as_ref().map(|n| find(key, n)).transpose()
        };
        let c = &rules.columns;
        Ok(Positions {
            id: find("id", &c.id)?,
            started_at: find("started_at", &c.started_at)?,
            direction: find("direction", &c.direction)?,
            agent: find("agent", &c.agent)?,
            number: find("number", &c.number)?,
            talk: find("talk", &c.talk)?,
            duration: optional("duration", &c.duration)?,
            status: optional("status", &c.status)?,
            deal: optional("deal", &c.deal)?,
            kind: optional("kind", &c.kind)?,
        })
    }
}

/// Reads a calls CSV, handing over chunks of calls and the rows set aside.
pub fn read<R: Read>(
    input: R,
    file: &str,
    mapping: &Mapping,
    rules: &CallsCsvRules,
    emit: &mut dyn FnMut(Chunk) -> bool,
) -> Result<(), CallsCsvError> {
    let io_err = |source| CallsCsvError::Io {
        file: file.to_owned(),
        source,
    };
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 16, input), Quotes::CSV_TEXT);
    let mut record = csv::ByteRecord::new();
    let mut rejects = Vec::new();
    let lines = read_header(&mut reader, file, rules, &mut record, &mut rejects).map_err(io_err)?;
    let pos = Positions::find(&record, file, rules)?;

    let mut clock = LocalClock::new(mapping.source.timezone);
    let mut calls = Vec::new();
    let mut unmapped = HashMap::new();
    let mut chunk_rows = lines;
    while let Some(piece) = reader.next_piece().map_err(io_err)? {
        chunk_rows += piece.lines;
        match piece.kind {
            PieceKind::Blank => {}
            PieceKind::Broken(why, raw) => rejects.push(Rejected::new(
                file,
                piece.line,
                why.to_string(),
                &String::from_utf8_lossy(&raw),
            )),
            PieceKind::Record(text) => {
                split_fields(&text, rules.delimiter, &mut record);
                match parse_row(&record, &pos, mapping, rules, &mut clock) {
                    Ok(call) => {
                        if call.employee_id.is_none()
                            && let Some(agent) = &call.agent
                        {
                            *unmapped.entry(agent.clone()).or_default() += 1;
                        }
                        calls.push(call);
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
        if calls.len() + rejects.len() >= CHUNK_ROWS {
            let chunk = Chunk {
                records: Records::Calls(std::mem::take(&mut calls)),
                rejects: std::mem::take(&mut rejects),
                rows_read: std::mem::take(&mut chunk_rows),
                bytes_read: reader.bytes_read(),
                unmapped: std::mem::take(&mut unmapped),
            };
            if !emit(chunk) {
                return Ok(());
            }
        }
    }
    emit(Chunk {
        records: Records::Calls(calls),
        rejects,
        rows_read: chunk_rows,
        bytes_read: reader.bytes_read(),
        unmapped,
    });
    Ok(())
}

fn parse_row(
    record: &csv::ByteRecord,
    pos: &Positions,
    mapping: &Mapping,
    rules: &CallsCsvRules,
    clock: &mut LocalClock,
) -> Result<Call, String> {
    let c = &rules.columns;
    let f = |i: usize| clean(record.get(i).unwrap_or_default());
    let opt = |i: Option<usize>| i.map(f).filter(|v| !v.is_empty());
    let id = f(pos.id);
    let started_raw = f(pos.started_at);
    let started = NaiveDateTime::parse_from_str(&started_raw, &rules.date_format)
        .map(|t| clock.to_utc(t))
        .map_err(|_| {
            format!(
                "{} {started_raw:?} does not match the date format {:?}",
                c.started_at, rules.date_format
            )
        })?;
    let direction_raw = f(pos.direction);
    let direction = *rules
        .direction_values
        .get(&direction_raw.to_lowercase())
        .ok_or_else(|| {
            let mut known: Vec<&str> = rules.direction_values.keys().map(String::as_str).collect();
            known.sort_unstable();
            format!(
                "{} {direction_raw:?} is not a known direction (expected one of: {})",
                c.direction,
                known.join(", ")
            )
        })?;
    let talk_raw = f(pos.talk);
    let talk = seconds(&talk_raw).ok_or_else(|| {
        format!(
            "{} {talk_raw:?} is not a duration (expected seconds or H:MM:SS)",
            c.talk
        )
    })?;
    let duration = match opt(pos.duration) {
        Some(raw) => seconds(&raw).ok_or_else(|| {
            format!(
                "{} {raw:?} is not a duration (expected seconds or H:MM:SS)",
                c.duration.as_deref().unwrap_or("duration")
            )
        })?,
        None => talk,
    };
    let missed = opt(pos.status).is_some_and(|s| rules.missed_values.contains(&s.to_lowercase()));
    let disposition = if talk > 0 && !missed {
        Disposition::Answered
    } else {
        Disposition::NoAnswer
    };
    let talk = if missed { 0 } else { talk };
    let kind = match opt(pos.kind) {
        Some(raw) => Some(CallKind::parse(&raw).map_err(|e| e.to_string())?),
        None => None,
    };
    let agent = f(pos.agent).into_owned();
    let employee_id = mapping.employees.get(&agent).cloned();
    let ended_at = started + chrono::Duration::seconds(duration.max(talk));
    Call::new(CallFields {
        source: mapping.source.name.clone(),
        leg_key: id.to_string(),
        external_id: id.into_owned(),
        employee_id,
        agent: Some(agent),
        direction,
        number: f(pos.number).into_owned(),
        started_at: started,
        answered_at: (talk > 0).then(|| ended_at - chrono::Duration::seconds(talk)),
        ended_at,
        talk_seconds: talk,
        disposition,
        deal_ext: opt(pos.deal).map(|d| d.into_owned()),
        kind,
    })
    .map_err(|e| e.to_string())
}
