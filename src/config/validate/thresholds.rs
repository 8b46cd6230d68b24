//! `[thresholds]`: the numbers behind "a successful call", "idle", "weak
//! comment" and "stuck", each with its default.

use super::super::Thresholds;
use super::super::raw::RawThresholds;
use super::Issues;

/// Each threshold as written, or its default; a bad one is named.
pub(super) fn thresholds(issues: &mut Issues, t: RawThresholds) -> Thresholds {
    let d = Thresholds::default();
    Thresholds {
        success_talk_secs: issues.positive(
            "thresholds.success_talk_secs",
            t.success_talk_secs,
            d.success_talk_secs,
        ),
        idle_gap_mins: issues.positive(
            "thresholds.idle_gap_mins",
            t.idle_gap_mins,
            d.idle_gap_mins,
        ),
        // A call's trace is looked for within a day of it: the daily
        // roll-up relies on it (`storage::stale_days::REACH_BACK`).
        trace_window_mins: match issues.positive(
            "thresholds.trace_window_mins",
            t.trace_window_mins,
            d.trace_window_mins,
        ) {
            m if m > 24 * 60 => {
                issues.add(
                    "thresholds.trace_window_mins",
                    format!("{m} minutes is longer than a day (at most 1440)"),
                );
                d.trace_window_mins
            }
            m => m,
        },
        weak_comment_min_chars: issues.positive(
            "thresholds.weak_comment_min_chars",
            t.weak_comment_min_chars,
            d.weak_comment_min_chars as i64,
        ) as usize,
        weak_comment_phrases: t
            .weak_comment_phrases
            .map(|p| p.into_iter().map(|s| s.trim().to_lowercase()).collect())
            .unwrap_or(d.weak_comment_phrases),
        stuck_after_days: issues.positive(
            "thresholds.stuck_after_days",
            t.stuck_after_days,
            d.stuck_after_days,
        ),
        funnel_window_days: issues.positive(
            "thresholds.funnel_window_days",
            t.funnel_window_days,
            d.funnel_window_days,
        ),
        self_report_tolerance_pct: match t.self_report_tolerance_pct {
            None => d.self_report_tolerance_pct,
            Some(p) if (0.0..=100.0).contains(&p) => p,
            Some(p) => {
                issues.add(
                    "thresholds.self_report_tolerance_pct",
                    format!("{p} is not a percentage (expected 0 to 100)"),
                );
                d.self_report_tolerance_pct
            }
        },
        self_report_tolerance_min: issues.positive(
            "thresholds.self_report_tolerance_min",
            t.self_report_tolerance_min,
            d.self_report_tolerance_min,
        ),
    }
}
