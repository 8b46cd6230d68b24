//! The written digest on its way to Telegram: who gets it, as what (the
//! whole, or the team chat's copy; rich messages with the messages and
//! photos as the fallback), and sending it from the command line.

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{DigestFiles, chart_id};
use crate::config::Config;
use crate::render::Chart;
use crate::storage::Store;

/// The written digest as rich messages for a chat: each part's HTML, the
/// charts (by their index among the fallback's photos) in the last.
pub fn digest_rich(files: &DigestFiles) -> anyhow::Result<Vec<crate::delivery::rich::RichRowPart>> {
    let n = files.rich.len();
    files
        .rich
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let html = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let media = match i + 1 == n {
                true => (0..files.charts.len()).map(|c| (chart_id(c), c)).collect(),
                false => Vec::new(),
            };
            Ok(crate::delivery::rich::RichRowPart { html, media })
        })
        .collect()
}

/// Who gets the team's digest in Telegram: its heads with a `telegram_id`,
/// and the team's group chat.
pub fn telegram_chats(config: &Config, team: &str) -> Vec<i64> {
    let mut chats: Vec<i64> = config
        .employees
        .iter()
        .filter(|e| e.team == team && e.role == crate::domain::Role::Head)
        .filter_map(|e| e.telegram_id)
        .collect();
    chats.extend(config.team(team).and_then(|t| t.telegram_chat_id));
    chats.dedup();
    chats
}

/// Each chat of the team's digest with what it gets: the heads the whole
/// digest, the team's group chat its own copy when there is one.
pub fn digest_deliveries(
    config: &Config,
    team: &str,
    files: &DigestFiles,
) -> anyhow::Result<Vec<(i64, crate::delivery::telegram::Outgoing)>> {
    let group = config.team(team).and_then(|t| t.telegram_chat_id);
    let whole = digest_outgoing(files)?;
    let for_group = match &files.team_chat {
        Some(copy) => digest_outgoing(copy)?,
        None => whole.clone(),
    };
    Ok(telegram_chats(config, team)
        .into_iter()
        .map(|chat| {
            let out = if Some(chat) == group {
                for_group.clone()
            } else {
                whole.clone()
            };
            (chat, out)
        })
        .collect())
}

/// Sends the written digest to the team's Telegram chats: its messages,
/// then its charts with the headline as the caption; a chat that refuses
/// the bot is marked at `now`.
pub async fn send_digest(
    store: &Store,
    config: &Config,
    team: &str,
    files: &DigestFiles,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(i64, crate::delivery::telegram::ChatOutcome)>> {
    use teloxide::requests::RequesterExt;
    let chats = telegram_chats(config, team);
    anyhow::ensure!(
        !chats.is_empty(),
        "nobody to send the digest of team {team} to: give a head of the team a telegram_id, or the team a telegram_chat_id"
    );
    let bot = crate::delivery::telegram::bot(config)?.throttle(crate::delivery::telegram::limits());
    let admin = crate::delivery::telegram::AdminChat::of(config)?;
    let rich = config.rich_digest();
    let group = config.team(team).and_then(|t| t.telegram_chat_id);
    let mut outcomes = Vec::new();
    for (chat, out) in digest_deliveries(config, team, files)? {
        let copy = files.team_chat.as_deref().filter(|_| Some(chat) == group);
        if rich && send_rich_digest(store, &bot, chat, copy.unwrap_or(files), &out, now).await? {
            outcomes.push((chat, crate::delivery::telegram::ChatOutcome::Sent));
            continue;
        }
        outcomes.extend(
            crate::delivery::telegram::deliver(&bot, store, admin.as_ref(), &[chat], &out, now)
                .await?,
        );
    }
    Ok(outcomes)
}

/// Sends the digest to `chat` as rich messages; `false` when it is to go
/// as messages and photos instead: the chat was marked, its server has no
/// rich messages (noted for next time), or it refused (the messages'
/// path marks it).
async fn send_rich_digest(
    store: &Store,
    bot: &teloxide::adaptors::Throttle<teloxide::Bot>,
    chat: i64,
    files: &DigestFiles,
    out: &crate::delivery::telegram::Outgoing,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    use crate::delivery::rich::{RichError, send_rich};
    if store.chat_disabled(chat).await?.is_some()
        || store.chat_format(chat).await?.as_deref() == Some("html")
    {
        return Ok(false);
    }
    let parts = digest_rich(files)?;
    for (i, part) in parts.iter().enumerate() {
        let under = if i + 1 == parts.len() {
            &out.buttons[..]
        } else {
            &[]
        };
        match send_rich(bot.inner(), chat, &part.with_photos(&out.photos), under).await {
            Ok(_) => {}
            Err(RichError::Unsupported(why)) if i == 0 => {
                tracing::info!(chat, %why, "no rich messages on this server: HTML from now on");
                store.set_chat_format(chat, "html", now).await?;
                return Ok(false);
            }
            Err(RichError::Refused(_)) if i == 0 => return Ok(false),
            Err(e) => anyhow::bail!("the digest to chat {chat}: {e}"),
        }
    }
    Ok(true)
}

/// The written digest as it goes to a chat: its messages, then its charts
/// with the headline as the caption, and the drill-down buttons.
pub fn digest_outgoing(files: &DigestFiles) -> anyhow::Result<crate::delivery::telegram::Outgoing> {
    let mut out = crate::delivery::telegram::Outgoing::default();
    for path in &files.telegram_messages {
        out.messages.push(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        );
    }
    for path in &files.charts {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let png = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        out.photos.push(Chart { name, png });
    }
    out.buttons = files.buttons.clone();
    out.caption = files
        .text_body
        .lines()
        .next()
        .map(crate::render::telegram::fit_caption);
    Ok(out)
}
