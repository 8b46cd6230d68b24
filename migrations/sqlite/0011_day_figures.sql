-- The daily roll-up (storage/day_figures.rs): per person and local day, the
-- counts every figure of a period is made of (metrics::day::DayTally, as
-- JSON; its funnel apart, which the digest's funnel window reads alone) and
-- the day's pulse. A period is read as the sum of its days.
-- `version` names the settings the day was computed under (thresholds,
-- stages, the team's calendar and hours): a day of another version is
-- computed again. An ingest or pull that writes records drops the days
-- from the earliest instant it wrote (less the trace window) on.
CREATE TABLE day_figures (
    employee_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    version     TEXT NOT NULL,
    tally       TEXT NOT NULL,
    funnel      TEXT NOT NULL,
    pulse       TEXT,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (employee_id, day)
);
CREATE INDEX day_figures_ends ON day_figures (ends_at);

-- Bumped each time days are dropped: days computed from records read before
-- a drop are not stored after it (a request racing a pull keeps no stale day).
CREATE TABLE day_figures_epoch (
    id INTEGER PRIMARY KEY,
    n  INTEGER NOT NULL
);
INSERT INTO day_figures_epoch (id, n) VALUES (1, 0);
