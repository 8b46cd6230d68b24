//! What the bot answers: each command turned into HTML messages (split to
//! Telegram's limit) and photos, for the person asking and only what they
//! may see. Nothing here talks to Telegram.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::access::{Refusal, identify, target};
use super::parse::{COMMANDS, Command, Period, echo, parse};
use crate::app::digest::{CardRequest, manager_card_parts};
use crate::config::{Config, EmployeeConfig, Locale};
use crate::domain::{FigureGroup, Role};
use crate::render::Chart;
use crate::render::telegram::{MESSAGE_LIMIT, escape, split_message};
use crate::report::figures::{self, Scope};
use crate::report::kpi::{RankBy, figure_map, leaderboard};
use crate::report::visibility::View;
use crate::storage::{Redeemed, Store};

mod team;

/// A photo to send, with its caption.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub chart: Chart,
    pub caption: Option<String>,
}

/// A message for another chat than the one asking.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub chat: i64,
    pub text: String,
}

/// The answer to one message.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Reply {
    /// Telegram HTML messages, in order, each within the limit.
    pub messages: Vec<String>,
    pub photos: Vec<Photo>,
    /// Messages for other chats (a self-report's differences to the heads).
    pub forwards: Vec<Forward>,
}

impl Reply {
    pub fn html(text: impl AsRef<str>) -> Self {
        Reply {
            messages: split_message(text.as_ref(), MESSAGE_LIMIT),
            photos: Vec::new(),
            forwards: Vec::new(),
        }
    }
}

fn pre(s: &str) -> String {
    format!("<pre>{}</pre>", escape(s.trim_end()))
}

/// `+7 916 ***-**-41`: enough to recognise a call, not to dial it.
pub fn mask_number(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return "***".into();
    }
    let (head, tail) = (&digits[..digits.len() - 7], &digits[digits.len() - 2..]);
    let code = &digits[digits.len() - 10.min(digits.len())..digits.len() - 7];
    let country = &head[..head.len().saturating_sub(code.len())];
    format!("+{country} {code} ***-**-{tail}").replace("+ ", "+")
}

/// The records behind a figure, one line each (a call: its time, masked
/// number, talk time and whether it counts), with the call's recording when
/// its source links one: the viewer may see these calls (`target` checked
/// that). At most 40, then how many more.
fn record_lines(
    records: &[crate::metrics::RecordRef],
    calls: &BTreeMap<String, crate::domain::Call>,
    tz: chrono_tz::Tz,
    success: i64,
) -> String {
    let mut lines = Vec::new();
    let mut links: Vec<Option<&str>> = Vec::new();
    for r in records.iter().take(40) {
        match calls.get(&r.id) {
            Some(c) => {
                lines.push(format!(
                    "{} {}  {}:{:02} {}",
                    c.started_at.with_timezone(&tz).format("%H:%M"),
                    mask_number(c.number.as_str()),
                    c.talk_seconds / 60,
                    c.talk_seconds % 60,
                    if c.talk_seconds >= success {
                        "✔"
                    } else {
                        "✘"
                    }
                ));
                links.push(c.recording_url.as_deref());
            }
            None => {
                lines.push(format!("{:?} {}", r.kind, r.id).to_lowercase());
                links.push(None);
            }
        }
    }
    if records.len() > lines.len() {
        lines.push(format!("… +{}", records.len() - lines.len()));
        links.push(None);
    }
    if links.iter().any(Option::is_some) {
        // Links do not work inside <pre>: one <code> line each.
        let shown: Vec<String> = lines
            .iter()
            .zip(&links)
            .map(|(line, link)| match link {
                Some(url) => format!(
                    "<code>{}</code> <a href=\"{}\">▶</a>",
                    escape(line),
                    escape(url).replace('"', "&quot;")
                ),
                None => format!("<code>{}</code>", escape(line)),
            })
            .collect();
        shown.join("\n")
    } else if !lines.is_empty() {
        pre(&lines.join("\n"))
    } else {
        String::new()
    }
}

pub fn help(ru: bool) -> String {
    let mut out = String::from(if ru {
        "<b>Команды</b>\n"
    } else {
        "<b>Commands</b>\n"
    });
    for (name, desc_ru, desc_en) in COMMANDS {
        let _ = writeln!(
            out,
            "/{name} — {}",
            escape(if ru { desc_ru } else { desc_en })
        );
    }
    out
}

/// The figure a word in `/why` names.
fn figure_key(word: &str) -> Option<&'static str> {
    let w = word.to_lowercase();
    let alias = match w.as_str() {
        "successful" | "результативные" | "рез" => "successful_contacts",
        "trace" | "след" => "calls_without_trace",
        "calls" | "звонки" => "calls_out",
        "cold" | "холодные" => "cold_calls",
        "warm" | "тёплые" | "теплые" => "warm_calls",
        "overdue" | "просроченные" => "overdue_tasks",
        "talk" | "разговоры" => "talk_time",
        "won" | "выиграно" => "deals_won",
        "plan" | "план" => "plan_completion",
        other => other,
    };
    crate::domain::KPI_FIGURES
        .iter()
        .copied()
        .find(|k| *k == alias)
}

/// The figure group a command shows, when it shows one group only; the
/// card (`/me`), `/kpi` and `/report` are judged figure by figure.
fn command_group(command: &Command) -> Option<FigureGroup> {
    match command {
        Command::Pulse { .. } => Some(FigureGroup::Pulse),
        Command::Plan { .. } | Command::Top { .. } => Some(FigureGroup::Plan),
        Command::Funnel { .. } | Command::Stuck { .. } => Some(FigureGroup::Funnel),
        Command::Overdue { .. } => Some(FigureGroup::Hygiene),
        Command::Why { figure, .. } => figure_key(figure).map(FigureGroup::of),
        Command::Start(_)
        | Command::Help
        | Command::Me(_)
        | Command::Kpi { .. }
        | Command::Team
        | Command::Report(_) => None,
    }
}

pub struct Bot<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

impl Bot<'_> {
    fn today_for(&self, e: Option<&EmployeeConfig>) -> NaiveDate {
        let team = e
            .and_then(|e| self.config.team(&e.team))
            .or(self.config.teams.first());
        team.map(|t| crate::calendar::local_day(t.timezone, self.now))
            .unwrap_or_else(|| self.now.date_naive())
    }

    fn last_working_day(&self, e: &EmployeeConfig) -> NaiveDate {
        let today = self.today_for(Some(e));
        match self.config.team(&e.team) {
            Some(t) => crate::report::digest::digest_day(today, |d| t.is_working_day(d)),
            None => today - Duration::days(1),
        }
    }

    fn ru(&self, e: Option<&EmployeeConfig>) -> bool {
        let team = e
            .and_then(|e| self.config.team(&e.team))
            .or(self.config.teams.first());
        team.is_none_or(|t| t.locale == Locale::Ru)
    }

    /// Answers a message from `telegram_id`.
    pub async fn respond(&self, telegram_id: i64, text: &str) -> anyhow::Result<Reply> {
        let viewer = identify(self.store, self.config, telegram_id).await?;
        let ru = self.ru(viewer);
        let today = self.today_for(viewer);
        let command = match parse(text, today) {
            Ok(c) => c,
            Err(why) => {
                if viewer.is_none() {
                    return Ok(Reply::html(unknown(ru)));
                }
                return Ok(Reply::html(format!("{}\n\n{}", escape(&why), help(ru))));
            }
        };
        if let Command::Start(code) = &command {
            return self.start(telegram_id, viewer, code.as_deref(), ru).await;
        }
        let Some(viewer) = viewer else {
            return Ok(Reply::html(unknown(ru)));
        };
        self.dispatch(viewer, command, ru, today).await
    }

    /// Answers `text` as `viewer` would get it (also `salespulse ask`).
    pub async fn respond_as(&self, viewer: &EmployeeConfig, text: &str) -> anyhow::Result<Reply> {
        let ru = self.ru(Some(viewer));
        let today = self.today_for(Some(viewer));
        match parse(text, today) {
            Ok(command) => self.dispatch(viewer, command, ru, today).await,
            Err(why) => Ok(Reply::html(format!("{}\n\n{}", escape(&why), help(ru)))),
        }
    }

    async fn dispatch(
        &self,
        viewer: &EmployeeConfig,
        command: Command,
        ru: bool,
        today: NaiveDate,
    ) -> anyhow::Result<Reply> {
        let refuse = |r: Refusal| Ok(Reply::html(escape(&r.say(ru))));
        if let Some(group) = command_group(&command)
            && !View::of(self.config, viewer.role).shows(group)
        {
            return refuse(Refusal::Hidden);
        }
        match command {
            Command::Start(_) => Ok(Reply::html(help(ru))),
            Command::Help => Ok(Reply::html(help(ru))),
            Command::Me(period) => {
                let p = period.unwrap_or(Period::day(self.last_working_day(viewer)));
                self.card(viewer, viewer, p, false).await
            }
            Command::Pulse { who, day } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => {
                    let d = day.unwrap_or(self.last_working_day(person));
                    self.card(viewer, person, Period::day(d), true).await
                }
                Err(r) => refuse(r),
            },
            Command::Kpi { who, month } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => self.kpi(person, month.unwrap_or(today)).await,
                Err(r) => refuse(r),
            },
            Command::Why { figure, who, day } => {
                match target(self.config, viewer, who.as_deref()) {
                    Ok(person) => {
                        let d = day.unwrap_or(self.last_working_day(person));
                        self.why(person, &figure, d, ru).await
                    }
                    Err(r) => refuse(r),
                }
            }
            Command::Plan { who } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => self.plan(person, ru).await,
                Err(r) => refuse(r),
            },
            Command::Funnel { who } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => {
                    let day = Period::day(self.last_working_day(person));
                    let mut card = self.card(viewer, person, day, true).await?;
                    card.photos
                        .retain(|p| p.chart.name.ends_with("-funnel.png"));
                    card.messages.clear();
                    Ok(card)
                }
                Err(r) => refuse(r),
            },
            Command::Stuck { who } => match self.scope_of(viewer, who.as_deref()) {
                Ok(scope) => self.stuck(viewer, scope, ru).await,
                Err(r) => refuse(r),
            },
            Command::Overdue { who } => match self.scope_of(viewer, who.as_deref()) {
                Ok(scope) => self.overdue(viewer, scope, ru).await,
                Err(r) => refuse(r),
            },
            Command::Top { period } => self.top(viewer, period, ru).await,
            Command::Team => {
                if viewer.role == Role::Manager {
                    return refuse(Refusal::OnlyYourOwn);
                }
                self.top(viewer, Some(Period::day(self.last_working_day(viewer))), ru)
                    .await
            }
            Command::Report(figures) => self.self_report(viewer, &figures, ru).await,
        }
    }

    /// One person's figures for one day.
    async fn day_figures(
        &self,
        employee_id: &str,
        day: NaiveDate,
    ) -> anyhow::Result<figures::FiguresReport> {
        let scope = Scope::Employee(employee_id.to_owned());
        Ok(figures::build(self.store, self.config, &scope, day, day, self.now).await?)
    }

    async fn start(
        &self,
        telegram_id: i64,
        viewer: Option<&EmployeeConfig>,
        code: Option<&str>,
        ru: bool,
    ) -> anyhow::Result<Reply> {
        let Some(code) = code else {
            return Ok(Reply::html(match viewer {
                Some(e) => format!(
                    "{}, {}\n\n{}",
                    escape(&e.name),
                    if ru {
                        "здравствуйте."
                    } else {
                        "hello."
                    },
                    help(ru)
                ),
                None => unknown(ru),
            }));
        };
        let said = match self
            .store
            .redeem_invite(code, telegram_id, self.now)
            .await?
        {
            Redeemed::Linked(id) => {
                let name = self
                    .config
                    .employees
                    .iter()
                    .find(|e| e.id == id)
                    .map(|e| e.name.clone())
                    .unwrap_or(id);
                return Ok(Reply::html(format!(
                    "{} <b>{}</b>.\n\n{}",
                    if ru {
                        "Готово, вы —"
                    } else {
                        "Done, you are"
                    },
                    escape(&name),
                    help(ru)
                )));
            }
            Redeemed::Unknown => (
                "Такого кода нет. Проверьте его или попросите новый.",
                "No such code. Check it or ask for a new one.",
            ),
            Redeemed::Expired => (
                "Срок кода истёк. Попросите новый.",
                "The code has expired. Ask for a new one.",
            ),
            Redeemed::Used => (
                "Этот код уже использован. Попросите новый.",
                "This code has been used already. Ask for a new one.",
            ),
        };
        Ok(Reply::html(if ru { said.0 } else { said.1 }))
    }

    async fn card(
        &self,
        viewer: &EmployeeConfig,
        person: &EmployeeConfig,
        p: Period,
        charts: bool,
    ) -> anyhow::Result<Reply> {
        let view = View::of(self.config, viewer.role);
        let request = CardRequest {
            who: &person.id,
            first: p.first,
            last: p.last,
            with_charts: charts,
            view: &view,
        };
        let card = manager_card_parts(self.store, self.config, request, self.now).await?;
        let mut reply = Reply::html(&card.html);
        for chart in card.charts {
            let name = format!("{}-{}.png", person.id, chart.name);
            reply.photos.push(Photo {
                chart: Chart { name, ..chart },
                caption: None,
            });
        }
        Ok(reply)
    }

    async fn kpi(&self, person: &EmployeeConfig, month: NaiveDate) -> anyhow::Result<Reply> {
        let report = crate::report::kpi::build(
            self.store,
            self.config,
            &Scope::Employee(person.id.clone()),
            month,
            self.now,
        )
        .await?;
        let places = leaderboard(&report, &RankBy::Bonus);
        let all: Vec<_> = places.iter().collect();
        Ok(Reply::html(pre(&crate::app::kpi::render_text(
            &report, &all, true,
        ))))
    }

    async fn why(
        &self,
        person: &EmployeeConfig,
        word: &str,
        day: NaiveDate,
        ru: bool,
    ) -> anyhow::Result<Reply> {
        let Some(key) = figure_key(word) else {
            return Ok(Reply::html(format!(
                "{} \"{}\". {}: successful, trace, calls, cold, warm, overdue, talk, won, plan, {}",
                if ru {
                    "Нет такого показателя"
                } else {
                    "No such figure"
                },
                escape(&echo(word)),
                if ru {
                    "Например"
                } else {
                    "For example"
                },
                crate::domain::KPI_FIGURES.join(", ")
            )));
        };
        let report = self.day_figures(&person.id, day).await?;
        let Some(e) = report.employees.first() else {
            return Ok(Reply::html(escape(&person.name)));
        };
        let map = figure_map(e);
        let Some(figure) = map.get(key) else {
            return Ok(Reply::html(escape(key)));
        };
        let mut out = format!(
            "<b>{}</b>, {}\n{}\n",
            escape(&person.name),
            day.format("%d.%m"),
            escape(&crate::words::Catalog::built_in().rule(
                if ru {
                    crate::config::Locale::Ru
                } else {
                    crate::config::Locale::En
                },
                &figure.rule
            ))
        );
        // The calls behind it: time, masked number, talk time.
        let calls: BTreeMap<String, crate::domain::Call> = self
            .store
            .calls_between(
                report.period.from,
                report.period.to,
                std::slice::from_ref(&person.id),
            )
            .await?
            .into_iter()
            .map(|c| (c.external_id.to_string(), c))
            .collect();
        let tz = self
            .config
            .team(&person.team)
            .map(|t| t.timezone)
            .unwrap_or(chrono_tz::UTC);
        let success = self.config.thresholds.success_talk_secs;
        // Successful contacts are shown among all connected calls, the short
        // ones marked, as the rule reads "n of m connected".
        let mut records = figure.records.clone();
        if key == "successful_contacts" {
            let mut connected: Vec<&crate::domain::Call> =
                calls.values().filter(|c| c.talk_seconds > 0).collect();
            connected.sort_by_key(|c| c.started_at);
            records = connected
                .into_iter()
                .map(|c| crate::metrics::RecordRef {
                    kind: crate::metrics::RecordKind::Call,
                    source: c.source.clone(),
                    id: c.external_id.to_string(),
                })
                .collect();
        }
        out.push_str(&record_lines(&records, &calls, tz, success));
        Ok(Reply::html(out))
    }

    async fn plan(&self, person: &EmployeeConfig, ru: bool) -> anyhow::Result<Reply> {
        let day = self.last_working_day(person);
        let report = self.day_figures(&person.id, day).await?;
        let Some(e) = report.employees.first() else {
            return Ok(Reply::html(escape(&person.name)));
        };
        let mut out = format!("<b>{}</b>, {}\n", escape(&person.name), day.format("%d.%m"));
        if e.plan.lines.is_empty() {
            out.push_str(if ru { "Плана нет." } else { "No plan." });
        }
        for l in &e.plan.lines {
            let _ = writeln!(
                out,
                "{} {} {}/{}",
                if l.met { "✅" } else { "⚠️" },
                escape(&crate::report::digest::figure_label(
                    &l.figure,
                    if ru { Locale::Ru } else { Locale::En }
                )),
                crate::metrics::kpi::number(l.actual),
                crate::metrics::kpi::number(l.target.round())
            );
        }
        Ok(Reply::html(out))
    }
}

fn unknown(ru: bool) -> String {
    if ru {
        "Я вас не знаю. Попросите у руководителя код и отправьте /start КОД.".into()
    } else {
        "I don't know you. Ask your head for a code and send /start CODE.".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_but_recognisable() {
        assert_eq!(mask_number("79161234541"), "+7 916 ***-**-41");
        assert_eq!(mask_number("123"), "***");
    }
}
