//! The daily roll-up against the records: on random days, people and
//! periods of a generated department, every figure read from the roll-up
//! (computed and stored, then read back) equals the figure computed from
//! the records, on SQLite and on Postgres; after a call that arrives late,
//! a deal pulled again with another owner and stage, and a changed
//! threshold, the next answer is right again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use salespulse::app::demo::{self, DemoPaths};
use salespulse::app::ingest::{IngestOptions, expand, ingest_file};
use salespulse::config::Config;
use salespulse::domain::StageKind;
use salespulse::report::figures::{self, Scope};
use salespulse::storage::Store;

use crate::helpers::{TestDb, postgres};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const END: &str = "2026-12-02";

/// During the last day: a day under way is in the periods asked for.
fn now() -> DateTime<Utc> {
    salespulse::calendar::local_to_utc(
        chrono_tz::Europe::Moscow,
        day(END).and_hms_opt(15, 30, 0).unwrap(),
    )
}

/// A small deterministic sequence for picking days, people and periods.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The demo department in `dir`: its config, its SQLite store and its files.
async fn department(dir: &Path) -> (Config, Arc<Store>, PathBuf) {
    let paths = DemoPaths {
        database: dir.join("demo.db"),
        data_dir: dir.join("data"),
        config: dir.join("demo.toml"),
        out_dir: dir.join("out"),
    };
    let outcome = demo::run(11, 6, 40, day(END), paths, false).await.unwrap();
    let config = Config::load(&outcome.paths.config).unwrap();
    let store = salespulse::storage::open(config.database_url.expose())
        .await
        .unwrap();
    (config, store, outcome.paths.data_dir)
}

fn quiet() -> IngestOptions {
    IngestOptions {
        progress: false,
        now: now(),
    }
}

/// Reads `path` (a file or a folder) of the source named `source`.
pub(crate) async fn ingest(store: &Arc<Store>, config: &Config, source: &str, path: &Path) {
    let source = config.sources.iter().find(|s| s.name == source).unwrap();
    for file in expand(path).unwrap() {
        ingest_file(store.clone(), config, source, &file, &quiet())
            .await
            .unwrap();
    }
}

/// The differences between two JSON values, by path.
fn differences(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            for (k, v) in x {
                let w = y.get(k).unwrap_or(&serde_json::Value::Null);
                differences(&format!("{path}.{k}"), v, w, out);
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}.{k}: missing from the records' side"));
            }
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ if a != b => out.push(format!("{path}: records {a} ≠ roll-up {b}")),
        _ => {}
    }
}

/// The figures of `scope` over `[first, last]` from the records and from
/// the roll-up (twice: computed, then read back) are the same.
async fn same(store: &Store, config: &Config, scope: &Scope, first: NaiveDate, last: NaiveDate) {
    let raw = figures::build(store, config, scope, first, last, now())
        .await
        .unwrap()
        .without_records();
    let raw = serde_json::to_value(&raw).unwrap();
    let want = figures::Want {
        team_funnel: figures::TeamFunnel::OpenDeals,
        records: false,
    };
    for pass in ["computed", "read back"] {
        let rolled = figures::build_with(store, config, scope, first, last, now(), want)
            .await
            .unwrap();
        let rolled = serde_json::to_value(&rolled).unwrap();
        let mut diff = Vec::new();
        differences("", &raw, &rolled, &mut diff);
        assert!(
            diff.is_empty(),
            "{scope:?} {first}..{last} ({pass}, {}): {} differences:\n{}",
            store.backend(),
            diff.len(),
            diff.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        );
    }
    // What reports read: the same, with a day's pulse for one day only.
    let mut summary = figures::summary(store, config, scope, first, last, now())
        .await
        .unwrap();
    if first != last {
        assert!(summary.employees.iter().all(|e| e.pulse.is_empty()));
        let full = figures::build_with(store, config, scope, first, last, now(), want)
            .await
            .unwrap();
        for (e, f) in summary.employees.iter_mut().zip(full.employees) {
            e.pulse = f.pulse;
        }
    }
    let mut diff = Vec::new();
    differences(
        "",
        &raw,
        &serde_json::to_value(&summary).unwrap(),
        &mut diff,
    );
    assert!(diff.is_empty(), "summary: {}", diff.join("\n"));
}

/// Random periods of random scopes, ending by the last day.
async fn random_periods(store: &Store, config: &Config, seed: u64, n: usize) {
    let mut pick = Pick(seed);
    let managers: Vec<String> = config
        .employees
        .iter()
        .filter(|e| e.role == salespulse::domain::Role::Manager)
        .map(|e| e.id.clone())
        .collect();
    for _ in 0..n {
        let last = day(END) - Duration::days(pick.below(30) as i64);
        let first = last - Duration::days([0, 0, 1, 4, 6, 13, 29][pick.below(7) as usize]);
        let scope = if pick.below(3) == 0 {
            Scope::Team("moscow".into())
        } else {
            Scope::Employee(managers[pick.below(managers.len() as u64) as usize].clone())
        };
        same(store, config, &scope, first, last).await;
    }
}

/// Writes `lines` to a file named `name` in a new folder under `dir`.
fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let folder = dir.join(format!("late-{}", lines.len()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// A call that arrives late: a copy of an answered call made on `on`, with
/// new ids, read from its own `Master.csv`.
async fn late_call(store: &Arc<Store>, config: &Config, data: &Path, tmp: &Path, on: &str) {
    let cdr = std::fs::read_to_string(data.join("Master.csv")).unwrap();
    let line = cdr
        .lines()
        .find(|l| l.contains(&format!("\"{on} ")) && l.contains("ANSWERED"))
        .expect("an answered call that day");
    // Ids are `<epoch>.<n>`: each gets a suffix of its own.
    let fields: Vec<String> = line
        .split(',')
        .map(|f| {
            let bare = f.trim_matches('"');
            let is_id = bare.split_once('.').is_some_and(|(a, b)| {
                a.len() >= 9 && [a, b].iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
            });
            if is_id {
                f.replace(bare, &format!("{bare}0077"))
            } else {
                f.to_owned()
            }
        })
        .collect();
    let path = write(tmp, "Master.csv", &[fields.join(",")]);
    ingest(store, config, "pbx", &path).await;
}

/// A call that arrives late to a number a manager first called on `later`:
/// an answered call of another manager on `on`, sent to that number. The
/// later call is to an existing client now (another manager's figure).
async fn late_call_to_a_number_called_later(
    store: &Arc<Store>,
    config: &Config,
    data: &Path,
    tmp: &Path,
    on: &str,
    later: &str,
) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(data.join("Master.csv"))
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // Columns: src 1, dst 2, dcontext 3, start 9, billsec 13, disposition 14,
    // uniqueid 16, linkedid 19.
    let mut first_seen: std::collections::HashMap<&str, &str> = Default::default();
    for r in &rows {
        for number in [&r[1], &r[2]] {
            let seen = first_seen.entry(number).or_insert(&r[9]);
            if r[9] < **seen {
                *seen = &r[9];
            }
        }
    }
    let outbound = |r: &csv::StringRecord| &r[3] == "from-internal";
    let theirs = rows
        .iter()
        .find(|r| outbound(r) && r[9].starts_with(later) && first_seen[&r[2]].starts_with(later))
        .expect("a number first called that day");
    let mut mine = rows
        .iter()
        .find(|r| {
            outbound(r)
                && r[9].starts_with(on)
                && &r[14] == "ANSWERED"
                && r[13].parse::<i64>().unwrap_or(0) >= 60
                && r[1] != theirs[1]
        })
        .expect("an answered call that day")
        .clone();
    let fields: Vec<String> = mine
        .iter()
        .enumerate()
        .map(|(i, f)| match i {
            2 => theirs[2].to_owned(),
            16 | 19 => format!("{f}0055"),
            _ => f.to_owned(),
        })
        .collect();
    mine = csv::StringRecord::from(fields);
    let folder = tmp.join("late-to-a-later-number");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("Master.csv");
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_path(&path)
        .unwrap();
    w.write_record(&mine).unwrap();
    w.flush().unwrap();
    ingest(store, config, "pbx", &path).await;
}

/// A deal pulled again: an open deal created in the window now belongs to
/// another owner and was won on `won_on`.
async fn repulled_deal(store: &Arc<Store>, config: &Config, data: &Path, tmp: &Path, won_on: &str) {
    let deals = std::fs::read_to_string(data.join("crm").join("deals.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = deals
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let owners: Vec<&str> = rows.iter().filter_map(|r| r["owner"].as_str()).collect();
    let mut deal = rows
        .iter()
        .find(|r| {
            r.get("closed_at").is_none()
                && r["created_at"].as_str().is_some_and(|c| c > "2026-11-10")
        })
        .expect("an open deal of November")
        .clone();
    let other = owners
        .iter()
        .find(|o| Some(**o) != deal["owner"].as_str())
        .unwrap()
        .to_string();
    let won = config
        .stages
        .iter()
        .find(|s| s.kind == StageKind::Won)
        .unwrap();
    deal["owner"] = other.into();
    deal["stage"] = won.id.clone().into();
    deal["stage_since"] = format!("{won_on}T12:00:00+03:00").into();
    deal["closed_at"] = format!("{won_on}T12:00:00+03:00").into();
    let path = write(tmp, "deals.jsonl", &[deal.to_string()]);
    ingest(store, config, "crm", &path).await;
}

/// A comment written late on a deal, a minute after a call to its phone
/// that had no trace, by another manager than the caller. Returns the
/// caller's id.
async fn late_comment(
    store: &Arc<Store>,
    config: &Config,
    data: &Path,
    tmp: &Path,
    on: &str,
) -> String {
    let team = Scope::Team("moscow".into());
    let d = day(on);
    let raw = figures::build(store, config, &team, d, d, now())
        .await
        .unwrap();
    let untraced: Vec<String> = raw
        .employees
        .iter()
        .flat_map(|e| {
            e.hygiene
                .calls_without_trace
                .records
                .iter()
                .map(|r| r.id.clone())
        })
        .collect();
    let calls = store
        .calls_between(now() - Duration::days(60), now(), &[])
        .await
        .unwrap();
    let deals = std::fs::read_to_string(data.join("crm").join("deals.jsonl")).unwrap();
    let deals: Vec<serde_json::Value> = deals
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A call without a trace, to a deal's phone.
    let (call, deal) = untraced
        .iter()
        .filter_map(|id| calls.iter().find(|c| c.external_id.as_str() == id))
        .find_map(|c| {
            let deal = deals
                .iter()
                .find(|d| d["phone"].as_str() == Some(c.number.as_str()))?;
            Some((c, deal))
        })
        .expect("a call without a trace to a deal's phone");
    let caller = call.employee_id.clone().unwrap();
    let author = config
        .employees
        .iter()
        .find(|e| e.role == salespulse::domain::Role::Manager && e.id != caller)
        .unwrap();
    let comment = serde_json::json!({
        "id": "late-comment-1",
        "deal": deal["id"],
        "author": author.source_ids["crm"][0],
        "at": (call.ended_at + Duration::minutes(1)).to_rfc3339(),
        "text": "Обсудили условия поставки, клиент ждёт КП до пятницы",
    });
    let path = write(tmp, "comments.jsonl", &[comment.to_string()]);
    ingest(store, config, "crm", &path).await;
    caller
}

/// How many days of the team's people the roll-up holds over `[first, last]`.
async fn stored_days(store: &Store, config: &Config, first: NaiveDate, last: NaiveDate) -> usize {
    let ids: Vec<&str> = config.employees.iter().map(|e| e.id.as_str()).collect();
    let version = figures::settings_version(config, &config.teams[0]);
    let parts = salespulse::storage::CellParts {
        tally: true,
        funnel: false,
        pulse: false,
    };
    store
        .day_cells(&ids, first, last, &version, parts)
        .await
        .unwrap()
        .len()
}

/// Every check on one store holding the department.
async fn check(store: &Arc<Store>, config: &Config, data: &Path, tmp: &Path) {
    random_periods(store, config, 42, 14).await;
    let team = Scope::Team("moscow".into());
    // The month so far, the way the KPI reads it, and the last week.
    same(store, config, &team, day("2026-11-01"), day("2026-11-30")).await;
    same(store, config, &team, day("2026-11-26"), day(END)).await;

    // A call that arrives a week late: its day and every period over it.
    let connected = |r: &figures::FiguresReport| -> f64 {
        r.employees
            .iter()
            .map(|e| e.telephony.connected.value)
            .sum()
    };
    let (d24, month) = (day("2026-11-24"), day("2026-11-01"));
    let before = figures::summary(store, config, &team, d24, d24, now())
        .await
        .unwrap();
    late_call(store, config, data, tmp, "2026-11-24").await;
    let after = figures::summary(store, config, &team, d24, d24, now())
        .await
        .unwrap();
    assert_eq!(connected(&after), connected(&before) + 1.0);
    same(store, config, &team, d24, d24).await;
    same(store, config, &team, month, day("2026-11-30")).await;
    // The same file read again changes nothing, and drops no day.
    let kept = stored_days(store, config, d24, d24).await;
    late_call(store, config, data, tmp, "2026-11-24").await;
    assert_eq!(stored_days(store, config, d24, d24).await, kept);

    // A late call to a number another manager first called later: only
    // the callers' days are dropped, and those of later calls to it.
    let new_clients = |r: &figures::FiguresReport| -> f64 {
        r.employees
            .iter()
            .map(|e| e.telephony.new_client_calls.value)
            .sum()
    };
    let d25 = day("2026-11-25");
    let before = figures::summary(store, config, &team, d25, d25, now())
        .await
        .unwrap();
    late_call_to_a_number_called_later(store, config, data, tmp, "2026-11-20", "2026-11-25").await;
    let after = figures::summary(store, config, &team, d25, d25, now())
        .await
        .unwrap();
    assert_eq!(new_clients(&after), new_clients(&before) - 1.0);
    same(store, config, &team, d25, d25).await;
    same(store, config, &team, day("2026-11-20"), day("2026-11-26")).await;

    // A deal pulled again with another owner and stage.
    let won = |r: &figures::FiguresReport| r.team_funnel.won.value;
    let d27 = day("2026-11-27");
    let before = figures::summary(store, config, &team, month, day(END), now())
        .await
        .unwrap();
    repulled_deal(store, config, data, tmp, "2026-11-27").await;
    let after = figures::summary(store, config, &team, month, day(END), now())
        .await
        .unwrap();
    assert_eq!(won(&after), won(&before) + 1.0);
    same(store, config, &team, d27, d27).await;
    same(store, config, &team, month, day(END)).await;

    // A comment on a deal written late: the call before it has a trace
    // now. Only the days of the people about that deal are dropped.
    let untraced = |r: &figures::FiguresReport| -> f64 {
        r.employees
            .iter()
            .map(|e| e.hygiene.calls_without_trace.value)
            .sum()
    };
    let d23 = day("2026-11-23");
    let before = figures::summary(store, config, &team, d23, d23, now())
        .await
        .unwrap();
    let kept_before = stored_days(store, config, d23, d23).await;
    late_comment(store, config, data, tmp, "2026-11-23").await;
    let kept_after = stored_days(store, config, d23, d23).await;
    assert!(
        kept_after < kept_before && kept_after > 0,
        "the comment dropped {kept_after} of {kept_before} days"
    );
    let after = figures::summary(store, config, &team, d23, d23, now())
        .await
        .unwrap();
    assert!(untraced(&after) < untraced(&before));
    same(store, config, &team, d23, d23).await;
    same(store, config, &team, day("2026-11-16"), day("2026-11-29")).await;

    // A threshold changed: the days are computed again under it.
    let mut changed = config.clone();
    changed.thresholds.success_talk_secs += 35;
    changed.thresholds.trace_window_mins = 30;
    assert_ne!(
        figures::settings_version(config, &config.teams[0]),
        figures::settings_version(&changed, &changed.teams[0])
    );
    same(store, &changed, &team, day("2026-11-16"), day("2026-11-29")).await;
    random_periods(store, &changed, 7, 4).await;

    crate::readings::check(store, config, day(END), now(), tmp).await;
    // The task moved while overdue counts in the roll-up as in the records.
    same(store, config, &team, day("2026-11-26"), day(END)).await;
}

#[tokio::test]
async fn figures_from_the_roll_up_equal_figures_from_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let (config, sqlite, data) = department(dir.path()).await;
    // The demo's own reports filled some days already; start afresh.
    sqlite
        .forget_days_after(DateTime::<Utc>::MIN_UTC)
        .await
        .unwrap();
    check(&sqlite, &config, &data, &dir.path().join("sqlite")).await;
    sqlite.close().await;

    // The same files read into Postgres.
    let Some(db): Option<TestDb> = postgres().await else {
        return;
    };
    ingest(&db.store, &config, "pbx", &data.join("Master.csv")).await;
    ingest(&db.store, &config, "crm", &data.join("crm")).await;
    check(&db.store, &config, &data, &dir.path().join("postgres")).await;
    db.finish().await;
}

/// A request that read records before a pull dropped their days does not
/// store what it computed from them: the next request computes them again.
#[tokio::test]
async fn days_computed_before_a_drop_are_not_kept() {
    use salespulse::storage::DayCell;
    for db in crate::helpers::backends().await {
        let store = &db.store;
        let d = day("2026-11-19");
        let (starts_at, ends_at) = salespulse::calendar::day_range(chrono_tz::Europe::Moscow, d);
        let cell = DayCell {
            employee_id: "m001".into(),
            day: d,
            starts_at,
            ends_at,
            tally: Some("{}".into()),
            funnel: Some("{}".into()),
            pulse: None,
        };
        let all = salespulse::storage::CellParts {
            tally: true,
            funnel: true,
            pulse: true,
        };
        let read = || store.day_cells(&["m001"], d, d, "v1", all);
        let before = store.day_figures_epoch().await.unwrap();
        // A pull drops the day while the request computes it.
        store.forget_days_after(starts_at).await.unwrap();
        let kept = store
            .put_day_cells(std::slice::from_ref(&cell), "v1", before, now())
            .await
            .unwrap();
        assert!(!kept, "{}", db.name);
        assert!(read().await.unwrap().is_empty(), "{}", db.name);
        // Computed after the drop, it is kept, and dropped by the next one.
        let epoch = store.day_figures_epoch().await.unwrap();
        assert_eq!(epoch, before + 1);
        assert!(
            store
                .put_day_cells(std::slice::from_ref(&cell), "v1", epoch, now())
                .await
                .unwrap()
        );
        assert_eq!(read().await.unwrap(), vec![cell.clone()], "{}", db.name);
        // A drop before the day's end takes it; one after it leaves it.
        assert_eq!(store.forget_days_after(ends_at).await.unwrap(), 0);
        assert_eq!(
            store
                .forget_days_after(ends_at - Duration::seconds(1))
                .await
                .unwrap(),
            1
        );
        db.finish().await;
    }
}
