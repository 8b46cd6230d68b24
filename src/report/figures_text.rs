//! The figures report as a readable text table for the terminal.

use std::fmt::Write;

use chrono_tz::Tz;

use super::figures::{EmployeeFigures, FiguresReport};
use crate::metrics::funnel::{Bottleneck, Funnel};
use crate::metrics::hygiene::Hygiene;
use crate::metrics::plan::{PlanResult, PlanStatus};
use crate::metrics::pulse::DayPulse;
use crate::metrics::telephony::Telephony;
use crate::metrics::{Figure, human_duration};

fn pct(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

fn hm(t: chrono::DateTime<chrono::Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// A count figure as a whole number.
fn n(f: &Figure) -> i64 {
    f.value as i64
}

/// The two telephony lines: calls and talk, then the mix of calls.
fn telephony_lines(out: &mut String, t: &Telephony) {
    let _ = writeln!(
        out,
        "  Calls       out {} · in {} · missed {} · connected {} · successful {} · talk {} (mean {} s, median {} s)",
        n(&t.calls_out),
        n(&t.calls_in),
        n(&t.missed),
        n(&t.connected),
        n(&t.successful_contacts),
        human_duration(n(&t.talk_time)),
        n(&t.talk_mean),
        n(&t.talk_median),
    );
    let _ = writeln!(
        out,
        "              under 1 min {} · 1-3 min {} · over 3 min {} · cold {} · warm {} · new clients {} · existing {}",
        n(&t.short_calls),
        n(&t.medium_calls),
        n(&t.long_calls),
        n(&t.cold_calls),
        n(&t.warm_calls),
        n(&t.new_client_calls),
        n(&t.existing_client_calls),
    );
}

/// The plan line: completion, status, working days and each figure against
/// its target.
fn plan_line(out: &mut String, plan: &PlanResult) {
    let status = match plan.status {
        PlanStatus::Met => "met",
        PlanStatus::Missed => "missed",
        PlanStatus::Info => "missed, sales plan met",
        PlanStatus::NoPlan => "no plan",
    };
    let lines: Vec<String> = plan
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {}/{:.0} {}",
                l.figure,
                l.actual,
                l.target,
                if l.met { "ok" } else { "LOW" }
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "  Plan        {} ({status}, {} working days): {}",
        plan.completion.map(pct).unwrap_or_else(|| "-".into()),
        plan.working_days,
        lines.join(" · ")
    );
}

/// One day's pulse line.
fn pulse_line(out: &mut String, day: &DayPulse, tz: Tz) {
    let longest = day
        .longest_idle
        .map(|g| {
            format!(
                ", longest {} {}-{}",
                human_duration(g.seconds()),
                hm(g.start, tz),
                hm(g.end, tz)
            )
        })
        .unwrap_or_default();
    let first = day
        .first_call
        .map(|t| hm(t, tz))
        .unwrap_or_else(|| "-".into());
    let last = day
        .last_call_end
        .map(|t| hm(t, tz))
        .unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "  Pulse {}  {} calls {first}-{last} · {} zones · idle {} ({}{longest}) · in calls {} · wrap-up {} / {} s · peak {} ({} calls, utilisation {})",
        day.day.format("%d.%m"),
        day.calls,
        day.active_zones.len(),
        day.idle_gaps.len(),
        human_duration(day.idle_total_secs),
        pct(day.share_in_calls),
        day.wrapup_unsuccessful_median
            .map(|m| format!("{m:.0}"))
            .unwrap_or_else(|| "-".into()),
        day.wrapup_successful_median
            .map(|m| format!("{m:.0}"))
            .unwrap_or_else(|| "-".into()),
        day.peak_hour
            .map(|h| format!("{h:02}:00"))
            .unwrap_or_else(|| "-".into()),
        day.peak_calls,
        day.utilisation.map(pct).unwrap_or_else(|| "-".into()),
    );
}

/// The hygiene line.
fn hygiene_line(out: &mut String, h: &Hygiene) {
    let _ = writeln!(
        out,
        "  Hygiene     cards {} · overdue {} (oldest {} d) · postponed without action {} · deals without task {} · calls without trace {} · weak comments {} ({}) · unfinished {}",
        n(&h.cards_touched),
        n(&h.overdue_tasks),
        n(&h.oldest_overdue_days),
        n(&h.postponed_without_action),
        n(&h.deals_without_next_task),
        n(&h.calls_without_trace),
        n(&h.weak_comments),
        pct(h.weak_comment_share.value),
        n(&h.unfinished_tasks),
    );
}

/// The funnel line: open deals per stage, won, lost, stuck, the bottleneck.
fn funnel_line(out: &mut String, f: &Funnel, bottleneck: Option<&Bottleneck>) {
    let open: Vec<String> = f
        .stages
        .iter()
        .map(|s| format!("{} {}", s.stage, s.open_deals))
        .collect();
    let _ = writeln!(
        out,
        "  Funnel      open: {} · won {} · lost {} · stuck {}{}",
        open.join(", "),
        n(&f.won),
        n(&f.lost),
        f.stuck.len(),
        bottleneck
            .map(|b| format!(
                " · bottleneck {} ({} vs team {})",
                b.stage,
                pct(b.share),
                pct(b.team_share)
            ))
            .unwrap_or_default()
    );
}

/// One person's block of lines.
fn person(out: &mut String, e: &EmployeeFigures, tz: Tz) {
    let _ = writeln!(out, "\n{} ({})", e.name, e.employee_id);
    telephony_lines(out, &e.telephony);
    let _ = writeln!(
        out,
        "  Activities  {}",
        e.activities
            .iter()
            .map(|f| format!("{} {}", f.key, f.value))
            .collect::<Vec<_>>()
            .join(" · ")
    );
    plan_line(out, &e.plan);
    for day in &e.pulse {
        pulse_line(out, day, tz);
    }
    hygiene_line(out, &e.hygiene);
    funnel_line(out, &e.funnel, e.bottleneck.as_ref());
}

/// The report as text; `explain` adds every figure's rule.
pub fn render(report: &FiguresReport, explain: bool) -> String {
    let tz: Tz = report.period.timezone.parse().unwrap_or(Tz::UTC);
    let mut out = format!(
        "{} — {} to {} ({})\n",
        report.team_name, report.period.first_day, report.period.last_day, report.period.timezone
    );
    for e in &report.employees {
        person(&mut out, e, tz);
        if explain {
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
                let _ = writeln!(
                    out,
                    "    why {}: {}",
                    f.key,
                    crate::words::Catalog::built_in().rule(crate::config::Locale::En, &f.rule)
                );
            }
            for l in &e.plan.lines {
                let _ = writeln!(
                    out,
                    "    why plan {}",
                    crate::words::Catalog::built_in().rule(crate::config::Locale::En, &l.rule)
                );
            }
            if let Some(b) = &e.bottleneck {
                let _ = writeln!(
                    out,
                    "    why {}",
                    crate::words::Catalog::built_in().rule(crate::config::Locale::En, &b.rule)
                );
            }
        }
    }
    let f = &report.team_funnel;
    let _ = writeln!(out, "\nTeam funnel");
    for s in &f.stages {
        let _ = writeln!(
            out,
            "  {:<12} open {:>4} ({:>12.2}) · entered {:>4} · went on {:>4} · conversion {}",
            s.stage,
            s.open_deals,
            s.open_amount_minor as f64 / 100.0,
            s.entered,
            s.went_on,
            s.conversion.map(pct).unwrap_or_else(|| "-".into())
        );
    }
    let _ = writeln!(
        out,
        "  {}",
        crate::words::Catalog::built_in().rule(crate::config::Locale::En, &f.win_rate.rule)
    );
    for t in &f.temperature {
        let _ = writeln!(
            out,
            "  {} leads: {} won of {} closed ({}), benchmark {}-{}",
            t.temperature,
            t.won,
            t.closed,
            t.win_rate.map(pct).unwrap_or_else(|| "-".into()),
            pct(t.benchmark.0),
            pct(t.benchmark.1)
        );
    }
    for c in &f.channels {
        let _ = writeln!(
            out,
            "  channel {}: {} leads, {} won, revenue {:.2}",
            c.channel,
            c.leads,
            c.won,
            c.revenue_minor as f64 / 100.0
        );
    }
    let _ = writeln!(out, "  stuck deals: {}", f.stuck.len());
    for s in f.stuck.iter().take(10) {
        let _ = writeln!(
            out,
            "    {} \"{}\" at {} for {} days (threshold {}), {:.2}, owner {}",
            s.deal,
            s.title,
            s.stage,
            s.days_in_stage,
            s.threshold_days,
            s.amount_minor as f64 / 100.0,
            s.employee_id.as_deref().unwrap_or("-")
        );
    }
    out
}
