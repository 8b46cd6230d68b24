//! Pull throughput on a big fake portal: 100,000 calls and 10,000 deals
//! (with their stage history, tasks, meetings and comments), into SQLite.
//! Ignored in normal runs; `bench/pull.sh` runs it.

use std::time::Instant;

use super::model::{Dept, account, portal};
use super::{config, fake_amo, fake_bitrix, pull_now};

#[tokio::test]
#[ignore = "a benchmark: run bench/pull.sh"]
async fn bench_pull_100k_calls_10k_deals() {
    let calls: i64 = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let deals: i64 = std::env::var("BENCH_DEALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dept = Dept::generate(deals, calls);
    for (source, real_rate) in [("b24", 2.0), ("amo", 7.0)] {
        let db = crate::helpers::sqlite().await;
        let (report, fake_requests) = if source == "b24" {
            let fake = fake_bitrix::start(portal(&dept)).await;
            let config = config(&fake.webhook(), "http://127.0.0.1:9");
            let started = Instant::now();
            let report = pull_now(&db.store, &config, source).await.unwrap();
            eprintln!(
                "{source}: pulled in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            (report, fake.portal().requests)
        } else {
            let fake = fake_amo::start(account(&dept)).await;
            let config = config("http://127.0.0.1:9/rest/1/x/", &fake.server.base);
            let report = pull_now(&db.store, &config, source).await.unwrap();
            (report, fake.account().requests)
        };
        assert_eq!(report.requests, fake_requests);
        assert_eq!(
            report.records.get("calls").map(|u| u.inserted),
            Some(calls as u64)
        );
        let total = report.records_total();
        println!(
            "{source}: {total} records ({calls} calls, {} deals) in {:.2} s = {:.0} records/s; {} requests ({:.0} records/request); at the CRM's {real_rate} requests/s the requests alone take {:.0} s",
            deals - 1,
            report.seconds,
            total as f64 / report.seconds,
            report.requests,
            total as f64 / report.requests as f64,
            report.requests as f64 / real_rate,
        );
        for (kind, u) in &report.records {
            println!("  {kind}: {}", u.inserted);
        }
        db.finish().await;
    }
}
