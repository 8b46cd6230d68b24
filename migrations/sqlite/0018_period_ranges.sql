-- A department's tasks and deals of a period are read a condition at a
-- time, each as one range of a person's index (storage/load/period.rs):
-- created since the period began; closed or created since then. Without
-- these, each person's whole history of tasks and deals was read to find
-- the period's.
CREATE INDEX tasks_employee_created ON tasks (employee_id, created_at);
CREATE INDEX deals_employee_closed ON deals (employee_id, closed_at);
CREATE INDEX deals_employee_created ON deals (employee_id, created_at);
