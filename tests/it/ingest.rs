//! Ingestion of the fixture files, end to end into each backend.

use chrono::{TimeZone, Utc};
use salespulse::app::ingest::{FileReport, IngestOptions, ingest_file};
use salespulse::domain::{Direction, Disposition};

use crate::helpers::{TestDb, backends, config, fixture};

/// An ingest without a progress bar, beginning now.
fn quiet() -> IngestOptions {
    IngestOptions {
        progress: false,
        now: Utc::now(),
    }
}

async fn ingest(db: &TestDb, source: &str, file: &str) -> FileReport {
    let config = config();
    let source = config.source(source).expect("source in the test config");
    ingest_file(db.store.clone(), &config, source, &fixture(file), &quiet())
        .await
        .unwrap_or_else(|e| panic!("{}: ingest {file}: {e}", db.name))
}

#[tokio::test]
async fn master_csv_gives_the_right_calls_and_names_the_bad_lines() {
    for db in backends().await {
        let report = ingest(&db, "pbx", "Master.csv").await;
        let t = &report.totals;
        assert_eq!(t.rows_read, 15, "{}", db.name);
        assert_eq!(t.rejected, 5, "{}", db.name);
        assert_eq!(t.upserted.inserted, 6, "{}", db.name);

        let lines: Vec<(i64, &str)> = report
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            lines.iter().map(|l| l.0).collect::<Vec<_>>(),
            vec![8, 9, 10, 11, 15]
        );
        assert!(lines[0].1.contains("5 columns"), "{lines:?}");
        assert!(
            lines[1]
                .1
                .contains("start \"2026-13-45 99:00:00\" is not a time"),
            "{lines:?}"
        );
        assert!(
            lines[2].1.contains("unknown disposition \"WHATEVER\""),
            "{lines:?}"
        );
        assert!(lines[3].1.contains("billsec \"abc\""), "{lines:?}");
        assert!(lines[4].1.contains("20 columns"), "{lines:?}");
        assert_eq!(
            report.unmapped.get("109"),
            Some(&1),
            "{:?}",
            report.unmapped
        );

        let day = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
        let calls = db
            .store
            .calls_between(day, day + chrono::Duration::days(1), &[])
            .await
            .unwrap();
        let seen: Vec<(String, Direction, Option<&str>, i64, &str)> = calls
            .iter()
            .map(|c| {
                (
                    c.started_at.format("%H:%M").to_string(),
                    c.direction,
                    c.employee_id.as_deref(),
                    c.talk_seconds,
                    c.number.as_str(),
                )
            })
            .collect();
        // Moscow is UTC+3: 09:12 local is 06:12 UTC.
        assert_eq!(
            seen,
            vec![
                (
                    "06:12".into(),
                    Direction::Outbound,
                    Some("ivanov"),
                    125,
                    "79161234567"
                ),
                (
                    "06:20".into(),
                    Direction::Outbound,
                    Some("sidorov"),
                    0,
                    "74951234567"
                ),
                (
                    "07:00".into(),
                    Direction::Inbound,
                    Some("sidorov"),
                    200,
                    "79031112233"
                ),
                (
                    "08:00".into(),
                    Direction::Internal,
                    Some("ivanov"),
                    60,
                    "103"
                ),
                ("10:00".into(), Direction::Outbound, None, 60, "79998887766"),
                (
                    "11:00".into(),
                    Direction::Inbound,
                    Some("ivanov"),
                    120,
                    "79035556677"
                ),
            ],
            "{}",
            db.name
        );
        let fan_out = &calls[2];
        assert_eq!(fan_out.legs, 3, "three ring-group legs merged");
        assert_eq!(fan_out.disposition, Disposition::Answered);
        assert_eq!(fan_out.agent.as_deref(), Some("202"));
        assert_eq!(calls[4].agent.as_deref(), Some("109"));
        assert_eq!(calls[5].legs, 2, "two legs sharing a uniqueid");

        let rejects = db.store.rejects("pbx").await.unwrap();
        assert_eq!(rejects.len(), 5);
        assert!(rejects.iter().all(|r| r.file.ends_with("Master.csv")));
        db.finish().await;
    }
}

#[tokio::test]
async fn reading_everything_twice_changes_no_table() {
    for db in backends().await {
        let files = [
            ("pbx", "Master.csv"),
            ("cloud", "cloud.csv"),
            ("crm", "crm/employees.jsonl"),
            ("crm", "crm/deals.jsonl"),
            ("crm", "crm/stage_changes.jsonl"),
            ("crm", "crm/tasks.csv"),
            ("crm", "crm/activities.jsonl"),
            ("crm", "crm/comments.jsonl"),
        ];
        for (source, file) in files {
            ingest(&db, source, file).await;
        }
        let first = db.store.table_counts().await.unwrap();
        for (source, file) in files {
            let again = ingest(&db, source, file).await;
            let u = again.totals.upserted;
            assert_eq!(
                (u.inserted, u.updated),
                (0, 0),
                "{}: {file} changed on a re-read",
                db.name
            );
        }
        let second = db.store.table_counts().await.unwrap();
        // The run log grows by one entry per file read; nothing else moves.
        for (a, b) in first.iter().zip(&second) {
            let table = a.table;
            if table == "ingest_runs" {
                assert_eq!(b.rows, a.rows + files.len() as i64, "{}", db.name);
            } else {
                assert_eq!(a.rows, b.rows, "{}: table {table} changed", db.name);
            }
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_calls_csv_is_read_through_its_column_mapping() {
    for db in backends().await {
        let report = ingest(&db, "cloud", "cloud.csv").await;
        assert_eq!(report.totals.upserted.inserted, 3, "{}", db.name);
        let reasons: Vec<(i64, &str)> = report
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, 4);
        assert!(
            reasons[0]
                .1
                .contains("\"Неизвестный\" is not a known direction"),
            "{reasons:?}"
        );
        assert_eq!(reasons[1].0, 5);
        assert!(
            reasons[1].1.contains("does not match the date format"),
            "{reasons:?}"
        );
        assert_eq!(report.unmapped.get("stranger"), Some(&1));

        let day = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
        let calls = db
            .store
            .calls_between(day, day + chrono::Duration::days(1), &["ivanov".into()])
            .await
            .unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].direction, calls[0].talk_seconds),
            (Direction::Outbound, 125)
        );
        assert_eq!(calls[0].number.as_str(), "79160000001");
        assert_eq!(
            (calls[1].direction, calls[1].talk_seconds),
            (Direction::Inbound, 0)
        );
        assert_eq!(calls[1].disposition, Disposition::NoAnswer);
        db.finish().await;
    }
}

#[tokio::test]
async fn crm_files_keep_good_rows_and_name_bad_ones() {
    for db in backends().await {
        let users = ingest(&db, "crm", "crm/employees.jsonl").await;
        assert_eq!(users.totals.upserted.inserted, 3);

        let deals = ingest(&db, "crm", "crm/deals.jsonl").await;
        assert_eq!(
            deals.totals.upserted.inserted, 3,
            "{}: {:?}",
            db.name, deals.rejects
        );
        let reasons: Vec<(i64, &str)> = deals
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            reasons.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![4, 5, 6],
            "{reasons:?}"
        );
        assert!(
            reasons[0]
                .1
                .contains("stage \"C7:LOSE\" is not in the pipeline"),
            "{reasons:?}"
        );
        assert!(reasons[1].1.contains("not a JSON object"), "{reasons:?}");
        assert!(reasons[2].1.contains("amount \"-5\""), "{reasons:?}");
        // The owner 99 is not an employee: the deal is kept and reported.
        assert_eq!(deals.unmapped.get("99"), Some(&1));

        let tasks = ingest(&db, "crm", "crm/tasks.csv").await;
        assert_eq!(tasks.totals.upserted.inserted, 2);
        assert_eq!(tasks.rejects.len(), 1);
        assert_eq!(tasks.rejects[0].line, 4);
        assert!(tasks.rejects[0].reason.contains("due_at is missing"));

        let activities = ingest(&db, "crm", "crm/activities.jsonl").await;
        assert_eq!(activities.totals.upserted.inserted, 2);
        assert!(
            activities.rejects[0]
                .reason
                .contains("unknown activity kind \"dance\"")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_task_moved_later_is_recorded_as_postponed_once() {
    for db in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let write = |due: &str| {
            let path = dir.path().join("tasks.csv");
            std::fs::write(
                &path,
                format!("id,deal,owner,title,created_at,due_at\nT1,D1,17,Перезвонить,2026-11-10 10:00,{due}\n"),
            )
            .unwrap();
            path
        };
        let config = config();
        let crm = config.source("crm").unwrap();
        for due in [
            "2026-11-11 12:00",
            "2026-11-13 12:00",
            "2026-11-13 12:00",
            "2026-11-16 12:00",
        ] {
            ingest_file(db.store.clone(), &config, crm, &write(due), &quiet())
                .await
                .unwrap();
        }
        let counts = db.store.table_counts().await.unwrap();
        let postponed = counts
            .iter()
            .find(|c| c.table == "task_postponements")
            .unwrap()
            .rows;
        assert_eq!(postponed, 2, "{}: moved twice, read four times", db.name);
        db.finish().await;
    }
}

/// A Master.csv line with the standard 16 columns, from a template.
fn cdr_line(n: usize, duration: &str, billsec: &str) -> String {
    format!(
        "\"\",\"101\",\"7916000{n:04}\",\"from-internal\",\"\",\"SIP/101-{n:08}\",\"SIP/trunk-{n:08}\",\"Dial\",\"\",\
         \"2026-11-16 09:{:02}:00\",\"2026-11-16 09:{:02}:05\",\"2026-11-16 09:{:02}:50\",{duration},{billsec},\"ANSWERED\",\"DOCUMENTATION\"",
        n % 60,
        n % 60,
        n % 60
    )
}

#[tokio::test]
async fn bad_rows_stay_bad_alone_on_either_backend() {
    let config = config();
    let dir = tempfile::tempdir().unwrap();
    // 20 good calls among a NUL byte, huge durations, a call ending in 5195,
    // a line cut short, and CRLF endings throughout.
    let mut lines: Vec<String> = (0..20).map(|n| cdr_line(n, "50", "45")).collect();
    lines.insert(3, cdr_line(90, "9223372036854775807", "10"));
    lines.insert(5, cdr_line(91, "9223372036854", "10"));
    lines.insert(7, cdr_line(92, "99999999999", "10"));
    lines.insert(9, cdr_line(93, "50", "45").replace("Dial", "Di\0al"));
    let cut = cdr_line(94, "50", "45");
    lines.insert(11, cut[..cut.len() / 2].to_owned());
    let cdr = dir.path().join("Master.csv");
    std::fs::write(&cdr, lines.join("\r\n") + "\r\n").unwrap();

    // CRM: a JSON NUL escape, invalid UTF-8, an overflowing amount, a date
    // in 9999, and an unclosed quote in tasks.csv that must not swallow t3, t4.
    let crm = dir.path().join("crm");
    std::fs::create_dir(&crm).unwrap();
    let deal = |id: &str, amount: &str, created: &str| {
        format!(
            "{{\"id\": \"{id}\", \"owner\": \"17\", \"stage\": \"new\", \"amount\": \"{amount}\", \"created_at\": \"{created}\"}}"
        )
    };
    let mut deals: Vec<Vec<u8>> = (0..20)
        .map(|n| deal(&format!("D{n}"), "1000", "2026-11-10 10:00").into_bytes())
        .collect();
    deals.insert(
        2,
        deal("N1", "1000", "2026-11-10 10:00")
            .replace("N1\"", "N1\\u0000\"")
            .into_bytes(),
    );
    deals.insert(
        4,
        [
            b"{\"id\": \"U1\", \"title\": \"".as_slice(),
            &[0xff, 0xfe],
            b"\"}",
        ]
        .concat(),
    );
    deals.insert(
        6,
        deal("A1", "92233720368547758.07", "2026-11-10 10:00").into_bytes(),
    );
    deals.insert(8, deal("Y1", "1000", "9999-11-10 10:00").into_bytes());
    std::fs::write(crm.join("deals.jsonl"), deals.join(&b"\n"[..])).unwrap();
    std::fs::write(
        crm.join("tasks.csv"),
        "id,deal,owner,title,created_at,due_at\n\
         t1,D1,17,ok,2026-11-10 10:00,2026-11-11 10:00\n\
         t2,D1,17,\"never closed,2026-11-10 10:00,2026-11-11 10:00\n\
         t3,D1,17,ok,2026-11-10 10:00,2026-11-11 10:00\n\
         t4,D1,17,ok,2026-11-10 10:00,2026-11-11 10:00\n",
    )
    .unwrap();

    for db in backends().await {
        let pbx = config.source("pbx").unwrap();
        let report = ingest_file(db.store.clone(), &config, pbx, &cdr, &quiet())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let t = &report.totals;
        assert_eq!(
            (t.rows_read, t.rejected),
            (25, 5),
            "{}: {:?}",
            db.name,
            report.rejects
        );
        assert_eq!(t.upserted.inserted, 20, "{}", db.name);
        let at: Vec<(i64, &str)> = report
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            at.iter().map(|a| a.0).collect::<Vec<_>>(),
            vec![4, 6, 8, 10, 12],
            "{}: {at:?}",
            db.name
        );
        assert!(at[0].1.contains("longer than a day"), "{at:?}");
        assert!(at[1].1.contains("longer than a day"), "{at:?}");
        assert!(at[2].1.contains("longer than a day"), "{at:?}");
        assert!(at[3].1.contains("NUL"), "{at:?}");
        assert!(at[4].1.contains("inside a quoted field"), "{at:?}");

        let crm_source = config.source("crm").unwrap();
        let report = ingest_file(
            db.store.clone(),
            &config,
            crm_source,
            &crm.join("deals.jsonl"),
            &quiet(),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let t = &report.totals;
        assert_eq!(
            (t.rows_read, t.rejected, t.upserted.inserted),
            (24, 4, 20),
            "{}: {:?}",
            db.name,
            report.rejects
        );
        let at: Vec<(i64, &str)> = report
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            at.iter().map(|a| a.0).collect::<Vec<_>>(),
            vec![3, 5, 7, 9],
            "{}: {at:?}",
            db.name
        );
        assert!(at[0].1.contains("NUL"), "{at:?}");
        assert!(at[1].1.contains("UTF-8"), "{at:?}");
        assert!(at[2].1.contains("amount"), "{at:?}");
        assert!(at[3].1.contains("outside 2000-2100"), "{at:?}");

        let report = ingest_file(
            db.store.clone(),
            &config,
            crm_source,
            &crm.join("tasks.csv"),
            &quiet(),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let t = &report.totals;
        assert_eq!(
            (t.rows_read, t.rejected, t.upserted.inserted),
            (5, 1, 3),
            "{}: {:?}",
            db.name,
            report.rejects
        );
        assert_eq!(report.rejects[0].line, 3, "{}", db.name);
        // Every reject is stored, NUL and all, on this backend too.
        let stored = db.store.rejects("pbx").await.unwrap();
        assert_eq!(stored.len(), 5, "{}", db.name);
        assert!(stored.iter().all(|r| !r.raw.contains('\0')), "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_repeated_id_with_other_content_counts_as_updated_and_the_last_wins() {
    let config = config();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deals.jsonl");
    let deal = |amount: &str| {
        format!(
            "{{\"id\": \"D1\", \"owner\": \"17\", \"stage\": \"new\", \"amount\": \"{amount}\", \"created_at\": \"2026-11-10 10:00\"}}"
        )
    };
    std::fs::write(&file, [deal("100"), deal("100"), deal("250")].join("\n")).unwrap();
    for db in backends().await {
        let crm = config.source("crm").unwrap();
        let report = ingest_file(db.store.clone(), &config, crm, &file, &quiet())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let u = report.totals.upserted;
        assert_eq!(
            (u.inserted, u.updated, u.unchanged),
            (1, 2, 0),
            "{}",
            db.name
        );
        db.finish().await;
    }
}
