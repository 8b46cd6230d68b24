//! `salespulse demo`: generates a department's month, writes it as the files
//! a real department would have (a PBX `Master.csv`, CRM exchange files) and a
//! config for it, then ingests them into SQLite through the real path.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::app::ingest::{self, FileReport};
use crate::config::Config;
use crate::sources::demo::{self, CrmSink, DemoManager, DemoOptions, DemoSink, DemoStats};

#[derive(Debug, Clone)]
pub struct DemoPaths {
    pub database: PathBuf,
    pub data_dir: PathBuf,
    pub config: PathBuf,
    /// Where rendered reports go.
    pub out_dir: PathBuf,
}

#[derive(Debug)]
pub struct DemoOutcome {
    pub stats: DemoStats,
    pub managers: Vec<DemoManager>,
    pub reports: Vec<FileReport>,
    pub table_counts: Vec<crate::storage::TableCount>,
    pub paths: DemoPaths,
    /// The last working day generated.
    pub last_day: NaiveDate,
    pub digest: super::digest::DigestFiles,
    pub weekly: super::weekly::WeeklyFiles,
    pub card: Option<super::digest::DigestFiles>,
}

pub const TIMEZONE: Tz = chrono_tz::Europe::Moscow;

/// The demo's config: a template filled with the generated people.
const CONFIG_TEMPLATE: &str = include_str!("demo.toml");

/// A generated manager as the config names them.
#[derive(serde::Serialize)]
struct ConfigManager<'a> {
    id: &'a str,
    name: &'a str,
    position: &'a str,
    extension: &'a str,
    crm_user: &'a str,
    /// When they moved to their position, if within the demo's months.
    since: Option<String>,
}

/// The config of the generated department.
pub fn config_text(
    managers: &[DemoManager],
    database: &Path,
    first_month: NaiveDate,
) -> Result<String, minijinja::Error> {
    let people: Vec<ConfigManager<'_>> = managers
        .iter()
        .enumerate()
        .map(|(i, m)| ConfigManager {
            id: &m.id,
            name: &m.name,
            // Every fourth finds leads; the second became a closer on the
            // second day of a month, so that month still pays them as a
            // lead generator.
            position: if i % 4 == 3 {
                "lead_generator"
            } else {
                "closer"
            },
            extension: &m.extension,
            crm_user: &m.crm_user,
            since: (i == 1).then(|| {
                first_month
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.succ_opt())
                    .unwrap_or(first_month)
                    .to_string()
            }),
        })
        .collect();
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_keep_trailing_newline(true);
    let context = minijinja::context! {
        database => database.display().to_string(),
        managers => people,
        month => first_month.format("%Y-%m").to_string(),
    };
    env.render_str(CONFIG_TEMPLATE, context)
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let file =
        File::create(path).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

/// Writes the generated files; returns the team and what was made.
pub fn write_files(
    opts: &DemoOptions,
    data_dir: &Path,
) -> anyhow::Result<(Vec<DemoManager>, DemoStats)> {
    std::fs::create_dir_all(data_dir.join("crm"))
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data_dir.display()))?;
    let crm = |name: &str| create(&data_dir.join("crm").join(format!("{name}.jsonl")));
    let mut cdr = create(&data_dir.join("Master.csv"))?;
    let (
        mut employees,
        mut deals,
        mut stage_changes,
        mut tasks,
        mut postponements,
        mut activities,
        mut comments,
    ) = (
        crm("employees")?,
        crm("deals")?,
        crm("stage_changes")?,
        crm("tasks")?,
        crm("task_postponements")?,
        crm("activities")?,
        crm("comments")?,
    );
    let mut sink = DemoSink {
        master_csv: &mut cdr,
        crm: Some(CrmSink {
            employees: &mut employees,
            deals: &mut deals,
            stage_changes: &mut stage_changes,
            tasks: &mut tasks,
            task_postponements: &mut postponements,
            activities: &mut activities,
            comments: &mut comments,
        }),
        max_cdr_rows: None,
    };
    let generated = demo::generate(opts, &mut sink)?;
    for w in [
        &mut cdr,
        &mut employees,
        &mut deals,
        &mut stage_changes,
        &mut tasks,
        &mut postponements,
        &mut activities,
        &mut comments,
    ] {
        w.flush()?;
    }
    Ok(generated)
}

/// Removes a SQLite database with its WAL files, so the demo starts clean.
fn remove_database(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!(
                "cannot remove the old demo database {}: {e}",
                PathBuf::from(p).display()
            ),
        }
    }
    Ok(())
}

/// The Sunday of the last complete week by `last_day`, as `serve` sends the
/// weekly report on the Monday after: `last_day`'s week when none of its
/// working days is left, else the week before.
fn last_complete_week(team: &crate::config::TeamConfig, last_day: NaiveDate) -> NaiveDate {
    let week = crate::report::weekly::week_start(last_day);
    let sunday = week + chrono::Duration::days(6);
    let left = last_day
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= sunday)
        .any(|d| team.is_working_day(d));
    if left {
        week - chrono::Duration::days(1)
    } else {
        sunday
    }
}

/// Generates, writes and ingests the demo department.
pub async fn run(
    seed: u64,
    managers: usize,
    days: u32,
    end: NaiveDate,
    paths: DemoPaths,
    show_progress: bool,
) -> anyhow::Result<DemoOutcome> {
    anyhow::ensure!(managers >= 1, "--managers must be at least 1");
    anyhow::ensure!(days >= 1, "--days must be at least 1");
    let opts = DemoOptions {
        seed,
        managers,
        days,
        end,
        timezone: TIMEZONE,
    };
    let data_dir = paths.data_dir.clone();
    let (team, stats) =
        tokio::task::spawn_blocking(move || write_files(&opts, &data_dir)).await??;

    let first_month = crate::config::kpi::month_of(
        demo::working_days(end, days)
            .first()
            .copied()
            .unwrap_or(end),
    );
    std::fs::write(
        &paths.config,
        config_text(&team, &paths.database, first_month)?,
    )
    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", paths.config.display()))?;
    let config = Config::load(&paths.config)?;
    remove_database(&paths.database)?;
    let store = super::open_store(&config).await?;
    super::sync_directory(store.as_ref(), &config).await?;
    super::kpi::guard(store.as_ref(), &config, chrono::Utc::now()).await?;

    let mut reports = Vec::new();
    let options = ingest::IngestOptions {
        progress: show_progress,
        now: chrono::Utc::now(),
    };
    let pbx = config
        .source("pbx")
        .ok_or_else(|| anyhow::anyhow!("demo config lacks the pbx source"))?;
    reports.push(
        ingest::ingest_file(
            store.clone(),
            &config,
            pbx,
            &paths.data_dir.join("Master.csv"),
            &options,
        )
        .await?,
    );
    let crm = config
        .source("crm")
        .ok_or_else(|| anyhow::anyhow!("demo config lacks the crm source"))?;
    for file in ingest::expand(&paths.data_dir.join("crm"))? {
        reports.push(ingest::ingest_file(store.clone(), &config, crm, &file, &options).await?);
    }
    let table_counts = store.table_counts().await?;
    // The morning digest of the last day, as its head would get it at 09:00.
    let last_day = demo::working_days(end, days).last().copied().unwrap_or(end);
    let morning = crate::calendar::local_to_utc(
        TIMEZONE,
        (last_day + chrono::Duration::days(1))
            .and_hms_opt(9, 0, 0)
            .unwrap_or_default(),
    );
    let last_sunday = last_complete_week(super::team(&config, "moscow")?, last_day);
    let weekly = super::weekly::write_weekly(
        store.as_ref(),
        &config,
        "moscow",
        last_sunday,
        morning,
        &paths.out_dir,
        crate::config::Delivery::File,
    )
    .await?;
    // The card of the manager who idles, as they would see it with /me.
    let card = match team.iter().find(|m| m.idles) {
        Some(m) => Some(
            super::digest::write_manager_card(
                store.as_ref(),
                &config,
                &m.id,
                last_day,
                last_day,
                morning,
                &paths.out_dir,
            )
            .await?,
        ),
        None => None,
    };
    let digest = super::digest::write_digest(
        store.as_ref(),
        &config,
        "moscow",
        last_day,
        morning,
        &paths.out_dir,
    )
    .await?;
    store.close().await;
    Ok(DemoOutcome {
        card,
        weekly,
        digest,
        last_day,
        stats,
        managers: team,
        reports,
        table_counts,
        paths,
    })
}

impl DemoOutcome {
    pub fn summary(&self) -> String {
        let s = &self.stats;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Demo department: {} managers, a head and an owner; {} working days (Mon-Fri) in Europe/Moscow.",
            self.managers.len(),
            s.working_days
        );
        let _ = writeln!(
            out,
            "Generated: {} calls ({} CDR rows with ring-group legs), {} deals, {} stage changes, {} tasks ({} postponed), {} activities, {} comments.",
            s.calls,
            s.cdr_rows,
            s.deals,
            s.stage_changes,
            s.tasks,
            s.postponements,
            s.activities,
            s.comments
        );
        let planted = |pick: fn(&DemoManager) -> bool| {
            self.managers
                .iter()
                .filter(|m| pick(m))
                .map(|m| m.name.as_str())
                .take(5)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "Planted patterns:");
        let _ = writeln!(
            out,
            "  long idle gaps:              {}",
            planted(|m| m.idles)
        );
        let _ = writeln!(
            out,
            "  calls without a CRM trace:   {}",
            planted(|m| m.skips_crm)
        );
        let _ = writeln!(
            out,
            "  deals stuck at meeting held: {}",
            planted(|m| m.stalls_at_meeting)
        );
        let _ = writeln!(out, "\nIngested:");
        for r in &self.reports {
            out.push_str("  ");
            out.push_str(&r.summary(3));
        }
        let _ = writeln!(out, "\nTables:");
        for crate::storage::TableCount { table, rows: n } in &self.table_counts {
            let _ = writeln!(out, "  {table:<20} {n:>9}");
        }
        let _ = writeln!(
            out,
            "\nMorning digest for {} (as the head gets it at 09:00):\n",
            self.last_day
        );
        out.push_str(&self.digest.text_body);
        let _ = writeln!(out, "\nWeekly owner report: {}", self.weekly.subject);
        let _ = writeln!(
            out,
            "\nReports written: {}",
            self.digest
                .telegram_messages
                .iter()
                .chain([&self.digest.text])
                .chain(&self.digest.charts)
                .chain([&self.weekly.html, &self.weekly.xlsx])
                .chain(&self.weekly.eml)
                .chain(&self.weekly.charts)
                .chain(
                    self.card.iter().flat_map(|c| c
                        .telegram_messages
                        .iter()
                        .chain([&c.text])
                        .chain(&c.charts))
                )
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            out,
            "Files: database {}, config {}, source files in {}",
            self.paths.database.display(),
            self.paths.config.display(),
            self.paths.data_dir.display()
        );
        let _ = writeln!(
            out,
            "Next: salespulse --config {} report figures --team moscow --from {} --explain",
            self.paths.config.display(),
            self.last_day
        );
        // The Monday after the data, 07:58 in Moscow: the weekly report
        // fires two minutes later and the digest an hour after that.
        let monday = self.last_day
            + chrono::Duration::days(
                7 - i64::from(chrono::Datelike::weekday(&self.last_day).num_days_from_monday()),
            );
        let start = crate::calendar::local_to_utc(
            TIMEZONE,
            monday.and_hms_opt(7, 58, 0).unwrap_or_default(),
        );
        let _ = writeln!(
            out,
            "The schedules, on a clock 120 times faster (reports under out/, Ctrl-C to stop): salespulse --config {} serve --clock-start {} --speed 120",
            self.paths.config.display(),
            start.format("%Y-%m-%dT%H:%M:%SZ")
        );
        out
    }
}
