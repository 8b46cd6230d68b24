//! The bot through teloxide's real HTTP client against teloxide_tests' Bot
//! API server on loopback: scoped answers, refusals, photos, groups.

use std::sync::Arc;

use chrono::{Duration, Utc};
use salespulse::bot::telegram::{State, handler_tree};
use salespulse::config::Config;
use salespulse::domain::Call;
use teloxide::types::ParseMode;
use teloxide_tests::{MockBot, MockMessageText, MockPrivateChat, MockSupergroupChat, MockUser};

use crate::helpers::{answered_call, sqlite};

const CONFIG: &str = r#"
[[teams]]
id = "t"
name = "North"
timezone = "UTC"
locale = "en"
weekends = []
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
telegram_id = 1002
[[employees]]
id = "head"
name = "Hana Head"
role = "head"
team = "t"
telegram_id = 1003
[[stages]]
id = "new"
[[kpi.schemes]]
position = "closer"
from = "2020-01"
[[kpi.schemes.indicators]]
figure = "successful_contacts"
rule = "per_unit"
amount = 100
"#;

fn text(from: u64, words: &str) -> MockMessageText {
    let user = MockUser::new().id(from).first_name("U").build();
    MockMessageText::new()
        .text(words)
        .from(user)
        .chat(MockPrivateChat::new().id(from as i64).build())
}

/// Calls of yesterday (the team works every day), so `/me` and `/kpi` have
/// figures whatever day the test runs.
fn calls() -> Vec<Call> {
    let day = (Utc::now() - Duration::days(1))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    [
        ("ann", "a1", 95),
        ("bob", "b1", 60),
        ("bob", "b2", 70),
        ("bob", "b3", 80),
    ]
    .iter()
    .enumerate()
    .map(|(i, (who, key, talk))| {
        answered_call(who, key, day + Duration::minutes(10 * i as i64), *talk)
    })
    .collect()
}

fn sent_texts(responses: teloxide_tests::Responses) -> Vec<(i64, String)> {
    responses
        .sent_messages_text
        .iter()
        .map(|m| {
            assert_eq!(m.bot_request.parse_mode, Some(ParseMode::Html));
            (
                m.message.chat.id.0,
                m.message.text().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_over_telegram_answer_each_person_within_their_role() {
    // Yesterday's month, so the test holds on the first of a month too.
    let month = (Utc::now() - Duration::days(1)).format("%Y-%m").to_string();
    let mut bot = MockBot::new(
        text(1001, &format!("/kpi {month}")),
        handler_tree::<teloxide::Bot>(),
    );
    let db = sqlite().await;
    let run = db
        .store
        .start_run("pbx", "asterisk", "x", Utc::now())
        .await
        .unwrap();
    db.store.upsert_calls(run, &calls()).await.unwrap();
    let config = Config::parse(CONFIG, std::path::Path::new("t.toml"), &|_| None).unwrap();
    bot.dependencies(teloxide::dptree::deps![Arc::new(
        State::new(db.store.clone(), config, salespulse::clock::Clock::real(),).unwrap()
    )]);

    // The manager: their own bonus.
    bot.dispatch().await;
    let got = sent_texts(bot.get_responses());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 1001);
    assert!(
        got[0].1.contains("Ann Lee") && got[0].1.contains("1 × ₽ 100 = ₽ 100"),
        "{got:?}"
    );
    assert!(!got[0].1.contains("Bob"));

    // The manager asking about another: refused, nothing of Bob's.
    bot.update(text(1001, &format!("/kpi Bob {month}")));
    bot.dispatch().await;
    assert_eq!(
        sent_texts(bot.get_responses()),
        vec![(1001, "You can see your own figures only.".to_owned())]
    );

    // The head asking the same: Bob's figures.
    bot.update(text(1003, &format!("/kpi Bob {month}")));
    bot.dispatch().await;
    let got = sent_texts(bot.get_responses());
    assert!(
        got[0].1.contains("Bob Stone") && got[0].1.contains("3 × ₽ 100 = ₽ 300"),
        "{got:?}"
    );

    // Someone unknown: one line, no data.
    bot.update(text(4242, "/me"));
    bot.dispatch().await;
    assert_eq!(
        sent_texts(bot.get_responses()),
        vec![(
            4242,
            "I don't know you. Ask your head for a code and send /start CODE.".to_owned()
        )]
    );

    // A bad command: help.
    bot.update(text(1002, "/dance"));
    bot.dispatch().await;
    let got = sent_texts(bot.get_responses());
    assert!(
        got[0].1.contains("/dance is not a command") && got[0].1.contains("/kpi"),
        "{got:?}"
    );

    // /pulse: the card and its charts as photos.
    bot.update(text(1002, "/pulse"));
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert!(
        responses.sent_messages_text[0]
            .message
            .text()
            .unwrap()
            .contains("Bob Stone")
    );
    let photos: Vec<String> = responses
        .sent_messages_photo
        .iter()
        .map(|p| p.bot_request.file_name.clone())
        .collect();
    assert_eq!(photos, vec!["bob-funnel.png", "bob-pulse.png"]);

    // A digest button: the command asked by whoever pressed it, answered in
    // their private chat and scoped to them.
    let head = MockUser::new().id(1003).first_name("H").build();
    bot.update(
        teloxide_tests::MockCallbackQuery::new()
            .data(format!("/kpi Bob {month}"))
            .from(head),
    );
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert_eq!(responses.answered_callback_queries.len(), 1);
    let got = sent_texts(responses);
    assert_eq!(got[0].0, 1003);
    assert!(got[0].1.contains("Bob Stone"), "{got:?}");
    let ann = MockUser::new().id(1001).first_name("A").build();
    bot.update(
        teloxide_tests::MockCallbackQuery::new()
            .data(format!("/kpi Bob {month}"))
            .from(ann),
    );
    bot.dispatch().await;
    assert_eq!(
        sent_texts(bot.get_responses()),
        vec![(1001, "You can see your own figures only.".to_owned())]
    );

    // A card's buttons: each within Telegram's 64 bytes of callback data;
    // the day before replaces the card instead of sending a new one.
    bot.update(text(1002, "/me"));
    bot.dispatch().await;
    let responses = bot.get_responses();
    let card = responses.sent_messages_text[0].message.clone();
    let data: Vec<String> = card
        .reply_markup()
        .map(|k| {
            k.inline_keyboard
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter_map(|b| match b.kind {
            teloxide::types::InlineKeyboardButtonKind::CallbackData(d) => Some(d),
            _ => None,
        })
        .collect();
    assert!(
        data.len() >= 4 && data.iter().all(|d| d.len() <= 64),
        "{data:?}"
    );
    let before_day = Utc::now().date_naive() - Duration::days(2);
    let before = data
        .iter()
        .find(|d| d.starts_with("e:/me "))
        .unwrap_or_else(|| panic!("{data:?}"));
    assert!(before.ends_with(&before_day.format("%d.%m.%Y").to_string()));
    let bob = MockUser::new().id(1002).first_name("B").build();
    bot.update(
        teloxide_tests::MockCallbackQuery::new()
            .data(before.clone())
            .from(bob.clone())
            .message(card.clone()),
    );
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert!(
        responses.sent_messages_text.is_empty(),
        "a new message was sent"
    );
    let edited = &responses.edited_messages_text;
    assert_eq!(edited.len(), 1);
    assert_eq!(edited[0].message.id, card.id);
    let edited_text = edited[0].message.text().unwrap_or_default();
    assert!(
        edited_text.contains(&before_day.format("%d.%m").to_string()),
        "{edited_text}"
    );
    // «Why?» offers the card's figures, each a /why of that day.
    let why = data.iter().find(|d| d.starts_with("/why ? ")).unwrap();
    bot.update(
        teloxide_tests::MockCallbackQuery::new()
            .data(why.clone())
            .from(bob)
            .message(card),
    );
    bot.dispatch().await;
    let menu = bot.get_responses().sent_messages_text[0].message.clone();
    let offered = menu
        .reply_markup()
        .map(|k| k.inline_keyboard.iter().flatten().count())
        .unwrap_or(0);
    assert!(offered >= 5, "{menu:?}");

    // A group chat gets no answers to commands.
    let group = MockSupergroupChat::new().id(-100777).build();
    bot.update(
        MockMessageText::new()
            .text("/kpi")
            .from(MockUser::new().id(1003).first_name("H").build())
            .chat(group),
    );
    bot.dispatch().await;
    assert!(bot.get_responses().sent_messages.is_empty());
    db.finish().await;
}

mod against_our_fake {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use salespulse::bot::telegram::{Listen, State, run_with};
    use salespulse::config::Config;
    use salespulse::delivery::telegram::{ChatOutcome, Outgoing, deliver};
    use salespulse::render::{Button, Chart};
    use serde_json::json;

    use crate::fake_telegram::{Script, start};
    use crate::helpers::sqlite;

    fn bot(url: &str) -> teloxide::Bot {
        teloxide::Bot::new("123:test").set_api_url(url::Url::parse(url).unwrap())
    }

    fn png() -> Vec<u8> {
        salespulse::render::charts::trend_chart("t", &["a".into()], &[1.0], &[2.0], ["x", "y"])
            .unwrap()
    }

    #[tokio::test]
    async fn a_flood_answer_is_waited_out_and_the_message_arrives_once() {
        let fake = start(Script {
            flood: 1,
            ..Script::default()
        })
        .await;
        let db = sqlite().await;
        let out = Outgoing {
            messages: vec!["<b>Digest</b>".into()],
            ..Outgoing::default()
        };
        let started = Instant::now();
        let result = deliver(
            &bot(&fake.url),
            db.store.as_ref(),
            None,
            &[42],
            &out,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(result, vec![(42, ChatOutcome::Sent)]);
        // One 429 (retry_after 1), then the one that went through.
        assert_eq!(fake.calls("sendmessage").len(), 2);
        assert!(started.elapsed() >= Duration::from_secs(1));
        db.finish().await;
    }

    #[tokio::test]
    async fn a_blocked_chat_is_disabled_and_the_admin_told() {
        let fake = start(Script {
            blocked: vec![666],
            ..Script::default()
        })
        .await;
        let db = sqlite().await;
        let out = Outgoing {
            messages: vec!["<b>Digest</b>".into()],
            photos: vec![
                Chart {
                    name: "heatmap.png".into(),
                    png: png(),
                },
                Chart {
                    name: "funnel.png".into(),
                    png: png(),
                },
                Chart {
                    name: "plan.png".into(),
                    png: png(),
                },
            ],
            caption: Some("Пульс отдела".into()),
            buttons: vec![Button::asks("Пульс: Сидоров", "/pulse Сидоров")],
        };
        let bot = bot(&fake.url);
        let first = deliver(
            &bot,
            db.store.as_ref(),
            Some(&super::admin7()),
            &[666, 42],
            &out,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(first[0].0, 666);
        assert!(
            matches!(&first[0].1, ChatOutcome::Disabled(r) if r.contains("blocked")),
            "{first:?}"
        );
        assert_eq!(first[1], (42, ChatOutcome::Sent));
        // The admin heard of it.
        let to_admin: Vec<_> = fake
            .calls("sendmessage")
            .into_iter()
            .filter(|c| c.body.contains("\"chat_id\":7"))
            .collect();
        assert_eq!(to_admin.len(), 1);
        assert!(to_admin[0].body.contains("666"));
        assert!(
            to_admin[0].body.contains("больше не получает отчёты"),
            "{}",
            to_admin[0].body
        );
        // The photos went as one media group, the caption on the first.
        let groups = fake.calls("sendmediagroup");
        assert_eq!(groups.len(), 1);
        assert!(groups[0].body.contains("Пульс отдела"));
        // The button rides on the (last) message.
        let to_42: Vec<_> = fake
            .calls("sendmessage")
            .into_iter()
            .filter(|c| c.body.contains("\"chat_id\":42"))
            .collect();
        assert!(
            to_42[0]
                .body
                .contains("\"callback_data\":\"/pulse Сидоров\"")
        );
        assert_eq!(groups[0].body.matches("\"type\":\"photo\"").count(), 3);
        // Next time the blocked chat is not tried.
        let before = fake.calls.lock().unwrap().len();
        let second = deliver(
            &bot,
            db.store.as_ref(),
            Some(&super::admin7()),
            &[666, 42],
            &out,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert!(matches!(second[0].1, ChatOutcome::Skipped(_)));
        let tried_666 = fake.calls.lock().unwrap()[before..]
            .iter()
            .any(|c| c.chat() == 666);
        assert!(!tried_666);
        db.finish().await;
    }

    #[tokio::test]
    async fn long_polling_picks_up_a_message_and_answers_it() {
        let fake = start(Script {
            updates: vec![json!({"update_id": 10, "message": {
                "message_id": 5, "date": 1_700_000_000,
                "chat": {"id": 1001, "type": "private", "first_name": "Ann"},
                "from": {"id": 1001, "is_bot": false, "first_name": "Ann"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})],
            ..Script::default()
        })
        .await;
        let db = sqlite().await;
        let config =
            Config::parse(super::CONFIG, std::path::Path::new("t.toml"), &|_| None).unwrap();
        let state = Arc::new(
            State::new(db.store.clone(), config, salespulse::clock::Clock::real()).unwrap(),
        );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let polling = tokio::spawn(run_with(bot(&fake.url), state, Listen::Polling, stopped));
        let deadline = Instant::now() + Duration::from_secs(15);
        while fake.calls("sendmessage").is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Asked to stop, the bot finishes and returns.
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(40), polling)
            .await
            .expect("the bot stops when asked")
            .unwrap()
            .unwrap();
        let sent = fake.calls("sendmessage");
        assert_eq!(sent.len(), 1, "answered once");
        assert!(sent[0].body.contains("\"chat_id\":1001") && sent[0].body.contains("/kpi"));
        // The commands were registered in both languages first.
        let registered = fake.calls("setmycommands");
        assert!(
            registered
                .iter()
                .any(|c| c.body.contains("\"language_code\":\"ru\""))
        );
        assert!(
            registered
                .iter()
                .any(|c| c.body.contains("\"language_code\":\"en\""))
        );
        db.finish().await;
    }

    /// Posts an update to the webhook as Telegram would, with `secret` in the
    /// secret-token header when given; returns the HTTP status.
    async fn post_update(address: std::net::SocketAddr, secret: Option<&str>) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let body = json!({"update_id": 77, "message": {
            "message_id": 9, "date": 1_700_000_000,
            "chat": {"id": 1002, "type": "private", "first_name": "Bob"},
            "from": {"id": 1002, "is_bot": false, "first_name": "Bob"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})
        .to_string();
        let header = secret
            .map(|s| format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST /telegram/hook HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             {header}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
    }

    #[tokio::test]
    async fn a_webhook_post_without_the_right_secret_token_is_refused() {
        let fake = start(Script::default()).await;
        let db = sqlite().await;
        let config =
            Config::parse(super::CONFIG, std::path::Path::new("t.toml"), &|_| None).unwrap();
        let state = Arc::new(
            State::new(db.store.clone(), config, salespulse::clock::Clock::real()).unwrap(),
        );
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = free.local_addr().unwrap();
        drop(free);
        let listen = Listen::Webhook {
            url: url::Url::parse("https://bot.example.com/telegram/hook").unwrap(),
            address,
            secret: salespulse::config::Secret::new("s3cret-Token_1"),
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let bot_task = tokio::spawn(run_with(bot(&fake.url), state, listen, stopped));
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(Instant::now() < deadline, "the webhook never listened");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Telegram was told where to post and which token to send.
        let set = fake.calls("setwebhook");
        assert_eq!(set.len(), 1);
        assert!(set[0].body.contains("bot.example.com"), "{}", set[0].body);
        assert!(set[0].body.contains("s3cret-Token_1"), "{}", set[0].body);

        assert_eq!(post_update(address, None).await, 401);
        assert_eq!(post_update(address, Some("guess")).await, 401);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            fake.calls("sendmessage").is_empty(),
            "refused posts are not answered"
        );

        assert_eq!(post_update(address, Some("s3cret-Token_1")).await, 200);
        let deadline = Instant::now() + Duration::from_secs(15);
        while fake.calls("sendmessage").is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let sent = fake.calls("sendmessage");
        assert_eq!(sent.len(), 1, "the real post is answered once");
        assert!(sent[0].body.contains("\"chat_id\":1002"));

        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(40), bot_task)
            .await
            .expect("the bot stops when asked")
            .unwrap()
            .unwrap();
        db.finish().await;
    }
}

/// The 3-manager demo with a team chat and a `[telegram]` section.
async fn demo_with_team_chat(extra: &str) -> tempfile::TempDir {
    use crate::cli::{salespulse, text};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let demo = tokio::task::spawn_blocking(move || {
        salespulse(&path)
            .args([
                "demo",
                "--managers",
                "3",
                "--days",
                "5",
                "--end",
                "2026-11-20",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(demo.status.success(), "{}", text(&demo));
    let config = dir.path().join("salespulse-demo.toml");
    let toml = std::fs::read_to_string(&config).unwrap().replacen(
        "locale = \"ru\"",
        "locale = \"ru\"\ntelegram_chat_id = -100777",
        1,
    ) + "\n[telegram]\ntoken_env = \"TEST_BOT_TOKEN\"\nadmin_chat_id = 7\n"
        + extra;
    std::fs::write(&config, toml).unwrap();
    dir
}

/// `report digest --deliver telegram` of Friday 20.11, to the Bot API at
/// `url`.
async fn deliver_digest(dir: &std::path::Path, url: &str) -> std::process::Output {
    let (path, url) = (dir.to_owned(), url.to_owned());
    tokio::task::spawn_blocking(move || {
        crate::cli::salespulse(&path)
            .env("TEST_BOT_TOKEN", "123:test")
            .env(salespulse::delivery::telegram::API_URL_ENV, url)
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
                "--deliver",
                "telegram",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn report_digest_goes_to_the_team_chat_from_the_command_line() {
    use crate::cli::text;
    let fake = crate::fake_telegram::start(crate::fake_telegram::Script::default()).await;
    let dir = demo_with_team_chat("format = \"html\"\n").await;
    let out = deliver_digest(dir.path(), &fake.url).await;
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("chat -100777: Sent"), "{said}");
    assert!(
        fake.calls("sendrichmessage").is_empty(),
        "format = \"html\""
    );
    let messages = fake.calls("sendmessage");
    assert!(!messages.is_empty());
    assert!(
        messages
            .iter()
            .all(|m| m.body.contains("\"chat_id\":-100777"))
    );
    assert!(messages[0].body.contains("\"parse_mode\":\"HTML\""));
    assert!(
        messages[0].body.contains("План активности выполнили"),
        "{}",
        messages[0].body
    );
    // Under the last message, a button per flagged manager.
    let last = &messages[messages.len() - 1].body;
    let all: String = messages.iter().map(|m| m.body.as_str()).collect();
    if all.contains("/pulse ") {
        assert!(
            last.contains("inline_keyboard") && last.contains("\"callback_data\":\"/pulse "),
            "{last}"
        );
    }
    // The charts: heat map, funnel, plan and the team's day, one group
    // (three pulse charts before, one per flagged manager).
    let groups = fake.calls("sendmediagroup");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].body.matches("\"type\":\"photo\"").count(), 4);
}

/// The admin chat 7, told in the built-in Russian words.
fn admin7() -> salespulse::delivery::telegram::AdminChat {
    salespulse::delivery::telegram::AdminChat {
        chat: 7,
        words: std::sync::Arc::new(salespulse::words::Catalog::new(None).unwrap()),
        locale: salespulse::config::Locale::Ru,
    }
}

/// A multipart form field's value: after `name="<name>"` and a blank line,
/// up to the next boundary.
fn form_field<'b>(body: &'b str, name: &str) -> &'b str {
    let Some(start) = body.find(&format!("name=\"{name}\"")) else {
        return "";
    };
    let rest = &body[start..];
    let value = rest.split_once("\r\n\r\n").map_or("", |(_, v)| v);
    value.split("\r\n--").next().unwrap_or_default()
}

#[tokio::test]
async fn the_digest_goes_as_one_rich_message_or_as_messages_where_the_server_has_none() {
    use crate::cli::text;
    // A server with rich messages: one message with the table, the four
    // charts inside and the buttons; no plain messages, no photos.
    let fake = crate::fake_telegram::start(crate::fake_telegram::Script {
        rich: true,
        ..Default::default()
    })
    .await;
    let dir = demo_with_team_chat("").await;
    let out = deliver_digest(dir.path(), &fake.url).await;
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("chat -100777: Sent"), "{said}");
    let rich = fake.calls("sendrichmessage");
    assert_eq!(rich.len(), 1, "{said}");
    assert!(fake.calls("sendmessage").is_empty());
    assert!(fake.calls("sendmediagroup").is_empty());
    let body = &rich[0].body;
    assert_eq!(form_field(body, "chat_id"), "-100777");
    let message: serde_json::Value =
        serde_json::from_str(form_field(body, "rich_message")).expect("rich_message is JSON");
    eprintln!(
        "rich_message: {}",
        serde_json::to_string_pretty(&message).unwrap()
    );
    // InputRichMessage: html, and media of InputRichMessageMedia.
    let html = message["html"].as_str().unwrap();
    assert!(html.starts_with("<h3>📊 "), "{html}");
    assert!(html.contains("<table bordered striped>"), "{html}");
    assert!(salespulse::render::rich::within_limits(html));
    let media = message["media"].as_array().unwrap();
    assert_eq!(media.len(), 4, "{media:?}");
    for (i, m) in media.iter().enumerate() {
        let id = format!("chart{i}");
        assert_eq!(m["id"], id.as_str());
        assert_eq!(m["media"]["type"], "photo");
        assert_eq!(m["media"]["media"], format!("attach://{id}"));
        assert!(
            html.contains(&format!("<img src=\"tg://photo?id={id}\">")),
            "{html}"
        );
        assert!(
            body.contains(&format!("name=\"{id}\"; filename=")),
            "{id} uploaded"
        );
    }
    let markup: serde_json::Value =
        serde_json::from_str(form_field(body, "reply_markup")).expect("reply_markup is JSON");
    assert!(
        markup["inline_keyboard"][0][0]["callback_data"].is_string(),
        "{markup}"
    );
    // Each row's status in a column of its own: seven cells a row.
    let row = html.lines().find(|l| l.starts_with("<tr><td")).unwrap();
    assert_eq!(row.matches("<td").count(), 7, "{row}");

    // A server without them ("method not found"): the messages and photos
    // instead, and the chat noted: the next digest does not try again.
    let old = crate::fake_telegram::start(crate::fake_telegram::Script::default()).await;
    for round in 0..2 {
        let out = deliver_digest(dir.path(), &old.url).await;
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(old.calls("sendrichmessage").len(), 1, "round {round}");
        assert_eq!(old.calls("sendmediagroup").len(), round + 1);
    }
}
