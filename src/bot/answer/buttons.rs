//! Buttons on the bot's answers: under a person's card of one day, the day
//! before and after (pressing one replaces the card), «Почему?» (a choice
//! of the card's figures, each opening `/why`), the plan and the KPI. And a
//! press read back: its command (kept server-side when it was too long for
//! Telegram's 64 bytes), asked with the rights of whoever pressed it.

use chrono::{Duration, NaiveDate};

use super::{Bot, Reply};
use crate::config::{EmployeeConfig, Locale};
use crate::render::telegram::escape;
use crate::render::{Button, Pressed};
use crate::report::visibility::View;
use crate::storage::KeptButton;
use crate::words::Arg;

/// The figures «Почему?» offers, in the card's order.
const WHY_FIGURES: &[&str] = &[
    "calls_out",
    "successful_contacts",
    "talk_time",
    "cold_calls",
    "warm_calls",
    "calls_without_trace",
    "overdue_tasks",
    "deals_without_next_task",
    "proposals",
    "meetings",
];

/// How a card's commands name a day: unambiguous in any year.
fn day_arg(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

impl Bot<'_> {
    /// The buttons under `person`'s card of `day` as `viewer` gets it:
    /// `/me` when it is their own and `pulse` is false, `/pulse` else.
    pub(super) fn card_buttons(
        &self,
        viewer: &EmployeeConfig,
        person: &EmployeeConfig,
        day: NaiveDate,
        pulse: bool,
    ) -> Vec<Button> {
        let locale = self.locale(Some(viewer));
        let today = self.today_for(Some(person));
        let command = |d: NaiveDate| match !pulse && viewer.id == person.id {
            true => format!("/me {}", day_arg(d)),
            false => format!("/pulse {} {}", person.id, day_arg(d)),
        };
        let mut out = Vec::new();
        if let Some(before) = self.working_day(person, day, -1) {
            let label = self.say(
                locale,
                "button-day-before",
                &[("day", Arg::from(self.day_text(locale, before)))],
            );
            out.push(Button::edits(label, command(before)));
        }
        if let Some(after) = self.working_day(person, day, 1).filter(|d| *d <= today) {
            let label = self.say(
                locale,
                "button-day-after",
                &[("day", Arg::from(self.day_text(locale, after)))],
            );
            out.push(Button::edits(label, command(after)));
        }
        out.push(Button::asks(
            self.say(locale, "button-why-menu", &[]),
            format!("/why ? {} {}", person.id, day_arg(day)),
        ));
        out.push(Button::asks(
            self.say(locale, "button-plan", &[]),
            format!("/plan {}", person.id),
        ));
        if !self.config.kpi.schemes.is_empty() {
            out.push(Button::asks(
                self.say(locale, "button-kpi", &[]),
                format!("/kpi {}", person.id),
            ));
        }
        out
    }

    /// The working day `step` days' worth before (-1) or after (1) `day`
    /// in `person`'s team calendar, within two weeks.
    fn working_day(&self, person: &EmployeeConfig, day: NaiveDate, step: i64) -> Option<NaiveDate> {
        let team = self.config.team(&person.team)?;
        (1..=14)
            .map(|n| day + Duration::days(n * step))
            .find(|d| team.is_working_day(*d))
    }

    /// «Почему?»: which of the card's figures to explain, one button each
    /// (those `viewer` may see).
    pub(super) fn why_menu(
        &self,
        viewer: &EmployeeConfig,
        person: &EmployeeConfig,
        day: NaiveDate,
        locale: Locale,
    ) -> Reply {
        let view = View::of(self.config, viewer.role);
        let title = self.say(
            locale,
            "bot-why-menu",
            &[
                ("name", Arg::from(person.name.as_str())),
                ("day", Arg::from(self.day_text(locale, day))),
            ],
        );
        let mut reply = Reply::html(escape(&title));
        reply.buttons = WHY_FIGURES
            .iter()
            .filter(|key| view.shows_figure(key))
            .map(|key| {
                Button::asks(
                    self.words.figure(locale, key),
                    format!("/why {key} {} {}", person.id, day_arg(day)),
                )
            })
            .collect();
        reply
    }

    /// A pressed button's callback data back as its command, and whether
    /// its answer replaces the message: `Err` with the reply when the
    /// command is gone (kept too long ago).
    pub async fn pressed(
        &self,
        data: &str,
        locale: Locale,
    ) -> anyhow::Result<Result<(String, bool), Reply>> {
        let press = Pressed::parse(data);
        if !press.kept {
            return Ok(Ok((press.data, press.edit)));
        }
        Ok(match self.store.kept_button(&press.data, self.now).await? {
            KeptButton::Command(command) => Ok((command, press.edit)),
            KeptButton::Expired | KeptButton::Unknown => Err(Reply::html(escape(&self.say(
                locale,
                "bot-button-expired",
                &[],
            )))),
        })
    }

    /// A press as `viewer` would make it (`salespulse ask --press`).
    pub async fn press_as(&self, viewer: &EmployeeConfig, data: &str) -> anyhow::Result<Reply> {
        let locale = self.locale(Some(viewer));
        match self.pressed(data, locale).await? {
            Ok((command, _)) => self.respond_as(viewer, &command).await,
            Err(reply) => Ok(reply),
        }
    }
}
