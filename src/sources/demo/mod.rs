//! A deterministic generator of a realistic sales department: an Asterisk
//! `Master.csv` and CRM exchange files for a team of managers over a span of
//! working days, with the patterns a head of sales looks for planted in it.
//! The demo then ingests these files through the same path as real data.
//!
//! Planted, for every twelfth manager from the third on:
//! - manager 3 of 12 takes long idle breaks (90 to 180 min, once or twice a day);
//! - manager 4 of 12 seldom leaves a CRM trace after a successful call;
//! - manager 5 of 12 holds meetings but seldom moves a deal past "meeting held".

mod calls;
mod crm;

use std::io::{self, Write};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::calendar::local_to_utc;

/// SplitMix64: small, fast, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
    /// Log-normal around `median`, for talk times and pauses.
    pub fn lognormal(&mut self, median: f64, spread: f64) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (spread * normal).exp()
    }
}

const SURNAMES: &[&str] = &[
    "Иванов",
    "Смирнова",
    "Сидоров",
    "Кузнецов",
    "Попова",
    "Васильев",
    "Соколова",
    "Михайлов",
    "Новикова",
    "Фёдоров",
    "Морозова",
    "Волков",
    "Алексеева",
    "Лебедев",
    "Семёнова",
    "Егоров",
    "Павлова",
    "Козлов",
    "Степанова",
    "Николаев",
    "Орлова",
    "Андреев",
    "Макарова",
    "Захаров",
];
const INITIALS: &[&str] = &[
    "А.", "Б.", "В.", "Г.", "Д.", "Е.", "И.", "К.", "Л.", "М.", "Н.", "О.",
];
pub const CHANNELS: &[&str] = &[
    "Сайт",
    "Входящий звонок",
    "Холодный обзвон",
    "Рекомендация",
    "Выставка",
    "Реклама",
];
const GOOD_COMMENTS: &[&str] = &[
    "Обсудили объём поставки, клиент ждёт КП до пятницы",
    "ЛПР — финансовый директор, встреча назначена на четверг",
    "Клиент сравнивает с конкурентом, просит скидку 5 %",
    "Уточнили требования к интеграции, отправляю тех. описание",
    "Согласовали пилот на 2 недели, жду подписанный договор",
    "Перенесли решение на следующий месяц, бюджет не утверждён",
];
const WEAK_COMMENTS: &[&str] = &[
    "позвонил",
    "связался",
    "ок",
    "перезвонить",
    "недозвон",
    "called",
];
/// The demo's own idea of a real conversation (the config default), deciding
/// when a CRM trace or a new deal follows a call.
const SUCCESS_TALK_SECS: i64 = 40;
const STAGES: &[&str] = &["new", "qualified", "meeting", "proposal"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub managers: usize,
    pub days: u32,
    /// The last day generated (team time).
    pub end: NaiveDate,
    pub timezone: Tz,
}

/// Where the generated data goes.
pub struct DemoSink<'w> {
    pub master_csv: &'w mut dyn Write,
    /// CRM exchange files; `None` when only calls are wanted (benchmarks).
    pub crm: Option<CrmSink<'w>>,
    /// Stop after this many CDR rows (benchmarks); `None` for no limit.
    pub max_cdr_rows: Option<u64>,
}

pub struct CrmSink<'w> {
    pub employees: &'w mut dyn Write,
    pub deals: &'w mut dyn Write,
    pub stage_changes: &'w mut dyn Write,
    pub tasks: &'w mut dyn Write,
    pub task_postponements: &'w mut dyn Write,
    pub activities: &'w mut dyn Write,
    pub comments: &'w mut dyn Write,
}

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoStats {
    pub working_days: u32,
    pub calls: u64,
    pub cdr_rows: u64,
    pub deals: u64,
    pub stage_changes: u64,
    pub tasks: u64,
    pub postponements: u64,
    pub activities: u64,
    pub comments: u64,
}

/// A manager of the generated team.
#[derive(Debug, Clone)]
pub struct DemoManager {
    pub id: String,
    pub name: String,
    pub extension: String,
    pub crm_user: String,
    /// 0.8 to 1.2: how much of the plan this person tends to do.
    pub drive: f64,
    pub idles: bool,
    pub skips_crm: bool,
    pub stalls_at_meeting: bool,
}

pub fn managers(count: usize, rng: &mut Rng) -> Vec<DemoManager> {
    (0..count)
        .map(|i| {
            let surname = SURNAMES[i % SURNAMES.len()];
            let initial = INITIALS[(i / SURNAMES.len()) % INITIALS.len()];
            let round = i / (SURNAMES.len() * INITIALS.len());
            let name = if round == 0 {
                format!("{surname} {initial}")
            } else {
                format!("{surname} {initial} {}", round + 1)
            };
            DemoManager {
                id: format!("m{:03}", i + 1),
                name,
                extension: (101 + i).to_string(),
                crm_user: (1001 + i).to_string(),
                drive: 0.85 + rng.unit() * 0.3,
                idles: i % 12 == 2,
                skips_crm: i % 12 == 3,
                stalls_at_meeting: i % 12 == 4,
            }
        })
        .collect()
}

struct DealState {
    id: u64,
    owner: usize,
    phone: String,
    stage: usize,
    closed: Option<(bool, DateTime<Utc>)>,
    created_at: DateTime<Utc>,
    stage_since: DateTime<Utc>,
    amount: i64,
    channel: &'static str,
    temperature: &'static str,
    open_task: Option<usize>,
}

struct TaskState {
    id: u64,
    deal: u64,
    owner: usize,
    title: &'static str,
    created_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

struct Generator<'s, 'w> {
    opts: &'s DemoOptions,
    rng: Rng,
    team: Vec<DemoManager>,
    sink: &'s mut DemoSink<'w>,
    stats: DemoStats,
    deals: Vec<DealState>,
    tasks: Vec<TaskState>,
    /// Per manager: numbers with an earlier successful contact, and their deal.
    clients: Vec<Vec<(String, Option<usize>)>>,
    next_id: u64,
    uniqueid: u64,
    line: String,
}

fn rfc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

impl Generator<'_, '_> {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn local(&self, day: NaiveDate, minutes: i64) -> DateTime<Utc> {
        let t = day.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        local_to_utc(self.opts.timezone, t)
    }

    fn cdr_full(&self) -> bool {
        self.sink
            .max_cdr_rows
            .is_some_and(|m| self.stats.cdr_rows >= m)
    }

    fn client_number(&mut self) -> String {
        format!("79{:09}", self.rng.next_u64() % 1_000_000_000)
    }

    /// One manager's working day of calls, and the CRM work around them.
    fn manager_day(&mut self, m: usize, day: NaiveDate) -> io::Result<()> {
        let drive = self.team[m].drive;
        let ext = self.team[m].extension.clone();
        let mut minute = 9 * 60 + self.rng.range(0, 25);
        let end_minute = 18 * 60 - self.rng.range(0, 20);
        let lunch = 13 * 60 + self.rng.range(-15, 20);
        let breaks = [
            11 * 60 + self.rng.range(-20, 30),
            16 * 60 + self.rng.range(-20, 30),
        ];
        let mut idle_at: Vec<i64> = Vec::new();
        if self.team[m].idles {
            idle_at.push(self.rng.range(10 * 60, 12 * 60));
            if self.rng.chance(0.6) {
                idle_at.push(self.rng.range(14 * 60 + 30, 16 * 60));
            }
        }
        let mut seconds_in_minute = 0i64;
        let mut lunch_done = false;
        let mut breaks_done = [false, false];
        while minute < end_minute && !self.cdr_full() {
            if !lunch_done && minute >= lunch {
                minute += self.rng.range(45, 65);
                lunch_done = true;
                continue;
            }
            for (b, done) in breaks.iter().zip(breaks_done.iter_mut()) {
                if !*done && minute >= *b {
                    minute += self.rng.range(10, 20);
                    *done = true;
                }
            }
            if let Some(pos) = idle_at.iter().position(|t| minute >= *t) {
                idle_at.remove(pos);
                minute += self.rng.range(90, 180);
                continue;
            }
            let start = self.local(day, minute) + Duration::seconds(seconds_in_minute);
            let inbound = self.rng.chance(0.1);
            let (duration, successful) = if inbound {
                self.inbound_call(m, &ext, start)?
            } else {
                self.outbound_call(m, &ext, start, drive)?
            };
            // Wrap-up (notes, the CRM card, finding the next number): longer
            // after a real conversation than after a miss.
            let wrap = if successful {
                self.rng.lognormal(660.0, 0.35)
            } else {
                self.rng.lognormal(300.0, 0.45)
            } / drive;
            let total = duration + wrap as i64;
            minute += total / 60;
            seconds_in_minute += total % 60;
            minute += seconds_in_minute / 60;
            seconds_in_minute %= 60;
        }
        if self.sink.crm.is_some() {
            self.crm_day(m, day)?;
        }
        Ok(())
    }
}

/// The working days of the span: Monday to Friday, ending at `end`.
pub fn working_days(end: NaiveDate, days: u32) -> Vec<NaiveDate> {
    let first = end - Duration::days(i64::from(days.max(1)) - 1);
    first
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// Generates the department's data into the sink.
pub fn generate(
    opts: &DemoOptions,
    sink: &mut DemoSink<'_>,
) -> io::Result<(Vec<DemoManager>, DemoStats)> {
    let mut rng = Rng::new(opts.seed);
    let team = managers(opts.managers, &mut rng);
    let days = working_days(opts.end, opts.days);
    let mut g = Generator {
        opts,
        rng,
        clients: vec![Vec::new(); team.len()],
        team,
        sink,
        stats: DemoStats::default(),
        deals: Vec::new(),
        tasks: Vec::new(),
        next_id: 10_000,
        uniqueid: 0,
        line: String::with_capacity(512),
    };
    g.stats.working_days = days.len() as u32;
    'days: for day in days {
        for m in 0..g.team.len() {
            if g.cdr_full() {
                break 'days;
            }
            g.manager_day(m, day)?;
        }
    }
    g.finish()?;
    let stats = g.stats.clone();
    Ok((g.team, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_file() {
        let opts = DemoOptions {
            seed: 7,
            managers: 3,
            days: 3,
            end: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            timezone: chrono_tz::Europe::Moscow,
        };
        let run = || {
            let mut cdr = Vec::new();
            let mut sink = DemoSink {
                master_csv: &mut cdr,
                crm: None,
                max_cdr_rows: None,
            };
            let (_, stats) = generate(&opts, &mut sink).unwrap();
            (cdr, stats)
        };
        let (a, stats) = run();
        let (b, _) = run();
        assert_eq!(a, b);
        assert_eq!(stats.working_days, 3);
        // Three managers, three days, some forty calls a day each.
        assert!(stats.calls > 3 * 3 * 30, "{stats:?}");
    }
}
