//! The exchange format for CRM data: one file per entity, named after it
//! (`deals.jsonl`, `tasks.csv`, ...), as JSON Lines (one object per line) or
//! CSV with a header. Any CRM export can be turned into it; the README lists
//! the fields.

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::domain::{
    Activity, ActivityKind, Comment, CrmUser, Deal, ExternalId, Phone, StageChange, Task,
    TaskPostponement, Temperature,
};
use crate::sources::Rejected;

use super::fields::{amount_minor, instant};
use super::lines::{PieceKind, Quotes, RecordReader, split_fields};
use super::{CHUNK_ROWS, Chunk, Mapping, Records};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Employees,
    Deals,
    StageChanges,
    Tasks,
    TaskPostponements,
    Activities,
    Comments,
}

impl Entity {
    pub const NAMES: &'static str =
        "employees, deals, stage_changes, tasks, task_postponements, activities, comments";

    /// The entity a file holds, from its name: `deals.jsonl`, `2026-11-16_tasks.csv`.
    pub fn from_path(path: &Path) -> Option<Self> {
        let stem = path.file_stem()?.to_str()?.to_ascii_lowercase();
        let name = stem.rsplit(['_', '-', '.']).next().unwrap_or(&stem);
        let name = if stem.ends_with("stage_changes") || stem.ends_with("stage-changes") {
            "stage_changes"
        } else if stem.ends_with("task_postponements") || stem.ends_with("task-postponements") {
            "task_postponements"
        } else {
            name
        };
        Some(match name {
            "employees" | "users" => Entity::Employees,
            "deals" | "leads" => Entity::Deals,
            "stage_changes" => Entity::StageChanges,
            "tasks" => Entity::Tasks,
            "task_postponements" => Entity::TaskPostponements,
            "activities" => Entity::Activities,
            "comments" => Entity::Comments,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CrmFileError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

/// One row's fields by name, whatever the file format.
struct Row(HashMap<String, String>);

impl Row {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
    fn required(&self, key: &str) -> Result<&str, String> {
        self.get(key).ok_or_else(|| format!("{key} is missing"))
    }
    fn id(&self, key: &str) -> Result<ExternalId, String> {
        ExternalId::parse(self.required(key)?, "id").map_err(|e| e.to_string())
    }
    fn time(&self, key: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, String> {
        let raw = self.required(key)?;
        let t = instant(raw, tz).ok_or_else(|| {
            format!("{key} {raw:?} is not a time (expected RFC 3339 or YYYY-MM-DD HH:MM[:SS])")
        })?;
        crate::domain::plausible_instant("date", t).map_err(|e| format!("{key}: {e}"))?;
        Ok(t)
    }
    fn opt_time(&self, key: &str, tz: chrono_tz::Tz) -> Result<Option<DateTime<Utc>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.time(key, tz).map(Some),
        }
    }
    fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }
}

/// A builder of records of one entity from rows.
struct Builder<'m> {
    mapping: &'m Mapping,
    unmapped: HashMap<String, u64>,
}

impl Builder<'_> {
    fn employee(&mut self, owner: Option<&str>) -> Option<String> {
        let owner = owner?;
        let found = self.mapping.employees.get(owner).cloned();
        if found.is_none() {
            *self.unmapped.entry(owner.to_owned()).or_default() += 1;
        }
        found
    }

    fn stage(&self, raw: &str) -> Result<String, String> {
        self.mapping.stages.get(raw).cloned().ok_or_else(|| {
            format!(
                "stage {raw:?} is not in the pipeline (add it to [[stages]] or its crm_ids; known: {})",
                self.mapping.stage_names.join(", ")
            )
        })
    }

    fn build(&mut self, entity: Entity, row: &Row, out: &mut Records) -> Result<(), String> {
        let tz = self.mapping.source.timezone;
        let source = self.mapping.source.name.clone();
        match (entity, out) {
            (Entity::Employees, Records::CrmUsers(v)) => {
                let external_id = row.id("id")?;
                v.push(CrmUser {
                    employee_id: self.mapping.employees.get(external_id.as_str()).cloned(),
                    source,
                    name: row.text("name").unwrap_or_else(|| external_id.to_string()),
                    email: row.text("email"),
                    external_id,
                });
            }
            (Entity::Deals, Records::Deals(v)) => {
                let owner = row.text("owner");
                let amount_raw = row.get("amount").unwrap_or("0");
                let deal = Deal {
                    source,
                    external_id: row.id("id")?,
                    title: row.text("title").unwrap_or_default(),
                    employee_id: self.employee(owner.as_deref()),
                    owner_ext: owner,
                    stage: self.stage(row.required("stage")?)?,
                    amount_minor: amount_minor(amount_raw).ok_or_else(|| {
                        format!("amount {amount_raw:?} is not an amount from 0 to 10^12 (expected 12500 or 12500.50)")
                    })?,
                    currency: row.text("currency").unwrap_or_else(|| "RUB".to_owned()),
                    channel: row.text("channel"),
                    temperature: row
                        .get("temperature")
                        .map(Temperature::parse)
                        .transpose()
                        .map_err(|e| e.to_string())?,
                    client_ext: row.text("client"),
                    phone: row.get("phone").map(Phone::normalize).filter(|p| !p.is_empty()),
                    created_at: row.time("created_at", tz)?,
                    stage_since: row.opt_time("stage_since", tz)?,
                    closed_at: row.opt_time("closed_at", tz)?,
                };
                v.push(deal.validate().map_err(|e| e.to_string())?);
            }
            (Entity::StageChanges, Records::StageChanges(v)) => {
                let author = row.text("by");
                v.push(StageChange {
                    source,
                    external_id: row.id("id")?,
                    deal_ext: row.id("deal")?,
                    from_stage: row.get("from").map(|s| self.stage(s)).transpose()?,
                    to_stage: self.stage(row.required("to")?)?,
                    changed_at: row.time("at", tz)?,
                    employee_id: self.employee(author.as_deref()),
                    author_ext: author,
                });
            }
            (Entity::Tasks, Records::Tasks(v)) => {
                let owner = row.text("owner");
                let created_at = row.time("created_at", tz)?;
                v.push(Task {
                    source,
                    external_id: row.id("id")?,
                    deal_ext: row.text("deal"),
                    employee_id: self.employee(owner.as_deref()),
                    owner_ext: owner,
                    title: row.text("title").unwrap_or_default(),
                    created_at,
                    due_at: row.time("due_at", tz)?,
                    completed_at: row.opt_time("completed_at", tz)?,
                });
            }
            (Entity::TaskPostponements, Records::Postponements(v)) => {
                let old_due = row.time("old_due", tz)?;
                let new_due = row.time("new_due", tz)?;
                if new_due <= old_due {
                    return Err(format!(
                        "new_due {} is not later than old_due {} (a postponement moves a task later)",
                        row.required("new_due")?,
                        row.required("old_due")?
                    ));
                }
                v.push(TaskPostponement {
                    source,
                    task_ext: row.id("task")?,
                    old_due,
                    new_due,
                    changed_at: row.opt_time("at", tz)?.unwrap_or(old_due),
                });
            }
            (Entity::Activities, Records::Activities(v)) => {
                let owner = row.text("owner");
                v.push(Activity {
                    source,
                    external_id: row.id("id")?,
                    deal_ext: row.text("deal"),
                    employee_id: self.employee(owner.as_deref()),
                    owner_ext: owner,
                    kind: ActivityKind::parse(row.required("kind")?).map_err(|e| e.to_string())?,
                    at: row.time("at", tz)?,
                });
            }
            (Entity::Comments, Records::Comments(v)) => {
                let author = row.text("author");
                v.push(Comment {
                    source,
                    external_id: row.id("id")?,
                    deal_ext: row.text("deal"),
                    employee_id: self.employee(author.as_deref()),
                    author_ext: author,
                    at: row.time("at", tz)?,
                    text: row.0.get("text").cloned().unwrap_or_default(),
                });
            }
            _ => unreachable!("records are created for their entity"),
        }
        Ok(())
    }
}

fn empty_records(entity: Entity) -> Records {
    match entity {
        Entity::Employees => Records::CrmUsers(Vec::new()),
        Entity::Deals => Records::Deals(Vec::new()),
        Entity::StageChanges => Records::StageChanges(Vec::new()),
        Entity::Tasks => Records::Tasks(Vec::new()),
        Entity::TaskPostponements => Records::Postponements(Vec::new()),
        Entity::Activities => Records::Activities(Vec::new()),
        Entity::Comments => Records::Comments(Vec::new()),
    }
}

fn json_row(line: &str) -> Result<Row, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("not a JSON object".to_owned());
    };
    let mut row = HashMap::with_capacity(map.len());
    for (k, v) in map {
        let text = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        // `\u0000` decodes to a NUL, which Postgres text cannot hold.
        if text.contains('\0') || k.contains('\0') {
            return Err(format!(
                "field {:?} holds a NUL character",
                k.replace('\0', "")
            ));
        }
        row.insert(k, text);
    }
    Ok(Row(row))
}

/// A file being read: the records and rejects since the last chunk.
struct State<'m> {
    builder: Builder<'m>,
    entity: Entity,
    file: String,
    records: Records,
    rejects: Vec<Rejected>,
    rows: u64,
}

impl State<'_> {
    fn handle(&mut self, line: u64, raw: String, row: Result<Row, String>) {
        let built = row.and_then(|row| self.builder.build(self.entity, &row, &mut self.records));
        if let Err(reason) = built {
            self.reject(line, reason, &raw);
        }
    }

    fn reject(&mut self, line: u64, reason: String, raw: &str) {
        self.rejects
            .push(Rejected::new(&self.file, line, reason, raw));
    }

    fn full(&self) -> bool {
        self.records.len() + self.rejects.len() >= CHUNK_ROWS
    }

    fn take(&mut self, bytes_read: u64) -> Chunk {
        Chunk {
            records: std::mem::replace(&mut self.records, empty_records(self.entity)),
            rejects: std::mem::take(&mut self.rejects),
            rows_read: std::mem::take(&mut self.rows),
            bytes_read,
            unmapped: std::mem::take(&mut self.builder.unmapped),
        }
    }
}

/// Reads one entity file, handing over chunks of records. Every physical
/// line is a record, a blank line, the CSV header, or a reject with its line.
pub fn read<R: Read>(
    input: R,
    file: &str,
    entity: Entity,
    format: Format,
    mapping: &Mapping,
    emit: &mut dyn FnMut(Chunk) -> bool,
) -> Result<(), CrmFileError> {
    let mut state = State {
        builder: Builder {
            mapping,
            unmapped: HashMap::new(),
        },
        entity,
        file: file.to_owned(),
        records: empty_records(entity),
        rejects: Vec::new(),
        rows: 0,
    };
    let quotes = match format {
        Format::JsonLines => Quotes::Ignore,
        Format::Csv => Quotes::CSV_TEXT,
    };
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 16, input), quotes);
    let io_err = |source| CrmFileError::Io {
        file: file.to_owned(),
        source,
    };
    let mut header: Option<Vec<String>> = None;
    let mut record = csv::ByteRecord::new();
    while let Some(piece) = reader.next_piece().map_err(io_err)? {
        state.rows += piece.lines;
        let text = match piece.kind {
            PieceKind::Blank => continue,
            PieceKind::Broken(why, raw) => {
                state.reject(piece.line, why.to_string(), &String::from_utf8_lossy(&raw));
                continue;
            }
            PieceKind::Record(text) => text,
        };
        let text = match String::from_utf8(text) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let raw = String::from_utf8_lossy(e.as_bytes()).into_owned();
                state.reject(
                    piece.line,
                    format!("not valid UTF-8 (byte {} of the line)", at + 1),
                    &raw,
                );
                continue;
            }
        };
        let row = match format {
            Format::JsonLines => json_row(&text),
            Format::Csv => {
                split_fields(text.as_bytes(), b',', &mut record);
                let fields = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned());
                match &header {
                    None => {
                        header = Some(
                            fields
                                .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
                                .collect(),
                        );
                        continue;
                    }
                    Some(names) => Ok(Row(names.iter().cloned().zip(fields).collect())),
                }
            }
        };
        state.handle(piece.line, text, row);
        if state.full() && !emit(state.take(reader.bytes_read())) {
            return Ok(());
        }
    }
    emit(state.take(reader.bytes_read()));
    Ok(())
}
