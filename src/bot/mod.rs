//! Chat commands: who is asking, what they may see, and the answers.
//! `telegram` connects these to Telegram.

pub mod access;
pub mod answer;
pub mod ask;
pub mod parse;
pub mod telegram;
