//! Sending what `report` built and `render` drew: email over SMTP now;
//! Telegram and the outbox come beside it.

pub mod email;
pub mod rich;
pub mod telegram;
