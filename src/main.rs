//! The `salespulse` command line. Parsing only: the work is in the library.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Parser;

use salespulse::app::{self, demo::DemoPaths};
use salespulse::config::{CONFIG_ENV, Config};
use salespulse::report::figures::{self, Scope};
use salespulse::report::figures_text;

mod cli;

use cli::{Cli, Command, DigestDeliver, Format, ReportCommand};

/// Prints a rendered report and says which files it went to.
fn print_written(files: &app::digest::DigestFiles) {
    print!("{}", files.text_body);
    for f in files
        .telegram_messages
        .iter()
        .chain([&files.text])
        .chain(&files.charts)
    {
        eprintln!("wrote {}", f.display());
    }
}

fn load_config(flag: Option<PathBuf>) -> anyhow::Result<(Config, PathBuf)> {
    let path = Config::path(flag);
    let config = Config::load(&path)?;
    Ok((config, path))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let progress = std::io::stderr().is_terminal();
    match cli.command {
        Command::Demo {
            seed,
            managers,
            days,
            end,
            db,
            data_dir,
            config_out,
            out,
        } => {
            let end = end.unwrap_or_else(|| {
                let today = chrono::Utc::now()
                    .with_timezone(&app::demo::TIMEZONE)
                    .date_naive();
                today.pred_opt().unwrap_or(today)
            });
            let paths = DemoPaths {
                database: db,
                data_dir,
                config: config_out,
                out_dir: out,
            };
            let outcome = app::demo::run(seed, managers, days, end, paths, progress).await?;
            print!("{}", outcome.summary());
        }
        Command::Init { path, force } => {
            let path = path.unwrap_or_else(|| Config::path(cli.config));
            println!("{}", app::init(&path, force)?);
        }
        Command::CheckConfig => {
            let (config, path) = load_config(cli.config)?;
            // The schemes against those already in force (read only), before
            // the file is called valid.
            let mut schemes = None;
            if !config.kpi.schemes.is_empty() {
                match salespulse::storage::open(config.database_url.expose()).await {
                    Ok(store) => {
                        let recorded = store.kpi_schemes().await;
                        store.close().await;
                        let today = app::kpi::today(&config, chrono::Utc::now());
                        let issues = app::kpi::scheme_changes(&config, &recorded?, today);
                        if !issues.is_empty() {
                            anyhow::bail!(
                                "{} is not valid: {} KPI scheme problem(s):\n  {}",
                                path.display(),
                                issues.len(),
                                issues.join("\n  ")
                            );
                        }
                        schemes = Some(format!(
                            "  KPI schemes: {} version(s), none changes a month already begun",
                            config.kpi.schemes.len()
                        ));
                    }
                    Err(e) => {
                        schemes = Some(format!(
                            "  KPI schemes not checked against those in force: the database cannot be opened ({e})"
                        ))
                    }
                }
            }
            print!("{}", app::check_config(&config, &path));
            if let Some(line) = schemes {
                println!("{line}");
            }
            print!("{}", app::check_cdr_tables(&config).await?);
        }
        Command::Serve {
            clock_start,
            speed,
            instance,
        } => {
            use salespulse::serve::{Clock, ServeOptions};
            let (config, _) = load_config(cli.config)?;
            let clock = match clock_start {
                Some(t) => Clock::starting_at(t, speed),
                None => Clock::real(),
            };
            let store = app::kpi::open_guarded(&config, clock.now()).await?;
            let options = ServeOptions {
                clock,
                instance: instance.unwrap_or_else(ServeOptions::instance_name),
            };
            let stop = salespulse::shutdown::stop_signal();
            salespulse::serve::run(config, store.clone(), options, stop).await?;
            store.close().await;
        }
        Command::Bot => {
            let (config, _) = load_config(cli.config)?;
            let store = app::kpi::open_guarded(&config, chrono::Utc::now()).await?;
            let state = std::sync::Arc::new(salespulse::bot::telegram::State {
                store: store.clone(),
                config,
            });
            salespulse::bot::telegram::run(state).await?;
            store.close().await;
        }
        Command::Ask {
            as_who,
            text,
            repeat,
            now,
        } => {
            let (config, _) = load_config(cli.config)?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let (reply, latency) =
                salespulse::bot::ask::ask(&config, &as_who, &text, repeat, now).await?;
            for m in &reply.messages {
                println!("{m}");
            }
            for (name, png, _) in &reply.photos {
                println!("[photo {name}, {} bytes]", png.len());
            }
            if let Some(latency) = latency {
                eprintln!("{latency}");
            }
        }
        Command::Invite {
            employee,
            valid_hours,
        } => {
            anyhow::ensure!(
                (1..=24 * 30).contains(&valid_hours),
                "--valid-hours {valid_hours} is out of range (expected 1 to 720)"
            );
            let (config, _) = load_config(cli.config)?;
            let now = chrono::Utc::now();
            let store = app::kpi::open_guarded(&config, now).await?;
            let (code, name, expires) = salespulse::bot::access::invite(
                store.as_ref(),
                &config,
                &employee,
                valid_hours,
                now,
            )
            .await?;
            store.close().await;
            println!("{code}");
            eprintln!(
                "{name}: send /start {code} to the bot; the code works once, until {} UTC.",
                expires.format("%Y-%m-%d %H:%M")
            );
        }
        Command::Migrate => {
            let (config, _) = load_config(cli.config)?;
            let store = salespulse::storage::open(config.database_url.expose()).await?;
            app::sync_directory(store.as_ref(), &config).await?;
            app::kpi::guard(store.as_ref(), &config, chrono::Utc::now()).await?;
            println!("The {} database is up to date.", store.backend());
            store.close().await;
        }
        Command::Ingest {
            source,
            all_rejects,
            paths,
        } => {
            let (config, _) = load_config(cli.config)?;
            let reports = app::ingest(&config, source.as_deref(), &paths, progress).await?;
            for r in &reports {
                print!("{}", r.summary(if all_rejects { usize::MAX } else { 10 }));
            }
        }
        Command::Pull {
            source,
            since,
            all_rejects,
        } => {
            let (config, _) = load_config(cli.config)?;
            let pulls =
                app::pull::all::pull(&config, source.as_deref(), since.as_deref(), progress)
                    .await?;
            let max_rejects = if all_rejects { usize::MAX } else { 10 };
            for p in &pulls {
                let summary = app::pull::all::summary(p, max_rejects);
                // A pull that could not run says why on stderr.
                if p.outcome.is_err() {
                    eprint!("{summary}");
                } else {
                    print!("{summary}");
                }
            }
            let failed = pulls.iter().filter(|p| p.failed()).count();
            if failed > 0 {
                anyhow::bail!("{failed} of {} pull(s) failed (see above)", pulls.len());
            }
        }
        Command::Report(ReportCommand::Figures {
            employee,
            team,
            from,
            to,
            format,
            explain,
            with_records,
            now,
        }) => {
            let (config, _) = load_config(cli.config)?;
            let scope = match (employee, team) {
                (Some(e), _) => Scope::Employee(e),
                (None, Some(t)) => Scope::Team(t),
                (None, None) => anyhow::bail!("name --employee or --team"),
            };
            let now = now.unwrap_or_else(chrono::Utc::now);
            let to_day = to.unwrap_or(from);
            let days = (to_day - from).num_days() + 1;
            if days < 1 {
                anyhow::bail!("--to {to_day} is before --from {from}");
            }
            if days > MAX_REPORT_DAYS {
                anyhow::bail!(
                    "--from {from} --to {to_day} is {days} days; a report covers at most {MAX_REPORT_DAYS} days: ask for it a year at a time"
                );
            }
            let store = app::kpi::open_guarded(&config, now).await?;
            // The printout shows the team's whole funnel beside the person's.
            let report = figures::build_with(
                store.as_ref(),
                &config,
                &scope,
                from,
                to.unwrap_or(from),
                now,
                figures::TeamFunnel::Full,
            )
            .await?;
            let report = if with_records {
                report
            } else {
                report.without_records()
            };
            store.close().await;
            match format {
                Format::Text => print!("{}", figures_text::render(&report, explain)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
        }
        Command::Report(ReportCommand::Kpi {
            month,
            employee,
            team,
            format,
            explain,
            by,
            now,
        }) => {
            let (config, _) = load_config(cli.config)?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let month = match month {
                Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                    .with_context(|| format!("--month {m:?} is not a month (expected YYYY-MM)"))?,
                None => app::kpi::today(&config, now),
            };
            let scope = match (employee, team) {
                (Some(e), _) => Scope::Employee(e),
                (None, Some(t)) => Scope::Team(t),
                (None, None) => anyhow::bail!("name --employee or --team"),
            };
            let store = app::kpi::open_guarded(&config, now).await?;
            let report =
                salespulse::report::kpi::build(store.as_ref(), &config, &scope, month, now).await?;
            store.close().await;
            let places = salespulse::report::kpi::leaderboard(&report, &by);
            match format {
                Format::Text => {
                    let all: Vec<_> = places.iter().collect();
                    print!("{}", app::kpi::render_text(&report, &all, explain));
                }
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "report": report,
                        "leaderboard": places,
                    }))?
                ),
            }
        }
        Command::Report(ReportCommand::Manager {
            employee,
            date,
            to,
            out,
            now,
        }) => {
            let (config, _) = load_config(cli.config)?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let store = app::kpi::open_guarded(&config, now).await?;
            let files = app::digest::write_manager_card(
                store.as_ref(),
                &config,
                &employee,
                date,
                to.unwrap_or(date),
                now,
                &out,
            )
            .await?;
            store.close().await;
            print_written(&files);
        }
        Command::Report(ReportCommand::Weekly {
            team,
            date,
            out,
            now,
            deliver,
        }) => {
            let (config, _) = load_config(cli.config)?;
            if deliver == app::weekly::Deliver::Email && config.email.is_none() {
                anyhow::bail!(
                    "--deliver email needs an [email] section in the config (smtp_host, from; see `salespulse init`)"
                );
            }
            let now = now.unwrap_or_else(chrono::Utc::now);
            let day = date.unwrap_or_else(|| (now - chrono::Duration::days(7)).date_naive());
            let store = app::kpi::open_guarded(&config, now).await?;
            let files =
                app::weekly::write_weekly(store.as_ref(), &config, &team, day, now, &out, deliver)
                    .await?;
            store.close().await;
            println!("{}", files.subject);
            for f in [&files.html, &files.xlsx]
                .into_iter()
                .chain(&files.eml)
                .chain(&files.charts)
            {
                eprintln!("wrote {}", f.display());
            }
            if deliver == app::weekly::Deliver::Email {
                let Some(email) = &files.email else {
                    anyhow::bail!(
                        "nobody to send the weekly report of team {team} to: give an owner or a head of the team an `email`, or set email.to"
                    );
                };
                let deliveries = app::weekly::send_weekly(&config, email).await?;
                let failed = deliveries.iter().filter(|d| d.result.is_err()).count();
                for d in &deliveries {
                    match &d.result {
                        Ok(answer) => println!("sent to {} ({answer})", d.to),
                        Err(e) => eprintln!("not sent to {}: {e}", d.to),
                    }
                }
                if failed > 0 {
                    anyhow::bail!(
                        "{failed} of {} recipients did not get the weekly report",
                        deliveries.len()
                    );
                }
            }
        }
        Command::Report(ReportCommand::Digest {
            team,
            date,
            out,
            now,
            deliver,
        }) => {
            let (config, _) = load_config(cli.config)?;
            let team_config = app::team(&config, &team)?.clone();
            let now = now.unwrap_or_else(chrono::Utc::now);
            let day = date.unwrap_or_else(|| {
                let today = now.with_timezone(&team_config.timezone).date_naive();
                salespulse::report::digest::digest_day(today, |d| team_config.is_working_day(d))
            });
            let store = app::kpi::open_guarded(&config, now).await?;
            let files =
                app::digest::write_digest(store.as_ref(), &config, &team, day, now, &out).await?;
            print_written(&files);
            if deliver == DigestDeliver::Telegram {
                let sent = app::digest::send_digest(store.as_ref(), &config, &team, &files).await?;
                let failed = sent
                    .iter()
                    .filter(|(_, o)| *o != salespulse::delivery::telegram::ChatOutcome::Sent)
                    .count();
                for (chat, outcome) in &sent {
                    eprintln!("chat {chat}: {outcome:?}");
                }
                store.close().await;
                if failed > 0 {
                    anyhow::bail!("{failed} of {} chats did not get the digest", sent.len());
                }
            } else {
                store.close().await;
            }
        }
        Command::GenerateCdr { rows, out, seed } => {
            println!("{}", app::generate_cdr(rows, &out, seed)?);
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve { .. } | Command::Bot) {
        // A one-off command piped into `head` or `true` stops quietly when
        // the reader goes, as Unix tools do, instead of panicking in print.
        // SAFETY: set once at start, before any thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    // A service says what it fires and sends; a one-off command only warns.
    let default_filter = match cli.command {
        Command::Serve { .. } | Command::Bot => {
            "info,sqlx=warn,salespulse::report=warn,salespulse::app=warn"
        }
        _ => "warn,sqlx::query=error",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime");
    let result = runtime.and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.chain().any(|c| c.to_string().contains("salespulse init")) {
                eprintln!(
                    "(the config file comes from --config, ${CONFIG_ENV}, or ./salespulse.toml)"
                );
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// The longest period one `report figures` covers.
const MAX_REPORT_DAYS: i64 = 366;

// Ingestion allocates many short strings on one thread and frees them on
// another (the SQLite worker); mimalloc handles that far better than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
