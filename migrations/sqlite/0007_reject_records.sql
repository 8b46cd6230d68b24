-- Rows set aside: one per (source, file, line, record). A CRM API's rejects
-- name the record by its own id (amoCRM event ids are text), so rejected
-- records of one method no longer share a row.
CREATE TABLE ingest_errors_new (
    id      INTEGER PRIMARY KEY,
    source  TEXT NOT NULL,
    file    TEXT NOT NULL,
    line    INTEGER NOT NULL,
    record  TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL,
    raw     TEXT NOT NULL,
    run_id  INTEGER NOT NULL,
    UNIQUE (source, file, line, record)
);
INSERT INTO ingest_errors_new (id, source, file, line, record, reason, raw, run_id)
    SELECT id, source, file, line, '', reason, raw, run_id FROM ingest_errors;
DROP TABLE ingest_errors;
ALTER TABLE ingest_errors_new RENAME TO ingest_errors;
