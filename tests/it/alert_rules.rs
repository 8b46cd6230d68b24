//! The alert rules beyond the first missed call, tick by tick on an
//! injected clock, on SQLite and Postgres, over records read from a
//! `Master.csv` and CRM files: who should call back a number nobody's
//! extension rang (the owner of its deal), a rule's daily limit and its
//! one note, calls left without a CRM trace, and a plan behind its pace.

use chrono::{DateTime, Utc};
use salespulse::config::Config;
use salespulse::words::Catalog;

use crate::alerts::{at, config_with, outbox, read};
use crate::helpers::backends;

/// A Master.csv row on Friday 2026-12-04 (Moscow): a call from extension
/// `ext` to `number` (outbound), or from `number` to `ext` (inbound), at
/// local `hms`, talking `talk` seconds (0: nobody answered).
fn cdr(id: u32, ext: &str, number: &str, inbound: bool, hms: &str, talk: u32) -> String {
    let start = format!("2026-12-04 {hms}");
    let t = chrono::NaiveDateTime::parse_from_str(&start, "%Y-%m-%d %H:%M:%S").unwrap();
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let answer = (talk > 0).then(|| fmt(t + chrono::Duration::seconds(10)));
    let end = fmt(t + chrono::Duration::seconds(i64::from(talk) + 20));
    let disposition = if talk > 0 { "ANSWERED" } else { "NO ANSWER" };
    let unique = format!("17963{id:05}.{id}");
    let (src, dst, context, channel, dstchannel) = if inbound {
        (
            number.to_owned(),
            "600".to_owned(),
            "from-trunk",
            format!("SIP/trunk-{id:08}"),
            format!("SIP/{ext}-{id:08}"),
        )
    } else {
        (
            ext.to_owned(),
            number.to_owned(),
            "from-internal",
            format!("SIP/{ext}-{id:08}"),
            format!("SIP/trunk-{id:08}"),
        )
    };
    format!(
        r#""","{src}","{dst}","{context}","""{src}"" <{src}>","{channel}","{dstchannel}","Dial","","{start}","{}","{end}",{},{talk},"{disposition}","DOCUMENTATION","{unique}","","","{unique}",1"#,
        answer.unwrap_or_default(),
        talk + 20
    )
}

fn write(path: &std::path::Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

async fn tick(db: &crate::helpers::TestDb, config: &Config, now: DateTime<Utc>) -> Vec<String> {
    salespulse::serve::alerts::tick(db.store.as_ref(), config, Catalog::built_in(), now)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rule_sends_its_daily_limit_then_one_note_and_then_nothing() {
    // `max_per_day = 2` on missed calls: one number missed and called back
    // late three times in a day.
    let config = config_with("");
    let n = "79031112233";
    for db in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Master.csv");
        let mut lines = vec![cdr(1, "101", n, true, "10:00:00", 0)];
        let mut step = |extra: Vec<String>| {
            lines.extend(extra);
            write(&file, &lines);
        };
        step(vec![]);
        read(&db.store, &config, &file, at("10:01")).await;
        let first = tick(&db, &config, at("10:15")).await;
        assert_eq!(first.len(), 1, "{}: {first:?}", db.name);
        step(vec![
            cdr(2, "101", n, false, "10:22:00", 60),
            cdr(3, "101", n, true, "10:30:00", 0),
        ]);
        read(&db.store, &config, &file, at("10:31")).await;
        let answered = tick(&db, &config, at("10:31")).await;
        assert_eq!(answered, [format!("{}:answered", first[0])]);
        let second = tick(&db, &config, at("10:45")).await;
        assert_eq!(second.len(), 1, "{}: {second:?}", db.name);
        step(vec![
            cdr(4, "101", n, false, "10:50:00", 60),
            cdr(5, "101", n, true, "11:00:00", 0),
        ]);
        read(&db.store, &config, &file, at("11:01")).await;
        tick(&db, &config, at("11:01")).await;
        // The third is over the limit: one note instead of it.
        let third = tick(&db, &config, at("11:15")).await;
        assert_eq!(
            third,
            [format!("missed_callback:{n}:2026-12-04:limit")],
            "{}",
            db.name
        );
        step(vec![
            cdr(6, "101", n, false, "11:20:00", 60),
            cdr(7, "101", n, true, "11:30:00", 0),
        ]);
        read(&db.store, &config, &file, at("11:31")).await;
        // The third, called back, is not answered (it did not go out); the
        // fourth is not sent, and no second note.
        assert!(tick(&db, &config, at("11:31")).await.is_empty());
        assert!(
            tick(&db, &config, at("11:50")).await.is_empty(),
            "{}",
            db.name
        );
        let sent = outbox(&db.store, at("11:50")).await;
        let notes: Vec<&String> = sent
            .iter()
            .filter(|(slot, _, _)| slot.ends_with(":limit"))
            .map(|(_, _, text)| text)
            .collect();
        assert_eq!(notes.len(), 3, "one per recipient: {sent:?}");
        assert!(notes[0].contains("Лимит на сегодня: 2"), "{}", notes[0]);
        db.finish().await;
    }
}

const DEALS: &str = r#"{"id": "D7", "title": "Опт", "owner": "18", "stage": "new", "amount": 1000, "phone": "79035550001", "created_at": "2026-11-20 10:00"}
{"id": "D8", "title": "Розница", "owner": "17", "stage": "new", "amount": 2000, "phone": "79035550002", "created_at": "2026-11-20 10:00"}
"#;

const MORE_RULES: &str = r#"
[[alerts]]
rule = "trace_backlog"
team = "moscow"
min_calls = 2

[[alerts]]
rule = "plan_pace"
team = "moscow"
at = "12:00"
below_pct = 70

[[plans]]
role = "manager"
daily = { calls_out = 6 }
"#;

#[tokio::test]
async fn deal_owners_call_back_traceless_calls_and_a_slow_pace_are_alerted() {
    let config = config_with(MORE_RULES);
    for db in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let deals = dir.path().join("deals.jsonl");
        std::fs::write(&deals, DEALS).unwrap();
        let crm = config.source("crm").unwrap();
        let options = salespulse::app::ingest::IngestOptions {
            progress: false,
            now: at("09:00"),
        };
        salespulse::app::ingest::ingest_file(db.store.clone(), &config, crm, &deals, &options)
            .await
            .unwrap();
        let file = dir.path().join("Master.csv");
        write(
            &file,
            &[
                // Ivanov talks twice about D8 and writes nothing in the CRM.
                cdr(11, "101", "79035550002", false, "09:10:00", 120),
                cdr(12, "101", "79035550002", false, "09:30:00", 120),
                // D7's client rings extension 199, which is nobody's.
                cdr(13, "199", "79035550001", true, "10:00:00", 0),
            ],
        );
        read(&db.store, &config, &file, at("10:01")).await;

        let missed = tick(&db, &config, at("10:15")).await;
        assert_eq!(missed.len(), 1, "{}: {missed:?}", db.name);
        let sent = outbox(&db.store, at("10:15")).await;
        // Sidorov owns D7: he is named, and gets it as "manager".
        assert!(sent.iter().any(|(_, chat, _)| *chat == 5001));
        assert!(
            sent.iter().all(|(_, _, t)| t.contains("Сидоров Пётр")),
            "{}: {sent:?}",
            db.name
        );

        // By 11:00 Sidorov and Petrov made no outbound call.
        let few = tick(&db, &config, at("11:00")).await;
        assert_eq!(
            few,
            [
                "no_calls_by:sidorov:2026-12-04:1100",
                "no_calls_by:petrov:2026-12-04:1100"
            ],
            "{}",
            db.name
        );
        outbox(&db.store, at("11:00")).await;
        // The first call's trace window (2 h) has passed at 11:12:30, the
        // second's at 11:32:30.
        assert!(
            tick(&db, &config, at("11:20")).await.is_empty(),
            "{}",
            db.name
        );
        let backlog = tick(&db, &config, at("11:33")).await;
        assert_eq!(
            backlog,
            ["trace_backlog:ivanov:2026-12-04:1"],
            "{}",
            db.name
        );
        let sent = outbox(&db.store, at("11:33")).await;
        assert!(
            sent[0].2.contains("Иванов Иван") && sent[0].2.contains("2 звонка"),
            "{}",
            sent[0].2
        );

        // At 12:00 a third of the day is gone: 2 of 6 outbound calls are
        // due. Ivanov made 2; Sidorov and Petrov none.
        assert!(tick(&db, &config, at("11:59")).await.is_empty());
        let pace = tick(&db, &config, at("12:00")).await;
        assert_eq!(
            pace,
            [
                "plan_pace:sidorov:2026-12-04:1200",
                "plan_pace:petrov:2026-12-04:1200"
            ],
            "{}",
            db.name
        );
        let sent = outbox(&db.store, at("12:00")).await;
        assert!(
            sent.iter().any(|(_, _, t)| t.contains("Петров Олег")
                && t.contains("0 %")
                && t.contains("0 из 2")),
            "{sent:?}"
        );
        assert!(tick(&db, &config, at("12:01")).await.is_empty());

        // The next morning's digest counts the day's alerts by rule, and
        // the missed call not called back.
        let out = tempfile::tempdir().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let files = salespulse::app::digest::write_digest(
            db.store.as_ref(),
            &config,
            "moscow",
            day,
            at("12:01") + chrono::Duration::days(3),
            out.path(),
        )
        .await
        .unwrap();
        let text = &files.text_body;
        assert!(
            text.contains(
                "🔔 Оповещения за день: мало звонков к сроку — 2, \
                 звонки без следа в CRM — 1, отставание от плана — 2\n"
            ),
            "{}: {text}",
            db.name
        );
        assert!(
            text.contains("📞 Пропущенные вызовы: 1, не перезвонили: 1\n"),
            "{text}"
        );

        // `/why перезвон` lists the day's missed calls: the head the team's,
        // a manager those that are theirs to return.
        let bot = salespulse::bot::answer::Bot {
            store: db.store.as_ref(),
            config: &config,
            words: Catalog::built_in(),
            now: at("12:01") + chrono::Duration::days(3),
        };
        let ask = |who: &str, text: &'static str| {
            let viewer = config.employee(who).unwrap().clone();
            let bot = &bot;
            async move {
                bot.respond_as(&viewer, text)
                    .await
                    .unwrap()
                    .messages
                    .join("\n")
            }
        };
        let head = ask("petrova", "/why перезвон 04.12").await;
        assert!(
            head.contains("Пропущенные вызовы за 04.12: 1</b>, не перезвонили: 1")
                && head.contains("10:00 79035550001 · Сидоров Пётр · не перезвонили"),
            "{}: {head}",
            db.name
        );
        let sidorov = ask("sidorov", "/why перезвон 04.12").await;
        assert!(sidorov.contains("79035550001"), "{sidorov}");
        let ivanov = ask("ivanov", "/why перезвон 04.12").await;
        assert_eq!(ivanov, "За 04.12 пропущенных вызовов нет.");
        db.finish().await;
    }
}
