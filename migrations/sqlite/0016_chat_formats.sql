-- Chats whose Bot API server answered that it has no sendRichMessage:
-- their digests go as HTML messages and photos from then on.
CREATE TABLE chat_formats (
    chat_id   BIGINT PRIMARY KEY,
    format    TEXT NOT NULL,
    noted_at  BIGINT NOT NULL
);
