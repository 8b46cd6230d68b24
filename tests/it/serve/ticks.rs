//! The scheduler tick by tick at chosen instants, no sleeping, on both
//! backends: a working week and the next Monday, the same instant twice,
//! a restart after 3 hours and after 2 days, and both DST changes.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use salespulse::config::Config;
use salespulse::serve::firing::{TickReport, tick};
use salespulse::storage::{self, Store};

use super::{HEAD_CHAT, TEAM_CHAT, TOKEN_ENV, config_text, demo, ingest};
use crate::helpers::backends;

const ADMIN_CHAT: i64 = 7;

const TELEGRAM: &str = "[telegram]\ntoken_env = \"TEST_BOT_TOKEN\"\nadmin_chat_id = 7\n";

/// The morning digest to the team's chat and head (09:00 Moscow, Monday to
/// Friday) and the weekly report to a file (08:00 Moscow on Mondays).
const WEEK: &str = r#"
[[schedules]]
name = "morning-digest"
cron = "0 9 * * 1-5"
job = "digest"
team = "moscow"
deliver = "telegram"

[[schedules]]
name = "weekly-owner"
cron = "0 8 * * 1"
job = "weekly"
team = "moscow"
deliver = "file"
"#;

/// 02:30 every night in Berlin, a slot that the spring change skips and
/// the autumn one repeats.
fn berlin(name: &str) -> String {
    format!(
        "[[schedules]]\nname = \"{name}\"\ncron = \"30 2 * * *\"\ntimezone = \"Europe/Berlin\"\n\
         job = \"digest\"\nteam = \"moscow\"\ndeliver = \"file\"\n"
    )
}

fn parse(dir: &Path, schedules: &str) -> Config {
    let text = config_text(dir, true, &format!("{schedules}\n{TELEGRAM}"));
    Config::parse(&text, &dir.join("serve.toml"), &|k| {
        (k == TOKEN_ENV).then(|| "123:test".to_owned())
    })
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn of(pairs: &[(String, String)], schedule: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(s, _)| s == schedule)
        .map(|(_, slot)| slot.clone())
        .collect()
}

fn slots(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn rows(store: &Arc<Store>) -> i64 {
    store
        .outbox_counts()
        .await
        .unwrap()
        .iter()
        .map(|c| c.rows)
        .sum()
}

/// Claims every pending row, as (schedule, slot, recipient) and payload,
/// checking that none is there twice.
async fn claim_all(store: &Arc<Store>, name: &str) -> (Vec<(String, String, String)>, Vec<String>) {
    let far = at("2030-01-01T00:00:00Z");
    let claimed = store
        .claim_outbox("check", far, far + Duration::hours(1), 10_000, 100)
        .await
        .unwrap();
    let keys: Vec<_> = claimed
        .iter()
        .map(|r| (r.schedule.clone(), r.slot.clone(), r.recipient.to_string()))
        .collect();
    let unique: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(unique.len(), keys.len(), "{name}: a row twice: {keys:?}");
    (keys, claimed.into_iter().map(|r| r.payload).collect())
}

struct Ticker<'a> {
    store: Arc<Store>,
    config: &'a Config,
    out: &'a Path,
    name: &'static str,
}

impl Ticker<'_> {
    async fn at(&self, now: DateTime<Utc>) -> TickReport {
        let report = tick(&self.store, self.config, self.out, now)
            .await
            .unwrap_or_else(|e| panic!("{}: tick at {now}: {e:#}", self.name));
        assert!(report.failed.is_empty(), "{}: {report:?}", self.name);
        report
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_ticks_through_a_week_a_restart_and_dst_changes() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path()).await;
    for db in backends().await {
        ingest(dir.path(), &db.url).await;
        let out = dir.path().join(format!("out-{}", db.name));
        week_and_restart(&db.store, &db.url, dir.path(), &out, db.name).await;
        dst(&db.store, dir.path(), &out, db.name).await;
        db.finish().await;
    }
}

async fn week_and_restart(
    store: &Arc<Store>,
    url: &str,
    dir: &Path,
    out: &Path,
    name: &'static str,
) {
    let config = parse(dir, WEEK);
    let ticker = Ticker {
        store: store.clone(),
        config: &config,
        out,
        name,
    };
    // The very first tick (Monday 07:30 Moscow) fires nothing.
    let monday = at("2026-11-23T04:30:00Z");
    assert_eq!(ticker.at(monday).await, TickReport::default(), "{name}");
    assert_eq!(rows(store).await, 0, "{name}");

    // Every 3 hours to the next Monday 10:30 Moscow: always within the
    // grace period of the slot before.
    let mut fired = Vec::new();
    let mut now = monday;
    let mut once_more = true;
    while now < at("2026-11-30T07:30:00Z") {
        now += Duration::hours(3);
        let report = ticker.at(now).await;
        assert!(report.missed.is_empty(), "{name} at {now}: {report:?}");
        if once_more && !report.fired.is_empty() {
            // The same instant again, here and by another handle (another
            // instance), adds nothing.
            once_more = false;
            let before = rows(store).await;
            assert_eq!(ticker.at(now).await, TickReport::default(), "{name}");
            let other = Ticker {
                store: storage::open(url).await.unwrap(),
                ..ticker
            };
            assert_eq!(other.at(now).await, TickReport::default(), "{name}");
            other.store.close().await;
            assert_eq!(rows(store).await, before, "{name}");
        }
        fired.extend(report.fired);
    }
    assert!(!once_more, "{name}: nothing fired all week");
    assert_eq!(
        of(&fired, "morning-digest"),
        slots(&[
            "2026-11-23T09:00",
            "2026-11-24T09:00",
            "2026-11-25T09:00",
            "2026-11-26T09:00",
            "2026-11-27T09:00",
            "2026-11-30T09:00",
        ]),
        "{name}: Monday to Friday, not on the weekend"
    );
    assert_eq!(
        of(&fired, "weekly-owner"),
        slots(&["2026-11-23T08:00", "2026-11-30T08:00"]),
        "{name}: Mondays"
    );

    // One row per (schedule, slot, recipient): the digest to the group chat
    // and to the head, the weekly report to its file.
    let mut want = Vec::new();
    for (schedule, slot) in &fired {
        let recipients = match schedule.as_str() {
            "morning-digest" => vec![
                format!("telegram:{HEAD_CHAT}"),
                format!("telegram:{TEAM_CHAT}"),
            ],
            _ => vec!["file:moscow".to_owned()],
        };
        for r in recipients {
            want.push((schedule.clone(), slot.clone(), r));
        }
    }
    want.sort();
    let (mut got, _) = claim_all(store, name).await;
    got.sort();
    assert_eq!(got, want, "{name}");

    // A restart: a new handle on the same database goes on from the marks.
    let store = storage::open(url).await.unwrap();
    let ticker = Ticker {
        store: store.clone(),
        ..ticker
    };
    // Tuesday 12:00 Moscow, 3 hours after the slot (grace 6 h): it fires late.
    let report = ticker.at(at("2026-12-01T09:00:00Z")).await;
    assert_eq!(
        report.fired,
        vec![("morning-digest".to_owned(), "2026-12-01T09:00".to_owned())],
        "{name}"
    );
    assert!(report.missed.is_empty(), "{name}: {report:?}");

    // Down until Thursday 23:00 Moscow: Wednesday's and Thursday's digests
    // are over 6 hours late, recorded missed, and the admin told once.
    let thursday = at("2026-12-03T20:00:00Z");
    let report = ticker.at(thursday).await;
    assert!(report.fired.is_empty(), "{name}: {report:?}");
    assert_eq!(
        of(&report.missed, "morning-digest"),
        slots(&["2026-12-02T09:00", "2026-12-03T09:00"]),
        "{name}"
    );
    assert_eq!(report.missed.len(), 2, "{name}: {report:?}");
    assert_eq!(
        ticker.at(thursday).await,
        TickReport::default(),
        "{name}: the same outage is not reported twice"
    );
    let (mut got, payloads) = claim_all(&store, name).await;
    let note = got
        .iter()
        .position(|(_, _, r)| *r == format!("telegram:{ADMIN_CHAT}"))
        .map(|i| payloads[i].clone())
        .unwrap_or_default();
    assert!(
        note.contains(&format!("\"chat\":{ADMIN_CHAT}"))
            && note.contains("пропущена 2 раза, с 2026-12-02T09:00 по 2026-12-03T09:00"),
        "{name}: {note}"
    );
    got.sort();
    let late = |r: String| {
        (
            "morning-digest".to_owned(),
            "2026-12-01T09:00".to_owned(),
            r,
        )
    };
    let mut want = vec![
        late(format!("telegram:{HEAD_CHAT}")),
        late(format!("telegram:{TEAM_CHAT}")),
        (
            "morning-digest".to_owned(),
            "2026-12-03T09:00".to_owned(),
            format!("telegram:{ADMIN_CHAT}"),
        ),
    ];
    want.sort();
    assert_eq!(
        got, want,
        "{name}: the late digest and one note to the admin chat"
    );
    store.close().await;
}

async fn dst(store: &Arc<Store>, dir: &Path, out: &Path, name: &'static str) {
    // Spring: on 2026-03-29 Berlin goes from 02:00 CET to 03:00 CEST, at
    // 01:00 UTC; 02:30 does not exist and fires at 03:00 local.
    let config = parse(dir, &berlin("berlin-spring"));
    let ticker = Ticker {
        store: store.clone(),
        config: &config,
        out,
        name,
    };
    let fires = |report: TickReport| of(&report.fired, "berlin-spring");
    assert_eq!(
        ticker.at(at("2026-03-27T23:00:00Z")).await,
        TickReport::default()
    );
    let before = rows(store).await;
    assert_eq!(
        fires(ticker.at(at("2026-03-28T01:30:00Z")).await),
        slots(&["2026-03-28T02:30"]),
        "{name}: 02:30 CET"
    );
    assert_eq!(
        fires(ticker.at(at("2026-03-29T00:59:59Z")).await),
        slots(&[]),
        "{name}: 01:59:59 CET, before the gap"
    );
    assert_eq!(
        fires(ticker.at(at("2026-03-29T01:00:00Z")).await),
        slots(&["2026-03-29T02:30"]),
        "{name}: 03:00 CEST, the end of the gap"
    );
    for later in ["2026-03-29T01:30:00Z", "2026-03-29T06:00:00Z"] {
        assert_eq!(
            ticker.at(at(later)).await,
            TickReport::default(),
            "{name} at {later}"
        );
    }
    assert_eq!(
        fires(ticker.at(at("2026-03-30T00:30:00Z")).await),
        slots(&["2026-03-30T02:30"]),
        "{name}: 02:30 CEST"
    );
    assert_eq!(rows(store).await, before + 3, "{name}: a file row each");

    // Autumn: on 2026-10-25 Berlin goes from 03:00 CEST back to 02:00 CET,
    // at 01:00 UTC; 02:30 comes twice and fires at the first.
    let config = parse(dir, &berlin("berlin-autumn"));
    let ticker = Ticker {
        config: &config,
        ..ticker
    };
    let fires = |report: TickReport| of(&report.fired, "berlin-autumn");
    assert_eq!(
        ticker.at(at("2026-10-24T22:00:00Z")).await,
        TickReport::default()
    );
    let before = rows(store).await;
    assert_eq!(
        fires(ticker.at(at("2026-10-25T00:29:59Z")).await),
        slots(&[]),
        "{name}"
    );
    assert_eq!(
        fires(ticker.at(at("2026-10-25T00:30:00Z")).await),
        slots(&["2026-10-25T02:30"]),
        "{name}: 02:30 CEST, the first of the two"
    );
    for later in [
        "2026-10-25T01:30:00Z",
        "2026-10-25T01:31:00Z",
        "2026-10-25T06:00:00Z",
    ] {
        assert_eq!(
            ticker.at(at(later)).await,
            TickReport::default(),
            "{name} at {later}: 02:30 CET is the same slot"
        );
    }
    assert_eq!(
        fires(ticker.at(at("2026-10-26T01:30:00Z")).await),
        slots(&["2026-10-26T02:30"]),
        "{name}: 02:30 CET"
    );
    assert_eq!(rows(store).await, before + 2, "{name}: a file row each");
}
