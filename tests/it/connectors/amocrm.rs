//! amoCRM API v4 with a long-lived token, against the fake account.

use chrono::Utc;
use serde_json::json;

use super::fake_amo::{self, Faults};
use super::model::{Dept, UNKNOWN_STAGE_DEAL, account};
use super::{config, config_with, count, inserted, pull_now};
use crate::helpers::backends;

const DEALS: i64 = 300;
const CALLS: i64 = 600;

#[tokio::test]
async fn a_pull_follows_next_links_to_the_empty_page_and_a_second_asks_only_for_changes() {
    let dept = Dept::generate(DEALS, CALLS);
    for db in backends().await {
        let fake = fake_amo::start(account(&dept)).await;
        let config = config("http://127.0.0.1:9/rest/1/x/", &fake.server.base);
        let report = pull_now(&db.store, &config, "amo").await.unwrap();
        let meetings = dept.meetings.len() as u64;
        assert_eq!(inserted(&report, "calls"), CALLS as u64, "{}", db.name);
        assert_eq!(inserted(&report, "deals"), DEALS as u64 - 1);
        assert_eq!(inserted(&report, "stage_changes"), dept.moves.len() as u64);
        assert_eq!(
            inserted(&report, "tasks"),
            dept.tasks.len() as u64 + meetings
        );
        // Only completed meeting tasks are meetings held.
        let held = dept.meetings.iter().filter(|m| m.held).count() as u64;
        assert!(held < meetings);
        assert_eq!(inserted(&report, "activities"), held);
        assert_eq!(inserted(&report, "comments"), dept.comments.len() as u64);
        assert_eq!(report.rejects.len(), 1, "{:?}", report.rejects);
        assert_eq!(report.rejects[0].line, UNKNOWN_STAGE_DEAL);
        assert!(
            report.rejects[0].reason.contains("\"1003\"")
                && report.rejects[0].reason.contains("В работе")
        );
        assert!(
            report.unmapped.contains_key("5003"),
            "{:?}",
            report.unmapped
        );
        // Events come 100 a page at most, whatever limit is asked.
        let requests = fake.server.requests.lock().unwrap().clone();
        let event_pages = requests
            .iter()
            .filter(|r| r.path.ends_with("/events"))
            .count();
        assert_eq!(event_pages, dept.moves.len().div_ceil(100));
        assert!(
            requests
                .iter()
                .filter(|r| r.path.ends_with("/leads"))
                .all(|r| r.param("limit") == Some("250"))
        );
        assert_eq!(report.requests, fake.account().requests);

        // Nothing new: every list answers 204 at once.
        let again = pull_now(&db.store, &config, "amo").await.unwrap();
        assert_eq!(again.records_total(), 3, "{:?}", again.records);
        let late_requests = fake.server.requests.lock().unwrap()[requests.len()..].to_vec();
        assert!(
            late_requests
                .iter()
                .filter(|r| r.path.ends_with("/leads"))
                .all(|r| r.param("filter[updated_at][from]").is_some())
        );

        // A lead moved since.
        {
            let mut s = fake.account();
            s.account.leads[0]["status_id"] = json!(142);
            s.account.leads[0]["updated_at"] = json!(Utc::now().timestamp());
        }
        let late = pull_now(&db.store, &config, "amo").await.unwrap();
        assert_eq!(late.records.get("deals").map(|u| u.updated), Some(1));
        db.finish().await;
    }
}

#[tokio::test]
async fn too_many_requests_is_waited_out() {
    let dept = Dept::generate(40, 80);
    let db = crate::helpers::sqlite().await;
    let fake = fake_amo::start(account(&dept)).await;
    fake.set_faults(Faults {
        too_many_every: 3,
        ..Faults::default()
    });
    let config = config("http://127.0.0.1:9/rest/1/x/", &fake.server.base);
    let report = pull_now(&db.store, &config, "amo").await.unwrap();
    assert_eq!(inserted(&report, "calls"), 80);
    assert!(fake.account().rate_limited >= 3);
    db.finish().await;
}

#[tokio::test]
async fn a_failure_mid_pull_then_a_resume_loses_nothing_and_duplicates_nothing() {
    let dept = Dept::generate(DEALS, CALLS);
    for db in backends().await {
        let fake = fake_amo::start(account(&dept)).await;
        let config = config("http://127.0.0.1:9/rest/1/x/", &fake.server.base);
        fake.set_faults(Faults {
            outage_after: Some(("contacts/notes".into(), 1)),
            ..Faults::default()
        });
        let err = pull_now(&db.store, &config, "amo")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HTTP 500") && err.contains("contacts/notes"),
            "{err}"
        );
        let stored = count(&db.store, "calls").await;
        assert!(stored > 0 && stored < CALLS, "{stored}");

        fake.set_faults(Faults::default());
        let resumed = pull_now(&db.store, &config, "amo").await.unwrap();
        assert_eq!(
            inserted(&resumed, "calls") as i64,
            CALLS - stored,
            "the resume asks for the rest only"
        );
        assert_eq!(count(&db.store, "calls").await, CALLS, "{}", db.name);
        assert_eq!(
            count(&db.store, "comments").await,
            dept.comments.len() as i64
        );
        assert_eq!(
            resumed.records.get("deals").map(|u| u.inserted),
            None,
            "deals were done before the failure"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn errors_name_what_to_check() {
    let dept = Dept::generate(3, 3);
    let db = crate::helpers::sqlite().await;
    let fake = fake_amo::start(account(&dept)).await;
    let b24 = "http://127.0.0.1:9/rest/1/x/";

    let err = pull_now(
        &db.store,
        &config_with(b24, &fake.server.base, "", "expired"),
        "amo",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("401") && err.contains(super::AMO_ENV) && err.contains("long-lived token"),
        "{err}"
    );
    assert!(!err.contains("expired\""), "{err}");

    fake.set_faults(Faults {
        forbidden: vec!["events".into()],
        ..Faults::default()
    });
    let err = pull_now(&db.store, &config(b24, &fake.server.base), "amo")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("403") && err.contains("events") && err.contains("account is paid"),
        "{err}"
    );

    let err = pull_now(
        &db.store,
        &config(b24, &format!("{}/wrong", fake.server.base)),
        "amo",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("does not know the method") && err.contains("404"),
        "{err}"
    );
    db.finish().await;
}
