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
    bot.dependencies(teloxide::dptree::deps![Arc::new(State {
        store: db.store.clone(),
        config,
    })]);

    // The manager: their own bonus.
    bot.dispatch().await;
    let got = sent_texts(bot.get_responses());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 1001);
    assert!(
        got[0].1.contains("Ann Lee") && got[0].1.contains("1 × 100 ₽ = 100 ₽"),
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
        got[0].1.contains("Bob Stone") && got[0].1.contains("3 × 100 ₽ = 300 ₽"),
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
