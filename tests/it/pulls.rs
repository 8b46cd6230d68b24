//! Scheduled pulls from files: a drop folder read once per file content, and
//! a Master.csv followed as it grows and rotates, on each backend.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{TimeZone, Utc};
use salespulse::app::ingest::{IngestOptions, ingest_file};
use salespulse::app::pull::{PullError, PullOptions, PullReport, pull};
use salespulse::config::{Config, SourceConfig};
use salespulse::storage::{self, Store};

use crate::cli::{salespulse, text};
use crate::helpers::{TestDb, backends, config, fixture, sqlite};

/// The test config with `source` given a drop folder and/or a file to follow.
/// An ingest without a progress bar, beginning now.
fn quiet() -> IngestOptions {
    IngestOptions {
        progress: false,
        now: Utc::now(),
    }
}

fn with_paths(
    source: &str,
    drop_folder: Option<&Path>,
    follow: Option<&Path>,
) -> (Config, SourceConfig) {
    let mut config = config();
    let s = config
        .sources
        .iter_mut()
        .find(|s| s.name == source)
        .expect("source in the test config");
    s.drop_folder = drop_folder.map(Path::to_owned);
    s.follow = follow.map(Path::to_owned);
    let s = s.clone();
    (config, s)
}

async fn pull_now(store: &Arc<Store>, config: &Config, source: &SourceConfig) -> PullReport {
    let options = PullOptions {
        since: None,
        progress: false,
        now: Utc::now(),
    };
    pull(store.clone(), config, source, &options)
        .await
        .unwrap_or_else(|e| panic!("pull {}: {e}", source.name))
}

/// Writes a file into a drop folder as a finished copy would be: written a
/// minute ago.
fn drop_file(folder: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = folder.join(name);
    std::fs::write(&path, content).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    path
}

fn append(path: &Path, content: &[u8]) {
    let mut file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(content).unwrap();
}

/// The fixture Master.csv's lines, each with its newline.
fn master_lines() -> Vec<Vec<u8>> {
    let data = std::fs::read(fixture("Master.csv")).unwrap();
    data.split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Lines `from..=to` (1-based) of the fixture, joined.
fn lines(all: &[Vec<u8>], from: usize, to: usize) -> Vec<u8> {
    all[from - 1..to].concat()
}

/// What a person would compare of a stored call.
type CallKey = (String, Option<String>, String, i64, String, i64);

async fn stored_calls(store: &Store) -> Vec<CallKey> {
    let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut calls: Vec<CallKey> = store
        .calls_between(from, to, &[])
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.external_id.as_str().to_owned(),
                c.employee_id,
                c.direction.as_str().to_owned(),
                c.talk_seconds,
                c.disposition.as_str().to_owned(),
                c.started_at.timestamp(),
            )
        })
        .collect();
    calls.sort();
    calls
}

/// The calls a one-shot `ingest` of `content` stores.
async fn ingested_at_once(source: &str, content: &[u8]) -> Vec<CallKey> {
    let reference = sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.csv");
    std::fs::write(&path, content).unwrap();
    let config = config();
    let source = config.source(source).unwrap();
    ingest_file(reference.store.clone(), &config, source, &path, &quiet())
        .await
        .unwrap();
    let calls = stored_calls(reference.store.as_ref()).await;
    reference.finish().await;
    calls
}

fn calls_count(report: &PullReport) -> (u64, u64, u64) {
    let u = report.records.get("calls").copied().unwrap_or_default();
    (u.inserted, u.updated, u.unchanged)
}

fn reject_lines(report: &PullReport) -> Vec<(String, i64)> {
    report
        .rejects
        .iter()
        .map(|r| (r.file.clone(), r.line))
        .collect()
}

async fn table_count(db: &TestDb, table: &str) -> i64 {
    db.store
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.table == table)
        .map(|c| c.rows)
        .unwrap()
}

#[tokio::test]
async fn a_file_dropped_twice_is_read_once() {
    for db in backends().await {
        let folder = tempfile::tempdir().unwrap();
        let (config, pbx) = with_paths("pbx", Some(folder.path()), None);
        let master = std::fs::read(fixture("Master.csv")).unwrap();
        let first = drop_file(folder.path(), "cdr-2026-11-16.csv", &master);
        drop_file(folder.path(), "cdr-2026-11-17.csv.part", b"half a file");

        let report = pull_now(&db.store, &config, &pbx).await;
        assert_eq!((report.requests, report.skipped), (1, 0), "{}", db.name);
        assert_eq!(calls_count(&report), (6, 0, 0), "{}", db.name);
        let shown = first.display().to_string();
        assert_eq!(
            reject_lines(&report),
            [8, 9, 10, 11, 15].map(|l| (shown.clone(), l)).to_vec(),
            "{}",
            db.name
        );
        let calls = table_count(&db, "calls").await;

        // The same export again under another name, and a copy still being
        // written: neither is read.
        let again = drop_file(folder.path(), "cdr-copy.csv", &master);
        std::fs::write(folder.path().join("fresh.csv"), &master[..200]).unwrap();
        let report = pull_now(&db.store, &config, &pbx).await;
        assert_eq!((report.requests, report.skipped), (0, 2), "{}", db.name);
        assert!(report.records.is_empty(), "{}: {report:?}", db.name);
        let notes = report.notes.join("\n");
        assert!(
            notes.contains(&format!("{}: already read (as {shown})", again.display())),
            "{}: {notes}",
            db.name
        );
        assert!(notes.contains("fresh.csv: changed less than"), "{notes}");
        assert_eq!(table_count(&db, "calls").await, calls, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_crm_file_dropped_is_read_and_a_stranger_left_alone() {
    for db in backends().await {
        let folder = tempfile::tempdir().unwrap();
        let (config, crm) = with_paths("crm", Some(folder.path()), None);
        for name in ["employees.jsonl", "deals.jsonl"] {
            let content = std::fs::read(fixture(&format!("crm/{name}"))).unwrap();
            drop_file(folder.path(), name, &content);
        }
        drop_file(folder.path(), "readme.txt", b"not an export");

        let report = pull_now(&db.store, &config, &crm).await;
        assert_eq!(report.requests, 2, "{}: {report:?}", db.name);
        let deals = report.records.get("deals").copied().unwrap_or_default();
        assert_eq!(deals.inserted, 3, "{}: {report:?}", db.name);
        assert_eq!(table_count(&db, "deals").await, 3, "{}", db.name);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("readme.txt") && n.contains("cannot tell which CRM entity")),
            "{:?}",
            report.notes
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);

        let report = pull_now(&db.store, &config, &crm).await;
        assert_eq!((report.requests, report.skipped), (0, 2), "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_followed_master_csv_gives_each_call_once_across_appends_and_rotation() {
    let all = master_lines();
    let expected = ingested_at_once("pbx", &lines(&all, 1, 15)).await;
    assert_eq!(expected.len(), 6);
    for db in backends().await {
        let folder = tempfile::tempdir().unwrap();
        let master = folder.path().join("Master.csv");
        let rotated = folder.path().join("Master.csv.1");
        let (config, pbx) = with_paths("pbx", None, Some(&master));

        // Four lines and the start of a fifth still being written. Lines 3
        // and 4 are two legs of one call, whose third leg is line 5.
        let fifth = &all[4];
        std::fs::write(&master, [lines(&all, 1, 4), fifth[..40].to_vec()].concat()).unwrap();
        let report = pull_now(&db.store, &config, &pbx).await;
        assert_eq!(report.rows_read, 4, "{}", db.name);
        assert_eq!(calls_count(&report), (3, 0, 0), "{}", db.name);
        assert!(report.cursor_before.is_none());

        // The fifth line completed, four more after it.
        append(&master, &[fifth[40..].to_vec(), lines(&all, 6, 9)].concat());
        let report = pull_now(&db.store, &config, &pbx).await;
        assert_eq!(report.rows_read, 5, "{}", db.name);
        let m = master.display().to_string();
        assert_eq!(
            reject_lines(&report),
            vec![(m.clone(), 8), (m.clone(), 9)],
            "{}",
            db.name
        );
        assert_eq!(
            calls_count(&report).0,
            1,
            "{}: only line 6 is a new call",
            db.name
        );

        // A restart: the cursor is in the database, not in the process.
        let store = storage::open(&db.url).await.unwrap();

        // Three more lines, then logrotate renames the file and Asterisk
        // starts a new one.
        append(&master, &lines(&all, 10, 12));
        std::fs::rename(&master, &rotated).unwrap();
        std::fs::write(&master, lines(&all, 13, 15)).unwrap();
        let report = pull_now(&store, &config, &pbx).await;
        assert_eq!(report.rows_read, 6, "{}", db.name);
        assert_eq!(report.requests, 2, "{}", db.name);
        let r = rotated.display().to_string();
        assert_eq!(
            reject_lines(&report),
            vec![(r.clone(), 10), (r.clone(), 11), (m.clone(), 3)],
            "{}",
            db.name
        );
        assert!(
            report.notes.iter().any(|n| n.contains("was rotated")),
            "{:?}",
            report.notes
        );

        // Nothing new: nothing read, the cursor stays.
        let report = pull_now(&store, &config, &pbx).await;
        assert_eq!((report.requests, report.rows_read), (0, 0), "{}", db.name);
        assert_eq!(report.cursor_after, report.cursor_before);

        assert_eq!(stored_calls(store.as_ref()).await, expected, "{}", db.name);
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test]
async fn a_copied_and_truncated_master_csv_is_finished_from_the_copy() {
    let all = master_lines();
    let expected =
        ingested_at_once("pbx", &[lines(&all, 1, 6), lines(&all, 12, 14)].concat()).await;
    for db in backends().await {
        let folder = tempfile::tempdir().unwrap();
        let master = folder.path().join("Master.csv");
        let (config, pbx) = with_paths("pbx", None, Some(&master));
        std::fs::write(&master, lines(&all, 1, 6)).unwrap();
        pull_now(&db.store, &config, &pbx).await;

        // logrotate's copytruncate: the copy keeps lines 1-8, the file is
        // emptied in place and goes on with the answered leg of line 8's call.
        append(&master, &lines(&all, 12, 13));
        std::fs::copy(&master, folder.path().join("Master.csv-20261116")).unwrap();
        std::fs::File::create(&master).unwrap();
        append(&master, &lines(&all, 14, 14));
        let report = pull_now(&db.store, &config, &pbx).await;
        assert_eq!((report.requests, report.rows_read), (2, 3), "{}", db.name);
        assert_eq!(
            stored_calls(db.store.as_ref()).await,
            expected,
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_followed_calls_csv_names_the_lines_of_the_file() {
    let data = std::fs::read(fixture("cloud.csv")).unwrap();
    let rows: Vec<&[u8]> = data.split_inclusive(|b| *b == b'\n').collect();
    let expected = ingested_at_once("cloud", &data).await;
    for db in backends().await {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("calls.csv");
        let (config, cloud) = with_paths("cloud", None, Some(&file));
        std::fs::write(&file, rows[..3].concat()).unwrap();
        let report = pull_now(&db.store, &config, &cloud).await;
        assert_eq!(calls_count(&report), (2, 0, 0), "{}", db.name);

        append(&file, &rows[3..].concat());
        let report = pull_now(&db.store, &config, &cloud).await;
        let shown = file.display().to_string();
        assert_eq!(
            reject_lines(&report),
            vec![(shown.clone(), 4), (shown, 5)],
            "{}: the header is line 1",
            db.name
        );
        assert_eq!(calls_count(&report), (1, 0, 0), "{}", db.name);
        assert_eq!(
            stored_calls(db.store.as_ref()).await,
            expected,
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_source_with_nowhere_to_pull_from_says_so() {
    let db = sqlite().await;
    let config = config();
    let pbx = config.source("pbx").unwrap();
    let options = PullOptions {
        since: None,
        progress: false,
        now: Utc::now(),
    };
    let result = pull(db.store.clone(), &config, pbx, &options).await;
    assert!(
        matches!(&result, Err(PullError::NothingToPull(name)) if name == "pbx"),
        "{:?}",
        result.map(|r| r.source)
    );
    db.finish().await;
}

#[test]
fn the_pull_command_reads_a_drop_folder_once_and_fails_on_a_source_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(fixture("salespulse.toml"))
        .unwrap()
        .replace(
            "kind = \"asterisk\"\n",
            "kind = \"asterisk\"\ndrop_folder = \"drop\"\n",
        );
    std::fs::write(dir.path().join("salespulse.toml"), toml).unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    drop_file(
        &drop,
        "Master.csv",
        &std::fs::read(fixture("Master.csv")).unwrap(),
    );

    let out = salespulse(dir.path()).arg("pull").output().unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(
            "pbx: 1 file(s) read, 0 skipped as already read; 15 rows read; calls: 6 inserted"
        ),
        "{said}"
    );
    assert!(said.contains("Master.csv:8: 5 columns"), "{said}");
    assert!(said.contains("109 (1)"), "{said}");

    let out = salespulse(dir.path())
        .args(["pull", "pbx"])
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("pbx: 0 file(s) read, 1 skipped as already read"),
        "{said}"
    );

    let out = salespulse(dir.path())
        .args(["pull", "crm"])
        .output()
        .unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("crm: FAILED: source crm has nothing to pull from"),
        "{said}"
    );
}
