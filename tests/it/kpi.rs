//! KPI and bonus on the real stores: schemes versioned by month, the guard
//! that keeps a month's rules fixed, a position change mid-month, the
//! forecast, leaderboards and who sees them.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use salespulse::app::kpi::{guard, scheme_changes};
use salespulse::config::Config;
use salespulse::domain::{Activity, ActivityKind, ExternalId};
use salespulse::report::figures::Scope;
use salespulse::report::kpi::{RankBy, build, figure_map, leaderboard, visible_places};

use crate::helpers::{TestDb, backends};

const PEOPLE: &str = r#"
[[teams]]
id = "t"
name = "North"
timezone = "UTC"
[[employees]]
id = "ann"
name = "Ann"
position = "closer"
team = "t"
[[employees]]
id = "bob"
name = "Bob"
position = "closer"
position_since = "2026-11-16"
previous_position = "farmer"
team = "t"
[[employees]]
id = "head"
name = "Head"
role = "head"
team = "t"
[[stages]]
id = "new"
"#;

const SCHEMES: &str = r#"
[kpi]
leaderboard = "own"
[[kpi.schemes]]
position = "closer"
from = "2026-10"
[[kpi.schemes.indicators]]
figure = "meetings"
rule = "per_unit"
amount = 500
[[kpi.schemes]]
position = "closer"
from = "2026-11"
[[kpi.schemes.indicators]]
id = "meetings"
name = "meetings held"
figure = "meetings"
rule = "per_unit"
amount = 700
[[kpi.schemes]]
position = "farmer"
from = "2026-10"
[[kpi.schemes.indicators]]
figure = "meetings"
rule = "steps"
steps = [{ at = 2, amount = 3000 }, { at = 4, amount = 8000 }]
"#;

fn with_schemes(schemes: &str) -> Config {
    Config::parse(
        &format!("{PEOPLE}{schemes}"),
        std::path::Path::new("kpi.toml"),
        &|_| None,
    )
    .unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

/// Meetings logged for `who` on the given days.
async fn meetings(db: &TestDb, who: &str, days: &[DateTime<Utc>]) {
    let run = db
        .store
        .start_run("crm", "crm_files", "x", Utc::now())
        .await
        .unwrap();
    let rows: Vec<Activity> = days
        .iter()
        .enumerate()
        .map(|(i, day)| Activity {
            source: "crm".into(),
            external_id: ExternalId::parse(&format!("{who}-{i}-{}", day.timestamp()), "id")
                .unwrap(),
            deal_ext: None,
            employee_id: Some(who.into()),
            owner_ext: None,
            kind: ActivityKind::Meeting,
            at: *day,
        })
        .collect();
    db.store.upsert_activities(run, &rows).await.unwrap();
}

fn bonus_of(report: &salespulse::report::kpi::KpiReport, who: &str) -> f64 {
    let row = report.rows.iter().find(|r| r.employee_id == who).unwrap();
    row.result.as_ref().map(|r| r.bonus).unwrap_or(-1.0)
}

#[tokio::test]
async fn each_month_is_paid_under_its_own_scheme_and_position() {
    for db in backends().await {
        let config = with_schemes(SCHEMES);
        // Ann: 3 meetings in October, 4 in November. Bob: 3 in November.
        meetings(
            &db,
            "ann",
            &[at(2026, 10, 5), at(2026, 10, 6), at(2026, 10, 7)],
        )
        .await;
        meetings(
            &db,
            "ann",
            &[
                at(2026, 11, 2),
                at(2026, 11, 3),
                at(2026, 11, 17),
                at(2026, 11, 18),
            ],
        )
        .await;
        meetings(
            &db,
            "bob",
            &[at(2026, 11, 3), at(2026, 11, 10), at(2026, 11, 20)],
        )
        .await;
        let team = Scope::Team("t".into());
        let december = at(2026, 12, 3);
        let october = build(
            db.store.as_ref(),
            &config,
            &team,
            at(2026, 10, 1).date_naive(),
            december,
            true,
        )
        .await
        .unwrap();
        // 3 × 500 under October's scheme.
        assert_eq!(bonus_of(&october, "ann"), 1500.0, "{}", db.name);
        let ann = october
            .rows
            .iter()
            .find(|r| r.employee_id == "ann")
            .unwrap();
        assert_eq!(ann.scheme_from.as_deref(), Some("2026-10"));
        assert_eq!(
            salespulse::words::Catalog::built_in().rule(
                salespulse::config::Locale::En,
                &ann.result.as_ref().unwrap().indicators[0].rule
            ),
            "meetings: 3 × ₽ 500 = ₽ 1,500"
        );
        // The records behind the amount are the three meetings.
        assert_eq!(ann.result.as_ref().unwrap().indicators[0].records.len(), 3);

        let november = build(
            db.store.as_ref(),
            &config,
            &team,
            at(2026, 11, 1).date_naive(),
            december,
            false,
        )
        .await
        .unwrap();
        // 4 × 700 under November's scheme; the month is over: no forecast.
        assert_eq!(bonus_of(&november, "ann"), 2800.0, "{}", db.name);
        assert!(november.total_forecast.is_none());
        // Bob became a closer on the 16th: November pays him as the farmer
        // he was on its first day: 3 meetings reach the step from 2.
        let bob = november
            .rows
            .iter()
            .find(|r| r.employee_id == "bob")
            .unwrap();
        assert_eq!(bob.position.as_deref(), Some("farmer"));
        assert_eq!(bonus_of(&november, "bob"), 3000.0);
        assert_eq!(
            salespulse::words::Catalog::built_in().rule(
                salespulse::config::Locale::En,
                &bob.result.as_ref().unwrap().indicators[0].rule
            ),
            "meetings: 3, the step from 2 reached: ₽ 3,000 (steps: from 2 → ₽ 3,000; from 4 → ₽ 8,000)"
        );
        assert_eq!(november.total_bonus, 5800.0);
        // December pays him as a closer.
        let dec = build(
            db.store.as_ref(),
            &config,
            &team,
            december.date_naive(),
            december,
            false,
        )
        .await
        .unwrap();
        let bob = dec.rows.iter().find(|r| r.employee_id == "bob").unwrap();
        assert_eq!(bob.position.as_deref(), Some("closer"));

        // Every figure a scheme may name is there for each person.
        for row in &november.rows {
            for key in salespulse::domain::KPI_FIGURES {
                assert!(row.figures.contains_key(*key), "{key}");
            }
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn the_month_under_way_forecasts_at_its_pace() {
    for db in backends().await {
        let config = with_schemes(SCHEMES);
        // Four meetings by Friday the 13th: 10 of November's 21 working days.
        meetings(
            &db,
            "ann",
            &[
                at(2026, 11, 2),
                at(2026, 11, 4),
                at(2026, 11, 9),
                at(2026, 11, 13),
            ],
        )
        .await;
        let now = at(2026, 11, 13) + Duration::hours(6);
        let report = build(
            db.store.as_ref(),
            &config,
            &Scope::Employee("ann".into()),
            now.date_naive(),
            now,
            false,
        )
        .await
        .unwrap();
        assert_eq!((report.working_days_gone, report.working_days), (10.0, 21));
        assert_eq!(
            report.through,
            NaiveDate::from_ymd_opt(2026, 11, 13).unwrap()
        );
        let row = &report.rows[0];
        assert_eq!(row.result.as_ref().unwrap().bonus, 2800.0);
        // 4 × 21 / 10 = 8.4 → 8 meetings × 700.
        let forecast = row.forecast.as_ref().unwrap();
        assert_eq!(forecast.indicators[0].actual, 8.0);
        assert_eq!(forecast.bonus, 5600.0);
        assert_eq!(report.total_forecast, Some(5600.0));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_change_to_a_month_already_begun_is_refused() {
    for db in backends().await {
        let store = db.store.as_ref();
        let config = with_schemes(SCHEMES);
        // The 5th of November: October's and November's schemes are recorded.
        guard(store, &config, at(2026, 11, 5)).await.unwrap();
        assert_eq!(store.kpi_schemes().await.unwrap().len(), 3, "{}", db.name);
        // Running again with the same config is fine.
        guard(store, &config, at(2026, 11, 20)).await.unwrap();

        // Raising November's rate on the 20th is refused, naming the scheme.
        let raised = with_schemes(&SCHEMES.replace("amount = 700", "amount = 900"));
        let error = guard(store, &raised, at(2026, 11, 20))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("kpi.schemes[1]: the scheme for \"closer\" from 2026-11 is in force")
                && error.contains("from = \"2026-12\""),
            "{error}"
        );
        // The same change as a new version from December is accepted; the
        // future may still change until December comes.
        let december = |amount: u32| {
            with_schemes(&format!(
                "{SCHEMES}[[kpi.schemes]]\nposition = \"closer\"\nfrom = \"2026-12\"\n\
                 [[kpi.schemes.indicators]]\nfigure = \"meetings\"\nrule = \"per_unit\"\namount = {amount}\n"
            ))
        };
        guard(store, &december(900), at(2026, 11, 20))
            .await
            .unwrap();
        guard(store, &december(950), at(2026, 11, 25))
            .await
            .unwrap();
        assert_eq!(store.kpi_schemes().await.unwrap().len(), 4);
        guard(store, &december(950), at(2026, 12, 1)).await.unwrap();
        // In December it is fixed.
        let error = guard(store, &december(990), at(2026, 12, 2))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("from 2026-12 is in force"), "{error}");
        // Seen from before December, a version of months to come may be
        // dropped: it is forgotten.
        guard(store, &with_schemes(SCHEMES), at(2026, 11, 26))
            .await
            .unwrap();
        assert_eq!(store.kpi_schemes().await.unwrap().len(), 3);

        // A new farmer version from November, slipped in on the 20th: refused.
        let recorded = store.kpi_schemes().await.unwrap();
        let slipped = with_schemes(&format!(
            "{SCHEMES}[[kpi.schemes]]\nposition = \"farmer\"\nfrom = \"2026-11\"\n\
             [[kpi.schemes.indicators]]\nfigure = \"meetings\"\nrule = \"per_unit\"\namount = 1\n"
        ));
        let issues = scheme_changes(&slipped, &recorded, at(2026, 11, 20).date_naive());
        assert!(
            issues
                .iter()
                .any(|i| i.starts_with("kpi.schemes[3]: from = \"2026-11\"")
                    && i.contains("paid under the scheme from 2026-10")),
            "{issues:#?}"
        );
        // October's scheme removed: past months keep theirs.
        let removed =
            with_schemes(&SCHEMES.replacen("from = \"2026-10\"", "from = \"2026-09\"", 1));
        let issues = scheme_changes(&removed, &recorded, at(2026, 11, 20).date_naive());
        assert!(
            issues
                .iter()
                .any(|i| i
                    .contains("the scheme for \"closer\" from 2026-10 was in force and is gone")),
            "{issues:#?}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn leaderboards_rank_and_show_what_the_viewer_may_see() {
    let db = crate::helpers::sqlite().await;
    let config = with_schemes(SCHEMES);
    meetings(&db, "ann", &[at(2026, 11, 2), at(2026, 11, 3)]).await;
    meetings(
        &db,
        "bob",
        &[at(2026, 11, 3), at(2026, 11, 10), at(2026, 11, 20)],
    )
    .await;
    let report = build(
        db.store.as_ref(),
        &config,
        &Scope::Team("t".into()),
        at(2026, 11, 1).date_naive(),
        at(2026, 12, 2),
        false,
    )
    .await
    .unwrap();
    // Bob 3 000 (farmer step), Ann 1 400 (2 × 700).
    let by_bonus = leaderboard(&report, &RankBy::Bonus);
    let order: Vec<(usize, &str)> = by_bonus.iter().map(|p| (p.rank, p.name.as_str())).collect();
    assert_eq!(order, vec![(1, "Bob"), (2, "Ann")]);
    let by_meetings = leaderboard(&report, &"meetings".parse().unwrap());
    assert_eq!(
        by_meetings[0].shown,
        salespulse::metrics::Value::Number(3.0)
    );
    assert!("nonsense".parse::<RankBy>().is_err());
    // A manager sees their own line (kpi.leaderboard = "own"); the head all.
    let ann_sees = visible_places(&config, "ann", &by_bonus);
    assert_eq!(ann_sees.len(), 1);
    assert_eq!((ann_sees[0].rank, ann_sees[0].name.as_str()), (2, "Ann"));
    assert_eq!(visible_places(&config, "head", &by_bonus).len(), 2);
    assert!(visible_places(&config, "stranger", &by_bonus).is_empty());
    let open = Config {
        kpi: salespulse::config::KpiConfig {
            leaderboard: salespulse::config::LeaderboardScope::Everyone,
            ..config.kpi.clone()
        },
        ..config.clone()
    };
    assert_eq!(visible_places(&open, "ann", &by_bonus).len(), 2);
    // The figures a leaderboard can use are those of the report.
    let row = report.rows.iter().find(|r| r.employee_id == "ann").unwrap();
    assert_eq!(row.figures["meetings"].value, 2.0);
    let _ = figure_map;
    db.finish().await;
}
