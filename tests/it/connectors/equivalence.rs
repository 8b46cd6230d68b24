//! The same department pulled from a fake portal and fed through exchange
//! files gives the same `report figures`, through the real binary.

use std::path::Path;
use std::process::Command;

use super::model::{self, Crm, Dept};
use super::{AMO_ENV, B24_ENV, config_text, fake_amo, fake_bitrix};

const FIGURES: &[&str] = &[
    "report",
    "figures",
    "--team",
    "moscow",
    "--from",
    "2026-11-16",
    "--to",
    "2026-11-20",
    "--now",
    "2026-11-21T12:00:00Z",
];

fn salespulse(config: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salespulse"));
    cmd.arg("--config").arg(config).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    assert!(
        out.status.success(),
        "salespulse {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A config file for one database.
fn write_config(dir: &Path, name: &str, amo: &str) -> std::path::PathBuf {
    let text = config_text(amo, "").replace(
        "database_url = \"sqlite://unused.db\"",
        &format!(
            "database_url = \"sqlite://{}\"",
            dir.join(format!("{name}.db")).display()
        ),
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

async fn same_figures(crm: Crm) {
    let dept = Dept::generate(60, 200);
    let dir = tempfile::tempdir().unwrap();
    let b24 = fake_bitrix::start(model::portal(&dept)).await;
    let amo = fake_amo::start(model::account(&dept)).await;
    let env = vec![
        (B24_ENV, b24.webhook()),
        (AMO_ENV, fake_amo::TOKEN.to_owned()),
    ];
    let (source, name) = match crm {
        Crm::Bitrix24 => ("b24", "bitrix"),
        Crm::AmoCrm => ("amo", "amo"),
    };

    let pulled = write_config(dir.path(), name, &amo.server.base);
    let env_for_pull = env.clone();
    let pulled_clone = pulled.clone();
    let summary = tokio::task::spawn_blocking(move || {
        salespulse(&pulled_clone, &["pull", source], &env_for_pull)
    })
    .await
    .unwrap();
    assert!(
        summary.contains("requests") && summary.contains("kept without an employee"),
        "{summary}"
    );

    let files_dir = dir.path().join("files");
    model::files(&dept, crm, &files_dir);
    let fed = write_config(dir.path(), "files", &amo.server.base);
    let crm_dir = files_dir.join("crm");
    let calls = files_dir.join("calls.csv");
    let env_for_files = env.clone();
    let (from_pull, from_files, from_pull_json, from_files_json) =
        tokio::task::spawn_blocking(move || {
            salespulse(
                &fed,
                &["ingest", "--source", "crm", crm_dir.to_str().unwrap()],
                &env_for_files,
            );
            salespulse(
                &fed,
                &["ingest", "--source", "cloud", calls.to_str().unwrap()],
                &env_for_files,
            );
            let json: Vec<&str> = FIGURES
                .iter()
                .copied()
                .chain(["--format", "json"])
                .collect();
            (
                salespulse(&pulled, FIGURES, &env_for_files),
                salespulse(&fed, FIGURES, &env_for_files),
                salespulse(&pulled, &json, &env_for_files),
                salespulse(&fed, &json, &env_for_files),
            )
        })
        .await
        .unwrap();
    assert!(from_pull.contains("Иванов"), "{from_pull}");
    assert_eq!(from_pull, from_files, "text figures differ");
    assert_eq!(from_pull_json, from_files_json, "JSON figures differ");
    // Not a vacuous match: the figures count the calls and deals.
    let json: serde_json::Value = serde_json::from_str(&from_pull_json).unwrap();
    let calls_out = json["employees"][0]["telephony"]["calls_out"]["value"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(calls_out > 0.0, "{}", json["employees"][0]["telephony"]);
}

#[tokio::test]
async fn a_bitrix24_pull_and_its_files_give_the_same_figures() {
    same_figures(Crm::Bitrix24).await;
}

#[tokio::test]
async fn an_amocrm_pull_and_its_files_give_the_same_figures() {
    same_figures(Crm::AmoCrm).await;
}

#[test]
fn pull_says_what_to_add_when_nothing_can_be_pulled() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_salespulse"))
        .current_dir(dir.path())
        .arg("--config")
        .arg(crate::helpers::fixture("salespulse.toml"))
        .arg("pull")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no source in the config can be pulled")
            && stderr.contains("bitrix24 or amocrm"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_salespulse"))
        .current_dir(dir.path())
        .arg("--config")
        .arg(crate::helpers::fixture("salespulse.toml"))
        .args(["pull", "pbx"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("source pbx has nothing to pull from"),
        "{stderr}"
    );
}

/// Runs the binary, successful or not, and gives its exit, stdout and stderr.
fn run(config: &Path, args: &[&str], env: &[(&str, String)]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salespulse"));
    cmd.arg("--config").arg(config).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn one_pull_brings_the_crm_apis_and_a_drop_folder_up_to_date() {
    let dept = Dept::generate(10, 30);
    let dir = tempfile::tempdir().unwrap();
    let b24 = fake_bitrix::start(model::portal(&dept)).await;
    let amo = fake_amo::start(model::account(&dept)).await;
    let env = vec![
        (B24_ENV, b24.webhook()),
        (AMO_ENV, fake_amo::TOKEN.to_owned()),
    ];
    // The CRM's exports, dropped a minute ago (settled) into the crm source's folder.
    model::files(&dept, Crm::Bitrix24, dir.path());
    let drop = dir.path().join("crm");
    let dropped = std::fs::read_dir(&drop).unwrap().count();
    for entry in std::fs::read_dir(&drop).unwrap() {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
            .unwrap();
    }
    let config = write_config(dir.path(), "both", &amo.server.base);
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "name = \"crm\"\nkind = \"crm_files\"\n",
        &format!(
            "name = \"crm\"\nkind = \"crm_files\"\ndrop_folder = {:?}\n",
            drop.display().to_string()
        ),
    );
    assert!(
        text.contains("drop_folder"),
        "the crm source got its folder"
    );
    std::fs::write(&config, text).unwrap();

    let (ok, out, err) = tokio::task::spawn_blocking({
        let (config, env) = (config.clone(), env.clone());
        move || run(&config, &["pull"], &env)
    })
    .await
    .unwrap();
    assert!(ok, "{out}\n{err}");
    // Both API sources say requests and records per kind; the file source,
    // files read; the calls_csv source without a folder is not asked.
    for api in ["b24", "amo"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{api}: ")))
            .unwrap_or_else(|| panic!("no {api} line in\n{out}"));
        assert!(
            line.contains("requests") && !line.contains(" 0 records"),
            "{line}"
        );
    }
    assert!(out.contains("  deals: "), "{out}");
    assert!(
        out.contains(&format!(
            "crm: {dropped} file(s) read, 0 skipped as already read"
        )),
        "{out}"
    );
    assert!(!out.contains("cloud:"), "{out}");

    // Again from an RFC 3339 instant: the folder's files are known by now.
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        run(
            &config,
            &["pull", "crm", "--since", "2020-01-01T00:00:00+03:00"],
            &env,
        )
    })
    .await
    .unwrap();
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "crm: 0 file(s) read, {dropped} skipped as already read"
        )),
        "{out}"
    );
}

/// One manager's figures as counted from the dataset itself.
#[derive(Debug, Default, PartialEq)]
struct Counted {
    won: f64,
    lost: f64,
    revenue: f64,
    meetings: f64,
    emails: f64,
    calls_out: f64,
    calls_in: f64,
    talk_time: f64,
    overdue_tasks: f64,
    open_new: f64,
    open_meeting: f64,
}

/// Counts the week 16–20.11 (Moscow) straight from the generated data.
fn counted(dept: &Dept, crm: Crm, user: &str) -> Counted {
    use chrono::{Duration, TimeZone};
    let from = model::monday();
    let to = from + Duration::days(5);
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
        .unwrap();
    let within = |t: chrono::DateTime<chrono::Utc>| t >= from && t < to;
    let mine = dept.deals.iter().filter(|d| d.owner == user);
    let mut c = Counted::default();
    for deal in mine {
        match (deal.stage, dept.closed(deal)) {
            ("won", Some(at)) if within(at) => {
                c.won += 1.0;
                c.revenue += (deal.amount * 100) as f64;
            }
            ("lost", Some(at)) if within(at) => c.lost += 1.0,
            ("new", _) => c.open_new += 1.0,
            ("meeting", _) => c.open_meeting += 1.0,
            _ => {}
        }
    }
    for m in dept.meetings.iter().filter(|m| m.owner == user) {
        if m.held && within(m.at) {
            c.meetings += 1.0;
        }
        // A meeting is a task until done: due at its end (Bitrix24) or at
        // its time (amoCRM).
        let due = match crm {
            Crm::Bitrix24 => m.at + Duration::hours(1),
            Crm::AmoCrm => m.at,
        };
        if !m.held && due < now {
            c.overdue_tasks += 1.0;
        }
    }
    if crm == Crm::Bitrix24 {
        c.emails = dept
            .emails
            .iter()
            .filter(|e| e.owner == user && e.outgoing && within(e.at))
            .count() as f64;
    }
    for t in dept.tasks.iter().filter(|t| t.owner == user) {
        if t.due < now && t.done.is_none_or(|d| d > now) {
            c.overdue_tasks += 1.0;
        }
    }
    for call in dept
        .calls
        .iter()
        .filter(|c| c.user == user && within(c.start))
    {
        if call.inbound {
            c.calls_in += 1.0;
        } else {
            c.calls_out += 1.0;
        }
        c.talk_time += call.talk as f64;
    }
    c
}

/// The same figures as `report figures --format json` gives them.
fn reported(json: &serde_json::Value, employee: &str) -> Counted {
    let e = json["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["employee_id"] == employee)
        .unwrap_or_else(|| panic!("{employee} in the figures"));
    let v = |f: &serde_json::Value| f["value"].as_f64().unwrap_or(-1.0);
    let activity = |key: &str| {
        e["activities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .map(v)
            .unwrap_or(-1.0)
    };
    let open = |stage: &str| {
        e["funnel"]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == stage)
            .and_then(|s| s["open_deals"].as_f64())
            .unwrap_or(-1.0)
    };
    Counted {
        won: v(&e["funnel"]["won"]),
        lost: v(&e["funnel"]["lost"]),
        revenue: v(&e["funnel"]["revenue"]),
        meetings: activity("meetings"),
        emails: activity("emails"),
        calls_out: v(&e["telephony"]["calls_out"]),
        calls_in: v(&e["telephony"]["calls_in"]),
        talk_time: v(&e["telephony"]["talk_time"]),
        overdue_tasks: v(&e["hygiene"]["overdue_tasks"]),
        open_new: open("new"),
        open_meeting: open("meeting"),
    }
}

/// `salespulse pull` then `report figures` gives, for both CRMs and on both
/// backends, the counts of the dataset the fake CRMs serve in their
/// documented shapes: won, lost, revenue, meetings held, emails sent, calls,
/// talk time, overdue tasks, open deals per stage.
#[tokio::test]
async fn pull_then_figures_give_the_counts_of_the_dataset_for_both_crms() {
    let dept = Dept::generate(60, 200);
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        for db in crate::helpers::backends().await {
            let dir = tempfile::tempdir().unwrap();
            let b24 = fake_bitrix::start(model::portal(&dept)).await;
            let amo = fake_amo::start(model::account(&dept)).await;
            let env = vec![
                (B24_ENV, b24.webhook()),
                (AMO_ENV, fake_amo::TOKEN.to_owned()),
                ("SALESPULSE_DATABASE_URL", db.url.clone()),
            ];
            let source = if crm == Crm::Bitrix24 { "b24" } else { "amo" };
            let config = write_config(dir.path(), source, &amo.server.base);
            let json = tokio::task::spawn_blocking(move || {
                salespulse(&config, &["pull", source], &env);
                let args: Vec<&str> = FIGURES
                    .iter()
                    .copied()
                    .chain(["--format", "json"])
                    .collect();
                salespulse(&config, &args, &env)
            })
            .await
            .unwrap();
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            for (employee, user) in [("ivanov", "1"), ("sidorov", "2")] {
                let want = counted(&dept, crm, user);
                assert!(want.won > 0.0 && want.meetings > 0.0 && want.overdue_tasks > 0.0);
                assert_eq!(
                    reported(&json, employee),
                    want,
                    "{source} on {}: {employee}",
                    db.name
                );
                eprintln!("{source} {} {employee}: {want:?}", db.name);
            }
            db.finish().await;
        }
    }
}
