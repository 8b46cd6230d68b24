//! Integration tests: the real SQLite and, when `SALESPULSE_TEST_POSTGRES`
//! names a server, the real Postgres; the real binary for the CLI.

mod alert_rules;
mod alerts;
mod architecture;
mod bot;
mod cdr_db;
mod cli;
mod connectors;
mod email;
mod fake_telegram;
mod faults;
mod figures;
mod fuzz;
mod helpers;
mod ingest;
mod kpi;
mod open_now;
mod periods;
mod pulls;
mod readings;
mod render;
mod rollup;
mod serve;
mod storage;
mod telegram;
mod visibility;
mod words;
