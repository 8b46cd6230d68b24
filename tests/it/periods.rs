//! Periods as people mean them: a day still under way counts pro rata to
//! the working hours passed — in plan targets, in the KPI's working days
//! gone and so in its pace — and a week under way is compared with the same
//! weekdays of the week before.

use chrono::{DateTime, NaiveDate, Utc};
use salespulse::app::demo::{self, DemoPaths};
use salespulse::config::Config;
use salespulse::report::figures::{self, FiguresReport, Scope};

fn moscow(s: &str) -> DateTime<Utc> {
    let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    salespulse::calendar::local_to_utc(chrono_tz::Europe::Moscow, local)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Each plan line's target summed over the team, by figure.
fn targets(r: &FiguresReport) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for e in &r.employees {
        for l in &e.plan.lines {
            match out.iter_mut().find(|(f, _)| *f == l.figure) {
                Some((_, t)) => *t += l.target,
                None => out.push((l.figure.clone(), l.target)),
            }
        }
    }
    out
}

/// The demo department (`managers` × `days` up to 2 December) in `dir`:
/// its config and store.
async fn demo_department(
    dir: &std::path::Path,
    seed: u64,
    managers: usize,
    days: u32,
) -> (Config, std::sync::Arc<salespulse::storage::Store>) {
    let paths = DemoPaths {
        database: dir.join("demo.db"),
        data_dir: dir.join("data"),
        config: dir.join("demo.toml"),
        out_dir: dir.join("out"),
    };
    let outcome = demo::run(seed, managers, days, day("2026-12-02"), paths, false)
        .await
        .unwrap();
    let config = Config::load(&outcome.paths.config).unwrap();
    let store = salespulse::storage::open(config.database_url.expose())
        .await
        .unwrap();
    (config, store)
}

#[tokio::test]
async fn a_day_under_way_counts_pro_rata_in_plans_and_the_kpi_pace() {
    let dir = tempfile::tempdir().unwrap();
    // Monday 30 November to Wednesday 2 December.
    let (config, store) = demo_department(dir.path(), 7, 4, 10).await;
    let team = Scope::Team("moscow".into());
    let week = |now| {
        figures::build(
            &store,
            &config,
            &team,
            day("2026-11-30"),
            day("2026-12-02"),
            now,
        )
    };
    let two_days = figures::build(
        &store,
        &config,
        &team,
        day("2026-11-30"),
        day("2026-12-01"),
        moscow("2026-12-02 02:15"),
    )
    .await
    .unwrap();
    // At 02:15 on Wednesday its working hours have not begun: the week's
    // plan is Monday's and Tuesday's.
    let early = week(moscow("2026-12-02 02:15")).await.unwrap();
    let (early_t, two_t) = (targets(&early), targets(&two_days));
    assert!(!two_t.is_empty(), "the demo has plans");
    assert_eq!(early_t, two_t);
    // Wednesday alone, once its working hours are over.
    let wednesday = targets(
        &figures::build(
            &store,
            &config,
            &team,
            day("2026-12-02"),
            day("2026-12-02"),
            moscow("2026-12-02 18:30"),
        )
        .await
        .unwrap(),
    );
    let expect = |share: f64| -> Vec<(String, f64)> {
        two_t
            .iter()
            .map(|(f, t)| {
                let wed = wednesday.iter().find(|(w, _)| w == f).map_or(0.0, |w| w.1);
                (f.clone(), t + share * wed)
            })
            .collect()
    };
    let close = |got: &[(String, f64)], want: &[(String, f64)]| {
        assert_eq!(got.len(), want.len(), "{got:?} against {want:?}");
        for ((f, t), (_, w)) in got.iter().zip(want) {
            assert!((t - w).abs() < 1e-6, "{f}: {t} against {w}");
        }
    };
    // At 13:30 half of its 09:00–18:00 is gone: half of Wednesday's plan.
    close(
        &targets(&week(moscow("2026-12-02 13:30")).await.unwrap()),
        &expect(0.5),
    );
    // After 18:00 the whole day counts.
    close(
        &targets(&week(moscow("2026-12-02 18:30")).await.unwrap()),
        &expect(1.0),
    );
    assert!(wednesday.iter().any(|(_, t)| *t > 0.0), "{wednesday:?}");

    // The KPI's month: one working day gone at 02:15, one and a half at 13:30.
    assert!(!config.kpi.schemes.is_empty(), "the demo pays bonuses");
    {
        let kpi = |now| {
            salespulse::report::kpi::build(&store, &config, &team, day("2026-12-02"), now, false)
        };
        let at_night = kpi(moscow("2026-12-02 02:15")).await.unwrap();
        assert_eq!(at_night.working_days_gone, 1.0);
        let at_noon = kpi(moscow("2026-12-02 13:30")).await.unwrap();
        assert_eq!(at_noon.working_days_gone, 1.5);
        assert!(at_noon.total_forecast.is_some());
    }
}

/// The team's calls (out and in) over `[first, last]`.
fn calls(r: &FiguresReport) -> f64 {
    r.employees
        .iter()
        .map(|e| e.telephony.calls_out.value + e.telephony.calls_in.value)
        .sum()
}

#[tokio::test]
async fn a_week_under_way_is_compared_with_the_same_weekdays_of_the_week_before() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = demo_department(dir.path(), 5, 3, 12).await;
    let now = moscow("2026-12-02 19:00");
    let out = dir.path().join("weekly");
    let files = salespulse::app::weekly::write_weekly(
        &store,
        &config,
        "moscow",
        day("2026-12-02"),
        now,
        &out,
        salespulse::config::Delivery::File,
    )
    .await
    .unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    // The headline row of calls: its cells' text.
    let row = html
        .split("<tr")
        .find(|r| r.contains("<td>Звонки</td>"))
        .unwrap_or_else(|| panic!("{html}"));
    let cells: Vec<String> = row
        .split("<td")
        .skip(1)
        .map(|c| {
            let inner = c.split_once('>').map_or("", |(_, rest)| rest);
            inner
                .split('<')
                .filter_map(|part| part.rsplit('>').next())
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .collect();
    let team = Scope::Team("moscow".into());
    let build = |first, last| figures::build(&store, &config, &team, day(first), day(last), now);
    let this = calls(&build("2026-11-30", "2026-12-06").await.unwrap());
    let same_days = calls(&build("2026-11-23", "2026-11-25").await.unwrap());
    let whole = calls(&build("2026-11-23", "2026-11-29").await.unwrap());
    assert!(whole > same_days, "{whole} {same_days}");
    let n = |v: f64| salespulse::words::number(salespulse::config::Locale::Ru, v, 0);
    assert_eq!(
        (cells[1].as_str(), cells[2].as_str()),
        (n(this).as_str(), n(same_days).as_str()),
        "{cells:?}: this week {this}, Mon–Wed before {same_days}, the whole week before {whole}"
    );
}
