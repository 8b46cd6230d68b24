//! `job = "cards"`: each manager of a team gets their own card of the last
//! working day (what `/me` answers, with its buttons) in their Telegram
//! chat, one outbox row each under the firing's key, so a card goes once
//! whatever the instances and restarts. The workers pace them within
//! Telegram's limits (the `Throttle` adaptor: about 30 messages a second
//! overall, one a second per chat; a `retry_after` is waited out).

use chrono::{DateTime, Utc};

use crate::bot::answer::Bot;
use crate::config::Config;
use crate::domain::Role;
use crate::render::Button;
use crate::storage::Store;
use crate::words::Catalog;

/// One card for one chat.
pub(super) struct Card {
    pub chat: i64,
    pub messages: Vec<String>,
    pub buttons: Vec<Button>,
}

/// The cards of one firing: one per manager with a chat (their
/// `telegram_id`, and accounts linked by an invite).
pub(super) async fn cards(
    store: &Store,
    config: &Config,
    team: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Card>> {
    let managers: Vec<_> = config
        .employees
        .iter()
        .filter(|e| e.team == team && e.role == Role::Manager)
        .collect();
    let ids: Vec<&str> = managers.iter().map(|e| e.id.as_str()).collect();
    let linked = store.telegram_ids_of(&ids).await?;
    let words = Catalog::new(config.templates_dir.as_deref())?;
    let bot = Bot {
        store,
        config,
        words: &words,
        now,
    };
    let mut out = Vec::new();
    for manager in managers {
        let mut chats: Vec<i64> = manager.telegram_id.into_iter().collect();
        chats.extend(
            linked
                .iter()
                .filter(|(e, _)| *e == manager.id)
                .map(|(_, chat)| *chat),
        );
        chats.sort_unstable();
        chats.dedup();
        if chats.is_empty() {
            continue;
        }
        let card = bot.respond_as(manager, "/me").await?;
        for chat in chats {
            out.push(Card {
                chat,
                messages: card.messages.clone(),
                buttons: card.buttons.clone(),
            });
        }
    }
    Ok(out)
}
