-- What is open now is counted per person in the database (storage/open_now.rs):
-- open and overdue tasks are read from this index alone, without visiting
-- the table's rows.
CREATE INDEX tasks_employee_open ON tasks (employee_id, completed_at, due_at, created_at);
