//! The Telegram channel: a rendered report to a chat, its HTML messages in
//! order, then its charts as a photo or media groups with the caption on the
//! first. Telegram's limits are kept by the `Throttle` adaptor; a
//! `RetryAfter` that reaches us is waited out; network errors are retried;
//! a chat that blocked the bot or is gone is marked and skipped from then
//! on, and the admin chat is told.

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto, ParseMode,
};
use teloxide::{ApiError, RequestError};

use crate::config::{Config, Locale};
use crate::render::{Button, Chart};
use crate::storage::Store;
use crate::words::{Arg, Catalog};

/// The env var naming another Bot API server (a local `telegram-bot-api`).
pub const API_URL_ENV: &str = "SALESPULSE_TELEGRAM_API_URL";

/// The bot from the config's token, on Telegram or the server `API_URL_ENV`
/// names.
pub fn bot(config: &Config) -> anyhow::Result<teloxide::Bot> {
    let telegram = config.telegram.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "the bot needs a [telegram] section in the config (token_env; see `salespulse init`)"
        )
    })?;
    let mut bot = teloxide::Bot::new(telegram.token.expose());
    if let Ok(url) = std::env::var(API_URL_ENV) {
        let parsed = url::Url::parse(&url)
            .map_err(|e| anyhow::anyhow!("{API_URL_ENV}={url:?} is not a URL: {e}"))?;
        bot = bot.set_api_url(parsed);
    }
    Ok(bot)
}

/// Telegram's limits with a margin: the `Throttle` adaptor counts a
/// request when it lets it go, the server when it arrives, and requests
/// that wait for a connection arrive together; at 30 (and at 25) a second
/// such a burst met a 429 from a peer that counts any second (bench
/// `cards.sh`); 20 keeps under it (500 morning cards in about 25 s).
pub fn limits() -> teloxide::adaptors::throttle::Limits {
    teloxide::adaptors::throttle::Limits {
        messages_per_sec_overall: 20,
        ..teloxide::adaptors::throttle::Limits::default()
    }
}

/// Tries per request on network errors and `RetryAfter`.
const ATTEMPTS: u32 = 4;

/// The longest `retry_after` waited out in place; a longer one is returned,
/// and the outbox tries the row again later.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// A report as it goes to a chat.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// Telegram HTML, each within 4096 characters, in order.
    pub messages: Vec<String>,
    /// PNG charts.
    pub photos: Vec<Chart>,
    /// The caption of the first photo (≤ 1024 characters).
    pub caption: Option<String>,
    /// Buttons under the last message.
    pub buttons: Vec<Button>,
}

/// Buttons two to a row, each carrying its command (or the key it is kept
/// under) within Telegram's 64 bytes of callback data.
pub fn keyboard(buttons: &[Button]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(buttons.chunks(2).map(|row| {
        row.iter()
            .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.callback_data()))
            .collect::<Vec<_>>()
    }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatOutcome {
    Sent,
    /// Marked before: nothing was sent.
    Skipped(String),
    /// Refused now (blocked, gone): marked, the admin told.
    Disabled(String),
    Failed(String),
}

/// Why a chat refuses the bot for good, if it does.
pub fn refusal(e: &RequestError) -> Option<String> {
    match e {
        RequestError::Api(
            api @ (ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation),
        ) => Some(api.to_string()),
        _ => None,
    }
}

/// Runs `send` until it succeeds, waiting out `RetryAfter` and retrying
/// network errors with a growing pause.
async fn with_retries<T, F, Fut>(mut send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut pause = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send().await {
            Ok(v) => return Ok(v),
            Err(RequestError::RetryAfter(s))
                if attempt < ATTEMPTS && s.duration() <= LONGEST_WAIT =>
            {
                tracing::warn!(seconds = s.seconds(), "Telegram asked to wait");
                tokio::time::sleep(s.duration()).await;
            }
            Err(RequestError::Network(e)) if attempt < ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "Telegram unreachable, will retry");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Outgoing {
    /// The requests it takes, in order: one per message, then one per
    /// group of up to ten photos.
    pub fn parts(&self) -> usize {
        self.messages.len() + self.photos.chunks(10).count()
    }
}

/// Sends part `part` of `out` (see [`Outgoing::parts`]), so that a report
/// cut short can go on from where it stopped; a text part gives the id of
/// the message it became (what an edit of it names).
pub async fn send_part<R>(
    bot: &R,
    chat: ChatId,
    out: &Outgoing,
    part: usize,
) -> Result<Option<i64>, RequestError>
where
    R: Requester<Err = RequestError>,
{
    if let Some(text) = out.messages.get(part) {
        let last = part + 1 == out.messages.len();
        let sent = with_retries(|| {
            let message = bot
                .send_message(chat, text.clone())
                .parse_mode(ParseMode::Html);
            if last && !out.buttons.is_empty() {
                message.reply_markup(keyboard(&out.buttons)).into_future()
            } else {
                message.into_future()
            }
        })
        .await?;
        return Ok(Some(i64::from(sent.id.0)));
    }
    let g = part - out.messages.len();
    let Some(group) = out.photos.chunks(10).nth(g) else {
        return Ok(None);
    };
    // The caption goes on the very first photo.
    let caption = if g == 0 { out.caption.clone() } else { None };
    if let [chart] = group {
        with_retries(|| {
            let file = InputFile::memory(chart.png.clone()).file_name(chart.name.clone());
            let photo = bot.send_photo(chat, file).parse_mode(ParseMode::Html);
            match &caption {
                Some(c) => photo.caption(c.clone()).into_future(),
                None => photo.into_future(),
            }
        })
        .await?;
        return Ok(None);
    }
    let media = || -> Vec<InputMedia> {
        group
            .iter()
            .enumerate()
            .map(|(i, chart)| {
                let file = InputFile::memory(chart.png.clone()).file_name(chart.name.clone());
                let mut p = InputMediaPhoto::new(file);
                if i == 0
                    && let Some(c) = &caption
                {
                    p = p.caption(c.clone()).parse_mode(ParseMode::Html);
                }
                InputMedia::Photo(p)
            })
            .collect()
    };
    with_retries(|| bot.send_media_group(chat, media()).into_future()).await?;
    Ok(None)
}

/// Replaces the text of message `message` in `chat` (sent by the bot).
pub async fn edit_text<R>(
    bot: &R,
    chat: ChatId,
    message: i64,
    text: &str,
) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
{
    let id = teloxide::types::MessageId(i32::try_from(message).unwrap_or(i32::MAX));
    with_retries(|| {
        bot.edit_message_text(chat, id, text.to_owned())
            .parse_mode(ParseMode::Html)
            .into_future()
    })
    .await?;
    Ok(())
}

/// Whether Telegram refuses to edit a message because it is gone, too old
/// or unchanged: then a new message says it instead.
pub fn cannot_edit(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::Api(
            ApiError::MessageToEditNotFound
                | ApiError::MessageCantBeEdited
                | ApiError::MessageNotModified
        )
    )
}

async fn send_all<R>(bot: &R, chat: ChatId, out: &Outgoing) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
{
    for part in 0..out.parts() {
        send_part(bot, chat, out, part).await?;
    }
    Ok(())
}

/// The admin's chat, and the words notes to it are written in: the first
/// team's language, with the admin's own messages.
#[derive(Clone)]
pub struct AdminChat {
    pub chat: i64,
    pub words: std::sync::Arc<Catalog>,
    pub locale: Locale,
}

impl AdminChat {
    /// The config's `[telegram] admin_chat_id`, if any, with its words.
    pub fn of(config: &Config) -> Result<Option<Self>, crate::words::CatalogError> {
        let Some(chat) = config.telegram.as_ref().and_then(|t| t.admin_chat_id) else {
            return Ok(None);
        };
        Ok(Some(AdminChat {
            chat,
            words: std::sync::Arc::new(Catalog::new(config.templates_dir.as_deref())?),
            locale: config.teams.first().map_or(Locale::Ru, |t| t.locale),
        }))
    }

    /// The note about a chat that refuses the bot.
    pub fn chat_disabled(&self, chat: i64, reason: &str) -> String {
        chat_disabled_note(&self.words, self.locale, chat, reason)
    }

    /// The message `id` with `args`, in the admin's words.
    pub fn note(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.words.text(self.locale, id, args)
    }
}

/// The admin's note about a chat that refuses the bot, in `locale`.
pub fn chat_disabled_note(words: &Catalog, locale: Locale, chat: i64, reason: &str) -> String {
    crate::render::telegram::escape(&words.text(
        locale,
        "admin-chat-disabled",
        &[
            ("chat", Arg::from(chat.to_string())),
            ("reason", Arg::from(reason)),
        ],
    ))
}

/// Marks a chat that refuses the bot, so it is not sent to again, and tells
/// the admin chat in its words.
pub async fn disable_chat<R>(
    bot: &R,
    store: &Store,
    admin: Option<&AdminChat>,
    chat: i64,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()>
where
    R: Requester<Err = RequestError>,
{
    let note = admin
        .map(|a| a.chat_disabled(chat, reason))
        .unwrap_or_default();
    disable_chat_noting(bot, store, admin.map(|a| a.chat), chat, reason, now, &note).await
}

/// Marks a chat that refuses the bot, and tells the admin chat `note`.
pub async fn disable_chat_noting<R>(
    bot: &R,
    store: &Store,
    admin: Option<i64>,
    chat: i64,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
    note: &str,
) -> anyhow::Result<()>
where
    R: Requester<Err = RequestError>,
{
    store.set_chat_disabled(chat, Some(reason), now).await?;
    tracing::warn!(chat, %reason, "chat refuses the bot: not sent to again");
    if let Some(admin) = admin.filter(|a| *a != chat) {
        let note = note.to_owned();
        if let Err(e) =
            with_retries(|| bot.send_message(ChatId(admin), note.clone()).into_future()).await
        {
            tracing::error!(error = %e, "could not tell the admin chat");
        }
    }
    Ok(())
}

/// Sends `out` to each chat; a chat that refuses the bot is marked (at
/// `now`) and skipped from then on, and `admin` is told.
pub async fn deliver<R>(
    bot: &R,
    store: &Store,
    admin: Option<&AdminChat>,
    chats: &[i64],
    out: &Outgoing,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<(i64, ChatOutcome)>>
where
    R: Requester<Err = RequestError>,
{
    let mut results = Vec::with_capacity(chats.len());
    for &chat in chats {
        if let Some(reason) = store.chat_disabled(chat).await? {
            results.push((chat, ChatOutcome::Skipped(reason)));
            continue;
        }
        let outcome = match send_all(bot, ChatId(chat), out).await {
            Ok(()) => ChatOutcome::Sent,
            Err(e) => match refusal(&e) {
                Some(reason) => {
                    disable_chat(bot, store, admin, chat, &reason, now).await?;
                    ChatOutcome::Disabled(reason)
                }
                None => ChatOutcome::Failed(e.to_string()),
            },
        };
        results.push((chat, outcome));
    }
    Ok(results)
}
