//! The bot on Telegram: long polling, each private message answered by
//! `answer::Bot` (different chats concurrently, one chat in order), replies
//! sent as HTML messages in order and charts as photos. The `Throttle`
//! adaptor keeps within Telegram's limits and waits out `RetryAfter`.

use std::sync::Arc;
use std::time::Duration;

use teloxide::adaptors::Throttle;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, ChatKind, InputFile, ParseMode};

use super::answer::{Bot as Answers, Reply};
use super::parse::COMMANDS;
use crate::clock::Clock;
use crate::config::{Config, Locale};
use crate::delivery::telegram::keyboard;
use crate::storage::Store;
use crate::words::Catalog;

pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What the handlers share.
pub struct State {
    pub store: Arc<Store>,
    pub config: Config,
    /// The words of every reply, built once from `templates_dir`.
    pub words: Catalog,
    /// The time answers go by (`serve`'s clock when it runs the bot).
    pub clock: Clock,
}

impl State {
    /// The state for `config`: its catalog is read here, so that a broken
    /// message file names its file and line before the bot starts.
    pub fn new(store: Arc<Store>, config: Config, clock: Clock) -> anyhow::Result<Self> {
        let words = Catalog::new(config.templates_dir.as_deref())?;
        Ok(State {
            store,
            config,
            words,
            clock,
        })
    }

    fn answers(&self) -> Answers<'_> {
        Answers {
            store: self.store.as_ref(),
            config: &self.config,
            words: &self.words,
            now: self.clock.now(),
        }
    }

    /// «Something went wrong», in the language of whoever wrote.
    async fn failed(&self, user: i64) -> Reply {
        let answers = self.answers();
        let viewer = crate::bot::access::identify(self.store.as_ref(), &self.config, user)
            .await
            .ok()
            .flatten();
        Reply::html(crate::render::telegram::escape(&self.words.text(
            answers.locale(viewer),
            "bot-failed",
            &[],
        )))
    }
}

/// Sends a reply to a chat: the messages in order (the buttons under the
/// last), then the photos.
pub async fn send_reply<R>(bot: &R, chat: ChatId, reply: Reply) -> Result<(), R::Err>
where
    R: Requester,
{
    let last = reply.messages.len().saturating_sub(1);
    for (i, message) in reply.messages.into_iter().enumerate() {
        let sent = bot.send_message(chat, message).parse_mode(ParseMode::Html);
        if i == last && !reply.buttons.is_empty() {
            sent.reply_markup(keyboard(&reply.buttons)).await?;
        } else {
            sent.await?;
        }
    }
    for forward in reply.forwards {
        bot.send_message(ChatId(forward.chat), forward.text)
            .parse_mode(ParseMode::Html)
            .await?;
    }
    for photo in reply.photos {
        let file = InputFile::memory(photo.chart.png).file_name(photo.chart.name);
        let sent = bot.send_photo(chat, file);
        match photo.caption {
            Some(c) => sent.caption(c).parse_mode(ParseMode::Html).await?,
            None => sent.await?,
        };
    }
    Ok(())
}

/// The handler tree, over any requester: `Throttle<Bot>` in service, a
/// plain `Bot` against a test server.
pub fn handler_tree<R>() -> UpdateHandler<HandlerError>
where
    R: Requester + Clone + Send + Sync + 'static,
    R::Err: std::error::Error + Send + Sync + 'static,
    R::SendMessage: Send,
    R::SendPhoto: Send,
    R::AnswerCallbackQuery: Send,
    R::EditMessageText: Send,
{
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message::<R>))
        .branch(Update::filter_callback_query().endpoint(on_button::<R>))
}

/// A button: the command it carries (or the key it is kept under), asked
/// by whoever pressed it and answered in their private chat, within what
/// they may see. A button that edits (a card's day before or after)
/// replaces the message it is under, when that is the presser's and the
/// answer is one message; else the answer comes as new messages.
#[tracing::instrument(skip_all, fields(chat = q.from.id.0))]
async fn on_button<R>(bot: R, q: CallbackQuery, state: Arc<State>) -> Result<(), HandlerError>
where
    R: Requester + Clone + Send + Sync + 'static,
    R::Err: std::error::Error + Send + Sync + 'static,
    R::SendMessage: Send,
    R::SendPhoto: Send,
    R::AnswerCallbackQuery: Send,
    R::EditMessageText: Send,
{
    bot.answer_callback_query(q.id.clone()).await?;
    let (Some(data), Ok(user)) = (q.data.as_deref(), i64::try_from(q.from.id.0)) else {
        return Ok(());
    };
    let answers = state.answers();
    let pressed = async {
        let viewer = crate::bot::access::identify(&state.store, &state.config, user).await?;
        let locale = answers.locale(viewer);
        match answers.pressed(data, locale).await? {
            Ok((command, edit)) => Ok((answers.respond(user, &command).await?, edit)),
            Err(reply) => Ok::<_, anyhow::Error>((reply, false)),
        }
    };
    let (reply, edit) = match pressed.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "a button's command failed");
            (state.failed(user).await, false)
        }
    };
    let own = q
        .message
        .as_ref()
        .filter(|m| m.chat().id == ChatId(user))
        .map(|m| m.id());
    if let (true, Some(message), [text]) = (edit, own, reply.messages.as_slice()) {
        let edited = bot
            .edit_message_text(ChatId(user), message, text.clone())
            .parse_mode(ParseMode::Html)
            .reply_markup(keyboard(&reply.buttons))
            .await;
        match edited {
            Ok(_) => return Ok(()),
            Err(e) => tracing::info!(error = %e, "the card cannot be edited: sending it anew"),
        }
    }
    send_reply(&bot, ChatId(user), reply).await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(chat = msg.chat.id.0, command = msg.text().and_then(|t| t.split_whitespace().next())))]
async fn on_message<R>(bot: R, msg: Message, state: Arc<State>) -> Result<(), HandlerError>
where
    R: Requester + Clone + Send + Sync + 'static,
    R::Err: std::error::Error + Send + Sync + 'static,
    R::SendMessage: Send,
    R::SendPhoto: Send,
{
    // Commands are answered in private chats; a group gets only the reports
    // configured for it, never another person's answers.
    if !matches!(msg.chat.kind, ChatKind::Private(_)) {
        return Ok(());
    }
    let (Some(from), Some(text)) = (msg.from.as_ref(), msg.text()) else {
        return Ok(());
    };
    let Ok(user) = i64::try_from(from.id.0) else {
        return Ok(());
    };
    let started = std::time::Instant::now();
    let reply = match state.answers().respond(user, text).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "a command failed");
            state.failed(user).await
        }
    };
    tracing::info!(millis = started.elapsed().as_millis() as u64, "answered");
    send_reply(&bot, msg.chat.id, reply).await?;
    Ok(())
}

/// Registers the commands with their descriptions in each language (the
/// catalog's `bot-command-<name>`); English is the default for the rest.
pub async fn register_commands<R: Requester>(bot: &R, words: &Catalog) -> Result<(), R::Err> {
    for locale in [Locale::Ru, Locale::En] {
        let commands: Vec<BotCommand> = COMMANDS
            .iter()
            .map(|name| {
                BotCommand::new(
                    *name,
                    words.text(locale, &format!("bot-command-{name}"), &[]),
                )
            })
            .collect();
        bot.set_my_commands(commands.clone())
            .scope(BotCommandScope::AllPrivateChats)
            .language_code(crate::words::locale_dir(locale))
            .await?;
        if locale == Locale::En {
            // The default for every other language.
            bot.set_my_commands(commands)
                .scope(BotCommandScope::AllPrivateChats)
                .await?;
        }
    }
    Ok(())
}

/// How updates reach the bot.
#[derive(Debug, Clone)]
pub enum Listen {
    /// getUpdates long polling: works behind NAT, one instance at a time.
    Polling,
    /// Telegram posts updates to `url`; they are served on `address`, and a
    /// post without the secret token is refused (401).
    Webhook {
        url: url::Url,
        address: std::net::SocketAddr,
        secret: crate::config::Secret,
    },
}

impl Listen {
    pub fn from_config(config: &Config) -> Self {
        match config.telegram.as_ref().and_then(|t| t.webhook.as_ref()) {
            Some(w) => Listen::Webhook {
                url: w.url.clone(),
                address: w.listen,
                secret: w.secret.clone(),
            },
            None => Listen::Polling,
        }
    }
}

/// Answers chats until Ctrl-C or SIGTERM, by long polling or webhook as the
/// config says.
pub async fn run(state: Arc<State>) -> anyhow::Result<()> {
    let bot = crate::delivery::telegram::bot(&state.config)?;
    let listen = Listen::from_config(&state.config);
    run_with(bot, state, listen, crate::shutdown::stop_signal()).await
}

/// Answers chats through `bot` (Telegram, or the server it points at) until
/// `stop` turns true.
pub async fn run_with(
    bot: teloxide::Bot,
    state: Arc<State>,
    listen: Listen,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let me = bot.get_me().await.map_err(|e| {
        anyhow::anyhow!("Telegram did not accept the bot token ({e}): check telegram.token_env")
    })?;
    tracing::info!(username = me.username(), "bot started");
    register_commands(&bot, &state.words).await?;
    let throttled: Throttle<teloxide::Bot> = bot.throttle(crate::delivery::telegram::limits());
    let mut dispatcher =
        Dispatcher::builder(throttled.clone(), handler_tree::<Throttle<teloxide::Bot>>())
            .dependencies(dptree::deps![state])
            .build();
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                return;
            }
        }
        // Waits for the handlers in flight to finish.
        if let Ok(done) = token.shutdown() {
            done.await;
        }
    });
    match listen {
        Listen::Polling => {
            let listener = teloxide::update_listeners::Polling::builder(throttled.clone())
                .timeout(Duration::from_secs(25))
                .build();
            dispatcher
                .dispatch_with_listener(
                    listener,
                    LoggingErrorHandler::with_custom_text("Telegram polling failed"),
                )
                .await;
        }
        Listen::Webhook {
            url,
            address,
            secret,
        } => {
            let options = teloxide::update_listeners::webhooks::Options::new(address, url.clone())
                .secret_token(secret.expose().to_owned());
            // Bound here, so a taken port is an error that names the key.
            let tcp = tokio::net::TcpListener::bind(address).await.map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on {address} for the webhook ({e}): check telegram.webhook_listen"
                )
            })?;
            let (listener, stopped, app) =
                teloxide::update_listeners::webhooks::axum_to_router(throttled.clone(), options)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "Telegram refused the webhook {url} ({e}): check telegram.webhook_url"
                        )
                    })?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(tcp, app).with_graceful_shutdown(stopped).await {
                    tracing::error!(error = %e, "the webhook server stopped");
                }
            });
            tracing::info!(%address, "serving the Telegram webhook");
            dispatcher
                .dispatch_with_listener(
                    listener,
                    LoggingErrorHandler::with_custom_text("Telegram webhook failed"),
                )
                .await;
        }
    }
    Ok(())
}
