//! The alert rules tick by tick on an injected clock: a Moscow team working
//! 09:00–18:00, Monday to Friday; 2026-12-04 is a Friday.

use super::*;
use crate::calendar::local_to_utc;
use crate::domain::{CallFields, Disposition};
use chrono::NaiveDateTime;
use chrono_tz::Europe::Moscow;

pub(crate) fn team() -> TeamConfig {
    TeamConfig {
        id: "t".into(),
        name: "T".into(),
        timezone: Moscow,
        locale: crate::config::Locale::Ru,
        work_start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        work_end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        weekends: vec![chrono::Weekday::Sat, chrono::Weekday::Sun],
        holidays: vec![chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()],
        working_days: Vec::new(),
        telegram_chat_id: None,
    }
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    local_to_utc(
        Moscow,
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
    )
}

/// A call at local `start`, `talk` seconds long (0: not picked up).
pub(crate) fn call(
    id: &str,
    who: &str,
    direction: Direction,
    number: &str,
    start: &str,
    talk: i64,
) -> Call {
    let started_at = at(start);
    Call::new(CallFields {
        source: "pbx".into(),
        external_id: id.into(),
        employee_id: Some(who.into()),
        agent: Some(who.into()),
        direction,
        number: number.into(),
        started_at,
        answered_at: (talk > 0).then_some(started_at + Duration::seconds(5)),
        ended_at: started_at + Duration::seconds(talk + 20),
        talk_seconds: talk,
        disposition: if talk > 0 {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        },
        deal_ext: None,
        kind: None,
        leg_key: id.into(),
    })
    .unwrap()
}

const CLIENT: &str = "79161234567";

fn states(calls: &[Call], now: &str) -> Vec<Callback> {
    missed_callbacks(calls, &team(), Duration::minutes(15), at(now))
        .into_iter()
        .map(|m| m.callback)
        .collect()
}

#[test]
fn a_missed_call_returned_in_time_is_no_alert() {
    let calls = vec![
        call("1", "m1", Direction::Inbound, CLIENT, "2026-12-04 10:00", 0),
        call(
            "2",
            "m1",
            Direction::Outbound,
            CLIENT,
            "2026-12-04 10:09",
            60,
        ),
    ];
    assert_eq!(states(&calls, "2026-12-04 10:05"), [Callback::Waiting]);
    // The call back is not known before it starts.
    assert_eq!(states(&calls[..1], "2026-12-04 10:09"), [Callback::Waiting]);
    for now in ["2026-12-04 10:10", "2026-12-04 10:30", "2026-12-04 17:00"] {
        assert_eq!(
            states(&calls, now),
            [Callback::InTime { after_secs: 540 }],
            "{now}"
        );
    }
}

#[test]
fn a_missed_call_returned_late_alerts_then_is_answered() {
    let mut calls = vec![call(
        "1",
        "m1",
        Direction::Inbound,
        CLIENT,
        "2026-12-04 10:00",
        0,
    )];
    assert_eq!(states(&calls, "2026-12-04 10:14"), [Callback::Waiting]);
    assert_eq!(states(&calls, "2026-12-04 10:15"), [Callback::Overdue]);
    assert!(states(&calls, "2026-12-04 10:15")[0].alerts());
    calls.push(call(
        "2",
        "m2",
        Direction::Outbound,
        CLIENT,
        "2026-12-04 10:22",
        40,
    ));
    assert_eq!(
        states(&calls, "2026-12-04 10:23"),
        [Callback::Late {
            after_secs: 22 * 60
        }]
    );
}

#[test]
fn a_missed_call_never_returned_is_overdue_at_its_minutes() {
    let calls = vec![
        call("1", "m1", Direction::Inbound, CLIENT, "2026-12-04 11:00", 0),
        // Another missed call from the number: the same occurrence.
        call("2", "m1", Direction::Inbound, CLIENT, "2026-12-04 11:05", 0),
        // A call to another number returns nothing.
        call(
            "3",
            "m1",
            Direction::Outbound,
            "79990000000",
            "2026-12-04 11:06",
            90,
        ),
    ];
    let found = missed_callbacks(
        &calls,
        &team(),
        Duration::minutes(15),
        at("2026-12-04 11:15"),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].missed, 2);
    assert_eq!(found[0].due_at, at("2026-12-04 11:15"));
    assert_eq!(found[0].callback, Callback::Overdue);
    assert_eq!(found[0].rang.as_deref(), Some("m1"));
}

#[test]
fn a_call_answered_later_from_the_number_counts_as_the_call_back() {
    let calls = vec![
        call("1", "m1", Direction::Inbound, CLIENT, "2026-12-04 12:00", 0),
        call(
            "2",
            "m2",
            Direction::Inbound,
            CLIENT,
            "2026-12-04 12:03",
            75,
        ),
    ];
    assert_eq!(
        states(&calls, "2026-12-04 12:30"),
        [Callback::InTime { after_secs: 185 }]
    );
}

#[test]
fn a_call_missed_after_hours_is_due_at_the_next_working_morning() {
    // Wednesday 19:30; Thursday is a holiday: due Friday 09:15.
    let calls = vec![call(
        "1",
        "m1",
        Direction::Inbound,
        CLIENT,
        "2026-12-02 19:30",
        0,
    )];
    let found = missed_callbacks(
        &calls,
        &team(),
        Duration::minutes(15),
        at("2026-12-02 19:31"),
    );
    assert_eq!(found[0].due_at, at("2026-12-04 09:15"));
    assert_eq!(states(&calls, "2026-12-04 09:14"), [Callback::Waiting]);
    assert_eq!(states(&calls, "2026-12-04 09:15"), [Callback::Overdue]);
    // Missed before the day begins: due 15 minutes after it begins.
    assert_eq!(
        callback_due(&team(), at("2026-12-04 07:40"), Duration::minutes(15)),
        at("2026-12-04 09:15")
    );
    // Friday evening: due Monday morning.
    assert_eq!(
        callback_due(&team(), at("2026-12-04 18:00"), Duration::minutes(15)),
        at("2026-12-07 09:15")
    );
}

#[test]
fn no_calls_by_counts_outbound_calls_made_by_its_time_on_working_days_only() {
    let calls = vec![
        call(
            "1",
            "m1",
            Direction::Outbound,
            CLIENT,
            "2026-12-04 09:10",
            30,
        ),
        call(
            "2",
            "m1",
            Direction::Outbound,
            CLIENT,
            "2026-12-04 10:10",
            30,
        ),
        call(
            "3",
            "m2",
            Direction::Inbound,
            CLIENT,
            "2026-12-04 09:20",
            30,
        ),
        call(
            "4",
            "m2",
            Direction::Outbound,
            CLIENT,
            "2026-12-04 11:30",
            30,
        ),
    ];
    let eleven = NaiveTime::from_hms_opt(11, 0, 0).unwrap();
    let people = ["m1", "m2"];
    let few = |now: &str| few_calls_by(&calls, &team(), &people, eleven, 2, at(now));
    assert!(few("2026-12-04 10:59").is_empty());
    assert_eq!(
        few("2026-12-04 11:00"),
        [FewCalls {
            employee_id: "m2".into(),
            made: 0,
            wanted: 2
        }]
    );
    // A call after the hour does not make up for it.
    assert_eq!(few("2026-12-04 12:00").len(), 1);
    // The holiday: nobody is short.
    assert!(few_calls_by(&[], &team(), &people, eleven, 2, at("2026-12-03 12:00")).is_empty());
}

#[test]
fn idle_now_counts_from_the_last_call_and_leaves_lunch_alone() {
    let calls = vec![call(
        "1",
        "m1",
        Direction::Outbound,
        CLIENT,
        "2026-12-04 10:00",
        100,
    )];
    let lunch = Some((
        NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
    ));
    let idle = |now: &str| {
        idle_now(
            &calls,
            &team(),
            &["m1"],
            Duration::minutes(40),
            lunch,
            at(now),
        )
    };
    // The call ended 10:02: idle past 10:42.
    assert!(idle("2026-12-04 10:40").is_empty());
    let found = idle("2026-12-04 10:45");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].since, at("2026-12-04 10:02"));
    assert!(idle("2026-12-04 13:30").is_empty());
    // After lunch the idle time counts from its end.
    assert!(idle("2026-12-04 14:30").is_empty());
    assert_eq!(idle("2026-12-04 14:41")[0].since, at("2026-12-04 14:00"));
    // Before the day begins and after it ends: nobody.
    assert!(idle("2026-12-04 08:59").is_empty());
    assert!(idle("2026-12-04 18:30").is_empty());
}

#[test]
fn plan_pace_judges_working_hours_from_its_time_and_only_people_with_a_plan() {
    use crate::metrics::Rule;
    use crate::metrics::plan::{PlanLine, PlanResult, PlanStatus};
    let plan = |actual: f64, target: f64| {
        let completion = actual / target;
        PlanResult {
            working_days: 1,
            lines: vec![PlanLine {
                figure: "calls_out".into(),
                target,
                actual,
                completion: Some(completion),
                met: completion >= 1.0,
                rule: Rule::new("plan_line"),
            }],
            completion: Some(completion.min(1.0)),
            status: if completion >= 1.0 {
                PlanStatus::Met
            } else {
                PlanStatus::Missed
            },
            sales: None,
        }
    };
    let (slow, fine) = (plan(3.0, 10.0), plan(8.0, 10.0));
    let none = PlanResult {
        working_days: 1,
        lines: Vec::new(),
        completion: None,
        status: PlanStatus::NoPlan,
        sales: None,
    };
    let plans = [("m1", &slow), ("m2", &fine), ("m3", &none)];
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    let pace = |now: &str| plan_pace(&plans, &team(), noon, 70, at(now));
    assert!(pace("2026-12-04 11:59").is_empty());
    let found = pace("2026-12-04 12:00");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].employee_id, "m1");
    assert!((found[0].completion - 0.3).abs() < 1e-9);
    assert_eq!(found[0].worst, Some(("calls_out".into(), 3.0, 10.0)));
    // After hours, and on a holiday: nobody.
    assert!(pace("2026-12-04 18:00").is_empty());
    assert!(pace("2026-12-03 12:30").is_empty());
}
