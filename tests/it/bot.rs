//! The bot's answers on the real stores: identity by config or invite code,
//! scoping by role, refusals, the figures behind an answer.

use chrono::{Duration, TimeZone, Utc};
use salespulse::bot::access::invite;
use salespulse::bot::answer::Bot;
use salespulse::config::{Config, Locale};
use salespulse::domain::Call;
use salespulse::words::Catalog;

use crate::helpers::{answered_call, backends};

const CONFIG: &str = r#"
[[teams]]
id = "t"
name = "North"
timezone = "UTC"
locale = "en"
[[teams]]
id = "s"
name = "South"
timezone = "UTC"
locale = "en"
[[employees]]
id = "ann"
name = "Ann Lee"
position = "closer"
team = "t"
telegram_id = 1001
[[employees]]
id = "bob"
name = "Bob Stone"
position = "closer"
team = "t"
[[employees]]
id = "head"
name = "Hana Head"
role = "head"
team = "t"
telegram_id = 1003
[[employees]]
id = "sam"
name = "Sam South"
team = "s"
[[stages]]
id = "new"
[[plans]]
role = "manager"
daily = { cold_calls = 2 }
[kpi]
leaderboard = "own"
[[kpi.schemes]]
position = "closer"
from = "2026-11"
[[kpi.schemes.indicators]]
figure = "successful_contacts"
rule = "per_unit"
amount = 100
"#;

fn call(who: &str, key: &str, minute: i64, talk: i64) -> Call {
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minute);
    answered_call(who, key, start, talk)
}

#[tokio::test]
async fn a_head_and_a_manager_get_what_each_may_see() {
    for db in backends().await {
        let config = Config::parse(CONFIG, std::path::Path::new("bot.toml"), &|_| None).unwrap();
        let run = db
            .store
            .start_run("pbx", "asterisk", "x", Utc::now())
            .await
            .unwrap();
        db.store
            .upsert_calls(
                run,
                &[
                    call("ann", "a1", 0, 95),
                    call("ann", "a2", 10, 20),
                    call("bob", "b1", 0, 60),
                    call("bob", "b2", 10, 70),
                    call("bob", "b3", 20, 80),
                ],
            )
            .await
            .unwrap();
        // Saturday the 21st: yesterday's figures by default.
        let bot = Bot {
            store: db.store.as_ref(),
            config: &config,
            words: Catalog::built_in(),
            now: Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap(),
        };
        let say = |who: i64, text: &'static str| {
            let bot = &bot;
            async move { bot.respond(who, text).await.unwrap().messages.join("\n") }
        };
        // The same command, two people.
        let words = Catalog::built_in();
        let total = |amount: f64| format!("Total: {}", words.money(Locale::En, amount, "₽"));
        let ann = say(1001, "/kpi").await;
        assert!(
            ann.contains("<b>Bonus: Ann Lee, November 2026</b>"),
            "{ann}"
        );
        assert!(ann.contains(&total(100.0)), "{ann}");
        assert!(!ann.contains("Bob"), "{ann}");
        let head = say(1003, "/kpi Bob").await;
        assert!(head.contains(&total(300.0)), "{head}");
        // A manager asking about another manager: refused, no figures.
        let refused = say(1001, "/kpi Bob").await;
        assert_eq!(refused, "You can see your own figures only.");
        // A head asking about another team.
        assert!(say(1003, "/me").await.contains("Hana Head"));
        assert_eq!(
            say(1003, "/plan Sam").await,
            "Sam South is not in your team."
        );
        // The leaderboard: the head sees the team, Ann only her own line.
        let head_top = say(1003, "/top").await;
        assert!(
            head_top.contains("Ann Lee") && head_top.contains("Bob Stone"),
            "{head_top}"
        );
        assert!(
            head_top.starts_with("<b>Activity plan</b> this week, 16.11–21.11"),
            "{head_top}"
        );
        let month = say(1003, "/top month").await;
        assert!(
            month.starts_with("<b>Activity plan</b> this month, 01.11–21.11"),
            "{month}"
        );
        let ann_top = say(1001, "/top").await;
        assert!(
            ann_top.contains("Ann Lee") && !ann_top.contains("Bob"),
            "{ann_top}"
        );
        // Why: the rule with the numbers, then the calls, number masked.
        let why = say(1001, "/why successful").await;
        assert!(why.contains("+7 916 ***-**-41"), "{why}");
        assert!(why.contains("09:00") && why.contains("1:35 ✔"), "{why}");
        assert!(
            why.contains("09:10") && why.contains("0:20 ✘ under 40 s"),
            "{why}"
        );
        assert!(why.contains("<b>Successful contacts</b>"), "{why}");
        assert!(!why.contains("79161234541"), "{why}");
        // An unknown user: one line, no data.
        let stranger = say(999, "/kpi Bob").await;
        assert_eq!(
            stranger,
            "I don't know you. Ask your head for a code and send /start CODE."
        );
        // A bad command from someone known: help.
        let bad = say(1001, "/dance").await;
        assert!(
            bad.starts_with("/dance is not a command.") && bad.contains("/me — my figures"),
            "{bad}"
        );
        // Someone nobody is called.
        assert_eq!(
            say(1003, "/plan Zed").await,
            "Nobody called \"Zed\" here. Check the name."
        );
        // Overdue tasks: the head's team, the manager's own.
        let head_overdue = say(1003, "/overdue").await;
        assert!(
            head_overdue.starts_with("<b>Overdue tasks: 0</b>")
                && head_overdue.contains("Ann Lee: 0\n")
                && head_overdue.contains("Bob Stone: 0")
                && !head_overdue.contains("oldest"),
            "{head_overdue}"
        );
        let ann_overdue = say(1001, "/overdue").await;
        assert!(
            ann_overdue.contains("Ann Lee") && !ann_overdue.contains("Bob"),
            "{ann_overdue}"
        );
        assert_eq!(
            say(1001, "/stuck Bob").await,
            "You can see your own figures only."
        );
        assert_eq!(say(1003, "/stuck").await, "No stuck deals.");
        // A self-report: stored, compared, differences sent to the head.
        let reply = bot
            .respond(1001, "/report successful 9 calls 2")
            .await
            .unwrap();
        let said = reply.messages.join("");
        assert!(said.contains("⚠️ Successful contacts: 9 / 0"), "{said}");
        assert!(said.contains("✅ Outbound calls: 2 / 0"), "{said}");
        assert_eq!(reply.forwards.len(), 1, "{:?}", reply.forwards);
        assert_eq!(reply.forwards[0].chat, 1003);
        assert!(
            reply.forwards[0].text.contains("Ann Lee, 21.11")
                && reply.forwards[0]
                    .text
                    .contains("Successful contacts: reported 9, measured 0"),
            "{:?}",
            reply.forwards
        );
        let stored = db
            .store
            .self_report(
                "ann",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            stored.as_deref(),
            Some(r#"{"calls_out":2.0,"successful_contacts":9.0}"#)
        );
        // Managers do not get the team view.
        assert_eq!(
            say(1001, "/team").await,
            "You can see your own figures only."
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn an_invite_links_once_and_not_after_it_expires() {
    for db in backends().await {
        let config = Config::parse(CONFIG, std::path::Path::new("bot.toml"), &|_| None).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();
        let bot = Bot {
            store: db.store.as_ref(),
            config: &config,
            words: Catalog::built_in(),
            now,
        };
        let (code, name, _) = invite(db.store.as_ref(), &config, "Bob", 24, now)
            .await
            .unwrap();
        assert_eq!(name, "Bob Stone");
        assert_eq!(code.len(), 10);
        // Before linking Bob is unknown.
        let before = bot.respond(2002, "/me").await.unwrap().messages.join("");
        assert!(before.starts_with("I don't know you"), "{before}");
        let linked = bot
            .respond(2002, &format!("/start {code}"))
            .await
            .unwrap()
            .messages
            .join("");
        assert!(
            linked.starts_with("Done, you are <b>Bob Stone</b>."),
            "{linked}"
        );
        let me = bot.respond(2002, "/me").await.unwrap().messages.join("");
        assert!(me.contains("Bob Stone"), "{me}");
        // The same code again, from someone else: used.
        let again = bot
            .respond(3003, &format!("/start {code}"))
            .await
            .unwrap()
            .messages
            .join("");
        assert!(again.contains("This code has been used already"), "{again}");
        // An expired code.
        let (old, _, _) = invite(
            db.store.as_ref(),
            &config,
            "Sam",
            1,
            now - Duration::hours(2),
        )
        .await
        .unwrap();
        let expired = bot
            .respond(4004, &format!("/start {old}"))
            .await
            .unwrap()
            .messages
            .join("");
        assert!(expired.contains("The code has expired"), "{expired}");
        let unknown = bot
            .respond(4004, "/start NOPE")
            .await
            .unwrap()
            .messages
            .join("");
        assert!(unknown.contains("No such code"), "{unknown}");
        db.finish().await;
    }
}

/// The words of a text of length ≥ 4, lowercased (letters only: `/why`,
/// `successful_contacts` and `«Стадия»` give their words).
fn words_of(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

/// The words of a reply, less the commands it names (`/team`, `/why`).
fn reply_words(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = String::new();
    let mut command = false;
    for c in text.chars() {
        if c == '/' {
            command = true;
        } else if !c.is_alphabetic() {
            command = false;
        }
        out.push(if command { ' ' } else { c });
    }
    words_of(&out)
}

/// The words of a locale's bot.ftl messages (not its comments, ids or
/// variables, nor the commands they name), less the words of the other
/// locale's.
fn own_words(mine: &str, theirs: &str) -> std::collections::BTreeSet<String> {
    let texts = |ftl: &str| -> String {
        ftl.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| {
                let value = l.split_once(" = ").map_or(l, |(_, v)| v);
                // Drop `{ $name }`, `[one]` and `*[other]`.
                let mut out = String::new();
                let mut depth = 0;
                for c in value.chars() {
                    match c {
                        '{' | '[' => depth += 1,
                        '}' | ']' => depth -= 1,
                        _ if depth == 0 => out.push(c),
                        _ => {}
                    }
                }
                out
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let other = reply_words(&texts(theirs));
    reply_words(&texts(mine))
        .into_iter()
        .filter(|w| !other.contains(w))
        .collect()
}

/// Every command, asked by a manager and by their head of a team writing
/// `locale`: no reply has a word of the other language's bot.ftl.
#[tokio::test]
async fn every_command_answers_in_the_teams_language_only() {
    const RU: &str = include_str!("../../report-templates/ru/bot.ftl");
    const EN: &str = include_str!("../../report-templates/en/bot.ftl");
    for db in backends().await {
        let run = db
            .store
            .start_run("pbx", "asterisk", "x", Utc::now())
            .await
            .unwrap();
        db.store
            .upsert_calls(
                run,
                &[
                    call("ann", "a1", 0, 95),
                    call("ann", "a2", 10, 20),
                    call("bob", "b1", 0, 60),
                ],
            )
            .await
            .unwrap();
        for (locale, foreign, hello) in [
            ("ru", own_words(EN, RU), "Команды"),
            ("en", own_words(RU, EN), "Commands"),
        ] {
            assert!(foreign.len() > 50, "{locale}: {foreign:?}");
            let text = CONFIG.replace("locale = \"en\"", &format!("locale = \"{locale}\""));
            let config = Config::parse(&text, std::path::Path::new("bot.toml"), &|_| None).unwrap();
            let bot = Bot {
                store: db.store.as_ref(),
                config: &config,
                words: Catalog::built_in(),
                now: Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap(),
            };
            let mut commands: Vec<String> = [
                "/start",
                "/help",
                "/me",
                "/me неделя",
                "/pulse",
                "/plan",
                "/funnel",
                "/stuck",
                "/overdue",
                "/top",
                "/top неделя",
                "/top month",
                "/top день",
                "/team",
                "/kpi",
                "/kpi 2026-11",
                "/report холодные 3 кп 2",
                "/report cold 3 proposals x",
                "/report dance 3",
                "/report cold",
                "/report",
                "/why",
                "/why nothing",
                "/dance",
                "/me someday",
                "/me вчера неделя",
                "/pulse Zed",
                "/plan Sam",
                "/plan Bob",
                "hello",
                "/start NOPE",
            ]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
            for key in salespulse::domain::KPI_FIGURES {
                commands.push(format!("/why {key}"));
            }
            for word in ["successful", "результативные", "trace", "план", "won"] {
                commands.push(format!("/why {word}"));
            }
            commands.push(format!("/{}", "x".repeat(600)));
            let names: Vec<&str> = config.employees.iter().map(|e| e.name.as_str()).collect();
            let mut answered = 0;
            for (who, command) in [1001i64, 1003]
                .into_iter()
                .flat_map(|w| commands.iter().map(move |c| (w, c)))
            {
                let reply = bot.respond(who, command).await.unwrap();
                let mut said = reply.messages.join("\n");
                for f in &reply.forwards {
                    said.push('\n');
                    said.push_str(&f.text);
                }
                // What a reply quotes back: the people, the words asked.
                for name in &names {
                    said = said.replace(name, "");
                }
                for word in command.split_whitespace() {
                    said = said.replace(word, "");
                }
                // A figure's rule is worded by rules.ftl, whose own tests
                // keep it in its language: the line after its name, and
                // each KPI indicator's.
                let checked: Vec<&str> = said
                    .lines()
                    .enumerate()
                    .filter(|(i, l)| {
                        !(l.starts_with("• ") || (command.starts_with("/why ") && *i == 2))
                    })
                    .map(|(_, l)| l)
                    .collect();
                let wrong: Vec<String> = reply_words(&checked.join("\n"))
                    .into_iter()
                    .filter(|w| foreign.contains(w))
                    .collect();
                assert!(
                    wrong.is_empty(),
                    "{locale} team, {who} asks {command}: {wrong:?} in\n{said}"
                );
                assert!(
                    !said.trim().is_empty() || !reply.photos.is_empty(),
                    "{command}"
                );
                answered += 1;
            }
            assert_eq!(answered, commands.len() * 2);
            let help = bot.respond(1001, "/help").await.unwrap().messages.join("");
            assert!(help.contains(hello), "{help}");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_long_buttons_command_goes_by_a_key_judged_by_who_presses_and_expires() {
    for db in backends().await {
        let config = Config::parse(CONFIG, std::path::Path::new("bot.toml"), &|_| None).unwrap();
        let run = db
            .store
            .start_run("pbx", "asterisk", "x", Utc::now())
            .await
            .unwrap();
        db.store
            .upsert_calls(run, &[call("bob", "b1", 0, 60)])
            .await
            .unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();
        // A command over Telegram's 64 bytes (spaces stand for a long name:
        // the command reads the same).
        let long = format!("/pulse Bob Stone 20.11.2026{}", " ".repeat(60));
        let button = salespulse::render::Button::asks("Pulse", long);
        let data = button.callback_data();
        assert!(data.len() <= 64 && data.starts_with("k:"), "{data}");
        salespulse::app::digest::keep_buttons(db.store.as_ref(), &[button], now)
            .await
            .unwrap();
        let at = |now| Bot {
            store: db.store.as_ref(),
            config: &config,
            words: Catalog::built_in(),
            now,
        };
        let press = |who: &str, now| {
            let viewer = config.employee(who).unwrap().clone();
            let data = data.clone();
            async move {
                at(now)
                    .press_as(&viewer, &data)
                    .await
                    .unwrap()
                    .messages
                    .join("\n")
            }
        };
        // The head gets Bob's card; Ann, pressing the same button of a
        // forwarded message, only a refusal.
        let head = press("head", now).await;
        assert!(head.contains("Bob Stone"), "{}: {head}", db.name);
        let ann = press("ann", now).await;
        assert_eq!(ann, "You can see your own figures only.", "{}", db.name);
        // Kept 45 days.
        let later = press("head", now + Duration::days(46)).await;
        assert!(later.contains("This button has expired"), "{later}");
        db.finish().await;
    }
}
