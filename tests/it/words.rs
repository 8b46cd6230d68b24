//! Every report reads in its team's language: the demo's digest, manager
//! card and weekly report of a Russian team carry no English word of the
//! catalog and the templates, and the same reports of an English team no
//! Russian one (people's names and the config's data aside). A rule reads in
//! both languages from the same data.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use salespulse::app::demo::{self, DemoPaths};
use salespulse::config::{Config, Locale};
use salespulse::metrics::{Rule, Value};
use salespulse::words::Catalog;

fn templates_dir(locale: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("report-templates")
        .join(locale)
}

/// Text with `{…}` placeables, `{{…}}`/`{%…%}` template code, HTML tags and
/// URLs taken out.
fn literal(text: &str) -> String {
    let mut out = String::new();
    let (mut braces, mut tag) = (0usize, false);
    for c in text.chars() {
        match c {
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '<' if braces == 0 => tag = true,
            '>' if tag => {
                tag = false;
                out.push(' ');
            }
            _ if braces == 0 && !tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .filter(|w| !w.contains("://") && !w.contains('@') && !w.contains('&'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of `text` in `script` (Latin or Cyrillic), lowercased.
fn words(text: &str, cyrillic: bool) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .filter(|w| {
            w.chars()
                .all(|c| (('\u{400}'..='\u{4ff}').contains(&c)) == cyrillic)
        })
        .map(str::to_lowercase)
        .collect()
}

/// The words a locale's messages and templates are written in: message
/// values (not ids or comments) and the templates' literal text.
fn locale_words(locale: &str, cyrillic: bool) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for entry in std::fs::read_dir(templates_dir(locale)).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let body = if path.extension().is_some_and(|e| e == "ftl") {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .map(|l| match l.split_once(" = ") {
                    Some((id, value)) if !id.starts_with(' ') => value,
                    _ => l,
                })
                .map(|l| {
                    // A variant's key (`[one]`) is not a word people read.
                    let l = l.trim_start();
                    let l = l.strip_prefix('*').unwrap_or(l);
                    match l.strip_prefix('[') {
                        Some(rest) => rest.split_once(']').map_or("", |(_, v)| v),
                        None => l,
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            text
        };
        all.extend(words(&literal(&body), cyrillic));
    }
    all
}

/// Words only the `other` locale uses: what must not show up in `mine`.
fn foreign_words(mine: &str, other: &str, cyrillic: bool, data: &str) -> BTreeSet<String> {
    let own = locale_words(mine, cyrillic);
    // The config's values (names, stages, sources), not its comments.
    let values: String = data
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let data = words(&values, cyrillic);
    locale_words(other, cyrillic)
        .into_iter()
        .filter(|w| !own.contains(w) && !data.contains(w))
        .collect()
}

/// What a person reads of a report directory: its texts and pages, and the
/// workbook's sheet names and column titles.
fn report_texts(out: &Path) -> Vec<(String, String)> {
    use calamine::Reader;
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".txt") || name.ends_with(".html") {
            texts.push((name, std::fs::read_to_string(&path).unwrap()));
        } else if name.ends_with(".xlsx") {
            let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
            let mut words = book.sheet_names().join(" · ");
            for sheet in book.sheet_names() {
                let range = book.worksheet_range(&sheet).unwrap();
                if let Some(header) = range.rows().next() {
                    for cell in header {
                        words.push_str(" · ");
                        words.push_str(&cell.to_string());
                    }
                }
            }
            texts.push((name, words));
        }
    }
    texts
}

fn assert_none_foreign(texts: &[(String, String)], foreign: &BTreeSet<String>, cyrillic: bool) {
    let mut found = Vec::new();
    for (name, text) in texts {
        for w in words(&literal(text), cyrillic) {
            if foreign.contains(&w) {
                found.push(format!("{name}: {w}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "words of the other language:\n{}",
        found.join("\n")
    );
}

async fn demo_in(dir: &Path) -> demo::DemoOutcome {
    let paths = DemoPaths {
        database: dir.join("demo.db"),
        data_dir: dir.join("data"),
        config: dir.join("demo.toml"),
        out_dir: dir.join("out"),
    };
    let end = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    demo::run(11, 6, 14, end, paths, false).await.unwrap()
}

#[tokio::test]
async fn a_russian_teams_reports_read_in_russian_and_an_english_teams_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = demo_in(dir.path()).await;
    let config_text = std::fs::read_to_string(&outcome.paths.config).unwrap();
    // The CRM's data (deal and task titles) is data too.
    let mut data = config_text.clone();
    for entry in std::fs::read_dir(outcome.paths.data_dir.join("crm")).unwrap() {
        data.push('\n');
        data.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
    }
    let mut ru_texts = report_texts(&outcome.paths.out_dir);
    ru_texts.push(("subject".into(), outcome.weekly.subject.clone()));
    assert!(ru_texts.len() >= 6, "{ru_texts:?}");
    let english = foreign_words("ru", "en", false, &data);
    assert!(english.contains("forecast"), "{english:?}");
    assert_none_foreign(&ru_texts, &english, false);

    // The same team in English.
    let en_config = config_text.replace("locale = \"ru\"", "locale = \"en\"");
    assert_ne!(en_config, config_text);
    std::fs::write(&outcome.paths.config, &en_config).unwrap();
    let config = Config::load(&outcome.paths.config).unwrap();
    let store = salespulse::storage::open(config.database_url.expose())
        .await
        .unwrap();
    let out = dir.path().join("out-en");
    let day = outcome.last_day;
    let morning = chrono::DateTime::parse_from_rfc3339("2026-11-21T06:00:00Z")
        .unwrap()
        .to_utc();
    let digest =
        salespulse::app::digest::write_digest(&store, &config, "moscow", day, morning, &out)
            .await
            .unwrap();
    let who = &outcome.managers[0].id;
    salespulse::app::digest::write_manager_card(&store, &config, who, day, day, morning, &out)
        .await
        .unwrap();
    let weekly = salespulse::app::weekly::write_weekly(
        &store,
        &config,
        "moscow",
        day,
        morning,
        &out,
        salespulse::config::Delivery::File,
    )
    .await
    .unwrap();
    let mut en_texts = report_texts(&out);
    en_texts.push(("subject".into(), weekly.subject.clone()));
    assert!(
        digest.text_body.contains("Funnel over 30 days"),
        "{}",
        digest.text_body
    );
    let russian = foreign_words("en", "ru", true, &data);
    assert!(russian.contains("звонков"), "{russian:?}");
    assert_none_foreign(&en_texts, &russian, true);
}

#[test]
fn a_rule_reads_in_both_languages_from_the_same_data() {
    let c = Catalog::built_in();
    let rule = Rule::new("kpi_at_pace")
        .with("rule", Rule::new("talk_minutes").with("talk", "…"))
        .with("pace", 1.126);
    let ru = c.rule(Locale::Ru, &rule);
    let en = c.rule(Locale::En, &rule);
    assert!(ru.ends_with("в темпе месяца (× 1,13)"), "{ru}");
    assert!(en.ends_with("at the month's pace (× 1.13)"), "{en}");
    let money = Value::Money {
        amount: 12345.5,
        currency: "RUB".into(),
    };
    let held = Rule::new("kpi_held_back")
        .with("rule", Rule::new("talk_minutes").with("talk", "…"))
        .with("gate", "план")
        .with("paid", money);
    assert_eq!(
        c.rule(Locale::Ru, &held),
        "минуты разговоров = время разговоров / 60; …, но не выполнено условие «план»: 12\u{a0}345,5 ₽"
    );
    assert_eq!(
        c.rule(Locale::En, &held),
        "talk minutes = talk time / 60; …, held back by the gate план: RUB 12,345.5"
    );
}
