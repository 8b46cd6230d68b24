//! The `salespulse` command line: one short function per subcommand, each
//! reading its arguments and the config, calling the use case in `app` (or
//! the bot, or `serve`) and printing what it did.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Parser;

use salespulse::app::{self, demo::DemoPaths};
use salespulse::config::{CONFIG_ENV, Config, Delivery};
use salespulse::report::figures::{self, Scope};
use salespulse::report::figures_text;
use salespulse::storage::Store;

mod cli;

use cli::{
    AlertsArgs, AskArgs, Cli, Command, DemoArgs, DigestArgs, FiguresArgs, Format, IngestArgs,
    InitArgs, InviteArgs, KpiArgs, ManagerArgs, PullArgs, ReportCommand, RollupArgs, ServeArgs,
    WeeklyArgs,
};

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
    let config = cli.config;
    match cli.command {
        Command::Demo(args) => demo(args).await,
        Command::Init(args) => init(config, args),
        Command::CheckConfig => check_config(config).await,
        Command::Serve(args) => serve(config, args).await,
        Command::Bot => bot(config).await,
        Command::Ask(args) => ask(config, args).await,
        Command::Invite(args) => invite(config, args).await,
        Command::Migrate => migrate(config).await,
        Command::Ingest(args) => ingest(config, args).await,
        Command::Pull(args) => pull(config, args).await,
        Command::Report(ReportCommand::Figures(args)) => report_figures(config, args).await,
        Command::Report(ReportCommand::Kpi(args)) => report_kpi(config, args).await,
        Command::Report(ReportCommand::Manager(args)) => report_manager(config, args).await,
        Command::Report(ReportCommand::Weekly(args)) => report_weekly(config, args).await,
        Command::Report(ReportCommand::Digest(args)) => report_digest(config, args).await,
        Command::Rollup(args) => rollup(config, args).await,
        Command::Alerts(args) => alerts(config, args).await,
        Command::GenerateCdr(args) => {
            println!("{}", app::generate_cdr(args.rows, &args.out, args.seed)?);
            Ok(())
        }
    }
}

/// Whether progress bars are drawn: only for a person at a terminal.
fn progress() -> bool {
    std::io::stderr().is_terminal()
}

/// Runs `work` on the database (its KPI schemes checked first), and closes
/// the database whatever `work` returns.
async fn with_store<T>(
    config: &Config,
    now: DateTime<Utc>,
    work: impl AsyncFnOnce(&Arc<Store>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let store = app::kpi::open_guarded(config, now).await?;
    let result = work(&store).await;
    store.close().await;
    result
}

fn scope(employee: Option<String>, team: Option<String>) -> anyhow::Result<Scope> {
    match (employee, team) {
        (Some(e), _) => Ok(Scope::Employee(e)),
        (None, Some(t)) => Ok(Scope::Team(t)),
        (None, None) => anyhow::bail!("name --employee or --team"),
    }
}

/// The most rejects a summary lists unless every one is asked for.
fn max_rejects(all: bool) -> usize {
    if all { usize::MAX } else { 10 }
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let end = args.end.unwrap_or_else(|| {
        let today = Utc::now().with_timezone(&app::demo::TIMEZONE).date_naive();
        today.pred_opt().unwrap_or(today)
    });
    let paths = DemoPaths {
        database: args.db,
        data_dir: args.data_dir,
        config: args.config_out,
        out_dir: args.out,
    };
    let outcome =
        app::demo::run(args.seed, args.managers, args.days, end, paths, progress()).await?;
    print!("{}", outcome.summary());
    Ok(())
}

fn init(config: Option<PathBuf>, args: InitArgs) -> anyhow::Result<()> {
    let path = args.path.unwrap_or_else(|| Config::path(config));
    println!("{}", app::init(&path, args.force)?);
    Ok(())
}

async fn check_config(flag: Option<PathBuf>) -> anyhow::Result<()> {
    let (config, path) = load_config(flag)?;
    // The schemes against those already in force, before the file is called valid.
    let schemes = app::kpi::check_schemes(&config, &path, Utc::now()).await?;
    print!("{}", app::check_config(&config, &path));
    if let Some(line) = schemes {
        println!("{line}");
    }
    print!("{}", app::check_cdr_tables(&config).await?);
    Ok(())
}

async fn serve(flag: Option<PathBuf>, args: ServeArgs) -> anyhow::Result<()> {
    use salespulse::clock::Clock;
    use salespulse::serve::ServeOptions;
    let (config, _) = load_config(flag)?;
    let clock = match args.clock_start {
        Some(t) => Clock::starting_at(t, args.speed),
        None => Clock::real(),
    };
    let options = ServeOptions {
        clock,
        instance: args.instance.unwrap_or_else(ServeOptions::instance_name),
    };
    with_store(&config.clone(), clock.now(), async |store| {
        let stop = salespulse::shutdown::stop_signal();
        salespulse::serve::run(config, store.clone(), options, stop).await
    })
    .await
}

async fn bot(flag: Option<PathBuf>) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    with_store(&config.clone(), Utc::now(), async |store| {
        let state = Arc::new(salespulse::bot::telegram::State::new(
            store.clone(),
            config,
            salespulse::clock::Clock::real(),
        )?);
        salespulse::bot::telegram::run(state).await
    })
    .await
}

async fn ask(flag: Option<PathBuf>, args: AskArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let said = match (&args.press, &args.text) {
        (Some(data), _) => salespulse::bot::ask::Said::Press(data),
        (None, Some(text)) => salespulse::bot::ask::Said::Text(text),
        (None, None) => anyhow::bail!("give a message, or --press with a button's data"),
    };
    let (reply, latency) =
        salespulse::bot::ask::ask(&config, &args.as_who, said, args.repeat, now).await?;
    for m in &reply.messages {
        println!("{m}");
    }
    // Each button with what pressing it takes: `--press DATA`.
    for b in &reply.buttons {
        println!("[{}] --press '{}'", b.label, b.callback_data());
    }
    for photo in &reply.photos {
        println!(
            "[photo {}, {} bytes]",
            photo.chart.name,
            photo.chart.png.len()
        );
    }
    if let Some(latency) = latency {
        eprintln!("{latency}");
    }
    Ok(())
}

async fn invite(flag: Option<PathBuf>, args: InviteArgs) -> anyhow::Result<()> {
    let valid_hours = args.valid_hours;
    anyhow::ensure!(
        (1..=24 * 30).contains(&valid_hours),
        "--valid-hours {valid_hours} is out of range (expected 1 to 720)"
    );
    let (config, _) = load_config(flag)?;
    let now = Utc::now();
    let (code, name, expires) = with_store(&config, now, async |store| {
        salespulse::bot::access::invite(store.as_ref(), &config, &args.employee, valid_hours, now)
            .await
    })
    .await?;
    println!("{code}");
    eprintln!(
        "{name}: send /start {code} to the bot; the code works once, until {} UTC.",
        expires.format("%Y-%m-%d %H:%M")
    );
    Ok(())
}

async fn migrate(flag: Option<PathBuf>) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let store = salespulse::storage::open(config.database_url.expose()).await?;
    let done = async {
        app::sync_directory(store.as_ref(), &config).await?;
        app::kpi::guard(store.as_ref(), &config, Utc::now()).await
    }
    .await;
    if done.is_ok() {
        println!("The {} database is up to date.", store.backend());
    }
    store.close().await;
    done
}

async fn ingest(flag: Option<PathBuf>, args: IngestArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let reports = app::ingest(&config, args.source.as_deref(), &args.paths, progress()).await?;
    for r in &reports {
        print!("{}", r.summary(max_rejects(args.all_rejects)));
    }
    Ok(())
}

async fn pull(flag: Option<PathBuf>, args: PullArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let (source, since) = (args.source.as_deref(), args.since.as_deref());
    let pulls = app::pull::all::pull(&config, source, since, progress()).await?;
    for p in &pulls {
        let summary = app::pull::all::summary(p, max_rejects(args.all_rejects));
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
    Ok(())
}

/// The message catalog with the admin's edits from `templates_dir`.
fn catalog(config: &Config) -> anyhow::Result<salespulse::words::Catalog> {
    Ok(salespulse::words::Catalog::new(
        config.templates_dir.as_deref(),
    )?)
}

/// The reader's words: `--lang`, else the locale of the report's team (a
/// person's team), else of the first team.
fn speech<'a>(
    catalog: &'a salespulse::words::Catalog,
    config: &Config,
    team: &str,
    lang: Option<cli::Lang>,
) -> figures_text::Speech<'a> {
    let locale = lang.map(Into::into).unwrap_or_else(|| {
        config
            .team(team)
            .or(config.teams.first())
            .map_or(salespulse::config::Locale::Ru, |t| t.locale)
    });
    figures_text::Speech { catalog, locale }
}

async fn report_figures(flag: Option<PathBuf>, args: FiguresArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let scope = scope(args.employee, args.team)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let (from, to) = (args.from, args.to.unwrap_or(args.from));
    let days = (to - from).num_days() + 1;
    if days < 1 {
        anyhow::bail!("--to {to} is before --from {from}");
    }
    if days > MAX_REPORT_DAYS {
        anyhow::bail!(
            "--from {from} --to {to} is {days} days; a report covers at most {MAX_REPORT_DAYS} days: ask for it a year at a time"
        );
    }
    // The printout shows the team's whole funnel beside the person's.
    let report = with_store(&config, now, async |store| {
        let want = figures::Want {
            team_funnel: figures::TeamFunnel::Full,
            records: args.with_records,
        };
        Ok(figures::build_with(store.as_ref(), &config, &scope, from, to, now, want).await?)
    })
    .await?;
    let report = if args.with_records {
        report
    } else {
        report.without_records()
    };
    match args.format {
        Format::Text => {
            let catalog = catalog(&config)?;
            let speech = speech(&catalog, &config, &report.team, args.lang);
            print!("{}", figures_text::render(speech, &report, args.explain));
        }
        Format::Json => print_json(&report)?,
    }
    Ok(())
}

/// Writes `value` to stdout as indented JSON, as it is made (a team's
/// month is tens of megabytes: no copy of it is held).
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

async fn report_kpi(flag: Option<PathBuf>, args: KpiArgs) -> anyhow::Result<()> {
    use salespulse::report::kpi;
    let (config, _) = load_config(flag)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let month = match args.month {
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .with_context(|| format!("--month {m:?} is not a month (expected YYYY-MM)"))?,
        None => app::kpi::today(&config, now),
    };
    let scope = scope(args.employee, args.team)?;
    let report = with_store(&config, now, async |store| {
        Ok(kpi::build(store.as_ref(), &config, &scope, month, now, args.explain).await?)
    })
    .await?;
    let places = kpi::leaderboard(&report, &args.by);
    match args.format {
        Format::Text => {
            let all: Vec<_> = places.iter().collect();
            let catalog = catalog(&config)?;
            let speech = speech(&catalog, &config, &report.team, args.lang);
            print!(
                "{}",
                app::kpi::render_text_in(speech, &report, &all, args.explain)
            );
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "report": report,
                "leaderboard": places,
            }))?
        ),
    }
    Ok(())
}

async fn report_manager(flag: Option<PathBuf>, args: ManagerArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let (first, last) = (args.date, args.to.unwrap_or(args.date));
    let files = with_store(&config, now, async |store| {
        let store = store.as_ref();
        app::digest::write_manager_card(store, &config, &args.employee, first, last, now, &args.out)
            .await
    })
    .await?;
    print_written(&files);
    Ok(())
}

async fn report_weekly(flag: Option<PathBuf>, args: WeeklyArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let email = args.deliver == Delivery::Email;
    if email && config.email.is_none() {
        anyhow::bail!(
            "--deliver email needs an [email] section in the config (smtp_host, from; see `salespulse init`)"
        );
    }
    let now = args.now.unwrap_or_else(Utc::now);
    let day = args
        .date
        .unwrap_or_else(|| (now - chrono::Duration::days(7)).date_naive());
    let (team, out) = (&args.team, &args.out);
    let files = with_store(&config, now, async |store| {
        app::weekly::write_weekly(store.as_ref(), &config, team, day, now, out, args.deliver).await
    })
    .await?;
    println!("{}", files.subject);
    for f in [&files.html, &files.xlsx]
        .into_iter()
        .chain(&files.eml)
        .chain(&files.charts)
    {
        eprintln!("wrote {}", f.display());
    }
    if !email {
        return Ok(());
    }
    let Some(email) = &files.email else {
        anyhow::bail!(
            "nobody to send the weekly report of team {team} to: give an owner or a head of the team an `email`, or set email.to"
        );
    };
    let deliveries = app::weekly::send_weekly(&config, email).await?;
    for d in &deliveries {
        match &d.result {
            Ok(answer) => println!("sent to {} ({answer})", d.to),
            Err(e) => eprintln!("not sent to {}: {e}", d.to),
        }
    }
    let failed = deliveries.iter().filter(|d| d.result.is_err()).count();
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} recipients did not get the weekly report",
            deliveries.len()
        );
    }
    Ok(())
}

async fn alerts(flag: Option<PathBuf>, args: AlertsArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    if let Some(t) = args.team.as_deref() {
        app::team(&config, t)?;
    }
    let catalog = catalog(&config)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let teams = with_store(&config, now, async |store| {
        app::alerts::check(store, &config, &catalog, args.team.as_deref(), now).await
    })
    .await?;
    match args.format {
        Format::Json => {
            let all: Vec<_> = teams
                .iter()
                .flat_map(|t| t.alerts.iter().map(|(a, _)| a))
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        Format::Text => {
            for t in &teams {
                for (_, text) in &t.alerts {
                    println!("{}: {text}", t.team);
                }
            }
        }
    }
    Ok(())
}

async fn rollup(flag: Option<PathBuf>, args: RollupArgs) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let filled = with_store(&config, now, async |store| {
        app::rollup::fill(
            store,
            &config,
            args.team.as_deref(),
            args.from,
            args.to,
            now,
        )
        .await
    })
    .await?;
    for f in filled {
        println!(
            "{}: {} to {}: {} person-days computed, {} stored already ({:.1} s)",
            f.team, f.first, f.last, f.computed, f.kept, f.seconds
        );
    }
    Ok(())
}

async fn report_digest(flag: Option<PathBuf>, args: DigestArgs) -> anyhow::Result<()> {
    use salespulse::delivery::telegram::ChatOutcome;
    let (config, _) = load_config(flag)?;
    let team = app::team(&config, &args.team)?.clone();
    let now = args.now.unwrap_or_else(Utc::now);
    let day = args.date.unwrap_or_else(|| {
        let today = now.with_timezone(&team.timezone).date_naive();
        salespulse::report::digest::digest_day(today, |d| team.is_working_day(d))
    });
    let sent = with_store(&config, now, async |store| {
        let store = store.as_ref();
        let files =
            app::digest::write_digest(store, &config, &team.id, day, now, &args.out).await?;
        print_written(&files);
        if args.deliver != Delivery::Telegram {
            return Ok(Vec::new());
        }
        app::digest::send_digest(store, &config, &team.id, &files, Utc::now()).await
    })
    .await?;
    for (chat, outcome) in &sent {
        eprintln!("chat {chat}: {outcome:?}");
    }
    let failed = sent.iter().filter(|(_, o)| *o != ChatOutcome::Sent).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} chats did not get the digest", sent.len());
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
