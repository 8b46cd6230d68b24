//! Delivery workers: claim outbox rows, send them, then mark them sent.
//! A Telegram report goes part by part and its progress is recorded after
//! each, so a crash repeats at most the one message that was in flight.
//! Temporary failures come back with exponential backoff up to a cap;
//! permanent ones are marked failed and told to the admin chat.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use teloxide::adaptors::Throttle;
use teloxide::types::ChatId;

use super::firing::Payload;

mod rich;
use crate::delivery::email::{Mailer, SendError};
use crate::delivery::telegram::{cannot_edit, disable_chat, edit_text, refusal, send_part};
use crate::storage::{OutboxRow, Recipient, Sent, SentMessage, Store};
use crate::words::Arg;

/// How rows are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Claims of a row before it is failed for good.
    pub max_attempts: i64,
    /// The wait after the first failure, doubled after each further one.
    pub base: Duration,
    pub cap: Duration,
    /// How long a claim holds before another worker may take the row (the
    /// clock's time; never shorter than one send may take, see `lease_on`).
    pub lease: Duration,
    /// The longest one part of a row (a message, a media group, an email)
    /// may take in real time, waits for Telegram's `retry_after` included;
    /// longer, and it is given up and retried later.
    pub send_timeout: std::time::Duration,
}

/// Added to the send timeout in the lease: the renewal's own write.
const LEASE_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

impl RetryPolicy {
    /// The lease in `clock`'s time: at least what one part may take in real
    /// time (the timeout and a margin) on this clock, so that a claim never
    /// runs out while its holder is still sending and nobody sends a part
    /// twice. On a clock 600 times real time a 2-minute timeout is a lease
    /// of 22 clock-hours.
    pub fn lease_on(&self, clock: &Clock) -> Duration {
        self.lease
            .max(clock.clock_time(self.send_timeout + LEASE_MARGIN))
    }

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
    pub admin_chat: Option<crate::delivery::telegram::AdminChat>,
    /// A line per row sent is appended here (an audit of what went out).
    pub journal: Option<PathBuf>,
}

enum Outcome {
    /// Sent: its parts, and the message its last text part became.
    Sent(Sent),
    /// The claim ran out and another worker took the row: leave it to them.
    Lost,
    /// Try again later.
    Retry(String),
    /// Will never go: marked failed.
    Fail(String),
    /// The chat refuses the bot: marked failed; the admin chat was told
    /// when the chat was marked.
    Refused(String),
}

/// Rows claimed at a time, sent at once when to different chats: a
/// morning's cards for hundreds of managers go 32 at a time.
const CLAIM_ROWS: i64 = 32;

/// Claims and sends what is due; returns how many rows it handled.
#[tracing::instrument(skip_all, fields(worker = %worker))]
pub async fn work_once(
    store: &Arc<Store>,
    channels: &Channels,
    worker: &str,
    clock: &Clock,
    policy: &RetryPolicy,
) -> anyhow::Result<usize> {
    let now = clock.now();
    let length = policy.lease_on(clock);
    // Rows whose last allowed claim ran out (a worker died mid-send) are
    // not sent again: failed, and the admin told.
    let why = format!(
        "claimed {} times without being sent (workers stopped mid-send)",
        policy.max_attempts
    );
    for row in store
        .outbox_exhausted(now, policy.max_attempts, &why)
        .await?
    {
        tracing::error!(recipient = %row.recipient, attempts = row.attempts, error = %why, "not delivered, given up");
        tell_admin(channels, &row, &why).await;
    }
    let rows = store
        .claim_outbox(worker, now, now + length, CLAIM_ROWS, policy.max_attempts)
        .await?;
    let lease = Lease {
        store: store.as_ref(),
        worker,
        clock,
        length,
        send_timeout: policy.send_timeout,
        until: AtomicI64::new((now + length).timestamp_millis()),
    };
    // Rows to different chats go at once (the Throttle adaptor paces them
    // within Telegram's limits); each chat's rows in order.
    let mut by_recipient: Vec<Vec<&OutboxRow>> = Vec::new();
    for row in &rows {
        match by_recipient
            .iter_mut()
            .find(|g| g[0].recipient == row.recipient)
        {
            Some(group) => group.push(row),
            None => by_recipient.push(vec![row]),
        }
    }
    let lease = &lease;
    let sends = by_recipient.into_iter().map(|group| async move {
        for row in group {
            handle(store, channels, lease, policy, row).await?;
        }
        Ok::<(), anyhow::Error>(())
    });
    for done in futures_util::future::join_all(sends).await {
        done?;
    }
    Ok(rows.len())
}

/// Sends one claimed row and records how it went.
#[tracing::instrument(skip_all, fields(row = row.id, schedule = %row.schedule, slot = %row.slot))]
async fn handle(
    store: &Arc<Store>,
    channels: &Channels,
    lease: &Lease<'_>,
    policy: &RetryPolicy,
    row: &OutboxRow,
) -> anyhow::Result<()> {
    let (worker, clock) = (lease.worker, lease.clock);
    // The claim is renewed before the row is sent (rows wait their turn in
    // the batch) and before each further part of it.
    {
        let outcome = if !lease.hold(row.id, row.parts_sent).await {
            Outcome::Lost
        } else {
            match serde_json::from_str::<Payload>(&row.payload) {
                Ok(payload) => send(store, channels, lease, row, payload).await,
                Err(e) => Outcome::Fail(format!("the row's payload cannot be read: {e}")),
            }
        };
        let now = clock.now();
        match outcome {
            Outcome::Lost => {
                tracing::warn!(recipient = %row.recipient, "the claim ran out: another worker has the row");
            }
            Outcome::Sent(done) => {
                if store.outbox_sent(row.id, worker, now, done).await? {
                    tracing::info!(schedule = %row.schedule, slot = %row.slot, recipient = %row.recipient, attempts = row.attempts, %now, "delivered");
                    journal(channels, worker, row, now);
                } else {
                    tracing::warn!(recipient = %row.recipient, "sent, but the claim ran out before it was marked");
                }
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
            Outcome::Refused(why) => {
                tracing::error!(recipient = %row.recipient, error = %why, "not delivered: the chat refuses the bot");
                store.outbox_failed(row.id, worker, &why).await?;
            }
        }
    }
    Ok(())
}

/// A worker's hold on the row it sends.
struct Lease<'a> {
    store: &'a Store,
    worker: &'a str,
    clock: &'a Clock,
    length: Duration,
    send_timeout: std::time::Duration,
    /// Until when the claim is known to hold (by the clock, epoch ms).
    until: AtomicI64,
}

impl Lease<'_> {
    /// Whether the row may be sent a part of now: without a write while
    /// the claim holds for longer than a part may take (nobody else can
    /// have it), else by renewing it.
    async fn hold(&self, id: i64, parts_sent: i64) -> bool {
        let needed = self.clock.clock_time(self.send_timeout + LEASE_MARGIN);
        let until = self.until.load(Ordering::Relaxed);
        if (self.clock.now() + needed).timestamp_millis() < until {
            return true;
        }
        self.renew(id, (parts_sent, None)).await
    }

    /// Records progress and extends the claim; `false` when it was lost or
    /// ran out: then nothing more of the row may be sent.
    async fn renew(&self, id: i64, progress: (i64, Option<i64>)) -> bool {
        let now = self.clock.now();
        match self
            .store
            .outbox_progress(id, self.worker, progress, now, now + self.length)
            .await
        {
            Ok(held) => {
                if held {
                    let until = (now + self.length).timestamp_millis();
                    self.until.store(until, Ordering::Relaxed);
                }
                held
            }
            Err(e) => {
                tracing::error!(error = %e, "could not renew the claim");
                false
            }
        }
    }
}

async fn send(
    store: &Arc<Store>,
    channels: &Channels,
    lease: &Lease<'_>,
    row: &OutboxRow,
    payload: Payload,
) -> Outcome {
    match payload {
        Payload::File { .. } => Outcome::Sent(Sent::default()),
        Payload::Email { to, from, eml } => {
            let Some(mailer) = &channels.mailer else {
                return Outcome::Fail("no [email] section in the config".into());
            };
            let raw = match base64::Engine::decode(&base64::engine::general_purpose::STANDARD, eml)
            {
                Ok(raw) => raw,
                Err(e) => return Outcome::Fail(format!("the stored email is damaged: {e}")),
            };
            let sent = tokio::time::timeout(
                lease.send_timeout,
                mailer.send_formatted(&raw, from.as_deref(), &to),
            )
            .await;
            let Ok(sent) = sent else {
                return Outcome::Retry(timed_out(lease.send_timeout));
            };
            match sent.result {
                Ok(_) => Outcome::Sent(Sent::default()),
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
            let out = match Payload::outgoing(&messages, &photos, &caption, &buttons) {
                Ok(out) => out,
                Err(e) => return Outcome::Fail(format!("{e:#}")),
            };
            send_telegram(store, channels, lease, row, chat, &out).await
        }
        Payload::TelegramRich {
            chat,
            parts,
            buttons,
            fallback,
        } => {
            rich::send_rich_row(
                store,
                channels,
                lease,
                row,
                chat,
                (&parts, &buttons),
                *fallback,
            )
            .await
        }
        Payload::TelegramEdit {
            chat,
            schedule,
            slot,
            text,
        } => edit_telegram(store, channels, lease, row, chat, (&schedule, &slot), text).await,
    }
}

/// Whether `chat` may be sent to: `Some` outcome when it may not (it
/// refused the bot before) or that cannot be told now.
async fn chat_closed(store: &Store, chat: i64) -> Option<Outcome> {
    match store.chat_disabled(chat).await {
        Ok(Some(reason)) => Some(Outcome::Refused(format!(
            "chat {chat} refuses the bot: {reason}"
        ))),
        Ok(None) => None,
        Err(e) => Some(Outcome::Retry(e.to_string())),
    }
}

/// What a failed request to `chat` comes to: a chat that refuses the bot
/// is marked (and the admin told) and not tried again; anything else is.
async fn failed_request(
    channels: &Channels,
    store: &Store,
    clock: &Clock,
    chat: i64,
    e: &teloxide::RequestError,
) -> Outcome {
    let Some(reason) = refusal(e) else {
        return Outcome::Retry(e.to_string());
    };
    refused_chat(channels, store, clock, chat, reason).await
}

/// Marks a chat that refuses the bot (the admin told): its rows fail.
async fn refused_chat(
    channels: &Channels,
    store: &Store,
    clock: &Clock,
    chat: i64,
    reason: String,
) -> Outcome {
    if let Some(bot) = &channels.telegram
        && let Err(e) = disable_chat(
            bot,
            store,
            channels.admin_chat.as_ref(),
            chat,
            &reason,
            clock.now(),
        )
        .await
    {
        tracing::error!(error = %e, "could not mark the chat");
    }
    Outcome::Refused(format!("chat {chat} refuses the bot: {reason}"))
}

/// Sends the parts of `out` not sent before, recording each.
async fn send_telegram(
    store: &Arc<Store>,
    channels: &Channels,
    lease: &Lease<'_>,
    row: &OutboxRow,
    chat: i64,
    out: &crate::delivery::telegram::Outgoing,
) -> Outcome {
    let Some(bot) = &channels.telegram else {
        return Outcome::Fail("no [telegram] section in the config".into());
    };
    if let Some(closed) = chat_closed(store, chat).await {
        return closed;
    }
    let start = usize::try_from(row.parts_sent).unwrap_or(0);
    let parts = out.parts();
    let mut last_message = None;
    for part in start..parts {
        if part > start && !lease.hold(row.id, part as i64).await {
            return Outcome::Lost;
        }
        let sent =
            tokio::time::timeout(lease.send_timeout, send_part(bot, ChatId(chat), out, part)).await;
        let Ok(sent) = sent else {
            return Outcome::Retry(timed_out(lease.send_timeout));
        };
        let message = match sent {
            Ok(message) => message,
            Err(e) => return failed_request(channels, store, lease.clock, chat, &e).await,
        };
        last_message = message;
        // Recorded after each part but the last (whose record is the row
        // marked sent): a crash repeats only the part in flight; a claim
        // lost or run out stops here, before the next part, and the new
        // holder goes on.
        if part + 1 < parts && !lease.renew(row.id, (part as i64 + 1, message)).await {
            return Outcome::Lost;
        }
    }
    Outcome::Sent(Sent {
        parts: Some(parts as i64),
        message_id: last_message,
    })
}

/// Edits the message the row `(schedule, slot)` to the same chat became
/// (an alert, with its answer); when it is not sent yet, waits; when there
/// is none, or Telegram no longer lets it be edited, sends `text` as a new
/// message.
async fn edit_telegram(
    store: &Arc<Store>,
    channels: &Channels,
    lease: &Lease<'_>,
    row: &OutboxRow,
    chat: i64,
    (schedule, slot): (&str, &str),
    text: String,
) -> Outcome {
    let Some(bot) = &channels.telegram else {
        return Outcome::Fail("no [telegram] section in the config".into());
    };
    if let Some(closed) = chat_closed(store, chat).await {
        return closed;
    }
    let sent = match store
        .outbox_message(schedule, slot, &Recipient::Telegram(chat))
        .await
    {
        Ok(sent) => sent,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    let out = crate::delivery::telegram::Outgoing {
        messages: vec![text],
        ..Default::default()
    };
    match sent {
        SentMessage::Waiting => Outcome::Retry(format!(
            "the message it edits ({schedule} {slot}) is not sent yet"
        )),
        SentMessage::Gone => send_telegram(store, channels, lease, row, chat, &out).await,
        SentMessage::Sent(message) => {
            let edited = tokio::time::timeout(
                lease.send_timeout,
                edit_text(bot, ChatId(chat), message, &out.messages[0]),
            )
            .await;
            match edited {
                Err(_) => Outcome::Retry(timed_out(lease.send_timeout)),
                Ok(Ok(())) => Outcome::Sent(Sent::default()),
                Ok(Err(e)) if cannot_edit(&e) => {
                    tracing::info!(error = %e, "the message cannot be edited: sending the edit as a new one");
                    send_telegram(store, channels, lease, row, chat, &out).await
                }
                Ok(Err(e)) => failed_request(channels, store, lease.clock, chat, &e).await,
            }
        }
    }
}

fn timed_out(limit: std::time::Duration) -> String {
    format!(
        "no answer within {} s (serve.send_timeout_secs)",
        limit.as_secs()
    )
}

/// Tells the admin chat about a row that will not go (best effort).
async fn tell_admin(channels: &Channels, row: &OutboxRow, why: &str) {
    let (Some(bot), Some(admin)) = (&channels.telegram, &channels.admin_chat) else {
        return;
    };
    if row.recipient == Recipient::Telegram(admin.chat) {
        return;
    }
    let note = admin.note(
        "admin-not-delivered",
        &[
            ("schedule", Arg::from(row.schedule.as_str())),
            ("slot", Arg::from(row.slot.to_string())),
            ("recipient", Arg::from(row.recipient.to_string())),
            ("why", Arg::from(why)),
        ],
    );
    let out = crate::delivery::telegram::Outgoing {
        messages: vec![crate::render::telegram::escape(&note)],
        ..Default::default()
    };
    if let Err(e) = send_part(bot, ChatId(admin.chat), &out, 0).await {
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
        "recipient": row.recipient.to_string(),
        "channel": row.channel.as_str(),
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
