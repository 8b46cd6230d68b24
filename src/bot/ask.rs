//! `ask`: a chat command (or a press of a button of an earlier answer)
//! answered as the bot would answer a person, without Telegram; with
//! repeats, the answer's latency.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::bot::answer::{Bot, Reply};
use crate::config::Config;
use crate::report::figures::find_employee;
use crate::words::Catalog;

/// What the person does: writes a message, or presses a button (its
/// callback data).
#[derive(Debug, Clone, Copy)]
pub enum Said<'a> {
    Text(&'a str),
    Press(&'a str),
}

/// The reply, and with more than one repeat a latency line (p50, p99, max).
pub async fn ask(
    config: &Config,
    as_who: &str,
    said: Said<'_>,
    repeat: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<(Reply, Option<String>)> {
    let store = crate::app::kpi::open_guarded(config, now).await?;
    let viewer = find_employee(config, as_who)?.clone();
    let words = Catalog::new(config.templates_dir.as_deref())?;
    let bot = Bot {
        store: store.as_ref(),
        config,
        words: &words,
        now,
    };
    let mut times: Vec<Duration> = Vec::with_capacity(repeat.max(1));
    let mut reply = Reply::default();
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        reply = match said {
            Said::Text(text) => bot.respond_as(&viewer, text).await?,
            Said::Press(data) => bot.press_as(&viewer, data).await?,
        };
        times.push(started.elapsed());
    }
    store.close().await;
    if repeat <= 1 {
        return Ok((reply, None));
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok((
        reply,
        Some(format!(
            "{} answers: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            times.len(),
            ms(at(0.50)),
            ms(at(0.99)),
            ms(at(1.0))
        )),
    ))
}
