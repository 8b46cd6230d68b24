-- What is open now is counted per person in the database (storage/open_now.rs):
-- open and overdue tasks are read from this index alone, without visiting
-- the table's rows.
CREATE INDEX tasks_employee_open ON tasks (employee_id, completed_at, due_at, created_at);

-- Deals are also looked up by their id alone (the deal a call or a moved task
-- names, whose source is the CRM's, not the call's).
CREATE INDEX deals_external_id ON deals (external_id);
