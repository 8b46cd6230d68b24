-- A period's tasks are those created, due or done in it, and those moved in
-- it (storage/load): the moves of a period are found by their time, so a
-- period does not read every task still open since the CRM began.
CREATE INDEX task_postponements_changed ON task_postponements (changed_at, source, task_ext);

-- Calls linked to a deal (CRM telephony), found by the deal when a record on
-- it arrives: whose days of the daily roll-up it can change
-- (storage/day_figures.rs).
CREATE INDEX calls_deal ON calls (deal_ext, started_at) WHERE deal_ext IS NOT NULL;

-- Whether an open deal has an open task is read from this index alone
-- (storage/open_now.rs), not from each of its tasks' rows.
CREATE INDEX tasks_deal_open ON tasks (deal_ext, source, completed_at, created_at);
