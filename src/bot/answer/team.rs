//! The answers that look across a team or at a person's own report:
//! `/stuck`, `/overdue`, `/top`, `/report`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::super::access::{Refusal, target};
use super::super::parse::{Period, echo};
use super::{Bot, Forward, Reply, escape, figure_key, help, pre};
use crate::config::{EmployeeConfig, Locale};
use crate::domain::Role;
use crate::report::digest::figure_label;
use crate::report::figures::{self, Scope};
use crate::report::kpi::{RankBy, figure_map, leaderboard, visible_places};
use crate::report::visibility::View;

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

    pub(super) async fn stuck(
        &self,
        viewer: &EmployeeConfig,
        scope: Scope,
        ru: bool,
    ) -> anyhow::Result<Reply> {
        let day = self.last_working_day(viewer);
        let report = figures::build(self.store, self.config, &scope, day, day, self.now).await?;
        let mut deals: Vec<&crate::metrics::funnel::StuckDeal> = report
            .employees
            .iter()
            .flat_map(|e| e.funnel.stuck.iter())
            .collect();
        deals.sort_by_key(|d| std::cmp::Reverse(d.days_in_stage));
        let mut out = format!(
            "<b>{}: {}</b>\n",
            if ru {
                "Зависшие сделки"
            } else {
                "Stuck deals"
            },
            deals.len()
        );
        for d in deals.iter().take(30) {
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
            let amount = if d.amount_minor > 0 {
                let locale = if ru { Locale::Ru } else { Locale::En };
                format!(
                    " · {}",
                    crate::report::weekly::money(d.amount_minor as f64, locale)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{}{} · {} · «{}» {} {} ({} {})",
                escape(&d.title),
                escape(&amount),
                escape(&owner),
                escape(stage),
                d.days_in_stage,
                if ru { "дн." } else { "days" },
                if ru { "порог" } else { "threshold" },
                d.threshold_days
            );
        }
        if deals.len() > 30 {
            let _ = writeln!(out, "… +{}", deals.len() - 30);
        }
        Ok(Reply::html(out))
    }

    pub(super) async fn overdue(
        &self,
        viewer: &EmployeeConfig,
        scope: Scope,
        ru: bool,
    ) -> anyhow::Result<Reply> {
        let day = self.last_working_day(viewer);
        let report = figures::build(self.store, self.config, &scope, day, day, self.now).await?;
        let total: f64 = report
            .employees
            .iter()
            .map(|e| e.hygiene.overdue_tasks.value)
            .sum();
        let mut out = format!(
            "<b>{}: {}</b>\n",
            if ru {
                "Просроченные задачи"
            } else {
                "Overdue tasks"
            },
            total
        );
        let mut people: Vec<_> = report.employees.iter().collect();
        people.sort_by(|a, b| {
            b.hygiene
                .overdue_tasks
                .value
                .total_cmp(&a.hygiene.overdue_tasks.value)
        });
        for e in people {
            let _ = writeln!(
                out,
                "{}: {}, {} {} {}",
                escape(&e.name),
                e.hygiene.overdue_tasks.value,
                if ru { "старейшая" } else { "oldest" },
                e.hygiene.oldest_overdue_days.value,
                if ru { "дн." } else { "days" }
            );
        }
        Ok(Reply::html(out))
    }

    pub(super) async fn top(
        &self,
        viewer: &EmployeeConfig,
        period: Option<Period>,
        ru: bool,
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
        )
        .await?;
        // Plan completion over the period asked for.
        let figures = figures::build(
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
        let mut out = format!(
            "<b>{}</b> {}–{}\n",
            if ru {
                "План активности,"
            } else {
                "Activity plan,"
            },
            p.first.format("%d.%m"),
            p.last.format("%d.%m")
        );
        let mut table = String::new();
        for place in shown {
            let _ = writeln!(
                table,
                "{:>2}. {:<14} {:>6}",
                place.rank, place.name, place.shown
            );
        }
        out.push_str(&pre(&table));
        Ok(Reply::html(out))
    }

    pub(super) async fn self_report(
        &self,
        viewer: &EmployeeConfig,
        text: &str,
        ru: bool,
    ) -> anyhow::Result<Reply> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut reported = BTreeMap::new();
        for pair in words.chunks(2) {
            let (Some(name), Some(value)) = (pair.first(), pair.get(1)) else {
                return Ok(Reply::html(escape("/report cold 32 warm 9 proposals 18")));
            };
            let key = match figure_key(name) {
                Some(k) => k.to_owned(),
                None if *name == "proposals" || *name == "кп" => "proposals".into(),
                None => {
                    return Ok(Reply::html(format!(
                        "{}: {}",
                        escape(&echo(name)),
                        help(ru)
                    )));
                }
            };
            let Ok(v) = value.parse::<f64>() else {
                return Ok(Reply::html(escape("/report cold 32 warm 9 proposals 18")));
            };
            reported.insert(key, v);
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
        let locale = if ru { Locale::Ru } else { Locale::En };
        let mut out = String::from(if ru {
            "Самоотчёт и замер:\n"
        } else {
            "Self-report vs measured:\n"
        });
        // The measured value of a figure kept from the reader is not shown
        // back to them; their heads get it.
        let view = View::of(self.config, viewer.role);
        for l in &lines {
            let measured = if view.shows_figure(&l.figure) {
                crate::metrics::kpi::number(l.measured)
            } else {
                "—".to_owned()
            };
            let _ = writeln!(
                out,
                "{} {}: {} / {}",
                if l.flagged { "⚠️" } else { "✅" },
                escape(&figure_label(&l.figure, locale)),
                crate::metrics::kpi::number(l.reported),
                measured
            );
        }
        let mut reply = Reply::html(&out);
        // Differences beyond the tolerance go to the person's heads.
        let flagged: Vec<_> = lines.iter().filter(|l| l.flagged).collect();
        if !flagged.is_empty() {
            let mut note = format!(
                "⚠️ {} {}, {}:\n",
                if ru {
                    "Самоотчёт расходится с замером:"
                } else {
                    "A self-report differs from the measured figures:"
                },
                escape(&viewer.name),
                day.format("%d.%m")
            );
            for l in flagged {
                let _ = writeln!(
                    note,
                    "{}: {} / {}",
                    escape(&figure_label(&l.figure, locale)),
                    crate::metrics::kpi::number(l.reported),
                    crate::metrics::kpi::number(l.measured)
                );
            }
            reply.forwards = self
                .config
                .employees
                .iter()
                .filter(|e| e.role == Role::Head && e.team == viewer.team && e.id != viewer.id)
                .filter_map(|e| e.telegram_id)
                .map(|chat| Forward {
                    chat,
                    text: note.clone(),
                })
                .collect();
        }
        Ok(reply)
    }
}
