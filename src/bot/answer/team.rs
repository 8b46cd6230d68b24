//! The answers that look across a team or at a person's own report:
//! `/stuck`, `/overdue`, `/top`, `/report`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::super::access::{Refusal, target};
use super::super::parse::{Period, echo};
use super::{Bot, Forward, Reply, escape, figure_key, known_figures, pre};
use crate::config::{EmployeeConfig, Locale};
use crate::domain::Role;
use crate::report::figures::{self, Scope};
use crate::report::kpi::{RankBy, figure_map, leaderboard, visible_places};
use crate::report::visibility::View;
use crate::words::Arg;

/// Lines of a long list per answer; «ещё 20» shows the next ones.
const PAGE: usize = 20;

impl Bot<'_> {
    /// A named person, or for a head or owner naming no one, their team.
    pub(super) fn scope_of(
        &self,
        viewer: &EmployeeConfig,
        who: Option<&str>,
    ) -> Result<Scope, Refusal> {
        if who.is_none() && viewer.role != Role::Manager {
            return Ok(Scope::Team(viewer.team.clone()));
        }
        target(self.config, viewer, who).map(|p| Scope::Employee(p.id.clone()))
    }

    /// The stuck deals, longest first, a page at a time.
    pub(super) async fn stuck(
        &self,
        viewer: &EmployeeConfig,
        (scope, who, from): (Scope, Option<String>, usize),
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let day = self.last_working_day(viewer);
        let report = figures::summary(self.store, self.config, &scope, day, day, self.now).await?;
        let mut deals: Vec<&crate::metrics::funnel::StuckDeal> = report
            .employees
            .iter()
            .flat_map(|e| e.funnel.stuck.iter())
            .collect();
        deals.sort_by_key(|d| std::cmp::Reverse(d.days_in_stage));
        if deals.is_empty() {
            return Ok(Reply::html(escape(&self.say(
                locale,
                "bot-stuck-none",
                &[],
            ))));
        }
        let mut out = self.say(locale, "bot-stuck-title", &[("n", Arg::from(deals.len()))]);
        out.push('\n');
        for d in deals.iter().skip(from).take(PAGE) {
            let owner = report
                .employees
                .iter()
                .find(|e| Some(&e.employee_id) == d.employee_id.as_ref())
                .map(|e| crate::report::digest::short_name(&e.name))
                .unwrap_or_default();
            // The stage as the config names it, and what the deal is worth.
            let stage = self
                .config
                .stages
                .iter()
                .find(|st| st.id == d.stage)
                .map_or(d.stage.as_str(), |st| st.name.as_str());
            let deal = if d.amount_minor > 0 {
                let amount = d.amount_minor as f64 / 100.0;
                let money = self.words.money(locale, amount, &self.config.kpi.currency);
                format!("{} · {money}", d.title)
            } else {
                d.title.clone()
            };
            let line = self.say(
                locale,
                "bot-stuck-line",
                &[
                    ("deal", Arg::from(deal)),
                    ("owner", Arg::from(owner)),
                    ("stage", Arg::from(stage)),
                    ("days", Arg::from(d.days_in_stage)),
                    ("threshold", Arg::from(d.threshold_days)),
                ],
            );
            let _ = writeln!(out, "{}", escape(&line));
        }
        let mut reply = Reply::html(out);
        reply.buttons = self.more_button("/stuck", who.as_deref(), from, deals.len(), locale);
        Ok(reply)
    }

    /// «ещё 20» under a list of `total` lines shown from `from`, when more
    /// are left: the same command from the next line.
    fn more_button(
        &self,
        command: &str,
        who: Option<&str>,
        from: usize,
        total: usize,
        locale: Locale,
    ) -> Vec<crate::render::Button> {
        let next = from + PAGE;
        if next >= total {
            return Vec::new();
        }
        let label = self.say(
            locale,
            "button-more",
            &[
                ("n", Arg::from(PAGE.min(total - next))),
                ("left", Arg::from(total - next)),
            ],
        );
        let command = match who {
            Some(who) => format!("{command} {who} +{next}"),
            None => format!("{command} +{next}"),
        };
        vec![crate::render::Button::asks(label, command)]
    }

    /// Overdue tasks per person, most first, a page at a time.
    pub(super) async fn overdue(
        &self,
        viewer: &EmployeeConfig,
        (scope, who, from): (Scope, Option<String>, usize),
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let day = self.last_working_day(viewer);
        let report = figures::summary(self.store, self.config, &scope, day, day, self.now).await?;
        let total: f64 = report
            .employees
            .iter()
            .map(|e| e.hygiene.overdue_tasks.value)
            .sum();
        let mut out = self.say(locale, "bot-overdue-title", &[("n", Arg::from(total))]);
        out.push('\n');
        let mut people: Vec<_> = report.employees.iter().collect();
        people.sort_by(|a, b| {
            b.hygiene
                .overdue_tasks
                .value
                .total_cmp(&a.hygiene.overdue_tasks.value)
        });
        for e in people.iter().skip(from).take(PAGE) {
            let line = self.say(
                locale,
                "bot-overdue-line",
                &[
                    ("name", Arg::from(e.name.as_str())),
                    ("n", Arg::from(e.hygiene.overdue_tasks.value)),
                    ("days", Arg::from(e.hygiene.oldest_overdue_days.value)),
                ],
            );
            let _ = writeln!(out, "{}", escape(&line));
        }
        let mut reply = Reply::html(out);
        reply.buttons = self.more_button("/overdue", who.as_deref(), from, people.len(), locale);
        Ok(reply)
    }

    pub(super) async fn top(
        &self,
        viewer: &EmployeeConfig,
        period: Option<Period>,
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let today = self.today_for(Some(viewer));
        let p = period
            .unwrap_or(super::super::parse::period("week", today).unwrap_or(Period::day(today)));
        let report = crate::report::kpi::build(
            self.store,
            self.config,
            &Scope::Team(viewer.team.clone()),
            p.last,
            self.now,
            false,
        )
        .await?;
        // Plan completion over the period asked for.
        let figures = figures::summary(
            self.store,
            self.config,
            &Scope::Team(viewer.team.clone()),
            p.first,
            p.last,
            self.now,
        )
        .await?;
        let mut by_plan = report.clone();
        for row in &mut by_plan.rows {
            row.plan_completion = figures
                .employees
                .iter()
                .find(|e| e.employee_id == row.employee_id)
                .and_then(|e| e.plan.completion);
        }
        let places = leaderboard(&by_plan, &RankBy::Plan);
        let shown = visible_places(self.config, &viewer.id, &places);
        // A day, the month so far, else a week.
        let kind = if p.first == p.last {
            "day"
        } else if super::super::parse::period("month", p.last) == Some(p)
            && super::super::parse::period("week", p.last) != Some(p)
        {
            "month"
        } else {
            "week"
        };
        let mut out = self.say(
            locale,
            "bot-top-title",
            &[
                ("period", Arg::from(kind)),
                ("first", Arg::from(self.day_text(locale, p.first))),
                ("last", Arg::from(self.day_text(locale, p.last))),
            ],
        );
        out.push('\n');
        let mut table = String::new();
        for place in shown {
            let _ = writeln!(
                table,
                "{:>2}. {:<14} {:>6}",
                place.rank,
                place.name,
                self.words.value_text(locale, &place.shown)
            );
        }
        out.push_str(&pre(&table));
        Ok(Reply::html(out))
    }

    pub(super) async fn self_report(
        &self,
        viewer: &EmployeeConfig,
        text: &str,
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let pairs = || {
            Ok(Reply::html(escape(&self.say(
                locale,
                "bot-error-report-pairs",
                &[],
            ))))
        };
        let mut reported = BTreeMap::new();
        for pair in words.chunks(2) {
            let (Some(name), Some(value)) = (pair.first(), pair.get(1)) else {
                return pairs();
            };
            let Some(key) = figure_key(name) else {
                let list = known_figures(self.words, locale, REPORTED);
                let said = self.say(
                    locale,
                    "bot-error-report-figure",
                    &[("word", Arg::from(echo(name))), ("list", Arg::from(list))],
                );
                return Ok(Reply::html(escape(&said)));
            };
            let Ok(v) = value.replace(',', ".").parse::<f64>() else {
                return pairs();
            };
            reported.insert(key.to_owned(), v);
        }
        let day = self.today_for(Some(viewer));
        self.store
            .store_self_report(
                &viewer.id,
                day,
                &serde_json::to_string(&reported)?,
                self.now,
            )
            .await?;
        let report = self.day_figures(&viewer.id, day).await?;
        let measured: BTreeMap<String, f64> = report
            .employees
            .first()
            .map(|e| {
                figure_map(e)
                    .into_iter()
                    .map(|(k, f)| (k, f.value))
                    .collect()
            })
            .unwrap_or_default();
        let th = &self.config.thresholds;
        let lines = crate::metrics::plan::check_self_report(
            &reported,
            &measured,
            th.self_report_tolerance_pct,
            th.self_report_tolerance_min,
        );
        let mut out = escape(&self.say(locale, "bot-report-title", &[]));
        out.push('\n');
        // The measured value of a figure kept from the reader is not shown
        // back to them; their heads get it.
        let view = View::of(self.config, viewer.role);
        let number = |x: f64| crate::words::number(locale, x, 2);
        for l in &lines {
            let measured = if view.shows_figure(&l.figure) {
                number(l.measured)
            } else {
                "—".to_owned()
            };
            let line = self.say(
                locale,
                "bot-report-line",
                &[
                    ("figure", Arg::from(self.words.figure(locale, &l.figure))),
                    ("reported", Arg::from(number(l.reported))),
                    ("measured", Arg::from(measured)),
                ],
            );
            let mark = if l.flagged { "⚠️" } else { "✅" };
            let _ = writeln!(out, "{mark} {}", escape(&line));
        }
        let mut reply = Reply::html(&out);
        // Differences beyond the tolerance go to the person's heads.
        let flagged: Vec<_> = lines.iter().filter(|l| l.flagged).collect();
        if !flagged.is_empty() {
            reply.forwards = self.heads_note(viewer, locale, day, &flagged);
        }
        Ok(reply)
    }
}

impl Bot<'_> {
    /// A self-report's differences for the person's heads, in their team's
    /// language (the person's).
    fn heads_note(
        &self,
        viewer: &EmployeeConfig,
        locale: Locale,
        day: chrono::NaiveDate,
        flagged: &[&crate::metrics::plan::SelfReportLine],
    ) -> Vec<Forward> {
        let number = |x: f64| crate::words::number(locale, x, 2);
        let title = self.say(
            locale,
            "bot-report-note-title",
            &[
                ("name", Arg::from(viewer.name.as_str())),
                ("day", Arg::from(self.day_text(locale, day))),
            ],
        );
        let mut note = format!("{}\n", escape(&title));
        for l in flagged {
            let line = self.say(
                locale,
                "bot-report-note-line",
                &[
                    ("figure", Arg::from(self.words.figure(locale, &l.figure))),
                    ("reported", Arg::from(number(l.reported))),
                    ("measured", Arg::from(number(l.measured))),
                ],
            );
            let _ = writeln!(note, "{}", escape(&line));
        }
        self.config
            .employees
            .iter()
            .filter(|e| e.role == Role::Head && e.team == viewer.team && e.id != viewer.id)
            .filter_map(|e| e.telegram_id)
            .map(|chat| Forward {
                chat,
                text: note.clone(),
            })
            .collect()
    }
}

/// The figures a self-report takes by a short word.
const REPORTED: &[&str] = &[
    "cold_calls",
    "warm_calls",
    "proposals",
    "meetings",
    "calls_out",
    "successful_contacts",
];
