//! `[visibility] hide_from_managers`, command by command and group by group,
//! on the demo's department: a manager never sees a hidden group of their
//! own figures (in text, charts or refusals), the other groups stay, and
//! their head sees everything.

use chrono::{TimeZone, Utc};
use salespulse::bot::answer::{Bot, Reply};
use salespulse::config::{Config, EmployeeConfig};
use salespulse::domain::{FigureGroup, Role};
use salespulse::words::Catalog;

const HIDDEN: &str = "Этот показатель видят только руководители.";

/// Words of each group in a card (the demo's team writes Russian).
fn marks(group: FigureGroup) -> &'static [&'static str] {
    match group {
        FigureGroup::Telephony => &["Результативных контактов", "Разговоров"],
        FigureGroup::Pulse => &["Пик:", "ервый звонок", "Самый долгий простой"],
        FigureGroup::Plan => &["план выполнен", "плана нет"],
        FigureGroup::Funnel => &[],
        FigureGroup::Hygiene => &["Звонков без следа", "Просроченных задач"],
    }
}

fn shows(text: &str, group: FigureGroup) -> bool {
    marks(group).iter().any(|m| text.contains(m))
}

/// The commands that show one group only.
const ONE_GROUP: &[(&str, FigureGroup)] = &[
    ("/pulse", FigureGroup::Pulse),
    ("/funnel", FigureGroup::Funnel),
    ("/stuck", FigureGroup::Funnel),
    ("/overdue", FigureGroup::Hygiene),
    ("/plan", FigureGroup::Plan),
    ("/top", FigureGroup::Plan),
    ("/why successful", FigureGroup::Telephony),
    ("/why talk", FigureGroup::Telephony),
    ("/why trace", FigureGroup::Hygiene),
    ("/why overdue", FigureGroup::Hygiene),
    ("/why won", FigureGroup::Funnel),
    ("/why revenue", FigureGroup::Funnel),
    ("/why plan", FigureGroup::Plan),
    ("/why meetings", FigureGroup::Plan),
];

fn text(reply: &Reply) -> String {
    reply.messages.join("\n")
}

async fn ask(bot: &Bot<'_>, who: &EmployeeConfig, command: &str) -> Reply {
    bot.respond_as(who, command).await.unwrap()
}

/// The demo's department in `dir`, and its config with `hidden` groups
/// (the database named from wherever the test runs; `extra` put in the
/// team's table).
async fn demo(dir: &std::path::Path) -> impl Fn(&[FigureGroup], &str) -> Config {
    crate::serve::demo(dir).await;
    let db = dir.join("salespulse-demo.db");
    let base = std::fs::read_to_string(dir.join("salespulse-demo.toml"))
        .unwrap()
        .replace(
            "sqlite://salespulse-demo.db",
            &format!("sqlite://{}", db.display()),
        );
    assert!(base.contains(&db.display().to_string()), "{base}");
    move |hidden: &[FigureGroup], extra: &str| {
        let list: Vec<String> = hidden.iter().map(|g| format!("\"{g}\"")).collect();
        let team = "locale = \"ru\"\n";
        assert!(base.contains(team));
        let text = format!(
            "{}\n[visibility]\nhide_from_managers = [{}]\n",
            base.replacen(team, &format!("{team}{extra}\n"), 1),
            list.join(", ")
        );
        Config::parse(&text, std::path::Path::new("demo.toml"), &|_| None).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_command_keeps_each_hidden_group_from_managers() {
    let dir = tempfile::tempdir().unwrap();
    let with = demo(dir.path()).await;
    let config = |hidden: &[FigureGroup]| with(hidden, "");
    let open = config(&[]);
    let store = salespulse::storage::open(open.database_url.expose())
        .await
        .unwrap();
    // Saturday morning: the cards are of Friday the 20th.
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();

    // The manager whose Friday card shows every group, with nothing hidden
    // (so that a missing word below means hidden, not absent).
    let mut chosen = None;
    for m in open.employees.iter().filter(|e| e.role == Role::Manager) {
        let bot = Bot {
            store: store.as_ref(),
            config: &open,
            words: Catalog::built_in(),
            now,
        };
        let card = text(&ask(&bot, m, "/pulse").await);
        if FigureGroup::ALL
            .into_iter()
            .filter(|g| *g != FigureGroup::Funnel)
            .all(|g| shows(&card, g))
        {
            chosen = Some(m.id.clone());
            break;
        }
    }
    let manager_id = chosen.expect("a demo manager whose card shows every group");

    for hidden in FigureGroup::ALL {
        let config = config(&[hidden]);
        let bot = Bot {
            store: store.as_ref(),
            config: &config,
            words: Catalog::built_in(),
            now,
        };
        let manager = config
            .employees
            .iter()
            .find(|e| e.id == manager_id)
            .unwrap();
        let head = config
            .employees
            .iter()
            .find(|e| e.role == Role::Head)
            .unwrap();

        // The card, without charts (/me) and with them (/pulse).
        for command in ["/me", "/pulse"] {
            let mine = ask(&bot, manager, command).await;
            let said = text(&mine);
            if command == "/pulse" && hidden == FigureGroup::Pulse {
                assert_eq!(said, HIDDEN);
                assert!(mine.photos.is_empty());
                continue;
            }
            for g in FigureGroup::ALL {
                if g == hidden {
                    assert!(!shows(&said, g), "{hidden} hidden, {command}: {said}");
                } else if command == "/pulse" && g != FigureGroup::Funnel {
                    assert!(shows(&said, g), "{g} kept with {hidden} hidden: {said}");
                }
            }
            let charts: Vec<&str> = mine.photos.iter().map(|p| p.chart.name.as_str()).collect();
            if command == "/pulse" {
                assert_eq!(
                    charts.iter().any(|n| n.ends_with("-funnel.png")),
                    hidden != FigureGroup::Funnel,
                    "{hidden} hidden: {charts:?}"
                );
                assert!(charts.iter().any(|n| n.ends_with("-pulse.png")));
            }
            // The head sees every group of the same card (/me is one's own).
            if command == "/pulse" {
                let theirs = text(&ask(&bot, head, &format!("/pulse {manager_id}")).await);
                for g in FigureGroup::ALL
                    .into_iter()
                    .filter(|g| *g != FigureGroup::Funnel)
                {
                    assert!(shows(&theirs, g), "head, {g}: {theirs}");
                }
            }
        }

        // The commands of one group: refused exactly when it is hidden,
        // and never for the head.
        for (command, group) in ONE_GROUP {
            let mine = ask(&bot, manager, command).await;
            let refused = text(&mine) == HIDDEN;
            assert_eq!(
                refused,
                *group == hidden,
                "{hidden} hidden, {command}: {}",
                text(&mine)
            );
            if refused {
                assert!(mine.photos.is_empty(), "{command}");
            }
            let asked = if command.starts_with("/top") {
                command.to_string()
            } else {
                format!("{command} {manager_id}")
            };
            let theirs = text(&ask(&bot, head, &asked).await);
            assert_ne!(theirs, HIDDEN, "head, {asked}");
        }

        // A self-report: the measured value of a hidden figure is not shown
        // back; the head's note has it.
        let reply = ask(&bot, manager, "/report successful 900").await;
        let said = text(&reply);
        assert_eq!(
            said.contains("Результативные контакты: 900 / —"),
            hidden == FigureGroup::Telephony,
            "{hidden} hidden: {said}"
        );
        for note in reply.forwards.iter().map(|f| &f.text) {
            assert!(!note.contains('—'), "{note}");
        }
    }
    store.close().await;
}

/// The morning digest goes whole to the heads; the team's group chat, where
/// managers read it, gets a copy without the hidden groups and without the
/// bonuses when each manager may see only their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_chat_gets_the_digest_without_what_managers_may_not_see() {
    let dir = tempfile::tempdir().unwrap();
    let with = demo(dir.path()).await;
    let friday = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();
    // Without a team chat there is no copy.
    let config = with(&[FigureGroup::Pulse, FigureGroup::Hygiene], "");
    let store = salespulse::storage::open(config.database_url.expose())
        .await
        .unwrap();
    let out = dir.path().join("out");
    let write = |config: &Config| {
        let (store, out) = (store.clone(), out.clone());
        let config = config.clone();
        async move {
            salespulse::app::digest::write_digest(
                store.as_ref(),
                &config,
                "moscow",
                friday,
                now,
                &out,
            )
            .await
            .unwrap()
        }
    };
    let files = write(&config).await;
    assert!(files.team_chat.is_none());

    let config = with(
        &[FigureGroup::Pulse, FigureGroup::Hygiene],
        "telegram_chat_id = -100777",
    );
    let files = write(&config).await;
    let whole = &files.text_body;
    for word in ["Простой", "Просроченные задачи", "Премия"] {
        assert!(
            whole.contains(word),
            "the heads' digest has {word}: {whole}"
        );
    }
    let copy = files.team_chat.as_ref().expect("a copy for the team chat");
    for word in [
        "Простой",
        "без следа",
        "Просроченные задачи",
        "Премия",
        "/pulse",
        "/overdue",
    ] {
        assert!(
            !copy.text_body.contains(word),
            "{word} in the chat's copy: {}",
            copy.text_body
        );
    }
    for word in ["План активности выполнили", "Итого", "Зависшие сделки"]
    {
        assert!(
            copy.text_body.contains(word),
            "{word} kept: {}",
            copy.text_body
        );
    }
    let names = |f: &salespulse::app::digest::DigestFiles| -> Vec<String> {
        f.charts
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert!(names(&files).iter().any(|n| n.starts_with("heatmap-")));
    assert!(names(&files).iter().any(|n| n.starts_with("swimlane-")));
    let copied = names(copy);
    assert!(
        copied
            .iter()
            .all(|n| !n.starts_with("heatmap-") && !n.starts_with("swimlane-")),
        "{copied:?}"
    );
    assert!(
        copied.iter().any(|n| n.starts_with("funnel-")),
        "{copied:?}"
    );
    // Only buttons of what the chat may see: the stuck deals, not the
    // idle, the traces or the overdue tasks.
    let commands: Vec<&str> = copy.buttons.iter().map(|b| b.command.as_str()).collect();
    assert_eq!(commands, ["/stuck"], "{:?}", copy.buttons);
    for path in &copy.telegram_messages {
        let html = std::fs::read_to_string(path).unwrap();
        assert!(!html.contains("Простой"), "{html}");
    }
    // Who gets what.
    let deliveries = salespulse::app::digest::digest_deliveries(&config, "moscow", &files).unwrap();
    let group: Vec<_> = deliveries.iter().filter(|(c, _)| *c == -100_777).collect();
    assert_eq!(group.len(), 1);
    assert!(group[0].1.messages.iter().all(|m| !m.contains("Простой")));
    assert_eq!(group[0].1.photos.len(), copied.len());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_deals_name_their_stage_as_the_config_does_and_say_what_they_are_worth() {
    let dir = tempfile::tempdir().unwrap();
    let with = demo(dir.path()).await;
    let config = with(&[], "");
    let store = salespulse::storage::open(config.database_url.expose())
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();
    let bot = Bot {
        store: store.as_ref(),
        config: &config,
        words: Catalog::built_in(),
        now,
    };
    let head = config
        .employees
        .iter()
        .find(|e| e.role == Role::Head)
        .unwrap();
    let said = text(&ask(&bot, head, "/stuck").await);
    let named = config
        .stages
        .iter()
        .filter(|s| said.contains(&format!("«{}»", s.name)))
        .count();
    assert!(named > 0, "no stage by its name: {said}");
    for stage in &config.stages {
        assert!(
            !said.contains(&format!("«{}»", stage.id)),
            "the stage id {} reaches people: {said}",
            stage.id
        );
    }
    assert!(
        said.contains(" ₽ · "),
        "no deal says what it is worth: {said}"
    );
    store.close().await;
}
