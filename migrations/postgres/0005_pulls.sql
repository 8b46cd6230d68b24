-- Where each scheduled pull stopped (a file offset, a CRM's last change
-- time), recorded only after the records it covers are stored.
CREATE TABLE pull_cursors (
    source     TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Files taken from a drop folder, by content hash: a file dropped twice is
-- read once.
CREATE TABLE ingested_files (
    source      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    path        TEXT NOT NULL,
    ingested_at BIGINT NOT NULL,
    PRIMARY KEY (source, hash)
);
