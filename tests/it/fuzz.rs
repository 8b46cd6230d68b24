//! A bounded fuzzing step in `cargo test`: good lines of each file format
//! mutated the ways broken files are (cut short, stray quotes and line
//! breaks, NUL and invalid UTF-8, huge numbers, over-long fields), 100,000
//! inputs per parser. Nothing may panic, and every physical line must be
//! accounted for: counted as read, and a record, a blank line or a reject
//! with a line number inside the file. `cargo fuzz` targets in `fuzz/` run
//! the same parsers for as long as one likes.

use std::collections::HashSet;

use chrono::NaiveDate;
use salespulse::config::SourceKind;
use salespulse::sources::crm_files::{self, Entity, Format};
use salespulse::sources::{Chunk, Mapping, Records, asterisk, calls_csv};

use crate::helpers::{config, fixture};

const INPUTS: u64 = 100_000;

/// xorshift64*: the same inputs in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn good_lines(name: &str) -> Vec<Vec<u8>> {
    std::fs::read(fixture(name))
        .expect("fixture")
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn mutate(rng: &mut Rng, line: &mut Vec<u8>) {
    let at = |rng: &mut Rng, line: &Vec<u8>| rng.below(line.len() + 1);
    match rng.below(12) {
        0 => {
            let i = at(rng, line);
            line.truncate(i);
        }
        1 => {
            let i = at(rng, line);
            line.insert(i, b'"');
        }
        2 => {
            let i = at(rng, line);
            line.insert(i, b'\n');
        }
        3 => {
            let i = at(rng, line);
            line.insert(i, 0);
        }
        4 => {
            let i = at(rng, line);
            line.insert(i, 0xff);
        }
        5 => {
            // A number as large as it gets, where a digit was.
            if let Some(i) = line.iter().position(u8::is_ascii_digit) {
                let huge: &[u8] = match rng.below(4) {
                    0 => b"9223372036854775807",
                    1 => b"9223372036854",
                    2 => b"99999999999",
                    _ => b"92233720368547758.07",
                };
                line.splice(i..i + 1, huge.iter().copied());
            }
        }
        6 if !line.is_empty() => {
            let i = rng.below(line.len());
            line[i] = (rng.next() & 0xff) as u8;
        }
        7 if !line.is_empty() => {
            let i = rng.below(line.len());
            line.remove(i);
        }
        8 => line.extend_from_slice(b"\r"),
        9 if rng.below(50) == 0 => {
            let i = at(rng, line);
            line.splice(i..i, std::iter::repeat_n(b'x', 70_000));
        }
        10 => {
            let i = at(rng, line);
            line.splice(i..i, b"\\u0000".iter().copied());
        }
        _ => {
            let i = at(rng, line);
            line.insert(i, b',');
        }
    }
}

/// A file of a few good lines, some of them mutated.
fn input(rng: &mut Rng, pool: &[Vec<u8>], header: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(h) = header {
        out.extend_from_slice(h);
        out.push(b'\n');
    }
    for _ in 0..1 + rng.below(6) {
        let mut line = pool[rng.below(pool.len())].clone();
        for _ in 0..rng.below(3) {
            mutate(rng, &mut line);
        }
        out.extend_from_slice(&line);
        if rng.below(10) == 0 {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
    if rng.below(4) == 0 {
        out.pop();
    }
    out
}

fn physical_lines(text: &[u8]) -> u64 {
    if text.is_empty() {
        return 0;
    }
    let breaks = text.iter().filter(|b| **b == b'\n').count() as u64;
    breaks + u64::from(text.last() != Some(&b'\n'))
}

/// What a parser handed over for one input.
#[derive(Default)]
struct Seen {
    rows_read: u64,
    records: u64,
    reject_lines: Vec<i64>,
}

impl Seen {
    fn take(&mut self, chunk: Chunk) -> bool {
        self.rows_read += chunk.rows_read;
        self.records += match &chunk.records {
            Records::Calls(calls) => calls.iter().map(|c| c.legs.max(0) as u64).sum(),
            other => other.len() as u64,
        };
        self.reject_lines
            .extend(chunk.rejects.iter().map(|r| r.line));
        true
    }

    /// Every line counted as read, each reject at one distinct line inside
    /// the file, and no more records and rejects than lines.
    fn accounts_for(&self, text: &[u8], what: &str, n: u64) {
        let lines = physical_lines(text);
        let shown = || {
            String::from_utf8_lossy(text)
                .chars()
                .take(600)
                .collect::<String>()
        };
        assert_eq!(
            self.rows_read,
            lines,
            "{what} input {n}: lines read\n{}",
            shown()
        );
        let distinct: HashSet<i64> = self.reject_lines.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            self.reject_lines.len(),
            "{what} input {n}: two rejects on one line\n{}",
            shown()
        );
        assert!(
            self.reject_lines
                .iter()
                .all(|l| *l >= 1 && *l as u64 <= lines),
            "{what} input {n}: a reject outside the file {:?}\n{}",
            self.reject_lines,
            shown()
        );
        assert!(
            self.records + self.reject_lines.len() as u64 <= lines,
            "{what} input {n}: more records and rejects than lines\n{}",
            shown()
        );
    }
}

#[test]
fn master_csv_parser_accounts_for_every_line_of_100k_broken_files() {
    let config = config();
    let source = config.source("pbx").expect("pbx source").clone();
    let SourceKind::Asterisk(rules) = &source.kind else {
        panic!("pbx is an Asterisk source");
    };
    let mapping = Mapping::new(&config, &source);
    let pool = good_lines("Master.csv");
    let mut rng = Rng(0x5eed_0001);
    for n in 0..INPUTS {
        let text = input(&mut rng, &pool, None);
        let mut seen = Seen::default();
        asterisk::read(&text[..], "Master.csv", &mapping, rules, &mut |c| {
            seen.take(c)
        })
        .expect("in memory");
        seen.accounts_for(&text, "Master.csv", n);
    }
}

#[test]
fn crm_jsonl_and_csv_parsers_account_for_every_line_of_100k_broken_files_each() {
    let config = config();
    let source = config.source("crm").expect("crm source").clone();
    let mapping = Mapping::new(&config, &source);
    let deals = good_lines("crm/deals.jsonl");
    let tasks = good_lines("crm/tasks.csv");
    let (header, rows) = tasks.split_first().expect("tasks.csv has a header");
    let mut rng = Rng(0x5eed_0002);
    for n in 0..INPUTS {
        let text = input(&mut rng, &deals, None);
        let mut seen = Seen::default();
        crm_files::read(
            &text[..],
            "deals.jsonl",
            Entity::Deals,
            Format::JsonLines,
            &mapping,
            &mut |c| seen.take(c),
        )
        .expect("in memory");
        seen.accounts_for(&text, "deals.jsonl", n);

        let text = input(&mut rng, rows, Some(header));
        let mut seen = Seen::default();
        crm_files::read(
            &text[..],
            "tasks.csv",
            Entity::Tasks,
            Format::Csv,
            &mapping,
            &mut |c| seen.take(c),
        )
        .expect("in memory");
        seen.accounts_for(&text, "tasks.csv", n);
    }
}

#[test]
fn calls_csv_parser_accounts_for_every_line_of_100k_broken_files() {
    let config = config();
    let source = config.source("cloud").expect("cloud source").clone();
    let SourceKind::CallsCsv(rules) = &source.kind else {
        panic!("cloud is a calls CSV source");
    };
    let mapping = Mapping::new(&config, &source);
    let lines = good_lines("cloud.csv");
    let (header, rows) = lines.split_first().expect("cloud.csv has a header");
    let mut rng = Rng(0x5eed_0003);
    for n in 0..INPUTS {
        let text = input(&mut rng, rows, Some(header));
        let mut seen = Seen::default();
        calls_csv::read(&text[..], "cloud.csv", &mapping, rules, &mut |c| {
            seen.take(c)
        })
        .expect("in memory");
        seen.accounts_for(&text, "cloud.csv", n);
    }
}

#[test]
fn chat_command_parser_never_panics_on_100k_broken_commands() {
    let commands: Vec<Vec<u8>> = [
        "/me",
        "/me вчера",
        "/me неделя",
        "/pulse Сидоров 16.11",
        "/why trace Кузнецов",
        "/why successful",
        "/top месяц",
        "/team",
        "/stuck",
        "/overdue 20",
        "/kpi",
        "/plan",
        "/report cold 40 warm 9 proposals 18",
        "/start abc123",
        "/help",
        "/funnel неделя",
        "/me@pulse_bot 2026-11-16",
    ]
    .iter()
    .map(|c| c.as_bytes().to_vec())
    .collect();
    let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date");
    let mut rng = Rng(0x5eed_0004);
    let mut refused = 0u64;
    for _ in 0..INPUTS {
        let mut line = commands[rng.below(commands.len())].clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut line);
        }
        let text = String::from_utf8_lossy(&line);
        if salespulse::bot::parse::parse(&text, today).is_err() {
            refused += 1;
        }
    }
    // Mutations break many commands, not all of them.
    assert!(refused > 0 && refused < INPUTS, "{refused}");
}
