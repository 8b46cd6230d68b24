-- Rows set aside: one per (source, file, line, record). A CRM API's rejects
-- name the record by its own id (amoCRM event ids are text), so rejected
-- records of one method no longer share a row.
ALTER TABLE ingest_errors ADD COLUMN record TEXT NOT NULL DEFAULT '';
ALTER TABLE ingest_errors DROP CONSTRAINT IF EXISTS ingest_errors_source_file_line_key;
ALTER TABLE ingest_errors ADD CONSTRAINT ingest_errors_source_file_line_record_key
    UNIQUE (source, file, line, record);
