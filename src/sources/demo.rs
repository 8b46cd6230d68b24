//! A deterministic generator of a realistic sales department: an Asterisk
//! `Master.csv` and CRM exchange files for a team of managers over a span of
//! working days, with the patterns a head of sales looks for planted in it.
//! The demo then ingests these files through the same path as real data.
//!
//! Planted, for every twelfth manager from the third on:
//! - manager 3 of 12 takes long idle breaks (90 to 180 min, once or twice a day);
//! - manager 4 of 12 seldom leaves a CRM trace after a successful call;
//! - manager 5 of 12 holds meetings but seldom moves a deal past "meeting held".

use std::fmt::Write as _;
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

    /// Writes one CDR row with all 21 columns.
    #[allow(clippy::too_many_arguments)]
    fn cdr_row(
        &mut self,
        src: &str,
        dst: &str,
        context: &str,
        channel: &str,
        dstchannel: &str,
        start: DateTime<Utc>,
        ring: i64,
        talk: i64,
        linkedid: &str,
        sequence: u64,
    ) -> io::Result<()> {
        let tz = self.opts.timezone;
        let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let answered = talk > 0;
        let answer = if answered {
            fmt(start + Duration::seconds(ring))
        } else {
            String::new()
        };
        let end = start + Duration::seconds(ring + talk);
        let disposition = if answered {
            "ANSWERED"
        } else if self.rng.chance(0.1) {
            "BUSY"
        } else {
            "NO ANSWER"
        };
        self.uniqueid += 1;
        self.line.clear();
        let _ = write!(
            self.line,
            "\"\",\"{src}\",\"{dst}\",\"{context}\",\"\"\"{src}\"\" <{src}>\",\"{channel}\",\"{dstchannel}\",\"Dial\",\"{dstchannel},60\",\"{}\",\"{answer}\",\"{}\",{},{talk},\"{disposition}\",\"DOCUMENTATION\",\"{}.{}\",\"\",\"\",\"{linkedid}\",{sequence}",
            fmt(start),
            fmt(end),
            ring + talk,
            start.timestamp(),
            self.uniqueid,
        );
        self.line.push('\n');
        self.sink.master_csv.write_all(self.line.as_bytes())?;
        self.stats.cdr_rows += 1;
        Ok(())
    }

    fn activity(
        &mut self,
        m: usize,
        deal: Option<u64>,
        kind: &str,
        at: DateTime<Utc>,
    ) -> io::Result<()> {
        let id = self.id();
        let owner = self.team[m].crm_user.clone();
        let deal = deal
            .map(|d| format!(",\"deal\":\"{d}\""))
            .unwrap_or_default();
        if let Some(c) = self.sink.crm.as_mut() {
            writeln!(
                c.activities,
                "{{\"id\":\"a{id}\",\"owner\":\"{owner}\"{deal},\"kind\":\"{kind}\",\"at\":\"{}\"}}",
                rfc(at)
            )?;
        }
        self.stats.activities += 1;
        Ok(())
    }

    fn comment(&mut self, m: usize, deal: u64, at: DateTime<Utc>, weak: bool) -> io::Result<()> {
        let id = self.id();
        let owner = self.team[m].crm_user.clone();
        let text = if weak {
            *self.rng.pick(WEAK_COMMENTS)
        } else {
            *self.rng.pick(GOOD_COMMENTS)
        };
        if let Some(c) = self.sink.crm.as_mut() {
            writeln!(
                c.comments,
                "{{\"id\":\"c{id}\",\"author\":\"{owner}\",\"deal\":\"{deal}\",\"at\":\"{}\",\"text\":{}}}",
                rfc(at),
                json_str(text)
            )?;
        }
        self.stats.comments += 1;
        Ok(())
    }

    fn stage_change(&mut self, d: usize, to: &str, at: DateTime<Utc>) -> io::Result<()> {
        let id = self.id();
        let deal = &self.deals[d];
        let from = match deal.closed {
            Some(_) => None,
            None => Some(STAGES[deal.stage]),
        };
        let (deal_id, owner) = (deal.id, self.team[deal.owner].crm_user.clone());
        let from = from
            .map(|f| format!(",\"from\":\"{f}\""))
            .unwrap_or_default();
        if let Some(c) = self.sink.crm.as_mut() {
            writeln!(
                c.stage_changes,
                "{{\"id\":\"s{id}\",\"deal\":\"{deal_id}\"{from},\"to\":\"{to}\",\"at\":\"{}\",\"by\":\"{owner}\"}}",
                rfc(at)
            )?;
        }
        self.stats.stage_changes += 1;
        Ok(())
    }

    /// Gives a deal its next task, due in one to three working days.
    fn next_task(&mut self, d: usize, at: DateTime<Utc>) {
        const TITLES: &[&str] = &[
            "Перезвонить клиенту",
            "Отправить КП",
            "Назначить встречу",
            "Уточнить бюджет",
            "Согласовать договор",
        ];
        let id = self.id();
        let title = *self.rng.pick(TITLES);
        let due = at + Duration::hours(self.rng.range(20, 72));
        self.tasks.push(TaskState {
            id,
            deal: self.deals[d].id,
            owner: self.deals[d].owner,
            title,
            created_at: at,
            due_at: due,
            completed_at: None,
        });
        self.deals[d].open_task = Some(self.tasks.len() - 1);
    }

    fn new_deal(
        &mut self,
        m: usize,
        phone: String,
        at: DateTime<Utc>,
        channel: &'static str,
        temperature: &'static str,
    ) -> usize {
        let id = self.id();
        let amount = (self.rng.lognormal(250_000.0, 0.8) as i64 / 1000).max(20) * 1000 * 100;
        self.deals.push(DealState {
            id,
            owner: m,
            phone,
            stage: 0,
            closed: None,
            created_at: at,
            stage_since: at,
            amount,
            channel,
            temperature,
            open_task: None,
        });
        self.stats.deals += 1;
        let d = self.deals.len() - 1;
        // Some deals are left without a next task.
        if !self.rng.chance(0.12) {
            self.next_task(d, at);
        }
        d
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

    /// Returns the call's length in seconds and whether it was a successful contact.
    fn outbound_call(
        &mut self,
        m: usize,
        ext: &str,
        start: DateTime<Utc>,
        drive: f64,
    ) -> io::Result<(i64, bool)> {
        let warm = !self.clients[m].is_empty() && self.rng.chance(0.26 * drive.min(1.1));
        let (number, deal) = if warm {
            let (n, d) = self.rng.pick(&self.clients[m]).clone();
            (n, d)
        } else {
            (self.client_number(), None)
        };
        let answered = self.rng.chance(if warm { 0.72 } else { 0.45 });
        let ring = self.rng.range(6, if answered { 22 } else { 35 });
        let talk = if !answered {
            0
        } else if self.rng.chance(if warm { 0.7 } else { 0.5 }) {
            (self.rng.lognormal(150.0, 0.7) as i64).clamp(40, 1800)
        } else {
            self.rng.range(4, 39)
        };
        self.uniqueid += 1;
        let linkedid = format!("{}.{}", start.timestamp(), self.uniqueid);
        let channel = format!("SIP/{ext}-{:08x}", self.uniqueid);
        let dstchannel = format!("SIP/trunk-{:08x}", self.uniqueid + 7);
        self.cdr_row(
            ext,
            &number,
            "from-internal",
            &channel,
            &dstchannel,
            start,
            ring,
            talk,
            &linkedid,
            1,
        )?;
        self.stats.calls += 1;
        let successful = talk >= 40;
        if successful {
            self.after_successful(
                m,
                number,
                deal,
                start + Duration::seconds(ring + talk),
                !warm,
            )?;
        }
        Ok((ring + talk, successful))
    }

    fn inbound_call(
        &mut self,
        m: usize,
        ext: &str,
        start: DateTime<Utc>,
    ) -> io::Result<(i64, bool)> {
        let number = self.client_number();
        let missed = self.rng.chance(0.1);
        let ring = self.rng.range(4, if missed { 40 } else { 18 });
        let talk = if missed {
            0
        } else {
            (self.rng.lognormal(120.0, 0.8) as i64).clamp(8, 1500)
        };
        self.uniqueid += 1;
        let linkedid = format!("{}.{}", start.timestamp(), self.uniqueid);
        let trunk = format!("SIP/trunk-{:08x}", self.uniqueid);
        // Ring-group fan-out: a colleague's phone rang too and was not picked up.
        let colleague =
            (m + 1 + (self.rng.next_u64() as usize % self.team.len().max(2).saturating_sub(1)))
                % self.team.len();
        if colleague != m {
            let other = self.team[colleague].extension.clone();
            let other_channel = format!("SIP/{other}-{:08x}", self.uniqueid + 3);
            self.cdr_row(
                &number,
                "600",
                "from-trunk",
                &trunk,
                &other_channel,
                start,
                ring,
                0,
                &linkedid,
                2,
            )?;
        }
        let own_channel = format!("SIP/{ext}-{:08x}", self.uniqueid + 5);
        self.cdr_row(
            &number,
            "600",
            "from-trunk",
            &trunk,
            &own_channel,
            start,
            ring,
            talk,
            &linkedid,
            3,
        )?;
        self.stats.calls += 1;
        let successful = talk >= 40;
        if successful {
            self.after_successful(
                m,
                number,
                None,
                start + Duration::seconds(ring + talk),
                false,
            )?;
        }
        Ok((ring + talk, successful))
    }

    /// A successful contact: maybe a new deal, and (usually) a CRM trace.
    fn after_successful(
        &mut self,
        m: usize,
        number: String,
        deal: Option<usize>,
        ended: DateTime<Utc>,
        cold: bool,
    ) -> io::Result<()> {
        if self.sink.crm.is_none() {
            return Ok(());
        }
        let deal = match deal {
            Some(d) => Some(d),
            None if self.rng.chance(if cold { 0.22 } else { 0.45 }) => {
                let (channel, temperature) = if cold {
                    (
                        "Холодный обзвон",
                        if self.rng.chance(0.8) { "cold" } else { "warm" },
                    )
                } else {
                    (
                        "Входящий звонок",
                        if self.rng.chance(0.5) { "hot" } else { "warm" },
                    )
                };
                // The careless manager opens the deal the next morning, not right away.
                let at = if self.team[m].skips_crm {
                    ended + Duration::hours(20)
                } else {
                    ended + Duration::minutes(2)
                };
                Some(self.new_deal(m, number.clone(), at, channel, temperature))
            }
            None => None,
        };
        if !self.clients[m].iter().any(|(n, _)| *n == number) {
            self.clients[m].push((number, deal));
        }
        if let Some(d) = deal
            && self.deals[d].closed.is_none()
        {
            let logs = if self.team[m].skips_crm { 0.2 } else { 0.92 };
            if self.rng.chance(logs) {
                let at = ended + Duration::seconds(self.rng.range(40, 900));
                let weak = self.rng.chance(0.15);
                let deal_id = self.deals[d].id;
                self.comment(m, deal_id, at, weak)?;
            }
        }
        Ok(())
    }

    /// The day's CRM work of one manager: proposals, meetings, moving deals,
    /// finishing or postponing tasks.
    fn crm_day(&mut self, m: usize, day: NaiveDate) -> io::Result<()> {
        let drive = self.team[m].drive;
        let open: Vec<usize> = (0..self.deals.len())
            .filter(|d| self.deals[*d].owner == m && self.deals[*d].closed.is_none())
            .collect();
        // Leads that do not come from calls: site, referrals, fairs.
        if self.rng.chance(0.8) {
            let channel = *self.rng.pick(CHANNELS);
            let temperature = *self
                .rng
                .pick(&["hot", "warm", "warm", "cold", "cold", "cold"]);
            let phone = self.client_number();
            let minute = self.rng.range(9 * 60 + 30, 17 * 60);
            let at = self.local(day, minute);
            self.new_deal(m, phone, at, channel, temperature);
        }
        let proposals = (self.rng.lognormal(19.0, 0.2) * drive) as i64;
        for _ in 0..proposals {
            let minute = self.rng.range(9 * 60 + 20, 17 * 60 + 50);
            let at = self.local(day, minute);
            let deal = (!open.is_empty()).then(|| self.deals[*self.rng.pick(&open)].id);
            self.activity(m, deal, "proposal", at)?;
        }
        for d in open {
            let minute = self.rng.range(9 * 60 + 30, 17 * 60 + 30);
            let at = self
                .local(day, minute)
                .max(self.deals[d].stage_since + Duration::minutes(10));
            let stage = self.deals[d].stage;
            let temperature = self.deals[d].temperature;
            // Leads nobody engaged for a month are closed as lost in a cleanup.
            let idle_days = (at - self.deals[d].stage_since).num_days();
            if stage < 2 && idle_days > 30 && self.rng.chance(0.15) {
                self.stage_change(d, "lost", at)?;
                self.deals[d].closed = Some((false, at));
                if let Some(t) = self.deals[d].open_task.take() {
                    self.tasks[t].completed_at = Some(at);
                }
                continue;
            }
            let win_rate = match temperature {
                "hot" => 0.9,
                "warm" => 0.25,
                _ => 0.03,
            };
            let advance = match stage {
                2 if self.team[m].stalls_at_meeting => 0.03,
                0 => 0.35,
                1 => 0.25,
                2 => 0.22,
                _ => 0.3,
            };
            if self.rng.chance(advance) {
                if stage == 3 {
                    let won = self.rng.chance(win_rate);
                    self.stage_change(d, if won { "won" } else { "lost" }, at)?;
                    self.deals[d].closed = Some((won, at));
                    if let Some(t) = self.deals[d].open_task.take() {
                        self.tasks[t].completed_at = Some(at);
                    }
                } else if stage < 3 && temperature == "cold" && self.rng.chance(0.6) {
                    self.stage_change(d, "lost", at)?;
                    self.deals[d].closed = Some((false, at));
                    if let Some(t) = self.deals[d].open_task.take() {
                        self.tasks[t].completed_at = Some(at);
                    }
                } else {
                    let to = STAGES[stage + 1];
                    self.stage_change(d, to, at)?;
                    self.deals[d].stage = stage + 1;
                    self.deals[d].stage_since = at;
                    if to == "meeting" {
                        let deal_id = self.deals[d].id;
                        self.activity(m, Some(deal_id), "meeting", at)?;
                    }
                    if let Some(t) = self.deals[d].open_task.take() {
                        self.tasks[t].completed_at = Some(at);
                    }
                    if !self.rng.chance(0.1) {
                        self.next_task(d, at);
                    }
                }
            } else if stage == 2 && self.team[m].stalls_at_meeting && self.rng.chance(0.15) {
                let deal_id = self.deals[d].id;
                self.activity(m, Some(deal_id), "meeting", at)?;
            }
        }
        // Tasks due today: done, left overdue, or pushed later without a word.
        let (day_start, day_end) = crate::calendar::day_range(self.opts.timezone, day);
        for t in 0..self.tasks.len() {
            let task = &self.tasks[t];
            if task.owner != m
                || task.completed_at.is_some()
                || task.due_at < day_start
                || task.due_at >= day_end
            {
                continue;
            }
            let roll = self.rng.unit();
            if roll < 0.75 {
                let done = task.due_at - Duration::minutes(self.rng.range(0, 120));
                self.tasks[t].completed_at = Some(done.max(self.tasks[t].created_at));
            } else if roll < 0.88 {
                let old_due = self.tasks[t].due_at;
                let new_due = old_due + Duration::days(self.rng.range(2, 5));
                let id = self.id();
                let task_id = self.tasks[t].id;
                if let Some(c) = self.sink.crm.as_mut() {
                    writeln!(
                        c.task_postponements,
                        "{{\"id\":\"p{id}\",\"task\":\"t{task_id}\",\"old_due\":\"{}\",\"new_due\":\"{}\",\"at\":\"{}\"}}",
                        rfc(old_due),
                        rfc(new_due),
                        rfc(old_due - Duration::minutes(30))
                    )?;
                }
                self.tasks[t].due_at = new_due;
                self.stats.postponements += 1;
            }
            // else: left open, and soon overdue
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(crm) = &mut self.sink.crm else {
            return Ok(());
        };
        for m in &self.team {
            writeln!(
                crm.employees,
                "{{\"id\":\"{}\",\"name\":{}}}",
                m.crm_user,
                json_str(&m.name)
            )?;
        }
        for d in &self.deals {
            let (stage, closed) = match d.closed {
                Some((true, at)) => ("won", Some(at)),
                Some((false, at)) => ("lost", Some(at)),
                None => (STAGES[d.stage], None),
            };
            let closed = closed
                .map(|c| format!(",\"closed_at\":\"{}\"", rfc(c)))
                .unwrap_or_default();
            writeln!(
                crm.deals,
                "{{\"id\":\"{}\",\"title\":\"Сделка {}\",\"owner\":\"{}\",\"stage\":\"{stage}\",\"amount\":\"{}.{:02}\",\"currency\":\"RUB\",\"channel\":{},\"temperature\":\"{}\",\"phone\":\"{}\",\"created_at\":\"{}\",\"stage_since\":\"{}\"{closed}}}",
                d.id,
                d.id,
                self.team[d.owner].crm_user,
                d.amount / 100,
                d.amount % 100,
                json_str(d.channel),
                d.temperature,
                d.phone,
                rfc(d.created_at),
                rfc(d.stage_since),
            )?;
        }
        for t in &self.tasks {
            let done = t
                .completed_at
                .map(|c| format!(",\"completed_at\":\"{}\"", rfc(c)))
                .unwrap_or_default();
            writeln!(
                crm.tasks,
                "{{\"id\":\"t{}\",\"deal\":\"{}\",\"owner\":\"{}\",\"title\":{},\"created_at\":\"{}\",\"due_at\":\"{}\"{done}}}",
                t.id,
                t.deal,
                self.team[t.owner].crm_user,
                json_str(t.title),
                rfc(t.created_at),
                rfc(t.due_at),
            )?;
        }
        self.stats.tasks = self.tasks.len() as u64;
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
