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
