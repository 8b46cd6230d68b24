//! Delivery workers: claim outbox rows, send them, then mark them sent.
//! A Telegram report goes part by part and its progress is recorded after
//! each, so a crash repeats at most the one message that was in flight.
//! Temporary failures come back with exponential backoff up to a cap;
//! permanent ones are marked failed and told to the admin chat.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use teloxide::adaptors::Throttle;
use teloxide::types::ChatId;

use super::firing::Payload;
use crate::delivery::email::{Mailer, SendError};
use crate::delivery::telegram::{disable_chat, refusal, send_part};
use crate::storage::{OutboxRow, Storage};

/// How rows are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Claims of a row before it is failed for good.
    pub max_attempts: i64,
    /// The wait after the first failure, doubled after each further one.
    pub base: Duration,
    pub cap: Duration,
    /// How long a claim holds before another worker may take the row.
    pub lease: Duration,
}

impl RetryPolicy {
    /// The wait before try `attempts + 1`.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        let wait = self.base.num_seconds().saturating_mul(1_i64 << doublings);
        Duration::seconds(wait.min(self.cap.num_seconds()))
    }
}

/// The channels rows go out through.
pub struct Channels {
    pub telegram: Option<Throttle<teloxide::Bot>>,
    pub mailer: Option<Mailer>,
    pub admin_chat: Option<i64>,
    /// A line per row sent is appended here (an audit of what went out).
    pub journal: Option<PathBuf>,
}

enum Outcome {
    Sent,
    /// Try again later.
    Retry(String),
    /// Will never go: marked failed.
    Fail(String),
}

/// Claims and sends what is due; returns how many rows it handled.
pub async fn work_once(
    store: &Arc<dyn Storage>,
    channels: &Channels,
    worker: &str,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> anyhow::Result<usize> {
    let rows = store
        .claim_outbox(worker, now, now + policy.lease, 8)
        .await?;
    let claimed = std::time::Instant::now();
    for row in &rows {
        let outcome = match serde_json::from_str::<Payload>(&row.payload) {
            Ok(payload) => send(store, channels, worker, row, payload).await,
            Err(e) => Outcome::Fail(format!("the row's payload cannot be read: {e}")),
        };
        // The caller's clock moved on by the time spent sending (not the
        // real clock: an injected one may be months away from it, and a
        // retry due by the real clock would never come due by it).
        let now = now + Duration::from_std(claimed.elapsed()).unwrap_or(Duration::zero());
        match outcome {
            Outcome::Sent => {
                store.outbox_sent(row.id, worker, now).await?;
                tracing::info!(schedule = %row.schedule, slot = %row.slot, recipient = %row.recipient, attempts = row.attempts, %now, "delivered");
                journal(channels, worker, row, now);
            }
            Outcome::Retry(why) if row.attempts < policy.max_attempts => {
                let next = now + policy.backoff(row.attempts);
                tracing::warn!(recipient = %row.recipient, attempts = row.attempts, %next, error = %why, "not delivered, will retry");
                store.outbox_retry(row.id, worker, next, &why).await?;
            }
            Outcome::Retry(why) | Outcome::Fail(why) => {
                tracing::error!(recipient = %row.recipient, attempts = row.attempts, error = %why, "not delivered, given up");
                store.outbox_failed(row.id, worker, &why).await?;
                tell_admin(channels, row, &why).await;
            }
        }
    }
    Ok(rows.len())
}

async fn send(
    store: &Arc<dyn Storage>,
    channels: &Channels,
    worker: &str,
    row: &OutboxRow,
    payload: Payload,
) -> Outcome {
    match payload {
        Payload::File { .. } => Outcome::Sent,
        Payload::Email { to, from, eml } => {
            let Some(mailer) = &channels.mailer else {
                return Outcome::Fail("no [email] section in the config".into());
            };
            let raw = match base64::Engine::decode(&base64::engine::general_purpose::STANDARD, eml)
            {
                Ok(raw) => raw,
                Err(e) => return Outcome::Fail(format!("the stored email is damaged: {e}")),
            };
            match mailer
                .send_formatted(&raw, from.as_deref(), &to)
                .await
                .result
            {
                Ok(_) => Outcome::Sent,
                Err(e @ (SendError::GaveUp { .. } | SendError::Other { .. })) => {
                    Outcome::Retry(e.to_string())
                }
                Err(e) => Outcome::Fail(e.to_string()),
            }
        }
        Payload::Telegram {
            chat,
            messages,
            photos,
            caption,
            buttons,
        } => {
            let Some(bot) = &channels.telegram else {
                return Outcome::Fail("no [telegram] section in the config".into());
            };
            let out = match Payload::outgoing(&messages, &photos, &caption, &buttons) {
                Ok(out) => out,
                Err(e) => return Outcome::Fail(format!("{e:#}")),
            };
            match store.chat_disabled(chat).await {
                Ok(Some(reason)) => {
                    return Outcome::Fail(format!("chat {chat} refuses the bot: {reason}"));
                }
                Ok(None) => {}
                Err(e) => return Outcome::Retry(e.to_string()),
            }
            let start = usize::try_from(row.parts_sent).unwrap_or(0);
            for part in start..out.parts() {
                if let Err(e) = send_part(bot, ChatId(chat), &out, part).await {
                    if let Some(reason) = refusal(&e) {
                        if let Err(e) =
                            disable_chat(bot, store.as_ref(), channels.admin_chat, chat, &reason)
                                .await
                        {
                            tracing::error!(error = %e, "could not mark the chat");
                        }
                        return Outcome::Fail(format!("chat {chat} refuses the bot: {reason}"));
                    }
                    return Outcome::Retry(e.to_string());
                }
                // Recorded after each part: a crash repeats only the part in flight.
                if let Err(e) = store.outbox_progress(row.id, worker, part as i64 + 1).await {
                    tracing::error!(error = %e, "could not record the delivery's progress");
                }
            }
            Outcome::Sent
        }
    }
}

/// Tells the admin chat about a row that will not go (best effort).
async fn tell_admin(channels: &Channels, row: &OutboxRow, why: &str) {
    let (Some(bot), Some(admin)) = (&channels.telegram, channels.admin_chat) else {
        return;
    };
    if row.recipient == format!("telegram:{admin}") {
        return;
    }
    let note = format!(
        "⚠️ Не доставлено / not delivered: «{}» {} → {}: {}",
        row.schedule, row.slot, row.recipient, why
    );
    let out = crate::delivery::telegram::Outgoing {
        messages: vec![crate::bot::answer::escape(&note)],
        ..Default::default()
    };
    if let Err(e) = send_part(bot, ChatId(admin), &out, 0).await {
        tracing::error!(error = %e, "could not tell the admin chat");
    }
}

/// Appends a line for a row sent to the journal, when there is one.
fn journal(channels: &Channels, worker: &str, row: &OutboxRow, at: DateTime<Utc>) {
    let Some(path) = &channels.journal else {
        return;
    };
    let line = serde_json::json!({
        "sent_at": at.to_rfc3339(),
        "schedule": row.schedule,
        "slot": row.slot,
        "recipient": row.recipient,
        "channel": row.channel,
        "attempts": row.attempts,
        "instance": worker,
    });
    // One write of one line: lines from several processes do not interleave.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        tracing::error!(path = %path.display(), error = %e, "cannot write the delivery journal");
    }
}
