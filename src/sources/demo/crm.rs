//! The CRM half of the generator: deals moving through the pipeline, tasks
//! done, left overdue or postponed, proposals, meetings and comments.

use std::io;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{
    CHANNELS, DealState, GOOD_COMMENTS, Generator, STAGES, TaskState, WEAK_COMMENTS, json_str, rfc,
};

impl Generator<'_, '_> {
    pub(super) fn activity(
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

    pub(super) fn comment(
        &mut self,
        m: usize,
        deal: u64,
        at: DateTime<Utc>,
        weak: bool,
    ) -> io::Result<()> {
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

    pub(super) fn stage_change(&mut self, d: usize, to: &str, at: DateTime<Utc>) -> io::Result<()> {
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
    pub(super) fn next_task(&mut self, d: usize, at: DateTime<Utc>) {
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

    pub(super) fn new_deal(
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

    /// The day's CRM work of one manager: proposals, meetings, moving deals,
    /// finishing or postponing tasks.
    pub(super) fn crm_day(&mut self, m: usize, day: NaiveDate) -> io::Result<()> {
        let open: Vec<usize> = (0..self.deals.len())
            .filter(|d| self.deals[*d].owner == m && self.deals[*d].closed.is_none())
            .collect();
        self.outside_lead(m, day);
        self.proposals(m, day, &open)?;
        for d in open {
            self.work_deal(m, d, day)?;
        }
        self.tasks_due(m, day)
    }

    /// Leads that do not come from calls: site, referrals, fairs.
    fn outside_lead(&mut self, m: usize, day: NaiveDate) {
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
    }

    /// The day's proposals, each on one of the manager's `open` deals.
    fn proposals(&mut self, m: usize, day: NaiveDate, open: &[usize]) -> io::Result<()> {
        let proposals = (self.rng.lognormal(19.0, 0.2) * self.team[m].drive) as i64;
        for _ in 0..proposals {
            let minute = self.rng.range(9 * 60 + 20, 17 * 60 + 50);
            let at = self.local(day, minute);
            let deal = (!open.is_empty()).then(|| self.deals[*self.rng.pick(open)].id);
            self.activity(m, deal, "proposal", at)?;
        }
        Ok(())
    }

    /// One open deal's day: closed in a cleanup, moved on, won or lost, or
    /// (for a manager who stalls) another meeting without progress.
    fn work_deal(&mut self, m: usize, d: usize, day: NaiveDate) -> io::Result<()> {
        let minute = self.rng.range(9 * 60 + 30, 17 * 60 + 30);
        let at = self
            .local(day, minute)
            .max(self.deals[d].stage_since + Duration::minutes(10));
        let stage = self.deals[d].stage;
        let temperature = self.deals[d].temperature;
        // Leads nobody engaged for a month are closed as lost in a cleanup.
        let idle_days = (at - self.deals[d].stage_since).num_days();
        if stage < 2 && idle_days > 30 && self.rng.chance(0.15) {
            return self.close_deal(d, false, at);
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
                self.close_deal(d, won, at)?;
            } else if stage < 3 && temperature == "cold" && self.rng.chance(0.6) {
                self.close_deal(d, false, at)?;
            } else {
                self.next_stage(m, d, at)?;
            }
        } else if stage == 2 && self.team[m].stalls_at_meeting && self.rng.chance(0.15) {
            let deal_id = self.deals[d].id;
            self.activity(m, Some(deal_id), "meeting", at)?;
        }
        Ok(())
    }

    /// The deal is won or lost at `at`; its open task is done then.
    fn close_deal(&mut self, d: usize, won: bool, at: DateTime<Utc>) -> io::Result<()> {
        self.stage_change(d, if won { "won" } else { "lost" }, at)?;
        self.deals[d].closed = Some((won, at));
        if let Some(t) = self.deals[d].open_task.take() {
            self.tasks[t].completed_at = Some(at);
        }
        Ok(())
    }

    /// The deal moves to the next stage (a meeting is logged on reaching
    /// it); the open task is done and usually a next one set.
    fn next_stage(&mut self, m: usize, d: usize, at: DateTime<Utc>) -> io::Result<()> {
        let stage = self.deals[d].stage;
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
        Ok(())
    }

    /// Tasks due today: done, left overdue, or pushed later without a word.
    fn tasks_due(&mut self, m: usize, day: NaiveDate) -> io::Result<()> {
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
                self.postpone(t)?;
            }
            // else: left open, and soon overdue
        }
        Ok(())
    }

    /// Task `t` is pushed two to four days later, the change recorded.
    fn postpone(&mut self, t: usize) -> io::Result<()> {
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
        Ok(())
    }

    pub(super) fn finish(&mut self) -> io::Result<()> {
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
