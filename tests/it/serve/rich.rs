//! A digest row in rich messages through the outbox worker, on both
//! backends: sent with `sendRichMessage` where the server has it (the
//! message id kept), else as its HTML messages and photos, the chat noted
//! so that the next row goes that way without trying.

use chrono::{DateTime, Duration, Utc};
use salespulse::delivery::rich::RichRowPart;
use salespulse::delivery::telegram::Outgoing;
use salespulse::render::{Button, Chart};
use salespulse::serve::firing::Payload;
use salespulse::serve::worker::{Channels, RetryPolicy, work_once};
use salespulse::storage::{FiringRecord, FiringStatus, NewOutboxRow, Recipient};
use teloxide::requests::RequesterExt;

use crate::fake_telegram::{Script, start};
use crate::helpers::backends;

fn row(chat: i64) -> NewOutboxRow {
    let out = Outgoing {
        messages: vec!["<b>Digest</b>".into()],
        photos: vec![Chart {
            name: "heatmap.png".into(),
            png: vec![137, 80, 78, 71],
        }],
        caption: None,
        buttons: vec![Button::asks("Зависшие: 3", "/stuck")],
    };
    let payload = Payload::TelegramRich {
        chat,
        parts: vec![RichRowPart {
            html: "<h3>Digest</h3><img src=\"tg://photo?id=chart0\">".into(),
            media: vec![("chart0".into(), 0)],
        }],
        buttons: out.buttons.clone(),
        fallback: Box::new(Payload::telegram(chat, &out)),
    };
    NewOutboxRow {
        recipient: Recipient::Telegram(chat),
        payload: serde_json::to_string(&payload).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rich_row_goes_rich_or_as_its_messages_and_the_chat_is_noted() {
    let policy = RetryPolicy {
        max_attempts: 3,
        base: Duration::seconds(30),
        cap: Duration::seconds(3600),
        lease: Duration::seconds(120),
        send_timeout: std::time::Duration::from_secs(30),
    };
    let now: DateTime<Utc> = "2026-11-23T06:00:00Z".parse().unwrap();
    for db in backends().await {
        for rich in [true, false] {
            let fake = start(Script {
                rich,
                ..Script::default()
            })
            .await;
            let bot = teloxide::Bot::new("123:test").set_api_url(fake.url.parse().unwrap());
            let channels = Channels {
                telegram: Some(bot.throttle(teloxide::adaptors::throttle::Limits::default())),
                mailer: None,
                admin_chat: None,
                journal: None,
            };
            let chat = if rich { 42 } else { 43 };
            let schedule = format!("digest-{chat}");
            for (slot, at) in [("first", now), ("second", now + Duration::days(1))] {
                let firing = FiringRecord {
                    schedule: &schedule,
                    slot,
                    status: FiringStatus::Fired,
                    due_at: at,
                    detail: None,
                };
                let rows = [row(chat)];
                assert!(db.store.record_firing(&firing, at, &rows).await.unwrap());
                let clock = salespulse::clock::Clock::starting_at(at, 1.0);
                let handled = work_once(&db.store, &channels, "w", &clock, &policy)
                    .await
                    .unwrap();
                assert_eq!(handled, 1, "{}", db.name);
            }
            let tries = fake.calls("sendrichmessage").len();
            let messages = fake.calls("sendmessage").len();
            if rich {
                assert_eq!((tries, messages), (2, 0), "{}", db.name);
                let body = &fake.calls("sendrichmessage")[0].body;
                assert!(body.contains("attach://chart0") && body.contains("callback_data"));
            } else {
                // One try, answered "method not found"; then messages only.
                assert_eq!((tries, messages), (1, 2), "{}", db.name);
                assert_eq!(fake.calls("sendphoto").len(), 2);
                assert_eq!(
                    db.store.chat_format(chat).await.unwrap().as_deref(),
                    Some("html")
                );
            }
        }
        db.finish().await;
    }
}
