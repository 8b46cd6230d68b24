//! The command line's words: commands, their flags and their help. What
//! they do is in `main.rs` and the library.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

use salespulse::config::Delivery;

#[derive(Parser)]
#[command(
    name = "salespulse",
    version,
    about = "Reports for heads of sales: call pulse, plan vs actual, funnel, CRM hygiene.",
    long_about = "salespulse pulls call records and CRM data into a database and computes what a \
                  sales department really does.\n\nStart with `salespulse demo`, then `salespulse init` \
                  to write a config for your own department."
)]
pub struct Cli {
    /// The config file [default: $SALESPULSE_CONFIG, else ./salespulse.toml]
    #[arg(long, short, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Generate a demo department's month, ingest it into SQLite, and say what it made.
    ///
    /// Writes the PBX and CRM files a real department would have, a config for them,
    /// and a SQLite database, then ingests the files through the real path.
    ///
    /// Example: salespulse demo --seed 7 --managers 12 --days 30
    Demo(DemoArgs),
    /// Write a commented example config to start from.
    ///
    /// Example: salespulse init salespulse.toml
    Init(InitArgs),
    /// Validate the config and say what it sets up; every problem is named with its key.
    ///
    /// Example: salespulse --config salespulse.toml check-config
    CheckConfig,
    /// Run the Telegram bot alone: long polling (or the webhook, when
    /// telegram.webhook_url is set), chat commands answered for each person as their
    /// role allows (the [telegram] section of the config gives the token's env var).
    ///
    /// Example: SALESPULSE_BOT_TOKEN=123:abc salespulse bot
    Bot,
    /// Run everything as a service: the [[schedules]] (digests, weekly reports, pulls)
    /// in each team's timezone, the delivery workers with retries, the Telegram bot,
    /// and /healthz + /metrics on serve.listen. SIGTERM or Ctrl-C lets what is in hand
    /// finish. Several instances may share one Postgres database.
    ///
    /// Example: salespulse --config /etc/salespulse/salespulse.toml serve
    ///
    /// Example (a rehearsal: Monday 08:59 Moscow time, a minute per second):
    /// salespulse serve --clock-start 2026-11-23T05:59:00Z --speed 60
    Serve(ServeArgs),
    /// Answer a chat command as the bot would answer a person, printed here: to see
    /// what someone gets, and to time the answers (--repeat prints p50 and p99).
    ///
    /// Example: salespulse ask --as Иванов "/me вчера"
    ///          salespulse ask --as head "/kpi Иванов" --repeat 1000
    #[command(verbatim_doc_comment)]
    Ask(AskArgs),
    /// Make a one-time code that links a Telegram account to an employee: they send
    /// `/start CODE` to the bot.
    ///
    /// Example: salespulse invite Иванов --valid-hours 72
    Invite(InviteArgs),
    /// Create or update the database schema.
    ///
    /// Example: salespulse --config salespulse.toml migrate
    Migrate,
    /// Read files from a source into the database: an Asterisk Master.csv, a calls CSV,
    /// or CRM exchange files (a folder of them works too).
    ///
    /// Reading the same file again changes nothing. Bad rows are set aside with file,
    /// line and reason (table ingest_errors) while good rows go in.
    ///
    /// Examples:
    ///   salespulse ingest --source pbx /var/log/asterisk/cdr-csv/Master.csv
    ///   salespulse ingest --source crm exports/deals.jsonl exports/tasks.csv
    #[command(verbatim_doc_comment)]
    Ingest(IngestArgs),
    /// Bring sources up to date now, each from where its last pull stopped: the new
    /// files of a drop folder (each file read once, by content), the lines added to a
    /// followed Master.csv (across log rotation), the changes of a Bitrix24 or amoCRM
    /// portal (less an overlap for late changes).
    ///
    /// Without SOURCE, pulls every source that has something to pull. A re-run
    /// duplicates nothing; a pull cut short resumes where it stopped. Exits non-zero
    /// when a pull failed.
    ///
    /// Examples:
    ///   salespulse pull
    ///   salespulse pull pbx
    ///   salespulse pull b24 --since 2026-11-01
    #[command(verbatim_doc_comment)]
    Pull(PullArgs),
    /// Reports: every figure, the morning digest, the manager card, the weekly owner report.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Compute the daily roll-up ahead of time: each manager's figures per day, which
    /// reports and chat answers add up. They compute the days they lack on their own;
    /// after a large ingest this takes that wait off the first of them.
    ///
    /// Examples:
    ///   salespulse rollup
    ///   salespulse rollup --team moscow --from 2026-09-01
    #[command(verbatim_doc_comment)]
    Rollup(RollupArgs),
    /// The intraday alerts each team's [[alerts]] owe now: missed calls not called
    /// back in time, managers short of calls by an hour, managers idle now; worded
    /// as the team's heads read them.
    ///
    /// Examples:
    ///   salespulse alerts
    ///   salespulse alerts --team moscow --now 2026-11-19T08:30:00Z --format json
    #[command(verbatim_doc_comment)]
    Alerts(AlertsArgs),
    /// Write a large generated Asterisk Master.csv, for benchmarks.
    ///
    /// Example: salespulse generate-cdr --rows 1000000 --out bench/Master.csv
    GenerateCdr(GenerateCdrArgs),
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Every figure of a person or a team over a period, as a text table or JSON.
    ///
    /// Examples:
    ///   salespulse report figures --team moscow --from 2026-11-16 --to 2026-11-16
    ///   salespulse report figures --employee Иванов --from 2026-11-01 --to 2026-11-30 --format json
    #[command(verbatim_doc_comment)]
    Figures(FiguresArgs),
    /// KPI and bonus for a month: the bonus table (ranked), each amount opened into
    /// its rule with the numbers put in; for the month under way, the forecast at
    /// the pace so far.
    ///
    /// Examples:
    ///   salespulse report kpi --month 2026-11 --team moscow
    ///   salespulse report kpi --month 2026-11 --employee Иванов --explain
    ///   salespulse report kpi --month 2026-11 --team moscow --by meetings
    #[command(verbatim_doc_comment)]
    Kpi(KpiArgs),
    /// One manager's card (what `/me` answers) for a day or a period, as Telegram HTML
    /// and text, with the day's call pulse chart, written to files and printed.
    ///
    /// Example: salespulse report manager --employee Иванов --date 2026-11-19 --out out/
    Manager(ManagerArgs),
    /// The owner's weekly report of a team: an HTML page (the email body) with its charts,
    /// and the XLSX workbook (managers by day, stuck deals, overdue tasks); the email
    /// written as .eml or sent over SMTP.
    ///
    /// Example: salespulse report weekly --team moscow --date 2026-11-16 --out out/
    ///          salespulse report weekly --team moscow --deliver email
    Weekly(WeeklyArgs),
    /// The morning digest of a team for a day, as Telegram HTML (split to Telegram's
    /// 4096-character limit) and plain text, written to files and printed.
    ///
    /// Example: salespulse report digest --team moscow --date 2026-11-19 --out out/
    Digest(DigestArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--deliver` of `digest`: where the morning digest goes besides the files.
fn digest_delivery() -> impl TypedValueParser<Value = Delivery> {
    PossibleValuesParser::new([PossibleValue::new("file"), PossibleValue::new("telegram")])
        .map(|name| delivery_named(&name))
}

/// `--deliver` of `weekly`: what to do with the weekly email.
fn weekly_delivery() -> impl TypedValueParser<Value = Delivery> {
    PossibleValuesParser::new([
        PossibleValue::new("file").help("Write it as an `.eml` file beside the page"),
        PossibleValue::new("email").help("Send it now over SMTP (`[email]` in the config)"),
    ])
    .map(|name| delivery_named(&name))
}

/// The delivery a `--deliver` value names (the parsers allow only known ones).
fn delivery_named(name: &str) -> Delivery {
    [Delivery::Telegram, Delivery::Email]
        .into_iter()
        .find(|d| d.name() == name)
        .unwrap_or(Delivery::File)
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed gives the same department.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Managers in the team (a head and an owner are added).
    #[arg(long, default_value_t = 12)]
    pub managers: usize,
    /// Calendar days to generate, ending at --end.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// The last day generated [default: yesterday]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end: Option<NaiveDate>,
    /// The SQLite database to write (replaced if it exists).
    #[arg(long, default_value = "salespulse-demo.db")]
    pub db: PathBuf,
    /// Where the generated source files go.
    #[arg(long, default_value = "salespulse-demo-data")]
    pub data_dir: PathBuf,
    /// Where the demo's config goes.
    #[arg(long, default_value = "salespulse-demo.toml")]
    pub config_out: PathBuf,
    /// Where the rendered reports go.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
}

#[derive(clap::Args)]
pub struct InitArgs {
    /// Where to write it [default: the --config path, else ./salespulse.toml]
    pub path: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Start the clock at this instant instead of now (RFC 3339)
    #[arg(long)]
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Run the clock this many times faster than real time (with --clock-start)
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// This instance's name in logs, claims and the journal [default: host-pid]
    #[arg(long)]
    pub instance: Option<String>,
}

#[derive(clap::Args)]
pub struct AskArgs {
    /// The person asking: id, a unique part of the name, or @username.
    #[arg(long = "as")]
    pub as_who: String,
    /// The message, e.g. "/why successful Иванов 20.11".
    #[arg(required_unless_present = "press")]
    pub text: Option<String>,
    /// Press a button of an earlier answer instead: the callback data
    /// printed after its label, e.g. --press "e:/me 19.11.2026".
    #[arg(long, value_name = "DATA", conflicts_with = "text")]
    pub press: Option<String>,
    /// Answer it this many times and print the latency.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// The moment to answer at [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(clap::Args)]
pub struct InviteArgs {
    /// Their id, a unique part of their name, or @username.
    pub employee: String,
    /// How long the code stays good.
    #[arg(long, default_value_t = 72)]
    pub valid_hours: i64,
}

#[derive(clap::Args)]
pub struct IngestArgs {
    /// The source's name in the config [default: the only source]
    #[arg(long, short)]
    pub source: Option<String>,
    /// Show every rejected row, not just the first ten.
    #[arg(long)]
    pub all_rejects: bool,
    /// Files or folders to read.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
pub struct PullArgs {
    /// The source's name in the config [default: every source with something to pull]
    pub source: Option<String>,
    /// Start here instead of at the last pull's cursor: YYYY-MM-DD (midnight in the
    /// source's timezone) or an RFC 3339 time. A drop folder leaves files changed
    /// before it alone; a followed file always goes on from its cursor.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Show every rejected row or record, not just the first ten.
    #[arg(long)]
    pub all_rejects: bool,
}

#[derive(clap::Args)]
pub struct AlertsArgs {
    /// One team [default: every team with [[alerts]]]
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The moment taken as now [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(clap::Args)]
pub struct RollupArgs {
    /// One team [default: every team]
    #[arg(long)]
    pub team: Option<String>,
    /// The first day (team time) [default: the first day of last month]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// The last day, included [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// The moment taken as now [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(clap::Args)]
pub struct GenerateCdrArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(clap::Args)]
pub struct FiguresArgs {
    /// A person: their id, a unique part of their name, or @username.
    #[arg(long, conflicts_with = "team", required_unless_present = "team")]
    pub employee: Option<String>,
    /// A team id: all its managers.
    #[arg(long)]
    pub team: Option<String>,
    /// The first day (team time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: NaiveDate,
    /// The last day, included [default: the first day]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Add every figure's rule with the numbers put in (text format).
    #[arg(long)]
    pub explain: bool,
    /// Keep the ids of the records behind each figure in the JSON.
    #[arg(long)]
    pub with_records: bool,
    /// The moment overdue and stuck are judged at [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// The language of the text [default: the team's locale]
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

#[derive(clap::Args)]
pub struct KpiArgs {
    /// The month: 2026-11 [default: the month under way]
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// A person: their id, a unique part of their name, or @username.
    #[arg(long, conflicts_with = "team", required_unless_present = "team")]
    pub employee: Option<String>,
    /// A team id: all its managers.
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Add each figure's own rule and the records behind it (text format).
    #[arg(long)]
    pub explain: bool,
    /// Rank by bonus, plan (completion) or any figure's key
    #[arg(long, default_value = "bonus")]
    pub by: salespulse::report::kpi::RankBy,
    /// The moment the month is judged at [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// The language of the text [default: the team's locale]
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

#[derive(clap::Args)]
pub struct ManagerArgs {
    /// Their id, a unique part of their name, or @username.
    #[arg(long)]
    pub employee: String,
    /// The (first) day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: NaiveDate,
    /// The last day of a period [default: --date]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// The moment overdue and stuck are judged at [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(clap::Args)]
pub struct WeeklyArgs {
    #[arg(long)]
    pub team: String,
    /// Any day of the week [default: a day of last week]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// The moment overdue and stuck are judged at [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// `file` writes the email as an .eml beside the page; `email` sends it
    /// over SMTP now (the [email] section of the config)
    #[arg(long, value_parser = weekly_delivery(), default_value = "file")]
    pub deliver: Delivery,
}

#[derive(clap::Args)]
pub struct DigestArgs {
    #[arg(long)]
    pub team: String,
    /// The day the digest is about [default: the last working day before today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// The moment overdue and stuck are judged at [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// `file` only writes the files; `telegram` also sends the digest to the team's
    /// heads (telegram_id) and its group chat (teams[].telegram_chat_id)
    #[arg(long, value_parser = digest_delivery(), default_value = "file")]
    pub deliver: Delivery,
}

/// The language a report is worded in.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Lang {
    Ru,
    En,
}

impl From<Lang> for salespulse::config::Locale {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Ru => salespulse::config::Locale::Ru,
            Lang::En => salespulse::config::Locale::En,
        }
    }
}
