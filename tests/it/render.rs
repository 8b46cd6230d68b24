//! The morning digest rendered from real figures: content, escaping,
//! Telegram's message limit, and strict templates.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use salespulse::app::digest::write_digest;
use salespulse::config::Config;
use salespulse::domain::{Call, CallFields, Direction, Disposition};

use crate::helpers::sqlite;

fn config(extra_people: usize, templates_dir: Option<&std::path::Path>) -> Config {
    let text = config_text(extra_people, templates_dir);
    Config::parse(&text, std::path::Path::new("render.toml"), &|_| None).unwrap()
}

fn config_text(extra_people: usize, templates_dir: Option<&std::path::Path>) -> String {
    let mut text = String::from(
        r#"
[[teams]]
id = "t"
name = "Sales <North> & Co"
timezone = "UTC"
locale = "en"
[[employees]]
id = "oneil"
name = "O'Neil<A&B> Jr"
team = "t"
[[employees]]
id = "boss"
name = "Boss"
role = "owner"
team = "t"
email = "boss@example.com"
[[stages]]
id = "new"
[[plans]]
role = "manager"
daily = { cold_calls = 3 }
"#,
    );
    for i in 0..extra_people {
        text.push_str(&format!(
            "[[employees]]\nid = \"p{i}\"\nname = \"Person{i:03}\"\nteam = \"t\"\n"
        ));
    }
    if let Some(dir) = templates_dir {
        text = format!("templates_dir = \"{}\"\n{text}", dir.display());
    }
    text
}

fn outbound(key: &str, minute: i64, talk: i64) -> Call {
    let start = Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap() + Duration::minutes(minute);
    call_of("oneil", key, &format!("7900000000{minute}"), start, talk)
}

/// An outbound call of `who` to `number` at `start`, `talk` seconds long
/// (0: not answered).
fn call_of(who: &str, key: &str, number: &str, start: chrono::DateTime<Utc>, talk: i64) -> Call {
    Call::new(CallFields {
        source: "pbx".into(),
        external_id: key.into(),
        employee_id: Some(who.into()),
        agent: None,
        direction: Direction::Outbound,
        number: number.into(),
        started_at: start,
        answered_at: None,
        ended_at: start + Duration::seconds(talk + 5),
        talk_seconds: talk,
        disposition: if talk > 0 {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        },
        deal_ext: None,
        kind: None,
        leg_key: key.into(),
    })
    .unwrap()
}

/// Two successful calls and one unanswered, Monday 16.11 from 09:00.
fn the_morning() -> Vec<Call> {
    vec![
        outbound("a", 0, 120),
        outbound("b", 10, 0),
        outbound("c", 20, 50),
    ]
}

async fn store_calls(db: &crate::helpers::TestDb, calls: &[Call]) {
    let run = db
        .store
        .start_run("pbx", "asterisk", "x", Utc::now())
        .await
        .unwrap();
    db.store.upsert_calls(run, calls).await.unwrap();
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
}

#[tokio::test]
async fn the_digest_shows_the_figures_and_escapes_names() {
    let db = sqlite().await;
    store_calls(&db, &the_morning()).await;
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
    let files = write_digest(
        db.store.as_ref(),
        &config(0, None),
        "t",
        day(),
        now,
        out.path(),
    )
    .await
    .unwrap();
    assert_eq!(files.telegram_messages.len(), 1);
    let html = std::fs::read_to_string(&files.telegram_messages[0]).unwrap();
    // Three cold calls against a plan of three: met; two successful; 2:50 of talk rounds to 0:03.
    let row = html
        .lines()
        .find(|l| l.starts_with("O&#x27;Neil"))
        .unwrap_or_else(|| panic!("{html}"));
    assert!(row.contains("O&#x27;Neil&lt;A&amp;B&gt;"), "{row}");
    assert!(row.contains("✅"), "{row}");
    let numbers: Vec<&str> = row.split_whitespace().skip(2).collect();
    assert_eq!(numbers, ["3", "0", "0", "2", "0:03"], "{row}");
    assert!(
        html.contains("<b>Sales &lt;North&gt; &amp; Co</b> — Mon 16.11"),
        "{html}"
    );
    assert!(html.contains("Activity plan met by 1 of 1"), "{html}");
    // The charts: the team pulse first (the digest's photo), then the funnel,
    // the plan, and the team's day as one swimlane picture; each a PNG that
    // decodes.
    let names: Vec<String> = files
        .charts
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "heatmap-t-2026-11-16.png",
            "funnel-t-2026-11-16.png",
            "plan-t-2026-11-16.png",
            "swimlane-t-2026-11-16.png"
        ]
    );
    for path in &files.charts {
        let bytes = std::fs::read(path).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder
            .read_info()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let info = reader.info();
        assert!(
            info.width >= 600 && info.height >= 100,
            "{}: {}x{}",
            path.display(),
            info.width,
            info.height
        );
    }
    // Oneil's lane: two successful calls (green) and one unanswered (grey), nothing short (orange).
    let pulse = std::fs::read(&files.charts[3]).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(pulse))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut pixels).unwrap();
    let count = |rgb: [u8; 3]| pixels.chunks(3).filter(|p| *p == rgb).count();
    assert!(count([46, 160, 67]) > 100, "green bars");
    assert!(count([160, 160, 160]) > 50, "grey bars");
    // The legend square alone is orange: 18 x 18 pixels.
    assert_eq!(count([240, 140, 0]), 18 * 18, "no orange bars");
    // The plain text is not escaped.
    let text = std::fs::read_to_string(&files.text).unwrap();
    assert!(text.contains("O'Neil<A&B>"), "{text}");
    assert!(!text.contains("<pre>"));
    db.finish().await;
}

#[tokio::test]
async fn a_long_digest_splits_between_rows_under_telegrams_limit() {
    let db = sqlite().await;
    // A day with calls (a day without any is one line).
    store_calls(&db, &the_morning()).await;
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
    let files = write_digest(
        db.store.as_ref(),
        &config(150, None),
        "t",
        day(),
        now,
        out.path(),
    )
    .await
    .unwrap();
    assert!(
        files.telegram_messages.len() >= 2,
        "{}",
        files.telegram_messages.len()
    );
    let mut rows = 0;
    for path in &files.telegram_messages {
        let part = std::fs::read_to_string(path).unwrap();
        assert!(
            part.chars().count() <= 4096,
            "{} is {} characters",
            path.display(),
            part.chars().count()
        );
        assert_eq!(
            part.matches("<pre>").count(),
            part.matches("</pre>").count(),
            "{part}"
        );
        rows += part
            .lines()
            .filter(|l| l.trim_start_matches("<pre>").starts_with("Person"))
            .count();
    }
    assert_eq!(rows, 150, "every manager's row once, whole");
    db.finish().await;
}

#[tokio::test]
async fn a_template_naming_an_unknown_variable_fails_to_render() {
    let db = sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::write(
        dir.path().join("en/digest.telegram.html"),
        "Hello {{ team_nam }}",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
    let err = write_digest(
        db.store.as_ref(),
        &config(0, Some(dir.path())),
        "t",
        day(),
        now,
        out.path(),
    )
    .await
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("en/digest.telegram.html") && text.contains("undefined"),
        "{text}"
    );
    db.finish().await;
}

#[tokio::test]
async fn the_manager_card_reads_like_the_mock_up() {
    let db = sqlite().await;
    store_calls(&db, &the_morning()).await;
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
    let files = salespulse::app::digest::write_manager_card(
        db.store.as_ref(),
        &config(0, None),
        "oneil",
        day(),
        day(),
        now,
        out.path(),
    )
    .await
    .unwrap();
    let text = files.text_body;
    assert!(
        text.starts_with("O'Neil<A&B> Jr, Mon 16.11 — plan 100 % done"),
        "{text}"
    );
    assert!(text.contains("Cold calls 3/3"), "{text}");
    assert!(
        text.contains("Successful contacts 2 (≥ 40 s) of 2 connected (3 calls)"),
        "{text}"
    );
    assert!(text.contains("first call 09:00, last 09:20"), "{text}");
    assert!(text.contains("Talk 2 min 50 s,"), "{text}");
    assert!(
        text.contains("Peak: 09:00–10:00, 3 calls — a potential of 27 a day"),
        "{text}"
    );
    let html = std::fs::read_to_string(&files.telegram_messages[0]).unwrap();
    assert!(
        html.starts_with("<b>O&#x27;Neil&lt;A&amp;B&gt; Jr</b>"),
        "{html}"
    );
    // Their funnel and their day's pulse.
    assert_eq!(files.charts.len(), 2);
    db.finish().await;
}

#[tokio::test]
async fn a_russian_card_counts_calls_in_the_right_form_and_talk_to_the_second() {
    let db = sqlite().await;
    // 21 calls of 25 s each: «21 звонок», 525 s of talk.
    let calls: Vec<Call> = (0..21).map(|i| outbound(&format!("k{i}"), i, 25)).collect();
    store_calls(&db, &calls).await;
    let mut config = config(0, None);
    config.teams[0].locale = salespulse::config::Locale::Ru;
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
    let files = salespulse::app::digest::write_manager_card(
        db.store.as_ref(),
        &config,
        "oneil",
        day(),
        day(),
        now,
        out.path(),
    )
    .await
    .unwrap();
    let text = files.text_body;
    assert!(text.contains("(21 звонок)"), "{text}");
    assert!(text.contains("Разговоров 8 мин 45 с"), "{text}");
    assert!(!text.contains("звонков)"), "{text}");
    db.finish().await;
}

#[tokio::test]
async fn the_weekly_report_has_its_page_charts_and_workbook() {
    let db = sqlite().await;
    // Monday the 16th this week, Monday the 9th the week before.
    let mut calls = the_morning();
    let mut earlier = outbound("d", 30, 90);
    earlier.started_at -= Duration::days(7);
    earlier.ended_at -= Duration::days(7);
    calls.push(earlier);
    store_calls(&db, &calls).await;
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
    let files = salespulse::app::weekly::write_weekly(
        db.store.as_ref(),
        &config(0, None),
        "t",
        NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
        now,
        out.path(),
        salespulse::config::Delivery::File,
    )
    .await
    .unwrap();
    assert!(
        files
            .subject
            .starts_with("Sales, week 47: revenue RUB 0, 0 deals won"),
        "{}",
        files.subject
    );
    let html = std::fs::read_to_string(&files.html).unwrap();
    // Successful contacts: 2 this week, 1 the week before: up 100 %.
    let row = html
        .split("<tr")
        .find(|r| r.contains("Successful contacts</td>"))
        .unwrap_or_else(|| panic!("{html}"));
    assert!(
        row.contains("<b>2</b>") && row.contains(">1</td>") && row.contains("▲ 100 %"),
        "{row}"
    );
    assert!(
        html.contains("O&#x27;Neil&lt;A&amp;B&gt;"),
        "names are escaped"
    );
    for chart in &files.charts {
        let name = chart.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            html.contains(&format!("src=\"{name}\"")),
            "{name} is on the page"
        );
        assert!(std::fs::read(chart).unwrap().starts_with(b"\x89PNG"));
    }
    // The workbook: a zip whose first sheet has a header and 7 days x 1 manager.
    let book = std::fs::read(&files.xlsx).unwrap();
    assert!(book.starts_with(b"PK"));
    let text = String::from_utf8_lossy(&book);
    assert!(text.contains("xl/worksheets/sheet3.xml"), "three sheets");
    // The email: to the owner, HTML and plain text, charts inline, workbook attached.
    let eml =
        std::fs::read_to_string(files.eml.as_ref().expect("the owner has an address")).unwrap();
    assert!(
        eml.contains("To: Boss <boss@example.com>"),
        "{}",
        &eml[..400]
    );
    assert!(
        eml.contains("multipart/alternative")
            && eml.contains("text/plain")
            && eml.contains("text/html")
    );
    for cid in ["trends", "plan", "funnel"] {
        assert!(eml.contains(&format!("Content-ID: <{cid}>")), "{cid}");
    }
    assert!(eml.contains("filename=\"weekly-t-2026-11-16.xlsx\""));
    db.finish().await;
}

#[tokio::test]
async fn a_day_nothing_happened_on_is_one_line_and_a_stopped_source_is_named() {
    for db in crate::helpers::backends().await {
        store_calls(&db, &the_morning()).await;
        // Pulled every hour; last pulled whole on Tuesday at 10:00.
        let config = Config::parse(
            &format!(
                "{}{}",
                config_text(0, None),
                "\n[[sources]]\nname = \"pbx\"\nkind = \"asterisk\"\ntimezone = \"UTC\"\n\
                 [[schedules]]\nname = \"pbx-hourly\"\ncron = \"0 * * * *\"\njob = \"pull\"\nsource = \"pbx\"\n"
            ),
            std::path::Path::new("render.toml"),
            &|_| None,
        )
        .unwrap();
        let tuesday_ten = Utc.with_ymd_and_hms(2026, 11, 17, 10, 0, 0).unwrap();
        db.store.mark_pulled("pbx", tuesday_ten).await.unwrap();
        let out = tempfile::tempdir().unwrap();
        let write = |day: NaiveDate, now| {
            let (store, config, out) = (db.store.clone(), config.clone(), out.path().to_owned());
            async move {
                write_digest(store.as_ref(), &config, "t", day, now, &out)
                    .await
                    .unwrap()
            }
        };
        // Tuesday the 17th had no call: one line, no charts, no buttons.
        let at_eleven = Utc.with_ymd_and_hms(2026, 11, 18, 10, 30, 0).unwrap();
        let quiet = write(day() + Duration::days(1), at_eleven).await;
        assert!(
            quiet.charts.is_empty() && quiet.buttons.is_empty(),
            "{}",
            db.name
        );
        let body = quiet.text_body.trim();
        let stale = "⚠️ Source \"pbx\" has not been pulled since Tue 17.11 10:00, \
                     though schedule \"pbx-hourly\" asks for it.";
        assert_eq!(
            body,
            format!("{stale}\nNo data for Tue 17.11 — the last call was Mon 16.11 09:20."),
            "{}",
            db.name
        );
        // Pulled since: the source is not named; Monday's digest is whole.
        db.store.mark_pulled("pbx", at_eleven).await.unwrap();
        let monday = write(day(), at_eleven).await;
        assert!(
            !monday.text_body.contains("pulled since"),
            "{}",
            monday.text_body
        );
        assert!(
            monday.text_body.contains("Sales <North> & Co"),
            "{}",
            monday.text_body
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_digest_of_fifty_sends_four_pictures_and_the_day_shows_the_worst_twenty() {
    let db = sqlite().await;
    // Fifty people, each with a call at 09:00 and one later: an idle gap
    // each, longer the later their second call.
    let config = config(49, None);
    let day0 = Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap();
    let mut calls = Vec::new();
    for (i, who) in std::iter::once("oneil".to_owned())
        .chain((0..49).map(|i| format!("p{i}")))
        .enumerate()
    {
        for (k, at) in [day0, day0 + Duration::minutes(60 + 4 * i as i64)]
            .into_iter()
            .enumerate()
        {
            let (key, number) = (format!("{who}-{k}"), format!("79000{i:03}{k}"));
            calls.push(call_of(&who, &key, &number, at, 90));
        }
    }
    store_calls(&db, &calls).await;
    let out = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
    let files = write_digest(db.store.as_ref(), &config, "t", day(), now, out.path())
        .await
        .unwrap();
    let names: Vec<String> = files
        .charts
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    let swimlane = files
        .charts
        .iter()
        .find(|p| p.to_string_lossy().contains("swimlane-"))
        .unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(std::fs::read(swimlane).unwrap()))
        .read_info()
        .unwrap()
        .info()
        .clone();
    // Twenty lanes of 34 pixels under a 100-pixel head, 60 below.
    assert_eq!(info.height, 100 + 20 * 34 + 60);
    db.finish().await;
}

/// The render config of `extra_people` more, every manager a closer paid
/// per meeting, with a bonus line per manager in the digest.
fn config_with_kpi(extra_people: usize) -> Config {
    let text = config_text(extra_people, None)
        .replace("team = \"t\"\n", "team = \"t\"\nposition = \"closer\"\n")
        + r#"
[kpi]
in_digest = true
[[kpi.schemes]]
position = "closer"
from = "2026-11"
[[kpi.schemes.indicators]]
figure = "meetings"
rule = "per_unit"
amount = 500
"#;
    Config::parse(&text, std::path::Path::new("render.toml"), &|_| None).unwrap()
}

#[tokio::test]
async fn a_rich_digest_of_five_hundred_splits_by_whole_rows_within_telegrams_limits() {
    for (config, kpi) in [(config(499, None), false), (config_with_kpi(499), true)] {
        let db = sqlite().await;
        store_calls(&db, &the_morning()).await;
        let out = tempfile::tempdir().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 17, 6, 0, 0).unwrap();
        let files = write_digest(db.store.as_ref(), &config, "t", day(), now, out.path())
            .await
            .unwrap();
        // 500 rows and the rest do not fit in 500 blocks: several messages,
        // as few as the limits allow (rows and bonus lines each need two).
        let parts = files.rich.len();
        assert!((2..=5).contains(&parts), "{parts} parts, kpi {kpi}");
        let (mut rows, mut lines, mut table_end) = (0, 0, None);
        for (i, path) in files.rich.iter().enumerate() {
            let part = std::fs::read_to_string(path).unwrap();
            assert!(
                salespulse::render::rich::within_limits(&part),
                "{}: {} characters, {} blocks",
                path.display(),
                part.chars().count(),
                salespulse::render::rich::blocks(&part)
            );
            assert_eq!(part.contains("<h3>"), i == 0, "the heading opens the first");
            let closes = part.contains("<tr><th align=\"left\">Total</th>");
            assert_eq!(
                part.contains("tg://photo?id="),
                closes,
                "the charts follow the table's totals"
            );
            if closes {
                assert_eq!(table_end, None, "the totals once");
                table_end = Some(i);
            }
            assert_eq!(
                part.matches("<table").count(),
                part.matches("</table>").count()
            );
            for l in part.split("<tr><td").skip(1) {
                match l.contains("align=\"center\"") {
                    true => {
                        assert!(table_end.is_none() || table_end == Some(i), "{l}");
                        rows += 1;
                    }
                    false => {
                        assert!(table_end.is_some(), "bonus lines after the table: {l}");
                        lines += 1;
                    }
                }
            }
            // The funnel and the alerts end the digest.
            for end in ["<ul>", "📈"] {
                assert!(!part.contains(end) || i + 1 == parts, "{}", path.display());
            }
        }
        assert_eq!(rows, 500, "every manager's row once, whole");
        assert_eq!(lines, if kpi { 500 } else { 0 }, "every bonus line once");
        db.finish().await;
    }
}
