//! The real `salespulse serve` on a fast clock, following a `Master.csv`
//! pulled every minute: a missed inbound call appended to it brings one
//! `missed_callback` alert to the head's chat on our Bot API peer about 15
//! clock minutes later, and — across a restart — the call back appended
//! after it an edit of that message with its answer.

use std::time::Duration;

use serde_json::Value;

use super::{Serve, TOKEN_ENV, wait_until};
use crate::fake_telegram::{self, Script};

const API_URL_ENV: &str = salespulse::delivery::telegram::API_URL_ENV;
const HEAD: i64 = 5001;

/// A missed call from a client to extension 101 at 10:00 (Moscow).
const MISSED: &str = r#""","79031112233","600","from-trunk","""Client"" <79031112233>","SIP/trunk-00000010","SIP/101-00000011","Dial","SIP/101,20","2026-12-04 10:00:00","","2026-12-04 10:00:20",20,0,"NO ANSWER","DOCUMENTATION","1796367600.11","","","1796367600.10",1"#;
/// The call back from extension 101 at 10:22.
const CALLBACK: &str = r#""","101","79031112233","from-internal","""Иванов"" <101>","SIP/101-00000020","SIP/trunk-00000021","Dial","SIP/trunk/79031112233,60","2026-12-04 10:22:00","2026-12-04 10:22:10","2026-12-04 10:24:00",120,110,"ANSWERED","DOCUMENTATION","1796368920.20","","","1796368920.20",1"#;

const CONFIG: &str = r#"
database_url = "sqlite://alerts.db"

[[teams]]
id = "moscow"
name = "Москва"
timezone = "Europe/Moscow"

[[employees]]
id = "head"
name = "Петрова Анна"
role = "head"
team = "moscow"
telegram_id = 5001

[[employees]]
id = "ivanov"
name = "Иванов Иван"
team = "moscow"
ids = { pbx = "101" }

[[sources]]
name = "pbx"
kind = "asterisk"
timezone = "Europe/Moscow"
trunks = ["SIP/trunk-*"]
inbound_contexts = ["from-trunk"]
follow = "Master.csv"

[[schedules]]
name = "pbx-every-minute"
cron = "* * * * *"
job = "pull"
source = "pbx"

[[alerts]]
rule = "missed_callback"
team = "moscow"
within_mins = 15
to = ["heads"]

[telegram]
token_env = "TEST_BOT_TOKEN"

[serve]
listen = ""
out_dir = "out-serve"
tick_secs = 60
"#;

fn texts_to(fake: &fake_telegram::FakeTelegram, chat: i64) -> Vec<String> {
    fake.calls("sendmessage")
        .iter()
        .filter(|c| c.chat() == chat)
        .filter_map(|c| {
            serde_json::from_str::<Value>(&c.body)
                .ok()
                .and_then(|v| v["text"].as_str().map(str::to_owned))
        })
        .collect()
}

fn append(path: &std::path::Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_call_appended_to_a_followed_file_is_alerted_once_and_answered() {
    let fake = fake_telegram::start(Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alerts.toml"), CONFIG).unwrap();
    let cdr = dir.path().join("Master.csv");
    append(&cdr, MISSED);
    let env = [(TOKEN_ENV, "123:test"), (API_URL_ENV, fake.url.as_str())];
    // Friday 09:58 Moscow, a clock minute per real second.
    let args = ["--clock-start", "2026-12-04T06:58:00Z", "--speed", "60"];
    let mut serve = Serve::start(dir.path(), "a", "alerts.toml", &args, &env);

    wait_until(
        "the missed call's alert at the head's chat",
        Duration::from_secs(120),
        &mut [&mut serve],
        || !texts_to(&fake, HEAD).is_empty(),
    )
    .await;
    let alert = texts_to(&fake, HEAD);
    assert_eq!(alert.len(), 1, "{alert:?}");
    assert!(
        alert[0].contains("79031112233") && alert[0].contains("10:15"),
        "{}",
        alert[0]
    );

    // A restart between the alert and the call back: the new process, its
    // clock at 10:20, neither sends the alert again nor loses its answer.
    serve.terminate();
    let status = serve.exited(Duration::from_secs(60)).await;
    assert!(status.success(), "{status}\n{}", serve.log());
    let args = ["--clock-start", "2026-12-04T07:20:00Z", "--speed", "60"];
    let mut serve = Serve::start(dir.path(), "b", "alerts.toml", &args, &env);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(texts_to(&fake, HEAD), alert, "{}", serve.log());

    append(&cdr, CALLBACK);
    let edits = |fake: &fake_telegram::FakeTelegram| -> Vec<Value> {
        fake.calls("editmessagetext")
            .iter()
            .filter(|c| c.chat() == HEAD)
            .filter_map(|c| serde_json::from_str::<Value>(&c.body).ok())
            .collect()
    };
    wait_until(
        "the alert edited once the call back is read",
        Duration::from_secs(120),
        &mut [&mut serve],
        || !edits(&fake).is_empty(),
    )
    .await;
    // A few more ticks: nothing more is sent or edited.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(texts_to(&fake, HEAD), alert, "no second message");
    let edits = edits(&fake);
    assert_eq!(edits.len(), 1, "{edits:?}");
    // The message the alert became, now with its answer under it.
    let first_id = 101;
    assert_eq!(edits[0]["message_id"], first_id, "{}", edits[0]);
    let text = edits[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with(alert[0].as_str()) && text.contains("перезвонили через 22"),
        "{text}"
    );
    serve.terminate();
    let status = serve.exited(Duration::from_secs(60)).await;
    assert!(status.success(), "{status}\n{}", serve.log());
}
