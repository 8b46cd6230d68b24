//! Bitrix24 through its inbound webhook, against the fake portal.

use chrono::Utc;
use serde_json::json;

use super::fake_bitrix::{self, Faults, SECRET};
use super::model::{Dept, UNKNOWN_STAGE_DEAL, UNMAPPED_USER, portal};
use super::{config, config_with, count, inserted, pull_now};
use crate::helpers::backends;

const DEALS: i64 = 120;
const CALLS: i64 = 130;

#[tokio::test]
async fn a_pull_pages_through_the_portal_and_a_second_asks_only_for_changes() {
    let dept = Dept::generate(DEALS, CALLS);
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        let report = pull_now(&db.store, &config, "b24").await.unwrap();

        // Several pages of 50 for calls and deals; all calls kept, the
        // unmapped user's too.
        assert_eq!(inserted(&report, "calls"), CALLS as u64, "{}", db.name);
        assert_eq!(count(&db.store, "calls").await, CALLS);
        assert_eq!(inserted(&report, "deals"), DEALS as u64 - 1);
        assert_eq!(inserted(&report, "stage_changes"), dept.moves.len() as u64);
        // Tasks, and meetings as their owners' tasks (as amoCRM has them).
        assert_eq!(
            inserted(&report, "tasks"),
            (dept.tasks.len() + dept.meetings.len()) as u64
        );
        // Meetings held (a planned one is not) and emails sent (a client's
        // incoming one is not).
        let held = dept.meetings.iter().filter(|m| m.held).count();
        let sent = dept.emails.iter().filter(|e| e.outgoing).count();
        assert!(held < dept.meetings.len() && sent < dept.emails.len());
        assert_eq!(inserted(&report, "activities"), (held + sent) as u64);
        assert_eq!(inserted(&report, "comments"), dept.comments.len() as u64);
        assert_eq!(inserted(&report, "employees"), 3);
        // The deal in a stage nobody mapped is set aside, named, with the
        // portal's name for the stage.
        assert_eq!(report.rejects.len(), 1, "{:?}", report.rejects);
        let reject = &report.rejects[0];
        assert_eq!(reject.line, UNKNOWN_STAGE_DEAL);
        assert!(
            reject.reason.contains("\"EXECUTING\"") && reject.reason.contains("В работе"),
            "{}",
            reject.reason
        );
        assert_eq!(db.store.rejects("b24").await.unwrap().len(), 1);
        // The unmapped user's records are kept and reported.
        let unmapped_calls = dept
            .calls
            .iter()
            .filter(|c| c.user == UNMAPPED_USER)
            .count() as u64;
        assert!(report.unmapped.get(UNMAPPED_USER).copied().unwrap_or(0) >= unmapped_calls);
        let requests = fake.portal().requests;
        assert_eq!(report.requests, requests);
        // calls: 3 pages; deals: 3; comments: one batch per page of deals.
        let calls_pages = fake
            .server
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.ends_with("voximplant.statistic.get"))
            .count();
        assert_eq!(calls_pages, 3);
        let batches = fake
            .server
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.ends_with("/batch"))
            .count();
        assert_eq!(batches, 1 + 3, "one for the stages, one per page of deals");
        let cursor = db
            .store
            .pull_cursor("b24")
            .await
            .unwrap()
            .expect("a cursor");
        assert!(cursor.contains("done_from"), "{cursor}");

        // Again: nothing changed, nothing stored, few requests.
        let before = fake.portal().requests;
        let again = pull_now(&db.store, &config, "b24").await.unwrap();
        // The users are listed whole, and the open deals' comments are read
        // again (a comment does not change its deal's DATE_MODIFY).
        let open_comments = dept
            .comments
            .iter()
            .filter(|c| !matches!(dept.deals[(c.deal - 1) as usize].stage, "won" | "lost"))
            .count() as u64;
        assert_eq!(
            again.records_total(),
            3 + open_comments,
            "only the users and the open deals' comments: {:?}",
            again.records
        );
        assert_eq!(
            again.records.get("comments").map(|u| u.unchanged),
            Some(open_comments)
        );
        assert_eq!(fake.portal().requests - before, again.requests);

        // A late change: one call more, one deal moved, one call's duration filled in.
        {
            let mut s = fake.portal();
            let now = Utc::now().to_rfc3339();
            let mut call = s.portal.calls[0].clone();
            call["ID"] = json!((CALLS + 1).to_string());
            call["CALL_ID"] = json!("externalCall.new");
            call["CALL_START_DATE"] = json!(now);
            s.portal.calls.push(call);
            s.portal.deals[0]["STAGE_ID"] = json!("WON");
            s.portal.deals[0]["DATE_MODIFY"] = json!(now);
        }
        let late = pull_now(&db.store, &config, "b24").await.unwrap();
        assert_eq!(inserted(&late, "calls"), 1);
        assert_eq!(late.records.get("deals").map(|u| u.updated), Some(1));
        assert_eq!(count(&db.store, "calls").await, CALLS + 1);
        let last_deal_list = fake
            .server
            .requests
            .lock()
            .unwrap()
            .iter()
            .rev()
            // The deals themselves (not the deals closed lately, whose
            // comments are read again).
            .find(|r| r.path.ends_with("crm.deal.list") && !r.body.contains(">=CLOSEDATE"))
            .map(|r| r.body.clone())
            .unwrap();
        assert!(last_deal_list.contains(">=DATE_MODIFY"), "{last_deal_list}");
        db.finish().await;
    }
}

#[tokio::test]
async fn rate_limit_answers_are_waited_out() {
    let dept = Dept::generate(60, 60);
    let db = crate::helpers::sqlite().await;
    let fake = fake_bitrix::start(portal(&dept)).await;
    fake.set_faults(Faults {
        query_limit_every: 4,
        time_limit_once: vec!["crm.deal.list".into(), "voximplant.statistic.get".into()],
        ..Faults::default()
    });
    let config = config(&fake.webhook(), "http://127.0.0.1:9");
    let report = pull_now(&db.store, &config, "b24").await.unwrap();
    assert_eq!(inserted(&report, "calls"), 60);
    assert_eq!(inserted(&report, "deals"), 59);
    let limited = fake.portal().rate_limited;
    assert!(limited >= 4, "rate-limit answers given: {limited}");
    assert_eq!(report.requests, fake.portal().requests);
    db.finish().await;
}

#[tokio::test]
async fn a_failure_mid_pull_then_a_resume_loses_nothing_and_duplicates_nothing() {
    let dept = Dept::generate(DEALS, CALLS);
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        // A short blip is retried within the pull; then the portal goes
        // down after the first page of calls.
        fake.set_faults(Faults {
            blips: 2,
            outage_after: Some(("voximplant.statistic.get".into(), 1)),
            ..Faults::default()
        });
        let err = pull_now(&db.store, &config, "b24")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HTTP 500") && err.contains("run the pull again"),
            "{err}"
        );
        let stored = count(&db.store, "calls").await;
        assert!(
            stored > 0 && stored < CALLS,
            "part of the calls stored: {stored} ({})",
            db.name
        );
        let cursor = db.store.pull_cursor("b24").await.unwrap().unwrap();
        assert!(cursor.contains("\"calls\":{\"pass\""), "{cursor}");

        fake.set_faults(Faults::default());
        let resumed = pull_now(&db.store, &config, "b24").await.unwrap();
        assert_eq!(
            inserted(&resumed, "calls") as i64,
            CALLS - stored,
            "the resume asks for the rest only"
        );
        assert_eq!(count(&db.store, "calls").await, CALLS);
        assert_eq!(count(&db.store, "deals").await, DEALS - 1);
        assert_eq!(
            count(&db.store, "comments").await,
            dept.comments.len() as i64
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn errors_name_what_to_check() {
    let dept = Dept::generate(3, 3);
    let db = crate::helpers::sqlite().await;
    let fake = fake_bitrix::start(portal(&dept)).await;

    let wrong = fake.webhook().replace(SECRET, "wrong");
    let err = pull_now(&db.store, &config(&wrong, "http://127.0.0.1:9"), "b24")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("401") && err.contains(super::B24_ENV) && err.contains("webhook URL"),
        "{err}"
    );
    assert!(
        !err.contains("wrong"),
        "the secret stays out of messages: {err}"
    );

    let config = config(&fake.webhook(), "http://127.0.0.1:9");
    fake.set_faults(Faults {
        forbidden: vec!["crm.deal.list".into()],
        ..Faults::default()
    });
    let err = pull_now(&db.store, &config, "b24")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("403") && err.contains("crm.deal.list") && err.contains("scope"),
        "{err}"
    );

    fake.set_faults(Faults {
        missing: vec!["voximplant.statistic.get".into()],
        ..Faults::default()
    });
    let err = pull_now(&db.store, &config, "b24")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not know the method voximplant.statistic.get"),
        "{err}"
    );

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/rest/1/{SECRET}/");
    let err = pull_now(
        &db.store,
        &config_with(&url, "http://127.0.0.1:9", "", "t"),
        "b24",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cannot reach Bitrix24 at 127.0.0.1") && err.contains("check the address"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    db.finish().await;
}

#[tokio::test]
async fn since_pulls_again_from_a_date_and_client_kind_marks_the_deals_calls() {
    let dept = Dept::generate(20, 40);
    let mut p = portal(&dept);
    for deal in &mut p.deals {
        let id: i64 = deal["ID"].as_str().unwrap().parse().unwrap();
        deal["UF_CRM_KIND"] = json!(if id % 2 == 0 {
            "Новый"
        } else {
            "Повторный"
        });
    }
    // A final stage the config does not name goes to our first stage of its kind.
    p.statuses
        .get_mut("DEAL_STAGE")
        .unwrap()
        .push(json!({"STATUS_ID": "APOLOGY", "NAME": "Анализ причины провала", "SEMANTICS": "F"}));
    p.deals[0]["STAGE_ID"] = json!("APOLOGY");
    let db = crate::helpers::sqlite().await;
    let fake = fake_bitrix::start(p).await;
    let extra = "client_kind_field = \"UF_CRM_KIND\"\nclient_kind_values = { cold = [\"Новый\"], warm = [\"Повторный\"] }\n";
    let config = config_with(&fake.webhook(), "http://127.0.0.1:9", extra, "t");
    let first = pull_now(&db.store, &config, "b24").await.unwrap();
    assert_eq!(
        first.rejects.len(),
        1,
        "only the unknown stage: {:?}",
        first.rejects
    );

    let calls = db
        .store
        .calls_between(super::model::monday(), Utc::now(), &[])
        .await
        .unwrap();
    for call in &calls {
        // The deal in an unknown stage is set aside, its client kind with it.
        let expected = call
            .deal_ext
            .as_deref()
            .filter(|d| *d != UNKNOWN_STAGE_DEAL.to_string())
            .map(|d| {
                if d.parse::<i64>().unwrap() % 2 == 0 {
                    salespulse::domain::CallKind::Cold
                } else {
                    salespulse::domain::CallKind::Warm
                }
            });
        assert_eq!(
            call.kind, expected,
            "call {} of deal {:?}",
            call.external_id, call.deal_ext
        );
    }
    assert!(calls.iter().any(|c| c.kind.is_some()));

    // --since: everything from that day again, nothing new.
    let options = salespulse::app::pull::PullOptions {
        since: Some(super::model::monday()),
        progress: false,
        now: Utc::now(),
    };
    let again = salespulse::app::pull::pull(
        db.store.clone(),
        &config,
        config.source("b24").unwrap(),
        &options,
    )
    .await
    .unwrap();
    let calls_again = again.records.get("calls").copied().unwrap_or_default();
    assert_eq!((calls_again.inserted, calls_again.unchanged), (0, 40));
    assert_eq!(again.records.get("deals").map(|u| u.unchanged), Some(19));
    db.finish().await;
}

#[tokio::test]
async fn requests_keep_to_the_portals_pace() {
    let dept = Dept::generate(3, 3);
    let db = crate::helpers::sqlite().await;
    let fake = fake_bitrix::start(portal(&dept)).await;
    let mut config = config(&fake.webhook(), "http://127.0.0.1:9");
    let source = config.sources.iter_mut().find(|s| s.name == "b24").unwrap();
    let salespulse::config::SourceKind::Bitrix24(api) = &mut source.kind else {
        panic!("b24 is a bitrix24 source")
    };
    api.requests_per_second = 20.0;
    let started = std::time::Instant::now();
    let report = pull_now(&db.store, &config, "b24").await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let least = (report.requests - 1) as f64 / 20.0;
    assert!(report.requests >= 8, "{}", report.requests);
    assert!(
        elapsed >= least,
        "{} requests in {elapsed:.3} s, at 20/s at least {least:.3} s",
        report.requests
    );
    db.finish().await;
}
