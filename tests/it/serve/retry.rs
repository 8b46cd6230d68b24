//! Delivery failures. A temporary one comes back by the clock `serve` goes
//! by: on an injected clock months before the real one, the retry is due a
//! backoff after the failure, not a backoff after the real now. A chat that
//! blocked the bot fails its rows at once, and the admin is told once.

use chrono::{DateTime, Duration, Utc};
use salespulse::delivery::telegram::Outgoing;
use salespulse::serve::firing::Payload;
use salespulse::serve::worker::{Channels, RetryPolicy, work_once};
use salespulse::storage::{
    Channel, FiringRecord, FiringStatus, NewOutboxRow, OutboxStatus, Recipient,
};
use teloxide::requests::RequesterExt;

use crate::helpers::backends;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_by_the_injected_clock() {
    // Telegram unreachable: a port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", dead.local_addr().unwrap());
    drop(dead);
    let bot = teloxide::Bot::new("123:test").set_api_url(url.parse().unwrap());
    let channels = Channels {
        telegram: Some(bot.throttle(teloxide::adaptors::throttle::Limits::default())),
        mailer: None,
        admin_chat: None,
        journal: None,
    };
    let policy = RetryPolicy {
        max_attempts: 5,
        base: Duration::seconds(30),
        cap: Duration::seconds(3600),
        lease: Duration::seconds(120),
        send_timeout: std::time::Duration::from_secs(120),
    };
    let now: DateTime<Utc> = "2026-03-29T01:00:00Z".parse().unwrap();
    let out = Outgoing {
        messages: vec!["<b>Digest</b>".into()],
        ..Outgoing::default()
    };
    let row = NewOutboxRow {
        recipient: Recipient::Telegram(42),
        payload: serde_json::to_string(&Payload::telegram(42, &out)).unwrap(),
    };
    for db in backends().await {
        let firing = FiringRecord {
            schedule: "berlin",
            slot: "2026-03-29T02:30",
            status: FiringStatus::Fired,
            due_at: now,
            detail: None,
        };
        assert!(
            db.store
                .record_firing(&firing, now, std::slice::from_ref(&row))
                .await
                .unwrap()
        );
        let handled = work_once(
            &db.store,
            &channels,
            "w",
            &salespulse::clock::Clock::starting_at(now, 1.0),
            &policy,
        )
        .await
        .unwrap();
        assert_eq!(handled, 1, "{}", db.name);
        let counts = db.store.outbox_counts().await.unwrap();
        assert!(
            counts.iter().any(|c| c.status == OutboxStatus::Pending
                && c.channel == Channel::Telegram
                && c.rows == 1),
            "{}: given back to be tried again: {counts:?}",
            db.name
        );
        // Not before the backoff (30 s of the clock, plus the time spent
        // trying), then due.
        let claim = |at: DateTime<Utc>| {
            let store = db.store.clone();
            async move {
                store
                    .claim_outbox("w2", at, at + Duration::minutes(2), 10, 5)
                    .await
                    .unwrap()
            }
        };
        assert!(
            claim(now + Duration::seconds(10)).await.is_empty(),
            "{}",
            db.name
        );
        let again = claim(now + Duration::minutes(10)).await;
        assert_eq!(again.len(), 1, "{}: the retry is due", db.name);
        assert_eq!(again[0].attempts, 2, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_that_blocked_the_bot_fails_its_row_at_once_and_the_admin_is_told_once() {
    use crate::fake_telegram::{Script, start};
    let fake = start(Script {
        blocked: vec![-100_500],
        ..Script::default()
    })
    .await;
    let bot = teloxide::Bot::new("123:test").set_api_url(fake.url.parse().unwrap());
    let channels = Channels {
        telegram: Some(bot.throttle(teloxide::adaptors::throttle::Limits::default())),
        mailer: None,
        admin_chat: Some(admin7()),
        journal: None,
    };
    let policy = RetryPolicy {
        max_attempts: 5,
        base: Duration::seconds(30),
        cap: Duration::seconds(3600),
        lease: Duration::seconds(120),
        send_timeout: std::time::Duration::from_secs(120),
    };
    let out = Outgoing {
        messages: vec!["<b>Digest</b>".into(), "second part".into()],
        ..Outgoing::default()
    };
    let now = Utc::now();
    let db = crate::helpers::sqlite().await;
    for (slot, chat) in [
        ("2026-11-23T09:00", -100_500),
        ("2026-11-24T09:00", -100_500),
    ] {
        let row = NewOutboxRow {
            recipient: Recipient::Telegram(chat),
            payload: serde_json::to_string(&Payload::telegram(chat, &out)).unwrap(),
        };
        let firing = FiringRecord {
            schedule: "digest",
            slot,
            status: FiringStatus::Fired,
            due_at: now,
            detail: None,
        };
        assert!(db.store.record_firing(&firing, now, &[row]).await.unwrap());
    }
    let clock = salespulse::clock::Clock::starting_at(now, 1.0);
    assert_eq!(
        work_once(&db.store, &channels, "w", &clock, &policy)
            .await
            .unwrap(),
        2
    );
    let counts = db.store.outbox_counts().await.unwrap();
    assert!(
        counts.iter().any(|c| c.status == OutboxStatus::Failed
            && c.channel == Channel::Telegram
            && c.rows == 2),
        "both rows failed for good, no retry: {counts:?}"
    );
    assert!(db.store.chat_disabled(-100_500).await.unwrap().is_some());
    // One try at the blocked chat (the second row is not even tried), and
    // one note to the admin, not one per row.
    let to_blocked = fake
        .calls("sendmessage")
        .iter()
        .filter(|c| c.chat() == -100_500)
        .count();
    assert_eq!(to_blocked, 1);
    let to_admin: Vec<_> = fake
        .calls("sendmessage")
        .into_iter()
        .filter(|c| c.chat() == 7)
        .collect();
    assert_eq!(to_admin.len(), 1, "{to_admin:?}");
    assert!(to_admin[0].body.contains("-100500"), "{}", to_admin[0].body);
    db.finish().await;
}

/// Records the 09:00 digest firing with one row: `out` to chat 42.
async fn fire_to_chat_42(store: &salespulse::storage::Store, out: &Outgoing, now: DateTime<Utc>) {
    let row = NewOutboxRow {
        recipient: Recipient::Telegram(42),
        payload: serde_json::to_string(&Payload::telegram(42, out)).unwrap(),
    };
    let firing = FiringRecord {
        schedule: "digest",
        slot: "2026-11-23T09:00",
        status: FiringStatus::Fired,
        due_at: now,
        detail: None,
    };
    assert!(store.record_firing(&firing, now, &[row]).await.unwrap());
}

/// Two workers on a clock 600 times real time, a lease of two clock
/// minutes (0.2 s real) and a Telegram that takes 0.7 s per message: the
/// lease on that clock covers a send, so each message goes out once and
/// the row is claimed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_slower_than_the_lease_goes_out_once() {
    use crate::fake_telegram::{Script, start};
    let fake = start(Script {
        delay_ms: 700,
        ..Script::default()
    })
    .await;
    let bot = teloxide::Bot::new("123:test").set_api_url(fake.url.parse().unwrap());
    let channels = std::sync::Arc::new(Channels {
        telegram: Some(bot.throttle(teloxide::adaptors::throttle::Limits::default())),
        mailer: None,
        admin_chat: None,
        journal: None,
    });
    let policy = RetryPolicy {
        max_attempts: 8,
        base: Duration::seconds(30),
        cap: Duration::seconds(3600),
        lease: Duration::seconds(120),
        send_timeout: std::time::Duration::from_secs(5),
    };
    let out = Outgoing {
        messages: vec!["one".into(), "two".into(), "three".into()],
        ..Outgoing::default()
    };
    let now: DateTime<Utc> = "2026-11-23T06:00:00Z".parse().unwrap();
    for db in backends().await {
        let before = fake.calls("sendmessage").len();
        fire_to_chat_42(db.store.as_ref(), &out, now).await;
        let clock = salespulse::clock::Clock::starting_at(now, 600.0);
        let workers: Vec<_> = ["w1", "w2"]
            .into_iter()
            .map(|name| {
                let (store, channels) = (db.store.clone(), channels.clone());
                tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    while started.elapsed() < std::time::Duration::from_secs(4) {
                        work_once(&store, &channels, name, &clock, &policy)
                            .await
                            .unwrap();
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        let sent: Vec<String> = fake.calls("sendmessage")[before..]
            .iter()
            .map(|c| c.body.clone())
            .collect();
        assert_eq!(sent.len(), 3, "{}: each message once: {sent:?}", db.name);
        let counts = db.store.outbox_counts().await.unwrap();
        assert!(
            counts
                .iter()
                .any(|c| c.status == OutboxStatus::Sent && c.rows == 1),
            "{}: {counts:?}",
            db.name
        );
        db.finish().await;
    }
}

/// A row whose claims all ran out (its workers died mid-send) is never
/// claimed beyond `max_attempts`: it is failed and the admin told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_whose_last_claim_ran_out_is_failed_not_sent_again() {
    use crate::fake_telegram::{Script, start};
    let fake = start(Script::default()).await;
    let bot = teloxide::Bot::new("123:test").set_api_url(fake.url.parse().unwrap());
    let channels = Channels {
        telegram: Some(bot.throttle(teloxide::adaptors::throttle::Limits::default())),
        mailer: None,
        admin_chat: Some(admin7()),
        journal: None,
    };
    let policy = RetryPolicy {
        max_attempts: 3,
        base: Duration::seconds(30),
        cap: Duration::seconds(3600),
        lease: Duration::seconds(120),
        send_timeout: std::time::Duration::from_secs(5),
    };
    let out = Outgoing {
        messages: vec!["<b>Digest</b>".into()],
        ..Outgoing::default()
    };
    let now: DateTime<Utc> = "2026-11-23T06:00:00Z".parse().unwrap();
    for db in backends().await {
        let before = fake.calls("sendmessage").len();
        fire_to_chat_42(db.store.as_ref(), &out, now).await;
        // Three claims, each left to run out (the claimer died).
        for n in 0..3 {
            let at = now + Duration::minutes(10 * n);
            let claimed = db
                .store
                .claim_outbox("dead", at, at + Duration::minutes(2), 10, 3)
                .await
                .unwrap();
            assert_eq!(claimed.len(), 1, "{}: claim {n}", db.name);
            assert_eq!(claimed[0].attempts, n + 1);
        }
        let late = now + Duration::hours(1);
        assert!(
            db.store
                .claim_outbox("w", late, late + Duration::minutes(2), 10, 3)
                .await
                .unwrap()
                .is_empty(),
            "{}: not claimed a fourth time",
            db.name
        );
        let clock = salespulse::clock::Clock::starting_at(late, 1.0);
        work_once(&db.store, &channels, "w", &clock, &policy)
            .await
            .unwrap();
        let counts = db.store.outbox_counts().await.unwrap();
        assert!(
            counts
                .iter()
                .any(|c| c.status == OutboxStatus::Failed && c.rows == 1),
            "{}: {counts:?}",
            db.name
        );
        let calls = fake.calls("sendmessage");
        let new = &calls[before..];
        assert!(
            new.iter().all(|c| c.chat() == 7),
            "{}: nothing more to the chat: {new:?}",
            db.name
        );
        assert_eq!(new.len(), 1, "{}: the admin told once", db.name);
        assert!(new[0].body.contains("claimed 3 times"), "{}", new[0].body);
        db.finish().await;
    }
}

/// The admin chat 7, told in the built-in Russian words.
fn admin7() -> salespulse::delivery::telegram::AdminChat {
    salespulse::delivery::telegram::AdminChat {
        chat: 7,
        words: std::sync::Arc::new(salespulse::words::Catalog::new(None).unwrap()),
        locale: salespulse::config::Locale::Ru,
    }
}
