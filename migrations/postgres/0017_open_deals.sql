-- Open deals are counted per person and stage from this index alone
-- (storage/open_now.rs): their creation, amount and key ride along, so a
-- department's tens of thousands of open deals are counted without visiting
-- the table's rows. It starts with the columns of the index it replaces.
DROP INDEX IF EXISTS deals_employee_stage;
CREATE INDEX deals_employee_open ON deals (employee_id, stage, created_at, amount_minor, source, external_id);
