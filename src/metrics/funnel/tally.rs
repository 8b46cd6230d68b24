//! The funnel of a period as the daily roll-up adds it up: each day's
//! stage entries with when the deal went on, and its deals closed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::entries::{count_entry, entries};
use super::{
    ChannelRow, Entry, Funnel, StageBook, Window, changes_by_deal, channel_name, closed_at,
    revenue_of, stuck_figure, temperature_rows, win_rate_figure,
};
use crate::config::StageConfig;
use crate::domain::{Deal, StageChange, StageKind};
use crate::metrics::{Figure, Rule};

/// A channel's leads, won deals and revenue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCounts {
    pub leads: usize,
    pub won: usize,
    pub revenue_minor: i64,
}

/// What the funnel of a period is made of, added up day by day (the daily
/// roll-up keeps one per person and day): each entry into a stage with
/// when the deal went on (judged against the period's end), the deals
/// closed, by temperature and channel. Open and stuck deals are counted
/// now, at each request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelTally {
    pub entries: Vec<Entry>,
    pub won: usize,
    pub lost: usize,
    pub revenue_minor: i64,
    /// Closed and won, per temperature.
    pub temperature: BTreeMap<String, (usize, usize)>,
    pub channels: BTreeMap<String, ChannelCounts>,
}

impl FunnelTally {
    /// The counts of `deals` over `[from, to)`.
    pub fn of(
        deals: &[&Deal],
        changes: &[StageChange],
        stages: &[StageConfig],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        let book = StageBook::new(stages);
        let by_deal = changes_by_deal(changes);
        let w = Window { from, to, now: to };
        let mut t = FunnelTally::default();
        for &deal in deals {
            let h = by_deal
                .get(&(deal.source.as_str(), deal.external_id.as_str()))
                .cloned()
                .unwrap_or_default();
            // Entries into a closed stage count nowhere: not kept.
            t.entries.extend(
                entries(&book, deal, &h, w)
                    .into_iter()
                    .filter(|e| book.counts_entries(&e.stage)),
            );
            let kind = book.kind_of(deal.stage.as_str());
            if let Some(closed) = closed_at(deal, kind, &h)
                && w.contains(closed)
            {
                let is_won = kind == StageKind::Won;
                if is_won {
                    t.won += 1;
                    t.revenue_minor = t.revenue_minor.saturating_add(deal.amount_minor);
                } else {
                    t.lost += 1;
                }
                if let Some(temp) = deal.temperature {
                    let e = t.temperature.entry(temp.as_str().to_owned()).or_default();
                    e.0 += 1;
                    e.1 += usize::from(is_won);
                }
                let c = t.channels.entry(channel_name(deal)).or_default();
                if is_won {
                    c.won += 1;
                    c.revenue_minor = c.revenue_minor.saturating_add(deal.amount_minor);
                }
            }
            if w.contains(deal.created_at) {
                t.channels.entry(channel_name(deal)).or_default().leads += 1;
            }
        }
        t
    }

    /// Adds another period's counts to these.
    pub fn add(&mut self, o: &FunnelTally) {
        self.entries.extend_from_slice(&o.entries);
        self.won += o.won;
        self.lost += o.lost;
        self.revenue_minor = self.revenue_minor.saturating_add(o.revenue_minor);
        for (k, (closed, won)) in &o.temperature {
            let e = self.temperature.entry(k.clone()).or_default();
            e.0 += closed;
            e.1 += won;
        }
        for (k, c) in &o.channels {
            let e = self.channels.entry(k.clone()).or_default();
            e.leads += c.leads;
            e.won += c.won;
            e.revenue_minor = e.revenue_minor.saturating_add(c.revenue_minor);
        }
    }

    /// The funnel of a period ending at `to`, without records; its open and
    /// stuck deals are put in by [`Funnel::with_open`].
    pub fn figures(&self, stages: &[StageConfig], to: DateTime<Utc>) -> Funnel {
        let book = StageBook::new(stages);
        let mut rows = book.empty_rows();
        for e in &self.entries {
            count_entry(&mut rows, e, to);
        }
        for row in &mut rows {
            row.conversion = (row.entered > 0).then(|| row.went_on as f64 / row.entered as f64);
        }
        let temperature: BTreeMap<&str, (usize, usize)> = self
            .temperature
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        Funnel {
            won: Figure::count_of(
                "deals_won",
                Rule::new("deals_won").with("n", self.won),
                self.won,
                Vec::new(),
            ),
            lost: Figure::count_of(
                "deals_lost",
                Rule::new("deals_lost").with("n", self.lost),
                self.lost,
                Vec::new(),
            ),
            win_rate: win_rate_figure(self.won, self.lost),
            revenue: revenue_of(self.won, self.revenue_minor, Vec::new()),
            stuck_deals: stuck_figure(&[]),
            temperature: temperature_rows(&temperature),
            stages: rows,
            stuck: Vec::new(),
            channels: self
                .channels
                .iter()
                .map(|(channel, c)| ChannelRow {
                    channel: channel.clone(),
                    leads: c.leads,
                    won: c.won,
                    revenue_minor: c.revenue_minor,
                })
                .collect(),
        }
    }
}
