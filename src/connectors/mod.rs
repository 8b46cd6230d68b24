//! Connectors to CRM REST APIs (Bitrix24, amoCRM) behind one
//! [`CrmConnector`] trait: each asks for what changed since its cursor,
//! page by page, maps the rows through the config and hands each page to a
//! [`PageSink`] with how far its pass got. Where the pages go (and how the
//! cursor is kept) is the sink's business, not the connector's.

pub mod amocrm;
pub mod bitrix24;
pub mod http;
pub mod mapping;

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use self::http::RemoteError;
use crate::config::{Config, CrmApiConfig, SourceConfig};
use crate::sources::{Records, Rejected};

/// Turns a page of a CRM's rows into records and the rows set aside.
pub type Convert<'f, P> =
    &'f mut (dyn FnMut(&mut P, Vec<serde_json::Value>) -> (Vec<Records>, Vec<Rejected>) + Send);

/// How far one pass over an entity got.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pass {
    /// When the pass began: the next pass asks for changes from here.
    pub started: DateTime<Utc>,
    /// Changes from this moment are asked for (before the overlap).
    pub from: Option<DateTime<Utc>>,
    /// The highest id stored (passes ordered by id).
    #[serde(default)]
    pub last_id: i64,
    /// The next page to ask for (passes paged by number).
    #[serde(default = "first_page")]
    pub page: u32,
}

/// The page a pass starts at.
fn first_page() -> u32 {
    1
}

/// Why a CRM pull failed: the CRM (its answer, the network), or the sink
/// the pages went to (its own error, as it is).
#[derive(Debug, thiserror::Error)]
pub enum CrmError<E> {
    #[error("{0}")]
    Remote(String),
    #[error(transparent)]
    Sink(E),
}

impl<E> From<RemoteError> for CrmError<E> {
    /// A failed request, as a pull reports it.
    fn from(e: RemoteError) -> Self {
        CrmError::Remote(e.to_string())
    }
}

/// Where a connector's pages go: it says where each pass starts, takes the
/// pages and how far they got, and hears what a person should know.
pub trait PageSink: Send {
    type Error: Send;

    /// Where a pass over `entity` starts.
    fn pass(&self, entity: &str) -> Pass;

    /// A first pull reads the whole history: the CRM counts `total` rows.
    fn expect(&mut self, entity: &str, total: u64);

    /// Something a person should know about this pull.
    fn note(&mut self, note: String);

    /// Takes a page's records and rejects, and how far the pass got.
    fn save(
        &mut self,
        entity: &str,
        batches: Vec<Records>,
        rejects: Vec<Rejected>,
        progress: Option<&Pass>,
    ) -> impl Future<Output = Result<(), CrmError<Self::Error>>> + Send;

    /// Marks a pass finished: the next one asks for changes from its start.
    fn finish_pass(
        &mut self,
        entity: &str,
        pass: &Pass,
    ) -> impl Future<Output = Result<(), CrmError<Self::Error>>> + Send;
}

/// What a CRM connector knows: its API, how its rows map to records, and
/// the order in which it pulls its entities into a [`PageSink`].
pub trait CrmConnector: Sized + Send {
    /// The source kind, as runs record it (`bitrix24`, `amocrm`).
    const KIND: &'static str;

    /// A connector for one source; `now` is when the pull began.
    fn connect(
        config: &Config,
        source: &SourceConfig,
        api: &CrmApiConfig,
        now: DateTime<Utc>,
    ) -> Result<Self, RemoteError>;

    /// Pulls every entity, each pass from where the sink says it starts.
    fn run<S: PageSink>(
        &mut self,
        sink: &mut S,
    ) -> impl Future<Output = Result<(), CrmError<S::Error>>> + Send;

    /// Requests made so far.
    fn requests(&self) -> u64;

    /// Source users not mapped to any employee, with their record counts.
    fn take_unmapped(&mut self) -> BTreeMap<String, u64>;
}

/// The outcome of a pull whose kinds ran one after another, each on its
/// own: fine when all were; else the failures, each named by its kind (a
/// sink's failure first, as it is, since it concerns them all).
pub fn each_kind<E>(outcomes: Vec<(&str, Result<(), CrmError<E>>)>) -> Result<(), CrmError<E>> {
    let mut failed = Vec::new();
    for (kind, outcome) in outcomes {
        match outcome {
            Ok(()) => {}
            Err(e @ CrmError::Sink(_)) => return Err(e),
            Err(CrmError::Remote(e)) => failed.push((kind, e)),
        }
    }
    match failed.len() {
        0 => Ok(()),
        1 => Err(CrmError::Remote(failed.remove(0).1)),
        _ => Err(CrmError::Remote(
            failed
                .iter()
                .map(|(kind, e)| format!("{kind}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}
