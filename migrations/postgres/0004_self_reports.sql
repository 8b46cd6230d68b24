-- Evening self-reports (`/report` in Telegram): the last one of a day
-- stands.
CREATE TABLE self_reports (
    employee_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    figures     TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (employee_id, day)
);
