//! Figures worked out by hand from METRICS.md, on fixtures small enough to
//! check by eye. The expected numbers are counted from the definitions, not
//! copied from the code's output.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use salespulse::config::{Config, PlanConfig, PlanTarget, Ramp, StageConfig};
use salespulse::domain::{
    Activity, ActivityKind, Call, CallFields, Comment, Deal, Direction, Disposition, ExternalId,
    Phone, Role, StageChange, StageKind, Task, TaskPostponement, Temperature,
};
use salespulse::metrics::funnel::{bottleneck, funnel};
use salespulse::metrics::hygiene::{CrmRecords, HygieneRules, hygiene};
use salespulse::metrics::plan::{PlanStatus, check_self_report, plan_vs_actual};
use salespulse::metrics::pulse::{PulseRules, day_pulse};
use salespulse::report::figures::{self, Scope};

use crate::helpers::backends;

const DAY: (i32, u32, u32) = (2026, 11, 16);

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(DAY.0, DAY.1, DAY.2, h, m, s).unwrap()
}

fn id(s: &str) -> ExternalId {
    ExternalId::parse(s, "id").unwrap()
}

/// A call of `ivanov` that rings 0 s and talks `talk` s out of `len` s.
fn call(
    key: &str,
    dir: Direction,
    number: &str,
    start: DateTime<Utc>,
    len: i64,
    talk: i64,
) -> Call {
    Call::new(CallFields {
        source: "pbx".into(),
        external_id: key.into(),
        employee_id: Some("ivanov".into()),
        agent: Some("101".into()),
        direction: dir,
        number: number.into(),
        started_at: start,
        answered_at: (talk > 0).then(|| start + Duration::seconds(len - talk)),
        ended_at: start + Duration::seconds(len),
        talk_seconds: talk,
        disposition: if talk > 0 {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        },
        deal_ext: None,
        kind: None,
        leg_key: key.into(),
    })
    .unwrap()
}

/// The morning of METRICS.md's pulse, in UTC, working hours 09:00-18:00:
/// three active zones, wrap-ups 180, 90, 600 s in the first, 60 s in the
/// second, 120 s in the third; c6 is a missed inbound call; c3's number had a
/// successful contact the week before; c5's number belongs to an older deal;
/// c8 calls back c7's number minutes after a successful contact.
fn morning() -> Vec<Call> {
    use Direction::*;
    vec![
        call("c1", Outbound, "79000000001", t(9, 0, 0), 120, 100),
        call("c2", Outbound, "79000000002", t(9, 5, 0), 30, 0),
        call("c3", Outbound, "79000000003", t(9, 7, 0), 180, 150),
        call("c4", Outbound, "79000000004", t(9, 20, 0), 20, 10),
        call("c5", Outbound, "79000000005", t(10, 0, 0), 300, 280),
        call("c6", Inbound, "79000000006", t(10, 6, 0), 40, 0),
        call("c7", Outbound, "79000000007", t(11, 30, 0), 60, 45),
        call("c8", Outbound, "79000000007", t(11, 33, 0), 420, 400),
    ]
}

fn config() -> Config {
    let text = r#"
[[teams]]
id = "t"
name = "Team"
timezone = "UTC"
holidays = ["2026-11-04"]
[[employees]]
id = "ivanov"
name = "Иванов Иван"
team = "t"
ids = { pbx = "101" }
[[employees]]
id = "petrov"
name = "Петров Пётр"
team = "t"
[[stages]]
id = "new"
[[stages]]
id = "meeting"
stuck_after_days = 5
[[stages]]
id = "won"
kind = "won"
[[stages]]
id = "lost"
kind = "lost"
[[plans]]
role = "manager"
daily = { cold_calls = 5, warm_calls = 2, proposals = 1 }
[[sources]]
name = "pbx"
kind = "asterisk"
timezone = "UTC"
"#;
    Config::parse(text, std::path::Path::new("figures.toml"), &|_| None).unwrap()
}

fn deal(key: &str, owner: &str, stage: &str, created: DateTime<Utc>, phone: Option<&str>) -> Deal {
    Deal {
        source: "crm".into(),
        external_id: id(key),
        title: format!("Deal {key}"),
        employee_id: Some(owner.into()),
        owner_ext: None,
        stage: stage.into(),
        amount_minor: 100_000,
        currency: "RUB".into(),
        channel: Some("Сайт".into()),
        temperature: None,
        client_ext: None,
        phone: phone.map(Phone::normalize),
        created_at: created,
        stage_since: None,
        closed_at: None,
    }
}

#[tokio::test]
async fn a_morning_of_eight_calls_counted_by_hand_on_every_backend() {
    let mut reports = Vec::new();
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("pbx", "asterisk", "fixture", t(8, 0, 0))
            .await
            .unwrap();
        let mut calls = morning();
        // c3's number had a successful contact the week before.
        calls.push(call(
            "old",
            Direction::Outbound,
            "79000000003",
            t(9, 0, 0) - Duration::days(7),
            100,
            90,
        ));
        s.upsert_calls(run, &calls).await.unwrap();
        // Read twice, as a re-pull would: nothing may change.
        s.upsert_calls(run, &calls).await.unwrap();
        s.upsert_deals(
            run,
            &[deal(
                "D5",
                "petrov",
                "new",
                t(8, 0, 0) - Duration::days(3),
                Some("79000000005"),
            )],
        )
        .await
        .unwrap();

        let config = config();
        let day = NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap();
        let report = figures::build(
            s,
            &config,
            &Scope::Employee("Иванов".into()),
            day,
            day,
            t(19, 0, 0),
        )
        .await
        .unwrap();
        let e = &report.employees[0];
        let tel = &e.telephony;
        let v = |f: &salespulse::metrics::Figure| f.value;
        assert_eq!(v(&tel.calls_out), 7.0, "{}", db.name);
        assert_eq!(v(&tel.calls_in), 1.0);
        assert_eq!(v(&tel.missed), 1.0);
        assert_eq!(v(&tel.connected), 6.0); // c1 c3 c4 c5 c7 c8
        assert_eq!(v(&tel.successful_contacts), 5.0); // c4 talked 10 s
        assert_eq!(
            salespulse::words::Catalog::built_in().rule(
                salespulse::config::Locale::En,
                &tel.successful_contacts.rule
            ),
            "successful contacts = connected calls with talk >= 40 s = 5 of 6"
        );
        let ids: Vec<&str> = tel
            .successful_contacts
            .records
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["c1", "c3", "c5", "c7", "c8"]);
        assert_eq!(v(&tel.talk_time), 985.0); // 100+150+10+280+45+400
        assert!((v(&tel.talk_mean) - 985.0 / 6.0).abs() < 1e-9);
        assert_eq!(v(&tel.talk_median), 125.0); // (100+150)/2
        assert_eq!(
            (
                v(&tel.short_calls),
                v(&tel.medium_calls),
                v(&tel.long_calls)
            ),
            (2.0, 2.0, 2.0)
        );
        // Warm: c3 (success a week ago) and c8 (c7's success minutes before).
        assert_eq!(
            (v(&tel.warm_calls), v(&tel.cold_calls)),
            (2.0, 5.0),
            "{}",
            db.name
        );
        // Existing clients: c3 (called before), c5 (an older deal), c8 (c7 called it).
        assert_eq!(
            (v(&tel.existing_client_calls), v(&tel.new_client_calls)),
            (3.0, 5.0),
            "{}",
            db.name
        );

        let p = &e.pulse[0];
        assert_eq!(p.active_zones.len(), 3);
        assert_eq!(
            p.active_zones.iter().map(|z| z.calls).collect::<Vec<_>>(),
            [4, 2, 2]
        );
        // Gaps: 09:20:20-10:00 (2380 s), 10:06:40-11:30 (5000 s), 11:40-18:00 (22800 s).
        assert_eq!(
            p.idle_gaps.iter().map(|g| g.seconds()).collect::<Vec<_>>(),
            [2380, 5000, 22800]
        );
        assert_eq!(p.idle_total_secs, 30180);
        assert_eq!(p.longest_idle.map(|g| g.seconds()), Some(22800));
        // In zones: 1220 + 400 + 600 s of a 32400 s shift.
        assert!((p.share_in_calls - 2220.0 / 32400.0).abs() < 1e-9);
        assert_eq!(p.wrapups_after_successful, [180, 600, 60, 120]);
        assert_eq!(p.wrapups_after_unsuccessful, [90]);
        assert_eq!(p.wrapup_successful_median, Some(150.0));
        assert_eq!(p.wrapup_unsuccessful_median, Some(90.0));
        assert_eq!((p.peak_hour, p.peak_calls, p.potential), (Some(9), 4, 36));
        assert!((p.utilisation.unwrap() - 8.0 / 36.0).abs() < 1e-9);

        // Plan: 5 cold, 2 warm, 1 proposal; done 5, 2, 0.
        let lines: Vec<(&str, f64, f64)> = e
            .plan
            .lines
            .iter()
            .map(|l| (l.figure.as_str(), l.actual, l.target))
            .collect();
        assert_eq!(
            lines,
            [
                ("cold_calls", 5.0, 5.0),
                ("warm_calls", 2.0, 2.0),
                ("proposals", 0.0, 1.0)
            ]
        );
        assert_eq!(e.plan.status, PlanStatus::Missed);
        assert!((e.plan.completion.unwrap() - 2.0 / 3.0).abs() < 1e-9);

        let mut json = serde_json::to_value(&report).unwrap();
        json["period"] = serde_json::Value::Null;
        reports.push((db.name, json));
        db.finish().await;
    }
    // The same data gives the same figures on every backend.
    if let [(_, a), (_, b)] = reports.as_slice() {
        assert_eq!(a, b, "SQLite and Postgres disagree");
    }
}

fn pulse_rules(tz: chrono_tz::Tz) -> PulseRules {
    PulseRules {
        timezone: tz,
        work_start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        work_end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        idle_gap_secs: 900,
        success_secs: 40,
    }
}

#[test]
fn a_day_without_calls_is_one_idle_gap_of_the_whole_shift() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
    let p = day_pulse(day, &[], &pulse_rules(chrono_tz::UTC));
    assert_eq!(p.idle_gaps.len(), 1);
    assert_eq!(p.idle_total_secs, 9 * 3600);
    assert_eq!(p.share_in_calls, 0.0);
    assert_eq!(p.peak_hour, None);
    assert_eq!(p.utilisation, None);
}

#[test]
fn calls_outside_working_hours_and_across_midnight_count_but_make_no_idle_time() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
    let calls = [
        // 08:30-08:40, before the shift.
        call(
            "early",
            Direction::Outbound,
            "79000000001",
            t(8, 30, 0),
            600,
            500,
        ),
        // 23:50 to 00:20 the next day.
        call(
            "late",
            Direction::Outbound,
            "79000000002",
            t(23, 50, 0),
            1800,
            1700,
        ),
    ];
    let p = day_pulse(day, &calls, &pulse_rules(chrono_tz::UTC));
    assert_eq!(p.calls, 2);
    // The whole shift is idle: neither call is inside 09:00-18:00.
    assert_eq!(p.idle_total_secs, 9 * 3600);
    assert_eq!(p.share_in_calls, 0.0);
    assert_eq!(
        p.last_call_end,
        Some(t(23, 50, 0) + Duration::seconds(1800))
    );
}

#[test]
fn the_spring_dst_day_still_has_a_nine_hour_shift() {
    // Berlin moved its clocks at 02:00 on 2026-03-29; the shift is 09:00-18:00 CEST.
    let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 3, 29, 7, 0, 0).unwrap(); // 09:00 CEST
    let calls = [call(
        "c",
        Direction::Outbound,
        "79000000001",
        start,
        600,
        500,
    )];
    let p = day_pulse(day, &calls, &pulse_rules(chrono_tz::Europe::Berlin));
    assert_eq!(p.working_hours.seconds(), 9 * 3600);
    assert_eq!(p.idle_total_secs, 9 * 3600 - 600);
    assert_eq!(p.peak_hour, Some(9));
}

fn task(
    key: &str,
    deal: &str,
    created: DateTime<Utc>,
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
) -> Task {
    Task {
        source: "crm".into(),
        external_id: id(key),
        deal_ext: Some(deal.into()),
        employee_id: Some("ivanov".into()),
        owner_ext: None,
        title: format!("Task {key}"),
        created_at: created,
        due_at: due,
        completed_at: done,
    }
}

#[test]
fn hygiene_counted_by_hand() {
    let day0 = t(0, 0, 0);
    let deals = vec![
        deal(
            "D1",
            "ivanov",
            "new",
            day0 - Duration::days(5),
            Some("79000000001"),
        ),
        deal(
            "D2",
            "ivanov",
            "meeting",
            day0 - Duration::days(5),
            Some("79000000002"),
        ),
        deal("D3", "ivanov", "won", day0 - Duration::days(5), None),
        deal(
            "D4",
            "ivanov",
            "new",
            day0 - Duration::days(5),
            Some("79000000004"),
        ),
    ];
    let tasks = vec![
        // Overdue since yesterday, on D1.
        task(
            "T1",
            "D1",
            day0 - Duration::days(3),
            day0 - Duration::days(1),
            None,
        ),
        // Done on time.
        task(
            "T2",
            "D2",
            day0 - Duration::days(3),
            day0 - Duration::days(2),
            Some(day0 - Duration::days(2)),
        ),
        // Due today at 10:00, still open at 19:00: overdue and unfinished.
        task("T3", "D4", day0 - Duration::days(1), t(10, 0, 0), None),
        // Moved today twice with nothing done: two moves without action.
        task(
            "T4",
            "D4",
            day0 - Duration::days(4),
            t(20, 0, 0) + Duration::days(3),
            None,
        ),
        // Moved today after a call on its deal: not "without action".
        task(
            "T5",
            "D2",
            day0 - Duration::days(4),
            t(20, 0, 0) + Duration::days(2),
            None,
        ),
    ];
    let moved = |task: &str, at: DateTime<Utc>| TaskPostponement {
        source: "crm".into(),
        task_ext: id(task),
        old_due: at,
        new_due: at + Duration::days(1),
        changed_at: at,
    };
    let postponements = vec![
        moved("T4", t(9, 0, 0)),
        moved("T4", t(15, 0, 0)),
        moved("T5", t(16, 0, 0)),
    ];
    let calls = vec![
        // Successful, on D1's phone, followed by a comment 30 min later: traced.
        call(
            "k1",
            Direction::Outbound,
            "79000000001",
            t(11, 0, 0),
            120,
            100,
        ),
        // Successful, on D2's phone, nothing follows: no trace. Also the call
        // that makes T5's move an action.
        call(
            "k2",
            Direction::Outbound,
            "79000000002",
            t(12, 0, 0),
            120,
            100,
        ),
        // Successful but about no deal: not counted either way.
        call(
            "k3",
            Direction::Outbound,
            "79000000009",
            t(13, 0, 0),
            120,
            100,
        ),
    ];
    let comment = |key: &str, deal: &str, at: DateTime<Utc>, text: &str| Comment {
        source: "crm".into(),
        external_id: id(key),
        deal_ext: Some(deal.into()),
        employee_id: Some("ivanov".into()),
        author_ext: None,
        at,
        text: text.into(),
    };
    let comments = vec![
        comment(
            "K1",
            "D1",
            t(11, 32, 0),
            "Обсудили объём поставки, ждут КП до пятницы",
        ),
        comment("K2", "D4", t(14, 0, 0), "Позвонил, связался."),
    ];
    let activities = vec![Activity {
        source: "crm".into(),
        external_id: id("A1"),
        deal_ext: Some("D3".into()),
        employee_id: Some("ivanov".into()),
        owner_ext: None,
        kind: ActivityKind::Meeting,
        at: t(17, 0, 0),
    }];
    let config = config();
    let open: Vec<String> = vec!["new".into(), "meeting".into()];
    let rules = HygieneRules {
        success_secs: 40,
        trace_window_secs: 7200,
        weak_comment_min_chars: 20,
        weak_comment_phrases: &config.thresholds.weak_comment_phrases,
        postponement_lookback_days: 7,
    };
    // What is open now, by the in-memory definition the database's counts
    // follow.
    let open_work =
        salespulse::metrics::open_work::open_work("ivanov", &deals, &tasks, &open, t(19, 0, 0));
    let crm = CrmRecords {
        deals: &deals,
        stage_changes: &[],
        tasks: &tasks,
        postponements: &postponements,
        activities: &activities,
        comments: &comments,
        earlier_calls: &[],
        open: &open_work,
    };
    let h = hygiene(
        "ivanov",
        &calls,
        crm,
        day0,
        day0 + Duration::days(1),
        t(19, 0, 0),
        &rules,
    );
    let ids = |f: &salespulse::metrics::Figure| {
        f.records.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    };
    // Comments on D1 and D4, the meeting on D3.
    assert_eq!(ids(&h.cards_touched), ["D1", "D3", "D4"]);
    assert_eq!(ids(&h.overdue_tasks), ["T1", "T3"]);
    assert_eq!(h.oldest_overdue_days.value, 1.0);
    assert_eq!(ids(&h.postponed_without_action), ["T4", "T4"]);
    assert!(
        salespulse::words::Catalog::built_in()
            .rule(
                salespulse::config::Locale::En,
                &h.postponed_without_action.rule
            )
            .ends_with("= 2 of 3 moves"),
        "{}",
        salespulse::words::Catalog::built_in().rule(
            salespulse::config::Locale::En,
            &h.postponed_without_action.rule
        )
    );
    // Open deals D1, D2, D4; D1 has T1, D2 has T5, D4 has T3 and T4.
    assert_eq!(h.deals_without_next_task.value, 0.0);
    assert!((h.open_tasks_per_open_deal.value - 4.0 / 3.0).abs() < 1e-9);
    assert_eq!(ids(&h.calls_without_trace), ["k2"]);
    assert!(
        salespulse::words::Catalog::built_in()
            .rule(salespulse::config::Locale::En, &h.calls_without_trace.rule)
            .ends_with("= 1 of 2")
    );
    assert_eq!(ids(&h.calls_about_deals), ["k1", "k2"]);
    assert_eq!(ids(&h.weak_comments), ["K2"]);
    assert_eq!(h.comments.value, 2.0);
    assert_eq!(h.weak_comment_share.value, 0.5);
    assert_eq!(ids(&h.unfinished_tasks), ["T3"]);
}

fn change(key: &str, deal: &str, from: Option<&str>, to: &str, at: DateTime<Utc>) -> StageChange {
    StageChange {
        source: "crm".into(),
        external_id: id(key),
        deal_ext: id(deal),
        from_stage: from.map(String::from),
        to_stage: to.into(),
        changed_at: at,
        employee_id: Some("ivanov".into()),
        author_ext: None,
    }
}

#[test]
fn funnel_counted_by_hand() {
    let config = config();
    let week = t(0, 0, 0);
    let (from, to, now) = (week, week + Duration::days(7), week + Duration::days(7));
    let mut deals = [
        // Created in the week, moved new -> meeting, then won.
        deal("A", "ivanov", "won", week + Duration::days(1), None),
        // Created in the week, still new.
        deal("B", "ivanov", "new", week + Duration::days(2), None),
        // At meeting for 20 days: stuck (threshold 5).
        deal("C", "ivanov", "meeting", week - Duration::days(13), None),
        // Won before, reopened into meeting three days ago: not stuck.
        deal("D", "ivanov", "meeting", week - Duration::days(30), None),
        // Lost in the week, a hot lead.
        deal("E", "ivanov", "lost", week - Duration::days(2), None),
    ];
    deals[0].temperature = Some(Temperature::Hot);
    deals[4].temperature = Some(Temperature::Hot);
    deals[0].amount_minor = 500_000;
    let changes = vec![
        change("s1", "A", Some("new"), "meeting", week + Duration::days(2)),
        change("s2", "A", Some("meeting"), "won", week + Duration::days(4)),
        change("s3", "C", Some("new"), "meeting", week - Duration::days(13)),
        change("s4", "D", Some("meeting"), "won", week - Duration::days(10)),
        change("s5", "D", Some("won"), "meeting", week + Duration::days(4)),
        change("s6", "E", Some("new"), "lost", week + Duration::days(3)),
    ];
    let refs: Vec<&Deal> = deals.iter().collect();
    let f = funnel(&refs, &changes, &config.stages, from, to, now);
    let rows: Vec<(&str, usize, usize, usize)> = f
        .stages
        .iter()
        .map(|r| (r.stage.as_str(), r.open_deals, r.entered, r.went_on))
        .collect();
    // "new": A and B were created there; A went on. "meeting": A and D
    // entered; A went on (won), D did not.
    assert_eq!(rows, [("new", 1, 2, 1), ("meeting", 2, 2, 1)]);
    assert_eq!(f.won.value, 1.0);
    assert_eq!(f.lost.value, 1.0);
    assert_eq!(f.win_rate.value, 0.5);
    assert_eq!(f.revenue.value, 500_000.0);
    let stuck: Vec<(&str, i64)> = f
        .stuck
        .iter()
        .map(|s| (s.deal.as_str(), s.days_in_stage))
        .collect();
    assert_eq!(stuck, [("C", 20)]);
    let hot = &f.temperature[0];
    assert_eq!((hot.closed, hot.won), (2, 1));
    let site = f.channels.iter().find(|c| c.channel == "Сайт").unwrap();
    assert_eq!((site.leads, site.won, site.revenue_minor), (2, 1, 500_000));

    // Against a team whose open deals are all at "new", meeting is this person's bottleneck.
    let team_deals: Vec<Deal> = (0..6)
        .map(|i| deal(&format!("N{i}"), "petrov", "new", week, None))
        .collect();
    let mut all: Vec<&Deal> = team_deals.iter().collect();
    all.extend(refs.iter().copied());
    let team = funnel(&all, &changes, &config.stages, from, to, now);
    let neck = bottleneck(&f, &team).unwrap();
    assert_eq!(neck.stage, "meeting");
    assert!((neck.share - 2.0 / 3.0).abs() < 1e-9);
    assert!((neck.team_share - 2.0 / 9.0).abs() < 1e-9);
}

#[test]
fn plans_use_working_days_ramps_and_the_sales_plan() {
    let config = config();
    let team = &config.teams[0];
    // 2026-11-02 (Mon) to 2026-11-08 (Sun), with the 4th a holiday: 4 working days.
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 11, 8).unwrap();
    let actuals: BTreeMap<String, f64> = [
        ("cold_calls", 20.0),
        ("warm_calls", 8.0),
        ("proposals", 3.0),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into();
    let r = plan_vs_actual(
        &config.plans,
        "ivanov",
        Role::Manager,
        team,
        first,
        last,
        &actuals,
        0,
        0,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    );
    assert_eq!(r.working_days, 4);
    let lines: Vec<(&str, f64, bool)> = r
        .lines
        .iter()
        .map(|l| (l.figure.as_str(), l.target, l.met))
        .collect();
    assert_eq!(
        lines,
        [
            ("cold_calls", 20.0, true),
            ("warm_calls", 8.0, true),
            ("proposals", 4.0, false)
        ]
    );
    assert_eq!(r.status, PlanStatus::Missed);

    // A ramp from 50 % rising 25 % a week, and a sales plan that is met.
    let mut plans = config.plans.clone();
    plans.push(PlanConfig {
        target: PlanTarget::Employee("ivanov".into()),
        from: Some(NaiveDate::from_ymd_opt(2026, 10, 26).unwrap()),
        daily: [("proposals".to_owned(), 2.0)].into(),
        ramp: Some(Ramp {
            start: 0.5,
            step: 0.25,
            every_days: 7,
        }),
        monthly_revenue: Some(1000.0),
        monthly_deals_won: None,
    });
    // Week two of the ramp: 75 % of 2 a day over 4 working days = 6.
    let r = plan_vs_actual(
        &plans,
        "ivanov",
        Role::Manager,
        team,
        first,
        last,
        &actuals,
        100_000,
        1,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    );
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].target, 6.0);
    assert!(!r.lines[0].met);
    // 1000 a month over 20 working days in November: 4 days ask for 200.00.
    let sales = r.sales.as_ref().unwrap();
    assert_eq!(sales.revenue_target_minor, Some(20_000.0));
    assert!(sales.met);
    assert_eq!(r.status, PlanStatus::Info);

    // Someone with no plan at all.
    let r = plan_vs_actual(
        &[],
        "petrov",
        Role::Manager,
        team,
        first,
        last,
        &actuals,
        0,
        0,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    );
    assert_eq!(r.status, PlanStatus::NoPlan);
}

#[test]
fn self_reports_beyond_the_tolerance_are_flagged() {
    let measured: BTreeMap<String, f64> = [("cold_calls", 30.0), ("warm_calls", 5.0)]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
    let reported: BTreeMap<String, f64> = [("cold_calls", 32.0), ("warm_calls", 9.0)]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
    let lines = check_self_report(&reported, &measured, 10.0, 2);
    // 32 vs 30: within 10 % (3). 9 vs 5: beyond both 10 % and 2.
    assert_eq!(
        lines.iter().map(|l| l.flagged).collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(lines[1].difference, 4.0);
}

#[test]
fn a_stage_without_its_own_threshold_uses_the_default() {
    let config = config();
    let new = config.stages.iter().find(|s| s.id == "new").unwrap();
    assert_eq!(new.stuck_after_days, 7);
    assert_eq!(new.kind, StageKind::Open);
    let meeting: &StageConfig = &config.stages[1];
    assert_eq!(meeting.stuck_after_days, 5);
}

#[tokio::test]
async fn a_persons_bottleneck_is_measured_against_the_same_team_counts_either_way() {
    use salespulse::report::figures::{TeamFunnel, build_with};
    for db in backends().await {
        let s = db.store.as_ref();
        let config = config();
        let run = s
            .start_run("crm", "crm_files", "f", t(7, 0, 0))
            .await
            .unwrap();
        let before = t(8, 0, 0) - Duration::days(20);
        let mut deals = vec![
            deal("I1", "ivanov", "meeting", before, None),
            deal("I2", "ivanov", "meeting", before, None),
            deal("I3", "ivanov", "new", before, None),
        ];
        for n in 0..6 {
            deals.push(deal(&format!("P{n}"), "petrov", "new", before, None));
        }
        deals.push(deal("PW", "petrov", "won", before, None));
        s.upsert_deals(run, &deals).await.unwrap();
        s.finish_run(run, &Default::default(), t(7, 1, 0))
            .await
            .unwrap();
        let day = NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap();
        let who = Scope::Employee("ivanov".into());
        let at = t(19, 0, 0);
        let want = figures::Want {
            team_funnel: TeamFunnel::Full,
            records: true,
        };
        let full = build_with(s, &config, &who, day, day, at, want)
            .await
            .unwrap();
        let counted = figures::build(s, &config, &who, day, day, at)
            .await
            .unwrap();
        let open = |r: &figures::FiguresReport| -> Vec<(String, usize)> {
            r.team_funnel
                .stages
                .iter()
                .map(|st| (st.stage.clone(), st.open_deals))
                .collect()
        };
        assert_eq!(open(&full), open(&counted), "{}", db.name);
        assert!(
            open(&counted).contains(&("new".to_owned(), 7)),
            "{:?}",
            open(&counted)
        );
        // 2 of Ivanov's 3 open deals wait at "meeting", against 2 of the team's 9.
        let neck = counted.employees[0]
            .bottleneck
            .clone()
            .expect("a bottleneck");
        assert_eq!(neck.stage, "meeting");
        assert_eq!(
            full.employees[0].bottleneck,
            counted.employees[0].bottleneck
        );

        // New data (a run) is seen at once, though the counts are reused otherwise.
        let run = s
            .start_run("crm", "crm_files", "g", t(7, 5, 0))
            .await
            .unwrap();
        s.upsert_deals(run, &[deal("P9", "petrov", "meeting", before, None)])
            .await
            .unwrap();
        s.finish_run(run, &Default::default(), t(7, 6, 0))
            .await
            .unwrap();
        let again = figures::build(s, &config, &who, day, day, at)
            .await
            .unwrap();
        assert!(
            open(&again).contains(&("meeting".to_owned(), 3)),
            "{:?}",
            open(&again)
        );
        db.finish().await;
    }
}
