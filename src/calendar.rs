//! The one place where local time meets UTC: a source's local timestamps
//! become instants, a team's calendar day becomes a UTC range, and the
//! working calendar says which days count.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::TeamConfig;

/// A local wall-clock time in `tz` as an instant. In a DST overlap the
/// earlier instant is taken; a time inside a DST gap (which no clock showed)
/// is read with the offset before the gap.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // Read it with the offset in force before the gap: a clock that
            // had not moved yet showed exactly this time.
            use chrono::Offset;
            let before = tz
                .from_local_datetime(&(local - Duration::hours(24)))
                .earliest()
                .map(|t| t.offset().fix().local_minus_utc())
                .unwrap_or(0);
            Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(before))))
        }
    }
}

/// Converts many local times of one zone quickly: the offset of the last
/// clock hour seen is reused while the next time falls in the same hour and
/// no offset change happens inside it (a CDR file is mostly in time order).
pub struct LocalClock {
    tz: Tz,
    /// (local hour as seconds since the epoch of naive time, its UTC offset)
    last_hour: Option<(i64, i64)>,
}

impl LocalClock {
    pub fn new(tz: Tz) -> Self {
        Self {
            tz,
            last_hour: None,
        }
    }

    pub fn to_utc(&mut self, local: NaiveDateTime) -> DateTime<Utc> {
        let secs = local.and_utc().timestamp();
        let hour = secs.div_euclid(3600);
        if let Some((h, offset)) = self.last_hour
            && h == hour
        {
            return DateTime::from_timestamp(secs - offset, 0).unwrap_or_default();
        }
        let start = DateTime::from_timestamp(hour * 3600, 0).map(|t| t.naive_utc());
        let end = DateTime::from_timestamp(hour * 3600 + 3599, 0).map(|t| t.naive_utc());
        if let (Some(start), Some(end)) = (start, end) {
            let a = local_to_utc(self.tz, start);
            let b = local_to_utc(self.tz, end);
            if (b - a).num_seconds() == 3599 {
                let offset = hour * 3600 - a.timestamp();
                self.last_hour = Some((hour, offset));
                return DateTime::from_timestamp(secs - offset, 0).unwrap_or_default();
            }
        }
        self.last_hour = None;
        local_to_utc(self.tz, local)
    }
}

/// The UTC range `[start, end)` of a calendar day in `tz`.
pub fn day_range(tz: Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = local_to_utc(tz, day.and_time(chrono::NaiveTime::MIN));
    let next = day.succ_opt().unwrap_or(day);
    let end = local_to_utc(tz, next.and_time(chrono::NaiveTime::MIN));
    (start, end)
}

/// The calendar day in `tz` that an instant falls on.
pub fn local_day(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

impl TeamConfig {
    /// A working day: not a weekend unless declared worked, not a holiday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.working_days.contains(&day) {
            return true;
        }
        !self.weekends.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    /// How much of `day` counts at `now`: a day whose working hours are
    /// over counts whole, a day under way pro rata to the working hours
    /// passed (none before they begin), a day to come not at all; days off
    /// count nothing. Plans, paces and the KPI gate of a period that ends
    /// today all count its days so.
    pub fn worked_share(&self, day: NaiveDate, now: DateTime<Utc>) -> f64 {
        if !self.is_working_day(day) {
            return 0.0;
        }
        let local = now.with_timezone(&self.timezone).naive_local();
        let (start, end) = (day.and_time(self.work_start), day.and_time(self.work_end));
        if local >= end {
            1.0
        } else if local <= start || end <= start {
            0.0
        } else {
            (local - start).num_seconds() as f64 / (end - start).num_seconds() as f64
        }
    }

    /// The working days of `[from, to]` counted at `now` (see
    /// [`TeamConfig::worked_share`]): 1.5 on the second day at its midpoint.
    pub fn working_days_worked(&self, from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> f64 {
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| self.worked_share(d, now))
            .sum()
    }

    /// Working days in `[from, to]`, both inclusive.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::{Berlin, Moscow};

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn team() -> TeamConfig {
        TeamConfig {
            id: "t".into(),
            name: "T".into(),
            timezone: Moscow,
            locale: crate::config::Locale::Ru,
            work_start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            work_end: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            weekends: vec![chrono::Weekday::Sat, chrono::Weekday::Sun],
            holidays: Vec::new(),
            working_days: Vec::new(),
            telegram_chat_id: None,
        }
    }

    #[test]
    fn a_day_under_way_counts_pro_rata_to_its_working_hours_passed() {
        let t = team();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let at = |s: &str| local_to_utc(Moscow, dt(s));
        assert_eq!(t.worked_share(day, at("2026-12-02 02:15:00")), 0.0);
        assert_eq!(t.worked_share(day, at("2026-12-02 13:30:00")), 0.5);
        assert_eq!(t.worked_share(day, at("2026-12-02 18:00:00")), 1.0);
        assert_eq!(t.worked_share(day, at("2026-12-01 23:00:00")), 0.0);
        assert_eq!(t.worked_share(day, at("2026-12-05 10:00:00")), 1.0);
        let saturday = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(t.worked_share(saturday, at("2026-12-06 10:00:00")), 0.0);
        // At 02:15 on 2 December the month has one working day behind it.
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            t.working_days_worked(first, day, at("2026-12-02 02:15:00")),
            1.0
        );
        assert_eq!(
            t.working_days_worked(first, day, at("2026-12-02 13:30:00")),
            1.5
        );
    }

    #[test]
    fn moscow_is_three_hours_ahead() {
        let t = local_to_utc(Moscow, dt("2026-11-16 09:00:00"));
        assert_eq!(t.to_rfc3339(), "2026-11-16T06:00:00+00:00");
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward() {
        // Berlin skipped 02:00-03:00 on 2026-03-29.
        let t = local_to_utc(Berlin, dt("2026-03-29 02:30:00"));
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }

    #[test]
    fn an_overlap_takes_the_earlier_instant() {
        // Berlin showed 02:30 twice on 2026-10-25.
        let t = local_to_utc(Berlin, dt("2026-10-25 02:30:00"));
        assert_eq!(t.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn the_cached_clock_agrees_around_transitions() {
        let mut clock = LocalClock::new(Berlin);
        let start = dt("2026-03-28 22:00:00");
        for minutes in (0..(60 * 30)).step_by(7) {
            let local = start + Duration::minutes(minutes);
            assert_eq!(clock.to_utc(local), local_to_utc(Berlin, local), "{local}");
        }
        let start = dt("2026-10-24 22:00:00");
        for minutes in (0..(60 * 30)).step_by(7) {
            let local = start + Duration::minutes(minutes);
            assert_eq!(clock.to_utc(local), local_to_utc(Berlin, local), "{local}");
        }
    }

    #[test]
    fn a_dst_day_is_25_hours_long() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let (start, end) = day_range(Berlin, day);
        assert_eq!((end - start).num_hours(), 25);
    }
}
