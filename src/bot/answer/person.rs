//! The answers about one person: where a figure comes from (`/why`), the
//! plan against the actual (`/plan`) and the bonus (`/kpi`).

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;

use super::super::parse::echo;
use super::{Bot, Reply, SHORT_WORDS, escape, figure_key, known_figures, record_lines};
use crate::config::{EmployeeConfig, Locale};
use crate::report::figures::Scope;
use crate::report::kpi::{RankBy, figure_map, leaderboard};
use crate::words::Arg;

impl Bot<'_> {
    /// «<b>Иванов А.</b>, 20.11»
    fn person_day(&self, locale: Locale, person: &EmployeeConfig, day: NaiveDate) -> String {
        let day = self.day_text(locale, day);
        self.say(
            locale,
            "bot-person-day",
            &[
                ("name", Arg::from(escape(&person.name))),
                ("day", Arg::from(day)),
            ],
        )
    }

    /// «Иванов А.: за 20.11 данных нет.»
    fn no_figures(&self, locale: Locale, person: &EmployeeConfig, day: NaiveDate) -> Reply {
        let day = self.day_text(locale, day);
        Reply::html(escape(&self.say(
            locale,
            "bot-no-figures",
            &[
                ("name", Arg::from(person.name.as_str())),
                ("day", Arg::from(day)),
            ],
        )))
    }

    pub(super) async fn kpi(
        &self,
        person: &EmployeeConfig,
        month: NaiveDate,
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let report = crate::report::kpi::build(
            self.store,
            self.config,
            &Scope::Employee(person.id.clone()),
            month,
            self.now,
            true,
        )
        .await?;
        let cur = report.currency.as_str();
        let money = |amount: f64| self.words.money(locale, amount, cur);
        let first = report.first_day;
        let month_name = self.words.month(locale, first);
        let mut out = String::new();
        for place in leaderboard(&report, &RankBy::Bonus) {
            let Some(row) = report
                .rows
                .iter()
                .find(|r| r.employee_id == place.employee_id)
            else {
                continue;
            };
            let title = self.say(
                locale,
                "bot-kpi-title",
                &[
                    ("name", Arg::from(escape(&row.name))),
                    ("month", Arg::from(month_name.as_str())),
                ],
            );
            let _ = writeln!(out, "{title}");
            let Some(result) = &row.result else {
                let position = row.position.as_deref().unwrap_or("—");
                let none = self.say(
                    locale,
                    "bot-kpi-no-scheme",
                    &[("position", Arg::from(position))],
                );
                let _ = writeln!(out, "{}", escape(&none));
                continue;
            };
            for ind in &result.indicators {
                let _ = writeln!(out, "• {}", escape(&self.words.rule(locale, &ind.rule)));
            }
            let total = self.say(
                locale,
                "bot-kpi-total",
                &[("amount", Arg::from(money(result.bonus)))],
            );
            let _ = writeln!(out, "{}", escape(&total));
            if let Some(f) = &row.forecast {
                let ahead = self.say(
                    locale,
                    "bot-kpi-forecast",
                    &[
                        ("gone", Arg::from(report.working_days_gone)),
                        ("days", Arg::from(u64::from(report.working_days))),
                        ("amount", Arg::from(money(f.bonus))),
                    ],
                );
                let _ = writeln!(out, "{}", escape(&ahead));
            }
        }
        Ok(Reply::html(out))
    }

    /// The rule behind a figure with its numbers, then its records from
    /// `from`, a page of them, «ещё» for the next.
    pub(super) async fn why(
        &self,
        person: &EmployeeConfig,
        (word, day, from): (&str, NaiveDate, usize),
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let Some(key) = figure_key(word) else {
            let list = known_figures(self.words, locale, SHORT_WORDS);
            return Ok(Reply::html(escape(&self.say(
                locale,
                "bot-error-unknown-figure",
                &[("word", Arg::from(echo(word))), ("list", Arg::from(list))],
            ))));
        };
        let report = self.day_figures(&person.id, day).await?;
        let Some(e) = report.employees.first() else {
            return Ok(self.no_figures(locale, person, day));
        };
        let map = figure_map(e);
        let Some(figure) = map.get(key) else {
            let day = self.day_text(locale, day);
            return Ok(Reply::html(escape(&self.say(
                locale,
                "bot-no-figure",
                &[
                    ("figure", Arg::from(self.words.figure(locale, key))),
                    ("day", Arg::from(day)),
                ],
            ))));
        };
        let mut out = format!(
            "{}\n<b>{}</b>\n{}\n",
            self.person_day(locale, person, day),
            escape(&self.words.figure(locale, key)),
            escape(&self.words.rule(locale, &figure.rule))
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
        let page = &records[from.min(records.len())..];
        out.push_str(&record_lines(self.words, locale, page, &calls, tz, success));
        let mut reply = Reply::html(out);
        let next = from + super::RECORDS_SHOWN;
        if next < records.len() {
            let left = records.len() - next;
            let label = self.say(
                locale,
                "button-more",
                &[
                    ("n", Arg::from(left.min(super::RECORDS_SHOWN))),
                    ("left", Arg::from(left)),
                ],
            );
            let command = format!(
                "/why {key} {} {} +{next}",
                person.id,
                day.format("%d.%m.%Y")
            );
            reply.buttons = vec![crate::render::Button::asks(label, command)];
        }
        Ok(reply)
    }

    pub(super) async fn plan(
        &self,
        person: &EmployeeConfig,
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let day = self.last_working_day(person);
        let report = self.day_figures(&person.id, day).await?;
        let Some(e) = report.employees.first() else {
            return Ok(self.no_figures(locale, person, day));
        };
        let mut out = format!("{}\n", self.person_day(locale, person, day));
        if e.plan.lines.is_empty() {
            out.push_str(&escape(&self.say(locale, "bot-plan-none", &[])));
        }
        for l in &e.plan.lines {
            let line = self.say(
                locale,
                "bot-plan-line",
                &[
                    ("figure", Arg::from(self.words.figure(locale, &l.figure))),
                    ("actual", Arg::from(l.actual)),
                    ("target", Arg::from(l.target.round())),
                ],
            );
            let mark = if l.met { "✅" } else { "⚠️" };
            let _ = writeln!(out, "{mark} {}", escape(&line));
        }
        Ok(Reply::html(out))
    }
}
