//! The funnel (METRICS.md, section 4): open deals per stage, conversion
//! between stages, the bottleneck against the team, stuck deals, lead
//! temperature against benchmarks, channels.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Figure, RecordKind, RecordRef, Rule, Unit, Value};
use crate::config::StageConfig;
use crate::domain::{Deal, StageChange, StageKind, Temperature};

mod entries;
mod tally;

pub use entries::Entry;
use entries::{count_entry, entries};
pub use tally::{ChannelCounts, FunnelTally};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    pub stage: String,
    pub name: String,
    pub open_deals: usize,
    pub open_amount_minor: i64,
    /// Deals that entered the stage in the period.
    pub entered: usize,
    /// Of those, the ones that reached a later stage (or won) by the period's end.
    pub went_on: usize,
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StuckDeal {
    pub source: String,
    pub deal: String,
    pub title: String,
    pub employee_id: Option<String>,
    pub stage: String,
    pub days_in_stage: i64,
    pub threshold_days: i64,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemperatureRow {
    pub temperature: Temperature,
    pub closed: usize,
    pub won: usize,
    pub win_rate: Option<f64>,
    /// The benchmark range of the win rate, as shares.
    pub benchmark: (f64, f64),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRow {
    pub channel: String,
    pub leads: usize,
    pub won: usize,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    pub stages: Vec<StageRow>,
    pub won: Figure,
    pub lost: Figure,
    pub win_rate: Figure,
    pub revenue: Figure,
    pub stuck: Vec<StuckDeal>,
    pub stuck_deals: Figure,
    pub temperature: Vec<TemperatureRow>,
    pub channels: Vec<ChannelRow>,
}

/// The last time a deal moved into the stage it is in now.
fn last_move_into_stage(deal: &Deal, changes: &[&StageChange]) -> Option<DateTime<Utc>> {
    changes
        .iter()
        .filter(|c| c.to_stage == deal.stage)
        .map(|c| c.changed_at)
        .max()
}

/// When a deal reached its current stage: the CRM's word, else its last
/// stage change into that stage, else its creation.
pub fn stage_since(deal: &Deal, changes: &[&StageChange]) -> DateTime<Utc> {
    deal.stage_since
        .or_else(|| last_move_into_stage(deal, changes))
        .unwrap_or(deal.created_at)
}

fn in_period(t: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    t >= from && t < to
}

/// When a deal was closed: its `closed_at`, else its change into a won or
/// lost stage.
fn closed_at(deal: &Deal, kind: StageKind, changes: &[&StageChange]) -> Option<DateTime<Utc>> {
    if kind == StageKind::Open {
        return None;
    }
    deal.closed_at
        .or_else(|| last_move_into_stage(deal, changes))
}

/// The configured stages, looked up by id.
struct StageBook<'a> {
    stages: &'a [StageConfig],
    order: HashMap<&'a str, usize>,
    kind: HashMap<&'a str, StageKind>,
    first_open: Option<&'a str>,
}

impl<'a> StageBook<'a> {
    /// Indexes `stages` by id: their order, their kind, the first open one.
    fn new(stages: &'a [StageConfig]) -> Self {
        Self {
            stages,
            order: stages
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), i))
                .collect(),
            kind: stages.iter().map(|s| (s.id.as_str(), s.kind)).collect(),
            first_open: stages
                .iter()
                .find(|s| s.kind == StageKind::Open)
                .map(|s| s.id.as_str()),
        }
    }

    /// The kind of a stage; an unknown stage counts as open.
    fn kind_of(&self, stage: &str) -> StageKind {
        self.kind.get(stage).copied().unwrap_or(StageKind::Open)
    }

    /// Whether a change into `to_stage` moves a deal on from the stage at
    /// position `here`: into a won stage or a later open one.
    fn moves_on(&self, to_stage: &str, here: usize) -> bool {
        match self.kind.get(to_stage) {
            Some(StageKind::Won) => true,
            Some(StageKind::Open) => self.order.get(to_stage).is_some_and(|o| *o > here),
            _ => false,
        }
    }

    /// Whether entries into `stage` are counted: it has a row (an open
    /// stage of the config).
    fn counts_entries(&self, stage: &str) -> bool {
        self.stages
            .iter()
            .any(|s| s.id == stage && s.kind == StageKind::Open)
    }

    /// An empty row for each open stage, in the configured order.
    fn empty_rows(&self) -> Vec<StageRow> {
        self.stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .map(|s| StageRow {
                stage: s.id.clone(),
                name: s.name.clone(),
                open_deals: 0,
                open_amount_minor: 0,
                entered: 0,
                went_on: 0,
                conversion: None,
            })
            .collect()
    }
}

/// The stage changes of each deal, keyed by (source, deal).
fn changes_by_deal(changes: &[StageChange]) -> HashMap<(&str, &str), Vec<&StageChange>> {
    let mut by_deal: HashMap<(&str, &str), Vec<&StageChange>> = HashMap::new();
    for c in changes {
        by_deal
            .entry((c.source.as_str(), c.deal_ext.as_str()))
            .or_default()
            .push(c);
    }
    by_deal
}

/// The period and the instant a funnel is computed for.
#[derive(Clone, Copy)]
struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Window {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        in_period(t, self.from, self.to)
    }
}

/// The counts of a funnel, added up deal by deal.
struct Tally<'a> {
    rows: Vec<StageRow>,
    stuck: Vec<StuckDeal>,
    won: Vec<&'a Deal>,
    lost: Vec<&'a Deal>,
    temperature: BTreeMap<&'static str, (usize, usize)>,
    channels: BTreeMap<String, ChannelRow>,
}

/// The channel a deal came from, "—" when the CRM does not say.
fn channel_name(deal: &Deal) -> String {
    deal.channel.clone().unwrap_or_else(|| "—".to_owned())
}

/// The channel row of `deal`, created empty when it is the first.
fn channel_row<'c>(
    channels: &'c mut BTreeMap<String, ChannelRow>,
    deal: &Deal,
) -> &'c mut ChannelRow {
    let channel = channel_name(deal);
    channels
        .entry(channel.clone())
        .or_insert_with(|| ChannelRow {
            channel,
            leads: 0,
            won: 0,
            revenue_minor: 0,
        })
}

impl<'a> Tally<'a> {
    fn new(book: &StageBook<'_>) -> Self {
        Self {
            rows: book.empty_rows(),
            stuck: Vec::new(),
            won: Vec::new(),
            lost: Vec::new(),
            temperature: BTreeMap::new(),
            channels: BTreeMap::new(),
        }
    }

    /// Adds one deal with its stage changes `h` to every count.
    fn add(&mut self, book: &StageBook<'_>, deal: &'a Deal, h: &[&StageChange], w: Window) {
        let stage_kind = book.kind_of(deal.stage.as_str());
        if stage_kind == StageKind::Open && deal.created_at <= w.now {
            self.add_open(book, deal, h, w.now);
        }
        self.add_entries(book, deal, h, w);
        if let Some(closed) = closed_at(deal, stage_kind, h)
            && w.contains(closed)
        {
            self.add_closed(deal, stage_kind == StageKind::Won);
        }
        if w.contains(deal.created_at) {
            channel_row(&mut self.channels, deal).leads += 1;
        }
    }

    /// An open deal: its stage's open count and amount, and whether it is stuck.
    fn add_open(
        &mut self,
        book: &StageBook<'_>,
        deal: &Deal,
        h: &[&StageChange],
        now: DateTime<Utc>,
    ) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.stage == deal.stage) {
            row.open_deals += 1;
            row.open_amount_minor = row.open_amount_minor.saturating_add(deal.amount_minor);
        }
        let since = stage_since(deal, h);
        let days = (now - since).num_days();
        let threshold = book
            .stages
            .iter()
            .find(|s| s.id == deal.stage)
            .map(|s| s.stuck_after_days);
        if let Some(threshold) = threshold
            && days > threshold
        {
            self.stuck.push(StuckDeal {
                source: deal.source.clone(),
                deal: deal.external_id.to_string(),
                title: deal.title.clone(),
                employee_id: deal.employee_id.clone(),
                stage: deal.stage.clone(),
                days_in_stage: days,
                threshold_days: threshold,
                amount_minor: deal.amount_minor,
            });
        }
    }

    /// Conversion: the deal's entries into each open stage in the period, and
    /// whether it went on from there by the period's end.
    fn add_entries(&mut self, book: &StageBook<'_>, deal: &Deal, h: &[&StageChange], w: Window) {
        for e in entries(book, deal, h, w) {
            count_entry(&mut self.rows, &e, w.to);
        }
    }

    /// A deal closed in the period: won or lost, its temperature, its channel.
    fn add_closed(&mut self, deal: &'a Deal, is_won: bool) {
        if is_won {
            self.won.push(deal);
        } else {
            self.lost.push(deal);
        }
        if let Some(t) = deal.temperature {
            let e = self.temperature.entry(t.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(is_won);
        }
        let row = channel_row(&mut self.channels, deal);
        if is_won {
            row.won += 1;
            row.revenue_minor = row.revenue_minor.saturating_add(deal.amount_minor);
        }
    }

    /// The funnel these counts make.
    fn finish(mut self) -> Funnel {
        for row in &mut self.rows {
            row.conversion = (row.entered > 0).then(|| row.went_on as f64 / row.entered as f64);
        }
        sort_stuck(&mut self.stuck);
        Funnel {
            won: Figure::count(
                "deals_won",
                Rule::new("deals_won").with("n", self.won.len()),
                deal_refs(&self.won),
            ),
            lost: Figure::count(
                "deals_lost",
                Rule::new("deals_lost").with("n", self.lost.len()),
                deal_refs(&self.lost),
            ),
            win_rate: win_rate_figure(self.won.len(), self.lost.len()),
            revenue: revenue_figure(&self.won),
            stuck_deals: stuck_figure(&self.stuck),
            temperature: temperature_rows(&self.temperature),
            stages: self.rows,
            stuck: self.stuck,
            channels: self.channels.into_values().collect(),
        }
    }
}

impl Funnel {
    /// The funnel with its open deals per stage and its stuck deals as the
    /// database counted them now (`storage::open_now`), in place of those
    /// of the records it was computed from.
    pub fn with_open<'a>(
        mut self,
        open: impl IntoIterator<Item = (&'a str, usize, i64)>,
        mut stuck: Vec<StuckDeal>,
    ) -> Self {
        for row in &mut self.stages {
            row.open_deals = 0;
            row.open_amount_minor = 0;
        }
        for (stage, deals, amount) in open {
            if let Some(row) = self.stages.iter_mut().find(|r| r.stage == stage) {
                row.open_deals += deals;
                row.open_amount_minor = row.open_amount_minor.saturating_add(amount);
            }
        }
        sort_stuck(&mut stuck);
        self.stuck_deals = stuck_figure(&stuck);
        self.stuck = stuck;
        self
    }
}

/// Stuck deals, longest in their stage first.
pub fn sort_stuck(stuck: &mut [StuckDeal]) {
    stuck.sort_by(|a, b| {
        b.days_in_stage
            .cmp(&a.days_in_stage)
            .then_with(|| a.deal.cmp(&b.deal))
    });
}

/// The records behind a list of deals.
fn deal_refs(ds: &[&Deal]) -> Vec<RecordRef> {
    ds.iter()
        .map(|d| RecordRef {
            kind: RecordKind::Deal,
            source: d.source.clone(),
            id: d.external_id.to_string(),
        })
        .collect()
}

/// The win rate: won among closed.
fn win_rate_figure(won: usize, lost: usize) -> Figure {
    let closed = won + lost;
    let rate = (closed > 0).then(|| won as f64 / closed as f64);
    Figure {
        key: "win_rate",
        value: rate.unwrap_or(0.0),
        unit: Unit::Ratio,
        rule: match rate {
            Some(r) => Rule::new("win_rate")
                .with("won", won)
                .with("closed", closed)
                .with("rate", Value::Share(r)),
            None => Rule::new("win_rate_none"),
        },
        records: Vec::new(),
    }
}

/// Revenue: the sum of the deals won.
fn revenue_figure(won: &[&Deal]) -> Figure {
    let revenue: i64 = won
        .iter()
        .fold(0_i64, |sum, d| sum.saturating_add(d.amount_minor));
    revenue_of(won.len(), revenue, deal_refs(won))
}

/// Revenue of `n` deals won, with the deals behind it when given.
fn revenue_of(n: usize, revenue: i64, records: Vec<RecordRef>) -> Figure {
    Figure {
        key: "revenue",
        value: revenue as f64,
        unit: Unit::Money,
        rule: Rule::new("revenue")
            .with("n", n)
            .with("revenue", Value::Number(revenue as f64 / 100.0)),
        records,
    }
}

/// The count of stuck deals, with the deals behind it.
fn stuck_figure(stuck: &[StuckDeal]) -> Figure {
    Figure {
        key: "stuck_deals",
        value: stuck.len() as f64,
        unit: Unit::Count,
        rule: Rule::new("stuck_deals").with("n", stuck.len()),
        records: stuck
            .iter()
            .map(|s| RecordRef {
                kind: RecordKind::Deal,
                source: s.source.clone(),
                id: s.deal.clone(),
            })
            .collect(),
    }
}

/// Win rates per lead temperature, against their benchmarks.
fn temperature_rows(counts: &BTreeMap<&str, (usize, usize)>) -> Vec<TemperatureRow> {
    [
        (Temperature::Hot, (0.85, 0.95)),
        (Temperature::Warm, (0.20, 0.30)),
        (Temperature::Cold, (0.01, 0.03)),
    ]
    .into_iter()
    .map(|(t, benchmark)| {
        let (closed, won) = counts.get(t.as_str()).copied().unwrap_or((0, 0));
        TemperatureRow {
            temperature: t,
            closed,
            won,
            win_rate: (closed > 0).then(|| won as f64 / closed as f64),
            benchmark,
        }
    })
    .collect()
}

/// The funnel of `deals` (a person's or a team's) over `[from, to)`, as of `now`.
pub fn funnel(
    deals: &[&Deal],
    changes: &[StageChange],
    stages: &[StageConfig],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Funnel {
    let book = StageBook::new(stages);
    let by_deal = changes_by_deal(changes);
    let window = Window { from, to, now };
    let mut tally = Tally::new(&book);
    for &deal in deals {
        let h = by_deal
            .get(&(deal.source.as_str(), deal.external_id.as_str()))
            .cloned()
            .unwrap_or_default();
        tally.add(&book, deal, &h, window);
    }
    tally.finish()
}

/// The bottleneck of a person against the team: the open stage where their
/// share of open deals most exceeds the team's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bottleneck {
    pub stage: String,
    pub share: f64,
    pub team_share: f64,
    pub rule: Rule,
}

/// A funnel that holds only the open deals per stage, from counts made
/// elsewhere (`stage`, deals, amount): the yardstick of a person's
/// [`bottleneck`], without the team's records.
pub fn open_deals_funnel<'a>(
    stages: &[StageConfig],
    counts: impl IntoIterator<Item = (&'a str, usize, i64)>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Funnel {
    let mut f = funnel(&[], &[], stages, from, to, now);
    for (stage, deals, amount_minor) in counts {
        if let Some(row) = f.stages.iter_mut().find(|r| r.stage == stage) {
            row.open_deals += deals;
            row.open_amount_minor = row.open_amount_minor.saturating_add(amount_minor);
        }
    }
    f
}

pub fn bottleneck(person: &Funnel, team: &Funnel) -> Option<Bottleneck> {
    let total = |f: &Funnel| f.stages.iter().map(|r| r.open_deals).sum::<usize>();
    let (mine, all) = (total(person), total(team));
    if mine == 0 || all == 0 {
        return None;
    }
    person
        .stages
        .iter()
        .zip(&team.stages)
        .map(|(p, t)| {
            let share = p.open_deals as f64 / mine as f64;
            let team_share = t.open_deals as f64 / all as f64;
            (p, share, team_share)
        })
        .filter(|(_, share, team_share)| share > team_share)
        .max_by(|a, b| (a.1 - a.2).total_cmp(&(b.1 - b.2)))
        .map(|(p, share, team_share)| Bottleneck {
            stage: p.stage.clone(),
            share,
            team_share,
            rule: Rule::new("bottleneck")
                .with("stage", p.name.clone())
                .with("n", p.open_deals)
                .with("of", mine)
                .with("share", Value::Share(share))
                .with("team_share", Value::Share(team_share)),
        })
}
