//! The real `salespulse serve` as processes, on a fast injected clock:
//! two instances sharing one Postgres deliver each report exactly once;
//! one killed with SIGKILL mid-delivery goes on after a restart, sending
//! at most the message in flight twice.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use super::{
    HEAD_CHAT, Sent, Serve, TEAM_CHAT, TOKEN_ENV, config_text, demo, ingest, journal, wait_until,
};
use crate::fake_telegram::{self, Script};
use crate::helpers::postgres;

const API_URL_ENV: &str = salespulse::delivery::telegram::API_URL_ENV;
const DB_ENV: &str = salespulse::config::DATABASE_URL_ENV;

/// The text of a sendMessage call.
fn text_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["text"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_deliver_each_report_exactly_once() {
    let Some(db) = postgres().await else {
        eprintln!("SKIPPED: two serve processes need a shared Postgres");
        return;
    };
    let fake = fake_telegram::start(Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path()).await;
    ingest(dir.path(), &db.url).await;
    let journal_path = dir.path().join("journal.jsonl");
    // A grace of a day and a long lease, both in clock time: at 3,600 times
    // real time a render or a send of a second takes an hour of the clock.
    let rest = format!(
        r#"
[[schedules]]
name = "morning-digest"
cron = "0 9 * * 1-5"
job = "digest"
team = "moscow"
deliver = "telegram"
grace_hours = 24

[[schedules]]
name = "evening-file"
cron = "0 18 * * 1-5"
job = "digest"
team = "moscow"
deliver = "file"
grace_hours = 24

[[schedules]]
name = "weekly-owner"
cron = "0 8 * * 1"
job = "weekly"
team = "moscow"
deliver = "file"
grace_hours = 24

[telegram]
token_env = "{TOKEN_ENV}"

[serve]
listen = ""
out_dir = "{out}"
journal = "{journal}"
tick_secs = 300
lease_secs = 86400
"#,
        out = dir.path().join("out-serve").display(),
        journal = journal_path.display(),
    );
    std::fs::write(
        dir.path().join("serve.toml"),
        config_text(dir.path(), true, &rest),
    )
    .unwrap();
    let env = [
        (DB_ENV, db.url.as_str()),
        (TOKEN_ENV, "123:test"),
        (API_URL_ENV, fake.url.as_str()),
    ];
    // Monday 03:00 Moscow, an hour of the clock per second.
    let args = ["--clock-start", "2026-11-23T00:00:00Z", "--speed", "3600"];
    let mut a = Serve::start(dir.path(), "a", "serve.toml", &args, &env);
    let mut b = Serve::start(dir.path(), "b", "serve.toml", &args, &env);

    // Monday to Tuesday evening.
    let row =
        |schedule: &str, slot: String, recipient: String| (schedule.to_owned(), slot, recipient);
    let mut want = BTreeSet::from([row(
        "weekly-owner",
        "2026-11-23T08:00".into(),
        "file:moscow".into(),
    )]);
    for day in ["2026-11-23", "2026-11-24"] {
        for chat in [TEAM_CHAT, HEAD_CHAT] {
            want.insert(row(
                "morning-digest",
                format!("{day}T09:00"),
                format!("telegram:{chat}"),
            ));
        }
        want.insert(row(
            "evening-file",
            format!("{day}T18:00"),
            "file:moscow".into(),
        ));
    }
    let key = |s: &Sent| (s.schedule.clone(), s.slot.clone(), s.recipient.clone());
    wait_until(
        "two days of reports in the journal",
        Duration::from_secs(300),
        &mut [&mut a, &mut b],
        || {
            let got: BTreeSet<_> = journal(&journal_path).iter().map(key).collect();
            want.is_subset(&got)
        },
    )
    .await;

    // SIGTERM: both finish what is in hand and exit 0.
    a.terminate();
    b.terminate();
    for s in [&mut a, &mut b] {
        let status = s.exited(Duration::from_secs(90)).await;
        assert!(status.success(), "serve {}: {status}\n{}", s.name, s.log());
    }

    let sent = journal(&journal_path);
    let mut times: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for s in &sent {
        times.entry(key(s)).or_default().push(s.instance.clone());
    }
    let twice: Vec<_> = times.iter().filter(|(_, who)| who.len() > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let instances: BTreeSet<&str> = sent
        .iter()
        .map(|s| s.instance.split('#').next().unwrap_or_default())
        .collect();
    eprintln!(
        "{} rows delivered once each, by instance(s) {instances:?}",
        sent.len()
    );

    // What reached Telegram: each message and each group of charts once.
    let mut texts: BTreeMap<(i64, String), usize> = BTreeMap::new();
    for call in fake.calls("sendmessage") {
        *texts.entry((call.chat(), text_of(&call.body))).or_default() += 1;
    }
    let repeated: Vec<_> = texts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "sent twice: {repeated:?}");
    // Monday's digest (of Friday) has its charts; Tuesday's is of Monday
    // 23.11, after the demo's data ends: one line, no charts.
    for chat in [TEAM_CHAT, HEAD_CHAT] {
        let rows = sent
            .iter()
            .filter(|s| s.recipient == format!("telegram:{chat}"))
            .count();
        assert_eq!(rows, 2, "digests to chat {chat}");
        let groups = fake
            .calls("sendmediagroup")
            .iter()
            .filter(|c| c.chat() == chat)
            .count();
        assert_eq!(groups, 1, "chart groups to chat {chat}");
        assert!(
            texts
                .keys()
                .any(|(c, t)| *c == chat && t.starts_with("Данных за пн 23.11 нет")),
            "{texts:?}"
        );
    }
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_mid_delivery_sends_the_rest_after_a_restart() {
    // Telegram answers each send after 2 s: the kill lands while one is
    // in flight.
    let fake = fake_telegram::start(Script {
        delay_ms: 2000,
        ..Script::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path()).await;
    let journal_path = dir.path().join("journal.jsonl");
    // The lease (clock time) outlasts a delivery (a minute of real time at
    // 60 times real time), and has run out when the restart's clock starts.
    let rest = format!(
        r#"
[[schedules]]
name = "morning-digest"
cron = "0 9 * * 1-5"
job = "digest"
team = "moscow"
deliver = "telegram"

[telegram]
token_env = "{TOKEN_ENV}"

[serve]
listen = ""
out_dir = "{out}"
journal = "{journal}"
tick_secs = 60
lease_secs = 3600
"#,
        out = dir.path().join("out-serve").display(),
        journal = journal_path.display(),
    );
    std::fs::write(
        dir.path().join("serve.toml"),
        config_text(dir.path(), false, &rest),
    )
    .unwrap();
    let env = [(TOKEN_ENV, "123:test"), (API_URL_ENV, fake.url.as_str())];
    let sends = || {
        let calls = fake.calls.lock().unwrap();
        calls
            .iter()
            .filter(|c| c.method.starts_with("send"))
            .cloned()
            .collect::<Vec<_>>()
    };

    // Monday 08:55 Moscow, a minute of the clock per second.
    let mut first = Serve::start(
        dir.path(),
        "first",
        "serve.toml",
        &["--clock-start", "2026-11-23T05:55:00Z", "--speed", "60"],
        &env,
    );
    // (After its one try of a rich message, answered "method not found".)
    let messages_sent = || {
        sends()
            .iter()
            .filter(|c| c.method != "sendrichmessage")
            .count()
    };
    wait_until(
        "the digest's first message at Telegram",
        Duration::from_secs(180),
        &mut [&mut first],
        || messages_sent() > 0,
    )
    .await;
    first.kill();
    let before_kill = messages_sent();

    // Started again at 13:00 Moscow (the dead claim's lease is over).
    let mut second = Serve::start(
        dir.path(),
        "second",
        "serve.toml",
        &["--clock-start", "2026-11-23T10:00:00Z", "--speed", "60"],
        &env,
    );
    wait_until(
        "the digest delivered after the restart",
        Duration::from_secs(180),
        &mut [&mut second],
        || !journal(&journal_path).is_empty(),
    )
    .await;
    second.terminate();
    let status = second.exited(Duration::from_secs(90)).await;
    assert!(status.success(), "{status}\n{}", second.log());

    // The one row, as the scheduler rendered it.
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("salespulse-demo.db").display()
    ))
    .await
    .unwrap();
    let rows: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT payload, status, parts_sent, attempts FROM outbox")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (payload, status, parts_sent, attempts) = &rows[0];
    let payload: Value = serde_json::from_str(payload).unwrap();
    // Rich messages, whose server has none: their fallback went.
    assert_eq!(payload["kind"], "telegram_rich");
    let payload = &payload["fallback"];
    let messages: Vec<String> = payload["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    let photos = payload["photos"].as_array().unwrap().len();
    let parts = messages.len() + photos.div_ceil(10);
    assert_eq!(status, "sent");
    assert_eq!(*parts_sent as usize, parts);
    assert_eq!(
        *attempts, 2,
        "claimed by the killed process and the restart"
    );
    assert!(
        before_kill < parts,
        "killed after {before_kill} of {parts} parts: not mid-delivery"
    );

    // One try of a rich message, answered "method not found": noted, so
    // the restart went on with the messages at once.
    let tries = sends()
        .iter()
        .filter(|c| c.method == "sendrichmessage")
        .count();
    assert_eq!(tries, 1);
    // Every part arrived; at most the one in flight at the kill twice.
    let all: Vec<_> = sends()
        .into_iter()
        .filter(|c| c.method != "sendrichmessage")
        .collect();
    assert!(all.iter().all(|c| c.chat() == TEAM_CHAT));
    for m in &messages {
        let n = all
            .iter()
            .filter(|c| c.method == "sendmessage" && text_of(&c.body) == *m)
            .count();
        assert!(n >= 1, "never arrived: {m}");
    }
    assert!(
        photos >= 2,
        "the digest has a group of charts: {photos} photo(s)"
    );
    let groups = all.iter().filter(|c| c.method == "sendmediagroup").count();
    assert!(groups >= photos.div_ceil(10), "the charts never arrived");
    assert!(
        all.len() <= parts + 1,
        "{} sends for {parts} parts: more than the one in flight repeated",
        all.len()
    );
    eprintln!(
        "{parts} parts, {} sends ({before_kill} before the kill)",
        all.len()
    );
}
