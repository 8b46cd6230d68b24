//! The connectors against answers shaped as the CRMs document them, on both
//! backends: Bitrix24 dates (`CLOSEDATE` a date, a win dated by its move),
//! one failed command inside a `batch`, meetings held only once completed,
//! emails sent only when outgoing, comments of unchanged deals, the stage a
//! deal left across incremental and `--since` pulls, amoCRM's text event
//! ids; and a pull then `report figures` giving the counts of the dataset.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Moscow;
use serde_json::{Value, json};

use super::fake_bitrix::{self, Faults};
use super::model::{Dept, UNKNOWN_STAGE_DEAL, account, monday, portal};
use super::{config, count, fake_amo, inserted, pull_now};
use crate::helpers::backends;
use salespulse::app::pull::{PullOptions, PullReport};
use salespulse::storage::{Dataset, ScopeQuery, Store};

fn msk(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn iso(t: DateTime<Utc>) -> String {
    t.with_timezone(&Moscow).to_rfc3339()
}

/// Everything stored for the two managers, 2026.
async fn stored(store: &std::sync::Arc<Store>) -> Dataset {
    store
        .load_scope(&ScopeQuery {
            employees: vec!["ivanov".into(), "sidorov".into()],
            from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap(),
            now: Utc::now(),
            success_secs: 40,
            trace_window_secs: 7200,
        })
        .await
        .unwrap()
}

async fn pull_since(
    store: &std::sync::Arc<Store>,
    config: &salespulse::config::Config,
    source: &str,
    since: DateTime<Utc>,
) -> PullReport {
    let options = PullOptions {
        since: Some(since),
        progress: false,
        now: Utc::now(),
    };
    salespulse::app::pull::pull(
        store.clone(),
        config,
        config.source(source).unwrap(),
        &options,
    )
    .await
    .unwrap()
}

/// A deal row as `crm.deal.list` gives it
/// (`api-reference/crm/deals/crm-deal-list.md`, fields of `crm-deal-get.md`).
fn b24_deal(id: &str, stage: &str, created: &str, moved: &str, closedate: &str) -> Value {
    let closed = matches!(stage, "WON" | "LOSE");
    json!({"ID": id, "TITLE": format!("Сделка {id}"), "STAGE_ID": stage, "CATEGORY_ID": "0",
        "OPPORTUNITY": "50000.00", "CURRENCY_ID": "RUB", "ASSIGNED_BY_ID": "1", "SOURCE_ID": "WEB",
        "CONTACT_ID": null, "COMPANY_ID": "0", "DATE_CREATE": created, "DATE_MODIFY": moved,
        "MOVED_TIME": moved, "CLOSED": if closed { "Y" } else { "N" }, "CLOSEDATE": closedate})
}

/// A row of `crm.stagehistory.list` (`api-reference/crm/crm-stage-history-list.md`:
/// `TYPE_ID` 1 created, 2 moved, 3 moved to a final stage).
fn b24_history(id: i64, deal: &str, type_id: i64, stage: &str, at: &str) -> Value {
    json!({"ID": id, "TYPE_ID": type_id, "OWNER_ID": deal.parse::<i64>().unwrap(), "CREATED_TIME": at,
        "CATEGORY_ID": 0, "STAGE_SEMANTIC_ID": if type_id == 3 { "S" } else { "P" }, "STAGE_ID": stage})
}

#[tokio::test]
async fn b24_a_same_day_win_is_kept_and_a_win_is_dated_by_its_move() {
    // data-types.md: CLOSEDATE is a `date`, sent as 2024-09-09T02:00:00+02:00.
    let mut p = portal(&Dept::generate(0, 0));
    p.deals = vec![
        // Created and won on 17.11: CLOSEDATE's midnight is before creation.
        b24_deal(
            "101",
            "WON",
            "2026-11-17T10:00:00+03:00",
            "2026-11-17T15:00:00+03:00",
            "2026-11-17T03:00:00+03:00",
        ),
        // Won on 18.11; CLOSEDATE still the date planned when it was made.
        b24_deal(
            "102",
            "WON",
            "2026-11-05T10:00:00+03:00",
            "2026-11-18T12:30:00+03:00",
            "2026-11-30T03:00:00+03:00",
        ),
    ];
    p.history = vec![
        b24_history(1, "102", 1, "NEW", "2026-11-05T10:00:00+03:00"),
        b24_history(2, "101", 1, "NEW", "2026-11-17T10:00:00+03:00"),
        b24_history(3, "101", 3, "WON", "2026-11-17T15:00:00+03:00"),
        b24_history(4, "102", 3, "WON", "2026-11-18T12:30:00+03:00"),
    ];
    for db in backends().await {
        let fake = fake_bitrix::start(p.clone()).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        let report = pull_now(&db.store, &config, "b24").await.unwrap();
        assert!(
            report.rejects.is_empty(),
            "{}: {:?}",
            db.name,
            report.rejects
        );
        assert_eq!(inserted(&report, "deals"), 2);
        // A first pull reads the whole history, and says how much.
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("deals: first pull, the whole history: 2 rows")),
            "{:?}",
            report.notes
        );
        let data = stored(&db.store).await;
        let closed: HashMap<String, Option<DateTime<Utc>>> = data
            .deals
            .iter()
            .map(|d| (d.external_id.to_string(), d.closed_at))
            .collect();
        assert_eq!(closed["101"], Some(msk("2026-11-17T15:00:00+03:00")));
        assert_eq!(closed["102"], Some(msk("2026-11-18T12:30:00+03:00")));
        let won_move = data
            .stage_changes
            .iter()
            .find(|c| c.deal_ext.as_str() == "101")
            .unwrap();
        assert_eq!(won_move.from_stage.as_deref(), Some("new"));
        assert_eq!(won_move.to_stage, "won");

        // The next pull's time filters are in the documented form: seconds
        // and the portal's offset, no fractions; no CREATED filter is sent
        // to crm.timeline.comment.list (only ENTITY_ID and ENTITY_TYPE are).
        pull_now(&db.store, &config, "b24").await.unwrap();
        let requests = fake.server.requests.lock().unwrap().clone();
        let mut seen = 0;
        for r in &requests {
            for key in [">=DATE_MODIFY", ">=CREATED_TIME", ">=LAST_UPDATED"] {
                let marker = format!("\"{key}\":\"");
                if let Some(at) = r.body.find(&marker) {
                    let rest = &r.body[at + marker.len()..];
                    let value = &rest[..rest.find('"').unwrap()];
                    assert!(
                        DateTime::parse_from_rfc3339(value).is_ok()
                            && !value.contains('.')
                            && value.ends_with("+03:00"),
                        "{key} {value}"
                    );
                    seen += 1;
                }
            }
            assert!(!r.body.contains("CREATED%5D"), "{}", r.body);
        }
        assert!(seen >= 3, "time filters sent: {seen}");
        db.finish().await;
    }
}

#[tokio::test]
async fn b24_a_failed_command_in_a_batch_is_waited_out_or_set_aside_and_the_pull_goes_on() {
    // settings/how-to-call-rest-api/batch.md: HTTP 200, a failed command's
    // error under result.result_error by its key; limits.md:
    // OPERATION_TIME_LIMIT for one method.
    let dept = Dept::generate(60, 60);
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        fake.set_faults(Faults {
            batch_time_limit_once: vec!["crm.timeline.comment.list".into()],
            comments_denied: vec!["3".into()],
            ..Faults::default()
        });
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        let report = pull_now(&db.store, &config, "b24").await.unwrap();
        // The time limit was waited out; deal 3's comments set aside, named;
        // the other comments and every call (pulled after) stored.
        assert!(fake.portal().rate_limited >= 1);
        let of_3 = dept.comments.iter().filter(|c| c.deal == 3).count();
        assert_eq!(of_3, 1);
        assert_eq!(
            count(&db.store, "comments").await,
            (dept.comments.len() - of_3) as i64,
            "{}",
            db.name
        );
        assert_eq!(count(&db.store, "calls").await, 60);
        let aside: Vec<_> = report
            .rejects
            .iter()
            .filter(|r| r.file == "crm.timeline.comment.list")
            .collect();
        assert_eq!(aside.len(), 1, "{:?}", report.rejects);
        assert_eq!(aside[0].record, "deal 3");
        assert!(
            aside[0].reason.contains("deal 3") && aside[0].reason.contains("ACCESS_DENIED"),
            "{}",
            aside[0].reason
        );
        let rows = db.store.rejects("b24").await.unwrap();
        assert_eq!(
            rows.len(),
            2,
            "deal 7's stage and deal 3's comments: {rows:?}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn b24_a_planned_meeting_is_not_held_until_completed_and_an_incoming_email_is_not_sent() {
    // crm-activity-list.md: TYPE_ID 1 meeting, 4 email; COMPLETED Y/N;
    // DIRECTION 1 incoming, 2 outgoing.
    let mut p = portal(&Dept::generate(0, 0));
    p.deals = vec![b24_deal(
        "201",
        "NEW",
        "2026-11-16T10:00:00+03:00",
        "2026-11-16T10:00:00+03:00",
        "2026-12-16T03:00:00+03:00",
    )];
    let activity = |id: &str, type_id: &str, provider: &str, direction: &str, completed: &str| {
        json!({"ID": id, "TYPE_ID": type_id, "PROVIDER_ID": provider, "OWNER_ID": "201", "OWNER_TYPE_ID": "2",
            "SUBJECT": "Встреча", "CREATED": "2026-11-16T10:05:00+03:00", "START_TIME": "2026-11-18T11:00:00+03:00",
            "END_TIME": "2026-11-18T12:00:00+03:00", "COMPLETED": completed, "DIRECTION": direction,
            "LAST_UPDATED": "2026-11-16T10:05:00+03:00", "RESPONSIBLE_ID": "1"})
    };
    p.activities = vec![
        activity("2011", "1", "CRM_MEETING", "0", "N"),
        activity("2012", "4", "CRM_EMAIL", "1", "Y"),
        activity("2013", "4", "CRM_EMAIL", "2", "Y"),
    ];
    for db in backends().await {
        let fake = fake_bitrix::start(p.clone()).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        pull_now(&db.store, &config, "b24").await.unwrap();
        let data = stored(&db.store).await;
        let kinds: Vec<(String, String)> = data
            .activities
            .iter()
            .map(|a| (a.external_id.to_string(), format!("{:?}", a.kind)))
            .collect();
        assert_eq!(
            kinds,
            vec![("2013".to_owned(), "Email".to_owned())],
            "{}",
            db.name
        );
        // The planned meeting is its owner's open task, due at its end.
        let task = data.tasks.iter().find(|t| t.external_id.as_str() == "2011");
        let task = task.expect("the planned meeting as a task");
        assert_eq!(task.completed_at, None);
        assert_eq!(task.due_at, msk("2026-11-18T12:00:00+03:00"));

        // Completed: now a meeting held, at its start.
        {
            let mut s = fake.portal();
            let row = &mut s.portal.activities[0];
            row["COMPLETED"] = json!("Y");
            row["LAST_UPDATED"] = json!(iso(Utc::now()));
        }
        pull_now(&db.store, &config, "b24").await.unwrap();
        let data = stored(&db.store).await;
        let meeting = data
            .activities
            .iter()
            .find(|a| a.external_id.as_str() == "2011")
            .expect("the meeting, held");
        assert_eq!(format!("{:?}", meeting.kind), "Meeting");
        assert_eq!(meeting.at, msk("2026-11-18T11:00:00+03:00"));

        // Reopened in the CRM (COMPLETED back to N): no longer held.
        {
            let mut s = fake.portal();
            let row = &mut s.portal.activities[0];
            row["COMPLETED"] = json!("N");
            row["LAST_UPDATED"] = json!(iso(Utc::now() + Duration::seconds(1)));
        }
        let report = pull_now(&db.store, &config, "b24").await.unwrap();
        let data = stored(&db.store).await;
        assert!(
            data.activities
                .iter()
                .all(|a| a.external_id.as_str() != "2011"),
            "{}: {:?}",
            db.name,
            data.activities
        );
        assert_eq!(
            report.records.get("activities").map(|u| u.updated),
            Some(1),
            "{}: {report:?}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn b24_a_comment_on_an_unchanged_deal_is_pulled() {
    // crm-timeline-comment-list.md: the filter takes ENTITY_ID and
    // ENTITY_TYPE; a comment does not change the deal's DATE_MODIFY.
    let dept = Dept::generate(20, 5);
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        pull_now(&db.store, &config, "b24").await.unwrap();
        let before = count(&db.store, "comments").await;
        assert_eq!(before, dept.comments.len() as i64);
        // Deal 1 (at "meeting", open) gets a comment; the deal is unchanged.
        fake.add_comment(json!({"ID": "9001", "ENTITY_ID": "1", "ENTITY_TYPE": "deal",
            "CREATED": iso(Utc::now()), "AUTHOR_ID": "1", "COMMENT": "Клиент просит скидку 5%", "FILES": null}));
        let report = pull_now(&db.store, &config, "b24").await.unwrap();
        assert_eq!(inserted(&report, "comments"), 1, "{}", db.name);
        assert_eq!(count(&db.store, "comments").await, before + 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn b24_a_comment_on_a_recently_closed_unchanged_deal_is_pulled() {
    // crm-timeline-comment-list.md: the filter takes ENTITY_ID and
    // ENTITY_TYPE only; crm-deal-get.md: CLOSEDATE is a date. A comment on a
    // deal closed two days ago, its deal unchanged, comes with the next pull;
    // one on a deal closed a month before does not (it is not asked for).
    let dept = Dept::generate(20, 5);
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        let closed: Vec<String> = {
            let mut state = fake.portal();
            let deals = &mut state.portal.deals;
            let ids: Vec<String> = deals
                .iter()
                .filter(|d| d["CLOSED"] == "Y")
                .map(|d| d["ID"].as_str().unwrap().to_owned())
                .collect();
            // The first closed deal closed two days ago (as a date).
            let two_days_ago = (Utc::now() - Duration::days(2))
                .with_timezone(&Moscow)
                .date_naive();
            let date = Moscow
                .from_local_datetime(&two_days_ago.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .to_rfc3339();
            for d in deals.iter_mut() {
                if d["ID"] == ids[0].as_str() {
                    d["CLOSEDATE"] = json!(date);
                }
            }
            ids
        };
        assert!(closed.len() >= 2, "{closed:?}");
        pull_now(&db.store, &config, "b24").await.unwrap();
        let before = count(&db.store, "comments").await;
        for (id, deal) in [("9101", &closed[0]), ("9102", &closed[1])] {
            fake.add_comment(json!({"ID": id, "ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                "CREATED": iso(Utc::now()), "AUTHOR_ID": "1", "COMMENT": "Клиент вернулся с новым заказом", "FILES": null}));
        }
        let report = pull_now(&db.store, &config, "b24").await.unwrap();
        assert_eq!(inserted(&report, "comments"), 1, "{}", db.name);
        assert_eq!(
            count(&db.store, "comments").await,
            before + 1,
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn b24_from_stages_hold_across_incremental_pulls_and_since_re_pulls() {
    let dept = Dept::generate(20, 5);
    let froms = |data: &Dataset| -> Vec<(String, Option<String>)> {
        let mut v: Vec<_> = data
            .stage_changes
            .iter()
            .map(|c| (c.external_id.to_string(), c.from_stage.clone()))
            .collect();
        v.sort();
        v
    };
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        pull_now(&db.store, &config, "b24").await.unwrap();
        let full = froms(&stored(&db.store).await);
        assert!(
            !full.is_empty() && full.iter().all(|(_, f)| f.is_some()),
            "{full:?}"
        );

        // An incremental pull sees only the new row of deal 1's win.
        let now = iso(Utc::now());
        {
            let mut s = fake.portal();
            let next = s.portal.history.len() as i64 + 1;
            s.portal
                .history
                .push(b24_history(next, "1", 3, "WON", &now));
            let deal = &mut s.portal.deals[0];
            for (k, v) in [
                ("STAGE_ID", "WON"),
                ("CLOSED", "Y"),
                ("DATE_MODIFY", &now),
                ("MOVED_TIME", &now),
            ] {
                deal[k] = json!(v);
            }
        }
        let late = pull_now(&db.store, &config, "b24").await.unwrap();
        assert_eq!(inserted(&late, "stage_changes"), 1);
        let data = stored(&db.store).await;
        let win = data
            .stage_changes
            .iter()
            .find(|c| c.deal_ext.as_str() == "1" && c.to_stage == "won")
            .expect("deal 1's win");
        assert_eq!(win.from_stage.as_deref(), Some("meeting"), "{}", db.name);
        let incremental = froms(&data);

        // A re-pull from a day after most deals were made keeps every `from`.
        let again = pull_since(&db.store, &config, "b24", monday() + Duration::days(3)).await;
        let updated = again.records.get("stage_changes").map(|u| u.updated);
        assert_eq!(updated, Some(0), "{:?}", again.records);
        assert_eq!(froms(&stored(&db.store).await), incremental);
        db.finish().await;
    }
}

#[tokio::test]
async fn b24_a_kind_that_fails_does_not_stop_the_others() {
    let dept = Dept::generate(30, 30);
    for db in backends().await {
        let fake = fake_bitrix::start(portal(&dept)).await;
        fake.set_faults(Faults {
            missing: vec!["crm.activity.list".into()],
            ..Faults::default()
        });
        let config = config(&fake.webhook(), "http://127.0.0.1:9");
        let err = pull_now(&db.store, &config, "b24")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("crm.activity.list"), "{err}");
        // Comments and calls come after activities, and are stored.
        assert_eq!(count(&db.store, "calls").await, 30, "{}", db.name);
        assert_eq!(
            count(&db.store, "comments").await,
            dept.comments.len() as i64
        );
        assert_eq!(count(&db.store, "activities").await, 0);
        db.finish().await;
    }
}

#[tokio::test]
async fn amo_text_event_ids_are_rejected_with_their_own_ids_one_row_each() {
    // amoCRM API v4 events: `id` is a string (01drbfj5a8k9zd60bgg907a6w9).
    let mut a = account(&Dept::generate(10, 3));
    let ids = [
        "01drbfj5a8k9zd60bgg907a6w9",
        "01drbfj5a8k9zd60bgg907a6wa",
        "01drbfj5a8k9zd60bgg907a6wb",
    ];
    for (n, id) in ids.iter().enumerate() {
        a.events.push(json!({"id": id, "type": "lead_status_changed", "entity_id": 1, "entity_type": "lead",
            "created_by": 5001, "created_at": (monday() + Duration::hours(30 + n as i64)).timestamp(),
            "value_before": [{"lead_status": {"id": 1001, "pipeline_id": 777}}],
            "value_after": [{"lead_status": {"id": 9999, "pipeline_id": 777}}], "account_id": 1}));
    }
    a.events.sort_by_key(|e| e["created_at"].as_i64());
    for db in backends().await {
        let fake = fake_amo::start(a.clone()).await;
        let config = config("http://127.0.0.1:9/rest/1/x/", &fake.server.base);
        let report = pull_now(&db.store, &config, "amo").await.unwrap();
        let mut records: Vec<&str> = report
            .rejects
            .iter()
            .filter(|r| r.file == "events")
            .map(|r| r.record.as_str())
            .collect();
        records.sort();
        assert_eq!(records, ids.to_vec(), "{}", db.name);
        let rows = db.store.rejects("amo").await.unwrap();
        let events: Vec<_> = rows.iter().filter(|r| r.file == "events").collect();
        assert_eq!(events.len(), 3, "one row each: {rows:?}");
        let deal = rows.iter().find(|r| r.file == "leads").unwrap();
        assert_eq!(deal.record, UNKNOWN_STAGE_DEAL.to_string());

        let summary = salespulse::app::pull::all::summary(
            &salespulse::app::pull::all::SourcePull {
                source: "amo".into(),
                from_api: true,
                outcome: Ok(report),
            },
            10,
        );
        assert!(
            summary.contains("rejected events ID 01drbfj5a8k9zd60bgg907a6w9")
                && summary.contains("set aside from events: 3"),
            "{summary}"
        );
        db.finish().await;
    }
}
