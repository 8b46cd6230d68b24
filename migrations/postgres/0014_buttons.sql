-- Telegram gives a button at most 64 bytes of callback data: a button
-- whose command is longer carries a short key instead, and the command is
-- kept here until it expires (bot/buttons.rs).
CREATE TABLE buttons (
    button_key TEXT PRIMARY KEY,
    command    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
