//! `report digest`: the morning digest of a team, rendered for Telegram (HTML,
//! split to Telegram's limit) and as plain text, written to files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Config, LeaderboardScope};
use crate::domain::{FigureGroup, Role};
use crate::render::charts;
use crate::render::telegram::{MESSAGE_LIMIT, split_message};
use crate::render::{Button, Chart};
use crate::render::{Templates, locale_dir};
use crate::report::digest::digest;
use crate::report::digest::manager_card;
use crate::report::figures::{self, Scope};
use crate::report::visibility::View;
use crate::storage::Store;
use crate::words::{Arg, Words};

mod drawing;
mod notes;
mod quiet;
mod telegram;

use drawing::{ChartInputs, draw_charts};
pub use telegram::{digest_deliveries, digest_outgoing, digest_rich, send_digest, telegram_chats};

pub(super) use drawing::{plan_chart_rows, pulse_legend};

/// What was written.
#[derive(Debug)]
pub struct DigestFiles {
    pub telegram_messages: Vec<PathBuf>,
    pub text: PathBuf,
    pub text_body: String,
    /// PNG charts: the team pulse heat map first (the digest's photo).
    pub charts: Vec<PathBuf>,
    /// Buttons under the digest.
    pub buttons: Vec<Button>,
    /// The digest as rich messages (`*.rich.N.html`), the charts inside
    /// the last.
    pub rich: Vec<PathBuf>,
    /// The copy for the team's group chat, where managers read it, when it
    /// differs: the groups `[visibility]` hides from managers left out, and
    /// the bonuses unless everyone may see everyone's.
    pub team_chat: Option<Box<DigestFiles>>,
}

/// Which group a chart of the digest shows.
fn chart_group(name: &str) -> FigureGroup {
    match name {
        "funnel" => FigureGroup::Funnel,
        "plan" => FigureGroup::Plan,
        _ => FigureGroup::Pulse,
    }
}

/// The digest's drill-down buttons: for each flagged manager, their pulse
/// chart and why they were flagged; then the team's stuck deals, overdue
/// tasks and missed calls of `day`, when there are any. Whoever presses one
/// gets the answer their own rights allow. A command longer than Telegram's
/// 64 bytes of callback data goes by a key (`Button::callback_data`), kept
/// by [`keep_buttons`].
fn buttons(model: &crate::report::digest::Digest, day: NaiveDate, words: Words) -> Vec<Button> {
    let mut out = Vec::new();
    for a in &model.idle {
        let label = words.text("button-pulse", &[("name", Arg::from(a.name.as_str()))]);
        out.push(Button::asks(label, a.command.clone()));
    }
    for a in &model.untraced {
        let label = words.text("button-why", &[("name", Arg::from(a.name.as_str()))]);
        out.push(Button::asks(label, a.command.clone()));
    }
    if model.stuck_deals > 0 {
        let label = words.text("button-stuck", &[("n", Arg::from(model.stuck_deals))]);
        out.push(Button::asks(label, "/stuck"));
    }
    if model.overdue_tasks > 0 {
        let label = words.text("button-overdue", &[("n", Arg::from(model.overdue_tasks))]);
        out.push(Button::asks(label, "/overdue"));
    }
    if let Some(m) = &model.missed_calls {
        let label = words.text("button-missed", &[("n", Arg::from(m.missed))]);
        out.push(Button::asks(
            label,
            format!("/why callback {}", day.format("%d.%m.%Y")),
        ));
    }
    out
}

/// Keeps the commands of `buttons` too long for their callback data, for
/// [`KEPT_DAYS`] from `now`.
pub async fn keep_buttons(
    store: &Store,
    buttons: &[Button],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let kept: Vec<(String, String)> = buttons.iter().filter_map(Button::kept).collect();
    store
        .keep_buttons(&kept, now + chrono::Duration::days(KEPT_DAYS))
        .await?;
    Ok(())
}

/// How long a button's kept command answers a press.
pub const KEPT_DAYS: i64 = 45;

/// Writes a rendered message as Telegram parts (`<stem>.telegram.N.html`,
/// each within Telegram's limit) and as plain text (`<stem>.txt`).
fn write_messages(
    out_dir: &Path,
    stem: &str,
    html: &str,
    text: &str,
) -> anyhow::Result<(Vec<PathBuf>, PathBuf)> {
    let mut parts = Vec::new();
    for (i, part) in split_message(html, MESSAGE_LIMIT).iter().enumerate() {
        let path = out_dir.join(format!("{stem}.telegram.{}.html", i + 1));
        std::fs::write(&path, part).with_context(|| format!("cannot write {}", path.display()))?;
        parts.push(path);
    }
    let text_path = out_dir.join(format!("{stem}.txt"));
    std::fs::write(&text_path, text)
        .with_context(|| format!("cannot write {}", text_path.display()))?;
    Ok((parts, text_path))
}

/// Draws the digest's charts off the runtime and writes them as
/// `<name>-<stem>.png` into the folder; the day's calls read are those of
/// the people whose pulse is drawn, only.
async fn write_charts(
    store: &Store,
    config: &Config,
    team: &crate::config::TeamConfig,
    report: crate::report::figures::FiguresReport,
    (window_funnel, window): (crate::metrics::funnel::Funnel, i64),
    catalog: &std::sync::Arc<crate::words::Catalog>,
    (out_dir, stem): (&Path, String),
) -> anyhow::Result<Vec<PathBuf>> {
    let (from, to) = (report.period.from, report.period.to);
    let ids: Vec<String> = drawing::swimlane_people(&report)
        .iter()
        .map(|e| e.employee_id.clone())
        .collect();
    let calls = if ids.is_empty() {
        Vec::new()
    } else {
        store.calls_between(from, to, &ids).await?
    };
    let success = config.thresholds.success_talk_secs;
    let team_owned = team.clone();
    let drawing = catalog.clone();
    let drawn = tokio::task::spawn_blocking(move || {
        draw_charts(
            &report,
            &calls,
            &team_owned,
            ChartInputs {
                success_secs: success,
                funnel: (&window_funnel, window),
                words: drawing.words(team_owned.locale),
            },
        )
    })
    .await??;
    tracing::info!(charts = drawn.len(), "drew the digest's charts");
    let mut charts = Vec::new();
    for (name, bytes) in drawn {
        let path = out_dir.join(format!("{name}-{stem}.png"));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        charts.push(path);
    }
    Ok(charts)
}

pub async fn write_digest(
    store: &Store,
    config: &Config,
    team: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
    out_dir: &Path,
) -> anyhow::Result<DigestFiles> {
    let team_config = super::team(config, team)?;
    let locale = team_config.locale;
    let report =
        figures::summary(store, config, &Scope::Team(team.to_owned()), day, day, now).await?;
    let templates = Templates::new(config.templates_dir.clone())?;
    let catalog = templates.catalog().clone();
    let words = catalog.words(locale);
    let mut model = digest(&report, &config.stages, words);
    // Conversion over the rolling window: one day is too short for it.
    let window = config.thresholds.funnel_window_days;
    let window_funnel =
        crate::report::funnel::team_funnel_over(store, config, team_config, day, window, now)
            .await?;
    model.funnel = Some(crate::report::digest::DigestFunnel::new(
        &window_funnel,
        window,
        words,
    ));
    notes::add_day_notes(
        store,
        config,
        (team_config, day, now),
        &report,
        words,
        &mut model,
    )
    .await?;
    let dir = locale_dir(locale);
    let html = templates.render(&format!("{dir}/digest.telegram.html"), &model)?;
    let text = templates.render(&format!("{dir}/digest.txt"), &model)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let (telegram_messages, text_path) =
        write_messages(out_dir, &format!("digest-{team}-{day}"), &html, &text)?;
    // The team chat's copy, as managers may read it.
    let managers = View::of(config, Role::Manager);
    let everyones_bonus = config.kpi.leaderboard == LeaderboardScope::Everyone;
    let chat_model = (team_config.telegram_chat_id.is_some()
        && (!managers.hidden().is_empty() || (model.kpi.is_some() && !everyones_bonus)))
        .then(|| model.clone().seen_by(&managers, everyones_bonus));
    let chat_files = match &chat_model {
        Some(m) => {
            let html = templates.render(&format!("{dir}/digest.telegram.html"), m)?;
            let text = templates.render(&format!("{dir}/digest.txt"), m)?;
            let stem = format!("digest-{team}-{day}.team-chat");
            let (messages, text_path) = write_messages(out_dir, &stem, &html, &text)?;
            Some((messages, text_path, text))
        }
        None => None,
    };

    let charts = match model.quiet {
        // A day nothing happened on has no charts.
        Some(_) => Vec::new(),
        None => {
            let funnel = (window_funnel, window);
            let written = (out_dir, format!("{team}-{day}"));
            write_charts(
                store,
                config,
                team_config,
                report,
                funnel,
                &catalog,
                written,
            )
            .await?
        }
    };
    let team_chat = match (chat_model, chat_files) {
        (Some(m), Some((messages, text_path, text))) => {
            let charts = charts_shown(&charts, &managers);
            let stem = format!("digest-{team}-{day}.team-chat");
            Some(Box::new(DigestFiles {
                buttons: buttons(&m, day, words),
                rich: write_rich(&templates, dir, &m, charts.len(), (out_dir, &stem))?,
                charts,
                telegram_messages: messages,
                text: text_path,
                text_body: text,
                team_chat: None,
            }))
        }
        _ => None,
    };
    let rich = write_rich(
        &templates,
        dir,
        &model,
        charts.len(),
        (out_dir, &format!("digest-{team}-{day}")),
    )?;
    let buttons = match model.quiet.is_some() {
        true => Vec::new(),
        false => buttons(&model, day, words),
    };
    keep_buttons(store, &buttons, now).await?;
    if let Some(chat) = &team_chat {
        keep_buttons(store, &chat.buttons, now).await?;
    }
    Ok(DigestFiles {
        buttons,
        charts,
        rich,
        telegram_messages,
        text: text_path,
        text_body: text,
        team_chat,
    })
}

/// The charts of groups `view` shows.
fn charts_shown(charts: &[PathBuf], view: &View) -> Vec<PathBuf> {
    charts
        .iter()
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let kind = name.split('-').next().unwrap_or_default().to_owned();
            view.shows(chart_group(&kind))
        })
        .cloned()
        .collect()
}

/// The id of the `i`-th chart inside a rich message (`tg://photo?id=`).
pub(super) fn chart_id(i: usize) -> String {
    format!("chart{i}")
}

/// Writes the digest as rich messages (`<stem>.rich.N.html`, each within
/// Telegram's limits), its `charts` charts inside the last.
fn write_rich(
    templates: &Templates,
    dir: &str,
    model: &crate::report::digest::Digest,
    charts: usize,
    (out_dir, stem): (&Path, &str),
) -> anyhow::Result<Vec<PathBuf>> {
    let ids: Vec<String> = (0..charts).map(chart_id).collect();
    let parts = crate::render::rich::digest_parts(templates, dir, model, &ids)?;
    let mut paths = Vec::new();
    for (i, html) in parts.iter().enumerate() {
        let path = out_dir.join(format!("{stem}.rich.{}.html", i + 1));
        std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// A person's card in memory: Telegram HTML (whole, to be split), text,
/// and charts by name (`funnel`, and `pulse` for a single day).
pub struct CardParts {
    pub employee_id: String,
    pub html: String,
    pub text: String,
    /// Named `funnel` and `pulse`.
    pub charts: Vec<Chart>,
}

/// Whose card, for which days, for whom.
pub struct CardRequest<'a> {
    pub who: &'a str,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Draw the funnel and (for one day) the pulse chart.
    pub with_charts: bool,
    /// What the reader may see of it.
    pub view: &'a View,
}

/// One person's card (what `/me` answers) for the days `[first, last]`.
pub async fn manager_card_parts(
    store: &Store,
    config: &Config,
    request: CardRequest<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<CardParts> {
    let CardRequest {
        who,
        first,
        last,
        with_charts,
        view,
    } = request;
    let person = figures::find_employee(config, who)?;
    let team_config = super::team(config, &person.team)?.clone();
    let locale = team_config.locale;
    let report = figures::build(
        store,
        config,
        &Scope::Employee(person.id.clone()),
        first,
        last,
        now,
    )
    .await?;
    let e = report
        .employees
        .first()
        .with_context(|| format!("no figures for {}", person.id))?;
    let success = config.thresholds.success_talk_secs;
    let templates = Templates::new(config.templates_dir.clone())?;
    let catalog = templates.catalog().clone();
    let card = manager_card(e, &report, success, catalog.words(locale), view);
    let dir = locale_dir(locale);
    let html = templates.render(&format!("{dir}/manager.telegram.html"), &card)?;
    let text = templates.render(&format!("{dir}/manager.txt"), &card)?;
    let mut charts = Vec::new();
    if !with_charts {
        return Ok(CardParts {
            employee_id: person.id.clone(),
            html,
            text,
            charts,
        });
    }
    // Their funnel, with the stage where they fall behind the team marked.
    if view.shows(FigureGroup::Funnel) {
        let (funnel, neck) = (e.funnel.clone(), e.bottleneck.clone());
        let funnel_title = catalog.words(locale).text(
            "chart-manager-funnel",
            &[("name", Arg::from(e.name.as_str()))],
        );
        let png = tokio::task::spawn_blocking(move || {
            charts::funnel_chart(&funnel_title, &funnel, neck.as_ref())
        })
        .await??;
        charts.push(Chart {
            name: "funnel".into(),
            png,
        });
    }
    if first == last
        && view.shows(FigureGroup::Pulse)
        && let Some(pulse) = e.pulse.iter().find(|p| p.day == first).cloned()
    {
        let calls = store
            .calls_between(
                report.period.from,
                report.period.to,
                std::slice::from_ref(&person.id),
            )
            .await?;
        let words = catalog.words(locale);
        let title = words.text(
            "chart-manager-pulse",
            &[
                ("name", Arg::from(e.name.as_str())),
                ("day", Arg::Text(words.day(first))),
            ],
        );
        let legend = pulse_legend(words);
        let tz = team_config.timezone;
        let png = tokio::task::spawn_blocking(move || {
            charts::pulse_chart(&title, &pulse, &calls, tz, success, &legend)
        })
        .await??;
        charts.push(Chart {
            name: "pulse".into(),
            png,
        });
    }
    Ok(CardParts {
        employee_id: person.id.clone(),
        html,
        text,
        charts,
    })
}

/// `report manager`: one person's card for a day or a period, as Telegram
/// HTML and text, with their pulse chart for a single day.
pub async fn write_manager_card(
    store: &Store,
    config: &Config,
    who: &str,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    out_dir: &Path,
) -> anyhow::Result<DigestFiles> {
    // The command line is the admin's: every group.
    let request = CardRequest {
        who,
        first,
        last,
        with_charts: true,
        view: &View::everything(),
    };
    let card = manager_card_parts(store, config, request, now).await?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let stem = if first == last {
        format!("manager-{}-{first}", card.employee_id)
    } else {
        format!("manager-{}-{first}-{last}", card.employee_id)
    };
    let (telegram_messages, text_path) = write_messages(out_dir, &stem, &card.html, &card.text)?;
    let mut charts = Vec::new();
    for chart in card.charts {
        let path = out_dir.join(format!("{stem}.{}.png", chart.name));
        std::fs::write(&path, chart.png)
            .with_context(|| format!("cannot write {}", path.display()))?;
        charts.push(path);
    }
    Ok(DigestFiles {
        telegram_messages,
        text: text_path,
        text_body: card.text,
        charts,
        buttons: Vec::new(),
        rich: Vec::new(),
        team_chat: None,
    })
}
