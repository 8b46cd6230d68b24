//! The weekly email sent over SMTP to aiosmtpd (`tests/smtp/server.py`,
//! started by `.ci/run`), read back from the server's store and taken
//! apart: inline charts by Content-ID, the workbook, the plain-text twin.
//! Without `SALESPULSE_TEST_SMTP` the tests that need the server say they
//! were skipped and why.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use mail_parser::{MessageParser, MimeHeaders};
use salespulse::app::demo::{self, DemoPaths};
use salespulse::config::{EmailConfig, SmtpSecurity};
use salespulse::delivery::email::{Mailer, SendError};

pub const SMTP_ENV: &str = "SALESPULSE_TEST_SMTP";

#[derive(serde::Deserialize)]
struct Servers {
    plain: u16,
    starttls: u16,
    tls: u16,
    auth: u16,
    ca_file: PathBuf,
    store: PathBuf,
    user: String,
    password: String,
}

fn servers(test: &str) -> Option<Servers> {
    let Some(dir) = std::env::var_os(SMTP_ENV) else {
        eprintln!(
            "SKIPPED {test}: {SMTP_ENV} is not set (run tests/smtp/server.py --dir DIR and set it to DIR, as .ci/run does)"
        );
        return None;
    };
    let path = Path::new(&dir).join("servers.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{SMTP_ENV} is set but {} cannot be read: {e}",
            path.display()
        )
    });
    Some(serde_json::from_str(&text).expect("servers.json"))
}

/// An address no other test or run uses.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}@example.com",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn smtp(port: u16, security: SmtpSecurity) -> EmailConfig {
    EmailConfig {
        smtp_host: "localhost".into(),
        smtp_port: port,
        security,
        username: None,
        password: None,
        password_env: None,
        from: "salespulse <reports@example.com>".into(),
        reply_to: None,
        to: Vec::new(),
        ca_file: None,
        timeout: Duration::from_secs(10),
        attempts: 3,
        backoff: Duration::from_millis(20),
    }
}

/// The messages the server stored for `to`.
fn stored(servers: &Servers, to: &str) -> Vec<Vec<u8>> {
    let dir = servers.store.join(to.to_lowercase());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

fn small_message(to: &[String]) -> lettre::Message {
    salespulse::render::email::build_message(salespulse::render::email::EmailContent {
        from: "salespulse <reports@example.com>",
        to,
        reply_to: None,
        subject: "test",
        html: "<p>hello</p>".into(),
        text: "hello".into(),
        images: Vec::new(),
        attachment: None,
    })
    .unwrap()
}

/// Digits of a figure as written ("1 234" → 1234).
fn number(s: &str) -> i64 {
    s.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number in {s:?}"))
}

/// The demo's weekly email, as `report weekly` builds it.
async fn demo_weekly() -> (tempfile::TempDir, salespulse::app::weekly::WeeklyEmail) {
    let dir = tempfile::tempdir().unwrap();
    let paths = DemoPaths {
        database: dir.path().join("demo.db"),
        data_dir: dir.path().join("data"),
        config: dir.path().join("demo.toml"),
        out_dir: dir.path().join("out"),
    };
    let end = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let outcome = demo::run(11, 5, 14, end, paths, false).await.unwrap();
    let email = outcome.weekly.email.expect("the demo owner has an address");
    (dir, email)
}

#[tokio::test]
async fn the_weekly_email_arrives_whole_over_each_kind_of_connection() {
    let Some(servers) = servers("the_weekly_email_arrives_whole_over_each_kind_of_connection")
    else {
        return;
    };
    let (_dir, email) = demo_weekly().await;
    let mut kinds = vec![
        ("plain", smtp(servers.plain, SmtpSecurity::None)),
        ("starttls", smtp(servers.starttls, SmtpSecurity::StartTls)),
        ("tls", smtp(servers.tls, SmtpSecurity::Tls)),
        ("auth", smtp(servers.auth, SmtpSecurity::StartTls)),
    ];
    for (name, config) in &mut kinds {
        if *name != "plain" {
            config.ca_file = Some(servers.ca_file.clone());
        }
        if *name == "auth" {
            config.username = Some(servers.user.clone());
            config.password = Some(salespulse::config::Secret::new(servers.password.clone()));
        }
    }
    for (name, config) in &kinds {
        let to = unique(&format!("owner-{name}"));
        let mailer = Mailer::new(config).unwrap();
        let sent = mailer.send(&email.message, std::slice::from_ref(&to)).await;
        assert_eq!(sent.len(), 1);
        let answer = sent[0]
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(answer.starts_with("250"), "{name}: {answer}");
        let got = stored(&servers, &to);
        assert_eq!(got.len(), 1, "{name}: stored once");
        check_weekly_message(&got[0]);
    }
}

/// Every `cid:` has its PNG, the workbook opens with the week's rows, and
/// the plain text carries the figures of the HTML.
fn check_weekly_message(raw: &[u8]) {
    let message = MessageParser::default().parse(raw).expect("a MIME message");
    let subject = message.subject().unwrap_or_default();
    assert!(
        subject.contains("неделя") || subject.contains("week"),
        "the subject from the template: {subject:?}"
    );
    let html = message.body_html(0).expect("an HTML part").into_owned();
    let text = message
        .body_text(0)
        .expect("a plain-text part")
        .into_owned();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );

    // Inline charts: each cid in the HTML is an inline PNG part.
    let cids: Vec<&str> = html
        .split("src=\"cid:")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(cids.len(), 3, "trends, plan and funnel charts: {cids:?}");
    for cid in &cids {
        let part = message
            .parts
            .iter()
            .find(|p| p.content_id() == Some(cid))
            .unwrap_or_else(|| panic!("no part for cid:{cid}"));
        assert!(part.is_content_type("image", "png"), "{cid}");
        assert_eq!(
            part.content_disposition().map(|d| d.ctype()),
            Some("inline"),
            "{cid}"
        );
        let decoder = png::Decoder::new(std::io::Cursor::new(part.contents()));
        let reader = decoder.read_info().unwrap_or_else(|e| panic!("{cid}: {e}"));
        assert!(reader.info().width >= 600, "{cid} is a chart");
    }

    // The workbook.
    let book = message
        .attachments()
        .find(|p| p.attachment_name().is_some_and(|n| n.ends_with(".xlsx")))
        .expect("the XLSX is attached");
    let mut xlsx: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(book.contents().to_vec()))
        .expect("the XLSX opens");
    assert_eq!(
        xlsx.sheet_names(),
        [
            "Менеджеры по дням",
            "Зависшие сделки",
            "Просроченные задачи",
            "Премия KPI"
        ]
    );
    let days = xlsx.worksheet_range("Менеджеры по дням").unwrap();
    let rows: Vec<&[Data]> = days.rows().collect();
    assert_eq!(rows[0][1], Data::String("Менеджер".into()));
    // 5 managers × 7 days.
    assert_eq!(rows.len() - 1, 35, "rows of the week");
    let column = |name: &str| -> i64 {
        let c = rows[0]
            .iter()
            .position(|h| *h == Data::String(name.into()))
            .unwrap();
        rows[1..]
            .iter()
            .map(|r| match &r[c] {
                Data::Float(f) => *f as i64,
                Data::Int(i) => *i,
                other => panic!("{name}: {other:?}"),
            })
            .sum()
    };

    // The plain text: the managers' lines add up to the workbook's totals.
    let manager_lines: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.matches(" · ").count() >= 7 && !l.ends_with("):"))
        .map(|l| l.split(" · ").collect())
        .collect();
    assert_eq!(manager_lines.len(), 5, "{text}");
    let calls: i64 = manager_lines.iter().map(|f| number(f[1])).sum();
    let successful: i64 = manager_lines.iter().map(|f| number(f[2])).sum();
    let out_in = column("Исходящие") + column("Входящие");
    assert!(calls > 0);
    assert_eq!(calls, out_in, "calls in text vs workbook");
    assert_eq!(successful, column("Результативные"), "successful contacts");

    // The KPI sheet: each manager's amounts add up to their bonus line, and
    // the plain text's bonus table carries the same bonuses.
    let kpi = xlsx.worksheet_range("Премия KPI").unwrap();
    let kpi: Vec<&[Data]> = kpi.rows().skip(1).collect();
    let cell = |r: &[Data], c: usize| match &r[c] {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("{other:?}"),
    };
    let mut amounts = 0.0;
    let mut bonuses = Vec::new();
    for r in &kpi {
        let label = r[3].to_string();
        if label.starts_with("Премия") {
            assert!((cell(r, 6) - amounts).abs() < 0.01, "{r:?}");
            bonuses.push(cell(r, 6));
            amounts = 0.0;
        } else {
            amounts += cell(r, 6);
            // Amounts to the kopeck, shares to a tenth of a percent.
            let working = r[7].to_string();
            let shown = |decimals| {
                salespulse::words::number(salespulse::config::Locale::Ru, cell(r, 5), decimals)
            };
            assert!(
                working.contains(&shown(2)) || working.contains(&shown(1)),
                "the working shows the value: {r:?}"
            );
        }
    }
    assert_eq!(bonuses.len(), 5);
    for b in &bonuses {
        let shown = salespulse::words::number(salespulse::config::Locale::Ru, *b, 2);
        assert!(text.contains(&format!(": {shown} ₽")), "{shown} in {text}");
    }

    // Each headline of the text is in the HTML's headline table.
    let headlines: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| l.contains(" (прошлая неделя ") || l.contains(" (last week "))
        .filter_map(|l| l.split_once(": "))
        .map(|(label, rest)| (label, rest.split(" (").next().unwrap()))
        .collect();
    assert!(headlines.len() >= 6, "{text}");
    for (label, value) in headlines {
        let row = format!(
            "<td>{label}</td><td align=\"right\" style=\"white-space:nowrap;\"><b>{value}</b>"
        );
        assert!(html.contains(&row), "{label}: {value} is in the HTML");
    }
}

#[tokio::test]
async fn an_unknown_mailbox_fails_alone_and_a_busy_server_is_tried_again() {
    let Some(servers) = servers("an_unknown_mailbox_fails_alone_and_a_busy_server_is_tried_again")
    else {
        return;
    };
    let unknown = unique("unknown");
    let busy = unique("tempfail2");
    let fine = unique("head");
    let recipients = vec![unknown.clone(), busy.clone(), fine.clone()];
    let mailer = Mailer::new(&smtp(servers.plain, SmtpSecurity::None)).unwrap();
    let sent = mailer.send(&small_message(&recipients), &recipients).await;

    let refused = sent[0].result.as_ref().unwrap_err();
    assert!(matches!(refused, SendError::Refused { .. }), "{refused}");
    let said = refused.to_string();
    assert!(said.contains("550") && said.contains(&unknown), "{said}");
    assert_eq!(sent[0].attempts, 1, "a permanent failure is not retried");

    assert!(sent[1].result.is_ok(), "{:?}", sent[1].result);
    assert_eq!(sent[1].attempts, 3, "two 451 answers, then taken");
    assert_eq!(stored(&servers, &busy).len(), 1, "stored once");

    assert!(sent[2].result.is_ok());
    let got = stored(&servers, &fine);
    assert_eq!(got.len(), 1);
    // Every recipient sees the whole list, as in an ordinary email.
    let message = MessageParser::default().parse(&got[0]).unwrap();
    assert_eq!(message.to().map(|a| a.iter().count()), Some(3));
    assert!(stored(&servers, &unknown).is_empty());
}

#[tokio::test]
async fn a_wrong_password_is_named_with_what_to_check() {
    let Some(servers) = servers("a_wrong_password_is_named_with_what_to_check") else {
        return;
    };
    let mut config = smtp(servers.auth, SmtpSecurity::StartTls);
    config.ca_file = Some(servers.ca_file.clone());
    config.username = Some(servers.user.clone());
    config.password = Some(salespulse::config::Secret::new("wrong".to_owned()));
    config.password_env = Some("SALESPULSE_SMTP_PASSWORD".into());
    let to = unique("owner");
    let sent = Mailer::new(&config)
        .unwrap()
        .send(
            &small_message(std::slice::from_ref(&to)),
            std::slice::from_ref(&to),
        )
        .await;
    let error = sent[0].result.as_ref().unwrap_err();
    assert!(matches!(error, SendError::Login { .. }), "{error}");
    let said = error.to_string();
    assert!(
        said.contains("535")
            && said.contains(&servers.user)
            && said.contains("SALESPULSE_SMTP_PASSWORD")
            && !said.contains("wrong"),
        "{said}"
    );
    assert_eq!(sent[0].attempts, 1);
    assert!(stored(&servers, &to).is_empty());
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let Some(servers) = servers("a_certificate_from_an_unknown_ca_is_refused") else {
        return;
    };
    // No ca_file: the server's certificate is not trusted.
    let to = unique("owner");
    let sent = Mailer::new(&smtp(servers.starttls, SmtpSecurity::StartTls))
        .unwrap()
        .send(
            &small_message(std::slice::from_ref(&to)),
            std::slice::from_ref(&to),
        )
        .await;
    let error = sent[0].result.as_ref().unwrap_err();
    assert!(matches!(error, SendError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("email.ca_file"), "{error}");
    assert!(stored(&servers, &to).is_empty());
}

#[tokio::test]
async fn a_server_that_is_down_is_retried_then_reported() {
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = smtp(port, SmtpSecurity::None);
    config.smtp_host = "127.0.0.1".into();
    let to = "owner@example.com".to_owned();
    let started = std::time::Instant::now();
    let sent = Mailer::new(&config)
        .unwrap()
        .send(
            &small_message(std::slice::from_ref(&to)),
            std::slice::from_ref(&to),
        )
        .await;
    let error = sent[0].result.as_ref().unwrap_err();
    assert!(
        matches!(error, SendError::GaveUp { attempts: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("email.smtp_host"), "{error}");
    // Waited 20 ms, then 40 ms between the three tries.
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[test]
fn report_weekly_sends_from_the_command_line() {
    use crate::cli::{salespulse, text};
    let dir = tempfile::tempdir().unwrap();
    let demo = salespulse(dir.path())
        .args([
            "demo",
            "--managers",
            "3",
            "--days",
            "7",
            "--end",
            "2026-11-20",
        ])
        .output()
        .unwrap();
    assert!(demo.status.success(), "{}", text(&demo));
    let weekly = |extra: &[&str]| {
        let mut args = vec![
            "--config",
            "salespulse-demo.toml",
            "report",
            "weekly",
            "--team",
            "moscow",
            "--date",
            "2026-11-16",
            "--now",
            "2026-11-23T05:00:00Z",
            "--out",
            "sent",
        ];
        args.extend_from_slice(extra);
        salespulse(dir.path()).args(args).output().unwrap()
    };
    // No [email] section yet: a clear refusal before any work.
    let out = weekly(&["--deliver", "email"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("needs an [email] section"),
        "{}",
        text(&out)
    );

    let Some(servers) = servers("report_weekly_sends_from_the_command_line (sending part)") else {
        return;
    };
    let (owner, unknown) = (unique("owner"), unique("unknown"));
    let config = dir.path().join("salespulse-demo.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        "\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsecurity = \"none\"\nfrom = \"salespulse <reports@example.com>\"\nreply_to = \"Head <head@example.com>\"\nto = [\"{owner}\"]\nbackoff_ms = 10\n",
        servers.plain
    ));
    std::fs::write(&config, &toml).unwrap();
    let out = weekly(&["--deliver", "email"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains(&format!("sent to {owner} (250")), "{said}");
    assert!(
        !dir.path()
            .join("sent/weekly-moscow-2026-11-16.eml")
            .exists()
    );
    let got = stored(&servers, &owner);
    assert_eq!(got.len(), 1);
    let message = MessageParser::default().parse(&got[0]).unwrap();
    assert_eq!(
        message
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("head@example.com")
    );

    // One recipient unknown: the other still gets it, the command says who
    // did not and fails.
    std::fs::write(
        &config,
        toml.replace(
            &format!("to = [\"{owner}\"]"),
            &format!("to = [\"{unknown}\", \"{owner}\"]"),
        ),
    )
    .unwrap();
    let out = weekly(&["--deliver", "email"]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(&format!("not sent to {unknown}")), "{said}");
    assert!(said.contains("1 of 2 recipients did not get"), "{said}");
    assert_eq!(stored(&servers, &owner).len(), 2);

    // --deliver file writes the .eml instead.
    let out = weekly(&["--deliver", "file"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        dir.path()
            .join("sent/weekly-moscow-2026-11-16.eml")
            .exists()
    );
    assert_eq!(stored(&servers, &owner).len(), 2, "nothing sent");
}
