//! `/healthz` and `/metrics` of a running `serve`, read over HTTP.

use std::time::{Duration, Instant};

use salespulse::clock::Clock;
use salespulse::config::Config;
use salespulse::serve::ServeOptions;
use salespulse::serve::firing::Payload;
use salespulse::storage::{FiringRecord, FiringStatus, NewOutboxRow, Recipient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::sqlite;

/// GETs `path`; the status and the body, or `None` while nothing listens.
async fn get(address: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_tell_what_serve_did() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = free.local_addr().unwrap();
    drop(free);
    let text = format!(
        "[[teams]]\nid = \"m\"\ntimezone = \"Europe/Moscow\"\n\
         [serve]\nlisten = \"{address}\"\ntick_secs = 1\n"
    );
    let config = Config::parse(&text, std::path::Path::new("t.toml"), &|_| None).unwrap();
    let db = sqlite().await;
    let now = chrono::Utc::now();
    // A firing with one row to deliver (written files: nothing to send).
    let row = NewOutboxRow {
        recipient: Recipient::File("m".into()),
        payload: serde_json::to_string(&Payload::File {
            files: vec!["out/digest.txt".into()],
        })
        .unwrap(),
    };
    let firing = FiringRecord {
        schedule: "manual",
        slot: "2026-11-23T09:00",
        status: FiringStatus::Fired,
        due_at: now,
        detail: None,
    };
    assert!(db.store.record_firing(&firing, now, &[row]).await.unwrap());

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let options = ServeOptions {
        clock: Clock::real(),
        instance: "endpoint-test".into(),
    };
    let serving = tokio::spawn(salespulse::serve::run(
        config,
        db.store.clone(),
        options,
        stopped,
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Some(answer) = get(address, "/healthz").await {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "serve never listened on {address}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(health.0, 200);
    assert!(
        health.1.starts_with("ok\ninstance endpoint-test\n"),
        "{}",
        health.1
    );

    let metrics = loop {
        let (status, body) = get(address, "/metrics").await.expect("metrics answer");
        assert_eq!(status, 200);
        if body.contains("salespulse_deliveries_sent 1\n") {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the row was never delivered:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for line in [
        "salespulse_outbox_rows{channel=\"file\",status=\"sent\"} 1",
        "salespulse_deliveries_failed 0",
        "salespulse_deliveries_waiting 0",
        "salespulse_firings{schedule=\"manual\",status=\"fired\"} 1",
        "# TYPE salespulse_pull_age_seconds gauge",
        "salespulse_telegram_poller 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert_eq!(get(address, "/nothing").await.map(|a| a.0), Some(404));

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), serving)
        .await
        .expect("serve stops when asked")
        .unwrap()
        .unwrap();
    db.finish().await;
}
