//! How reports go to Telegram: the digest's format.

use super::Config;

/// How the digest goes to a chat: `rich` (Bot API 10.2's rich message: a
/// heading, a native table, the charts inside, the buttons; a server
/// without the method gets `html` from then on), or `html` (messages, then
/// the charts as photos).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TelegramFormat {
    #[default]
    Rich,
    Html,
}

impl Config {
    /// Whether the digest goes to Telegram as rich messages.
    pub fn rich_digest(&self) -> bool {
        self.telegram
            .as_ref()
            .is_some_and(|t| t.format == TelegramFormat::Rich)
    }
}
