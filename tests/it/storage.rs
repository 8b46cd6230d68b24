//! The storage suite: every test runs on SQLite and on Postgres.

use chrono::{DateTime, Duration, TimeZone, Utc};
use salespulse::domain::{
    Call, CallFields, Deal, Direction, Disposition, Employee, ExternalId, Role, Team,
};
use salespulse::sources::Rejected;
use salespulse::storage::{Store, Upserted};

use crate::helpers::backends;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, h, m, 0).unwrap()
}

fn deal(id: &str, stage: &str, amount: i64) -> Deal {
    Deal {
        source: "crm".into(),
        external_id: ExternalId::parse(id, "id").unwrap(),
        title: format!("Deal {id}"),
        employee_id: Some("ivanov".into()),
        owner_ext: Some("17".into()),
        stage: stage.into(),
        amount_minor: amount,
        currency: "RUB".into(),
        channel: None,
        temperature: None,
        client_ext: None,
        phone: None,
        created_at: at(9, 0),
        stage_since: None,
        closed_at: None,
    }
}

fn leg(agent: &str, talk: i64, disposition: Disposition) -> Call {
    Call::new(CallFields {
        source: "pbx".into(),
        external_id: "linked.1".into(),
        employee_id: Some(agent.into()),
        agent: Some(agent.into()),
        direction: Direction::Inbound,
        number: "79031112233".into(),
        started_at: at(10, 0),
        answered_at: None,
        ended_at: at(10, 0) + Duration::seconds(300),
        talk_seconds: talk,
        disposition,
        deal_ext: None,
        kind: None,
        leg_key: format!("leg-{agent}"),
    })
    .unwrap()
}

async fn count(store: &Store, table: &str) -> i64 {
    store
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.table == table)
        .map(|c| c.rows)
        .unwrap()
}

#[tokio::test]
async fn upserts_count_inserted_updated_unchanged() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("crm", "crm_files", "deals.jsonl", at(8, 0))
            .await
            .unwrap();
        let first = vec![
            deal("1", "new", 100),
            deal("2", "new", 200),
            deal("3", "meeting", 300),
        ];
        let done = s.upsert_deals(run, &first).await.unwrap();
        assert_eq!(
            done,
            Upserted {
                inserted: 3,
                updated: 0,
                unchanged: 0
            },
            "{}",
            db.name
        );

        let again = s.upsert_deals(run, &first).await.unwrap();
        assert_eq!(
            again,
            Upserted {
                inserted: 0,
                updated: 0,
                unchanged: 3
            },
            "{}",
            db.name
        );

        let mut changed = first.clone();
        changed[1].stage = "meeting".into();
        changed.push(deal("4", "new", 400));
        let done = s.upsert_deals(run, &changed).await.unwrap();
        assert_eq!(
            done,
            Upserted {
                inserted: 1,
                updated: 1,
                unchanged: 2
            },
            "{}",
            db.name
        );
        assert_eq!(count(s, "deals").await, 4, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_key_twice_in_one_batch_is_stored_once() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("crm", "crm_files", "x", at(8, 0))
            .await
            .unwrap();
        let done = s
            .upsert_deals(run, &[deal("1", "new", 100), deal("1", "meeting", 100)])
            .await
            .unwrap();
        // The first record, with other content, was overwritten by the last.
        assert_eq!(done.inserted, 1, "{}", db.name);
        assert_eq!((done.updated, done.unchanged), (1, 0), "{}", db.name);
        assert_eq!(count(s, "deals").await, 1, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_answered_leg_wins_whatever_order_legs_arrive_in() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("pbx", "asterisk", "Master.csv", at(8, 0))
            .await
            .unwrap();
        let answered = leg("202", 200, Disposition::Answered);
        let missed = leg("101", 0, Disposition::NoAnswer);

        // Missed leg first, then the answered one replaces it.
        let a = s
            .upsert_calls(run, std::slice::from_ref(&missed))
            .await
            .unwrap();
        let b = s
            .upsert_calls(run, std::slice::from_ref(&answered))
            .await
            .unwrap();
        assert_eq!((a.inserted, b.updated), (1, 1), "{}", db.name);
        // A late missed leg does not undo it, and re-reading changes nothing.
        let c = s
            .upsert_calls(run, &[missed.clone(), answered.clone()][..1])
            .await
            .unwrap();
        let d = s
            .upsert_calls(run, std::slice::from_ref(&answered))
            .await
            .unwrap();
        assert_eq!((c.unchanged, d.unchanged), (1, 1), "{}", db.name);
        assert_eq!(count(s, "calls").await, 1, "{}", db.name);
        // Two legs, counted once each however often they were read, and the
        // call starts at its earliest leg.
        let stored = s.calls_between(at(0, 0), at(23, 0), &[]).await.unwrap();
        assert_eq!(stored.len(), 1, "{}", db.name);
        assert_eq!(
            (stored[0].legs, stored[0].talk_seconds),
            (2, 200),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn legs_of_one_call_from_several_files_are_counted_once_each() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("pbx", "asterisk", "Master.csv", at(8, 0))
            .await
            .unwrap();
        let mut early = leg("101", 0, Disposition::NoAnswer);
        early.started_at = at(9, 58);
        let answered = leg("202", 200, Disposition::Answered);
        let missed = leg("303", 0, Disposition::NoAnswer);
        // File one holds the answered leg and an early missed one; file two
        // another missed leg; each read twice, in either order.
        let mut one = early.clone();
        one.merge_leg(answered.clone());
        for batch in [
            vec![one.clone()],
            vec![missed.clone()],
            vec![missed.clone(), one.clone()],
            vec![one],
        ] {
            s.upsert_calls(run, &batch).await.unwrap();
        }
        let stored = s.calls_between(at(0, 0), at(23, 0), &[]).await.unwrap();
        assert_eq!(stored.len(), 1, "{}", db.name);
        let call = &stored[0];
        assert_eq!(call.legs, 3, "{}", db.name);
        assert_eq!(call.talk_seconds, 200, "{}: the answered leg", db.name);
        assert_eq!(call.agent.as_deref(), Some("202"), "{}", db.name);
        assert_eq!(call.started_at, at(9, 58), "{}: the earliest leg", db.name);
        // The same legs again change nothing.
        let again = s.upsert_calls(run, &[missed, answered]).await.unwrap();
        assert_eq!(again.inserted + again.updated, 0, "{}: {again:?}", db.name);
        let stored = s.calls_between(at(0, 0), at(23, 0), &[]).await.unwrap();
        assert_eq!(stored[0].legs, 3, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bulk_load_into_an_empty_table_still_finds_the_legs_it_wrote() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("pbx", "asterisk", "Master.csv", at(8, 0))
            .await
            .unwrap();
        // SQLite loads in bulk and looks up only the calls the load wrote.
        let bulk = s.begin_bulk_load("calls", 1_000_000).await.unwrap();
        assert_eq!(bulk, db.name == "sqlite", "{}", db.name);
        let other = |i: usize| {
            let mut c = leg("404", 30, Disposition::Answered);
            c.external_id = ExternalId::parse(&format!("other.{i}"), "id").unwrap();
            c
        };
        let missed = leg("101", 0, Disposition::NoAnswer);
        let answered = leg("202", 200, Disposition::Answered);
        // The call's missed leg in the first batch, its answered leg in the
        // third, a thousand other calls around them.
        let first: Vec<Call> = std::iter::once(missed).chain((0..500).map(other)).collect();
        let second: Vec<Call> = (500..1000).map(other).collect();
        let third = vec![other(1000), answered];
        let mut done = Upserted::default();
        for batch in [first, second, third] {
            done += s.upsert_call_batch(run, batch).await.unwrap();
        }
        s.end_bulk_load().await.unwrap();
        assert_eq!(
            (done.inserted, done.updated),
            (1002, 1),
            "{}: {done:?}",
            db.name
        );
        assert_eq!(count(s, "calls").await, 1002, "{}", db.name);
        let stored = s.calls_between(at(0, 0), at(23, 0), &[]).await.unwrap();
        let call = stored
            .iter()
            .find(|c| c.external_id.as_str() == "linked.1")
            .unwrap();
        assert_eq!((call.legs, call.talk_seconds), (2, 200), "{}", db.name);
        // After the load every call is looked up again: nothing changes.
        let again = s
            .upsert_call_batch(run, vec![leg("101", 0, Disposition::NoAnswer), other(7)])
            .await
            .unwrap();
        assert_eq!(again.inserted + again.updated, 0, "{}: {again:?}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn rejects_are_kept_once_per_line() {
    for db in backends().await {
        let s = db.store.as_ref();
        let reject = |line: i64, reason: &str| Rejected {
            file: "Master.csv".into(),
            line,
            record: String::new(),
            reason: reason.into(),
            raw: "raw".into(),
        };
        for _ in 0..2 {
            let run = s
                .start_run("pbx", "asterisk", "Master.csv", at(8, 0))
                .await
                .unwrap();
            s.record_rejects(
                run,
                "pbx",
                &[reject(8, "5 columns"), reject(3, "bad start")],
            )
            .await
            .unwrap();
        }
        let listed = s.rejects("pbx").await.unwrap();
        assert_eq!(
            listed.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![3, 8],
            "{}",
            db.name
        );
        assert_eq!(listed[0].reason, "bad start");
        assert!(s.rejects("crm").await.unwrap().is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn the_directory_syncs_idempotently() {
    for db in backends().await {
        let s = db.store.as_ref();
        let teams = vec![Team {
            id: "moscow".into(),
            name: "Москва".into(),
            timezone: chrono_tz::Europe::Moscow,
        }];
        let mut people = vec![Employee {
            id: "ivanov".into(),
            name: "Иванов".into(),
            role: Role::Manager,
            position: None,
            team: "moscow".into(),
        }];
        s.sync_directory(&teams, &people).await.unwrap();
        people[0].role = Role::Head;
        s.sync_directory(&teams, &people).await.unwrap();
        assert_eq!(count(s, "employees").await, 1, "{}", db.name);
        assert_eq!(count(s, "teams").await, 1, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn large_batches_split_under_the_parameter_limit() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("crm", "crm_files", "big", at(8, 0))
            .await
            .unwrap();
        let many: Vec<Deal> = (0..7_000).map(|i| deal(&i.to_string(), "new", i)).collect();
        let done = s.upsert_deals(run, &many).await.unwrap();
        assert_eq!(done.inserted, 7_000, "{}", db.name);
        let again = s.upsert_deals(run, &many).await.unwrap();
        assert_eq!(again.unchanged, 7_000, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bulk_load_cut_short_gets_its_indexes_back_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bulk.db").display());
    let indexes = || async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        names.into_iter().map(|n| n.0).collect::<Vec<_>>()
    };
    let store = salespulse::storage::open(&url).await.unwrap();
    let all = vec!["calls_deal", "calls_employee_time", "calls_number_time"];
    assert_eq!(indexes().await, all);
    // A small load keeps its indexes; a large one into an empty table drops
    // them (the partial index of calls linked to deals stays: a PBX file
    // adds nothing to it).
    assert!(!store.begin_bulk_load("calls", 1_000).await.unwrap());
    assert!(store.begin_bulk_load("calls", 1_000_000).await.unwrap());
    assert_eq!(indexes().await, vec!["calls_deal"]);
    store.close().await;
    // The process died before end_bulk_load: opening the database heals it.
    let store = salespulse::storage::open(&url).await.unwrap();
    assert_eq!(indexes().await, all);
    store.close().await;
}

#[tokio::test]
async fn one_process_at_a_time_holds_the_telegram_poller_lock() {
    let Some(db) = crate::helpers::postgres().await else {
        return;
    };
    // A second instance: its own connections to the same database.
    let other = salespulse::storage::open(&db.url).await.unwrap();
    // Locks are per database: a key of this test's own, so that a serve
    // test running beside it (holding the poller's key) does not interfere.
    let key = 0x5a1e_0000_0000 + i64::from(std::process::id());
    let mut held = db
        .store
        .try_session_lock(key)
        .await
        .unwrap()
        .expect("free at first");
    assert!(held.alive().await);
    assert!(
        other.try_session_lock(key).await.unwrap().is_none(),
        "taken while the first instance lives"
    );
    // The holder goes away (a process that dies closes its session too).
    drop(held);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let taken_over = loop {
        if let Some(lock) = other.try_session_lock(key).await.unwrap() {
            break lock;
        }
        assert!(std::time::Instant::now() < deadline, "never freed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(db.store.try_session_lock(key).await.unwrap().is_none());
    drop(taken_over);
    other.close().await;
    db.finish().await;
}

#[tokio::test]
async fn a_recording_stays_with_its_call_whatever_leg_links_it() {
    for db in backends().await {
        let s = db.store.as_ref();
        let run = s
            .start_run("pbxdb", "asterisk_db", "cdr", at(8, 0))
            .await
            .unwrap();
        let link = "https://pbx.example.com/recordings/rg-1.wav".to_owned();
        let answered = leg("202", 200, Disposition::Answered);
        let missed_linked = Call {
            recording_url: Some(link.clone()),
            ..leg("101", 0, Disposition::NoAnswer)
        };
        // The leg with the file first, the winner without it in a later batch.
        s.upsert_calls(run, std::slice::from_ref(&missed_linked))
            .await
            .unwrap();
        s.upsert_calls(run, std::slice::from_ref(&answered))
            .await
            .unwrap();
        // Another call the other way round: the winner stored first, the
        // leg with the file after it.
        let other = |c: &Call| {
            let mut c = c.clone();
            c.external_id = salespulse::domain::ExternalId::parse("linked.2", "call id").unwrap();
            c
        };
        s.upsert_calls(run, &[other(&answered)]).await.unwrap();
        s.upsert_calls(run, &[other(&missed_linked)]).await.unwrap();
        let stored = s.calls_between(at(0, 0), at(23, 0), &[]).await.unwrap();
        assert_eq!(stored.len(), 2, "{}", db.name);
        for c in &stored {
            assert_eq!(
                (c.agent.as_deref(), c.legs, c.recording_url.as_deref()),
                (Some("202"), 2, Some(link.as_str())),
                "{} {}",
                db.name,
                c.external_id.as_str()
            );
        }
        // Reading both legs again changes nothing.
        let again = s
            .upsert_calls(run, &[answered.clone(), missed_linked.clone()])
            .await
            .unwrap();
        assert_eq!(again.inserted + again.updated, 0, "{}", db.name);
        assert_eq!(
            s.calls_between(at(0, 0), at(23, 0), &[]).await.unwrap(),
            stored,
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_large_run_leaves_postgres_with_statistics_of_what_it_wrote() {
    let Some(db) = crate::helpers::postgres().await else {
        return;
    };
    let s = db.store.as_ref();
    // How often the table was analyzed by hand (or by us): autovacuum's
    // own runs count elsewhere. Statistics reach other sessions with a short
    // delay, so a count that should rise is awaited a few seconds.
    let analyzed = |table: &'static str, expect: i64| {
        let url = db.url.clone();
        async move {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            let n = loop {
                // The schema is on this connection's search path.
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COALESCE(analyze_count, 0) FROM pg_stat_user_tables \
                     WHERE relid = to_regclass($1)",
                )
                .bind(table)
                .fetch_one(&pool)
                .await
                .unwrap();
                if n >= expect || std::time::Instant::now() > deadline {
                    break n;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            };
            pool.close().await;
            n
        }
    };
    // A small run: the statistics the planner had still hold.
    let run = s
        .start_run("pbx", "asterisk", "small.csv", at(8, 0))
        .await
        .unwrap();
    let few: Vec<_> = (0..50)
        .map(|i| crate::helpers::answered_call("ivanov", &format!("s{i}"), at(9, 0), 60))
        .collect();
    s.upsert_calls(run, &few).await.unwrap();
    s.finish_run(run, &Default::default(), at(8, 1))
        .await
        .unwrap();
    assert_eq!(analyzed("calls", 0).await, 0, "50 rows call for no ANALYZE");
    // A large one, in batches as ingest writes them: gathered at its end.
    let run = s
        .start_run("pbx", "asterisk", "big.csv", at(8, 5))
        .await
        .unwrap();
    let many: Vec<_> = (0..salespulse::storage::ANALYZE_AFTER_ROWS + 500)
        .map(|i| {
            let start = at(9, 0) + chrono::Duration::seconds(i as i64);
            crate::helpers::answered_call("ivanov", &format!("b{i}"), start, 60)
        })
        .collect();
    for batch in many.chunks(2_000) {
        s.upsert_calls(run, batch).await.unwrap();
    }
    assert_eq!(analyzed("calls", 0).await, 0, "not before the run ends");
    s.finish_run(run, &Default::default(), at(8, 9))
        .await
        .unwrap();
    assert_eq!(
        analyzed("calls", 1).await,
        1,
        "analyzed once, at the run's end"
    );
    assert_eq!(
        analyzed("deals", 0).await,
        0,
        "a table the run did not fill is left alone"
    );
    db.finish().await;
}
