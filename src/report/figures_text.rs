//! The figures report as a readable text for the terminal, in the reader's
//! language: every label from `report-templates/<locale>/cli.ftl`, figures
//! by their names, durations, shares and rules through the catalog.

use std::fmt::Write;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::figures::{EmployeeFigures, FiguresReport};
use crate::config::Locale;
use crate::metrics::Figure;
use crate::metrics::funnel::{Bottleneck, Funnel};
use crate::metrics::hygiene::Hygiene;
use crate::metrics::plan::{PlanResult, PlanStatus};
use crate::metrics::pulse::DayPulse;
use crate::metrics::telephony::Telephony;
use crate::words::{Arg, Catalog};

/// The catalog and the reader's locale: what every line is worded with.
#[derive(Clone, Copy)]
pub struct Speech<'a> {
    pub catalog: &'a Catalog,
    pub locale: Locale,
}

impl Speech<'_> {
    /// The message `id` with `args`.
    pub fn say(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.catalog.text(self.locale, id, args)
    }

    pub fn pct(&self, share: f64) -> String {
        self.catalog.percent(self.locale, share)
    }

    pub fn secs(&self, seconds: i64) -> String {
        self.catalog.duration(self.locale, seconds)
    }

    pub fn num(&self, x: f64) -> String {
        crate::words::number(self.locale, x, 2)
    }

    /// A day as the locale writes it: «20.11.2026», `2026-11-20`.
    pub fn date(&self, day: NaiveDate) -> String {
        self.say(
            "cli-date",
            &[
                ("d", Arg::from(day.format("%d").to_string())),
                ("m", Arg::from(day.format("%m").to_string())),
                ("y", Arg::from(day.format("%Y").to_string())),
            ],
        )
    }

    /// What stands where a value is missing.
    pub fn none(&self) -> String {
        self.say("cli-none", &[])
    }

    pub fn rule(&self, rule: &crate::metrics::Rule) -> String {
        self.catalog.rule(self.locale, rule)
    }
}

fn hm(t: chrono::DateTime<chrono::Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// A count figure as a whole number.
fn n(f: &Figure) -> i64 {
    f.value as i64
}

/// The two telephony lines: calls and talk, then the mix of calls.
fn telephony_lines(out: &mut String, s: Speech<'_>, t: &Telephony) {
    let calls = s.say(
        "cli-figures-calls",
        &[
            ("out", Arg::from(n(&t.calls_out))),
            ("in", Arg::from(n(&t.calls_in))),
            ("missed", Arg::from(n(&t.missed))),
            ("connected", Arg::from(n(&t.connected))),
            ("successful", Arg::from(n(&t.successful_contacts))),
            ("talk", Arg::from(s.secs(n(&t.talk_time)))),
            ("mean", Arg::from(s.secs(t.talk_mean.value.round() as i64))),
            (
                "median",
                Arg::from(s.secs(t.talk_median.value.round() as i64)),
            ),
        ],
    );
    let mix = s.say(
        "cli-figures-mix",
        &[
            ("short", Arg::from(n(&t.short_calls))),
            ("medium", Arg::from(n(&t.medium_calls))),
            ("long", Arg::from(n(&t.long_calls))),
            ("cold", Arg::from(n(&t.cold_calls))),
            ("warm", Arg::from(n(&t.warm_calls))),
            ("new", Arg::from(n(&t.new_client_calls))),
            ("existing", Arg::from(n(&t.existing_client_calls))),
        ],
    );
    let _ = writeln!(out, "  {calls}\n    {mix}");
}

/// The plan line: completion, status, working days and each figure against
/// its target.
fn plan_line(out: &mut String, s: Speech<'_>, plan: &PlanResult) {
    let status = s.say(
        match plan.status {
            PlanStatus::Met => "cli-plan-met",
            PlanStatus::Missed => "cli-plan-missed",
            PlanStatus::Info => "cli-plan-info",
            PlanStatus::NoPlan => "cli-plan-none",
        },
        &[],
    );
    let lines: Vec<String> = plan
        .lines
        .iter()
        .map(|l| {
            s.say(
                if l.met {
                    "cli-plan-line-met"
                } else {
                    "cli-plan-line-low"
                },
                &[
                    ("figure", Arg::from(s.catalog.figure(s.locale, &l.figure))),
                    ("actual", Arg::from(l.actual)),
                    ("target", Arg::from(l.target.round())),
                ],
            )
        })
        .collect();
    let line = s.say(
        "cli-figures-plan",
        &[
            (
                "completion",
                Arg::from(
                    plan.completion
                        .map(|c| s.pct(c))
                        .unwrap_or_else(|| s.none()),
                ),
            ),
            ("status", Arg::from(status)),
            ("days", Arg::from(u64::from(plan.working_days))),
            ("lines", Arg::from(lines.join(" · "))),
        ],
    );
    let _ = writeln!(out, "  {line}");
}

/// One day's pulse line.
fn pulse_line(out: &mut String, s: Speech<'_>, day: &DayPulse, tz: Tz) {
    let longest = day
        .longest_idle
        .map(|g| {
            s.say(
                "cli-figures-pulse-longest",
                &[
                    ("length", Arg::from(s.secs(g.seconds()))),
                    ("from", Arg::from(hm(g.start, tz))),
                    ("to", Arg::from(hm(g.end, tz))),
                ],
            )
        })
        .unwrap_or_default();
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| hm(t, tz)).unwrap_or_else(|| s.none());
    let wrapup = |m: Option<f64>| {
        m.map(|m| s.secs(m.round() as i64))
            .unwrap_or_else(|| s.none())
    };
    let line = s.say(
        "cli-figures-pulse",
        &[
            ("day", Arg::from(day.day.format("%d.%m").to_string())),
            ("calls", Arg::from(day.calls)),
            ("first", Arg::from(time(day.first_call))),
            ("last", Arg::from(time(day.last_call_end))),
            ("zones", Arg::from(day.active_zones.len())),
            ("idle", Arg::from(day.idle_gaps.len())),
            ("idle_total", Arg::from(s.secs(day.idle_total_secs))),
            ("longest", Arg::from(longest)),
            ("share", Arg::from(s.pct(day.share_in_calls))),
            (
                "wrap_bad",
                Arg::from(wrapup(day.wrapup_unsuccessful_median)),
            ),
            ("wrap_good", Arg::from(wrapup(day.wrapup_successful_median))),
            (
                "peak",
                Arg::from(
                    day.peak_hour
                        .map(|h| format!("{h:02}:00"))
                        .unwrap_or_else(|| s.none()),
                ),
            ),
            ("peak_calls", Arg::from(day.peak_calls)),
            (
                "utilisation",
                Arg::from(
                    day.utilisation
                        .map(|u| s.pct(u))
                        .unwrap_or_else(|| s.none()),
                ),
            ),
        ],
    );
    let _ = writeln!(out, "  {line}");
}

/// The hygiene line.
fn hygiene_line(out: &mut String, s: Speech<'_>, h: &Hygiene) {
    let line = s.say(
        "cli-figures-hygiene",
        &[
            ("cards", Arg::from(n(&h.cards_touched))),
            ("overdue", Arg::from(n(&h.overdue_tasks))),
            ("oldest", Arg::from(n(&h.oldest_overdue_days))),
            ("postponed", Arg::from(n(&h.postponed_without_action))),
            ("no_task", Arg::from(n(&h.deals_without_next_task))),
            ("untraced", Arg::from(n(&h.calls_without_trace))),
            ("weak", Arg::from(n(&h.weak_comments))),
            ("weak_share", Arg::from(s.pct(h.weak_comment_share.value))),
            ("unfinished", Arg::from(n(&h.unfinished_tasks))),
        ],
    );
    let _ = writeln!(out, "  {line}");
}

/// The funnel line: open deals per stage, won, lost, stuck, the bottleneck.
fn funnel_line(out: &mut String, s: Speech<'_>, f: &Funnel, bottleneck: Option<&Bottleneck>) {
    let open: Vec<String> = f
        .stages
        .iter()
        .map(|r| format!("{} {}", r.name, r.open_deals))
        .collect();
    let bottleneck = bottleneck
        .map(|b| {
            let stage = f
                .stages
                .iter()
                .find(|r| r.stage == b.stage)
                .map_or(b.stage.as_str(), |r| r.name.as_str());
            s.say(
                "cli-figures-bottleneck",
                &[
                    ("stage", Arg::from(stage)),
                    ("share", Arg::from(s.pct(b.share))),
                    ("team_share", Arg::from(s.pct(b.team_share))),
                ],
            )
        })
        .unwrap_or_default();
    let line = s.say(
        "cli-figures-funnel",
        &[
            ("open", Arg::from(open.join(", "))),
            ("won", Arg::from(n(&f.won))),
            ("lost", Arg::from(n(&f.lost))),
            ("stuck", Arg::from(f.stuck.len())),
            ("bottleneck", Arg::from(bottleneck)),
        ],
    );
    let _ = writeln!(out, "  {line}");
}

/// One person's block of lines.
fn person(out: &mut String, s: Speech<'_>, e: &EmployeeFigures, tz: Tz) {
    let _ = writeln!(out, "\n{} ({})", e.name, e.employee_id);
    telephony_lines(out, s, &e.telephony);
    let activities = e
        .activities
        .iter()
        .map(|f| format!("{} {}", s.catalog.figure(s.locale, f.key), s.num(f.value)))
        .collect::<Vec<_>>()
        .join(" · ");
    let _ = writeln!(
        out,
        "  {}",
        s.say("cli-figures-activities", &[("list", Arg::from(activities))])
    );
    plan_line(out, s, &e.plan);
    for day in &e.pulse {
        pulse_line(out, s, day, tz);
    }
    hygiene_line(out, s, &e.hygiene);
    funnel_line(out, s, &e.funnel, e.bottleneck.as_ref());
}

/// Every figure's rule of a person, one line each.
fn explain(out: &mut String, s: Speech<'_>, e: &EmployeeFigures) {
    for f in e
        .telephony
        .all()
        .into_iter()
        .chain(e.activities.iter())
        .chain(e.hygiene.all())
        .chain([
            &e.funnel.won,
            &e.funnel.lost,
            &e.funnel.win_rate,
            &e.funnel.revenue,
            &e.funnel.stuck_deals,
        ])
        .chain(e.pulse.iter().flat_map(|d| d.figures.iter()))
    {
        let why = s.say(
            "cli-figures-why",
            &[
                ("figure", Arg::from(s.catalog.figure(s.locale, f.key))),
                ("rule", Arg::from(s.rule(&f.rule))),
            ],
        );
        let _ = writeln!(out, "    {why}");
    }
    for l in &e.plan.lines {
        let why = s.say(
            "cli-figures-why-plan",
            &[("rule", Arg::from(s.rule(&l.rule)))],
        );
        let _ = writeln!(out, "    {why}");
    }
    if let Some(b) = &e.bottleneck {
        let _ = writeln!(out, "    {}", s.rule(&b.rule));
    }
}

/// The team's funnel: stages, the win rate, lead temperatures, channels
/// and the stuck deals.
fn team_funnel(out: &mut String, s: Speech<'_>, f: &Funnel) {
    let _ = writeln!(out, "\n{}", s.say("cli-figures-team-funnel", &[]));
    for r in &f.stages {
        let line = s.say(
            "cli-figures-stage",
            &[
                ("stage", Arg::from(r.name.as_str())),
                ("open", Arg::from(r.open_deals)),
                (
                    "amount",
                    Arg::from(s.num(r.open_amount_minor as f64 / 100.0)),
                ),
                ("entered", Arg::from(r.entered)),
                ("went_on", Arg::from(r.went_on)),
                (
                    "conversion",
                    Arg::from(r.conversion.map(|c| s.pct(c)).unwrap_or_else(|| s.none())),
                ),
            ],
        );
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "  {}", s.rule(&f.win_rate.rule));
    for t in &f.temperature {
        let kind = s.say(&format!("cli-temperature-{}", t.temperature.as_str()), &[]);
        let line = s.say(
            "cli-figures-temperature",
            &[
                ("temperature", Arg::from(kind)),
                ("won", Arg::from(t.won)),
                ("closed", Arg::from(t.closed)),
                (
                    "rate",
                    Arg::from(t.win_rate.map(|r| s.pct(r)).unwrap_or_else(|| s.none())),
                ),
                ("low", Arg::from(s.pct(t.benchmark.0))),
                ("high", Arg::from(s.pct(t.benchmark.1))),
            ],
        );
        let _ = writeln!(out, "  {line}");
    }
    for c in &f.channels {
        let line = s.say(
            "cli-figures-channel",
            &[
                ("channel", Arg::from(c.channel.as_str())),
                ("leads", Arg::from(c.leads)),
                ("won", Arg::from(c.won)),
                ("revenue", Arg::from(s.num(c.revenue_minor as f64 / 100.0))),
            ],
        );
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(
        out,
        "  {}",
        s.say("cli-figures-stuck", &[("n", Arg::from(f.stuck.len()))])
    );
    for d in f.stuck.iter().take(10) {
        let stage = f
            .stages
            .iter()
            .find(|r| r.stage == d.stage)
            .map_or(d.stage.as_str(), |r| r.name.as_str());
        let line = s.say(
            "cli-figures-stuck-deal",
            &[
                ("deal", Arg::from(d.deal.as_str())),
                ("title", Arg::from(d.title.as_str())),
                ("stage", Arg::from(stage)),
                ("days", Arg::from(d.days_in_stage)),
                ("threshold", Arg::from(d.threshold_days)),
                ("amount", Arg::from(s.num(d.amount_minor as f64 / 100.0))),
                (
                    "owner",
                    Arg::from(d.employee_id.clone().unwrap_or_else(|| s.none())),
                ),
            ],
        );
        let _ = writeln!(out, "    {line}");
    }
}

/// The report as text in `s`'s words; `explain` adds every figure's rule.
pub fn render(s: Speech<'_>, report: &FiguresReport, explain_rules: bool) -> String {
    let tz: Tz = report.period.timezone.parse().unwrap_or(Tz::UTC);
    let mut out = s.say(
        "cli-figures-title",
        &[
            ("team", Arg::from(report.team_name.as_str())),
            ("from", Arg::from(s.date(report.period.first_day))),
            ("to", Arg::from(s.date(report.period.last_day))),
            ("tz", Arg::from(report.period.timezone.as_str())),
        ],
    );
    out.push('\n');
    for e in &report.employees {
        person(&mut out, s, e, tz);
        if explain_rules {
            explain(&mut out, s, e);
        }
    }
    team_funnel(&mut out, s, &report.team_funnel);
    out
}
