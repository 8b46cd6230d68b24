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

/// A row set aside by a reader: where it was and why. A file's row is
/// named by its line; a CRM API's record by the method (`file`) and the
/// record's own id (`record`, text: amoCRM event ids are not numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Rejected {
    pub file: String,
    pub line: i64,
    /// The record's id in its source; empty for a file's row.
    pub record: String,
    pub reason: String,
    pub raw: String,
}

impl Rejected {
    /// The most of a rejected line kept beside its reason.
    pub const MAX_RAW_CHARS: usize = 2000;

    /// A reject as every backend can store it: no NUL (Postgres text cannot
    /// hold one), the raw line cut to [`Self::MAX_RAW_CHARS`].
    pub fn new(file: &str, line: u64, reason: String, raw: &str) -> Self {
        let clean = |s: &str| s.replace('\0', "\u{fffd}");
        let mut raw: String = raw.chars().take(Self::MAX_RAW_CHARS).collect();
        if raw.contains('\0') {
            raw = clean(&raw);
        }
        Self {
            file: clean(file),
            line: i64::try_from(line).unwrap_or(i64::MAX),
            record: String::new(),
            reason: if reason.contains('\0') {
                clean(&reason)
            } else {
                reason
            },
            raw,
        }
    }

    pub fn holds_nul(&self) -> bool {
        self.file.contains('\0')
            || self.record.contains('\0')
            || self.reason.contains('\0')
            || self.raw.contains('\0')
    }

    /// The same reject in a form every backend stores.
    pub fn cleaned(&self) -> Self {
        Self {
            record: self.record.replace('\0', "\u{fffd}"),
            ..Self::new(
                &self.file,
                u64::try_from(self.line).unwrap_or(0),
                self.reason.clone(),
                &self.raw,
            )
        }
    }
}

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
pub const CHUNK_ROWS: usize = 8_000;
