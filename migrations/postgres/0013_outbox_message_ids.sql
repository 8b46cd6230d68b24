-- The Telegram message an outbox row's last text part became: what an
-- answer to an alert edits ("called back after 22 min") instead of
-- sending a second message.
ALTER TABLE outbox ADD COLUMN message_id BIGINT;
