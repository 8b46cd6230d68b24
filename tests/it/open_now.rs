//! What is open now (overdue and open tasks, open deals per stage, deals
//! without a next task, stuck deals), counted by the database, equals the
//! same definition over the records in memory: on random records, at
//! several instants, on both backends.

use chrono::{DateTime, Duration, TimeZone, Utc};
use salespulse::domain::{Deal, ExternalId, StageChange, Task};
use salespulse::metrics::funnel::{funnel, sort_stuck};
use salespulse::metrics::open_work::open_work;
use salespulse::report::figures::{OpenAt, stuck_after};
use salespulse::sources::demo::Rng;
use salespulse::storage::OpenNowQuery;

const PEOPLE: [&str; 4] = ["ivanov", "petrov", "sidorov", "kuznetsova"];

fn id(s: String) -> ExternalId {
    ExternalId::parse(&s, "id").expect("a valid id")
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 19, 9, 0, 0).unwrap()
}

/// Somewhere within `days` days around the base instant, to the second.
fn around(rng: &mut Rng, days: i64) -> DateTime<Utc> {
    base() + Duration::seconds(rng.range(-days * 86_400, 3 * 86_400))
}

fn owner(rng: &mut Rng) -> Option<String> {
    (!rng.chance(0.1)).then(|| rng.pick(&PEOPLE).to_string())
}

struct Records {
    deals: Vec<Deal>,
    changes: Vec<StageChange>,
    tasks: Vec<Task>,
}

fn records(seed: u64, stages: &[&str]) -> Records {
    let mut rng = Rng::new(seed);
    let mut deals = Vec::new();
    let mut changes = Vec::new();
    for i in 0..300 {
        let stage = rng.pick(stages).to_string();
        let created_at = around(&mut rng, 60);
        for j in 0..rng.range(0, 4) {
            changes.push(StageChange {
                source: "crm".into(),
                external_id: id(format!("C{i}-{j}")),
                deal_ext: id(format!("D{i}")),
                from_stage: None,
                // Some moves into the stage the deal is in now.
                to_stage: if rng.chance(0.5) {
                    stage.clone()
                } else {
                    rng.pick(stages).to_string()
                },
                changed_at: around(&mut rng, 40),
                employee_id: owner(&mut rng),
                author_ext: None,
            });
        }
        deals.push(Deal {
            source: "crm".into(),
            external_id: id(format!("D{i}")),
            title: format!("Deal {i}"),
            employee_id: owner(&mut rng),
            owner_ext: None,
            stage,
            amount_minor: rng.range(0, 5_000_000),
            currency: "RUB".into(),
            channel: None,
            temperature: None,
            client_ext: None,
            phone: None,
            created_at,
            stage_since: rng.chance(0.4).then(|| around(&mut rng, 30)),
            closed_at: None,
        });
    }
    let tasks = (0..500)
        .map(|i| {
            let created_at = around(&mut rng, 30);
            Task {
                source: "crm".into(),
                external_id: id(format!("T{i}")),
                deal_ext: rng.chance(0.8).then(|| format!("D{}", rng.range(0, 300))),
                employee_id: owner(&mut rng),
                owner_ext: None,
                title: format!("Call back {i}"),
                created_at,
                due_at: created_at + Duration::seconds(rng.range(-86_400, 10 * 86_400)),
                completed_at: rng.chance(0.5).then(|| around(&mut rng, 20)),
            }
        })
        .collect();
    Records {
        deals,
        changes,
        tasks,
    }
}

#[tokio::test]
async fn open_work_counted_in_the_database_equals_the_records() {
    let config = crate::helpers::config();
    let stuck_days = stuck_after(&config);
    let open_stages: Vec<String> = stuck_days.iter().map(|(s, _)| s.clone()).collect();
    let all_stages: Vec<&str> = config.stages.iter().map(|s| s.id.as_str()).collect();
    let people: Vec<String> = PEOPLE.iter().map(|p| p.to_string()).collect();
    let r = records(18, &all_stages);
    for db in crate::helpers::backends().await {
        let s = db.store.as_ref();
        let run = s.start_run("crm", "test", "random", base()).await.unwrap();
        s.upsert_deals(run, &r.deals).await.unwrap();
        s.upsert_stage_changes(run, &r.changes).await.unwrap();
        s.upsert_tasks(run, &r.tasks).await.unwrap();
        let mut compared = 0;
        for now in [
            base(),
            base() - Duration::days(9) + Duration::seconds(1),
            base() + Duration::hours(30),
        ] {
            for records in [true, false] {
                let q = OpenNowQuery {
                    employees: &people,
                    open_stages: &stuck_days,
                    now,
                    records,
                };
                let counted = s.open_now(&q).await.unwrap();
                let open = OpenAt::new(&counted, &config, now);
                for p in PEOPLE {
                    let mut want = open_work(p, &r.deals, &r.tasks, &open_stages, now);
                    if !records {
                        want = want.without_records();
                    }
                    let mut got = open.work(p);
                    got.without_task_records.sort_by(|a, b| a.id.cmp(&b.id));
                    want.without_task_records.sort_by(|a, b| a.id.cmp(&b.id));
                    assert_eq!(got, want, "{} {p} at {now}", db.name);
                    compared += got.overdue + got.open_deals;
                    // The funnel's open deals and stuck deals over the same
                    // records.
                    let mine: Vec<&Deal> = r
                        .deals
                        .iter()
                        .filter(|d| d.employee_id.as_deref() == Some(p))
                        .collect();
                    let f = funnel(
                        &mine,
                        &r.changes,
                        &config.stages,
                        now - Duration::days(1),
                        now,
                        now,
                    );
                    let (stages, mut stuck) = open.deals([p]);
                    sort_stuck(&mut stuck);
                    assert_eq!(stuck, f.stuck, "{} stuck deals of {p} at {now}", db.name);
                    for row in &f.stages {
                        let (n, amount) = stages
                            .iter()
                            .filter(|(s, _, _)| *s == row.stage)
                            .fold((0, 0), |(n, a), (_, dn, da)| (n + dn, a + da));
                        assert_eq!(
                            (n, amount),
                            (row.open_deals, row.open_amount_minor),
                            "{} open deals of {p} in {} at {now}",
                            db.name,
                            row.stage
                        );
                    }
                }
            }
        }
        // The random records leave something to compare.
        assert!(compared > 100, "{compared}");
        db.finish().await;
    }
}
