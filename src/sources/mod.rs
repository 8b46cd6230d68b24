//! Sources of records: one submodule per kind. A source reads its input and
//! hands over chunks of typed records and the rows it had to set aside; it
//! never writes to the store itself.

pub mod asterisk;
pub mod asterisk_db;
pub mod calls_csv;
pub mod crm_files;
pub mod demo;
pub(crate) mod fields;
pub mod lines;

use std::collections::HashMap;

use crate::config::{Config, SourceConfig};
use crate::domain::{Activity, Call, Comment, CrmUser, Deal, StageChange, Task, TaskPostponement};
use crate::storage::Rejected;

/// Records of one kind, as a source yields them.
#[derive(Debug)]
pub enum Records {
    Calls(Vec<Call>),
    CrmUsers(Vec<CrmUser>),
    Deals(Vec<Deal>),
    StageChanges(Vec<StageChange>),
    Tasks(Vec<Task>),
    Postponements(Vec<TaskPostponement>),
    Activities(Vec<Activity>),
    Comments(Vec<Comment>),
    /// Meetings the source now says were not held (planned, or reopened):
    /// removed from the meetings held if they were stored as such.
    MeetingsNotHeld(Vec<Activity>),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::Calls(v) => v.len(),
            Records::CrmUsers(v) => v.len(),
            Records::Deals(v) => v.len(),
            Records::StageChanges(v) => v.len(),
            Records::Tasks(v) => v.len(),
            Records::Postponements(v) => v.len(),
            Records::Activities(v) => v.len(),
            Records::Comments(v) => v.len(),
            Records::MeetingsNotHeld(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A piece of a file: the records read, the rows set aside, and how far the
/// reader got (for the progress bar).
#[derive(Debug)]
pub struct Chunk {
    pub records: Records,
    pub rejects: Vec<Rejected>,
    /// Source rows (lines) this chunk covers.
    pub rows_read: u64,
    /// Bytes of the file read so far.
    pub bytes_read: u64,
    /// Records kept without an employee, by the unmapped agent or owner id.
    pub unmapped: HashMap<String, u64>,
}

/// What a source needs to know to map ids to ours.
pub struct Mapping {
    pub source: SourceConfig,
    /// Source user ids (extensions, CRM user ids) to employee ids.
    pub employees: HashMap<String, String>,
    /// CRM stage ids (and our own) to our stage ids.
    pub stages: HashMap<String, String>,
    pub stage_names: Vec<String>,
}

impl Mapping {
    pub fn new(config: &Config, source: &SourceConfig) -> Self {
        Self {
            source: source.clone(),
            employees: config.employee_index(&source.name),
            stages: config.stage_index(),
            stage_names: config.stages.iter().map(|s| s.id.clone()).collect(),
        }
    }
}

/// Rows per chunk handed to the store: large enough for few, big
/// transactions, small enough to keep memory flat on huge files.
pub const CHUNK_ROWS: usize = 20_000;
