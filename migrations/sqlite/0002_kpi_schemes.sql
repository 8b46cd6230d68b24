-- KPI schemes as they were in force: a month is paid under the rules it
-- began with, so a scheme is recorded once its month arrives and compared
-- with the config from then on.
CREATE TABLE kpi_schemes (
    position    TEXT NOT NULL,
    from_month  TEXT NOT NULL,
    scheme      TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (position, from_month)
);
