//! A digest row in rich messages: each part sent with `sendRichMessage`
//! (progress recorded as for messages), or, for a chat whose Bot API
//! server has no such method, the row's HTML messages and photos instead —
//! the chat noted, so that its next digests go that way at once.

use std::sync::Arc;

use super::{Lease, Outcome, chat_closed, refused_chat, send_telegram};
use crate::delivery::rich::{RichError, RichRowPart, send_rich};
use crate::render::Button;
use crate::serve::firing::Payload;
use crate::storage::{OutboxRow, Sent, Store};

/// The format noted for a chat whose server has no rich messages.
const HTML: &str = "html";

pub(super) async fn send_rich_row(
    store: &Arc<Store>,
    channels: &super::Channels,
    lease: &Lease<'_>,
    row: &OutboxRow,
    chat: i64,
    (parts, buttons): (&[RichRowPart], &[Button]),
    fallback: Payload,
) -> Outcome {
    let Some(bot) = &channels.telegram else {
        return Outcome::Fail("no [telegram] section in the config".into());
    };
    let Payload::Telegram {
        messages,
        photos,
        caption,
        buttons: fallback_buttons,
        ..
    } = fallback
    else {
        return Outcome::Fail("a rich row's fallback is not a Telegram message".into());
    };
    let out = match Payload::outgoing(&messages, &photos, &caption, &fallback_buttons) {
        Ok(out) => out,
        Err(e) => return Outcome::Fail(format!("{e:#}")),
    };
    if let Some(closed) = chat_closed(store, chat).await {
        return closed;
    }
    // A chat noted before goes on from the parts its messages recorded.
    match store.chat_format(chat).await {
        Ok(Some(format)) if format == HTML => {
            return send_telegram(store, channels, lease, row, chat, &out).await;
        }
        Ok(_) => {}
        Err(e) => return Outcome::Retry(e.to_string()),
    }
    let out = &out;
    // Found out now, before any rich part went: its messages from the first.
    let as_html = |row: &OutboxRow| {
        let row = OutboxRow {
            parts_sent: 0,
            ..row.clone()
        };
        async move { send_telegram(store, channels, lease, &row, chat, out).await }
    };
    let start = usize::try_from(row.parts_sent).unwrap_or(0);
    let mut last = None;
    for (i, part) in parts.iter().enumerate().skip(start) {
        if i > start && !lease.hold(row.id, i as i64).await {
            return Outcome::Lost;
        }
        let under = if i + 1 == parts.len() { buttons } else { &[] };
        let sent = tokio::time::timeout(
            lease.send_timeout,
            send_rich(bot.inner(), chat, &part.with_photos(&out.photos), under),
        )
        .await;
        let Ok(sent) = sent else {
            return Outcome::Retry(super::timed_out(lease.send_timeout));
        };
        match sent {
            Ok(message) => last = Some(message),
            Err(RichError::Unsupported(why)) => {
                tracing::info!(chat, %why, "no rich messages on this server: HTML from now on");
                if let Err(e) = store.set_chat_format(chat, HTML, lease.clock.now()).await {
                    return Outcome::Retry(e.to_string());
                }
                return as_html(row).await;
            }
            Err(RichError::Refused(reason)) => {
                return refused_chat(channels, store, lease.clock, chat, reason).await;
            }
            Err(RichError::Failed(e)) => return Outcome::Retry(e),
        }
        if i + 1 < parts.len() && !lease.renew(row.id, (i as i64 + 1, last)).await {
            return Outcome::Lost;
        }
    }
    Outcome::Sent(Sent {
        parts: Some(parts.len() as i64),
        message_id: last,
    })
}
