//! The fault suite: what a careful admin does to a running installation.
//! Concurrent writers on one SQLite file, a command started during a bulk
//! load, SIGKILL during a bulk load, and generated bad input for every
//! parser (each asserting that nothing panics and every line is accounted
//! for). SIGKILL during delivery is `serve::processes`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::text;
use crate::helpers::fixture;

/// A fresh folder with the test department on a SQLite file of its own.
fn department() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("sp.db");
    let config = std::fs::read_to_string(fixture("salespulse.toml"))
        .expect("test config")
        .replace("sqlite://unused.db", &format!("sqlite://{}", db.display()));
    let path = dir.path().join("sp.toml");
    std::fs::write(&path, config).expect("config written");
    (dir, path)
}

fn salespulse(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salespulse"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .current_dir(config.parent().expect("a folder"))
        .env_remove("SALESPULSE_DATABASE_URL")
        .env("NO_COLOR", "1");
    cmd
}

fn spawn(config: &Path, args: &[&str]) -> Child {
    salespulse(config, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("salespulse starts")
}

fn generate(config: &Path, rows: u64) -> PathBuf {
    let file = config.with_file_name("Master.csv");
    let out = salespulse(
        config,
        &[
            "generate-cdr",
            "--rows",
            &rows.to_string(),
            "--out",
            &file.display().to_string(),
        ],
    )
    .output()
    .expect("generate-cdr runs");
    assert!(out.status.success(), "{}", text(&out));
    file
}

fn sqlite_count(db: &Path, sql: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}?mode=ro", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("read-only connection");
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count");
        n
    })
}

fn bulk_indexes_present(db: &Path) -> i64 {
    sqlite_count(
        db,
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
         AND name IN ('calls_employee_time', 'calls_number_time')",
    )
}

#[test]
fn two_writers_on_one_sqlite_file_wait_for_each_other() {
    let (_dir, config) = department();
    let cdr = generate(&config, 30_000);
    let crm = fixture("crm");
    for round in 0..3 {
        let calls = spawn(
            &config,
            &["ingest", "--source", "pbx", &cdr.display().to_string()],
        );
        let deals = spawn(
            &config,
            &["ingest", "--source", "crm", &crm.display().to_string()],
        );
        for (what, child) in [("calls", calls), ("crm", deals)] {
            let out = child.wait_with_output().expect("ingest ends");
            let said = text(&out);
            assert!(
                out.status.success() && !said.contains("locked"),
                "round {round}, {what}: {said}"
            );
        }
    }
    let db = config.with_file_name("sp.db");
    assert!(sqlite_count(&db, "SELECT COUNT(*) FROM calls") > 20_000);
    assert!(sqlite_count(&db, "SELECT COUNT(*) FROM deals") > 0);
}

/// Waits until the load has its indexes down; false if it ended first.
fn wait_for_bulk(db: &Path, load: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if load.try_wait().expect("status").is_some() {
            return false;
        }
        if db.exists() && bulk_indexes_present(db) == 0 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the bulk load did not drop its indexes within 2 minutes");
}

#[test]
fn commands_during_a_bulk_load_leave_it_alone_and_a_killed_load_heals() {
    let (_dir, config) = department();
    // Over 200,000 rows into an empty table: loaded in bulk.
    let cdr = generate(&config, 260_000);
    let db = config.with_file_name("sp.db");
    let cdr_arg = cdr.display().to_string();
    let crm = fixture("crm").display().to_string();

    // Readers and another writer start while the indexes are down.
    let mut load = spawn(&config, &["ingest", "--source", "pbx", &cdr_arg]);
    assert!(
        wait_for_bulk(&db, &mut load),
        "the load ended before it was seen"
    );
    let figures = salespulse(
        &config,
        &[
            "report",
            "figures",
            "--team",
            "moscow",
            "--from",
            "2026-11-16",
            "--to",
            "2026-11-16",
        ],
    )
    .output()
    .expect("figures run");
    assert!(figures.status.success(), "{}", text(&figures));
    let other = salespulse(&config, &["ingest", "--source", "crm", &crm])
        .output()
        .expect("crm ingest runs");
    assert!(other.status.success(), "{}", text(&other));
    if load.try_wait().expect("status").is_none() {
        assert_eq!(
            bulk_indexes_present(&db),
            0,
            "a reader rebuilt the indexes under a running load"
        );
    }
    let out = load.wait_with_output().expect("load ends");
    assert!(out.status.success(), "the load failed: {}", text(&out));
    assert_eq!(bulk_indexes_present(&db), 2);
    let calls = sqlite_count(&db, "SELECT COUNT(*) FROM calls");
    assert!(calls > 200_000, "{calls}");

    // SIGKILL a second bulk load (into a fresh file) with its indexes down.
    std::fs::remove_file(&db).expect("fresh file");
    let _ = std::fs::remove_file(db.with_extension("db-wal"));
    let _ = std::fs::remove_file(db.with_extension("db-shm"));
    let mut load = spawn(&config, &["ingest", "--source", "pbx", &cdr_arg]);
    if wait_for_bulk(&db, &mut load) {
        std::thread::sleep(Duration::from_millis(300));
        load.kill().expect("SIGKILL");
    }
    let _ = load.wait();
    // The next command finds no load running and builds them back; reading
    // the file again stores every call once.
    let again = salespulse(&config, &["ingest", "--source", "pbx", &cdr_arg])
        .output()
        .expect("ingest runs");
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(bulk_indexes_present(&db), 2);
    assert_eq!(sqlite_count(&db, "SELECT COUNT(*) FROM calls"), calls);
}

#[test]
fn a_closed_stdout_ends_a_command_without_a_panic() {
    let (_dir, config) = department();
    let mut child = salespulse(&config, &["check-config"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // The reader goes away before the command prints.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("ends");
    let said = text(&out);
    assert!(!said.contains("panicked"), "{said}");
}

#[test]
fn an_unbounded_period_is_refused_with_the_limit() {
    let (_dir, config) = department();
    let out = salespulse(
        &config,
        &[
            "report",
            "figures",
            "--team",
            "moscow",
            "--from",
            "2026-11-01",
            "--to",
            "9999-12-31",
        ],
    )
    .output()
    .expect("runs");
    assert!(!out.status.success());
    assert!(text(&out).contains("at most 366 days"), "{}", text(&out));
}
