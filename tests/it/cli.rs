//! The binary as a person runs it.

use std::process::Command;

use crate::helpers::fixture;

pub fn salespulse(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salespulse"));
    cmd.current_dir(dir)
        .env_remove("SALESPULSE_CONFIG")
        .env_remove("SALESPULSE_DATABASE_URL");
    cmd
}

pub fn text(out: &std::process::Output) -> String {
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
    // The example's schedules are read in the team's timezone.
    assert!(
        text(&out).contains(
            "schedule morning-digest: digest of moscow to file at 0 9 * * 1-5 (Europe/Moscow)"
        ),
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
    assert!(
        text(&check).contains("schedule weekly-owner: weekly of moscow to file at 0 8 * * 1"),
        "{}",
        text(&check)
    );
    // A scheme in force changed: not called valid, the key named.
    let toml = std::fs::read_to_string(dir.path().join("salespulse-demo.toml")).unwrap();
    assert!(toml.contains("amount = 300"), "{toml}");
    std::fs::write(
        dir.path().join("changed.toml"),
        toml.replacen("amount = 300", "amount = 301", 1),
    )
    .unwrap();
    let check = salespulse(dir.path())
        .args(["--config", "changed.toml", "check-config"])
        .output()
        .unwrap();
    let said = text(&check);
    assert!(!check.status.success(), "{said}");
    assert!(!said.contains("is valid"), "{said}");
    assert!(
        said.contains("changed.toml is not valid") && said.contains("kpi.schemes["),
        "{said}"
    );
}

#[test]
fn report_figures_on_the_demo_shows_the_planted_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let out = salespulse(dir.path())
        .args([
            "demo",
            "--managers",
            "12",
            "--days",
            "21",
            "--end",
            "2026-11-20",
            "--seed",
            "5",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = salespulse(dir.path())
        .args([
            "--config",
            "salespulse-demo.toml",
            "report",
            "figures",
            "--team",
            "moscow",
            "--from",
            "2026-11-16",
            "--to",
            "2026-11-20",
            "--now",
            "2026-11-21T06:00:00Z",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "salespulse.figures/2");
    let people = report["employees"].as_array().unwrap();
    assert_eq!(people.len(), 12);
    let by_id = |id: &str| people.iter().find(|p| p["employee_id"] == id).unwrap();

    // m003 idles: the longest pause of the week is theirs, over an hour and a half.
    // Pauses between calls (not the stretch before the first or after the last).
    let longest = |p: &serde_json::Value| {
        let mut best = 0;
        for day in p["pulse"].as_array().unwrap() {
            let shift = &day["working_hours"];
            for g in day["idle_gaps"].as_array().unwrap() {
                if g["start"] == shift["start"] || g["end"] == shift["end"] {
                    continue;
                }
                let s = chrono::DateTime::parse_from_rfc3339(g["start"].as_str().unwrap()).unwrap();
                let e = chrono::DateTime::parse_from_rfc3339(g["end"].as_str().unwrap()).unwrap();
                best = best.max((e - s).num_minutes());
            }
        }
        best
    };
    let idle = longest(by_id("m003"));
    assert!(idle >= 90, "m003's longest idle gap is {idle} min");
    let others = people
        .iter()
        .filter(|p| p["employee_id"] != "m003")
        .map(longest)
        .max()
        .unwrap();
    assert!(
        idle > others,
        "m003 idles {idle} min, someone else {others} min"
    );
    // m004 leaves calls without a CRM trace far more often than anyone else.
    let untraced = |p: &serde_json::Value| {
        let f = &p["hygiene"]["calls_without_trace"];
        let of = p["hygiene"]["calls_about_deals"]["value"].as_f64().unwrap();
        f["value"].as_f64().unwrap() / of.max(1.0)
    };
    let worst = people
        .iter()
        .max_by(|a, b| untraced(a).total_cmp(&untraced(b)))
        .unwrap();
    assert_eq!(worst["employee_id"], "m004");
    assert!(untraced(worst) > 0.5);
    // m005's deals pile up at "meeting held".
    assert_eq!(by_id("m005")["bottleneck"]["stage"], "meeting");
    // Overdue and postponed tasks exist across the team.
    let sum = |path: &str| {
        people
            .iter()
            .map(|p| p["hygiene"][path]["value"].as_f64().unwrap())
            .sum::<f64>()
    };
    assert!(sum("overdue_tasks") > 0.0);
    assert!(sum("postponed_without_action") > 0.0);

    // The text with every rule reads in the team's Russian: no word of the
    // English messages in it; `--lang en` turns it into English.
    let explained = |lang: Option<&str>| {
        let mut args = vec![
            "--config",
            "salespulse-demo.toml",
            "report",
            "figures",
            "--team",
            "moscow",
            "--from",
            "2026-11-16",
            "--to",
            "2026-11-20",
            "--now",
            "2026-11-21T06:00:00Z",
            "--explain",
        ];
        if let Some(lang) = lang {
            args.extend(["--lang", lang]);
        }
        let out = salespulse(dir.path()).args(args).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let ru = explained(None);
    let english = english_only_words();
    let found: Vec<&String> = english
        .iter()
        .filter(|w| words_of(&ru).contains(*w))
        .collect();
    assert!(found.is_empty(), "English words {found:?} in:\n{ru}");
    assert!(
        ru.contains("результативные контакты = соединения с разговором от 40 с = "),
        "{ru}"
    );
    let en = explained(Some("en"));
    assert!(
        en.contains("successful contacts = connected calls with talk >= 40 s = "),
        "{en}"
    );
    assert!(en.contains("why Successful contacts: "), "{en}");

    // The head's long list pages by 20, its «ещё» button pressed through
    // `ask --press`, and a card carries its buttons.
    let ask = |args: &[&str]| {
        let mut all = vec!["--config", "salespulse-demo.toml", "ask", "--as", "head"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--now", "2026-11-20T09:00:00Z"]);
        let out = salespulse(dir.path()).args(&all).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stuck = ask(&["/stuck"]);
    let lines = |s: &str| s.lines().filter(|l| l.starts_with("Сделка ")).count();
    assert_eq!(lines(&stuck), 20, "{stuck}");
    let more = stuck
        .lines()
        .find(|l| l.starts_with("[ещё 20 (осталось"))
        .unwrap_or_else(|| panic!("{stuck}"));
    assert!(more.ends_with("--press '/stuck +20'"), "{more}");
    let next = ask(&["--press", "/stuck +20"]);
    assert_eq!(lines(&next), 20, "{next}");
    let first_of_next = next.lines().find(|l| l.starts_with("Сделка ")).unwrap();
    assert!(!stuck.contains(first_of_next), "{first_of_next}");
    let card = ask(&["/pulse m001"]);
    assert!(
        card.contains("[Почему?] --press '/why ? m001 19.11.2026'"),
        "{card}"
    );
    assert!(
        card.contains("[◀ 18.11] --press 'e:/pulse m001 18.11.2026'"),
        "{card}"
    );
}

/// The lowercase words of `text` of five letters or more.
fn words_of(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 5)
        .map(str::to_lowercase)
        .collect()
}

/// Words of the English command-line and rule messages that the Russian
/// ones do not use (ids and placeholders left out).
fn english_only_words() -> std::collections::BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("report-templates");
    let values = |locale: &str| {
        ["cli.ftl", "rules.ftl"]
            .iter()
            .map(|f| std::fs::read_to_string(root.join(locale).join(f)).unwrap())
            .flat_map(|t| {
                t.lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| {
                        // The value only, without `{ $name }` placeholders.
                        let v = l.split_once(" = ").map_or(l, |(_, v)| v);
                        let mut out = String::new();
                        let mut depth = 0;
                        for c in v.chars() {
                            match c {
                                '{' => depth += 1,
                                '}' => depth -= 1,
                                _ if depth == 0 => out.push(c),
                                _ => {}
                            }
                        }
                        out
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let ru = words_of(&values("ru"));
    words_of(&values("en"))
        .into_iter()
        .filter(|w| !ru.contains(w))
        .collect()
}

#[test]
fn report_kpi_on_the_demo_adds_up_and_check_config_guards_the_month() {
    let dir = tempfile::tempdir().unwrap();
    let out = salespulse(dir.path())
        .args([
            "demo",
            "--managers",
            "4",
            "--days",
            "10",
            "--end",
            "2026-11-20",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let kpi = |format: &str| {
        salespulse(dir.path())
            .args([
                "--config",
                "salespulse-demo.toml",
                "report",
                "kpi",
                "--team",
                "moscow",
                "--month",
                "2026-11",
                "--now",
                "2026-11-21T06:00:00Z",
                "--format",
                format,
            ])
            .output()
            .unwrap()
    };
    let out = kpi("json");
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &json["report"];
    assert_eq!(report["schema"], "salespulse.kpi/2");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let mut total = 0.0;
    for row in rows {
        let result = &row["result"];
        let amounts: f64 = result["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["amount"].as_f64().unwrap())
            .sum();
        let bonus = result["bonus"].as_f64().unwrap();
        assert!((amounts - bonus).abs() < 0.01, "{row}");
        total += bonus;
        // The fourth manager finds leads; the second was one on the 1st.
        let position = row["position"].as_str().unwrap();
        if ["m002", "m004"].contains(&row["employee_id"].as_str().unwrap()) {
            assert_eq!(position, "lead_generator", "{row}");
        } else {
            assert_eq!(position, "closer", "{row}");
        }
    }
    assert!((report["total_bonus"].as_f64().unwrap() - total).abs() < 0.01);
    assert_eq!(json["leaderboard"][0]["rank"], 1);
    // The text form opens every amount into its rule.
    let out = kpi("text");
    let said = text(&out);
    assert!(
        said.contains("KPI: Отдел продаж «Москва» за ноябрь 2026"),
        "{said}"
    );
    assert!(said.contains("встречи: "), "{said}");
    assert!(said.contains(" × 300 ₽ = "), "{said}");
    assert!(said.contains("прогноз в темпе "), "{said}");
    assert!(!said.contains("forecast"), "{said}");

    // The morning digest carries a bonus line per manager (kpi.in_digest).
    let digest = salespulse(dir.path())
        .args([
            "--config",
            "salespulse-demo.toml",
            "report",
            "digest",
            "--team",
            "moscow",
            "--date",
            "2026-11-20",
            "--now",
            "2026-11-21T06:00:00Z",
            "--out",
            "d",
        ])
        .output()
        .unwrap();
    let said = text(&digest);
    assert!(digest.status.success(), "{said}");
    let block = said
        .split("💰 Премия за ноябрь 2026, по 21.11 → прогноз на конец месяца\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{said}"));
    let lines: Vec<&str> = block.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{said}");
    for (line, row) in lines.iter().zip(json["leaderboard"].as_array().unwrap()) {
        let bonus = salespulse::words::number(
            salespulse::config::Locale::Ru,
            row["value"].as_f64().unwrap(),
            2,
        );
        assert!(line.contains(&format!("{bonus} ₽ → ")), "{line} vs {row}");
    }

    // Raising the meeting fee in the month under way is refused by
    // check-config, naming the scheme and the month to use instead.
    let path = dir.path().join("salespulse-demo.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, config.replace("amount = 300", "amount = 400")).unwrap();
    let check = salespulse(dir.path())
        .args(["--config", "salespulse-demo.toml", "check-config"])
        .output()
        .unwrap();
    let said = text(&check);
    assert!(!check.status.success(), "{said}");
    assert!(
        said.contains("kpi.schemes[0]: the scheme for \"closer\" from 2026-11 is in force"),
        "{said}"
    );
}
