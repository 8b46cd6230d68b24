//! `report weekly`: the owner's weekly report as an HTML page with its
//! charts beside it, and the XLSX workbook.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::config::{Config, Delivery, TeamConfig};
use crate::domain::Role;
use crate::render::charts;
use crate::render::email::{EmailContent, XLSX, build_message};
use crate::render::spreadsheet::weekly_workbook;
use crate::render::{Templates, locale_dir};
use crate::report::figures::{self, FiguresReport, Scope};
use crate::report::weekly::{week_start, weekly};
use crate::storage::Store;
use crate::words::Words;

#[derive(Debug)]
pub struct WeeklyFiles {
    pub subject: String,
    pub html: PathBuf,
    pub xlsx: PathBuf,
    pub charts: Vec<PathBuf>,
    /// The `.eml` file, when asked for and there is someone to send to.
    pub eml: Option<PathBuf>,
    /// The email, when there is someone to send it to.
    pub email: Option<WeeklyEmail>,
}

/// The weekly report as an email, ready to send or to write as `.eml`.
#[derive(Debug, Clone)]
pub struct WeeklyEmail {
    pub message: lettre::Message,
    pub recipients: Vec<String>,
}

/// Who gets the weekly email: `email.to` when set, else the owners with an
/// address, else the team's heads.
pub fn recipients(config: &Config, team: &str) -> Vec<String> {
    if let Some(email) = &config.email
        && !email.to.is_empty()
    {
        return email.to.clone();
    }
    let with_role = |role: Role| -> Vec<String> {
        config
            .employees
            .iter()
            .filter(|e| e.role == role && (role == Role::Owner || e.team == team))
            .filter_map(|e| e.email.as_ref().map(|m| format!("{} <{m}>", e.name)))
            .collect()
    };
    let owners = with_role(Role::Owner);
    if owners.is_empty() {
        with_role(Role::Head)
    } else {
        owners
    }
}

/// How the page names each chart: a file beside it, or an inline image.
#[derive(Serialize)]
struct ChartFiles {
    trends: String,
    plan: String,
    funnel: String,
}

impl ChartFiles {
    fn named(name: impl Fn(&str) -> String) -> Self {
        ChartFiles {
            trends: name(CHARTS[0]),
            plan: name(CHARTS[1]),
            funnel: name(CHARTS[2]),
        }
    }
}

async fn days(
    store: &Store,
    config: &Config,
    team: &str,
    first: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<FiguresReport>> {
    let mut out = Vec::new();
    for i in 0..7 {
        let day = first + Duration::days(i);
        out.push(
            figures::summary(store, config, &Scope::Team(team.to_owned()), day, day, now).await?,
        );
    }
    Ok(out)
}

/// The figures of a weekly report: the week, the week before (as it stood
/// when it ended), each of their days, and the month's bonus so far.
struct Week {
    monday: NaiveDate,
    this: FiguresReport,
    last: FiguresReport,
    this_days: Vec<FiguresReport>,
    last_days: Vec<FiguresReport>,
    kpi: Option<crate::report::kpi::KpiReport>,
}

async fn build_week(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Week> {
    let monday = week_start(day);
    let (sunday, last_monday) = (monday + Duration::days(6), monday - Duration::days(7));
    let scope = Scope::Team(team.id.clone());
    let this = figures::summary(store, config, &scope, monday, sunday, now).await?;
    // Last week as it stood when it ended (its overdue tasks and stuck
    // deals); while this week is under way, only its same weekdays, as they
    // stood a week ago.
    let week_began = crate::calendar::day_range(team.timezone, monday).0.min(now);
    let today = crate::calendar::local_day(team.timezone, now);
    let (last_through, last_now) = if today < sunday {
        (
            last_monday + (today.max(monday) - monday),
            now - Duration::days(7),
        )
    } else {
        (monday - Duration::days(1), week_began)
    };
    let last = figures::summary(store, config, &scope, last_monday, last_through, last_now).await?;
    let this_days = days(store, config, &team.id, monday, now).await?;
    let last_days = days(store, config, &team.id, last_monday, week_began).await?;
    // The bonus of the month the week ends in, so far.
    let kpi = if config.kpi.schemes.is_empty() {
        None
    } else {
        let today = crate::calendar::local_day(team.timezone, now);
        Some(crate::report::kpi::build(store, config, &scope, sunday.min(today), now, false).await?)
    };
    Ok(Week {
        monday,
        this,
        last,
        this_days,
        last_days,
        kpi,
    })
}

/// Draws the week's charts (off the async runtime's threads), in the order
/// of [`CHARTS`].
async fn draw_charts(
    week: &Week,
    team: &TeamConfig,
    words: Words<'_>,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let successful = |reports: &[FiguresReport]| -> Vec<f64> {
        reports
            .iter()
            .map(|r| {
                r.employees
                    .iter()
                    .map(|e| e.telephony.successful_contacts.value)
                    .sum()
            })
            .collect()
    };
    let day = |i: usize| week.monday + Duration::days(i as i64);
    let working: Vec<usize> = (0..7).filter(|i| team.is_working_day(day(*i))).collect();
    let labels: Vec<String> = working.iter().map(|i| words.day(day(*i))).collect();
    let pick = |v: Vec<f64>| working.iter().map(|i| v[*i]).collect::<Vec<_>>();
    let now_series = pick(successful(&week.this_days));
    let then_series = pick(successful(&week.last_days));
    let plan_rows = super::digest::plan_chart_rows(&week.this, None, words);
    let word = |id: &str| words.text(id, &[]);
    let (trend_title, legend, plan_title, funnel_title) = (
        word("chart-week-trend"),
        [word("chart-week-this"), word("chart-week-last")],
        word("chart-week-plan"),
        word("chart-week-funnel"),
    );
    let funnel = week.this.team_funnel.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(vec![
            charts::trend_chart(
                &trend_title,
                &labels,
                &now_series,
                &then_series,
                [&legend[0], &legend[1]],
            )?,
            charts::plan_chart(&plan_title, &plan_rows)?,
            charts::funnel_chart(&funnel_title, &funnel, None)?,
        ])
    })
    .await?
}

/// The week's charts: how the page names them (`trends`, `plan`, `funnel`).
const CHARTS: [&str; 3] = ["trends", "plan", "funnel"];

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The report's words: the week's model and KPI section through the
/// locale's templates.
struct Pages {
    templates: Templates,
    dir: &'static str,
    model: crate::report::weekly::Weekly,
    kpi: Option<crate::report::kpi::KpiSection>,
    subject: String,
}

impl Pages {
    fn context(&self, charts: Option<&ChartFiles>) -> minijinja::Value {
        minijinja::context! {
            charts => charts,
            subject => &self.subject,
            kpi => &self.kpi,
            ..minijinja::Value::from_serialize(&self.model)
        }
    }

    /// The HTML page, its charts named as `charts` says.
    fn page(&self, charts: &ChartFiles) -> anyhow::Result<String> {
        let name = format!("{}/weekly.html", self.dir);
        Ok(self.templates.render(&name, self.context(Some(charts)))?)
    }

    fn text(&self) -> anyhow::Result<String> {
        let name = format!("{}/weekly.txt", self.dir);
        Ok(self.templates.render(&name, self.context(None))?)
    }
}

/// The weekly email to the team's owners (or heads), with the page's charts
/// inline by Content-ID and the workbook attached; `None` with no one to
/// send to.
fn email(
    config: &Config,
    team: &str,
    pages: &Pages,
    stem: &str,
    charts: &[Vec<u8>],
    book: Vec<u8>,
) -> anyhow::Result<Option<WeeklyEmail>> {
    let to = recipients(config, team);
    if to.is_empty() {
        tracing::info!(
            team,
            "no owner or head with an email address: no weekly email"
        );
        return Ok(None);
    }
    let cids = ChartFiles::named(|chart| format!("cid:{chart}"));
    let images = CHARTS
        .iter()
        .zip(charts)
        .map(|(cid, png)| (cid.to_string(), png.clone()))
        .collect();
    let email = config.email.as_ref();
    let from = email
        .map(|e| e.from.clone())
        .unwrap_or_else(|| "salespulse <reports@localhost>".to_owned());
    let message = build_message(EmailContent {
        from: &from,
        to: &to,
        reply_to: email.and_then(|e| e.reply_to.as_deref()),
        subject: &pages.subject,
        html: pages.page(&cids)?,
        text: pages.text()?,
        images,
        attachment: Some((format!("{stem}.xlsx"), book, XLSX)),
    })?;
    Ok(Some(WeeklyEmail {
        message,
        recipients: to,
    }))
}

/// Renders the weekly report of the week that holds `day` into `out_dir`:
/// the figures, then the charts, then the files, then the email.
pub async fn write_weekly(
    store: &Store,
    config: &Config,
    team: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
    out_dir: &Path,
    deliver: Delivery,
) -> anyhow::Result<WeeklyFiles> {
    let team_config = super::team(config, team)?.clone();
    let week = build_week(store, config, &team_config, day, now).await?;
    let templates = Templates::new(config.templates_dir.clone())?;
    let catalog = templates.catalog().clone();
    let words = catalog.words(team_config.locale);
    let drawn = draw_charts(&week, &team_config, words).await?;
    let dir = locale_dir(team_config.locale);
    let model = weekly(&week.this, &week.last, words);
    let subject = templates
        .render(&format!("{dir}/weekly.subject.txt"), &model)?
        .trim()
        .to_owned();
    let pages = Pages {
        templates,
        dir,
        model,
        kpi: week
            .kpi
            .as_ref()
            .map(|k| crate::report::kpi::section(k, words)),
        subject,
    };

    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let stem = format!("weekly-{team}-{}", week.monday);
    let names = ChartFiles::named(|chart| format!("{stem}.{chart}.png"));
    let mut chart_paths = Vec::new();
    for (name, png) in CHARTS.iter().zip(&drawn) {
        let path = out_dir.join(format!("{stem}.{name}.png"));
        write(&path, png)?;
        chart_paths.push(path);
    }
    let html_path = out_dir.join(format!("{stem}.html"));
    write(&html_path, pages.page(&names)?)?;
    let book = weekly_workbook(&week.this_days, &week.this, week.kpi.as_ref(), words)?;
    let xlsx_path = out_dir.join(format!("{stem}.xlsx"));
    write(&xlsx_path, &book)?;

    let email = email(config, team, &pages, &stem, &drawn, book)?;
    let eml = match (&email, deliver) {
        (Some(email), Delivery::File) => {
            let path = out_dir.join(format!("{stem}.eml"));
            write(&path, email.message.formatted())?;
            Some(path)
        }
        _ => None,
    };
    Ok(WeeklyFiles {
        eml,
        email,
        subject: pages.subject,
        html: html_path,
        xlsx: xlsx_path,
        charts: chart_paths,
    })
}

/// Sends the weekly email over SMTP to each recipient; the failures are
/// in the result beside the successes.
pub async fn send_weekly(
    config: &Config,
    email: &WeeklyEmail,
) -> anyhow::Result<Vec<crate::delivery::email::Delivery>> {
    let smtp = config.email.as_ref().context(
        "sending email needs an [email] section in the config (smtp_host, from; see `salespulse init`)",
    )?;
    let mailer = crate::delivery::email::Mailer::new(smtp)?;
    Ok(mailer.send(&email.message, &email.recipients).await)
}
