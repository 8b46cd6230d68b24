//! Asterisk's CDR table on real servers: MariaDB (`SALESPULSE_TEST_MARIADB`,
//! a FreePBX-layout `cdr`) and Postgres (`SALESPULSE_TEST_POSTGRES`, a
//! `cdr_pgsql`-layout table). The calls pulled equal those ingested from the
//! same records as a Master.csv; pulls read each row once; a connection cut
//! between pages loses nothing; `/why` carries the recording links for those
//! who may see the calls.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{TimeZone, Utc};
use salespulse::app::pull::{CdrPullTuning, PullOptions, pull_cdr_table};
use salespulse::config::{Config, SourceKind};
use salespulse::domain::Call;
use salespulse::storage;

use crate::cli::{salespulse, text};
use crate::helpers::POSTGRES_ENV;

pub const MARIADB_ENV: &str = "SALESPULSE_TEST_MARIADB";

static TABLES: AtomicU32 = AtomicU32::new(0);

/// A CDR server the test writes its own table into.
#[derive(Clone)]
enum Server {
    MariaDb(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

impl Server {
    async fn mariadb() -> Option<(Server, String)> {
        let Ok(url) = std::env::var(MARIADB_ENV) else {
            eprintln!(
                "SKIPPED: {MARIADB_ENV} is not set (e.g. mysql://root@127.0.0.1:3306/test; .ci/run sets it)"
            );
            return None;
        };
        let pool = sqlx::MySqlPool::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{MARIADB_ENV}={url} is set but unreachable: {e}"));
        Some((Server::MariaDb(pool), url))
    }

    async fn postgres() -> Option<(Server, String)> {
        let Ok(url) = std::env::var(POSTGRES_ENV) else {
            eprintln!(
                "SKIPPED: {POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/test; .ci/run sets it)"
            );
            return None;
        };
        let pool = sqlx::PgPool::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={url} is set but unreachable: {e}"));
        Some((Server::Postgres(pool), url))
    }

    async fn exec(&self, sql: &str) {
        match self {
            Server::MariaDb(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Server::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A fresh table in the layout this server's Asterisk writes.
    async fn create_table(&self) -> String {
        let table = format!(
            "cdr_it_{}_{}",
            std::process::id(),
            TABLES.fetch_add(1, Ordering::SeqCst)
        );
        let ddl = match self {
            // FreePBX's asteriskcdrdb.cdr (did, recordingfile, cnum, linkedid
            // and peeraccount nullable, as cdr_adaptive_odbc tables often are).
            Server::MariaDb(_) => format!(
                "CREATE TABLE `{table}` (
                  calldate datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
                  clid varchar(80) NOT NULL DEFAULT '',
                  src varchar(80) NOT NULL DEFAULT '',
                  dst varchar(80) NOT NULL DEFAULT '',
                  dcontext varchar(80) NOT NULL DEFAULT '',
                  channel varchar(80) NOT NULL DEFAULT '',
                  dstchannel varchar(80) NOT NULL DEFAULT '',
                  lastapp varchar(80) NOT NULL DEFAULT '',
                  lastdata varchar(80) NOT NULL DEFAULT '',
                  duration int(11) NOT NULL DEFAULT 0,
                  billsec int(11) NOT NULL DEFAULT 0,
                  disposition varchar(45) NOT NULL DEFAULT '',
                  amaflags int(11) NOT NULL DEFAULT 0,
                  accountcode varchar(20) NOT NULL DEFAULT '',
                  uniqueid varchar(32) NOT NULL DEFAULT '',
                  userfield varchar(255) NOT NULL DEFAULT '',
                  did varchar(50) DEFAULT NULL,
                  recordingfile varchar(255) DEFAULT NULL,
                  cnum varchar(80) DEFAULT NULL,
                  cnam varchar(80) DEFAULT NULL,
                  outbound_cnum varchar(80) NOT NULL DEFAULT '',
                  outbound_cnam varchar(80) NOT NULL DEFAULT '',
                  dst_cnam varchar(80) NOT NULL DEFAULT '',
                  linkedid varchar(32) DEFAULT NULL,
                  peeraccount varchar(80) DEFAULT NULL,
                  sequence int(11) NOT NULL DEFAULT 0,
                  KEY calldate (calldate), KEY dst (dst), KEY accountcode (accountcode)
                ) DEFAULT CHARSET=utf8mb4"
            ),
            // cdr_pgsql's table: no recordingfile, did or cnum.
            Server::Postgres(_) => format!(
                "CREATE TABLE {table} (
                  calldate timestamp with time zone NOT NULL DEFAULT now(),
                  clid varchar(80) NOT NULL DEFAULT '',
                  src varchar(80) NOT NULL DEFAULT '',
                  dst varchar(80) NOT NULL DEFAULT '',
                  dcontext varchar(80) NOT NULL DEFAULT '',
                  channel varchar(80) NOT NULL DEFAULT '',
                  dstchannel varchar(80) NOT NULL DEFAULT '',
                  lastapp varchar(80) NOT NULL DEFAULT '',
                  lastdata varchar(80) NOT NULL DEFAULT '',
                  duration bigint NOT NULL DEFAULT 0,
                  billsec bigint NOT NULL DEFAULT 0,
                  disposition varchar(45) NOT NULL DEFAULT '',
                  amaflags bigint NOT NULL DEFAULT 0,
                  accountcode varchar(20) NOT NULL DEFAULT '',
                  uniqueid varchar(150) NOT NULL DEFAULT '',
                  userfield varchar(255) NOT NULL DEFAULT '',
                  peeraccount varchar(20) DEFAULT NULL,
                  linkedid varchar(150) DEFAULT NULL,
                  sequence int DEFAULT NULL
                );
                CREATE INDEX {table}_calldate ON {table} (calldate)"
            ),
        };
        self.exec(&ddl).await;
        table
    }

    /// Inserts legs in one statement, as Asterisk would have written them.
    async fn insert(&self, table: &str, legs: &[Leg]) {
        let lit = |v: &Option<&str>| match v {
            Some(s) => format!("'{}'", s.replace('\'', "''")),
            None => "NULL".to_owned(),
        };
        let pg = matches!(self, Server::Postgres(_));
        let rows: Vec<String> = legs
            .iter()
            .map(|l| {
                let calldate = if pg {
                    // The table keeps instants: the office is in Moscow.
                    format!("'{} Europe/Moscow'", l.calldate)
                } else {
                    format!("'{}'", l.calldate)
                };
                let mut v = vec![
                    calldate,
                    lit(&Some(l.clid)),
                    lit(&Some(l.src)),
                    lit(&Some(l.dst)),
                    lit(&Some(l.dcontext)),
                    lit(&Some(l.channel)),
                    lit(&Some(l.dstchannel)),
                    lit(&Some(l.lastapp)),
                    l.duration.to_string(),
                    l.billsec.to_string(),
                    lit(&Some(l.disposition)),
                    lit(&Some(l.uniqueid)),
                    lit(&l.linkedid),
                    l.sequence.to_string(),
                ];
                if !pg {
                    v.push(lit(&l.recordingfile));
                    v.push(lit(&l.cnum));
                }
                format!("({})", v.join(", "))
            })
            .collect();
        let extra = if pg { "" } else { ", recordingfile, cnum" };
        let sql = format!(
            "INSERT INTO {table} (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, \
             duration, billsec, disposition, uniqueid, linkedid, sequence{extra}) VALUES {}",
            rows.join(", ")
        );
        if let Server::MariaDb(p) = self {
            // A zero date goes in as old servers let it.
            let mut conn = p.acquire().await.unwrap();
            sqlx::raw_sql("SET SESSION sql_mode = ''")
                .execute(&mut *conn)
                .await
                .unwrap();
            sqlx::raw_sql(&sql)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        } else {
            self.exec(&sql).await;
        }
    }

    /// Cuts the session off, as a restarted server or a dropped link would.
    async fn kill(&self, session: i64) {
        match self {
            Server::MariaDb(_) => self.exec(&format!("KILL {session}")).await,
            Server::Postgres(p) => {
                sqlx::query("SELECT pg_terminate_backend($1)")
                    .bind(session as i32)
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
    }

    /// The rows this server can hold: Postgres has no zero dates.
    fn rows(&self, legs: Vec<Leg>) -> Vec<Leg> {
        let pg = matches!(self, Server::Postgres(_));
        legs.into_iter()
            .filter(|l| !(pg && l.calldate.starts_with("0000")))
            .collect()
    }

    async fn drop_table(&self, table: &str) {
        self.exec(&format!("DROP TABLE IF EXISTS {table}")).await;
    }
}

/// One CDR row.
#[derive(Clone)]
struct Leg {
    calldate: &'static str,
    clid: &'static str,
    src: &'static str,
    dst: &'static str,
    dcontext: &'static str,
    channel: &'static str,
    dstchannel: &'static str,
    lastapp: &'static str,
    duration: i64,
    billsec: i64,
    disposition: &'static str,
    uniqueid: &'static str,
    linkedid: Option<&'static str>,
    sequence: i64,
    recordingfile: Option<&'static str>,
    cnum: Option<&'static str>,
}

impl Leg {
    /// The same row as Asterisk's cdr_csv writes it to Master.csv.
    fn master_csv(&self) -> String {
        let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
        let (answer, end) =
            match chrono::NaiveDateTime::parse_from_str(self.calldate, "%Y-%m-%d %H:%M:%S") {
                Ok(start) => (
                    if self.billsec > 0 {
                        fmt(start + chrono::Duration::seconds(self.duration - self.billsec))
                    } else {
                        String::new()
                    },
                    fmt(start + chrono::Duration::seconds(self.duration)),
                ),
                Err(_) => (String::new(), self.calldate.to_owned()),
            };
        let q = |s: &str| format!("\"{s}\"");
        [
            q(""),
            q(self.src),
            q(self.dst),
            q(self.dcontext),
            q(self.clid),
            q(self.channel),
            q(self.dstchannel),
            q(self.lastapp),
            q(""),
            q(self.calldate),
            q(&answer),
            q(&end),
            self.duration.to_string(),
            self.billsec.to_string(),
            q(self.disposition),
            q("DOCUMENTATION"),
            q(self.uniqueid),
            q(""),
            q(""),
            q(self.linkedid.unwrap_or("")),
            self.sequence.to_string(),
        ]
        .join(",")
    }
}

#[allow(clippy::too_many_arguments)]
fn leg(
    calldate: &'static str,
    src: &'static str,
    dst: &'static str,
    channel: &'static str,
    dstchannel: &'static str,
    duration: i64,
    billsec: i64,
    uniqueid: &'static str,
    linkedid: Option<&'static str>,
    sequence: i64,
) -> Leg {
    Leg {
        calldate,
        clid: "",
        src,
        dst,
        dcontext: if channel.contains("trunk") {
            "from-trunk"
        } else {
            "from-internal"
        },
        channel,
        dstchannel,
        lastapp: "Dial",
        duration,
        billsec,
        disposition: if billsec > 0 { "ANSWERED" } else { "NO ANSWER" },
        uniqueid,
        linkedid,
        sequence,
        recordingfile: None,
        cnum: None,
    }
}

/// A morning of the office: a ring group (three legs, one answered), an
/// attended transfer (two legs, the longer talk wins), a row without
/// linkedid, NULLs, a zero date and a row whose talk is longer than the call.
fn morning() -> Vec<Leg> {
    let rec = |mut l: Leg, file: &'static str| {
        l.recordingfile = Some(file);
        l
    };
    let trunk = "SIP/trunk-00000001";
    vec![
        rec(
            leg(
                "2026-11-16 10:00:00",
                "79161234541",
                "600",
                trunk,
                "SIP/101-0000000a",
                30,
                0,
                "1763276400.1",
                Some("1763276400.1"),
                1,
            ),
            "rg-600-79161234541-20261116-100000-1763276400.1.wav",
        ),
        rec(
            leg(
                "2026-11-16 10:00:00",
                "79161234541",
                "600",
                trunk,
                "SIP/102-0000000b",
                125,
                95,
                "1763276400.1",
                Some("1763276400.1"),
                2,
            ),
            "rg-600-79161234541-20261116-100000-1763276400.1.wav",
        ),
        rec(
            leg(
                "2026-11-16 10:00:00",
                "79161234541",
                "600",
                trunk,
                "SIP/103-0000000c",
                30,
                0,
                "1763276400.1",
                Some("1763276400.1"),
                3,
            ),
            "rg-600-79161234541-20261116-100000-1763276400.1.wav",
        ),
        rec(
            leg(
                "2026-11-16 10:05:00",
                "101",
                "79035550011",
                "SIP/101-0000000d",
                "SIP/trunk-00000002",
                40,
                30,
                "1763276700.5",
                Some("1763276700.5"),
                4,
            ),
            "out-79035550011-101-20261116-100500-1763276700.5.wav",
        ),
        leg(
            "2026-11-16 10:06:00",
            "103",
            "79035550011",
            "SIP/103-0000000e",
            "SIP/trunk-00000002",
            130,
            120,
            "1763276760.6",
            Some("1763276700.5"),
            5,
        ),
        Leg {
            cnum: Some("103"),
            ..rec(
                leg(
                    "2026-11-16 10:10:00",
                    "103",
                    "79267770022",
                    "SIP/103-0000000f",
                    "SIP/trunk-00000003",
                    60,
                    50,
                    "1763277000.7",
                    None,
                    6,
                ),
                "out-79267770022-103-20261116-101000-1763277000.7.wav",
            )
        },
        leg(
            "2026-11-16 10:12:00",
            "79998887766",
            "101",
            trunk,
            "",
            20,
            0,
            "1763277120.8",
            Some("1763277120.8"),
            7,
        ),
        leg(
            "0000-00-00 00:00:00",
            "101",
            "79161234541",
            "SIP/101-00000010",
            "SIP/trunk-00000004",
            10,
            5,
            "1763277200.9",
            Some("1763277200.9"),
            8,
        ),
        leg(
            "2026-11-16 10:20:00",
            "102",
            "79161234541",
            "SIP/102-00000011",
            "SIP/trunk-00000005",
            10,
            50,
            "1763277600.10",
            Some("1763277600.10"),
            9,
        ),
    ]
}

/// Rows written after the first pull: a later call, and a long call that
/// started before the last row read but ended (and was written) after it.
fn later() -> Vec<Leg> {
    vec![
        leg(
            "2026-11-16 11:00:00",
            "102",
            "79264440033",
            "SIP/102-00000012",
            "SIP/trunk-00000006",
            70,
            62,
            "1763280000.11",
            Some("1763280000.11"),
            10,
        ),
        leg(
            "2026-11-16 10:15:00",
            "101",
            "79265550044",
            "SIP/101-00000013",
            "SIP/trunk-00000007",
            3000,
            2950,
            "1763277300.12",
            Some("1763277300.12"),
            11,
        ),
    ]
}

const RECORDINGS: &str = "https://pbx.example.com/recordings/{yyyy}/{mm}/{dd}/{file}";

/// The department; `source` is the CDR source's TOML.
fn config_text(database: &Path, source: &str) -> String {
    format!(
        r#"database_url = "sqlite://{}"

[[teams]]
id = "moscow"
name = "Москва"
timezone = "Europe/Moscow"
locale = "en"

[[teams]]
id = "spb"
name = "Питер"
timezone = "Europe/Moscow"
locale = "en"

[[employees]]
id = "petrova"
name = "Петрова Анна"
role = "head"
team = "moscow"

[[employees]]
id = "smirnov"
name = "Смирнов Олег"
role = "head"
team = "spb"

[[employees]]
id = "ivanov"
name = "Иванов Иван"
team = "moscow"
ids = {{ pbxdb = "101" }}

[[employees]]
id = "sidorov"
name = "Сидоров Пётр"
team = "moscow"
ids = {{ pbxdb = "102" }}

[[employees]]
id = "petrov"
name = "Петров Олег"
team = "moscow"
ids = {{ pbxdb = "103" }}

[[stages]]
id = "new"

[[sources]]
name = "pbxdb"
timezone = "Europe/Moscow"
trunks = ["SIP/trunk-*"]
inbound_contexts = ["from-trunk"]
{source}
"#,
        database.display()
    )
}

fn db_source(url_env: &str, table: &str, page_rows: u32) -> String {
    format!(
        "kind = \"asterisk_db\"\nurl_env = \"{url_env}\"\ntable = \"{table}\"\npage_rows = {page_rows}\noverlap_minutes = 120\nrecording_url = \"{RECORDINGS}\"\n"
    )
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = salespulse(dir).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

async fn rejects_of(database: &Path) -> usize {
    let store = storage::open(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let n = store.rejects("pbxdb").await.unwrap().len();
    store.close().await;
    n
}

async fn calls_of(database: &Path) -> Vec<Call> {
    let store = storage::open(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut calls = store.calls_between(from, to, &[]).await.unwrap();
    store.close().await;
    calls.sort_by(|a, b| a.external_id.as_str().cmp(b.external_id.as_str()));
    calls
}

/// The calls without their recording links (a Master.csv has none).
fn unlinked(calls: &[Call]) -> Vec<Call> {
    calls
        .iter()
        .map(|c| Call {
            recording_url: None,
            ..c.clone()
        })
        .collect()
}

/// The figures JSON without the recordings (a Master.csv has none).
fn figures_json(dir: &Path, config: &str) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("recordings");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let out = salespulse(dir)
        .args([
            "--config",
            config,
            "report",
            "figures",
            "--team",
            "moscow",
            "--from",
            "2026-11-16",
            "--format",
            "json",
            "--now",
            "2026-11-17T09:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = String::from_utf8_lossy(&out.stdout);
    let mut v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("figures JSON: {e}: {out}"));
    strip(&mut v);
    v
}

fn write_master_csv(path: &Path, legs: &[Leg]) {
    let mut text = String::new();
    for l in legs {
        text.push_str(&l.master_csv());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// `pull` of the table against `ingest` of the same rows as Master.csv,
/// through the binary; then pulls that find nothing new, rows written
/// later read once, and `/why` with the recording links.
async fn pull_equals_ingest(server: Server, url_env: &str, with_recordings: bool) {
    let dir = tempfile::tempdir().unwrap();
    let table = server.create_table().await;
    let morning = server.rows(morning());
    let rejected = morning.len() - 7;
    server.insert(&table, &morning).await;
    let db_config = dir.path().join("db.toml");
    let csv_config = dir.path().join("csv.toml");
    std::fs::write(
        &db_config,
        config_text(
            &dir.path().join("db.sqlite"),
            &db_source(url_env, &table, 3),
        ),
    )
    .unwrap();
    std::fs::write(
        &csv_config,
        config_text(&dir.path().join("csv.sqlite"), "kind = \"asterisk\"\n"),
    )
    .unwrap();
    let (db_cfg, csv_cfg) = (
        db_config.to_str().unwrap().to_owned(),
        csv_config.to_str().unwrap().to_owned(),
    );

    let checked = run(dir.path(), &["--config", &db_cfg, "check-config"]);
    assert!(
        checked.contains(&format!("source pbxdb: table {table}:")),
        "{checked}"
    );
    if with_recordings {
        assert!(checked.contains("none missing"), "{checked}");
    } else {
        assert!(
            checked.contains("lacks recordingfile, did, cnum, cnam (no recording links)"),
            "{checked}"
        );
    }

    let pulled = run(dir.path(), &["--config", &db_cfg, "pull", "pbxdb"]);
    write_master_csv(&dir.path().join("Master.csv"), &morning);
    run(
        dir.path(),
        &[
            "--config",
            &csv_cfg,
            "ingest",
            "--source",
            "pbxdb",
            "Master.csv",
        ],
    );
    // 4 calls kept; the too-long talk (and on MariaDB the zero date) set
    // aside, named by table and uniqueid/sequence.
    assert!(
        pulled.contains("calls: 4 inserted, 0 updated, 0 unchanged"),
        "{pulled}"
    );
    assert!(pulled.contains(&format!("{rejected} rejected")), "{pulled}");
    assert!(
        pulled.contains(&format!(
            "rejected {table} ID 1763277600.10/9: billsec 50 is longer than duration 10"
        )),
        "{pulled}"
    );
    if with_recordings {
        assert!(
            pulled.contains("ID 1763277200.9/8: start \"0000-00-00 00:00:00\" is not a time"),
            "{pulled}"
        );
    }
    assert_eq!(rejects_of(&dir.path().join("db.sqlite")).await, rejected);
    assert_eq!(rejects_of(&dir.path().join("csv.sqlite")).await, rejected);

    let db_calls = calls_of(&dir.path().join("db.sqlite")).await;
    let csv_calls = calls_of(&dir.path().join("csv.sqlite")).await;
    assert_eq!(db_calls.len(), 4);
    assert_eq!(unlinked(&db_calls), csv_calls);
    let talk: i64 = db_calls.iter().map(|c| c.talk_seconds).sum();
    assert_eq!(
        talk,
        95 + 120 + 50,
        "ring group 95 s, transfer 120 s, no linkedid 50 s"
    );
    let ring = db_calls
        .iter()
        .find(|c| c.external_id.as_str() == "1763276400.1")
        .unwrap();
    assert_eq!(
        (ring.employee_id.as_deref(), ring.legs),
        (Some("sidorov"), 3)
    );
    if with_recordings {
        assert_eq!(
            ring.recording_url.as_deref(),
            Some(
                "https://pbx.example.com/recordings/2026/11/16/rg-600-79161234541-20261116-100000-1763276400.1.wav"
            )
        );
        // The transfer's recording hangs on its first leg, the second won.
        let transfer = db_calls
            .iter()
            .find(|c| c.external_id.as_str() == "1763276700.5")
            .unwrap();
        assert_eq!(transfer.employee_id.as_deref(), Some("petrov"));
        assert!(transfer.recording_url.is_some());
    } else {
        assert!(db_calls.iter().all(|c| c.recording_url.is_none()));
    }
    assert_eq!(
        figures_json(dir.path(), &db_cfg),
        figures_json(dir.path(), &csv_cfg)
    );

    // Nothing new: nothing read, nothing changed.
    let again = run(dir.path(), &["--config", &db_cfg, "pull", "pbxdb"]);
    assert!(again.contains("pbxdb: 0 records"), "{again}");
    assert_eq!(calls_of(&dir.path().join("db.sqlite")).await, db_calls);

    // Written later, read once: one after the cursor, one inside the overlap.
    server.insert(&table, &later()).await;
    let third = run(dir.path(), &["--config", &db_cfg, "pull", "pbxdb"]);
    assert!(
        third.contains("calls: 2 inserted, 0 updated, 0 unchanged"),
        "{third}"
    );
    let fourth = run(dir.path(), &["--config", &db_cfg, "pull", "pbxdb"]);
    assert!(fourth.contains("pbxdb: 0 records"), "{fourth}");
    let mut all = morning.clone();
    all.extend(later());
    write_master_csv(&dir.path().join("Master.csv"), &all);
    std::fs::remove_file(dir.path().join("csv.sqlite")).unwrap();
    run(
        dir.path(),
        &[
            "--config",
            &csv_cfg,
            "ingest",
            "--source",
            "pbxdb",
            "Master.csv",
        ],
    );
    let db_calls = calls_of(&dir.path().join("db.sqlite")).await;
    assert_eq!(db_calls.len(), 6);
    assert_eq!(
        unlinked(&db_calls),
        calls_of(&dir.path().join("csv.sqlite")).await
    );
    assert_eq!(
        figures_json(dir.path(), &db_cfg),
        figures_json(dir.path(), &csv_cfg)
    );

    if with_recordings {
        // The team's head gets the links of Sidorov's calls; another
        // team's head gets neither the calls nor the links.
        let ask = |who: &str| {
            run(
                dir.path(),
                &[
                    "--config",
                    &db_cfg,
                    "ask",
                    "--as",
                    who,
                    "/why successful Сидоров 16.11",
                    "--now",
                    "2026-11-17T09:00:00Z",
                ],
            )
        };
        let head = ask("petrova");
        assert!(
            head.contains("<a href=\"https://pbx.example.com/recordings/2026/11/16/rg-600-79161234541-20261116-100000-1763276400.1.wav\">"),
            "{head}"
        );
        // The pulse data and the weekly workbook carry the links too.
        let figures = salespulse(dir.path())
            .args([
                "--config",
                &db_cfg,
                "report",
                "figures",
                "--employee",
                "sidorov",
                "--from",
                "2026-11-16",
                "--format",
                "json",
                "--now",
                "2026-11-17T09:00:00Z",
            ])
            .output()
            .unwrap();
        let figures: serde_json::Value = serde_json::from_slice(&figures.stdout).unwrap();
        let recordings = &figures["employees"][0]["pulse"][0]["recordings"];
        assert_eq!(recordings.as_array().map(Vec::len), Some(1), "{recordings}");
        assert_eq!(recordings[0]["talk_seconds"], 95);
        assert_eq!(recordings[0]["local_time"], "10:00");
        run(
            dir.path(),
            &[
                "--config",
                &db_cfg,
                "report",
                "weekly",
                "--team",
                "moscow",
                "--date",
                "2026-11-16",
                "--now",
                "2026-11-23T05:00:00Z",
                "--out",
                "weekly",
            ],
        );
        let book = std::fs::read_dir(dir.path().join("weekly"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"))
            .expect("the workbook");
        let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
        use calamine::Reader;
        let sheet = xlsx
            .worksheet_range("Recordings")
            .expect("a Recordings sheet");
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        // A header, then the three calls with a recordingfile: Sidorov's
        // ring group, Petrov's transfer (its first leg's file) and his call
        // without linkedid; Ivanov's missed call has none.
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert!(
            rows.iter().any(|r| r[1] == "Сидоров Пётр"
                && r[5]
                    .ends_with("/2026/11/16/rg-600-79161234541-20261116-100000-1763276400.1.wav")),
            "{rows:?}"
        );
        let other = ask("smirnov");
        assert!(!other.contains("href"), "{other}");
        assert!(!other.contains("recordings"), "{other}");
        assert!(other.contains("not in your team"), "{other}");
    }
    server.drop_table(&table).await;
}

#[tokio::test]
async fn mariadb_cdr_pulls_equal_master_csv() {
    let Some((server, _)) = Server::mariadb().await else {
        return;
    };
    pull_equals_ingest(server, MARIADB_ENV, true).await;
}

#[tokio::test]
async fn postgres_cdr_pulls_equal_master_csv() {
    let Some((server, _)) = Server::postgres().await else {
        return;
    };
    pull_equals_ingest(server, POSTGRES_ENV, false).await;
}

/// A pull whose connection is cut after its second page fails, keeps the
/// pages it read, and the next pull ends with the same calls as one pull
/// that was never cut.
async fn cut_connection_loses_nothing(server: Server, url_env: &'static str, url: String) {
    let dir = tempfile::tempdir().unwrap();
    let table = server.create_table().await;
    let mut legs = server.rows(morning());
    legs.extend(later());
    let total = legs.len() as u64;
    let rejected = legs.len() - 9;
    server.insert(&table, &legs).await;
    let load = |name: &str| {
        let text = config_text(&dir.path().join(name), &db_source(url_env, &table, 2));
        let url = url.clone();
        Config::parse(&text, Path::new("cdr.toml"), &move |var| {
            (var == url_env).then(|| url.clone())
        })
        .unwrap()
    };
    let options = PullOptions {
        since: None,
        progress: false,
        now: Utc::now(),
    };
    let pull = |config: Config, database: &'static str, cut: bool| {
        let server = server.clone();
        let options = options.clone();
        let dir = dir.path().to_owned();
        async move {
            let store = storage::open(&format!("sqlite://{}", dir.join(database).display()))
                .await
                .unwrap();
            let source = config.source("pbxdb").unwrap().clone();
            let SourceKind::AsteriskDb(db) = &source.kind else {
                panic!("an asterisk_db source");
            };
            // The cut pull stores every page, the whole one all at once.
            let mut tuning = CdrPullTuning {
                flush_rows: if cut {
                    2
                } else {
                    CdrPullTuning::default().flush_rows
                },
                after_page: None,
            };
            if cut {
                tuning.after_page = Some(Box::new(move |page, session| {
                    let server = server.clone();
                    Box::pin(async move {
                        if page == 2 {
                            server.kill(session).await;
                        }
                    })
                }));
            }
            let outcome =
                pull_cdr_table(store.as_ref(), &config, &source, db, &options, &mut tuning).await;
            store.close().await;
            outcome
        }
    };
    let whole = pull(load("whole.sqlite"), "whole.sqlite", false)
        .await
        .expect("an uncut pull");
    assert_eq!(whole.rejects.len(), rejected);
    assert_eq!(whole.rows_read, total);
    let cut = pull(load("cut.sqlite"), "cut.sqlite", true).await;
    let error = cut.expect_err("the cut pull fails").to_string();
    assert!(error.contains("CDR database"), "{error}");
    let stored_after_cut = calls_of(&dir.path().join("cut.sqlite")).await.len();
    assert!(
        (1..6).contains(&stored_after_cut),
        "the pages before the cut are kept: {stored_after_cut}"
    );
    let resumed = pull(load("cut.sqlite"), "cut.sqlite", false)
        .await
        .expect("the next pull");
    assert!(
        resumed.rows_read > 0 && resumed.rows_read < total,
        "the next pull reads what the cut one did not: {} of {total}",
        resumed.rows_read
    );
    // Legs of one call stored in different batches end as one batch's:
    // the winning leg, every leg counted once, the earliest start, the
    // recording of whichever leg links it.
    let whole_calls = calls_of(&dir.path().join("whole.sqlite")).await;
    assert_eq!(whole_calls.len(), 6);
    assert_eq!(calls_of(&dir.path().join("cut.sqlite")).await, whole_calls);
    // Every row is stored or set aside, once.
    let store = storage::open(&format!(
        "sqlite://{}",
        dir.path().join("cut.sqlite").display()
    ))
    .await
    .unwrap();
    assert_eq!(store.rejects("pbxdb").await.unwrap().len(), rejected);
    store.close().await;
    server.drop_table(&table).await;
}

#[tokio::test]
async fn mariadb_cut_connection_loses_nothing() {
    let Some((server, url)) = Server::mariadb().await else {
        return;
    };
    cut_connection_loses_nothing(server, MARIADB_ENV, url).await;
}

#[tokio::test]
async fn postgres_cut_connection_loses_nothing() {
    let Some((server, url)) = Server::postgres().await else {
        return;
    };
    cut_connection_loses_nothing(server, POSTGRES_ENV, url).await;
}

/// An older Asterisk's table (no linkedid, sequence or recordingfile): legs
/// merged by uniqueid and paged by `(calldate, uniqueid, channel,
/// dstchannel)`, as a 17-column Master.csv of the same rows; a table
/// without billsec is refused by name.
#[tokio::test]
async fn mariadb_older_cdr_table_without_linkedid_or_sequence() {
    let Some((server, _)) = Server::mariadb().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = format!("cdr_old_{}", std::process::id());
    server.drop_table(&table).await;
    server
        .exec(&format!(
            "CREATE TABLE {table} (
              id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
              calldate datetime, clid varchar(80), src varchar(80), dst varchar(80),
              dcontext varchar(80), channel varchar(80), dstchannel varchar(80),
              lastapp varchar(80), lastdata varchar(80), duration int(11), billsec int(11),
              disposition varchar(45), amaflags int(11), accountcode varchar(20),
              uniqueid varchar(32), userfield varchar(255))"
        ))
        .await;
    let trunk = "SIP/trunk-00000001";
    let legs = [
        leg(
            "2026-11-16 10:00:00",
            "79161234541",
            "600",
            trunk,
            "SIP/101-0000000a",
            30,
            0,
            "1763276400.1",
            None,
            0,
        ),
        leg(
            "2026-11-16 10:00:00",
            "79161234541",
            "600",
            trunk,
            "SIP/102-0000000b",
            125,
            95,
            "1763276400.1",
            None,
            0,
        ),
        leg(
            "2026-11-16 10:00:00",
            "79161234541",
            "600",
            trunk,
            "SIP/103-0000000c",
            30,
            0,
            "1763276400.1",
            None,
            0,
        ),
        leg(
            "2026-11-16 10:10:00",
            "103",
            "79267770022",
            "SIP/103-0000000f",
            "SIP/trunk-00000003",
            60,
            50,
            "1763277000.7",
            None,
            0,
        ),
        leg(
            "2026-11-16 10:12:00",
            "79998887766",
            "101",
            trunk,
            "SIP/101-00000010",
            20,
            0,
            "1763277120.8",
            None,
            0,
        ),
    ];
    let values: Vec<String> = legs
        .iter()
        .map(|l| {
            format!(
                "('{}', '', '{}', '{}', '{}', '{}', '{}', 'Dial', '', {}, {}, '{}', 3, '', '{}', '')",
                l.calldate, l.src, l.dst, l.dcontext, l.channel, l.dstchannel, l.duration,
                l.billsec, l.disposition, l.uniqueid
            )
        })
        .collect();
    server
        .exec(&format!(
            "INSERT INTO {table} (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, \
             lastdata, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield) \
             VALUES {}",
            values.join(", ")
        ))
        .await;
    // A row without its start: no page reaches it, the first pull sets it aside.
    server
        .exec(&format!(
            "INSERT INTO {table} (calldate, src, dst, channel, dstchannel, duration, billsec, \
             disposition, uniqueid) VALUES (NULL, '101', '79161234541', 'SIP/101-1', \
             'SIP/trunk-1', 10, 5, 'ANSWERED', '1763277999.1')"
        ))
        .await;
    // The same rows as Asterisk 1.8's cdr_csv writes them: 17 columns.
    let csv: String = legs
        .iter()
        .map(|l| {
            let full = l.master_csv();
            let fields: Vec<&str> = full.split(',').take(17).collect();
            format!("{}\n", fields.join(","))
        })
        .collect();
    std::fs::write(dir.path().join("Master.csv"), csv).unwrap();
    let (db_cfg, csv_cfg) = (dir.path().join("db.toml"), dir.path().join("csv.toml"));
    std::fs::write(
        &db_cfg,
        config_text(
            &dir.path().join("db.sqlite"),
            &db_source(MARIADB_ENV, &table, 2),
        ),
    )
    .unwrap();
    std::fs::write(
        &csv_cfg,
        config_text(&dir.path().join("csv.sqlite"), "kind = \"asterisk\"\n"),
    )
    .unwrap();
    let (db_cfg, csv_cfg) = (db_cfg.to_str().unwrap(), csv_cfg.to_str().unwrap());
    let checked = run(dir.path(), &["--config", db_cfg, "check-config"]);
    assert!(
        checked.contains("lacks peeraccount, linkedid, sequence, recordingfile, did, cnum, cnam (legs are merged by uniqueid) (no recording links)"),
        "{checked}"
    );
    let pulled = run(dir.path(), &["--config", db_cfg, "pull", "pbxdb"]);
    assert!(
        pulled.contains("calls: 3 inserted, 0 updated, 0 unchanged"),
        "{pulled}"
    );
    assert!(pulled.contains("1 rejected"), "{pulled}");
    assert!(
        pulled.contains("ID 1763277999.1/SIP/101-1/SIP/trunk-1: calldate is NULL"),
        "{pulled}"
    );
    run(
        dir.path(),
        &[
            "--config",
            csv_cfg,
            "ingest",
            "--source",
            "pbxdb",
            "Master.csv",
        ],
    );
    let db_calls = calls_of(&dir.path().join("db.sqlite")).await;
    assert_eq!(db_calls.len(), 3);
    assert_eq!(db_calls, calls_of(&dir.path().join("csv.sqlite")).await);
    let ring = db_calls
        .iter()
        .find(|c| c.external_id.as_str() == "1763276400.1")
        .unwrap();
    assert_eq!(
        (ring.employee_id.as_deref(), ring.talk_seconds, ring.legs),
        (Some("sidorov"), 95, 3)
    );
    // `pull` without a name pulls every source that can be pulled.
    let again = run(dir.path(), &["--config", db_cfg, "pull"]);
    assert!(again.contains("pbxdb: 0 records"), "{again}");
    assert!(again.contains("0 rejected"), "{again}");
    // --since a day reads that day again: the same calls, unchanged.
    let since = run(
        dir.path(),
        &["--config", db_cfg, "pull", "pbxdb", "--since", "2026-11-16"],
    );
    assert!(
        since.contains("calls: 0 inserted, 0 updated, 3 unchanged"),
        "{since}"
    );
    assert_eq!(db_calls, calls_of(&dir.path().join("db.sqlite")).await);
    assert_eq!(rejects_of(&dir.path().join("db.sqlite")).await, 1);

    // Without billsec the table is not a CDR table this can read.
    server
        .exec(&format!("ALTER TABLE {table} DROP COLUMN billsec"))
        .await;
    let out = salespulse(dir.path())
        .args(["--config", db_cfg, "pull", "pbxdb"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!(
            "the table {table} lacks the column(s) billsec that every CDR row needs"
        )),
        "{}",
        text(&out)
    );
    let out = salespulse(dir.path())
        .args(["--config", db_cfg, "check-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("1 CDR table problem(s)"),
        "{}",
        text(&out)
    );
    server.drop_table(&table).await;
}
