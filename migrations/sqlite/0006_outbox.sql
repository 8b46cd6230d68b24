-- The scheduler's memory: how far each schedule has been looked at, and
-- each firing (fired or missed) under a key that several instances share.
CREATE TABLE schedule_marks (
    schedule  TEXT PRIMARY KEY,
    last_seen INTEGER NOT NULL
);

CREATE TABLE firings (
    schedule   TEXT NOT NULL,
    slot       TEXT NOT NULL,
    status     TEXT NOT NULL,
    due_at     INTEGER NOT NULL,
    decided_at INTEGER NOT NULL,
    detail     TEXT,
    PRIMARY KEY (schedule, slot)
);

-- What is to be sent: one row per (schedule, slot, recipient), rendered at
-- the firing. Workers claim rows, send, then mark them sent; a claim is a
-- lease, so a row claimed by an instance that died is taken up again.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule      TEXT NOT NULL,
    slot          TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    channel       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    parts_sent    INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    claimed_by    TEXT,
    claimed_until INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    UNIQUE (schedule, slot, recipient)
);
CREATE INDEX outbox_due ON outbox (status, next_at);
