//! Intraday alerts over records read from a followed `Master.csv`, tick by
//! tick on an injected clock, on SQLite and Postgres: a missed call is owed
//! an alert at its 15th minute, and after an outbound call to the number
//! is appended, the alert is answered ("called back after 22 min").

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use salespulse::app::alerts::check;
use salespulse::app::ingest::{IngestOptions, ingest_file};
use salespulse::config::Config;
use salespulse::storage::Store;
use salespulse::words::Catalog;

use crate::helpers::{backends, fixture};

/// The test department with a `[telegram]` section and its alert rules.
pub(crate) fn config() -> Config {
    config_with("")
}

/// [`config`] with more of the file after it.
pub(crate) fn config_with(extra: &str) -> Config {
    let text = std::fs::read_to_string(fixture("salespulse.toml"))
        .unwrap()
        .replace(
            "role = \"head\"\nteam = \"moscow\"",
            "role = \"head\"\nteam = \"moscow\"\ntelegram_id = 5001",
        )
        .replace(
            "ids = { pbx = \"101\", crm = \"17\", cloud = \"ivanov-cloud\" }",
            "ids = { pbx = \"101\", crm = \"17\", cloud = \"ivanov-cloud\" }\ntelegram_id = 5002",
        )
        + r#"
[telegram]
token_env = "TG_TOKEN"

[[alerts]]
rule = "missed_callback"
team = "moscow"
within_mins = 15
to = ["heads", "manager", -100900]
max_per_day = 2

[[alerts]]
rule = "no_calls_by"
team = "moscow"
at = "11:00"
min_calls = 1
"# + extra;
    Config::parse(&text, &fixture("salespulse.toml"), &|k| {
        (k == "TG_TOKEN").then(|| "123:abc".to_owned())
    })
    .expect("valid")
}

/// Moscow local time of Friday 2026-12-04.
pub(crate) fn at(hm: &str) -> DateTime<Utc> {
    salespulse::calendar::local_to_utc(
        chrono_tz::Europe::Moscow,
        NaiveDateTime::parse_from_str(&format!("2026-12-04 {hm}"), "%Y-%m-%d %H:%M").unwrap(),
    )
}

/// A missed inbound call from a client to extension 101 at 10:00.
const MISSED: &str = r#""","79031112233","600","from-trunk","""Client"" <79031112233>","SIP/trunk-00000010","SIP/101-00000011","Dial","SIP/101,20","2026-12-04 10:00:00","","2026-12-04 10:00:20",20,0,"NO ANSWER","DOCUMENTATION","1796367600.11","","","1796367600.10",1"#;
/// Sidorov calls the client back at 10:22.
const CALLBACK: &str = r#""","102","79031112233","from-internal","""Сидоров"" <102>","SIP/102-00000020","SIP/trunk-00000021","Dial","SIP/trunk/79031112233,60","2026-12-04 10:22:00","2026-12-04 10:22:10","2026-12-04 10:24:00",120,110,"ANSWERED","DOCUMENTATION","1796368920.20","","","1796368920.20",1"#;

pub(crate) async fn read(
    store: &std::sync::Arc<Store>,
    config: &Config,
    path: &Path,
    now: DateTime<Utc>,
) {
    let source = config.source("pbx").unwrap();
    let options = IngestOptions {
        progress: false,
        now,
    };
    ingest_file(store.clone(), config, source, path, &options)
        .await
        .unwrap();
}

async fn texts(store: &Store, config: &Config, now: DateTime<Utc>) -> Vec<(String, String)> {
    let catalog = Catalog::built_in();
    check(store, config, catalog, Some("moscow"), now)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|t| t.alerts)
        .map(|(a, text)| (a.key, text))
        .collect()
}

#[tokio::test]
async fn a_missed_call_is_alerted_at_its_minute_and_answered_when_called_back() {
    let config = config();
    for db in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let cdr = dir.path().join("Master.csv");
        std::fs::write(&cdr, format!("{MISSED}\n")).unwrap();
        read(&db.store, &config, &cdr, at("10:01")).await;

        // Each tick a minute apart: nothing owed before the 15th minute.
        for tick in ["10:01", "10:08", "10:14"] {
            let owed = texts(&db.store, &config, at(tick)).await;
            assert!(owed.is_empty(), "{} {tick}: {owed:?}", db.name);
        }
        let owed = texts(&db.store, &config, at("10:15")).await;
        assert_eq!(owed.len(), 1, "{}: {owed:?}", db.name);
        let (key, text) = &owed[0];
        assert!(
            key.starts_with("missed_callback:79031112233:2026-12-04:"),
            "{key}"
        );
        assert!(
            text.contains("79031112233") && text.contains("10:00") && text.contains("Иванов Иван"),
            "{text}"
        );
        // Asked again later, the same alert (the same key), not a new one.
        let again = texts(&db.store, &config, at("10:20")).await;
        assert_eq!(again.iter().map(|a| &a.0).collect::<Vec<_>>(), [key]);

        // The call back is appended to the file and read.
        std::fs::write(&cdr, format!("{MISSED}\n{CALLBACK}\n")).unwrap();
        read(&db.store, &config, &cdr, at("10:23")).await;
        let answered = texts(&db.store, &config, at("10:23")).await;
        assert_eq!(answered.len(), 1, "{answered:?}");
        assert_eq!(&answered[0].0, key, "the same alert, answered");
        assert!(
            answered[0].1.contains("перезвонили через 22"),
            "{}",
            answered[0].1
        );

        // By 11:00 Ivanov and Petrov made no outbound call; Sidorov did.
        let by_eleven = texts(&db.store, &config, at("11:00")).await;
        let short: Vec<&String> = by_eleven
            .iter()
            .filter(|(k, _)| k.starts_with("no_calls_by:"))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            short,
            [
                "no_calls_by:ivanov:2026-12-04:1100",
                "no_calls_by:petrov:2026-12-04:1100"
            ],
            "{}",
            db.name
        );
        db.finish().await;
    }
}

/// The outbox rows waiting now: (slot, chat, text), marked sent.
pub(crate) async fn outbox(store: &Store, now: DateTime<Utc>) -> Vec<(String, i64, String)> {
    outbox_payloads(store, now)
        .await
        .into_iter()
        .map(|(slot, chat, text, _)| (slot, chat, text))
        .collect()
}

/// The outbox rows waiting now, with their payloads: (slot, chat, text,
/// payload), marked sent.
async fn outbox_payloads(
    store: &Store,
    now: DateTime<Utc>,
) -> Vec<(String, i64, String, serde_json::Value)> {
    let rows = store
        .claim_outbox("test", now, now + chrono::Duration::minutes(5), 100, 10)
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in rows {
        let payload: serde_json::Value = serde_json::from_str(&r.payload).unwrap();
        let chat = payload["chat"].as_i64().unwrap();
        let text = payload["messages"][0]
            .as_str()
            .or(payload["text"].as_str())
            .unwrap()
            .to_owned();
        store
            .outbox_sent(r.id, "test", now, Default::default())
            .await
            .unwrap();
        out.push((r.slot, chat, text, payload));
    }
    out.sort_by_key(|(slot, chat, _, _)| (slot.clone(), *chat));
    out
}

#[tokio::test]
async fn serve_records_each_alert_once_for_its_recipients_and_answers_it() {
    let config = config();
    let catalog = Catalog::built_in();
    for db in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let cdr = dir.path().join("Master.csv");
        std::fs::write(&cdr, format!("{MISSED}\n")).unwrap();
        read(&db.store, &config, &cdr, at("10:01")).await;
        let tick = |now: DateTime<Utc>| {
            salespulse::serve::alerts::tick(db.store.as_ref(), &config, catalog, now)
        };
        assert!(tick(at("10:14")).await.unwrap().is_empty(), "{}", db.name);
        let first = tick(at("10:15")).await.unwrap();
        assert_eq!(first.len(), 1, "{}: {first:?}", db.name);
        let key = first[0].clone();
        // Later ticks, and a second instance on the same database: nothing new.
        assert!(tick(at("10:15")).await.unwrap().is_empty());
        assert!(tick(at("10:16")).await.unwrap().is_empty());
        let other = salespulse::storage::open(&db.url).await.unwrap();
        let again = salespulse::serve::alerts::tick(other.as_ref(), &config, catalog, at("10:17"))
            .await
            .unwrap();
        assert!(again.is_empty(), "{}: {again:?}", db.name);
        other.close().await;
        // The head and the manager who should call back see the number;
        // the group chat sees it masked.
        let sent = outbox(&db.store, at("10:17")).await;
        let chats: Vec<i64> = sent.iter().map(|(_, chat, _)| *chat).collect();
        assert_eq!(chats, [-100900, 5001, 5002], "{}: {sent:?}", db.name);
        assert!(sent.iter().all(|(slot, _, _)| *slot == key));
        assert!(
            !sent[0].2.contains("79031112233") && sent[0].2.contains("***"),
            "{}",
            sent[0].2
        );
        assert!(sent[1].2.contains("79031112233") && sent[2].2.contains("79031112233"));

        // Called back at 10:22: the alert is answered, once.
        std::fs::write(&cdr, format!("{MISSED}\n{CALLBACK}\n")).unwrap();
        read(&db.store, &config, &cdr, at("10:23")).await;
        assert_eq!(
            tick(at("10:23")).await.unwrap(),
            [format!("{key}:answered")]
        );
        assert!(tick(at("10:24")).await.unwrap().is_empty());
        // Each chat's answer edits the alert that went to it, and still
        // says what the alert said.
        let answers = outbox_payloads(&db.store, at("10:24")).await;
        assert_eq!(answers.len(), 3);
        for ((_, chat, text, payload), (_, alert_chat, alert)) in answers.iter().zip(&sent) {
            assert_eq!(chat, alert_chat);
            assert_eq!(payload["kind"], "telegram_edit", "{payload}");
            assert_eq!(payload["slot"], key.as_str(), "{payload}");
            assert!(text.contains("перезвонили через 22"), "{text}");
            assert!(text.starts_with(alert.as_str()), "{text}\n{alert}");
        }
        db.finish().await;
    }
}
