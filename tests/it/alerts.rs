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
fn config() -> Config {
    let text = std::fs::read_to_string(fixture("salespulse.toml")).unwrap()
        + r#"
[telegram]
token_env = "TG_TOKEN"

[[alerts]]
rule = "missed_callback"
team = "moscow"
within_mins = 15
to = ["heads", "manager"]

[[alerts]]
rule = "no_calls_by"
team = "moscow"
at = "11:00"
min_calls = 1
"#;
    Config::parse(&text, &fixture("salespulse.toml"), &|k| {
        (k == "TG_TOKEN").then(|| "123:abc".to_owned())
    })
    .expect("valid")
}

/// Moscow local time of Friday 2026-12-04.
fn at(hm: &str) -> DateTime<Utc> {
    salespulse::calendar::local_to_utc(
        chrono_tz::Europe::Moscow,
        NaiveDateTime::parse_from_str(&format!("2026-12-04 {hm}"), "%Y-%m-%d %H:%M").unwrap(),
    )
}

/// A missed inbound call from a client to extension 101 at 10:00.
const MISSED: &str = r#""","79031112233","600","from-trunk","""Client"" <79031112233>","SIP/trunk-00000010","SIP/101-00000011","Dial","SIP/101,20","2026-12-04 10:00:00","","2026-12-04 10:00:20",20,0,"NO ANSWER","DOCUMENTATION","1796367600.11","","","1796367600.10",1"#;
/// Sidorov calls the client back at 10:22.
const CALLBACK: &str = r#""","102","79031112233","from-internal","""Сидоров"" <102>","SIP/102-00000020","SIP/trunk-00000021","Dial","SIP/trunk/79031112233,60","2026-12-04 10:22:00","2026-12-04 10:22:10","2026-12-04 10:24:00",120,110,"ANSWERED","DOCUMENTATION","1796368920.20","","","1796368920.20",1"#;

async fn read(store: &std::sync::Arc<Store>, config: &Config, path: &Path, now: DateTime<Utc>) {
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
