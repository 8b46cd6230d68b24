-- Instants are UTC epoch seconds (BIGINT): they compare and index alike on
-- both backends, whatever text format a driver would pick for a timestamp.

CREATE TABLE teams (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    timezone  TEXT NOT NULL
);

CREATE TABLE employees (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL,
    position  TEXT,
    team_id   TEXT NOT NULL
);

CREATE TABLE ingest_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    rows_read    BIGINT NOT NULL DEFAULT 0,
    inserted     BIGINT NOT NULL DEFAULT 0,
    updated      BIGINT NOT NULL DEFAULT 0,
    unchanged    BIGINT NOT NULL DEFAULT 0,
    rejected     BIGINT NOT NULL DEFAULT 0,
    unmapped     BIGINT NOT NULL DEFAULT 0
);

-- Rows set aside: one per (source, file, line); re-reading a file refreshes them.
CREATE TABLE ingest_errors (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source  TEXT NOT NULL,
    file    TEXT NOT NULL,
    line    BIGINT NOT NULL,
    reason  TEXT NOT NULL,
    raw     TEXT NOT NULL,
    run_id  BIGINT NOT NULL,
    UNIQUE (source, file, line)
);

CREATE TABLE calls (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    employee_id   TEXT,
    agent         TEXT,
    direction     TEXT NOT NULL,
    number        TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    answered_at   BIGINT,
    ended_at      BIGINT NOT NULL,
    talk_seconds  BIGINT NOT NULL,
    disposition   TEXT NOT NULL,
    deal_ext      TEXT,
    kind          TEXT,
    legs          BIGINT NOT NULL,
    rank          BIGINT NOT NULL,
    leg_key       TEXT NOT NULL,
    row_hash      BIGINT NOT NULL,
    created_run   BIGINT NOT NULL,
    updated_run   BIGINT,
    UNIQUE (source, external_id)
);
-- A person's day of calls; a number's history (warm or cold, new or existing).
CREATE INDEX calls_employee_time ON calls (employee_id, started_at);
CREATE INDEX calls_number_time ON calls (number, started_at);

CREATE TABLE crm_users (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    email        TEXT,
    employee_id  TEXT,
    row_hash     BIGINT NOT NULL,
    created_run  BIGINT NOT NULL,
    updated_run  BIGINT,
    UNIQUE (source, external_id)
);

CREATE TABLE deals (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    title         TEXT NOT NULL,
    employee_id   TEXT,
    owner_ext     TEXT,
    stage         TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    channel       TEXT,
    temperature   TEXT,
    client_ext    TEXT,
    phone         TEXT,
    created_at    BIGINT NOT NULL,
    stage_since   BIGINT,
    closed_at     BIGINT,
    row_hash      BIGINT NOT NULL,
    created_run   BIGINT NOT NULL,
    updated_run   BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX deals_employee_stage ON deals (employee_id, stage);
CREATE INDEX deals_phone ON deals (phone);

CREATE TABLE stage_changes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    deal_ext      TEXT NOT NULL,
    from_stage    TEXT,
    to_stage      TEXT NOT NULL,
    changed_at    BIGINT NOT NULL,
    employee_id   TEXT,
    author_ext    TEXT,
    row_hash      BIGINT NOT NULL,
    created_run   BIGINT NOT NULL,
    updated_run   BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX stage_changes_deal ON stage_changes (deal_ext, changed_at);
CREATE INDEX stage_changes_time ON stage_changes (changed_at);

CREATE TABLE tasks (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    deal_ext      TEXT,
    employee_id   TEXT,
    owner_ext     TEXT,
    title         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    completed_at  BIGINT,
    row_hash      BIGINT NOT NULL,
    created_run   BIGINT NOT NULL,
    updated_run   BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX tasks_employee_due ON tasks (employee_id, due_at);
CREATE INDEX tasks_deal ON tasks (deal_ext);

CREATE TABLE task_postponements (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    task_ext     TEXT NOT NULL,
    old_due      BIGINT NOT NULL,
    new_due      BIGINT NOT NULL,
    changed_at   BIGINT NOT NULL,
    row_hash     BIGINT NOT NULL,
    created_run  BIGINT NOT NULL,
    updated_run  BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX task_postponements_task ON task_postponements (task_ext);

CREATE TABLE activities (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    deal_ext      TEXT,
    employee_id   TEXT,
    owner_ext     TEXT,
    kind          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    row_hash      BIGINT NOT NULL,
    created_run   BIGINT NOT NULL,
    updated_run   BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX activities_employee_time ON activities (employee_id, at);
CREATE INDEX activities_deal ON activities (deal_ext, at);

CREATE TABLE comments (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    deal_ext      TEXT,
    employee_id   TEXT,
    author_ext    TEXT,
    at            BIGINT NOT NULL,
    body          TEXT NOT NULL,
    row_hash      BIGINT NOT NULL,
    created_run   BIGINT NOT NULL,
    updated_run   BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX comments_employee_time ON comments (employee_id, at);
CREATE INDEX comments_deal ON comments (deal_ext, at);
