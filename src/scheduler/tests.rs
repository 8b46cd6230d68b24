//! The scheduler's tests: due slots across time zones, DST changes and
//! restarts.

use super::*;
use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::{America, Europe};

/// A UTC instant from "YYYY-MM-DD HH:MM".
fn utc(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .expect("test instant")
        .and_utc()
}

fn schedule(expression: &str, tz: Tz) -> Schedule {
    Schedule::parse(expression, tz).expect("test crontab")
}

fn problem(expression: &str) -> String {
    Schedule::parse(expression, Tz::UTC)
        .expect_err("should be refused")
        .to_string()
}

/// Each firing as "local slot key -> UTC instant".
fn listed(firings: &[Firing]) -> Vec<String> {
    firings
        .iter()
        .map(|f| format!("{} -> {}", f.key(), f.at.format("%Y-%m-%d %H:%M")))
        .collect()
}

/// The weekdays a schedule fires on in the week of Sunday 2026-11-22 to
/// Saturday 2026-11-28 (UTC).
fn weekdays(expression: &str) -> Vec<Weekday> {
    schedule(expression, Tz::UTC)
        .firings(utc("2026-11-22 00:00"), utc("2026-11-29 00:00"))
        .iter()
        .map(|f| f.slot.weekday())
        .collect()
}

#[test]
fn one_to_five_is_monday_to_friday() {
    use Weekday::*;
    assert_eq!(weekdays("0 9 * * 1-5"), vec![Mon, Tue, Wed, Thu, Fri]);
    assert_eq!(
        schedule("0 9 * * 1-5", Tz::UTC).translated(),
        vec!["0 0 9 * * 2,3,4,5,6"],
        "the crate numbers Sunday 1, Monday 2"
    );
}

#[test]
fn zero_and_seven_are_sunday() {
    use Weekday::*;
    assert_eq!(weekdays("0 9 * * 0"), vec![Sun]);
    assert_eq!(weekdays("0 9 * * 7"), vec![Sun]);
    assert_eq!(weekdays("0 9 * * 5-7"), vec![Sun, Fri, Sat]);
    assert_eq!(weekdays("0 9 * * 0-7"), weekdays("0 9 * * *"));
    assert_eq!(weekdays("0 9 * * *").len(), 7);
}

#[test]
fn names_read_like_numbers() {
    use Weekday::*;
    assert_eq!(weekdays("0 9 * * mon-fri"), weekdays("0 9 * * 1-5"));
    assert_eq!(weekdays("0 9 * * Sat,SUN"), vec![Sun, Sat]);
    assert_eq!(weekdays("0 9 * * monday"), vec![Mon]);
    // January and July only: the first firing after mid-November is in January.
    let s = schedule("0 8 1 jan,Jul *", Tz::UTC);
    let next: Vec<_> = (0..3)
        .scan(utc("2026-11-15 00:00"), |after, _| {
            let f = s.next_after(*after)?;
            *after = f.at;
            Some(f.key())
        })
        .collect();
    assert_eq!(
        next,
        ["2027-01-01T08:00", "2027-07-01T08:00", "2028-01-01T08:00"]
    );
}

#[test]
fn steps_lists_and_shorthands() {
    let quarter = schedule("*/15 9 * * *", Tz::UTC);
    assert_eq!(
        listed(&quarter.firings(utc("2026-11-23 08:00"), utc("2026-11-23 12:00"))),
        [
            "2026-11-23T09:00 -> 2026-11-23 09:00",
            "2026-11-23T09:15 -> 2026-11-23 09:15",
            "2026-11-23T09:30 -> 2026-11-23 09:30",
            "2026-11-23T09:45 -> 2026-11-23 09:45",
        ]
    );
    // 5/20 is 5, 25, 45; a range with a step; a list.
    let odd = schedule("5/20 8-12/2 * * *", Tz::UTC);
    let keys: Vec<_> = odd
        .firings(utc("2026-11-23 00:00"), utc("2026-11-23 10:00"))
        .iter()
        .map(Firing::key)
        .collect();
    assert_eq!(
        keys,
        ["2026-11-23T08:05", "2026-11-23T08:25", "2026-11-23T08:45"]
    );
    assert_eq!(weekdays("30 7,19 * * sun").len(), 2, "two hours on one day");
    assert_eq!(
        schedule("@daily", Tz::UTC).translated(),
        schedule("0 0 * * *", Tz::UTC).translated()
    );
    assert_eq!(weekdays("@weekly"), vec![Weekday::Sun]);
}

#[test]
fn day_of_month_and_day_of_week_together_mean_either() {
    // As in every crontab: the 1st of the month, and every Monday.
    let s = schedule("0 9 1 * mon", Tz::UTC);
    let keys: Vec<_> = s
        .firings(utc("2026-11-25 00:00"), utc("2026-12-15 00:00"))
        .iter()
        .map(Firing::key)
        .collect();
    // Mondays 30 Nov, 7 Dec, 14 Dec; Tuesday 1 Dec is the 1st.
    assert_eq!(
        keys,
        [
            "2026-11-30T09:00",
            "2026-12-01T09:00",
            "2026-12-07T09:00",
            "2026-12-14T09:00"
        ]
    );
    // A star in either field: only the other one counts.
    let firsts =
        schedule("0 9 1 * *", Tz::UTC).firings(utc("2026-11-25 00:00"), utc("2027-01-15 00:00"));
    assert_eq!(firsts.len(), 2);
}

#[test]
fn bad_fields_are_named() {
    for (expression, expected) in [
        (
            "0 9 * * 1-8",
            "\"0 9 * * 1-8\": day of week 8 is out of 0-7",
        ),
        ("60 9 * * *", "\"60 9 * * *\": minute 60 is out of 0-59"),
        ("0 24 * * *", "\"0 24 * * *\": hour 24 is out of 0-23"),
        ("0 9 0 * *", "\"0 9 0 * *\": day of month 0 is out of 1-31"),
        ("0 9 * 13 *", "\"0 9 * 13 *\": month 13 is out of 1-12"),
        (
            "0 9 * * fri-mon",
            "day of week range fri-mon runs backwards",
        ),
        ("0 9 * * funday", "day of week \"funday\" is not a value"),
        ("*/0 9 * * *", "minute step must be at least 1"),
        ("0 9 * * 1-5 2026", "has 6 fields"),
        ("0 0 9 * * 1-5", "we take standard 5-field cron"),
        ("0 9 * *", "has 4 fields"),
        ("  ", "is empty"),
        ("0 9 31 2 *", "day of month 31 never occurs in month 2"),
        ("@reboot", "@reboot is not a schedule we take"),
        (
            "0 9 L * *",
            "day of month \"L\" is not a value (expected 1-31)",
        ),
    ] {
        let found = problem(expression);
        assert!(
            found.contains(expected),
            "{expression}: {found:?} lacks {expected:?}"
        );
    }
    // 29 February is fine: it comes every four years.
    assert!(Schedule::parse("0 9 29 2 *", Tz::UTC).is_ok());
}

#[test]
fn a_workweek_digest_through_days_and_a_week_in_moscow() {
    // Moscow is UTC+3 all year: 09:00 local is 06:00 UTC.
    let s = schedule("0 9 * * 1-5", Europe::Moscow);
    // Drive serve's tick every 5 minutes from Friday 2026-11-20 00:00 UTC for
    // eight days, as serve would, remembering `now` as last_seen.
    let mut last_seen = None;
    let mut fired = Vec::new();
    let mut now = utc("2026-11-20 00:00");
    while now < utc("2026-11-28 00:00") {
        let due = s.due(last_seen, now, Duration::hours(6));
        assert!(due.missed.is_empty(), "missed {:?} at {now}", due.missed);
        fired.extend(due.fire);
        last_seen = Some(now);
        now += Duration::minutes(5);
    }
    assert_eq!(
        listed(&fired),
        [
            "2026-11-20T09:00 -> 2026-11-20 06:00",
            "2026-11-23T09:00 -> 2026-11-23 06:00",
            "2026-11-24T09:00 -> 2026-11-24 06:00",
            "2026-11-25T09:00 -> 2026-11-25 06:00",
            "2026-11-26T09:00 -> 2026-11-26 06:00",
            "2026-11-27T09:00 -> 2026-11-27 06:00",
        ]
    );
    // The weekend fires nothing; Moscow's offset does not move when Berlin's does.
    assert_eq!(
        listed(&s.firings(utc("2026-03-27 00:00"), utc("2026-03-31 00:00"))),
        [
            "2026-03-27T09:00 -> 2026-03-27 06:00",
            "2026-03-30T09:00 -> 2026-03-30 06:00",
        ]
    );
}

#[test]
fn berlin_spring_forward_fires_at_the_end_of_the_gap() {
    // 2026-03-29 (last Sunday of March) at 01:00 UTC Berlin jumps from 02:00
    // CET (UTC+1) to 03:00 CEST (UTC+2): 02:30 does not exist that day.
    let s = schedule("30 2 * * *", Europe::Berlin);
    assert_eq!(
        listed(&s.firings(utc("2026-03-27 12:00"), utc("2026-03-30 12:00"))),
        [
            "2026-03-28T02:30 -> 2026-03-28 01:30", // 02:30 CET = 01:30 UTC
            "2026-03-29T02:30 -> 2026-03-29 01:00", // 03:00 CEST = 01:00 UTC
            "2026-03-30T02:30 -> 2026-03-30 00:30", // 02:30 CEST = 00:30 UTC
        ]
    );
    // Ticking every minute through the night fires it exactly once.
    let mut fired = Vec::new();
    let mut last_seen = Some(utc("2026-03-28 23:00"));
    let mut now = utc("2026-03-28 23:01");
    while now <= utc("2026-03-29 03:00") {
        let due = s.due(last_seen, now, Duration::hours(6));
        assert!(due.missed.is_empty());
        fired.extend(due.fire.iter().map(|f| (f.key(), now)));
        last_seen = Some(now);
        now += Duration::minutes(1);
    }
    assert_eq!(
        fired,
        [("2026-03-29T02:30".to_owned(), utc("2026-03-29 01:00"))]
    );
}

#[test]
fn slots_inside_a_gap_fire_once_together() {
    // Every 15 minutes at 02:xx and 03:xx: 02:00, 02:15, 02:30 and 02:45 are
    // all in the gap and would fire with 03:00 at 01:00 UTC; they fire once.
    let s = schedule("*/15 2,3 * * *", Europe::Berlin);
    assert_eq!(
        listed(&s.firings(utc("2026-03-29 00:30"), utc("2026-03-29 01:20"))),
        [
            "2026-03-29T03:00 -> 2026-03-29 01:00",
            "2026-03-29T03:15 -> 2026-03-29 01:15",
        ]
    );
}

#[test]
fn berlin_fall_back_fires_the_repeated_slot_once() {
    // 2026-10-25 (last Sunday of October) at 01:00 UTC Berlin goes back from
    // 03:00 CEST to 02:00 CET: 02:30 happens at 00:30 UTC and again at 01:30
    // UTC; it fires at the first.
    let s = schedule("30 2 * * *", Europe::Berlin);
    assert_eq!(
        listed(&s.firings(utc("2026-10-24 00:00"), utc("2026-10-26 12:00"))),
        [
            "2026-10-24T02:30 -> 2026-10-24 00:30", // CEST
            "2026-10-25T02:30 -> 2026-10-25 00:30", // the first 02:30, CEST
            "2026-10-26T02:30 -> 2026-10-26 01:30", // CET
        ]
    );
    // Ticking every minute through both 02:30s fires once.
    let mut fired = Vec::new();
    let mut last_seen = Some(utc("2026-10-24 23:00"));
    let mut now = utc("2026-10-24 23:01");
    while now <= utc("2026-10-25 03:00") {
        fired.extend(s.due(last_seen, now, Duration::hours(6)).fire);
        last_seen = Some(now);
        now += Duration::minutes(1);
    }
    assert_eq!(listed(&fired), ["2026-10-25T02:30 -> 2026-10-25 00:30"]);
    // A window that starts inside the second 02:xx hour still sees 02:50
    // as done, and one that ends there sees it as fired.
    let late = schedule("50 2 * * *", Europe::Berlin);
    assert!(
        late.firings(utc("2026-10-25 01:10"), utc("2026-10-25 12:00"))
            .is_empty()
    );
    assert_eq!(
        listed(&late.firings(utc("2026-10-25 00:00"), utc("2026-10-25 01:10"))),
        ["2026-10-25T02:50 -> 2026-10-25 00:50"]
    );
}

#[test]
fn new_york_both_changes() {
    // 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC); 2026-11-01 02:00 EDT ->
    // 01:00 EST (06:00 UTC).
    let nine = schedule("0 9 * * *", America::New_York);
    assert_eq!(
        listed(&nine.firings(utc("2026-03-07 00:00"), utc("2026-03-09 00:00"))),
        [
            "2026-03-07T09:00 -> 2026-03-07 14:00", // EST, UTC-5
            "2026-03-08T09:00 -> 2026-03-08 13:00", // EDT, UTC-4
        ]
    );
    let gap = schedule("30 2 * * *", America::New_York);
    assert_eq!(
        gap.next_after(utc("2026-03-08 00:00")).map(|f| f.at),
        Some(utc("2026-03-08 07:00")) // 03:00 EDT
    );
    let overlap = schedule("30 1 * * *", America::New_York);
    assert_eq!(
        listed(&overlap.firings(utc("2026-11-01 00:00"), utc("2026-11-02 12:00"))),
        [
            "2026-11-01T01:30 -> 2026-11-01 05:30", // the first 01:30, EDT
            "2026-11-02T01:30 -> 2026-11-02 06:30", // EST
        ]
    );
}

#[test]
fn restart_within_grace_fires_once() {
    // Down from Monday 08:00 to 13:00 Moscow time: the 09:00 digest (06:00
    // UTC) is 4 hours late, within 6 hours: it fires now.
    let s = schedule("0 9 * * 1-5", Europe::Moscow);
    let due = s.due(
        Some(utc("2026-11-23 05:00")),
        utc("2026-11-23 10:00"),
        Duration::hours(6),
    );
    assert_eq!(listed(&due.fire), ["2026-11-23T09:00 -> 2026-11-23 06:00"]);
    assert!(due.missed.is_empty());
    // The next tick does not fire it again.
    let again = s.due(
        Some(utc("2026-11-23 10:00")),
        utc("2026-11-23 10:01"),
        Duration::hours(6),
    );
    assert_eq!(again, Due::default());
}

#[test]
fn restart_after_the_grace_period_reports_missed() {
    let s = schedule("0 9 * * 1-5", Europe::Moscow);
    // Back at 16:00 Moscow (13:00 UTC): 7 hours late.
    let due = s.due(
        Some(utc("2026-11-23 05:00")),
        utc("2026-11-23 13:00"),
        Duration::hours(6),
    );
    assert!(due.fire.is_empty());
    assert_eq!(
        listed(&due.missed),
        ["2026-11-23T09:00 -> 2026-11-23 06:00"]
    );
    // Down from Friday afternoon to Tuesday 11:00 Moscow: Monday's is
    // missed, Tuesday's (2 hours ago) fires.
    let due = s.due(
        Some(utc("2026-11-20 12:00")),
        utc("2026-11-24 08:00"),
        Duration::hours(6),
    );
    assert_eq!(listed(&due.fire), ["2026-11-24T09:00 -> 2026-11-24 06:00"]);
    assert_eq!(
        listed(&due.missed),
        ["2026-11-23T09:00 -> 2026-11-23 06:00"]
    );
}

#[test]
fn several_within_grace_fire_only_the_latest() {
    let hourly = schedule("0 * * * *", Tz::UTC);
    let due = hourly.due(
        Some(utc("2026-11-23 00:10")),
        utc("2026-11-23 03:00"),
        Duration::hours(6),
    );
    assert_eq!(listed(&due.fire), ["2026-11-23T03:00 -> 2026-11-23 03:00"]);
    assert_eq!(
        listed(&due.missed),
        [
            "2026-11-23T01:00 -> 2026-11-23 01:00",
            "2026-11-23T02:00 -> 2026-11-23 02:00",
        ]
    );
}

#[test]
fn the_first_start_fires_nothing_retroactively() {
    let s = schedule("0 9 * * 1-5", Europe::Moscow);
    assert_eq!(
        s.due(None, utc("2026-11-23 07:00"), Duration::hours(6)),
        Due::default()
    );
    // A clock that went back fires nothing either.
    assert_eq!(
        s.due(
            Some(utc("2026-11-23 07:00")),
            utc("2026-11-23 05:00"),
            Duration::hours(6)
        ),
        Due::default()
    );
}

#[test]
fn keys_are_the_local_slot() {
    let s = schedule("0 9 * * 1-5", Europe::Moscow);
    let firing = s.next_after(utc("2026-11-22 12:00")).expect("a firing");
    assert_eq!(firing.key(), "2026-11-23T09:00");
    assert_eq!(
        firing.slot,
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date")
    );
    assert_eq!(s.to_string(), "0 9 * * 1-5 (Europe/Moscow)");
}
