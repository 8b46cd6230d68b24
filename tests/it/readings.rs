//! The two ways a scope's tasks and deals of a period are found (each
//! person's records in one query, or a condition at a time with the
//! period's moves) find the same records, on a generated department and on
//! a task moved in the period while it stays overdue.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use salespulse::calendar::day_range;
use salespulse::config::Config;
use salespulse::domain::Role;
use salespulse::storage::{Dataset, Reading, ScopeQuery, Store};

/// Each list in a fixed order, whatever order the queries gave.
fn in_order(mut d: Dataset) -> Dataset {
    d.calls
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d.earlier_calls
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d.deals
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d.stage_changes
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d.tasks
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d.postponements.sort_by(|a, b| {
        (&a.source, &a.task_ext, a.changed_at).cmp(&(&b.source, &b.task_ext, b.changed_at))
    });
    d.activities
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d.comments
        .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
    d
}

fn query(
    config: &Config,
    people: &[String],
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> ScopeQuery {
    let tz = config.teams[0].timezone;
    ScopeQuery {
        employees: people.to_vec(),
        from: day_range(tz, first).0,
        to: day_range(tz, last).1,
        now,
        success_secs: config.thresholds.success_talk_secs,
        trace_window_secs: config.thresholds.trace_window_mins * 60,
    }
}

/// The same records in both lists: first by id (naming the ids only one
/// side has), then field by field.
fn same<T: PartialEq + std::fmt::Debug>(
    what: &str,
    kind: &str,
    a: &[T],
    b: &[T],
    id: impl Fn(&T) -> String,
) {
    let ids = |l: &[T]| l.iter().map(&id).collect::<std::collections::BTreeSet<_>>();
    let (x, y) = (ids(a), ids(b));
    let only_a: Vec<_> = x.difference(&y).collect();
    let only_b: Vec<_> = y.difference(&x).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "{what}: {kind} read only each person: {only_a:?}; only each condition: {only_b:?}"
    );
    assert_eq!(a, b, "{what}: {kind}");
}

/// The records of `people` over `[first, last]` read both ways, after
/// checking that they are the same.
async fn both_ways(
    store: &Store,
    config: &Config,
    people: &[String],
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Dataset {
    let q = query(config, people, first, last, now);
    let each_person = in_order(
        store
            .load_scope_reading(&q, Reading::EachPerson)
            .await
            .unwrap(),
    );
    let each_condition = in_order(
        store
            .load_scope_reading(&q, Reading::EachCondition)
            .await
            .unwrap(),
    );
    let what = format!(
        "{} {first}..{last}, {} people",
        store.backend(),
        people.len()
    );
    let (a, b) = (&each_person, &each_condition);
    same(&what, "calls", &a.calls, &b.calls, |c| {
        c.external_id.to_string()
    });
    same(&what, "deals", &a.deals, &b.deals, |d| {
        d.external_id.to_string()
    });
    same(
        &what,
        "stage changes",
        &a.stage_changes,
        &b.stage_changes,
        |c| c.external_id.to_string(),
    );
    same(&what, "tasks", &a.tasks, &b.tasks, |t| {
        t.external_id.to_string()
    });
    same(&what, "moves", &a.postponements, &b.postponements, |p| {
        p.task_ext.to_string()
    });
    same(&what, "activities", &a.activities, &b.activities, |x| {
        x.external_id.to_string()
    });
    same(&what, "comments", &a.comments, &b.comments, |c| {
        c.external_id.to_string()
    });
    same(
        &what,
        "earlier calls",
        &a.earlier_calls,
        &b.earlier_calls,
        |c| c.external_id.to_string(),
    );
    assert_eq!(a.numbers, b.numbers, "{what}: numbers");
    each_condition
}

/// Both ways agree on days, weeks and months of one, three and all of the
/// managers; and both find a task moved in the period that was created,
/// due and left open before it (`tmp` holds the files written for it).
pub async fn check(
    store: &Arc<Store>,
    config: &Config,
    last_day: NaiveDate,
    now: DateTime<Utc>,
    tmp: &Path,
) {
    let managers: Vec<String> = config
        .employees
        .iter()
        .filter(|e| e.role == Role::Manager)
        .map(|e| e.id.clone())
        .collect();
    let mut found = (0, 0, 0);
    for back in [0, 3, 9, 17, 30] {
        let last = last_day - Duration::days(back);
        for span in [0, 6, 29] {
            let first = last - Duration::days(span);
            for people in [&managers[..1], &managers[..3], &managers[..]] {
                let d = both_ways(store, config, people, first, last, now).await;
                found.0 += d.tasks.len();
                found.1 += d.deals.len();
                found.2 += d.postponements.len();
            }
        }
    }
    assert!(
        found.0 > 0 && found.1 > 0 && found.2 > 0,
        "records read: {found:?}"
    );

    // A task of the first manager, created three weeks before the day,
    // due ten days before it, moved that day by two days: still overdue.
    let day = last_day - Duration::days(4);
    let owner = &config
        .employees
        .iter()
        .find(|e| e.id == managers[0])
        .unwrap()
        .source_ids["crm"][0];
    let at = |days: i64, hour: u32| {
        (day - Duration::days(days))
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let folder = tmp.join("moved-overdue");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("tasks.csv"),
        format!(
            "id,deal,owner,title,created_at,due_at,completed_at\n\
             t-moved-overdue,,{owner},Перезвонить,{},{},\n",
            at(21, 10),
            at(10, 12)
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("task_postponements.csv"),
        format!(
            "id,task,old_due,new_due,at\np-moved-overdue,t-moved-overdue,{},{},{}\n",
            at(12, 12),
            at(10, 12),
            at(0, 11)
        ),
    )
    .unwrap();
    crate::rollup::ingest(store, config, "crm", &folder).await;
    let has = |d: &Dataset| {
        d.tasks
            .iter()
            .any(|t| t.external_id.as_str() == "t-moved-overdue")
    };
    for people in [&managers[..1], &managers[..]] {
        let d = both_ways(store, config, people, day, day, now).await;
        assert!(has(&d), "{}: the task moved on {day}", store.backend());
        // The day after, it is neither moved, due nor done: not read.
        let next = day + Duration::days(1);
        let d = both_ways(store, config, people, next, next, now).await;
        assert!(!has(&d), "{}: the task on {next}", store.backend());
    }
}
