-- One-time invite codes that link a Telegram account to an employee, and
-- the links they made.
CREATE TABLE invites (
    code        TEXT PRIMARY KEY,
    employee_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_by     INTEGER
);

CREATE TABLE telegram_links (
    telegram_id INTEGER PRIMARY KEY,
    employee_id TEXT NOT NULL,
    linked_at   INTEGER NOT NULL
);
CREATE INDEX telegram_links_employee ON telegram_links (employee_id);

-- Chats that refused the bot (blocked it, or are gone): not sent to again
-- until someone writes to the bot from there.
CREATE TABLE telegram_disabled (
    chat_id     INTEGER PRIMARY KEY,
    reason      TEXT NOT NULL,
    disabled_at INTEGER NOT NULL
);
