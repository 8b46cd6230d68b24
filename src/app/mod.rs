//! What the CLI's commands do, so `main.rs` only parses arguments.

pub mod alerts;
pub mod demo;
pub mod digest;
pub mod ingest;
pub mod kpi;
pub mod pull;
pub mod rollup;
pub mod weekly;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::{Config, EXAMPLE, redact_url};
use crate::domain::{Employee, Team};
use crate::sources::demo::{DemoOptions, DemoSink, generate};
use crate::storage::Store;
use ingest::FileReport;

/// Opens the config's database with what the config tells the store: how
/// far back a record written reaches (the trace window), for the days of
/// the daily roll-up it drops.
pub async fn open_store(config: &Config) -> anyhow::Result<std::sync::Arc<crate::storage::Store>> {
    let store = crate::storage::open(config.database_url.expose()).await?;
    store.set_trace_window(chrono::Duration::minutes(
        config.thresholds.trace_window_mins,
    ));
    Ok(store)
}

/// Writes the config's teams and employees into the store.
pub async fn sync_directory(store: &Store, config: &Config) -> anyhow::Result<()> {
    let teams: Vec<Team> = config
        .teams
        .iter()
        .map(|t| Team {
            id: t.id.clone(),
            name: t.name.clone(),
            timezone: t.timezone,
        })
        .collect();
    let employees: Vec<Employee> = config
        .employees
        .iter()
        .map(|e| Employee {
            id: e.id.clone(),
            name: e.name.clone(),
            role: e.role,
            position: e.position.clone(),
            team: e.team.clone(),
        })
        .collect();
    store.sync_directory(&teams, &employees).await?;
    Ok(())
}

/// `init`: writes the commented example config.
pub fn init(path: &Path, force: bool) -> anyhow::Result<String> {
    if path.exists() && !force {
        anyhow::bail!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        );
    }
    std::fs::write(path, EXAMPLE).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(format!(
        "Wrote {}. Edit it, then run `salespulse --config {} check-config`.",
        path.display(),
        path.display()
    ))
}

/// `check-config`: validates and describes what the config sets up.
pub fn check_config(config: &Config, path: &Path) -> String {
    let mut out = format!("{} is valid.\n", path.display());
    out.push_str(&format!(
        "  database: {}\n",
        redact_url(config.database_url.expose())
    ));
    for t in &config.teams {
        let people = config.employees.iter().filter(|e| e.team == t.id).count();
        out.push_str(&format!(
            "  team {}: {} ({}), {} people, working hours {}-{}\n",
            t.id,
            t.name,
            t.timezone.name(),
            people,
            t.work_start.format("%H:%M"),
            t.work_end.format("%H:%M")
        ));
    }
    out.push_str(&format!(
        "  pipeline: {}\n",
        config
            .stages
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(" -> ")
    ));
    for s in &config.sources {
        let mapped = config
            .employees
            .iter()
            .filter(|e| e.source_ids.contains_key(&s.name))
            .count();
        out.push_str(&format!(
            "  source {} ({}), {} employees mapped",
            s.name,
            s.kind.name(),
            mapped
        ));
        if let Some(dir) = &s.drop_folder {
            out.push_str(&format!(", pulls files dropped in {}", dir.display()));
        }
        if let Some(file) = &s.follow {
            out.push_str(&format!(", follows {}", file.display()));
        }
        if let crate::config::SourceKind::AsteriskDb(db) = &s.kind {
            out.push_str(&format!(
                ", pulls the table {} on {} (URL from {})",
                db.table,
                db.host(),
                db.url_env
            ));
        }
        out.push('\n');
    }
    for s in &config.schedules {
        use crate::config::ScheduleJob;
        let job = match &s.job {
            ScheduleJob::Digest { team, deliver } => {
                format!(
                    "digest of {team} to {}",
                    format!("{deliver:?}").to_lowercase()
                )
            }
            ScheduleJob::Weekly { team, deliver } => {
                format!(
                    "weekly of {team} to {}",
                    format!("{deliver:?}").to_lowercase()
                )
            }
            ScheduleJob::Pull { source } => format!("pull of {source}"),
            ScheduleJob::Cards { team } => format!("cards of {team}'s managers to telegram"),
        };
        out.push_str(&format!("  schedule {}: {job} at {}\n", s.name, s.schedule));
    }
    for a in &config.alerts {
        out.push_str(&format!(
            "  alert {} of {}: {}\n",
            a.rule.name(),
            a.team,
            alert_settings(a)
        ));
    }
    if config.telegram.is_some() {
        out.push_str("  telegram: token found in the environment\n");
    }
    if let Some(e) = &config.email {
        out.push_str(&format!("  email: {}:{}\n", e.smtp_host, e.smtp_port));
    }
    if !config.hidden_from_managers.is_empty() {
        let groups: Vec<&str> = config
            .hidden_from_managers
            .iter()
            .map(|g| g.name())
            .collect();
        out.push_str(&format!(
            "  visibility: managers do not see {} of their own figures\n",
            groups.join(", ")
        ));
        for t in config.teams.iter().filter(|t| t.telegram_chat_id.is_some()) {
            out.push_str(&format!(
                "  team {}'s chat gets the digest without them (the heads get it whole)\n",
                t.id
            ));
        }
    }
    out
}

/// A team of the config by id, or an error that lists the teams there are.
pub fn team<'c>(config: &'c Config, id: &str) -> anyhow::Result<&'c crate::config::TeamConfig> {
    config.team(id).with_context(|| {
        let known: Vec<&str> = config.teams.iter().map(|t| t.id.as_str()).collect();
        format!("no team {id:?} in the config (known: {})", known.join(", "))
    })
}

/// The config's source names, for messages: `pbx, cloud, crm`.
pub(crate) fn source_names(config: &Config) -> String {
    config
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ingest`: reads files of one source into the store.
pub async fn ingest(
    config: &Config,
    source_name: Option<&str>,
    paths: &[PathBuf],
    show_progress: bool,
) -> anyhow::Result<Vec<FileReport>> {
    let source = match source_name {
        Some(name) => config.source(name).with_context(|| {
            format!(
                "no source named {name:?} in the config (known: {})",
                source_names(config)
            )
        })?,
        None => match config.sources.as_slice() {
            [only] => only,
            [] => anyhow::bail!("the config has no [[sources]]; add one (see `salespulse init`)"),
            _ => anyhow::bail!(
                "the config has several sources; name one with --source ({})",
                source_names(config)
            ),
        },
    };
    let store = open_store(config).await?;
    sync_directory(store.as_ref(), config).await?;
    let mut reports = Vec::new();
    let options = ingest::IngestOptions {
        progress: show_progress,
        now: chrono::Utc::now(),
    };
    for path in paths {
        for file in ingest::expand(path)? {
            reports
                .push(ingest::ingest_file(store.clone(), config, source, &file, &options).await?);
        }
    }
    store.close().await;
    Ok(reports)
}

/// `generate-cdr`: a large Master.csv for benchmarks.
pub fn generate_cdr(rows: u64, out: &Path, seed: u64) -> anyhow::Result<String> {
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    // About 60 rows per manager-day: enough managers and days to reach `rows`.
    let managers = 500;
    let days = ((rows / (managers as u64 * 40)) + 2).min(3650) as u32 * 7 / 5 + 2;
    let opts = DemoOptions {
        seed,
        managers,
        days,
        end: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        timezone: demo::TIMEZONE,
    };
    let mut sink = DemoSink {
        master_csv: &mut writer,
        crm: None,
        max_cdr_rows: Some(rows),
    };
    let (_, stats) = generate(&opts, &mut sink)?;
    writer.flush()?;
    Ok(format!(
        "Wrote {} CDR rows ({} calls) to {}",
        stats.cdr_rows,
        stats.calls,
        out.display()
    ))
}

/// `check-config` for the CDR tables: connects to each `asterisk_db`
/// source's database and names the columns its version lacks. A table
/// without a column every row needs is an error; a database that cannot be
/// reached now is said, not an error.
pub async fn check_cdr_tables(config: &Config) -> anyhow::Result<String> {
    use crate::sources::asterisk_db::CdrDb;
    let mut out = String::new();
    let mut problems = Vec::new();
    for s in &config.sources {
        let crate::config::SourceKind::AsteriskDb(db) = &s.kind else {
            continue;
        };
        match CdrDb::connect(db).await {
            Ok(mut conn) => {
                match conn.schema(&db.table).await {
                    Ok(schema) => out.push_str(&format!(
                        "  source {}: table {}: {}\n",
                        s.name,
                        db.table,
                        schema.describe()
                    )),
                    Err(e) => problems.push(format!("source {}: {e}", s.name)),
                }
                conn.close().await;
            }
            Err(e) => out.push_str(&format!(
                "  source {}: table {} not checked: {e}\n",
                s.name, db.table
            )),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!(
            "{}{} CDR table problem(s):\n  {}",
            out,
            problems.len(),
            problems.join("\n  ")
        );
    }
    Ok(out)
}

/// An alert rule's thresholds and recipients, as `check-config` lists them.
fn alert_settings(a: &crate::config::AlertConfig) -> String {
    use crate::config::{AlertRecipient, AlertRule};
    let hm = |t: &chrono::NaiveTime| t.format("%H:%M").to_string();
    let mut parts = vec![match &a.rule {
        AlertRule::MissedCallback { within } => {
            format!("called back within {} min", within.num_minutes())
        }
        AlertRule::NoCallsBy { at, min_calls } => {
            format!("{min_calls} outbound calls by {}", hm(at))
        }
        AlertRule::IdleNow { idle, lunch } => match lunch {
            Some((a, b)) => format!(
                "no call for {} min, lunch {}-{} aside",
                idle.num_minutes(),
                hm(a),
                hm(b)
            ),
            None => format!("no call for {} min", idle.num_minutes()),
        },
        AlertRule::TraceBacklog { min_calls } => {
            format!("{min_calls} calls without a CRM trace")
        }
        AlertRule::PlanPace { at, below_pct } => {
            format!("plan pace below {below_pct} % from {}", hm(at))
        }
    }];
    let to: Vec<String> =
        a.to.iter()
            .map(|r| match r {
                AlertRecipient::Heads => "heads".to_owned(),
                AlertRecipient::Manager => "manager".to_owned(),
                AlertRecipient::Chat(id) => format!("chat {id}"),
            })
            .collect();
    parts.push(format!("to {}", to.join(", ")));
    if let Some((a, b)) = &a.quiet {
        parts.push(format!("quiet {}-{}", hm(a), hm(b)));
    }
    parts.push(format!("at most {} a day each", a.max_per_day));
    parts.join("; ")
}
