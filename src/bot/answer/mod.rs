//! What the bot answers: each command turned into HTML messages (split to
//! Telegram's limit) and photos, for the person asking and only what they
//! may see. Nothing here talks to Telegram.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::access::{Refusal, identify, target};
use super::parse::{COMMANDS, Command, ParseError, Period, parse};
use crate::app::digest::{CardRequest, manager_card_parts};
use crate::config::{Config, EmployeeConfig, Locale};
use crate::domain::{FigureGroup, Role};
use crate::render::telegram::{MESSAGE_LIMIT, escape, split_message};
use crate::render::{Button, Chart};
use crate::report::figures::{self, Scope};
use crate::report::visibility::View;
use crate::storage::{Redeemed, Store};
use crate::words::{Arg, Catalog};

mod buttons;
mod missed;
mod person;
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
    /// Buttons under the last message.
    pub buttons: Vec<Button>,
}

impl Reply {
    pub fn html(text: impl AsRef<str>) -> Self {
        Reply {
            messages: split_message(text.as_ref(), MESSAGE_LIMIT),
            ..Reply::default()
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

/// Records listed per `/why` answer; «ещё 20» lists the next ones.
const RECORDS_SHOWN: usize = 20;

/// The records behind a figure, one line each (a call: its time, masked
/// number, talk time and whether it counts), with the call's recording when
/// its source links one: the viewer may see these calls (`target` checked
/// that). At most 40, then how many more.
fn record_lines(
    words: &Catalog,
    locale: Locale,
    records: &[crate::metrics::RecordRef],
    calls: &BTreeMap<String, crate::domain::Call>,
    tz: chrono_tz::Tz,
    success: i64,
) -> String {
    let mut lines = Vec::new();
    let mut links: Vec<Option<&str>> = Vec::new();
    let short = words.text(
        locale,
        "bot-why-short",
        &[("min", Arg::from(words.duration(locale, success)))],
    );
    for r in records.iter().take(RECORDS_SHOWN) {
        match calls.get(&r.id) {
            Some(c) => {
                let mark = if c.talk_seconds >= success {
                    "✔".to_owned()
                } else {
                    format!("✘ {short}")
                };
                lines.push(format!(
                    "{} {}  {}:{:02} {mark}",
                    c.started_at.with_timezone(&tz).format("%H:%M"),
                    mask_number(c.number.as_str()),
                    c.talk_seconds / 60,
                    c.talk_seconds % 60,
                ));
                links.push(c.recording_url.as_deref());
            }
            None => {
                let kind = serde_json::to_value(r.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                lines.push(words.text(
                    locale,
                    "bot-record",
                    &[("kind", Arg::from(kind)), ("id", Arg::from(r.id.as_str()))],
                ));
                links.push(None);
            }
        }
    }
    if records.len() > lines.len() {
        let more = records.len() - lines.len();
        lines.push(words.text(locale, "bot-more", &[("n", Arg::from(more))]));
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

/// The commands with what each does, in `locale`.
pub fn help(words: &Catalog, locale: Locale) -> String {
    let mut out = words.text(locale, "bot-help-title", &[]);
    out.push('\n');
    for name in COMMANDS {
        let what = words.text(locale, &format!("bot-command-{name}"), &[]);
        let _ = writeln!(out, "/{name} — {}", escape(&what));
    }
    out
}

/// What was wrong with a message, in `locale`.
pub fn mistake(words: &Catalog, locale: Locale, why: &ParseError) -> String {
    match why {
        ParseError::TooLong { length, max } => words.text(
            locale,
            "bot-error-too-long",
            &[("length", Arg::from(*length)), ("max", Arg::from(*max))],
        ),
        ParseError::NotACommand => words.text(locale, "bot-error-not-a-command", &[]),
        ParseError::UnknownCommand(name) => words.text(
            locale,
            "bot-error-unknown-command",
            &[("name", Arg::from(name.as_str()))],
        ),
        ParseError::NotAPeriod(word) => words.text(
            locale,
            "bot-error-not-a-period",
            &[("word", Arg::from(word.as_str()))],
        ),
        ParseError::MeTakesOne => words.text(locale, "bot-error-me-takes-one", &[]),
        ParseError::ReportNeedsFigures => words.text(locale, "bot-error-report-needs-figures", &[]),
        ParseError::WhyNeedsFigure => words.text(locale, "bot-error-why-needs-figure", &[]),
    }
}

/// The figures `/why` and `/report` know by a short word, by their names
/// in `locale` («Результативные контакты, Холодные звонки, …»).
fn known_figures(words: &Catalog, locale: Locale, keys: &[&str]) -> String {
    keys.iter()
        .filter(|k| words.has(locale, &format!("figure-{k}")))
        .map(|k| words.figure(locale, k))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The figures with a short word in `/why` and `/report`.
const SHORT_WORDS: &[&str] = &[
    "successful_contacts",
    "calls_without_trace",
    "calls_out",
    "cold_calls",
    "warm_calls",
    "overdue_tasks",
    "talk_time",
    "deals_won",
    "plan_completion",
];

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
        "proposals" | "кп" => "proposals",
        "meetings" | "встречи" => "meetings",
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
        Command::Why { figure, .. } if missed::is_missed_callback(figure) => {
            Some(FigureGroup::of("missed"))
        }
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
    /// The words of every reply (`templates_dir` overrides included).
    pub words: &'a Catalog,
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

    /// The language of the person's team; for someone with no team, the
    /// first team's, else Russian.
    pub fn locale(&self, e: Option<&EmployeeConfig>) -> Locale {
        e.and_then(|e| self.config.team(&e.team))
            .or(self.config.teams.first())
            .map_or(Locale::Ru, |t| t.locale)
    }

    /// The message `id` in `locale`.
    fn say(&self, locale: Locale, id: &str, args: &[(&str, Arg)]) -> String {
        self.words.text(locale, id, args)
    }

    /// A short day in `locale`: «20.11».
    fn day_text(&self, locale: Locale, day: NaiveDate) -> String {
        self.say(
            locale,
            "bot-day",
            &[
                ("dd", Arg::from(day.format("%d").to_string())),
                ("mm", Arg::from(day.format("%m").to_string())),
            ],
        )
    }

    /// A mistake in a command, then the commands.
    fn mistaken(&self, locale: Locale, why: &ParseError) -> Reply {
        Reply::html(format!(
            "{}\n\n{}",
            escape(&mistake(self.words, locale, why)),
            help(self.words, locale)
        ))
    }

    /// Answers a message from `telegram_id`.
    pub async fn respond(&self, telegram_id: i64, text: &str) -> anyhow::Result<Reply> {
        let viewer = identify(self.store, self.config, telegram_id).await?;
        let locale = self.locale(viewer);
        let today = self.today_for(viewer);
        let stranger = || Ok(Reply::html(self.say(locale, "bot-stranger", &[])));
        let command = match parse(text, today) {
            Ok(c) => c,
            Err(_) if viewer.is_none() => return stranger(),
            Err(why) => return Ok(self.mistaken(locale, &why)),
        };
        if let Command::Start(code) = &command {
            return self
                .start(telegram_id, viewer, code.as_deref(), locale)
                .await;
        }
        let Some(viewer) = viewer else {
            return stranger();
        };
        self.dispatch(viewer, command, locale, today).await
    }

    /// Answers `text` as `viewer` would get it (also `salespulse ask`).
    pub async fn respond_as(&self, viewer: &EmployeeConfig, text: &str) -> anyhow::Result<Reply> {
        let locale = self.locale(Some(viewer));
        let today = self.today_for(Some(viewer));
        match parse(text, today) {
            Ok(command) => self.dispatch(viewer, command, locale, today).await,
            Err(why) => Ok(self.mistaken(locale, &why)),
        }
    }

    /// Answers a command, and keeps the commands of the answer's buttons
    /// too long for their callback data.
    async fn dispatch(
        &self,
        viewer: &EmployeeConfig,
        command: Command,
        locale: Locale,
        today: NaiveDate,
    ) -> anyhow::Result<Reply> {
        let reply = self.answer(viewer, command, locale, today).await?;
        crate::app::digest::keep_buttons(self.store, &reply.buttons, self.now).await?;
        Ok(reply)
    }

    async fn answer(
        &self,
        viewer: &EmployeeConfig,
        command: Command,
        locale: Locale,
        today: NaiveDate,
    ) -> anyhow::Result<Reply> {
        let refuse = |r: Refusal| Ok(Reply::html(escape(&r.say(self.words, locale))));
        if let Some(group) = command_group(&command)
            && !View::of(self.config, viewer.role).shows(group)
        {
            return refuse(Refusal::Hidden);
        }
        match command {
            Command::Start(_) | Command::Help => Ok(Reply::html(help(self.words, locale))),
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
                Ok(person) => self.kpi(person, month.unwrap_or(today), locale).await,
                Err(r) => refuse(r),
            },
            Command::Why {
                figure, who, day, ..
            } if figure == "?" => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => {
                    let d = day.unwrap_or(self.last_working_day(person));
                    Ok(self.why_menu(viewer, person, d, locale))
                }
                Err(r) => refuse(r),
            },
            Command::Why {
                figure, who, day, ..
            } if missed::is_missed_callback(&figure) => {
                match self.scope_of(viewer, who.as_deref()) {
                    Ok(scope) => {
                        let d = day.unwrap_or(self.last_working_day(viewer));
                        self.missed_callbacks(viewer, scope, d, locale).await
                    }
                    Err(r) => refuse(r),
                }
            }
            Command::Why {
                figure,
                who,
                day,
                from,
            } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => {
                    let d = day.unwrap_or(self.last_working_day(person));
                    self.why(person, (&figure, d, from), locale).await
                }
                Err(r) => refuse(r),
            },
            Command::Plan { who } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => self.plan(person, locale).await,
                Err(r) => refuse(r),
            },
            Command::Funnel { who } => match target(self.config, viewer, who.as_deref()) {
                Ok(person) => {
                    let day = self.last_working_day(person);
                    let mut card = self.card(viewer, person, Period::day(day), true).await?;
                    card.photos
                        .retain(|p| p.chart.name.ends_with("-funnel.png"));
                    card.messages.clear();
                    if card.photos.is_empty() {
                        let day = self.day_text(locale, day);
                        let none = self.say(locale, "bot-funnel-none", &[("day", Arg::from(day))]);
                        card.messages.push(escape(&none));
                    }
                    Ok(card)
                }
                Err(r) => refuse(r),
            },
            Command::Stuck { who, from } => match self.scope_of(viewer, who.as_deref()) {
                Ok(scope) => self.stuck(viewer, (scope, who, from), locale).await,
                Err(r) => refuse(r),
            },
            Command::Overdue { who, from } => match self.scope_of(viewer, who.as_deref()) {
                Ok(scope) => self.overdue(viewer, (scope, who, from), locale).await,
                Err(r) => refuse(r),
            },
            Command::Top { period } => self.top(viewer, period, locale).await,
            Command::Team => {
                if viewer.role == Role::Manager {
                    return refuse(Refusal::OnlyYourOwn);
                }
                self.top(
                    viewer,
                    Some(Period::day(self.last_working_day(viewer))),
                    locale,
                )
                .await
            }
            Command::Report(figures) => self.self_report(viewer, &figures, locale).await,
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
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let Some(code) = code else {
            return Ok(Reply::html(match viewer {
                Some(e) => format!(
                    "{}\n\n{}",
                    escape(&self.say(locale, "bot-hello", &[("name", Arg::from(e.name.as_str()))])),
                    help(self.words, locale)
                ),
                None => self.say(locale, "bot-stranger", &[]),
            }));
        };
        let said = match self
            .store
            .redeem_invite(code, telegram_id, self.now)
            .await?
        {
            Redeemed::Linked(id) => {
                let person = self.config.employees.iter().find(|e| e.id == id);
                let name = person.map_or(id.clone(), |e| e.name.clone());
                // Now known: their team's language.
                let locale = self.locale(person.or(viewer));
                let linked = self.say(locale, "bot-linked", &[("name", Arg::from(escape(&name)))]);
                return Ok(Reply::html(format!(
                    "{linked}\n\n{}",
                    help(self.words, locale)
                )));
            }
            Redeemed::Unknown => "bot-code-unknown",
            Redeemed::Expired => "bot-code-expired",
            Redeemed::Used => "bot-code-used",
        };
        Ok(Reply::html(escape(&self.say(locale, said, &[]))))
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
        if p.first == p.last {
            reply.buttons = self.card_buttons(viewer, person, p.first, charts);
        }
        for chart in card.charts {
            let name = format!("{}-{}.png", person.id, chart.name);
            reply.photos.push(Photo {
                chart: Chart { name, ..chart },
                caption: None,
            });
        }
        Ok(reply)
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
