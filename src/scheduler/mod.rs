//! When schedules fire: a person's 5-field crontab read in a team's IANA
//! timezone, turned into firings (the local wall-clock slot and the UTC
//! instant it fires at), and the catch-up decision after downtime. Pure: no
//! clock, no database, no sending; `serve` passes the times in.
//!
//! Daylight saving time, decided here rather than left to the `cron` crate
//! (which would silently skip a slot in a gap):
//! - a slot that does not exist locally (spring forward, e.g. 02:30 in
//!   Europe/Berlin on 2026-03-29) fires at the first valid minute after the
//!   gap (03:00 local);
//! - a slot that occurs twice (fall back) fires once, at its first occurrence;
//! - should several slots of one schedule land on the same instant (a
//!   `*/15` schedule inside a gap), they fire once, keyed by the latest slot.

mod cron5;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::iter::Peekable;

pub use cron5::CronError;
use cron5::Crontab;

/// A crontab in a timezone.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    timezone: Tz,
    /// The crate schedules whose union is the crontab (see
    /// `Crontab::crate_expressions`), iterated over local wall-clock times
    /// written as if they were UTC.
    crons: Vec<cron::Schedule>,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.timezone == other.timezone
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.expression, self.timezone)
    }
}

/// One firing of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Firing {
    /// The scheduled local wall time: the unique key of a firing.
    pub slot: NaiveDateTime,
    /// When it actually fires.
    pub at: DateTime<Utc>,
}

impl Firing {
    /// The slot as a stable key for "one firing per slot": `2026-11-23T09:00`.
    pub fn key(&self) -> String {
        self.slot.format("%Y-%m-%dT%H:%M").to_string()
    }
}

/// What to do at a tick: the firings to run now and those given up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// At most one firing: the latest one within the grace period.
    pub fire: Vec<Firing>,
    /// Firings passed over, oldest first: those older than the grace period,
    /// and the earlier ones within it that the latest supersedes.
    pub missed: Vec<Firing>,
}

impl Schedule {
    /// Reads a 5-field crontab (`"0 9 * * 1-5"`: 09:00 Monday to Friday) in
    /// `timezone`.
    pub fn parse(expression: &str, timezone: Tz) -> Result<Self, CronError> {
        let tab = Crontab::parse(expression)?;
        let crons = tab
            .crate_expressions()
            .iter()
            .map(|text| {
                text.parse::<cron::Schedule>().map_err(|e| CronError {
                    expression: expression.to_owned(),
                    problem: format!("cannot be translated ({text}: {e})"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Schedule {
            expression: expression.trim().to_owned(),
            timezone,
            crons,
        })
    }

    /// The crontab as the user wrote it.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The `cron` crate expressions it was translated to (one, or two when
    /// both day fields are restricted and either may match).
    pub fn translated(&self) -> Vec<&str> {
        self.crons.iter().map(cron::Schedule::source).collect()
    }

    /// The firings whose instant is in `(after, until]`, in order.
    pub fn firings(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Firing> {
        if after >= until {
            return Vec::new();
        }
        self.firings_after(after)
            .take_while(|f| f.at <= until)
            .collect()
    }

    /// The first firing strictly after `after` (for sleeping until it).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<Firing> {
        self.firings_after(after).next()
    }

    /// The catch-up decision at `now`, given the `now` of the previous call
    /// (`last_seen`, kept per schedule by the caller).
    ///
    /// Firings in `(last_seen, now]`: the latest one fires if it is at most
    /// `grace` old; every other one is missed (to be recorded and reported).
    /// Only one fires because a burst of reports for old periods after an
    /// outage helps nobody: the newest covers the latest period. With no
    /// `last_seen` (the very first start) nothing fires retroactively and
    /// nothing is missed.
    pub fn due(
        &self,
        last_seen: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Due {
        let Some(last_seen) = last_seen else {
            return Due::default();
        };
        let mut missed = self.firings(last_seen, now);
        let fire = match missed.last() {
            Some(latest) if now - latest.at <= grace => missed.pop(),
            _ => None,
        };
        Due {
            fire: fire.into_iter().collect(),
            missed,
        }
    }

    /// Firings after `after`, lazily. Slots are walked in local wall time
    /// from `after`'s own wall time: the instant of a slot never decreases as
    /// the slot grows (a gap moves forward to its end, an overlap takes the
    /// first occurrence), so no earlier slot can fire after `after`, and the
    /// walk can stop at the first firing past any horizon.
    fn firings_after(&self, after: DateTime<Utc>) -> impl Iterator<Item = Firing> + '_ {
        let start = after.with_timezone(&self.timezone).naive_local() - Duration::seconds(1);
        let mut timed = self
            .slots_after(start)
            .map(|slot| Firing {
                slot,
                at: self.instant_of(slot),
            })
            .filter(move |f| f.at > after)
            .peekable();
        std::iter::from_fn(move || {
            let mut firing = timed.next()?;
            while let Some(same) = timed.next_if(|next| next.at == firing.at) {
                firing = same;
            }
            Some(firing)
        })
    }

    /// Local wall-clock slots strictly after `start`, in order: the union
    /// of the crate schedules, each iterated over wall times posing as UTC.
    fn slots_after(&self, start: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let start = start.and_utc();
        let mut each: Vec<Peekable<cron::ScheduleIterator<'_, Utc>>> = self
            .crons
            .iter()
            .map(|c| c.after(&start).peekable())
            .collect();
        std::iter::from_fn(move || {
            let next = each.iter_mut().filter_map(|i| i.peek().copied()).min()?;
            for i in &mut each {
                i.next_if_eq(&next);
            }
            Some(next.naive_utc())
        })
    }

    /// The UTC instant a local slot fires at: its first occurrence, or, in a
    /// gap, the first valid minute after it.
    fn instant_of(&self, slot: NaiveDateTime) -> DateTime<Utc> {
        // The longest gap in the tz database is a day (Samoa, 2011).
        const MAX_GAP_MINUTES: i64 = 2 * 24 * 60;
        let mut wall = slot;
        for _ in 0..MAX_GAP_MINUTES {
            match self.timezone.from_local_datetime(&wall) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
                // Slots are whole minutes, so this walks whole minutes.
                LocalResult::None => wall += Duration::minutes(1),
            }
        }
        // Unreachable with the tz database; read the slot as UTC rather than fail.
        slot.and_utc()
    }
}

#[cfg(test)]
mod tests;
