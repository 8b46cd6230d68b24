//! salespulse: a reporting bot for sales departments. It pulls call records
//! and CRM data into a database, computes activity, pulse, funnel, hygiene and
//! KPI figures, and delivers them to chats and email.

pub mod app;
pub mod bot;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod connectors;
pub mod delivery;
pub mod domain;
pub mod metrics;
pub mod progress;
pub mod render;
pub mod report;
pub mod scheduler;
pub mod serve;
pub mod shutdown;
pub mod sources;
pub mod storage;
pub mod words;
