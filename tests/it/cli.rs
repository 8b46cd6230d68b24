//! The binary as a person runs it.

use std::process::Command;

use crate::helpers::fixture;

fn salespulse(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salespulse"));
    cmd.current_dir(dir)
        .env_remove("SALESPULSE_CONFIG")
        .env_remove("SALESPULSE_DATABASE_URL");
    cmd
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn init_writes_a_config_that_check_config_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = salespulse(dir.path()).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = salespulse(dir.path()).arg("check-config").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("salespulse.toml is valid"),
        "{}",
        text(&out)
    );
    // A second init does not overwrite.
    let out = salespulse(dir.path()).arg("init").output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("--force"), "{}", text(&out));
}

#[test]
fn check_config_names_every_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[teams]]\nid = \"m\"\ntimezone = \"Moscow\"\n[[employees]]\nid = \"a\"\nteam = \"x\"\n",
    )
    .unwrap();
    let out = salespulse(dir.path())
        .args(["--config", "bad.toml", "check-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains(
            "teams[0].timezone: \"Moscow\" is not an IANA timezone (try \"Europe/Moscow\")"
        ),
        "{said}"
    );
    assert!(
        said.contains("employees[0].team: \"x\" is not a team id"),
        "{said}"
    );
}

#[test]
fn a_missing_config_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = salespulse(dir.path()).arg("check-config").output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("salespulse init"), "{}", text(&out));
}

#[test]
fn ingest_prints_a_summary_with_rejected_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(fixture("salespulse.toml")).unwrap();
    std::fs::write(
        dir.path().join("salespulse.toml"),
        config.replace("sqlite://unused.db", "sqlite://sp.db"),
    )
    .unwrap();
    let master = fixture("Master.csv");
    let out = salespulse(dir.path())
        .args(["ingest", "--source", "pbx"])
        .arg(&master)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("15 rows read -> 6 calls: 6 inserted, 0 updated, 0 unchanged; 5 rejected"),
        "{said}"
    );
    assert!(said.contains("Master.csv:8: 5 columns"), "{said}");
    assert!(
        said.contains("kept without an employee (add these ids to employees[].ids): 109 (1)"),
        "{said}"
    );
    let again = salespulse(dir.path())
        .args(["ingest", "--source", "pbx"])
        .arg(&master)
        .output()
        .unwrap();
    assert!(
        text(&again).contains("6 calls: 0 inserted, 0 updated, 6 unchanged"),
        "{}",
        text(&again)
    );

    let out = salespulse(dir.path())
        .args(["ingest", "--source", "nope"])
        .arg(&master)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no source named \"nope\" in the config (known: pbx, cloud, crm)"),
        "{}",
        text(&out)
    );
}

#[test]
fn demo_builds_a_department_and_says_what_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let out = salespulse(dir.path())
        .args([
            "demo",
            "--managers",
            "4",
            "--days",
            "7",
            "--end",
            "2026-11-20",
            "--seed",
            "3",
        ])
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Demo department: 4 managers"), "{said}");
    assert!(said.contains("long idle gaps:"), "{said}");
    assert!(said.contains("0 rejected"), "{said}");
    assert!(
        !said.contains("rejected salespulse-demo-data"),
        "the generator writes only good rows:\n{said}"
    );
    assert!(dir.path().join("salespulse-demo.db").exists());
    // The demo's own config is valid.
    let check = salespulse(dir.path())
        .args(["--config", "salespulse-demo.toml", "check-config"])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
}
