//! `report weekly`: the owner's weekly report as an HTML page with its
//! charts beside it, and the XLSX workbook.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::config::{Config, Locale};
use crate::domain::Role;
use crate::render::charts;
use crate::render::email::{EmailContent, XLSX, build_message};
use crate::render::spreadsheet::weekly_workbook;
use crate::render::{Templates, locale_dir};
use crate::report::digest::day_label;
use crate::report::figures::{self, FiguresReport, Scope};
use crate::report::weekly::{week_start, weekly};
use crate::storage::Store;

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

/// What to do with the weekly email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deliver {
    /// Write it as an `.eml` file beside the page.
    File,
    /// Send it now over SMTP (`[email]` in the config).
    Email,
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

#[derive(Serialize)]
struct ChartFiles {
    trends: String,
    plan: String,
    funnel: String,
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
            figures::build(store, config, &Scope::Team(team.to_owned()), day, day, now).await?,
        );
    }
    Ok(out)
}

/// Renders the weekly report of the week that holds `day` into `out_dir`.
pub async fn write_weekly(
    store: &Store,
    config: &Config,
    team: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
    out_dir: &Path,
    deliver: Deliver,
) -> anyhow::Result<WeeklyFiles> {
    let team_config = super::team(config, team)?.clone();
    let locale = team_config.locale;
    let monday = week_start(day);
    let (sunday, last_monday) = (monday + Duration::days(6), monday - Duration::days(7));
    let scope = Scope::Team(team.to_owned());
    let this = figures::build(store, config, &scope, monday, sunday, now).await?;
    // Last week as it stood when it ended: its overdue tasks and stuck deals.
    let week_began = crate::calendar::day_range(team_config.timezone, monday)
        .0
        .min(now);
    let last_sunday = monday - Duration::days(1);
    let last = figures::build(store, config, &scope, last_monday, last_sunday, week_began).await?;
    let this_days = days(store, config, team, monday, now).await?;
    let last_days = days(store, config, team, last_monday, week_began).await?;
    let model = weekly(&this, &last, locale);
    // The bonus of the month the week ends in, so far.
    let kpi = if config.kpi.schemes.is_empty() {
        None
    } else {
        let today = crate::calendar::local_day(team_config.timezone, now);
        Some(crate::report::kpi::build(store, config, &scope, sunday.min(today), now).await?)
    };
    let kpi_section = kpi.as_ref().map(crate::report::kpi::section);
    let templates = Templates::new(config.templates_dir.clone());
    let dir = locale_dir(locale);
    let subject = templates
        .render(&format!("{dir}/weekly.subject.txt"), &model)?
        .trim()
        .to_owned();

    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let stem = format!("weekly-{team}-{monday}");
    let names = ChartFiles {
        trends: format!("{stem}.trends.png"),
        plan: format!("{stem}.plan.png"),
        funnel: format!("{stem}.funnel.png"),
    };
    let ru = locale == Locale::Ru;
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
    let working: Vec<usize> = (0..7)
        .filter(|i| team_config.is_working_day(monday + Duration::days(*i as i64)))
        .collect();
    let labels: Vec<String> = working
        .iter()
        .map(|i| day_label(monday + Duration::days(*i as i64), locale))
        .collect();
    let pick = |v: Vec<f64>| working.iter().map(|i| v[*i]).collect::<Vec<_>>();
    let (now_series, then_series) = (pick(successful(&this_days)), pick(successful(&last_days)));
    let plan_rows = super::digest::plan_chart_rows(&this, locale);
    let (trend_title, legend, plan_title, funnel_title) = if ru {
        (
            "Результативные контакты по дням",
            ["эта неделя", "прошлая неделя"],
            "План / факт за неделю",
            "Воронка: открытые сделки и конверсия за неделю",
        )
    } else {
        (
            "Successful contacts by day",
            ["this week", "last week"],
            "Plan vs actual, the week",
            "Funnel: open deals and the week's conversion",
        )
    };
    let funnel = this.team_funnel.clone();
    let drawn = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(vec![
            charts::trend_chart(trend_title, &labels, &now_series, &then_series, legend)?,
            charts::plan_chart(plan_title, &plan_rows)?,
            charts::funnel_chart(funnel_title, &funnel, None)?,
        ])
    })
    .await??;
    let mut chart_paths = Vec::new();
    for (name, bytes) in [&names.trends, &names.plan, &names.funnel]
        .into_iter()
        .zip(drawn)
    {
        let path = out_dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        chart_paths.push(path);
    }

    let context = |charts: Option<&ChartFiles>| {
        minijinja::context! {
            charts => charts,
            subject => &subject,
            kpi => &kpi_section,
            ..minijinja::Value::from_serialize(&model)
        }
    };
    let page = |charts: &ChartFiles| {
        templates.render(&format!("{dir}/weekly.html"), context(Some(charts)))
    };
    let html = page(&names)?;
    let html_path = out_dir.join(format!("{stem}.html"));
    std::fs::write(&html_path, html)
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    let book = weekly_workbook(&this_days, &this, kpi.as_ref())?;
    let xlsx_path = out_dir.join(format!("{stem}.xlsx"));
    std::fs::write(&xlsx_path, &book)
        .with_context(|| format!("cannot write {}", xlsx_path.display()))?;

    // The email: the same page with its charts inline by Content-ID.
    let to = recipients(config, team);
    let email = if to.is_empty() {
        tracing::info!(
            team,
            "no owner or head with an email address: no weekly email"
        );
        None
    } else {
        let cids = ChartFiles {
            trends: "cid:trends".into(),
            plan: "cid:plan".into(),
            funnel: "cid:funnel".into(),
        };
        let mut images = Vec::new();
        for (cid, path) in ["trends", "plan", "funnel"].into_iter().zip(&chart_paths) {
            images.push((
                cid.to_owned(),
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
            ));
        }
        let email = config.email.as_ref();
        let from = email
            .map(|e| e.from.clone())
            .unwrap_or_else(|| "salespulse <reports@localhost>".to_owned());
        let message = build_message(EmailContent {
            from: &from,
            to: &to,
            reply_to: email.and_then(|e| e.reply_to.as_deref()),
            subject: &subject,
            html: page(&cids)?,
            text: templates.render(&format!("{dir}/weekly.txt"), context(None))?,
            images,
            attachment: Some((format!("{stem}.xlsx"), book, XLSX)),
        })?;
        Some(WeeklyEmail {
            message,
            recipients: to,
        })
    };
    let eml = match (&email, deliver) {
        (Some(email), Deliver::File) => {
            let path = out_dir.join(format!("{stem}.eml"));
            std::fs::write(&path, email.message.formatted())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(path)
        }
        _ => None,
    };
    Ok(WeeklyFiles {
        eml,
        email,
        subject,
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
