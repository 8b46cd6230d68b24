//! `/healthz` and `/metrics` (Prometheus text) of a running `serve`.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::clock::Clock;
use crate::storage::{FiringCount, OutboxCount, OutboxStatus, RunStat, Store};

/// What the endpoint reports, shared with the loops that update it.
pub struct Status {
    pub store: Arc<Store>,
    pub instance: String,
    pub clock: Clock,
    /// Whether this instance long-polls Telegram now.
    pub bot_leader: AtomicBool,
    pub ticks: AtomicU64,
    pub tick_failures: AtomicU64,
    /// Epoch seconds of the last tick that went through.
    pub last_tick: AtomicU64,
}

pub fn router(status: Arc<Status>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(status)
}

async fn healthz(State(s): State<Arc<Status>>) -> impl IntoResponse {
    match s.store.data_version().await {
        Ok(_) => (
            StatusCode::OK,
            format!(
                "ok\ninstance {}\ntelegram poller {}\n",
                s.instance,
                if s.bot_leader.load(Ordering::Relaxed) {
                    "yes"
                } else {
                    "no"
                }
            ),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}\n"),
        ),
    }
}

async fn metrics(State(s): State<Arc<Status>>) -> impl IntoResponse {
    match render(&s).await {
        Ok(text) => (
            StatusCode::OK,
            [("content-type", "text/plain; version=0.0.4")],
            text,
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [("content-type", "text/plain; version=0.0.4")],
            format!("# database unreachable: {e}\n"),
        ),
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

async fn render(s: &Status) -> Result<String, crate::storage::StorageError> {
    let now = s.clock.now().timestamp();
    let runs = s.store.run_stats().await?;
    let outbox = s.store.outbox_counts().await?;
    let firings = s.store.firing_counts().await?;
    let mut out = String::new();
    pull_families(&mut out, &runs, now);
    outbox_families(&mut out, &outbox);
    firing_families(&mut out, &firings);
    instance_families(&mut out, s);
    Ok(out)
}

/// Runs, their age and the rows they stored, per source.
fn pull_families(out: &mut String, runs: &[RunStat], now: i64) {
    family(
        out,
        "salespulse_pull_runs_total",
        "counter",
        "Ingestion runs (pulls and files) per source.",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "salespulse_pull_runs_total{{source=\"{}\"}} {}",
            label(&r.source),
            r.runs
        );
    }
    family(
        out,
        "salespulse_pull_age_seconds",
        "gauge",
        "Seconds since the source's last run finished.",
    );
    for r in runs {
        if let Some(t) = r.last_finished {
            let _ = writeln!(
                out,
                "salespulse_pull_age_seconds{{source=\"{}\"}} {}",
                label(&r.source),
                (now - t).max(0)
            );
        }
    }
    family(
        out,
        "salespulse_rows_ingested_total",
        "counter",
        "Records inserted or updated per source.",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "salespulse_rows_ingested_total{{source=\"{}\"}} {}",
            label(&r.source),
            r.rows_stored
        );
    }
}

/// Outbox rows by channel and status, and the sent, failed and waiting sums.
fn outbox_families(out: &mut String, outbox: &[OutboxCount]) {
    family(
        out,
        "salespulse_outbox_rows",
        "gauge",
        "Outbox rows by channel and status (pending and sending are waiting).",
    );
    for c in outbox {
        let _ = writeln!(
            out,
            "salespulse_outbox_rows{{channel=\"{}\",status=\"{}\"}} {}",
            c.channel, c.status, c.rows
        );
    }
    let sum = |pick: &dyn Fn(OutboxStatus) -> bool| -> i64 {
        outbox
            .iter()
            .filter(|c| pick(c.status))
            .map(|c| c.rows)
            .sum()
    };
    for (name, help, value) in [
        (
            "salespulse_deliveries_sent",
            "Outbox rows sent.",
            sum(&|s| s == OutboxStatus::Sent),
        ),
        (
            "salespulse_deliveries_failed",
            "Outbox rows failed for good.",
            sum(&|s| s == OutboxStatus::Failed),
        ),
        (
            "salespulse_deliveries_waiting",
            "Outbox rows not sent yet.",
            sum(&|s| matches!(s, OutboxStatus::Pending | OutboxStatus::Sending)),
        ),
    ] {
        family(out, name, "gauge", help);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// Firings of each schedule by what became of them.
fn firing_families(out: &mut String, firings: &[FiringCount]) {
    family(
        out,
        "salespulse_firings",
        "gauge",
        "Firings of each schedule by what became of them (fired, missed, failed).",
    );
    for f in firings {
        let _ = writeln!(
            out,
            "salespulse_firings{{schedule=\"{}\",status=\"{}\"}} {}",
            label(&f.schedule),
            f.status,
            f.rows
        );
    }
}

/// This instance's scheduler ticks and whether it polls Telegram.
fn instance_families(out: &mut String, s: &Status) {
    family(
        out,
        "salespulse_scheduler_ticks_total",
        "counter",
        "Scheduler ticks of this instance, and those that failed.",
    );
    let _ = writeln!(
        out,
        "salespulse_scheduler_ticks_total{{result=\"ok\"}} {}\nsalespulse_scheduler_ticks_total{{result=\"failed\"}} {}",
        s.ticks.load(Ordering::Relaxed),
        s.tick_failures.load(Ordering::Relaxed)
    );
    family(
        out,
        "salespulse_telegram_poller",
        "gauge",
        "1 when this instance long-polls Telegram.",
    );
    let _ = writeln!(
        out,
        "salespulse_telegram_poller {}",
        u8::from(s.bot_leader.load(Ordering::Relaxed))
    );
}
