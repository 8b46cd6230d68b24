//! `job = "cards"` under the real `salespulse serve`: each of 60 managers
//! gets their own card of the last working day, once, with its buttons,
//! from a Bot API peer that answers 429 to more than 30 messages a second:
//! the workers keep under it, and a card refused all the same (a starved
//! machine can let a burst through) is sent again, never twice.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::{Serve, TOKEN_ENV, wait_until};
use crate::fake_telegram::{self, Script};

const API_URL_ENV: &str = salespulse::delivery::telegram::API_URL_ENV;
const MANAGERS: i64 = 60;

fn config() -> String {
    let mut text = String::from(
        r#"
database_url = "sqlite://cards.db"

[[teams]]
id = "t"
name = "Team"
timezone = "UTC"
weekends = []

[[employees]]
id = "head"
name = "Head"
role = "head"
team = "t"
"#,
    );
    for i in 0..MANAGERS {
        text.push_str(&format!(
            "\n[[employees]]\nid = \"m{i:02}\"\nname = \"Manager {i:02}\"\nteam = \"t\"\ntelegram_id = {}\n",
            7000 + i
        ));
    }
    text.push_str(
        r#"
[[schedules]]
name = "morning-cards"
cron = "0 9 * * *"
job = "cards"
team = "t"

[telegram]
token_env = "TEST_BOT_TOKEN"

[serve]
listen = ""
out_dir = "out-serve"
tick_secs = 1
"#,
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_manager_gets_their_card_once_within_telegrams_pace() {
    let fake = fake_telegram::start(Script {
        per_second: 30,
        ..Script::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cards.toml"), config()).unwrap();
    let env = [(TOKEN_ENV, "123:test"), (API_URL_ENV, fake.url.as_str())];
    let args = ["--clock-start", "2026-12-04T08:59:57Z", "--speed", "1"];
    let mut serve = Serve::start(dir.path(), "a", "cards.toml", &args, &env);
    let cards = |fake: &fake_telegram::FakeTelegram| -> BTreeMap<i64, Vec<Value>> {
        let mut by_chat: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
        for call in fake.calls("sendmessage") {
            let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
            by_chat.entry(call.chat()).or_default().push(body);
        }
        by_chat
    };
    wait_until(
        "a card at every manager's chat",
        Duration::from_secs(120),
        &mut [&mut serve],
        || cards(&fake).len() == MANAGERS as usize,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = cards(&fake);
    assert_eq!(got.len(), MANAGERS as usize);
    // Each card reached its chat once.
    let mut delivered: BTreeMap<i64, usize> = BTreeMap::new();
    for chat in fake.delivered() {
        *delivered.entry(chat).or_default() += 1;
    }
    assert_eq!(delivered.len(), MANAGERS as usize, "{delivered:?}");
    assert!(delivered.values().all(|n| *n == 1), "{delivered:?}");
    // The pace holds: without it a burst of 60 meets 30 refusals.
    let refused: usize = got.values().map(|sent| sent.len() - 1).sum();
    assert!(refused <= 10, "{refused} cards refused with 429");
    for (chat, sent) in &got {
        let i = chat - 7000;
        let text = sent[0]["text"].as_str().unwrap_or_default();
        assert!(text.contains(&format!("Manager {i:02}")), "{text}");
        let buttons = &sent[0]["reply_markup"]["inline_keyboard"];
        assert!(
            buttons
                .to_string()
                .contains(&format!("/why ? m{i:02} 03.12.2026")),
            "{buttons}"
        );
    }
    serve.terminate();
    let status = serve.exited(Duration::from_secs(60)).await;
    assert!(status.success(), "{status}\n{}", serve.log());
}
